/**
 * The analytics API's shapes (`/api/v1/workflows/{id}/stats/*`, `/insights`), as the API answers them inside
 * its `{"data": ...}` envelope. Runs and steps are the generated types of the runs endpoints.
 */

import type { components } from "../api/schema";

export type Run = components["schemas"]["RunOut"];
export type RunDetail = components["schemas"]["RunDetailOut"];
export type Step = components["schemas"]["StepOut"];
export type RunStatus = Run["status"];
export type WaitingFor = NonNullable<RunDetail["waitingFor"]>;

export type Interval = "hour" | "day";

/** Runs per bucket of the time series; every bucket of the range is present, zeros included. */
export interface Bucket {
  /** ISO 8601 with the workflow's time zone offset. */
  start: string;
  started: number;
  completed: number;
  goalReached: number;
  failed: number;
  cancelled: number;
  exited: number;
}

export interface TimeSeries {
  interval: Interval;
  timeZone: string;
  buckets: Bucket[];
}

export interface FunnelNode {
  nodeId: string;
  nodeType: string;
  entered: number;
  completed: number;
  failed: number;
  skipped: number;
  waitingNow: number;
  droppedOff: number;
  dropOffRate: number;
}

/** Runs that went from `source` to `target`, by the branch taken (null: a plain edge). */
export interface FunnelEdge {
  source: string;
  target: string;
  branch: string | null;
  runs: number;
}

export interface Funnel {
  version: number | null;
  nodes: FunnelNode[];
  edges: FunnelEdge[];
}

export interface SplitVariant {
  variantId: string;
  weight: number;
  entered: number;
  converted: number;
  conversionRate: number;
  ciLow: number;
  ciHigh: number;
}

export interface SplitComparison {
  baselineId: string;
  bestId: string;
  pValue: number | null;
  significant: boolean;
  winner: string | null;
  /** The comparison in plain words, written by the API. */
  summary: string;
}

export interface SplitResult {
  nodeId: string;
  goalId: string | null;
  minSample: number;
  variants: SplitVariant[];
  comparison: SplitComparison | null;
}

export type InsightKind =
  | "split_winner"
  | "node_failure_rate"
  | "goal_before_node"
  | "night_sends"
  | "goal_never_reached"
  | "branch_never_taken";

export interface Insight {
  kind: InsightKind | string;
  severity: "info" | "warning";
  nodeId: string | null;
  title: string;
  detail: string;
  evidence: Record<string, unknown>;
}

/** Which contacts of a node "who is where" lists. */
export type ContactState = "waiting" | "entered" | "failed" | "branch";

export interface ContactsQuery {
  nodeId: string;
  state: ContactState;
  /** The branch id (state "branch" only). */
  branch?: string | null;
}

export interface ContactRow {
  runId: string;
  contactId: string;
  status: RunStatus | string;
  currentNodeId: string | null;
  version: number;
  startedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface BulkCancelResult {
  cancelRequested: number;
  more: boolean;
}

/** The run explorer's filters (empty strings: not filtered). */
export interface RunFilters {
  status: RunStatus | "";
  contactId: string;
  /** ISO 8601 or "". */
  startedAfter: string;
  startedBefore: string;
}
