/**
 * The difference between two versions of a workflow: nodes and edges added, removed and changed, and for a
 * changed node its fields before and after. Positions are not a change (moving a node changes no run).
 * Pure: <VersionDiff> draws it and the publish dialog counts the runs waiting at the changed nodes.
 */

import { branchOf, START, type DefinitionEdge, type DefinitionNode, type Json, type WorkflowDefinition } from "../definition/types";

export type Change = "added" | "removed" | "changed" | "same";

export interface FieldChange {
  /** A dotted path inside the node: `type`, `data.templateId`, `data.conditions`. */
  key: string;
  before: Json | undefined;
  after: Json | undefined;
}

export interface NodeDiff {
  id: string;
  change: Change;
  /** The engine's node type ("trigger" for the trigger). */
  kind: string;
  fields: FieldChange[];
}

export interface EdgeDiff {
  /** source, branch and (for a second edge from the same branch) its rank: what identifies an edge. */
  key: string;
  change: Change;
  source: string;
  branch: string | null;
  target: string;
  /** The target before, for a changed (rewired) edge. */
  targetBefore?: string;
}

export interface DefinitionDiff {
  nodes: NodeDiff[];
  edges: EdgeDiff[];
  /** Changes outside the graph: name, description, goals, settings. */
  other: FieldChange[];
  /** Anything at all changed. */
  changed: boolean;
}

const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

function canonical(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(",")}}`;
}

/** A node's comparable fields: its type, each `data` key, and any other key except position. */
function fieldsOf(node: DefinitionNode | undefined): Map<string, Json> {
  const out = new Map<string, Json>();
  if (!node) return out;
  for (const [k, v] of Object.entries(node)) {
    if (k === "id" || k === "position") continue;
    if (k === "data" && v && typeof v === "object" && !Array.isArray(v)) {
      for (const [dk, dv] of Object.entries(v as Record<string, Json>)) out.set(`data.${dk}`, dv);
    } else out.set(k, v as Json);
  }
  return out;
}

function compareFields(a: Map<string, Json>, b: Map<string, Json>): FieldChange[] {
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  return keys.filter((k) => !same(a.get(k), b.get(k))).map((k) => ({ key: k, before: a.get(k), after: b.get(k) }));
}

function triggerNode(d: WorkflowDefinition): DefinitionNode {
  return { id: START, type: "trigger", data: d.trigger as unknown as Record<string, Json> };
}

function keyedEdges(edges: readonly DefinitionEdge[]): Map<string, DefinitionEdge> {
  const out = new Map<string, DefinitionEdge>();
  const seen = new Map<string, number>();
  for (const e of edges) {
    const base = `${e.source}|${branchOf(e) ?? ""}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.set(n === 0 ? base : `${base}#${n}`, e);
  }
  return out;
}

export function diffDefinitions(before: WorkflowDefinition, after: WorkflowDefinition): DefinitionDiff {
  const a = new Map([triggerNode(before), ...(before.nodes ?? [])].map((n) => [n.id, n]));
  const b = new Map([triggerNode(after), ...(after.nodes ?? [])].map((n) => [n.id, n]));
  const nodes: NodeDiff[] = [];
  for (const [id, node] of b) {
    const old = a.get(id);
    if (!old) nodes.push({ id, change: "added", kind: node.type, fields: compareFields(new Map(), fieldsOf(node)) });
    else {
      const fields = compareFields(fieldsOf(old), fieldsOf(node));
      nodes.push({ id, change: fields.length ? "changed" : "same", kind: node.type, fields });
    }
  }
  for (const [id, node] of a) {
    if (!b.has(id)) nodes.push({ id, change: "removed", kind: node.type, fields: compareFields(fieldsOf(node), new Map()) });
  }

  const ea = keyedEdges(before.edges ?? []);
  const eb = keyedEdges(after.edges ?? []);
  const edges: EdgeDiff[] = [];
  for (const [key, e] of eb) {
    const old = ea.get(key);
    const base = { key, source: e.source, branch: branchOf(e), target: e.target };
    if (!old) edges.push({ ...base, change: "added" });
    else if (old.target !== e.target) edges.push({ ...base, change: "changed", targetBefore: old.target });
    else edges.push({ ...base, change: "same" });
  }
  for (const [key, e] of ea) {
    if (!eb.has(key)) edges.push({ key, change: "removed", source: e.source, branch: branchOf(e), target: e.target });
  }

  const other: FieldChange[] = [];
  for (const k of ["name", "description", "goals", "settings"] as const) {
    if (!same(before[k] ?? null, after[k] ?? null)) other.push({ key: k, before: (before[k] ?? undefined) as Json, after: (after[k] ?? undefined) as Json });
  }
  const changed = other.length > 0 || nodes.some((n) => n.change !== "same") || edges.some((e) => e.change !== "same");
  return { nodes, edges, other, changed };
}

/** Nodes a change touches: changed or removed nodes, and the sources of added, removed or rewired edges. */
export function touchedNodes(diff: DefinitionDiff): Set<string> {
  const out = new Set<string>();
  for (const n of diff.nodes) if (n.change === "changed" || n.change === "removed") out.add(n.id);
  for (const e of diff.edges) if (e.change !== "same") out.add(e.source);
  return out;
}

/** Show a field's value in one line. */
export function showValue(v: Json | undefined): string {
  if (v === undefined) return "—";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}
