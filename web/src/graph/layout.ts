import dagre from "@dagrejs/dagre";
import type { Position } from "../definition/types";
import { NODE_HEIGHT, NODE_WIDTH } from "./types";

export interface LayoutInput {
  nodes: { id: string; width?: number; height?: number }[];
  edges: { source: string; target: string }[];
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
  for (const node of input.nodes) {
    ids.add(node.id);
    g.setNode(node.id, { width: node.width ?? NODE_WIDTH, height: node.height ?? NODE_HEIGHT });
  }
  for (const edge of input.edges) {
    if (ids.has(edge.source) && ids.has(edge.target) && edge.source !== edge.target) g.setEdge(edge.source, edge.target);
  }
  dagre.layout(g);
  const out = new Map<string, Position>();
  for (const node of input.nodes) {
    const laid = g.node(node.id);
    const w = node.width ?? NODE_WIDTH;
    const h = node.height ?? NODE_HEIGHT;
    out.set(node.id, { x: Math.round(laid.x - w / 2), y: Math.round(laid.y - h / 2) });
  }
  return out;
}
