import { useEffect, useState } from "react";
import { setToken } from "../api/client";
import { duplicateWorkflow, useInvalidateWorkflow, useWorkflowList, type ListFilters, type WorkflowStatus, type WorkflowSummary } from "../api/queries";
import { Link, navigate } from "../app/router";
import { TRIGGER_TYPES, triggerLabel } from "../nodes/registry";
import { StatusDialog } from "./StatusDialog";
import { TemplateGallery } from "./TemplateGallery";

const STATUSES: WorkflowStatus[] = ["draft", "active", "paused", "archived"];
const PAGE = 20;

export function ago(iso: string, now = Date.now()): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return iso;
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

function Row({ w, onArchive }: { w: WorkflowSummary; onArchive: () => void }) {
  const invalidate = useInvalidateWorkflow();
  const [error, setError] = useState<string | null>(null);
  const type = w.triggerType;
  return (
    <tr data-testid={`workflow-row-${w.id}`}>
      <td>
        <Link to={`/workflows/${w.id}`} className="workflow-link">
          {w.name}
        </Link>
        {w.description && <div className="hint">{w.description}</div>}
        {error && <div className="error" role="alert">{error}</div>}
      </td>
      <td>
        <span className={`status status-${w.status}`}>{w.status}</span>
      </td>
      <td>{triggerLabel(type)}</td>
      <td className="num" data-testid={`runs-${w.id}`} title={`${w.runningRuns} running, ${w.completedRuns} completed, ${w.goalReachedRuns} reached a goal`}>
        {w.totalRuns}
      </td>
      <td className="num" data-testid={`conversion-${w.id}`}>
        {w.totalRuns ? `${w.conversionRate.toFixed(1)}%` : "—"}
      </td>
      <td title={new Date(w.updatedAt).toLocaleString()}>{ago(w.updatedAt)} · v{w.version}</td>
      <td>
        <div className="row-actions">
        <button
          type="button"
          data-testid={`duplicate-${w.id}`}
          onClick={async () => {
            setError(null);
            try {
              const copy = await duplicateWorkflow(w.id);
              invalidate();
              navigate(`/workflows/${copy.id}`);
            } catch (e) {
              setError(e instanceof Error ? e.message : String(e));
            }
          }}
        >
          Duplicate
        </button>
        {w.status !== "archived" && (
          <button type="button" data-testid={`archive-${w.id}`} onClick={onArchive}>
            Archive
          </button>
        )}
        </div>
      </td>
    </tr>
  );
}

/** The tenant's workflows with the API's search, filters and pages; create, duplicate, archive. */
export function WorkflowList() {
  const [q, setQ] = useState("");
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState<WorkflowStatus | "">("");
  const [triggerType, setTriggerType] = useState("");
  // The cursors of the pages before this one: Previous pops one.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [archiving, setArchiving] = useState<WorkflowSummary | null>(null);
  const [gallery, setGallery] = useState(false);

  useEffect(() => {
    const t = setTimeout(() => {
      setSearch(q.trim());
      if (q.trim() !== search) setCursors([undefined]);
    }, 300);
    return () => clearTimeout(t);
  }, [q, search]);

  const filters: ListFilters = { q: search, status: status || undefined, triggerType, cursor: cursors[cursors.length - 1], limit: PAGE };
  const list = useWorkflowList(filters);
  const items = list.data?.items ?? [];

  return (
    <main className="list-screen">
      <header className="toolbar">
        <strong className="brand">Workflows</strong>
        <span className="spacer" />
        <button type="button" className="primary" data-testid="create-blank" onClick={() => navigate("/workflows/new?blank=1")}>
          New workflow
        </button>
        <button type="button" data-testid="create-from-template" onClick={() => setGallery(true)}>
          From a template
        </button>
        <button
          type="button"
          className="link-button"
          onClick={() => {
            setToken(null);
            navigate("/sign-in", { force: true });
          }}
        >
          Sign out
        </button>
      </header>
      <section className="list-body">
        <div className="filters" role="search">
          <input aria-label="Search by name" placeholder="Search by name" data-testid="workflow-search" value={q} onChange={(e) => setQ(e.target.value)} />
          <select aria-label="Status" data-testid="filter-status" value={status} onChange={(e) => {
              setStatus(e.target.value as WorkflowStatus | "");
              setCursors([undefined]);
            }}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          <select aria-label="Trigger type" data-testid="filter-trigger" value={triggerType} onChange={(e) => {
              setTriggerType(e.target.value);
              setCursors([undefined]);
            }}>
            <option value="">Any trigger</option>
            {TRIGGER_TYPES.map((t) => (
              <option key={t} value={t}>
                {triggerLabel(t)}
              </option>
            ))}
          </select>
        </div>
        {list.isError && (
          <p className="error" role="alert">
            {list.error.message}
          </p>
        )}
        <table className="workflow-table" data-testid="workflow-list" aria-busy={list.isFetching}>
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Trigger</th>
              <th className="num">Runs</th>
              <th className="num">Conversion</th>
              <th>Last change</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((w) => (
              <Row key={w.id} w={w} onArchive={() => setArchiving(w)} />
            ))}
            {!list.isLoading && items.length === 0 && (
              <tr>
                <td colSpan={7} className="hint">
                  {search || status || triggerType ? "No workflow matches." : "No workflows yet: start a new one or pick a template."}
                </td>
              </tr>
            )}
          </tbody>
        </table>
        <nav className="pager" aria-label="Pages">
          <button type="button" data-testid="page-previous" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
            Previous
          </button>
          <span className="hint">Page {cursors.length}</span>
          <button
            type="button"
            data-testid="page-next"
            disabled={!list.data?.nextCursor}
            onClick={() => list.data?.nextCursor && setCursors([...cursors, list.data.nextCursor])}
          >
            Next
          </button>
        </nav>
      </section>
      {archiving && <StatusDialog workflow={archiving} action="archive" onClose={() => setArchiving(null)} />}
      {gallery && <TemplateGallery onClose={() => setGallery(false)} />}
    </main>
  );
}
