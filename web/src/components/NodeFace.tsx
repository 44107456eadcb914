import { Handle, type NodeProps, Position, useUpdateNodeInternals } from "@xyflow/react";
import { memo, useEffect, useMemo, useRef } from "react";
import type { StepNode, TriggerNode } from "../graph/types";
import { NODE_WIDTH } from "../graph/types";
import { specOf, triggerLabel } from "../nodes/registry";
import { worst } from "../validation/problems";
import { useDiff, useProblems } from "./context";
import { Icon } from "./Icon";

const BRANCH_WIDTH = 76;

/** A node's face: its head, summary, handles (one per branch) and, in analytics, the counts (`children`). */
export function Face(props: {
  id: string;
  kind: string;
  title: string;
  summary: string;
  selected: boolean;
  target: boolean;
  branches: { id: string; label: string }[] | null;
  children?: React.ReactNode;
}) {
  const spec = specOf(props.kind);
  const branches = props.branches;
  const updateInternals = useUpdateNodeInternals();
  const handleKey = branches?.map((b) => b.id).join("\u0000") ?? "";
  // Handles are keyed by branch id; when the set changes, React Flow measures them again. Not when the node
  // is first drawn: React Flow measures a new node itself, and asking again for each of 500 nodes re-laid out
  // the whole graph once per node (most of the 500-node graph's 8.5 s to interactive).
  const measured = useRef(handleKey);
  useEffect(() => {
    if (measured.current === handleKey) return;
    measured.current = handleKey;
    updateInternals(props.id);
  }, [handleKey, props.id, updateInternals]);
  const width = Math.max(NODE_WIDTH, (branches?.length ?? 0) * BRANCH_WIDTH);
  const problems = useProblems().byNode.get(props.id);
  const severity = worst(problems);
  const change = useDiff()?.get(props.id);
  const classes = ["node-face", props.selected && "selected", severity && `has-${severity}`, change && `diff-${change}`].filter(Boolean).join(" ");
  return (
    <div
      className={classes}
      style={{ width, ["--node-colour" as string]: spec.colour }}
      data-kind={props.kind}
      data-testid={`node-${props.id}`}
      data-problem={severity ?? undefined}
      data-diff={change ?? undefined}
    >
      {severity && (
        <span
          className={`problem-badge ${severity}`}
          data-testid={`problem-badge-${props.id}`}
          title={problems!.map((p) => p.message).join("\n")}
          aria-label={`${problems!.length} problem${problems!.length === 1 ? "" : "s"}: ${problems!.map((p) => p.message).join("; ")}`}
        >
          {problems!.length}
        </span>
      )}
      {change && change !== "same" && <span className={`diff-tag ${change}`}>{change}</span>}
      {props.target && <Handle type="target" position={Position.Top} className="handle" data-testid={`handle-${props.id}-in`} />}
      <div className="node-head">
        <span className="node-icon">
          <Icon path={spec.icon} />
        </span>
        <span className="node-title">{props.title}</span>
        <span className="node-id">{props.id}</span>
      </div>
      <div className="node-summary" title={props.summary}>
        {props.summary}
      </div>
      {props.children}
      {branches === null && <Handle type="source" position={Position.Bottom} className="handle" data-testid={`handle-${props.id}-out`} />}
      {branches && branches.length > 0 && (
        <div className="node-branches">
          {branches.map((b, i) => (
            <div key={b.id} className="node-branch" data-branch={b.id}>
              <span className="branch-label">{b.label}</span>
              <Handle
                id={b.id}
                type="source"
                position={Position.Bottom}
                className="handle branch-handle"
                style={{ left: `${((i + 0.5) / branches.length) * 100}%` }}
                title={`${b.label} branch`}
                data-testid={`handle-${props.id}-${b.id}`}
              />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

/** A step's face; drawn again only when its own data or selection changes (not when another node moves). */
export const StepNodeView = memo(function StepNodeView({ id, data, selected }: NodeProps<StepNode>) {
  const spec = specOf(data.kind);
  const summary = useMemo(() => spec.summary(data.config), [spec, data.config]);
  const branches = useMemo(() => spec.branches(data.config), [spec, data.config]);
  return <Face id={id} kind={data.kind} title={spec.label} summary={summary} selected={!!selected} target branches={branches} />;
});

export const TriggerNodeView = memo(function TriggerNodeView({ id, data, selected }: NodeProps<TriggerNode>) {
  const spec = specOf("trigger");
  return (
    <Face
      id={id}
      kind="trigger"
      title={`Trigger: ${triggerLabel(data.trigger.type)}`}
      summary={spec.summary(data.trigger as never)}
      selected={!!selected}
      target={false}
      branches={null}
    />
  );
});
