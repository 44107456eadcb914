/** What the canvas's node faces and the inspector read from the screen around them. */

import { createContext, useContext } from "react";
import { NO_PROBLEMS, type Pinned } from "../validation/problems";
import type { Change } from "../versions/diff";

/** The current validation problems, pinned to nodes and edges. */
export const ProblemsContext = createContext<Pinned>(NO_PROBLEMS);
export const useProblems = () => useContext(ProblemsContext);

/** In a version diff: each node's change (null outside a diff). */
export const DiffContext = createContext<Map<string, Change> | null>(null);
export const useDiff = () => useContext(DiffContext);

/** The saved workflow being edited (null id: a new draft, not saved yet). */
export interface WorkflowInfo {
  id: string | null;
  /** A webhook token just issued (shown once by the API), else null. */
  webhookToken: string | null;
  hasWebhookToken: boolean;
  setWebhookToken: (token: string) => void;
}
export const WorkflowContext = createContext<WorkflowInfo>({ id: null, webhookToken: null, hasWebhookToken: false, setWebhookToken: () => {} });
export const useWorkflowInfo = () => useContext(WorkflowContext);
