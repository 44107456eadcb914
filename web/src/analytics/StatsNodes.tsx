import type { NodeProps, NodeTypes } from "@xyflow/react";
import { memo, useMemo } from "react";
import { Face } from "../components/NodeFace";
import type { StepNode, TriggerNode } from "../graph/types";
import { specOf, triggerLabel } from "../nodes/registry";
import { useCanvasStats } from "./canvasContext";
import { count, percent } from "./format";

/** A node's figures from the API: entered, waiting now and failed; each count lists its contacts when clicked. */
function NodeCounts({ id }: { id: string }) {
  const { byNode, onCount } = useCanvasStats();
  const f = byNode?.get(id);
  if (!byNode) return null;
  if (!f) return <div className="node-stats none">No figures</div>;
  return (
    <div className="node-stats nodrag nopan" data-testid={`stats-${id}`}>
      <button
        type="button"
        className="stat entered"
        data-testid={`stat-entered-${id}`}
        data-value={f.entered}
        aria-label={`Entered ${id}: ${f.entered}`}
        title={`${count(f.entered)} runs entered; ${count(f.completed)} completed, ${count(f.skipped)} skipped; ${percent(f.dropOffRate)} dropped off here`}
        onClick={(e) => {
          e.stopPropagation();
          onCount({ nodeId: id, state: "entered" });
        }}
      >
        <strong>{count(f.entered)}</strong> entered
      </button>
      <button
        type="button"
        className={`stat waiting${f.waitingNow > 0 ? " some" : ""}`}
        data-testid={`stat-waiting-${id}`}
        data-value={f.waitingNow}
        aria-label={`Waiting at ${id}: ${f.waitingNow}`}
        title="Runs waiting at this node now"
        onClick={(e) => {
          e.stopPropagation();
          onCount({ nodeId: id, state: "waiting" });
        }}
      >
        <strong>{count(f.waitingNow)}</strong> waiting
      </button>
      {f.failed > 0 && (
        <button
          type="button"
          className="stat failed"
          data-testid={`stat-failed-${id}`}
          data-value={f.failed}
          aria-label={`Failed at ${id}: ${f.failed}`}
          title="Runs that failed at this node"
          onClick={(e) => {
            e.stopPropagation();
            onCount({ nodeId: id, state: "failed" });
          }}
        >
          <strong>{count(f.failed)}</strong> failed
        </button>
      )}
    </div>
  );
}

const StatsStepNode = memo(function StatsStepNode({ id, data, selected }: NodeProps<StepNode>) {
  const spec = specOf(data.kind);
  const summary = useMemo(() => spec.summary(data.config), [spec, data.config]);
  const branches = useMemo(() => spec.branches(data.config), [spec, data.config]);
  return (
    <Face id={id} kind={data.kind} title={spec.label} summary={summary} selected={!!selected} target branches={branches}>
      <NodeCounts id={id} />
    </Face>
  );
});

const StatsTriggerNode = memo(function StatsTriggerNode({ id, data, selected }: NodeProps<TriggerNode>) {
  const spec = specOf("trigger");
  return <Face id={id} kind="trigger" title={`Trigger: ${triggerLabel(data.trigger.type)}`} summary={spec.summary(data.trigger as never)} selected={!!selected} target={false} branches={null} />;
});

export const STATS_NODE_TYPES: NodeTypes = { step: StatsStepNode, trigger: StatsTriggerNode };
