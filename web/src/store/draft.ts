/**
 * Local drafts: the definition being edited, kept in this browser per workflow (or "new" / "scratch") so a
 * reload, a failed request or an expired session loses nothing. A draft is dropped once it is saved as a
 * version.
 */

import { useEffect, useState } from "react";
import type { WorkflowDefinition } from "../definition/types";
import type { EditorStore } from "./editor";

const PREFIX = "workflows.draft.";
export const DRAFT_DEBOUNCE_MS = 400;

export interface Draft {
  definition: WorkflowDefinition;
  /** The saved version the draft started from (null: never saved). */
  baseVersion: number | null;
  savedAt: string;
}

export function loadDraft(key: string): Draft | null {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    const parsed = raw ? (JSON.parse(raw) as Draft) : null;
    return parsed && typeof parsed === "object" && parsed.definition?.trigger ? parsed : null;
  } catch {
    return null;
  }
}

export function storeDraft(key: string, draft: Draft): void {
  localStorage.setItem(PREFIX + key, JSON.stringify(draft));
}

export function dropDraft(key: string): void {
  try {
    localStorage.removeItem(PREFIX + key);
  } catch {
    // nothing kept, nothing to drop
  }
}

export type AutosaveState = { state: "idle" } | { state: "saving" } | { state: "saved"; at: Date } | { state: "error"; message: string };

/**
 * Keep the store's definition as the local draft under `key`, shortly after each change, and say how that
 * went (Saving / Saved / Error). `enabled` false while the editor has nothing of its own yet.
 */
export function useAutosave(store: EditorStore, key: string, baseVersion: number | null, enabled: boolean): AutosaveState {
  const [status, setStatus] = useState<AutosaveState>({ state: "idle" });
  useEffect(() => {
    if (!enabled) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let pending = false;
    const write = () => {
      pending = false;
      clearTimeout(timer);
      // Saved as a version meanwhile: nothing of its own to keep.
      if (!store.getState().dirty) return;
      try {
        storeDraft(key, { definition: store.getState().toDefinition(), baseVersion, savedAt: new Date().toISOString() });
        setStatus({ state: "saved", at: new Date() });
      } catch (e) {
        setStatus({ state: "error", message: e instanceof Error ? e.message : "the browser refused to keep the draft" });
      }
    };
    const unsubscribe = store.subscribe((s, prev) => {
      if (s.revision === prev.revision || !s.dirty) return;
      clearTimeout(timer);
      pending = true;
      setStatus({ state: "saving" });
      timer = setTimeout(write, DRAFT_DEBOUNCE_MS);
    });
    // Leaving (another screen, sign-in after a 401, closing the tab) keeps the last edit too.
    const flush = () => {
      if (pending) write();
    };
    addEventListener("pagehide", flush);
    return () => {
      flush();
      removeEventListener("pagehide", flush);
      unsubscribe();
    };
  }, [store, key, baseVersion, enabled]);
  return status;
}
