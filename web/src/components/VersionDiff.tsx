import { Background, Controls, type Edge, ReactFlow, ReactFlowProvider, useNodesInitialized, useNodesState, useReactFlow } from "@xyflow/react";
import { useEffect, useMemo, useState } from "react";
import type { WorkflowDefinition } from "../definition/types";
import { definitionToGraph } from "../graph/convert";
import type { FlowNode } from "../graph/types";
import { specOf } from "../nodes/registry";
import { diffDefinitions, showValue, type Change, type DefinitionDiff, type NodeDiff } from "../versions/diff";
import { NODE_TYPES } from "./Canvas";
import { DiffContext } from "./context";

const EDGE_COLOURS: Record<Change, string> = { added: "#16a34a", removed: "#dc2626", changed: "#d97706", same: "#94a3b8" };

/** One graph holding both versions: the newer one's nodes where they are, the removed ones where they were. */
function mergedGraph(before: WorkflowDefinition, after: WorkflowDefinition, diff: DefinitionDiff) {
  const a = definitionToGraph(before);
  const b = definitionToGraph(after);
  const removed = new Set(diff.nodes.filter((n) => n.change === "removed").map((n) => n.id));
  const nodes: FlowNode[] = [...b.nodes, ...a.nodes.filter((n) => removed.has(n.id))].map((n) => ({
    ...n,
    selected: false,
    draggable: false,
    connectable: false,
  }));
  const edges: Edge[] = diff.edges.flatMap((e) => {
    const lines: Edge[] = [];
    const style = (c: Change) => ({ stroke: EDGE_COLOURS[c], strokeWidth: c === "same" ? 1.5 : 3, strokeDasharray: c === "removed" ? "6 4" : undefined });
    const handle = (source: string, g: typeof a) => {
      const n = g.nodes.find((x) => x.id === source);
      return n && n.type === "step" && specOf(n.data.kind).branches(n.data.config)?.length ? e.branch : null;
    };
    if (e.change === "changed" && e.targetBefore) {
      lines.push({ id: `${e.key}:before`, source: e.source, target: e.targetBefore, sourceHandle: handle(e.source, a), style: style("removed"), className: "diff-edge removed" });
      lines.push({ id: e.key, source: e.source, target: e.target, sourceHandle: handle(e.source, b), style: style("changed"), className: "diff-edge changed", label: "rewired" });
    } else {
      const g = e.change === "removed" ? a : b;
      lines.push({ id: e.key, source: e.source, target: e.target, sourceHandle: handle(e.source, g), style: style(e.change), className: `diff-edge ${e.change}` });
    }
    return lines;
  });
  // A new pair of versions is a new canvas.
  const key = JSON.stringify([diff.nodes.map((n) => [n.id, n.change]), diff.edges.map((e) => [e.key, e.change, e.target])]);
  return { nodes, edges, key };
}

/** Fit the whole graph into view once every node is measured. */
function FitWhenMeasured() {
  const ready = useNodesInitialized();
  const { fitView } = useReactFlow();
  useEffect(() => {
    if (!ready) return;
    // After the frame that drew them: React Flow's own first fit can land before every node is placed.
    const t = setTimeout(() => void fitView({ padding: 0.15, maxZoom: 1 }), 80);
    return () => clearTimeout(t);
  }, [ready, fitView]);
  return null;
}

/** The merged graph, read-only; its nodes' measured sizes kept so the view fits all of them. */
function DiffCanvas({ nodes: initial, edges, onPick }: { nodes: FlowNode[]; edges: Edge[]; onPick: (id: string) => void }) {
  const [nodes, , onNodesChange] = useNodesState<FlowNode>(initial);
  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      onNodesChange={onNodesChange}
      nodeTypes={NODE_TYPES}
      nodesDraggable={false}
      nodesConnectable={false}
      elementsSelectable
      onNodeClick={(_, n) => onPick(n.id)}
      fitView
      fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
      minZoom={0.1}
      proOptions={{ hideAttribution: true }}
    >
      <Background gap={16} />
      <Controls showInteractive={false} />
      <FitWhenMeasured />
    </ReactFlow>
  );
}

