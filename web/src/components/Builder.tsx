import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useState } from "react";
import { Link } from "../app/router";
import { SimulateButton } from "../simulate/SimulatePanel";
import { BLANK, editorStore, useEditor } from "../store/editor";
import { loadDraft, useAutosave } from "../store/draft";
import { Canvas, useShortcuts } from "./Canvas";
import { DefinitionDialog } from "./DefinitionDialog";
import { NodeInspector } from "./NodeInspector";
import { Palette, type PaletteItem } from "./Palette";
import { SaveStatus } from "./SaveStatus";

function Toolbar({ onTidy, onJson, children, status }: { onTidy: () => void; onJson: () => void; children?: React.ReactNode; status?: React.ReactNode }) {
  const name = useEditor((s) => (typeof s.meta.name === "string" ? s.meta.name : ""));
  const canUndo = useEditor((s) => s.past.length > 0);
  const canRedo = useEditor((s) => s.future.length > 0);
  const count = useEditor((s) => s.nodes.length - 1);
  const { undo, redo } = editorStore.getState();
  return (
    <header className="toolbar">
      <Link to="/workflows" className="brand" title="All workflows">
        Workflows
      </Link>
      <span className="workflow-name" data-testid="workflow-name">
        {name || "Untitled workflow"}
      </span>
      <span className="hint">
        {count} node{count === 1 ? "" : "s"}
      </span>
      {status}
      <span className="spacer" />
      <button type="button" onClick={undo} disabled={!canUndo} title="Undo (Ctrl+Z)" data-testid="undo">
        Undo
      </button>
      <button type="button" onClick={redo} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)" data-testid="redo">
        Redo
      </button>
      <button type="button" onClick={onTidy} title="Lay the graph out (Shift+L)" data-testid="tidy">
        Tidy up
      </button>
      <button type="button" onClick={onJson} title="Read or paste the definition" data-testid="json">
        JSON
      </button>
      <SimulateButton />
      {children}
    </header>
  );
}

export interface BuilderSlots {
  /** Buttons at the end of the toolbar (Save, Activate…). */
  actions?: React.ReactNode;
  /** Beside the workflow's name (the save state). */
  status?: React.ReactNode;
  /** Under the canvas (the validation panel). */
  dock?: React.ReactNode;
  /** In place of the inspector (history, a version's fields). */
  side?: React.ReactNode;
  /** In place of the canvas (a version diff). */
  overlay?: React.ReactNode;
  /** Above everything under the toolbar (an error in place, a notice). */
  banner?: React.ReactNode;
}

function Editor(slots: BuilderSlots) {
  const { screenToFlowPosition, fitView } = useReactFlow();
  const [json, setJson] = useState(false);

  const tidy = useCallback(() => {
    editorStore.getState().tidy();
    requestAnimationFrame(() => void fitView({ padding: 0.2, maxZoom: 1, duration: 200 }));
  }, [fitView]);
  useShortcuts(tidy);

  // Each opened definition is fitted into view once its nodes are drawn and measured.
  const loaded = useEditor((s) => s.loaded);
  useEffect(() => {
    const t = setTimeout(() => void fitView({ padding: 0.2, maxZoom: 1 }), 60);
    return () => clearTimeout(t);
  }, [loaded, fitView]);

  const add = useCallback(
    (item: PaletteItem, at?: { x: number; y: number }) => {
      const s = editorStore.getState();
      if ("trigger" in item) {
        s.setTriggerType(item.trigger);
        s.select("trigger");
        return;
      }
      const el = document.querySelector(".canvas");
      const box = el?.getBoundingClientRect();
      const centre = box ? screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 }) : { x: 0, y: 0 };
      s.addNode(item.node, at ?? { x: centre.x - 110, y: centre.y - 38 });
    },
    [screenToFlowPosition],
  );

  return (
    <div className={`builder${slots.banner ? " with-banner" : ""}`}>
      <Toolbar onTidy={tidy} onJson={() => setJson(true)} status={slots.status}>
        {slots.actions}
      </Toolbar>
      {slots.banner && <div className="banner-area">{slots.banner}</div>}
      <Palette onAdd={add} />
      <div className="centre">
        {slots.overlay ?? <Canvas onAdd={add} />}
        {slots.dock}
      </div>
      {slots.side ?? <NodeInspector />}
      {json && (
        <DefinitionDialog
          onClose={() => setJson(false)}
          onLoaded={() => requestAnimationFrame(() => void fitView({ padding: 0.2, maxZoom: 1 }))}
        />
      )}
    </div>
  );
}

/** The visual builder: palette, canvas and inspector over one editor store, with slots for the screen around it. */
export function BuilderFrame(slots: BuilderSlots) {
  return (
    <ReactFlowProvider>
      <Editor {...slots} />
    </ReactFlowProvider>
  );
}

/** A scratch canvas (`/builder`): no workflow on the server, the draft kept in this browser only. */
export function Builder() {
  const [ready] = useState(() => {
    const draft = loadDraft("scratch");
    editorStore.getState().load(draft?.definition ?? BLANK, { dirty: false });
    return true;
  });
  const status = useAutosave(editorStore, "scratch", null, ready);
  return <BuilderFrame status={<SaveStatus autosave={status} dirty={false} />} />;
}
