import type { Edge, Node } from "@xyflow/react";
import type { JsonObject, Trigger } from "../definition/types";

/** A workflow node on the canvas: `kind` is the engine's node type, `config` its `data`. */
export interface StepData extends Record<string, unknown> {
  kind: string;
  config: JsonObject;
  /** Keys of the definition node other than id, type, position and data, kept as they were. */
  extra: Record<string, unknown>;
  /** Whether the definition node had a `data` key (an empty one is written back only then). */
  hadData: boolean;
}

export interface TriggerData extends Record<string, unknown> {
  trigger: Trigger;
}

export type StepNode = Node<StepData, "step">;
export type TriggerNode = Node<TriggerData, "trigger">;
export type FlowNode = StepNode | TriggerNode;

export interface FlowEdgeData extends Record<string, unknown> {
  /** Keys of the definition edge the editor does not own, kept as they were. */
  extra: Record<string, unknown>;
  /** Whether `id` is written back (edges made in the editor always get one). */
  hadId: boolean;
}

export type FlowEdge = Edge<FlowEdgeData>;

/** A definition without its graph: name, description, goals, settings and any other key. */
export type DefinitionMeta = Record<string, unknown>;

export interface Graph {
  nodes: FlowNode[];
  edges: FlowEdge[];
  meta: DefinitionMeta;
}

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 76;
