import { useState } from "react";
import { useVersions, type VersionOut } from "../api/queries";
import { ago } from "./WorkflowList";

/**
 * The workflow's versions, newest first, with author and time. Tick two to compare them on the canvas;
 * each can be compared with the draft, or reverted to (after a confirmation).
 */
export function HistoryPanel({
  workflowId,
  live,
  onCompare,
  onRevert,
  onClose,
}: {
  workflowId: string;
  live: number;
  onCompare: (a: VersionOut, b: VersionOut | "draft") => void;
  onRevert: (v: VersionOut) => void;
  onClose: () => void;
}) {
  const versions = useVersions(workflowId);
  const [chosen, setChosen] = useState<number[]>([]);
  const list = versions.data ?? [];
  const toggle = (n: number) => setChosen((c) => (c.includes(n) ? c.filter((x) => x !== n) : [...c, n].slice(-2)));
  const pair = chosen.map((n) => list.find((v) => v.version === n)).filter((v): v is VersionOut => !!v).sort((a, b) => a.version - b.version);
  return (
    <aside className="inspector history" aria-label="History" data-testid="history-panel">
      <header className="inspector-head">
        <div>
          <h2>History</h2>
          <p className="hint">Tick two versions to compare them.</p>
        </div>
        <span className="spacer" />
        <button type="button" onClick={onClose} data-testid="history-close">
          Close
        </button>
      </header>
      <button type="button" className="primary" disabled={pair.length !== 2} data-testid="history-compare" onClick={() => pair.length === 2 && onCompare(pair[0]!, pair[1]!)}>
        Compare {pair.length === 2 ? `v${pair[0]!.version} and v${pair[1]!.version}` : "two versions"}
      </button>
      {versions.isLoading && <p className="hint">Loading versions…</p>}
      {versions.isError && (
        <p className="error" role="alert">
          {versions.error.message}
        </p>
      )}
      <ol className="version-list">
        {list.map((v) => (
          <li key={v.id} className="version" data-testid={`history-item-${v.version}`}>
            <label className="inline">
              <input type="checkbox" className="check" checked={chosen.includes(v.version)} onChange={() => toggle(v.version)} aria-label={`Choose version ${v.version}`} data-testid={`history-choose-${v.version}`} />
              <strong>v{v.version}</strong>
              {v.version === live && <span className="status status-active">current</span>}
            </label>
            <div className="hint" title={new Date(v.createdAt).toLocaleString()}>
              by <span data-testid={`history-author-${v.version}`} title={v.createdBy}>{v.author || v.createdBy}</span> · {ago(v.createdAt)}
            </div>
            {v.changelog && <div className="changelog">{v.changelog}</div>}
            <div className="row-actions">
              <button type="button" className="link-button" onClick={() => onCompare(v, "draft")} data-testid={`history-diff-draft-${v.version}`}>
                Compare with the draft
              </button>
              {v.version !== live && (
                <button type="button" className="link-button" onClick={() => onRevert(v)} data-testid={`history-revert-${v.version}`}>
                  Revert to this
                </button>
              )}
            </div>
          </li>
        ))}
      </ol>
    </aside>
  );
}
