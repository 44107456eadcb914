import { useState } from "react";
import { when } from "./format";
import { useRuns } from "./queries";
import type { RunFilters, RunStatus } from "./types";

const STATUSES: RunStatus[] = ["running", "completed", "goal_reached", "failed", "cancelled", "exited"];
const EMPTY: RunFilters = { status: "", contactId: "", startedAfter: "", startedBefore: "" };

const localToIso = (v: string) => (v ? new Date(v).toISOString() : "");

/** The runs of a workflow, newest first, filtered by status, contact and start time; a page at a time. */
export function RunExplorer({ workflowId, onOpen }: { workflowId: string; onOpen: (runId: string) => void }) {
  const [draft, setDraft] = useState({ status: "" as RunFilters["status"], contactId: "", after: "", before: "" });
  const [filters, setFilters] = useState<RunFilters>(EMPTY);
  const runs = useRuns(workflowId, filters);
  const items = runs.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <div className="run-explorer" data-testid="run-explorer">
      <form
        className="run-filters"
        aria-label="Run filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ status: draft.status, contactId: draft.contactId.trim(), startedAfter: localToIso(draft.after), startedBefore: localToIso(draft.before) });
        }}
      >
        <label>
          Status
          <select value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value as RunFilters["status"] })} data-testid="runs-status">
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace("_", " ")}
              </option>
            ))}
          </select>
        </label>
        <label>
          Contact id
          <input value={draft.contactId} onChange={(e) => setDraft({ ...draft, contactId: e.target.value })} placeholder="any contact" maxLength={255} data-testid="runs-contact" />
        </label>
        <label>
          Started after
          <input type="datetime-local" value={draft.after} onChange={(e) => setDraft({ ...draft, after: e.target.value })} data-testid="runs-after" />
        </label>
        <label>
          Started before
          <input type="datetime-local" value={draft.before} onChange={(e) => setDraft({ ...draft, before: e.target.value })} data-testid="runs-before" />
        </label>
        <div className="row-actions">
          <button type="submit" className="primary" data-testid="runs-apply">
            Search runs
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft({ status: "", contactId: "", after: "", before: "" });
              setFilters(EMPTY);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {runs.isError && (
        <p className="error" role="alert" data-testid="runs-error">
          {runs.error.message}
        </p>
      )}
      {runs.isPending && <p className="hint">Loading…</p>}
      {runs.data && items.length === 0 && <p className="hint" data-testid="runs-empty">No run matches.</p>}
      {items.length > 0 && (
        <table className="data-table run-table" aria-label="Runs" aria-busy={runs.isFetching}>
          <thead>
            <tr>
              <th>Contact</th>
              <th>Status</th>
              <th className="num">Version</th>
              <th>Started</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id} data-testid={`run-row-${r.id}`} data-contact={r.contactId}>
                <td>
                  <button type="button" className="link-button" onClick={() => onOpen(r.id)} aria-label={`Open the run of ${r.contactId}`}>
                    {r.contactId}
                  </button>
                </td>
                <td>
                  <span className={`run-status run-${r.status}`}>{r.status.replace("_", " ")}</span>
                </td>
                <td className="num">v{r.workflowVersion}</td>
                <td>{when(r.startedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {runs.hasNextPage && (
        <button type="button" onClick={() => void runs.fetchNextPage()} disabled={runs.isFetchingNextPage} data-testid="runs-more">
          {runs.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
    </div>
  );
}
