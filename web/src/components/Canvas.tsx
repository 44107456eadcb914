import { Background, Controls, type EdgeTypes, MiniMap, type NodeTypes, ReactFlow, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, type DragEvent } from "react";
import type { FlowEdge, FlowNode } from "../graph/types";
import { specOf } from "../nodes/registry";
import { editorStore, useEditor } from "../store/editor";
import { InsertableEdge } from "./InsertableEdge";
import { StepNodeView, TriggerNodeView } from "./NodeFace";
import { DRAG_TYPE, type PaletteItem } from "./Palette";

export const NODE_TYPES: NodeTypes = { step: StepNodeView, trigger: TriggerNodeView };
const EDGE_TYPES: EdgeTypes = { insertable: InsertableEdge };

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}

/** Keyboard shortcuts of the canvas (ignored while typing in a form). */
export function useShortcuts(tidy: () => void) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typing(e.target)) return;
      const s = editorStore.getState();
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === "z" && !e.shiftKey) s.undo();
      else if (mod && (key === "y" || (key === "z" && e.shiftKey))) s.redo();
      else if (mod && key === "c") s.copySelected();
      else if (mod && key === "v") s.paste();
      else if (mod && key === "a") editorStore.setState({ nodes: s.nodes.map((n) => ({ ...n, selected: true })) });
      else if (!mod && (e.key === "Delete" || e.key === "Backspace")) s.deleteSelected();
      else if (!mod && e.shiftKey && key === "l") tidy();
      else return;
      e.preventDefault();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [tidy]);
}

export function Canvas({ onAdd }: { onAdd: (item: PaletteItem, at?: { x: number; y: number }) => void }) {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const onNodesChange = useEditor((s) => s.onNodesChange);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const onConnect = useEditor((s) => s.onConnect);
  const { screenToFlowPosition } = useReactFlow();

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const raw = e.dataTransfer.getData(DRAG_TYPE);
      if (!raw) return;
      e.preventDefault();
      const at = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      onAdd(JSON.parse(raw) as PaletteItem, { x: at.x - 110, y: at.y - 20 });
    },
    [onAdd, screenToFlowPosition],
  );

  return (
    <div className="canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas" data-node-count={nodes.length}>
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        edgeTypes={EDGE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        deleteKeyCode={null}
        onlyRenderVisibleElements
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
        minZoom={0.1}
        defaultEdgeOptions={{ type: "insertable" }}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} />
        <Controls showInteractive={false} />
        <MiniMap pannable zoomable nodeColor={(n) => specOf(n.type === "trigger" ? "trigger" : String((n.data as { kind?: string }).kind)).colour} />
      </ReactFlow>
    </div>
  );
}
