import { useEffect, useRef, useState } from "react";

/** A question with a confirm and a cancel button; Escape cancels. The error of the action shows in place. */
export function ConfirmDialog(props: {
  title: string;
  children: React.ReactNode;
  confirmLabel: string;
  danger?: boolean;
  disabled?: boolean;
  testid: string;
  onConfirm: () => Promise<unknown> | void;
  onClose: () => void;
  wide?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const { onClose } = props;
  useEffect(() => {
    cancel.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="dialog-backdrop" role="presentation">
      <div className={`dialog${props.wide ? "" : " narrow-dialog"}`} role="dialog" aria-modal="true" aria-labelledby={`${props.testid}-title`} data-testid={props.testid}>
        <h2 id={`${props.testid}-title`}>{props.title}</h2>
        <div className="dialog-body">{props.children}</div>
        {error && (
          <p className="error" role="alert" data-testid={`${props.testid}-error`}>
            {error}
          </p>
        )}
        <div className="row-actions end">
          <button type="button" ref={cancel} onClick={props.onClose} data-testid={`${props.testid}-cancel`}>
            Cancel
          </button>
          <button
            type="button"
            className={props.danger ? "danger" : "primary"}
            disabled={busy || props.disabled}
            data-testid={`${props.testid}-confirm`}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                await props.onConfirm();
                props.onClose();
              } catch (e) {
                setError(e instanceof Error ? e.message : String(e));
              } finally {
                setBusy(false);
              }
            }}
          >
            {busy ? "Working…" : props.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
