/**
 * The analytics API's shapes, from the generated OpenAPI types (`/stats/timeseries`, `/stats/funnel`,
 * `/stats/splits`, `/insights`, `/stats/contacts`) and the runs endpoints'. Only the run explorer's filters
 * are the screen's own.
 */

import type { components, operations } from "../api/schema";

type S = components["schemas"];

export type Run = S["RunOut"];
export type RunDetail = S["RunDetailOut"];
export type Step = S["StepOut"];
export type RunStatus = Run["status"];
export type WaitingFor = NonNullable<RunDetail["waitingFor"]>;

export type TimeSeries = S["TimeSeriesOut"];
export type Bucket = S["TimeBucketOut"];
export type Interval = TimeSeries["interval"];

export type Funnel = S["FunnelOut"];
export type FunnelNode = S["FunnelNodeOut"];
/** Runs that went from `source` to `target`, by the branch taken (null: a plain edge). */
export type FunnelEdge = S["FunnelEdgeOut"];

export type SplitResult = S["SplitOut"];
export type SplitVariant = S["SplitVariantOut"];
export type SplitComparison = S["SplitComparisonOut"];

export type Insight = S["InsightOut"];

export type ContactRow = S["ContactAtNodeOut"];
export type ContactPage = S["Page_ContactAtNodeOut_"];
/** Which contacts of a node "who is where" lists. */
export type ContactState = NonNullable<operations["contacts_at_node_api_v1_workflows__workflow_id__stats_contacts_get"]["parameters"]["query"]["state"]>;

export interface ContactsQuery {
  nodeId: string;
  state: ContactState;
  /** The branch id (state "branch" only). */
  branch?: string | null;
}

export type BulkCancelIn = S["BulkCancelIn"];
export type BulkCancelResult = S["BulkCancelOut"];

/** The run explorer's filters (empty strings: not filtered). */
export interface RunFilters {
  status: RunStatus | "";
  contactId: string;
  /** ISO 8601 or "". */
  startedAfter: string;
  startedBefore: string;
}
