import { useState } from "react";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { duration, waitingInWords, when } from "./format";
import { cancelRun, useRun } from "./queries";
import type { RunDetail, Step } from "./types";

function Json({ label, value }: { label: string; value: unknown }) {
  const empty = value === null || value === undefined || (typeof value === "object" && Object.keys(value as object).length === 0);
  if (empty) return null;
  return (
    <details className="step-json">
      <summary>{label}</summary>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

function StepItem({ step, onPick }: { step: Step; onPick: (nodeId: string) => void }) {
  return (
    <li className={`step step-${step.status}`} data-testid={`step-${step.nodeId}-${step.visit}`} data-status={step.status}>
      <div className="step-head">
        <button type="button" className="link-button" onClick={() => onPick(step.nodeId)} aria-label={`Show ${step.nodeId} on the canvas`}>
          {step.nodeId}
        </button>
        <span className="hint">{step.nodeType}</span>
        {step.visit > 1 && <span className="hint">visit {step.visit}</span>}
        <span className={`run-status step-status-${step.status}`}>{step.status}</span>
      </div>
      <div className="hint">
        {step.startedAt ? `Started ${when(step.startedAt)}` : step.scheduledAt ? `Scheduled for ${when(step.scheduledAt)}` : "Not started"}
        {step.completedAt && ` · ended ${when(step.completedAt)} (${duration(step.startedAt, step.completedAt)})`}
      </div>
      {step.errorMessage && (
        <p className="error" data-testid={`step-error-${step.nodeId}`}>
          {step.errorMessage}
        </p>
      )}
      <Json label="Input" value={step.input} />
      <Json label="Output" value={step.output} />
    </li>
  );
}

function Summary({ run }: { run: RunDetail }) {
  return (
    <dl className="run-facts">
      <dt>Contact</dt>
      <dd data-testid="run-contact">{run.contactId}</dd>
      <dt>Status</dt>
      <dd>
        <span className={`run-status run-${run.status}`} data-testid="run-status">
          {run.status.replace("_", " ")}
        </span>
      </dd>
      <dt>Version</dt>
      <dd>v{run.workflowVersion}</dd>
      <dt>Started</dt>
      <dd>{when(run.startedAt)}</dd>
      {run.completedAt && (
        <>
          <dt>Ended</dt>
          <dd>
            {when(run.completedAt)} ({duration(run.startedAt, run.completedAt)})
          </dd>
        </>
      )}
      {run.goalReachedId && (
        <>
          <dt>Goal</dt>
          <dd>{run.goalReachedId}</dd>
        </>
      )}
      {run.currentNodeId && run.status === "running" && (
        <>
          <dt>At node</dt>
          <dd>{run.currentNodeId}</dd>
        </>
      )}
    </dl>
  );
}

/** One run: what it did step by step (input, output, error, times), what it waits for, and cancel. */
export function RunDetailView({ workflowId, runId, onBack, onPick, onCancelled }: { workflowId: string; runId: string; onBack: () => void; onPick: (nodeId: string) => void; onCancelled: () => void }) {
  const run = useRun(workflowId, runId);
  const [confirm, setConfirm] = useState(false);
  const [asked, setAsked] = useState(false);
  const r = run.data;
  return (
    <section className="run-detail" data-testid="run-detail" aria-label="Run detail">
      <header className="panel-title">
        <button type="button" onClick={onBack} data-testid="run-back">
          ← Back
        </button>
        <h2>Run</h2>
        <span className="spacer" />
        {r?.status === "running" && (
          <button type="button" className="danger" onClick={() => setConfirm(true)} disabled={asked} data-testid="run-cancel">
            {asked ? "Cancel asked" : "Cancel run"}
          </button>
        )}
        <button type="button" onClick={() => void run.refetch()} aria-label="Reload the run">
          ↻
        </button>
      </header>
      {run.isError && (
        <p className="error" role="alert">
          {run.error.message}
        </p>
      )}
      {run.isPending && <p className="hint">Loading…</p>}
      {r && (
        <>
          <Summary run={r} />
          {r.errorMessage && (
            <p className="error" data-testid="run-error">
              {r.errorMessage}
            </p>
          )}
          {r.waitingFor ? (
            <p className="notice" data-testid="run-waiting">
              {waitingInWords(r.waitingFor)}
            </p>
          ) : (
            r.status === "running" &&
            r.resumesAt && (
              <p className="notice" data-testid="run-waiting">
                Resumes at {when(r.resumesAt)}.
              </p>
            )
          )}
          {asked && <p className="hint">The workers were asked to cancel this run; it shows as cancelled once they have.</p>}
          <h3 className="section-title">Steps</h3>
          {r.steps.length === 0 ? (
            <p className="hint">No step yet.</p>
          ) : (
            <ol className="step-timeline" data-testid="step-timeline" aria-label="Steps">
              {r.steps.map((s) => (
                <StepItem key={s.id} step={s} onPick={onPick} />
              ))}
            </ol>
          )}
        </>
      )}
      {confirm && r && (
        <ConfirmDialog
          title="Cancel this run?"
          confirmLabel="Cancel the run"
          danger
          testid="cancel-run-dialog"
          onClose={() => setConfirm(false)}
          onConfirm={async () => {
            await cancelRun(workflowId, runId);
            setAsked(true);
            onCancelled();
            setTimeout(() => void run.refetch(), 1500);
          }}
        >
          <p>
            The run of <strong>{r.contactId}</strong> stops where it is{r.currentNodeId ? ` (at ${r.currentNodeId})` : ""}: nothing after it is sent.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
