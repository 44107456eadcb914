import { BaseEdge, EdgeLabelRenderer, type EdgeProps, getSmoothStepPath } from "@xyflow/react";
import { useState } from "react";
import type { FlowEdge } from "../graph/types";
import { GROUPS, NODE_TYPES } from "../nodes/registry";
import { editorStore } from "../store/editor";
import { useProblems } from "./context";
import { worst } from "../validation/problems";

/** An edge with a "+" in its middle that inserts a node there; outlined when a problem is pinned to it. */
export function InsertableEdge(props: EdgeProps<FlowEdge>) {
  const [path, labelX, labelY] = getSmoothStepPath(props);
  const [open, setOpen] = useState(false);
  const problems = useProblems().byEdge.get(props.id);
  const severity = worst(problems);
  const stroke = severity === "error" ? "#dc2626" : severity === "warning" ? "#d97706" : undefined;
  return (
    <>
      <BaseEdge id={props.id} path={path} markerEnd={props.markerEnd} style={{ ...props.style, ...(stroke ? { stroke, strokeWidth: 2.5 } : {}) }} />
      <EdgeLabelRenderer>
        <div className="edge-tools nodrag nopan" style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}>
          {severity && (
            <span className={`problem-badge ${severity}`} data-testid={`edge-problem-${props.id}`} title={(problems ?? []).map((p) => p.message).join("\n")}>
              !
            </span>
          )}
          {!open ? (
            <button type="button" className="edge-insert" aria-label={`Insert a node on edge ${props.source} to ${props.target}`} data-testid={`edge-insert-${props.id}`} onClick={() => setOpen(true)}>
              +
            </button>
          ) : (
            <select
              autoFocus
              aria-label="Node to insert"
              data-testid={`edge-insert-type-${props.id}`}
              defaultValue=""
              onBlur={() => setOpen(false)}
              onKeyDown={(e) => e.key === "Escape" && setOpen(false)}
              onChange={(e) => {
                if (e.target.value) editorStore.getState().insertOnEdge(props.id, e.target.value);
                setOpen(false);
              }}
            >
              <option value="" disabled>
                Insert…
              </option>
              {GROUPS.filter((g) => g.id !== "trigger").map((g) => (
                <optgroup key={g.id} label={g.label}>
                  {NODE_TYPES.filter((s) => s.group === g.id).map((s) => (
                    <option key={s.type} value={s.type}>
                      {s.label}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          )}
        </div>
      </EdgeLabelRenderer>
    </>
  );
}
