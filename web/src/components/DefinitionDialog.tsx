import { useState } from "react";
import type { WorkflowDefinition } from "../definition/types";
import { editorStore } from "../store/editor";

/** The definition as JSON: read what will run, or paste one in to edit it. */
export function DefinitionDialog({ onClose, onLoaded }: { onClose: () => void; onLoaded: () => void }) {
  const [text, setText] = useState(() => JSON.stringify(editorStore.getState().toDefinition(), null, 2));
  const [error, setError] = useState<string | null>(null);
  const apply = () => {
    try {
      const parsed = JSON.parse(text) as WorkflowDefinition;
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || !parsed.trigger) throw new Error("a definition is an object with a trigger");
      editorStore.getState().load(parsed);
      onClose();
      onLoaded();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <div className="dialog-backdrop" role="presentation" onClick={onClose}>
      <div className="dialog" role="dialog" aria-modal="true" aria-label="Definition JSON" onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.key === "Escape" && onClose()}>
        <h2>Definition JSON</h2>
        <textarea className="code" aria-label="Definition JSON" value={text} onChange={(e) => setText(e.target.value)} rows={24} autoFocus />
        {error && <p className="hint error">{error}</p>}
        <div className="row-actions">
          <button type="button" className="primary" onClick={apply}>
            Load into the canvas
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
