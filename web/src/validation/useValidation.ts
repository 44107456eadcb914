import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { validateDefinition } from "../api/queries";
import { editorStore, useEditor } from "../store/editor";
import { NO_PROBLEMS, pinProblems, type Pinned } from "./problems";

export const VALIDATE_DEBOUNCE_MS = 350;

/** The editor's definition validated by the API shortly after each change, its problems pinned to the canvas. */
export function useValidation(): { pinned: Pinned; pending: boolean; error: Error | null } {
  const revision = useEditor((s) => s.revision);
  const [settled, setSettled] = useState(revision);
  useEffect(() => {
    const t = setTimeout(() => setSettled(revision), VALIDATE_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [revision]);

  // What was sent: the definition, and the canvas's edge ids in the same order (paths name edges by index).
  const sent = useMemo(() => {
    void settled;
    const s = editorStore.getState();
    const definition = s.toDefinition();
    return { definition, body: JSON.stringify(definition), edgeIds: s.edges.map((e) => e.id) };
  }, [settled]);

  const q = useQuery({
    queryKey: ["validate", sent.body],
    queryFn: () => validateDefinition(sent.definition),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    retry: false,
  });
  const pinned = useMemo(
    () => (q.data ? pinProblems(q.data.problems, (sent.definition.nodes ?? []).map((n) => n.id), sent.edgeIds) : NO_PROBLEMS),
    [q.data, sent],
  );
  return { pinned, pending: q.isFetching || settled !== revision, error: q.error };
}
