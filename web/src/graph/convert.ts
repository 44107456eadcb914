/**
 * The graph <-> definition mapping: the only place that knows both shapes. Pure functions.
 *
 * definition -> graph: the trigger is a node with id "trigger" (the id edges from it name); every
 * definition node is a "step" node; every edge keeps its place in the list. An edge leaving a branching
 * node (condition, switch, split) gets `sourceHandle` = its branch (the engine's branch_of: `branch`, else
 * `label`, else `sourceHandle`), so it is drawn from the handle of that branch id.
 *
 * graph -> definition: an edge leaving a branching node is written with `branch` and `sourceHandle`, both
 * the id of the handle it is drawn from: what is drawn is what runs. Every other key of a definition, node
 * or edge is written back as it was read, in the same order of nodes and edges.
 *
 * Positions: a node's `position` is read when present; nodes without one (and the trigger, which the
 * definition does not place) are laid out with dagre. Every node is written with its position, rounded to
 * whole pixels; the trigger's position is not written.
 */

import type { DefinitionEdge, DefinitionNode, JsonObject, Trigger, WorkflowDefinition } from "../definition/types";
import { START, branchOf } from "../definition/types";
import { specOf } from "../nodes/registry";
import { layoutPositions } from "./layout";
import type { DefinitionMeta, FlowEdge, FlowNode, Graph, StepNode, TriggerNode } from "./types";

export function hasBranches(kind: string, config: JsonObject): boolean {
  const branches = specOf(kind).branches(config);
  return branches !== null && branches.length > 0;
}

/** Edges with the place of their branch among their source's branches, for the layout. */
export function edgesForLayout(nodes: FlowNode[], edges: FlowEdge[]): { source: string; target: string; order: number }[] {
  const order = new Map<string, Map<string, number>>();
  for (const n of nodes) {
    if (n.type !== "step") continue;
    const branches = specOf(n.data.kind).branches(n.data.config);
    if (branches && branches.length > 0) order.set(n.id, new Map(branches.map((b, i) => [b.id, i])));
  }
  return edges.map((e) => ({
    source: e.source,
    target: e.target,
    order: order.get(e.source)?.get(e.sourceHandle ?? "") ?? 0,
  }));
}

/** A stable id for an edge read without one (never written back). */
function readEdgeId(edge: DefinitionEdge, index: number): string {
  return `edge-${index}:${edge.source}->${edge.target}`;
}

export function definitionToGraph(definition: WorkflowDefinition): Graph {
  const { trigger, nodes: defNodes = [], edges: defEdges = [], ...meta } = definition;
  const kinds = new Map<string, { kind: string; config: JsonObject }>();

  const steps: StepNode[] = defNodes.map((node: DefinitionNode) => {
    const { id, type, position, data, ...extra } = node;
    const config = (data ?? {}) as JsonObject;
    kinds.set(id, { kind: type, config });
    return {
      id,
      type: "step",
      position: position ? { x: position.x, y: position.y } : { x: 0, y: 0 },
      data: { kind: type, config, extra, hadData: data !== undefined },
    };
  });

  const edges: FlowEdge[] = defEdges.map((edge, index) => {
    const { source, target, id, ...rest } = edge;
    const from = kinds.get(source);
    let sourceHandle: string | null = null;
    let extra: Record<string, unknown> = rest;
    if (from && hasBranches(from.kind, from.config)) {
      sourceHandle = branchOf(edge);
      // `branch` and `sourceHandle` are rewritten from the handle; `label` stays as it was.
      const { branch: _branch, sourceHandle: _handle, ...kept } = rest;
      extra = kept;
    }
    return {
      id: id ?? readEdgeId(edge, index),
      source,
      target,
      sourceHandle,
      data: { extra, hadId: id !== undefined },
    };
  });

  const triggerNode: TriggerNode = {
    id: START,
    type: "trigger",
    position: { x: 0, y: 0 },
    deletable: false,
    data: { trigger: trigger ?? { type: "event", event: "" } },
  };

  const unplaced = defNodes.filter((n) => !n.position).map((n) => n.id);
  if (unplaced.length > 0) {
    const all: FlowNode[] = [triggerNode, ...steps];
    const laid = layoutPositions({ nodes: all, edges: edgesForLayout(all, edges) });
    const missing = new Set(unplaced);
    for (const node of [triggerNode, ...steps]) {
      if (node.id === START || missing.has(node.id)) node.position = laid.get(node.id) ?? node.position;
    }
  } else {
    triggerNode.position = placeTrigger(steps, edges);
  }
  return { nodes: [triggerNode, ...steps], edges, meta };
}

