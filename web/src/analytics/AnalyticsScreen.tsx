import { useMemo, useState } from "react";
import { useVersions, useWorkflow, type WorkflowOut } from "../api/queries";
import { Link, navigate } from "../app/router";
import { definitionOf } from "../components/WorkflowEditor";
import { definitionToGraph } from "../graph/convert";
import { AnalyticsCanvas, type FocusRequest } from "./AnalyticsCanvas";
import { ContactsPanel } from "./ContactsPanel";
import { FunnelChart } from "./FunnelChart";
import { InsightsPanel } from "./InsightsPanel";
import { runPath } from "./overlay";
import { useFunnel, useInsights, useRefreshAnalytics, useRun, useSplits, type VersionPick } from "./queries";
import { RunDetailView } from "./RunDetailView";
import { RunExplorer } from "./RunExplorer";
import { RunTotals } from "./RunTotals";
import { SplitTable } from "./SplitTable";
import { TrendChart } from "./TrendChart";
import type { ContactsQuery, FunnelNode } from "./types";
import "./analytics.css";

type Tab = "overview" | "splits" | "insights" | "runs";
const TABS: { id: Tab; label: string }[] = [
  { id: "overview", label: "Overview" },
  { id: "splits", label: "Splits" },
  { id: "insights", label: "Insights" },
  { id: "runs", label: "Runs" },
];

/** What the side panel shows over its tabs: a list of contacts, or a run. */
type Detail = { kind: "contacts"; query: ContactsQuery } | { kind: "run"; runId: string };

/** `/workflows/{id}/analytics`: the workflow's figures; `?version=N` picks one version. */
export function AnalyticsScreen({ workflowId, version }: { workflowId: string; version: number | null }) {
  const server = useWorkflow(workflowId);
  if (server.isError) {
    return (
      <main className="placeholder" role="alert">
        <h1>This workflow cannot be opened</h1>
        <p className="error">{server.error.message}</p>
        <button type="button" onClick={() => navigate("/workflows")}>
          Back to the list
        </button>
      </main>
    );
  }
  if (!server.data) return <main className="placeholder">Loading…</main>;
  return <Analytics workflow={server.data} initialVersion={version} />;
}

