import { BaseEdge, EdgeLabelRenderer, type Edge, type EdgeProps, getSmoothStepPath } from "@xyflow/react";
import { useCanvasStats } from "./canvasContext";
import { count } from "./format";

export interface TrafficData extends Record<string, unknown> {
  /** The API's runs on this edge (null while the funnel loads). */
  runs: number | null;
  branch: string | null;
  width: number;
  /** In a run's detail: on its path, off it, or no run shown. */
  path: "on" | "off" | null;
}

export type TrafficEdgeType = Edge<TrafficData, "traffic">;

const PATH_COLOUR = "#059669";

/** An edge as thick as its traffic, labelled with its runs; a branch's count lists the contacts that took it. */
export function TrafficEdge(props: EdgeProps<TrafficEdgeType>) {
  const [path, labelX, labelY] = getSmoothStepPath(props);
  const { onCount } = useCanvasStats();
  const d = props.data;
  const runs = d?.runs ?? null;
  const onPath = d?.path === "on";
  const stroke = onPath ? PATH_COLOUR : runs ? "#64748b" : "#cbd5e1";
  const style = { stroke, strokeWidth: onPath ? Math.max(4, d?.width ?? 0) : (d?.width ?? 1.5), opacity: d?.path === "off" ? 0.35 : 1 };
  const name = `Runs from ${props.source} to ${props.target}${d?.branch ? ` (${d.branch})` : ""}: ${runs ?? 0}`;
  const attrs = {
    "data-testid": `edge-runs-${props.id}`,
    "data-source": props.source,
    "data-target": props.target,
    "data-branch": d?.branch ?? "",
    "data-value": runs ?? 0,
    "aria-label": name,
  };
  return (
    <>
      <BaseEdge id={props.id} path={path} markerEnd={props.markerEnd} style={style} />
      {runs !== null && (
        <EdgeLabelRenderer>
          <div className="edge-traffic nodrag nopan" style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}>
            {d?.branch ? (
              <button type="button" className={`traffic-count${onPath ? " on-path" : ""}`} title={`${count(runs)} runs took the ${d.branch} branch: list them`} onClick={() => onCount({ nodeId: props.source, state: "branch", branch: d.branch })} {...attrs}>
                {count(runs)}
              </button>
            ) : (
              <span className={`traffic-count${onPath ? " on-path" : ""}`} role="note" title={`${count(runs)} runs went this way`} {...attrs}>
                {count(runs)}
              </span>
            )}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}