/** Above the nodes the trigger leads to (or above everything), when every node was placed by hand. */
function placeTrigger(steps: StepNode[], edges: FlowEdge[]): { x: number; y: number } {
  if (steps.length === 0) return { x: 0, y: 0 };
  const firstIds = new Set(edges.filter((e) => e.source === START).map((e) => e.target));
  const first = steps.filter((s) => firstIds.has(s.id));
  const row = first.length > 0 ? first : steps;
  const x = row.reduce((sum, s) => sum + s.position.x, 0) / row.length;
  const top = Math.min(...steps.map((s) => s.position.y));
  return { x: Math.round(x), y: Math.round(top - 130) };
}

export function graphToDefinition(graph: Graph): WorkflowDefinition {
  const triggerNode = graph.nodes.find((n): n is TriggerNode => n.type === "trigger");
  const steps = graph.nodes.filter((n): n is StepNode => n.type === "step");
  const byId = new Map(steps.map((s) => [s.id, s]));

  const nodes: DefinitionNode[] = steps.map((s) => {
    const { kind, config, extra, hadData } = s.data;
    const node: DefinitionNode = {
      ...extra,
      id: s.id,
      type: kind,
      position: { x: Math.round(s.position.x), y: Math.round(s.position.y) },
    };
    if (hadData || Object.keys(config).length > 0) node.data = config;
    return node;
  });

  const edges: DefinitionEdge[] = graph.edges.map((e) => {
    const data = e.data ?? { extra: {}, hadId: true };
    const edge: DefinitionEdge = { ...data.extra, source: e.source, target: e.target };
    if (data.hadId) edge.id = e.id;
    const from = byId.get(e.source);
    if (from && hasBranches(from.data.kind, from.data.config) && e.sourceHandle != null) {
      edge.branch = e.sourceHandle;
      edge.sourceHandle = e.sourceHandle;
    }
    return edge;
  });

  const trigger: Trigger = triggerNode ? triggerNode.data.trigger : { type: "event", event: "" };
  const meta: DefinitionMeta = graph.meta;
  return { ...meta, trigger, nodes, edges } as WorkflowDefinition;
}

/**
 * The edges to keep after a node's data changed: an edge leaving `nodeId` from a branch that existed
 * before and exists no more (a deleted switch case or split variant) goes; every other edge stays on the
 * branch id it was drawn from, whatever the new order of cases or variants. A node whose one plain edge
 * becomes branches (run_workflow set to wait) keeps that edge on its first branch (`completed`), and back.
 */
export function pruneRemovedBranches(
  nodeId: string,
  kind: string,
  before: JsonObject,
  after: JsonObject,
  edges: FlowEdge[],
): FlowEdge[] {
  const spec = specOf(kind);
  const was = spec.branches(before);
  const is = spec.branches(after);
  const leaves = (e: FlowEdge) => e.source === nodeId;
  // One plain edge <-> branches (run_workflow's wait): the plain edge is the first branch's, and back.
  const first = is?.[0]?.id;
  if (was === null && first !== undefined) return edges.map((e) => (leaves(e) && e.sourceHandle == null ? { ...e, sourceHandle: first } : e));
  const firstWas = was?.[0]?.id;
  if (is === null && firstWas !== undefined) {
    return edges
      .filter((e) => !leaves(e) || e.sourceHandle == null || e.sourceHandle === firstWas)
      .map((e) => (leaves(e) && e.sourceHandle === firstWas ? { ...e, sourceHandle: null } : e));
  }
  const old = new Set((was ?? []).map((b) => b.id));
  const now = new Set((is ?? []).map((b) => b.id));
  const removed = [...old].filter((id) => !now.has(id));
  if (removed.length === 0) return edges;
  return edges.filter((e) => e.source !== nodeId || e.sourceHandle == null || !removed.includes(e.sourceHandle));
}
