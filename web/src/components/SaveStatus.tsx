import type { AutosaveState } from "../store/draft";

/** Saving / Saved / Error: where the draft is, in a word, beside the workflow's name. */
export function SaveStatus({ autosave, dirty, saving, error }: { autosave: AutosaveState; dirty: boolean; saving?: boolean; error?: string | null }) {
  let text: string;
  let state: string;
  let title = "";
  if (saving) [text, state] = ["Saving version…", "saving"];
  else if (error) [text, state, title] = ["Error", "error", error];
  else if (autosave.state === "error") [text, state, title] = ["Error: draft not kept", "error", autosave.message];
  else if (autosave.state === "saving") [text, state] = ["Saving…", "saving"];
  else if (autosave.state === "saved" && dirty)
    [text, state, title] = ["Saved", "saved", `Draft kept in this browser at ${autosave.at.toLocaleTimeString()}; not a version yet`];
  else if (dirty) [text, state] = ["Unsaved changes", "dirty"];
  else [text, state] = ["Saved", "saved"];
  return (
    <span className={`save-status ${state}`} role="status" aria-live="polite" data-testid="save-status" data-state={state} title={title}>
      {text}
      {autosave.state === "saved" && dirty && !saving && !error && <span className="hint"> · in this browser, not a version yet</span>}
    </span>
  );
}