function FieldTable({ node, beforeLabel, afterLabel }: { node: NodeDiff; beforeLabel: string; afterLabel: string }) {
  return (
    <table className="field-diff" data-testid={`diff-fields-${node.id}`}>
      <thead>
        <tr>
          <th>Field</th>
          <th>{beforeLabel}</th>
          <th>{afterLabel}</th>
        </tr>
      </thead>
      <tbody>
        {node.fields.map((f) => (
          <tr key={f.key}>
            <td>
              <code>{f.key.replace(/^data\./, "")}</code>
            </td>
            <td className="before">{showValue(f.before)}</td>
            <td className="after">{showValue(f.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Two versions on one canvas: nodes and edges added (green), removed (red, dashed) and changed (amber);
 * a changed node's fields side by side. `waiting`: runs waiting now at each node of the live version.
 */
export function VersionDiff({
  before,
  after,
  beforeLabel,
  afterLabel,
  waiting,
  onClose,
  compact,
}: {
  before: WorkflowDefinition;
  after: WorkflowDefinition;
  beforeLabel: string;
  afterLabel: string;
  waiting?: Record<string, number>;
  onClose?: () => void;
  compact?: boolean;
}) {
  const diff = useMemo(() => diffDefinitions(before, after), [before, after]);
  const graph = useMemo(() => mergedGraph(before, after, diff), [before, after, diff]);
  const changes = useMemo(() => new Map(diff.nodes.map((n) => [n.id, n.change])), [diff]);
  const listed = diff.nodes.filter((n) => n.change !== "same");
  const [picked, setPicked] = useState<string | null>(null);
  const shown = listed.find((n) => n.id === picked) ?? listed.find((n) => n.change === "changed") ?? null;

  return (
    <div className={`version-diff${compact ? " compact" : ""}`} data-testid="version-diff">
      <div className="diff-head">
        <strong>
          {beforeLabel} → {afterLabel}
        </strong>
        <span className="legend">
          <span className="diff-tag added">added</span> <span className="diff-tag removed">removed</span> <span className="diff-tag changed">changed</span>
        </span>
        <span className="spacer" />
        {onClose && (
          <button type="button" onClick={onClose} data-testid="diff-close">
            Close diff
          </button>
        )}
      </div>
      <div className="diff-body">
        <div className="diff-canvas">
          <DiffContext.Provider value={changes}>
            <ReactFlowProvider>
              <DiffCanvas key={graph.key} nodes={graph.nodes} edges={graph.edges} onPick={setPicked} />
            </ReactFlowProvider>
          </DiffContext.Provider>
        </div>
        <aside className="diff-side" aria-label="Changes">
          {!diff.changed && <p className="hint">No difference.</p>}
          <ul className="diff-list">
            {listed.map((n) => (
              <li key={n.id}>
                <button type="button" className={`diff-item ${n.change}${shown?.id === n.id ? " current" : ""}`} data-testid={`diff-node-${n.id}`} data-change={n.change} onClick={() => setPicked(n.id)}>
                  <span className={`diff-tag ${n.change}`}>{n.change}</span> {n.id} <span className="hint">{n.kind === "trigger" ? "trigger" : specOf(n.kind).label}</span>
                  {waiting && (
                    <span className="waiting" data-testid={`waiting-${n.id}`}>
                      {waiting[n.id] ?? 0} waiting
                    </span>
                  )}
                </button>
              </li>
            ))}
            {diff.edges
              .filter((e) => e.change !== "same")
              .map((e) => (
                <li key={`edge:${e.key}`} className="hint" data-testid={`diff-edge-${e.key}`}>
                  <span className={`diff-tag ${e.change}`}>{e.change}</span> {e.source}
                  {e.branch ? ` (${e.branch})` : ""} → {e.change === "changed" ? `${e.targetBefore} ⇒ ${e.target}` : e.target}
                </li>
              ))}
            {diff.other.map((o) => (
              <li key={`other:${o.key}`} className="hint">
                <span className="diff-tag changed">changed</span> {o.key}
              </li>
            ))}
          </ul>
          {shown && shown.fields.length > 0 && <FieldTable node={shown} beforeLabel={beforeLabel} afterLabel={afterLabel} />}
        </aside>
      </div>
    </div>
  );
}
