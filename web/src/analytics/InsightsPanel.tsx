import type { Insight } from "./types";

/** The API's suggestions; an item about a node selects and centres that node on the canvas. */
export function InsightsPanel({ insights, onPick }: { insights: Insight[]; onPick: (nodeId: string) => void }) {
  if (insights.length === 0) return <p className="hint" data-testid="insights-empty">Nothing to suggest: no rule found anything to change.</p>;
  return (
    <ul className="insight-list" data-testid="insights" aria-label="Insights">
      {insights.map((i, n) => {
        const body = (
          <>
            <span className={`severity ${i.severity}`}>{i.severity === "warning" ? "Warning" : "Info"}</span>
            <strong className="insight-title">{i.title}</strong>
            <span className="insight-detail">{i.detail}</span>
            {i.nodeId && <span className="hint">Node {i.nodeId}</span>}
          </>
        );
        return (
          <li key={`${i.kind}-${i.nodeId ?? ""}-${n}`} data-testid={`insight-${i.kind}`} data-node-id={i.nodeId ?? ""}>
            {i.nodeId ? (
              <button type="button" className={`insight ${i.severity}`} onClick={() => onPick(i.nodeId!)} aria-label={`${i.title} Show ${i.nodeId} on the canvas`}>
                {body}
              </button>
            ) : (
              <div className={`insight ${i.severity}`}>{body}</div>
            )}
          </li>
        );
      })}
    </ul>
  );
}
