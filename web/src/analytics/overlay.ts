/**
 * What the analytics canvas draws over a version's graph: the API's traffic on each drawn edge, and a run's
 * path (the nodes and edges it went through) from its steps. Pure, with Vitest tests beside them.
 */

import type { FunnelEdge } from "./types";

/** A drawn edge as the canvas has it: its branch is its source handle (null for a plain edge). */
export interface DrawnEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
}

export interface Traffic {
  runs: number;
  /** The branch the API counted these runs under (null: a plain edge). */
  branch: string | null;
}

const key = (source: string, target: string, branch: string | null | undefined) => `${source}\u0000${target}\u0000${branch ?? ""}`;

/**
 * The API's runs on each drawn edge. An edge matches the API's edge of the same source, target and branch;
 * an edge the API counts under another branch spelling (a plain edge drawn before its node branched) takes
 * the runs of the same source and target that no other drawn edge matched exactly. Edges with no traffic: 0.
 */
export function trafficByEdge(drawn: readonly DrawnEdge[], counted: readonly FunnelEdge[]): Map<string, Traffic> {
  const exact = new Map<string, FunnelEdge>();
  for (const e of counted) exact.set(key(e.source, e.target, e.branch), e);
  const used = new Set<string>();
  const out = new Map<string, Traffic>();
  const unmatched: DrawnEdge[] = [];
  for (const d of drawn) {
    const k = key(d.source, d.target, d.sourceHandle);
    const hit = exact.get(k);
    if (hit) {
      used.add(k);
      out.set(d.id, { runs: hit.runs, branch: hit.branch });
    } else unmatched.push(d);
  }
  for (const d of unmatched) {
    const rest = counted.filter((e) => e.source === d.source && e.target === d.target && !used.has(key(e.source, e.target, e.branch)));
    rest.forEach((e) => used.add(key(e.source, e.target, e.branch)));
    const runs = rest.reduce((sum, e) => sum + e.runs, 0);
    out.set(d.id, { runs, branch: rest.length === 1 ? rest[0]!.branch : (d.sourceHandle ?? null) });
  }
  return out;
}

/** The runs on the busiest edge (what the thickest line stands for). */
export function busiest(traffic: ReadonlyMap<string, Traffic>): number {
  let max = 0;
  for (const t of traffic.values()) max = Math.max(max, t.runs);
  return max;
}

/** A step as the run detail lists it (in the order the run took them). */
export interface PathStep {
  nodeId: string;
  status: string;
  output?: Record<string, unknown> | null;
}

export interface RunPath {
  /** The nodes the run went through, the trigger first. */
  nodes: string[];
  /** The ids of the drawn edges between them. */
  edges: Set<string>;
  /** The node the run is at now (a pending or running step), or null. */
  current: string | null;
}

export const TRIGGER_ID = "trigger";

/**
 * A run's path on the canvas: the trigger, then every node of its steps but the skipped ones, in their order;
 * the edge between two consecutive nodes is the drawn one from the first to the second, the one of the branch
 * the first step's output names when several join them.
 */
export function runPath(steps: readonly PathStep[], edges: readonly DrawnEdge[]): RunPath {
  const taken = steps.filter((s) => s.status !== "skipped");
  const nodes = [TRIGGER_ID, ...taken.map((s) => s.nodeId)];
  const ids = new Set<string>();
  for (let i = 1; i < nodes.length; i++) {
    const from = nodes[i - 1]!;
    const to = nodes[i]!;
    const joining = edges.filter((e) => e.source === from && e.target === to);
    if (joining.length === 0) continue;
    const branch = i >= 2 ? taken[i - 2]!.output?.branch : undefined;
    const pick = joining.find((e) => typeof branch === "string" && e.sourceHandle === branch) ?? joining[0]!;
    ids.add(pick.id);
  }
  const last = taken[taken.length - 1];
  const current = last && (last.status === "pending" || last.status === "running") ? last.nodeId : null;
  return { nodes: [...new Set(nodes)], edges: ids, current };
}

/**
 * Whether a definition's positions cannot be drawn as they are: two nodes at the same place (a definition
 * written by hand or by a script, every node at 0,0). The canvas then lays the graph out itself.
 */
export function needsLayout(nodes: readonly { id: string; position: { x: number; y: number } }[], placed: ReadonlySet<string>): boolean {
  const seen = new Set<string>();
  for (const n of nodes) {
    if (!placed.has(n.id)) continue;
    const at = `${Math.round(n.position.x)},${Math.round(n.position.y)}`;
    if (seen.has(at)) return true;
    seen.add(at);
  }
  return false;
}
