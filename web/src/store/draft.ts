/** The local draft: the definition being edited, kept in the browser so a reload loses nothing. */

import type { WorkflowDefinition } from "../definition/types";
import type { EditorStore } from "./editor";

const KEY = "workflows.draft";
const DEBOUNCE_MS = 400;

export function loadDraft(): WorkflowDefinition | null {
  try {
    const raw = localStorage.getItem(KEY);
    const parsed = raw ? (JSON.parse(raw) as WorkflowDefinition) : null;
    return parsed && typeof parsed === "object" && parsed.trigger ? parsed : null;
  } catch {
    return null;
  }
}

/** Save the store's definition shortly after each change; returns the unsubscribe function. */
export function keepDraft(store: EditorStore): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const unsubscribe = store.subscribe((s, prev) => {
    if (s.revision === prev.revision) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      try {
        localStorage.setItem(KEY, JSON.stringify(store.getState().toDefinition()));
      } catch {
        // Storage full or denied: the editor keeps working; the draft is just not kept.
      }
    }, DEBOUNCE_MS);
  });
  return () => {
    clearTimeout(timer);
    unsubscribe();
  };
}
