import { useState } from "react";
import { rotateWebhookToken } from "../api/queries";
import { useWorkflowInfo } from "./context";

/** A webhook trigger's URL and its token rotation (the API shows a token only when it issues one). */
export function WebhookPanel() {
  const info = useWorkflowInfo();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  if (!info.id) return <p className="hint">The webhook URL is made when the workflow is first saved.</p>;
  const url = info.webhookToken ? `${location.origin}/api/v1/hooks/${info.webhookToken}` : null;
  return (
    <div className="field webhook" data-testid="webhook-panel">
      <span>Webhook URL</span>
      {url ? (
        <>
          <input readOnly className="code" value={url} aria-label="Webhook URL" data-testid="webhook-url" onFocus={(e) => e.target.select()} />
          <p className="hint">Copy it now: the token is shown only once. POST JSON to it to start a run.</p>
        </>
      ) : (
        <p className="hint" data-testid="webhook-url-hidden">
          {info.hasWebhookToken ? `${location.origin}/api/v1/hooks/•••••• (the token is hidden; rotate it to see a new one)` : "No token yet: save the workflow with this trigger, or rotate."}
        </p>
      )}
      {!confirming ? (
        <button type="button" onClick={() => setConfirming(true)} data-testid="webhook-rotate">
          Rotate token
        </button>
      ) : (
        <div className="inline">
          <span className="hint">The old URL stops working.</span>
          <button
            type="button"
            className="danger"
            disabled={busy}
            data-testid="webhook-rotate-confirm"
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                const out = await rotateWebhookToken(info.id!);
                info.setWebhookToken(out.webhookToken);
                setConfirming(false);
              } catch (e) {
                setError(e instanceof Error ? e.message : String(e));
              } finally {
                setBusy(false);
              }
            }}
          >
            Rotate
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