function Analytics({ workflow, initialVersion }: { workflow: WorkflowOut; initialVersion: number | null }) {
  const id = workflow.id;
  const [version, setVersionState] = useState<VersionPick>(initialVersion);
  const [tab, setTab] = useState<Tab>("overview");
  const [stack, setStack] = useState<Detail[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [focus, setFocus] = useState<FocusRequest | null>(null);
  const refresh = useRefreshAnalytics(id);

  const versions = useVersions(id);
  const funnel = useFunnel(id, version);
  const splits = useSplits(id, version);
  const insights = useInsights(id, version);

  const detail = stack[stack.length - 1] ?? null;
  const openRunId = detail?.kind === "run" ? detail.runId : null;
  const run = useRun(id, openRunId);

  const setVersion = (v: VersionPick) => {
    setVersionState(v);
    const q = v === null ? "" : `?version=${v}`;
    window.history.replaceState(null, "", `/workflows/${id}/analytics${q}`);
  };

  // The canvas shows the open run's version, else the picked one, else the live one.
  const shownVersion = run.data && openRunId ? run.data.workflowVersion : (version ?? workflow.version);
  const definition = useMemo(() => {
    const v = versions.data?.find((x) => x.version === shownVersion);
    return v && shownVersion !== workflow.version ? definitionOf(v, workflow.name) : definitionOf(workflow, workflow.name);
  }, [versions.data, shownVersion, workflow]);
  const drawnEdges = useMemo(() => definitionToGraph(definition).edges, [definition]);
  const path = useMemo(() => (openRunId && run.data ? runPath(run.data.steps, drawnEdges) : null), [openRunId, run.data, drawnEdges]);

  const byNode = useMemo(() => (funnel.data ? new Map<string, FunnelNode>(funnel.data.nodes.map((n) => [n.nodeId, n])) : null), [funnel.data]);
  const push = (d: Detail) => setStack((s) => [...s, d]);
  const back = () => setStack((s) => s.slice(0, -1));
  const pick = (nodeId: string) => {
    setSelected(nodeId);
    setFocus((f) => ({ nodeId, seq: (f?.seq ?? 0) + 1 }));
  };
  const stats = useMemo(() => ({ byNode, onCount: (query: ContactsQuery) => setStack([{ kind: "contacts", query }]) }), [byNode]);

  const totalFor = (q: ContactsQuery): number | null => {
    const f = byNode?.get(q.nodeId);
    if (q.state === "branch") return funnel.data?.edges.find((e) => e.source === q.nodeId && e.branch === q.branch)?.runs ?? null;
    if (!f) return null;
    return q.state === "waiting" ? f.waitingNow : q.state === "failed" ? f.failed : f.entered;
  };

  let side: React.ReactNode;
  if (detail?.kind === "contacts") {
    side = (
      <ContactsPanel
        key={JSON.stringify(detail.query)}
        workflowId={id}
        version={version}
        query={detail.query}
        total={totalFor(detail.query)}
        onBack={back}
        onOpenRun={(runId) => push({ kind: "run", runId })}
        onCancelled={refresh}
      />
    );
  } else if (detail?.kind === "run") {
    side = <RunDetailView key={detail.runId} workflowId={id} runId={detail.runId} onBack={back} onPick={pick} onCancelled={refresh} />;
  } else {
    side = (
      <>
        <div
          className="tabs"
          role="tablist"
          aria-label="Analytics views"
          onKeyDown={(e) => {
            // Arrow keys move between the tabs (the tab pattern); Tab leaves the list.
            const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
            if (!step) return;
            const next = TABS[(TABS.findIndex((t) => t.id === tab) + step + TABS.length) % TABS.length]!;
            setTab(next.id);
            document.getElementById(`tab-${next.id}`)?.focus();
            e.preventDefault();
          }}
        >
          {TABS.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => setTab(t.id)}
              data-testid={`tab-${t.id}`}
            >
              {t.label}
              {t.id === "insights" && insights.data && insights.data.length > 0 && <span className="tab-count">{insights.data.length}</span>}
            </button>
          ))}
        </div>
        <div className="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
          {tab === "overview" && (
            <>
              <RunTotals workflowId={id} acrossVersions={version !== null} />
              {funnel.data && <FunnelChart funnel={funnel.data} />}
              <TrendChart workflowId={id} version={version} />
            </>
          )}
          {tab === "splits" && (
            <>
              {splits.isError && (
                <p className="error" role="alert">
                  {splits.error.message}
                </p>
              )}
              {splits.isPending && <p className="hint">Loading…</p>}
              {splits.data && <SplitTable splits={splits.data} onPick={pick} />}
            </>
          )}
          {tab === "insights" && (
            <>
              {insights.isError && (
                <p className="error" role="alert">
                  {insights.error.message}
                </p>
              )}
              {insights.isPending && <p className="hint">Loading…</p>}
              {insights.data && <InsightsPanel insights={insights.data} onPick={pick} />}
            </>
          )}
          {tab === "runs" && <RunExplorer workflowId={id} onOpen={(runId) => push({ kind: "run", runId })} />}
        </div>
      </>
    );
  }

  return (
    <div className="analytics">
      <header className="toolbar">
        <Link to="/workflows" className="brand" title="All workflows">
          Workflows
        </Link>
        <span className="workflow-name" data-testid="workflow-name">
          {workflow.name}
        </span>
        <nav className="view-switch" aria-label="Workflow views">
          <Link to={`/workflows/${id}`} data-testid="open-editor">
            Editor
          </Link>
          <span aria-current="page">Analytics</span>
        </nav>
        <span className="spacer" />
        <label className="inline">
          <span className="hint">Figures of</span>
          <select
            aria-label="Version"
            data-testid="version-pick"
            value={version === null ? "" : String(version)}
            onChange={(e) => {
              setVersion(e.target.value ? Number(e.target.value) : null);
              setStack((s) => s.filter((d) => d.kind === "run"));
            }}
          >
            <option value="">All versions</option>
            {(versions.data ?? [])
              .slice()
              .sort((a, b) => b.version - a.version)
              .map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                  {v.version === workflow.version ? " (live)" : ""}
                </option>
              ))}
          </select>
        </label>
        <button type="button" onClick={refresh} data-testid="refresh" title="Load the figures again">
          Refresh
        </button>
      </header>
      <div className="analytics-centre">
        {funnel.isError && (
          <p className="banner error" role="alert" data-testid="funnel-error">
            The figures cannot be loaded: {funnel.error.message}
          </p>
        )}
        {path && (
          <p className="banner notice" data-testid="path-banner">
            The path of the run of <strong>{run.data?.contactId}</strong> (v{shownVersion}) is highlighted.
          </p>
        )}
        <AnalyticsCanvas definition={definition} stats={stats} traffic={funnel.data?.edges ?? null} path={path} selected={selected} focus={focus} onSelect={setSelected} />
      </div>
      <aside className="analytics-side" aria-label="Analytics">
        {side}
      </aside>
    </div>
  );
}
