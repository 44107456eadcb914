/**
 * The workflow definition as the API and the engine read it (streams/engine/model.py). The OpenAPI
 * document types a definition as a free-form object, so its shape is written here, once; every key the
 * editor does not know is kept as it is (the engine's model allows extra keys).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Position {
  x: number;
  y: number;
}

export interface DefinitionNode {
  id: string;
  type: string;
  position?: Position;
  data?: JsonObject;
  [extra: string]: unknown;
}

export interface DefinitionEdge {
  source: string;
  target: string;
  id?: string;
  /** The branch the edge leaves from; the engine also reads `label`, then `sourceHandle` (branch_of). */
  branch?: string | boolean | number | null;
  label?: string | boolean | number | null;
  sourceHandle?: string | boolean | number | null;
  [extra: string]: unknown;
}

export interface Trigger {
  type: string;
  event?: string;
  conditions?: Json;
  segmentId?: string;
  cron?: string;
  timezone?: string;
  audience?: JsonObject;
  token?: string;
  [extra: string]: unknown;
}

export interface WorkflowDefinition {
  id?: string;
  tenantId?: string;
  version?: number;
  status?: string;
  name?: string;
  description?: string | null;
  trigger: Trigger;
  nodes?: DefinitionNode[];
  edges?: DefinitionEdge[];
  goals?: JsonObject[];
  settings?: JsonObject;
  [extra: string]: unknown;
}

/** The id edges leave from when they start at the trigger (streams/engine/model.py START). */
export const START = "trigger";

/** The engine's branch_of: `branch`, else `label`, else `sourceHandle`; booleans and numbers as strings. */
export function branchOf(edge: Pick<DefinitionEdge, "branch" | "label" | "sourceHandle">): string | null {
  let value = edge.branch;
  if (value === undefined || value === null) value = edge.label;
  if (value === undefined || value === null) value = edge.sourceHandle;
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
}
