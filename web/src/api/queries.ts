/**
 * Server state: every request the screens make, as TanStack Query hooks over the typed client. Errors are
 * thrown as ApiError (the API's own message), for the screen to show in place.
 */

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { WorkflowDefinition } from "../definition/types";
import { api, getToken, notifyUnauthorized, type components, type paths } from "./client";

export type WorkflowOut = components["schemas"]["WorkflowOut"];
export type WorkflowSummary = components["schemas"]["WorkflowSummary"];
export type VersionOut = components["schemas"]["VersionOut"];
export type Problem = components["schemas"]["ProblemOut"];
export type StatsOut = components["schemas"]["StatsOut"];
export type WorkflowStatus = WorkflowOut["status"];

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

interface Result<T> {
  data?: { data: T };
  error?: unknown;
  response: Response;
}

/** The data of an API envelope, or an ApiError with the API's message. */
export function unwrap<T>(r: Result<T>): T {
  if (r.data !== undefined && r.response.ok) return r.data.data;
  throw toError(r.error, r.response.status);
}

function toError(body: unknown, status: number): ApiError {
  const e = (body as { error?: { message?: string; code?: string; details?: unknown } } | undefined)?.error;
  if (e?.message) return new ApiError(e.message, status, e.code, e.details);
  if (status === 401) return new ApiError("Your session has ended: sign in again.", status);
  if (status === 0) return new ApiError("The API cannot be reached.", status);
  return new ApiError(`The API answered ${status}.`, status);
}

/** A request to an endpoint by path (for the few the generated types may not list yet). */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError("The API cannot be reached.", 0);
  }
  if (response.status === 401) notifyUnauthorized();
  const parsed: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw toError(parsed, response.status);
  return (parsed as { data: T }).data;
}

export const keys = {
  workflows: ["workflows"] as const,
  list: (filters: ListFilters) => ["workflows", "list", filters] as const,
  workflow: (id: string) => ["workflows", "one", id] as const,
  versions: (id: string) => ["workflows", "versions", id] as const,
  stats: (id: string) => ["workflows", "stats", id] as const,
  waiting: (id: string) => ["workflows", "waiting", id] as const,
  eventTypes: ["event-types"] as const,
};

export interface ListFilters {
  q?: string;
  status?: WorkflowStatus;
  triggerType?: string;
  cursor?: string;
  limit?: number;
}

export function useWorkflowList(filters: ListFilters) {
  return useQuery({
    queryKey: keys.list(filters),
    placeholderData: keepPreviousData,
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/workflows", {
          params: {
            query: {
              q: filters.q || undefined,
              status: filters.status,
              triggerType: filters.triggerType || undefined,
              cursor: filters.cursor,
              limit: filters.limit ?? 20,
            },
          },
        }),
      ),
  });
}

export function useWorkflow(id: string | null) {
  return useQuery({
    queryKey: keys.workflow(id ?? ""),
    enabled: !!id,
    queryFn: async () => unwrap(await api.GET("/api/v1/workflows/{workflow_id}", { params: { path: { workflow_id: id! } } })),
  });
}

export async function fetchStats(id: string): Promise<StatsOut> {
  return unwrap(await api.GET("/api/v1/workflows/{workflow_id}/stats", { params: { path: { workflow_id: id } } }));
}

export function useStats(id: string | null, enabled = true) {
  return useQuery({ queryKey: keys.stats(id ?? ""), enabled: !!id && enabled, queryFn: () => fetchStats(id!), staleTime: 5_000 });
}

export function useVersions(id: string | null) {
  return useQuery({
    queryKey: keys.versions(id ?? ""),
    enabled: !!id,
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/workflows/{workflow_id}/versions", { params: { path: { workflow_id: id! } } })),
  });
}

/** Runs waiting now at each node of one version. */
export interface Waiting {
  total: number;
  byNode: Record<string, number>;
}

/** The waiting counts of `version` (the live one) by node, from the API's (version, nodeId, count) rows. */
export function waitingIn(rows: readonly { version: number; nodeId: string; count: number }[], version: number): Waiting {
  const byNode: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    if (r.version !== version) continue;
    byNode[r.nodeId] = (byNode[r.nodeId] ?? 0) + r.count;
    total += r.count;
  }
  return { total, byNode };
}

