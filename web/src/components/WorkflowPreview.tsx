import { useMemo } from "react";
import type { WorkflowDefinition } from "../definition/types";
import { definitionToGraph } from "../graph/convert";
import { NODE_HEIGHT, NODE_WIDTH } from "../graph/types";
import { specOf } from "../nodes/registry";

/** A small read-only drawing of a workflow's graph: nodes in their colours, edges between them. */
export function WorkflowPreview({ definition, label }: { definition: WorkflowDefinition; label: string }) {
  const graph = useMemo(() => definitionToGraph(definition), [definition]);
  const box = useMemo(() => {
    const xs = graph.nodes.map((n) => n.position.x);
    const ys = graph.nodes.map((n) => n.position.y);
    const minX = Math.min(...xs, 0) - 20;
    const minY = Math.min(...ys, 0) - 20;
    return { minX, minY, w: Math.max(...xs, 0) + NODE_WIDTH + 20 - minX, h: Math.max(...ys, 0) + NODE_HEIGHT + 20 - minY };
  }, [graph]);
  const at = new Map(graph.nodes.map((n) => [n.id, n.position]));
  return (
    <svg className="preview" viewBox={`${box.minX} ${box.minY} ${box.w} ${box.h}`} role="img" aria-label={label} preserveAspectRatio="xMidYMid meet">
      {graph.edges.map((e) => {
        const a = at.get(e.source);
        const b = at.get(e.target);
        if (!a || !b) return null;
        return (
          <line key={e.id} x1={a.x + NODE_WIDTH / 2} y1={a.y + NODE_HEIGHT} x2={b.x + NODE_WIDTH / 2} y2={b.y} stroke="#94a3b8" strokeWidth={6} />
        );
      })}
      {graph.nodes.map((n) => {
        const spec = specOf(n.type === "trigger" ? "trigger" : n.data.kind);
        return (
          <g key={n.id}>
            <rect x={n.position.x} y={n.position.y} width={NODE_WIDTH} height={NODE_HEIGHT} rx={12} fill="#fff" stroke={spec.colour} strokeWidth={6} />
            <rect x={n.position.x} y={n.position.y} width={NODE_WIDTH} height={18} rx={6} fill={spec.colour} />
            <text x={n.position.x + 14} y={n.position.y + 55} fontSize={30} fill="#334155">
              {n.type === "trigger" ? "Trigger" : spec.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
