/** The templates gallery's workflows: every definition file in `examples/templates/`, bundled at build time. */

import type { WorkflowDefinition } from "../definition/types";

const files = import.meta.glob<WorkflowDefinition>(["../../../examples/templates/*.json", "!**/index.json"], { eager: true, import: "default" });
/** The gallery's order: the folder's index, where it lists a file. */
const index = import.meta.glob<{ templates?: { file: string }[] }>("../../../examples/templates/index.json", { eager: true, import: "default" });
const order = (Object.values(index)[0]?.templates ?? []).map((t) => t.file.replace(/\.json$/, ""));
const rank = (key: string) => (order.includes(key) ? order.indexOf(key) : order.length);

export interface Template {
  /** The file's name without `.json`: what `/workflows/new?template=` names. */
  key: string;
  definition: WorkflowDefinition;
}

export const TEMPLATES: Template[] = Object.entries(files)
  .map(([path, definition]) => ({ key: path.replace(/^.*\//, "").replace(/\.json$/, ""), definition }))
  .filter((t) => t.definition && typeof t.definition === "object" && t.definition.trigger)
  .sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key));

export function templateByKey(key: string | null): Template | undefined {
  return TEMPLATES.find((t) => t.key === key);
}

/**
 * A template as a new draft: its content without the keys a saved workflow owns, and without node
 * positions: the files place nodes 100 px apart, closer than a node is wide, so the canvas lays the
 * draft out itself (as Tidy up would).
 */
export function draftFromTemplate(t: Template): WorkflowDefinition {
  const { id: _id, tenantId: _tenant, version: _version, status: _status, ...rest } = structuredClone(t.definition);
  const nodes = rest.nodes?.map(({ position: _position, ...node }) => node);
  return { ...rest, ...(nodes ? { nodes } : {}) } as WorkflowDefinition;
}