export function useWaiting(id: string | null, version: number | null, enabled = true) {
  return useQuery({
    queryKey: [...keys.waiting(id ?? ""), version],
    enabled: !!id && version !== null && enabled,
    queryFn: async () =>
      waitingIn(unwrap(await api.GET("/api/v1/workflows/{workflow_id}/waiting", { params: { path: { workflow_id: id! } } })), version!),
  });
}

export function useEventTypes() {
  return useQuery({
    queryKey: keys.eventTypes,
    staleTime: 60_000,
    enabled: !!getToken(),
    queryFn: async () => unwrap(await api.GET("/api/v1/event-types")),
  });
}

type CreateBody = components["schemas"]["WorkflowCreate"];
type UpdateBody = components["schemas"]["WorkflowUpdate"];
type ValidateBody = NonNullable<paths["/api/v1/workflows/validate"]["post"]["requestBody"]>["content"]["application/json"];

/**
 * The API's body for a definition (what WorkflowCreate and WorkflowUpdate take). The editor's definition is
 * checked by the API (validate, then save); its shape here is the engine's, kept as written.
 */
export function bodyOf(definition: WorkflowDefinition): CreateBody {
  const body = {
    name: (definition.name ?? "").trim() || "Untitled workflow",
    description: definition.description ?? null,
    trigger: definition.trigger as Record<string, unknown>,
    nodes: (definition.nodes ?? []) as Record<string, unknown>[],
    edges: (definition.edges ?? []) as Record<string, unknown>[],
    goals: (definition.goals ?? []) as Record<string, unknown>[],
    settings: (definition.settings ?? {}) as Record<string, unknown>,
  };
  return body as unknown as CreateBody;
}

export async function createWorkflow(definition: WorkflowDefinition): Promise<WorkflowOut> {
  return unwrap(await api.POST("/api/v1/workflows", { body: bodyOf(definition) }));
}

export async function saveWorkflow(id: string, definition: WorkflowDefinition, changelog?: string): Promise<WorkflowOut> {
  const body = { ...bodyOf(definition), ...(changelog ? { changelog } : {}) } as UpdateBody;
  return unwrap(await api.PATCH("/api/v1/workflows/{workflow_id}", { params: { path: { workflow_id: id } }, body }));
}

export async function validateDefinition(definition: WorkflowDefinition) {
  return unwrap(await api.POST("/api/v1/workflows/validate", { body: definition as unknown as ValidateBody }));
}

export type Transition = "activate" | "pause" | "archive";

export async function transition(id: string, action: Transition, cancelRuns = false): Promise<WorkflowOut> {
  const path = { workflow_id: id };
  if (action === "activate") return unwrap(await api.POST("/api/v1/workflows/{workflow_id}/activate", { params: { path } }));
  if (action === "pause") return unwrap(await api.POST("/api/v1/workflows/{workflow_id}/pause", { params: { path } }));
  return unwrap(await api.DELETE("/api/v1/workflows/{workflow_id}", { params: { path, query: { cancelRuns } } }));
}

export async function revertTo(id: string, version: number): Promise<WorkflowOut> {
  return unwrap(
    await api.POST("/api/v1/workflows/{workflow_id}/versions/{version}/revert", { params: { path: { workflow_id: id, version } } }),
  );
}

export async function duplicateWorkflow(id: string): Promise<WorkflowOut> {
  return unwrap(await api.POST("/api/v1/workflows/{workflow_id}/duplicate", { params: { path: { workflow_id: id } }, body: {} }));
}

export async function rotateWebhookToken(id: string) {
  return unwrap(await api.POST("/api/v1/workflows/{workflow_id}/webhook-token/rotate", { params: { path: { workflow_id: id } } }));
}

export async function devSignIn(tenantId: string, userId: string): Promise<string> {
  return unwrap(await api.POST("/api/v1/dev/token", { body: { tenantId, userId } })).token;
}

/** Invalidate what a change to one workflow makes stale. */
export function useInvalidateWorkflow() {
  const client = useQueryClient();
  return (id?: string) => {
    void client.invalidateQueries({ queryKey: keys.workflows });
    if (id) void client.invalidateQueries({ queryKey: keys.workflow(id) });
  };
}

export { useMutation };
