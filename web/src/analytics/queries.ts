/**
 * The analytics screen's server state: the funnel, the time series, the splits, the insights, who is where,
 * the runs and a run's detail, as TanStack Query hooks over the typed client; and the two cancels. Errors are
 * ApiError (the API's own message), shown where the figure would be.
 */

import { keepPreviousData, useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api/client";
import { keys as workflowKeys, unwrap } from "../api/queries";
import type { BulkCancelIn, BulkCancelResult, ContactPage, ContactsQuery, Interval, RunFilters } from "./types";

/** null: across versions. */
export type VersionPick = number | null;

export const analyticsKeys = {
  all: (id: string) => ["analytics", id] as const,
  funnel: (id: string, version: VersionPick) => ["analytics", id, "funnel", version] as const,
  series: (id: string, version: VersionPick, from: string, to: string, interval: Interval) => ["analytics", id, "series", version, from, to, interval] as const,
  splits: (id: string, version: VersionPick) => ["analytics", id, "splits", version] as const,
  insights: (id: string, version: VersionPick) => ["analytics", id, "insights", version] as const,
  contacts: (id: string, version: VersionPick, q: ContactsQuery) => ["analytics", id, "contacts", version, q.nodeId, q.state, q.branch ?? null] as const,
  runs: (id: string, f: RunFilters) => ["analytics", id, "runs", f] as const,
  run: (id: string, runId: string) => ["analytics", id, "run", runId] as const,
};

const FRESH = 5_000;
export const PAGE_SIZE = 20;

export function useFunnel(id: string, version: VersionPick) {
  return useQuery({
    queryKey: analyticsKeys.funnel(id, version),
    staleTime: FRESH,
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/workflows/{workflow_id}/stats/funnel", { params: { path: { workflow_id: id }, query: { version } } })),
  });
}

export function useTimeSeries(id: string, version: VersionPick, from: string, to: string, interval: Interval) {
  return useQuery({
    queryKey: analyticsKeys.series(id, version, from, to, interval),
    staleTime: FRESH,
    placeholderData: keepPreviousData,
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/workflows/{workflow_id}/stats/timeseries", {
          params: { path: { workflow_id: id }, query: { from, to, interval, version } },
        }),
      ),
  });
}

export function useSplits(id: string, version: VersionPick) {
  return useQuery({
    queryKey: analyticsKeys.splits(id, version),
    staleTime: FRESH,
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/workflows/{workflow_id}/stats/splits", { params: { path: { workflow_id: id }, query: { version } } })),
  });
}

export function useInsights(id: string, version: VersionPick) {
  return useQuery({
    queryKey: analyticsKeys.insights(id, version),
    staleTime: FRESH,
    queryFn: async () => unwrap(await api.GET("/api/v1/workflows/{workflow_id}/insights", { params: { path: { workflow_id: id }, query: { version } } })),
  });
}

/** Who is where: the contacts of one count on the canvas, newest first, page after page. */
export function useContacts(id: string, version: VersionPick, q: ContactsQuery) {
  return useInfiniteQuery({
    queryKey: analyticsKeys.contacts(id, version, q),
    initialPageParam: null as string | null,
    getNextPageParam: (last: ContactPage) => last.nextCursor ?? null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/api/v1/workflows/{workflow_id}/stats/contacts", {
          params: {
            path: { workflow_id: id },
            query: { nodeId: q.nodeId, state: q.state, branch: q.state === "branch" ? q.branch : null, version, cursor: pageParam, limit: PAGE_SIZE },
          },
        }),
      ),
  });
}

/** The run explorer's list: keyset pages of the runs that match the filters, newest first. */
export function useRuns(id: string, f: RunFilters) {
  return useInfiniteQuery({
    queryKey: analyticsKeys.runs(id, f),
    initialPageParam: null as string | null,
    getNextPageParam: (last: { nextCursor?: string | null }) => last.nextCursor ?? null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/api/v1/workflows/{workflow_id}/runs", {
          params: {
            path: { workflow_id: id },
            query: {
              status: f.status || null,
              contactId: f.contactId.trim() || null,
              startedAfter: f.startedAfter || null,
              startedBefore: f.startedBefore || null,
              cursor: pageParam,
              limit: PAGE_SIZE,
            },
          },
        }),
      ),
  });
}

export function useRun(id: string, runId: string | null) {
  return useQuery({
    queryKey: analyticsKeys.run(id, runId ?? ""),
    enabled: !!runId,
    queryFn: async () => unwrap(await api.GET("/api/v1/workflows/{workflow_id}/runs/{run_id}", { params: { path: { workflow_id: id, run_id: runId! } } })),
  });
}

export async function cancelRun(id: string, runId: string): Promise<void> {
  unwrap(
    await api.POST("/api/v1/workflows/{workflow_id}/runs/{run_id}/cancel", {
      params: { path: { workflow_id: id, run_id: runId } },
      body: { reason: "cancelled from the run explorer" },
    }),
  );
}

/** Cancel every running run waiting at a node (of one version, or of all when null). */
export async function cancelWaitingAt(id: string, nodeId: string, version: VersionPick): Promise<BulkCancelResult> {
  const body: BulkCancelIn = { status: "running", currentNodeId: nodeId, version, reason: `cancelled at ${nodeId} from analytics`, limit: 10_000 };
  return unwrap(await api.POST("/api/v1/workflows/{workflow_id}/runs/cancel", { params: { path: { workflow_id: id } }, body }));
}

/** Everything analytics shows of a workflow is stale (after a cancel, or on Refresh). */
export function useRefreshAnalytics(id: string) {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: analyticsKeys.all(id) });
    void client.invalidateQueries({ queryKey: workflowKeys.stats(id) });
  };
}
