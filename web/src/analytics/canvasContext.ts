/** What the analytics canvas's nodes and edges read from the screen around them. */

import { createContext, useContext } from "react";
import type { ContactsQuery, FunnelNode } from "./types";

export interface CanvasStats {
  /** The API's funnel figures by node id (absent while loading or on error). */
  byNode: ReadonlyMap<string, FunnelNode> | null;
  /** A count was clicked: list those contacts. */
  onCount: (q: ContactsQuery) => void;
}

export const CanvasStatsContext = createContext<CanvasStats>({ byNode: null, onCount: () => {} });
export const useCanvasStats = () => useContext(CanvasStatsContext);
