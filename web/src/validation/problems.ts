/**
 * Validation problems pinned to what they concern: a node (by `nodeId`, else a `nodes[i]` path, the trigger
 * for a `trigger` path), an edge (by `edgeId`, else an `edges[i]` path), or the workflow as a whole.
 * Pure: the canvas, the panel and the Activate button all read its result.
 */

import { START } from "../definition/types";

export interface Problem {
  path: string;
  code: string;
  message: string;
  severity: "error" | "warning";
  nodeId?: string | null;
  edgeId?: string | null;
}

export interface PinnedProblem extends Problem {
  /** The canvas node the problem is pinned to (the trigger's id for the trigger). */
  node: string | null;
  /** The canvas edge the problem is pinned to. */
  edge: string | null;
}

export interface Pinned {
  items: PinnedProblem[];
  byNode: Map<string, PinnedProblem[]>;
  byEdge: Map<string, PinnedProblem[]>;
  errors: number;
  warnings: number;
}

export const NO_PROBLEMS: Pinned = { items: [], byNode: new Map(), byEdge: new Map(), errors: 0, warnings: 0 };

/**
 * `nodeIds` / `edgeIds`: the ids of the definition's nodes and edges in the order they were sent (a path
 * such as `$.edges[2].target` names the third; edges without an id in the definition still have one on the
 * canvas).
 */
export function pinProblems(problems: readonly Problem[], nodeIds: readonly string[], edgeIds: readonly string[]): Pinned {
  const byNode = new Map<string, PinnedProblem[]>();
  const byEdge = new Map<string, PinnedProblem[]>();
  const known = new Set(nodeIds);
  const knownEdges = new Set(edgeIds);
  let errors = 0;
  let warnings = 0;
  const items = problems.map((p) => {
    let node: string | null = null;
    let edge: string | null = null;
    if (p.edgeId && knownEdges.has(p.edgeId)) edge = p.edgeId;
    else {
      const m = /(?:^|[.$])edges\[(\d+)\]/.exec(p.path);
      if (m) edge = edgeIds[Number(m[1])] ?? null;
    }
    if (p.nodeId && (known.has(p.nodeId) || p.nodeId === START)) node = p.nodeId;
    else if (!edge) {
      const m = /(?:^|[.$])nodes\[(\d+)\]/.exec(p.path);
      if (m) node = nodeIds[Number(m[1])] ?? null;
      else if (/^\$?\.?trigger\b/.test(p.path)) node = START;
    }
    const pinned: PinnedProblem = { ...p, node, edge };
    if (node) byNode.set(node, [...(byNode.get(node) ?? []), pinned]);
    if (edge) byEdge.set(edge, [...(byEdge.get(edge) ?? []), pinned]);
    if (p.severity === "error") errors += 1;
    else warnings += 1;
    return pinned;
  });
  // Errors first, then warnings; otherwise in the API's order.
  items.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
  return { items, byNode, byEdge, errors, warnings };
}

/** The worst severity among a node's or edge's problems. */
export function worst(problems: readonly Problem[] | undefined): "error" | "warning" | null {
  if (!problems || problems.length === 0) return null;
  return problems.some((p) => p.severity === "error") ? "error" : "warning";
}
