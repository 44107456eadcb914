import { transition, useInvalidateWorkflow, useStats, type Transition, type WorkflowOut, type WorkflowStatus } from "../api/queries";
import { ConfirmDialog } from "./ConfirmDialog";

const TITLES: Record<Transition, string> = { activate: "Activate", pause: "Pause", archive: "Archive" };

/** Activate, pause or archive a workflow, after saying how many of its runs are in flight now. */
export function StatusDialog({
  workflow,
  action,
  onClose,
  onDone,
}: {
  workflow: { id: string; name: string; status: WorkflowStatus };
  action: Transition;
  onClose: () => void;
  onDone?: (w: WorkflowOut) => void;
}) {
  const stats = useStats(workflow.id);
  const invalidate = useInvalidateWorkflow();
  const running = stats.data?.runningRuns;
  const cancels = action === "archive" && workflow.status === "active";
  return (
    <ConfirmDialog
      title={`${TITLES[action]} “${workflow.name}”?`}
      confirmLabel={TITLES[action]}
      danger={action === "archive"}
      testid={`${action}-dialog`}
      onClose={onClose}
      onConfirm={async () => {
        const out = await transition(workflow.id, action, cancels);
        invalidate(workflow.id);
        onDone?.(out);
      }}
    >
      <p data-testid="in-flight">
        {stats.isLoading
          ? "Counting runs in flight…"
          : stats.isError
            ? "The number of runs in flight could not be read."
            : `${running ?? 0} run${running === 1 ? "" : "s"} in flight now.`}
      </p>
      {action === "activate" && <p>New events start runs of the saved version.</p>}
      {action === "pause" && <p>No new runs start; runs in flight go on.</p>}
      {action === "archive" && (
        <p>{cancels ? "The workflow is active: its runs in flight are cancelled, and it starts no more." : "It starts no more runs and leaves the list; its runs and stats stay readable."}</p>
      )}
    </ConfirmDialog>
  );
}
