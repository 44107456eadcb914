import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useState } from "react";
import { keepDraft } from "../store/draft";
import { editorStore, useEditor } from "../store/editor";
import { Canvas, useShortcuts } from "./Canvas";
import { DefinitionDialog } from "./DefinitionDialog";
import { NodeInspector } from "./NodeInspector";
import { Palette, type PaletteItem } from "./Palette";
import { SimulateButton } from "../simulate/SimulatePanel";

function Toolbar({ onTidy, onJson }: { onTidy: () => void; onJson: () => void }) {
  const name = useEditor((s) => (typeof s.meta.name === "string" ? s.meta.name : ""));
  const canUndo = useEditor((s) => s.past.length > 0);
  const canRedo = useEditor((s) => s.future.length > 0);
  const count = useEditor((s) => s.nodes.length - 1);
  const { undo, redo } = editorStore.getState();
  return (
    <header className="toolbar">
      <strong className="brand">Workflows</strong>
      <span className="workflow-name">{name || "Untitled workflow"}</span>
      <span className="hint">
        {count} node{count === 1 ? "" : "s"}
      </span>
      <span className="spacer" />
      <button type="button" onClick={undo} disabled={!canUndo} title="Undo (Ctrl+Z)">
        Undo
      </button>
      <button type="button" onClick={redo} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">
        Redo
      </button>
      <button type="button" onClick={onTidy} title="Lay the graph out (Shift+L)">
        Tidy up
      </button>
      <button type="button" onClick={onJson} title="Read or paste the definition">
        JSON
      </button>
      <SimulateButton />
    </header>
  );
}

function Editor() {
  const { screenToFlowPosition, fitView } = useReactFlow();
  const [json, setJson] = useState(false);

  const tidy = useCallback(() => {
    editorStore.getState().tidy();
    requestAnimationFrame(() => void fitView({ padding: 0.2, maxZoom: 1, duration: 200 }));
  }, [fitView]);
  useShortcuts(tidy);

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
    <div className="builder">
      <Toolbar onTidy={tidy} onJson={() => setJson(true)} />
      <Palette onAdd={add} />
      <Canvas onAdd={add} />
      <NodeInspector />
      {json && (
        <DefinitionDialog
          onClose={() => setJson(false)}
          onLoaded={() => requestAnimationFrame(() => void fitView({ padding: 0.2, maxZoom: 1 }))}
        />
      )}
    </div>
  );
}

/** The visual builder: palette, canvas and inspector over one editor store. */
export function Builder() {
  useEffect(() => keepDraft(editorStore), []);
  return (
    <ReactFlowProvider>
      <Editor />
    </ReactFlowProvider>
  );
}
