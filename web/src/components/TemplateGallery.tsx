import { useEffect } from "react";
import { navigate } from "../app/router";
import { TEMPLATES } from "../templates";
import { WorkflowPreview } from "./WorkflowPreview";

/** Ready workflows, each previewed on a small canvas; choosing one opens it as a new draft. */
export function TemplateGallery({ onClose }: { onClose: () => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="dialog-backdrop" role="presentation">
      <div className="dialog gallery" role="dialog" aria-modal="true" aria-labelledby="gallery-title" data-testid="template-gallery">
        <div className="inline">
          <h2 id="gallery-title">Start from a template</h2>
          <span className="spacer" />
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
        {TEMPLATES.length === 0 && <p className="hint">No templates are bundled.</p>}
        <ul className="template-grid">
          {TEMPLATES.map((t) => (
            <li key={t.key}>
              <button type="button" className="template-card" data-testid={`template-${t.key}`} onClick={() => navigate(`/workflows/new?template=${encodeURIComponent(t.key)}`)}>
                <WorkflowPreview definition={t.definition} label={`Preview of ${t.definition.name ?? t.key}`} />
                <strong>{t.definition.name ?? t.key}</strong>
                {t.definition.description && <span className="hint">{t.definition.description}</span>}
                <span className="hint">
                  {(t.definition.nodes ?? []).length} nodes · {t.definition.trigger.type}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
