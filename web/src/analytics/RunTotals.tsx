import { useStats } from "../api/queries";
import { count, percentPoints } from "./format";

/** The workflow's run counts (GET /stats: every version), with the conversion as the API gives it. */
export function RunTotals({ workflowId, acrossVersions }: { workflowId: string; acrossVersions: boolean }) {
  const stats = useStats(workflowId);
  if (stats.isError) return <p className="error">{stats.error.message}</p>;
  const s = stats.data;
  if (!s) return <p className="hint">Loading…</p>;
  const cells: [string, string, string][] = [
    ["Runs", count(s.totalRuns), "total-runs"],
    ["Running", count(s.runningRuns), "running-runs"],
    ["Completed", count(s.completedRuns), "completed-runs"],
    ["Goal reached", count(s.goalReachedRuns), "goal-runs"],
    ["Failed", count(s.failedRuns), "failed-runs"],
    ["Conversion", percentPoints(s.conversionRate), "conversion"],
  ];
  return (
    <div>
      <dl className="totals" aria-label="Run totals (all versions)">
        {cells.map(([label, value, id]) => (
          <div key={id}>
            <dt>{label}</dt>
            <dd data-testid={`totals-${id}`}>{value}</dd>
          </div>
        ))}
      </dl>
      {acrossVersions && <p className="hint">These totals count the runs of every version; the canvas and the charts, the version picked.</p>}
    </div>
  );
}
