/**
 * The analytics screen's server state: the funnel, the time series, the splits, the insights, who is where,
 * the runs and a run's detail, as TanStack Query hooks; and the two cancels. Errors are ApiError (the API's
 * own message), shown where the figure would be.
 */

import { keepPreviousData, useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import { keys as workflowKeys, request } from "../api/queries";
import type {
  BulkCancelResult,
  ContactRow,
  ContactsQuery,
  Funnel,
  Insight,
  Interval,
  Page,
  Run,
  RunDetail,
  RunFilters,
  SplitResult,
  TimeSeries,
} from "./types";

/** A workflow's path under /api/v1 with the query parameters that have a value. */
export function pathOf(workflowId: string, tail: string, query: Record<string, string | number | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return `/api/v1/workflows/${encodeURIComponent(workflowId)}${tail}${s ? `?${s}` : ""}`;
}

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

export function useFunnel(id: string, version: VersionPick) {
  return useQuery({
    queryKey: analyticsKeys.funnel(id, version),
    staleTime: FRESH,
    queryFn: () => request<Funnel>("GET", pathOf(id, "/stats/funnel", { version })),
  });
}

export function useTimeSeries(id: string, version: VersionPick, from: string, to: string, interval: Interval) {
  return useQuery({
    queryKey: analyticsKeys.series(id, version, from, to, interval),
    staleTime: FRESH,
    placeholderData: keepPreviousData,
    queryFn: () => request<TimeSeries>("GET", pathOf(id, "/stats/timeseries", { from, to, interval, version })),
  });
}

export function useSplits(id: string, version: VersionPick) {
  return useQuery({
    queryKey: analyticsKeys.splits(id, version),
    staleTime: FRESH,
    queryFn: () => request<SplitResult[]>("GET", pathOf(id, "/stats/splits", { version })),
  });
}

export function useInsights(id: string, version: VersionPick) {
  return useQuery({
    queryKey: analyticsKeys.insights(id, version),
    staleTime: FRESH,
    queryFn: () => request<Insight[]>("GET", pathOf(id, "/insights", { version })),
  });
}

export const PAGE_SIZE = 25;

/** Who is where: the contacts of one count on the canvas, newest first, page after page. */
export function useContacts(id: string, version: VersionPick, q: ContactsQuery) {
  return useInfiniteQuery({
    queryKey: analyticsKeys.contacts(id, version, q),
    initialPageParam: null as string | null,
    getNextPageParam: (last: Page<ContactRow>) => last.nextCursor,
    queryFn: ({ pageParam }) =>
      request<Page<ContactRow>>(
        "GET",
        pathOf(id, "/stats/contacts", { nodeId: q.nodeId, state: q.state, branch: q.state === "branch" ? q.branch : null, version, cursor: pageParam, limit: PAGE_SIZE }),
      ),
  });
}

/** The run explorer's list: keyset pages of the runs that match the filters, newest first. */
export function useRuns(id: string, f: RunFilters) {
  return useInfiniteQuery({
    queryKey: analyticsKeys.runs(id, f),
    initialPageParam: null as string | null,
    getNextPageParam: (last: Page<Run>) => last.nextCursor ?? null,
    queryFn: ({ pageParam }) =>
      request<Page<Run>>(
        "GET",
        pathOf(id, "/runs", {
          status: f.status,
          contactId: f.contactId.trim(),
          startedAfter: f.startedAfter,
          startedBefore: f.startedBefore,
          cursor: pageParam,
          limit: PAGE_SIZE,
        }),
      ),
  });
}

export function useRun(id: string, runId: string | null) {
  return useQuery({
    queryKey: analyticsKeys.run(id, runId ?? ""),
    enabled: !!runId,
    queryFn: () => request<RunDetail>("GET", pathOf(id, `/runs/${encodeURIComponent(runId!)}`)),
  });
}

export async function cancelRun(id: string, runId: string): Promise<void> {
  await request<unknown>("POST", pathOf(id, `/runs/${encodeURIComponent(runId)}/cancel`), { reason: "cancelled from the run explorer" });
}

/** Cancel every running run waiting at a node (of one version, or of all when null). */
export async function cancelWaitingAt(id: string, nodeId: string, version: VersionPick): Promise<BulkCancelResult> {
  const body: Record<string, unknown> = { status: "running", currentNodeId: nodeId, reason: `cancelled at ${nodeId} from analytics` };
  if (version !== null) body.version = version;
  return request<BulkCancelResult>("POST", pathOf(id, "/runs/cancel"), body);
}

/** Everything analytics shows of a workflow is stale (after a cancel, or on Refresh). */
export function useRefreshAnalytics(id: string) {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: analyticsKeys.all(id) });
    void client.invalidateQueries({ queryKey: workflowKeys.stats(id) });
  };
}
