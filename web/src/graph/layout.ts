import dagre from "@dagrejs/dagre";
import type { Position } from "../definition/types";
import { NODE_HEIGHT, NODE_WIDTH } from "./types";

export interface LayoutInput {
  nodes: { id: string; width?: number; height?: number }[];
  /** `order`: the place of the edge's branch among its source's branches (left to right). */
  edges: { source: string; target: string; order?: number }[];
}

/**
 * Nodes in depth-first order from the roots, children in branch order: dagre keeps that order where it
 * can, so a node's first branch leads to the left and edges do not cross for nothing.
 */
function visitOrder(input: LayoutInput): LayoutInput["nodes"] {
  const out = new Map<string, [number, string][]>();
  const targets = new Set<string>();
  input.edges.forEach((e, i) => {
    const list = out.get(e.source) ?? [];
    list.push([e.order ?? i, e.target]);
    out.set(e.source, list);
    targets.add(e.target);
  });
  for (const list of out.values()) list.sort((a, b) => a[0] - b[0]);
  const byId = new Map(input.nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const ordered: LayoutInput["nodes"] = [];
  const visit = (root: string) => {
    const stack = [root];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id) || !byId.has(id)) continue;
      seen.add(id);
      ordered.push(byId.get(id)!);
      const children = out.get(id) ?? [];
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]![1]);
    }
  };
  for (const n of input.nodes) if (!targets.has(n.id)) visit(n.id);
  for (const n of input.nodes) visit(n.id);
  return ordered;
}

/**
 * Top-to-bottom dagre layout: the top-left corner of every node (React Flow's position), by id.
 * Pure: the same graph gives the same positions.
 */
export function layoutPositions(input: LayoutInput): Map<string, Position> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 40, ranksep: 70, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set<string>();
  for (const node of visitOrder(input)) {
    ids.add(node.id);
    g.setNode(node.id, { width: node.width ?? NODE_WIDTH, height: node.height ?? NODE_HEIGHT });
  }
  const edges = [...input.edges].sort((a, b) => (a.source === b.source ? (a.order ?? 0) - (b.order ?? 0) : 0));
  for (const edge of edges) {
    if (ids.has(edge.source) && ids.has(edge.target) && edge.source !== edge.target) g.setEdge(edge.source, edge.target);
  }
  // Keep a branching node's targets left to right in branch order (dagre alone does not know handles).
  const constraints: { left: string; right: string }[] = [];
  const bySource = new Map<string, string[]>();
  for (const edge of edges) {
    if (edge.order === undefined || !ids.has(edge.target)) continue;
    const list = bySource.get(edge.source) ?? [];
    if (!list.includes(edge.target)) list.push(edge.target);
    bySource.set(edge.source, list);
  }
  for (const targets of bySource.values()) {
    for (let i = 0; i + 1 < targets.length; i++) constraints.push({ left: targets[i]!, right: targets[i + 1]! });
  }
  dagre.layout(g, { constraints });
  const out = new Map<string, Position>();
  for (const node of input.nodes) {
    const laid = g.node(node.id);
    const w = node.width ?? NODE_WIDTH;
    const h = node.height ?? NODE_HEIGHT;
    out.set(node.id, { x: Math.round(laid.x - w / 2), y: Math.round(laid.y - h / 2) });
  }
  return out;
}
