import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  createWorkflow,
  keys,
  revertTo,
  saveWorkflow,
  useWaiting,
  useWorkflow,
  type Transition,
  type VersionOut,
  type WorkflowOut,
} from "../api/queries";
import { Link, navigate, useLeaveGuard } from "../app/router";
import type { WorkflowDefinition } from "../definition/types";
import { dropDraft, loadDraft, storeDraft, useAutosave } from "../store/draft";
import { BLANK, editorStore, useEditor } from "../store/editor";
import { draftFromTemplate, templateByKey } from "../templates";
import { useValidation } from "../validation/useValidation";
import { diffDefinitions } from "../versions/diff";
import { BuilderFrame } from "./Builder";
import { ConfirmDialog } from "./ConfirmDialog";
import { ProblemsContext, WorkflowContext } from "./context";
import { HistoryPanel } from "./HistoryPanel";
import { SaveStatus } from "./SaveStatus";
import { StatusDialog } from "./StatusDialog";
import { ValidationPanel } from "./ValidationPanel";
import { VersionDiff } from "./VersionDiff";

/** A saved workflow or version as the editor's definition (only the keys a definition has). */
export function definitionOf(w: Pick<WorkflowOut, "trigger" | "nodes" | "edges" | "goals" | "settings">, name?: string, description?: string | null): WorkflowDefinition {
  const d: WorkflowDefinition = {
    name: name ?? "",
    trigger: w.trigger as WorkflowDefinition["trigger"],
    nodes: w.nodes as WorkflowDefinition["nodes"],
    edges: w.edges as WorkflowDefinition["edges"],
    goals: w.goals as WorkflowDefinition["goals"],
    settings: w.settings as WorkflowDefinition["settings"],
  };
  if (description) d.description = description;
  return d;
}

/** Webhook tokens the API showed once (at creation), handed to the editor that opens next. */
const issuedTokens = new Map<string, string>();

interface DiffView {
  before: WorkflowDefinition;
  after: WorkflowDefinition;
  beforeLabel: string;
  afterLabel: string;
}

/**
 * The editor of one workflow (or of a new draft): the builder with Save (a new version), the draft kept
 * locally as it changes, validation on every change, history and diffs, and activate / pause / archive.
 */
export function WorkflowEditor(props: { workflowId: string | null; template?: string | null; blank?: boolean }) {
  const server = useWorkflow(props.workflowId);
  if (props.workflowId && server.isError) {
    return (
      <main className="placeholder" role="alert">
        <h1>This workflow cannot be opened</h1>
        <p className="error">{server.error.message}</p>
        <button type="button" onClick={() => navigate("/workflows")}>
          Back to the list
        </button>
      </main>
    );
  }
  if (props.workflowId && !server.data) return <main className="placeholder">Loading…</main>;
  return <EditorScreen {...props} workflow={server.data ?? null} />;
}

/**
 * Put what the editor opens into the store: the saved workflow, or the draft this browser kept of it; a
 * template or a blank canvas for a new one. Returns whether a kept draft was restored.
 */
function open(workflowId: string | null, live: WorkflowDefinition | null, template: string | null, blank: boolean): boolean {
  const store = editorStore.getState();
  if (workflowId && live) {
    const draft = loadDraft(workflowId);
    if (draft && diffDefinitions(live, draft.definition).changed) {
      store.load(draft.definition, { dirty: true });
      return true;
    }
    store.load(live);
    if (draft) dropDraft(workflowId);
    return false;
  }
  const t = templateByKey(template);
  const draft = loadDraft("new");
  if (t || blank || !draft) {
    const definition = t ? draftFromTemplate(t) : BLANK;
    store.load(definition, { dirty: !!t });
    if (t) storeDraft("new", { definition, baseVersion: null, savedAt: new Date().toISOString() });
    else dropDraft("new");
    // The draft now holds it: coming back (after sign-in, a reload) reopens the draft, not the template.
    window.history.replaceState(null, "", "/workflows/new");
    return false;
  }
  store.load(draft.definition, { dirty: true });
  return true;
}

function EditorScreen({ workflowId, template, blank, workflow }: { workflowId: string | null; template?: string | null; blank?: boolean; workflow: WorkflowOut | null }) {
  const queryClient = useQueryClient();
  const draftKey = workflowId ?? "new";
  const live = useMemo(() => (workflow ? definitionOf(workflow, workflow.name, workflow.description) : null), [workflow]);
  const [restored, setRestored] = useState(() => open(workflowId, live, template ?? null, !!blank));
  const ready = true;
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [history, setHistory] = useState(false);
  const [diff, setDiff] = useState<DiffView | null>(null);
  /** The draft being published (taken when Publish is pressed). */
  const [publishing, setPublishingDraft] = useState<WorkflowDefinition | null>(null);
  const setPublishing = (on: boolean) => setPublishingDraft(on ? editorStore.getState().toDefinition() : null);
  const [statusAction, setStatusAction] = useState<Transition | null>(null);
  const [reverting, setReverting] = useState<VersionOut | null>(null);
  const [webhookToken, setWebhookToken] = useState<string | null>(() => (workflowId ? (issuedTokens.get(workflowId) ?? null) : null));
  const dirty = useEditor((s) => s.dirty);

  const autosave = useAutosave(editorStore, draftKey, workflow?.version ?? null, ready);
  const validation = useValidation();
  const waiting = useWaiting(workflowId, workflow?.version ?? null, !!publishing);

  useLeaveGuard(
    useCallback(() => (editorStore.getState().dirty ? "Your changes are not saved as a version yet (a draft stays in this browser)." : null), []),
  );

  const afterSave = (w: WorkflowOut, revision: number) => {
    queryClient.setQueryData(keys.workflow(w.id), w);
    void queryClient.invalidateQueries({ queryKey: keys.workflows });
    // Changes made while the request was out stay unsaved (and in the draft).
    if (editorStore.getState().revision === revision) {
      editorStore.getState().markSaved();
      dropDraft(draftKey);
    }
  };

  const saveNow = async () => {
    const s = editorStore.getState();
    const definition = s.toDefinition();
    const revision = s.revision;
    setSaving(true);
    setSaveError(null);
    try {
      if (!workflowId) {
        const w = await createWorkflow(definition);
        if (w.webhookToken) issuedTokens.set(w.id, w.webhookToken);
        afterSave(w, revision);
        dropDraft("new");
        navigate(`/workflows/${w.id}`, { replace: true, force: true });
      } else {
        afterSave(await saveWorkflow(workflowId, definition), revision);
      }
    } catch (e) {
      setSaveError(e instanceof Error ? e.message : String(e));
      throw e;
    } finally {
      setSaving(false);
    }
  };

  const save = () => {
    if (workflow?.status === "active") setPublishing(true);
    else void saveNow().catch(() => {});
  };

  // Ctrl+S saves.
  const saveRef = useRef(save);
  useEffect(() => {
    saveRef.current = save;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
        e.preventDefault();
        saveRef.current();
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [saveRef]);

  const errors = validation.pinned.errors;
  const status = workflow?.status ?? "draft";
  const activateWhy = !workflowId
    ? "Save the workflow first"
    : errors > 0
      ? `Fix ${errors} error${errors === 1 ? "" : "s"} first`
      : dirty
        ? "Save your changes first"
        : validation.pending
          ? "Checking the workflow…"
          : "";

  const actions = (
    <>
      {workflowId && (
        <Link to={`/workflows/${workflowId}/analytics`} className="button-link" data-testid="open-analytics" title="Funnel, trends, splits, insights and runs">
          Analytics
        </Link>
      )}
      <button type="button" onClick={() => setHistory(!history)} disabled={!workflowId} aria-pressed={history} data-testid="history-toggle">
        History
      </button>
      <span className={`status status-${status}`} data-testid="workflow-status">
        {status}
        {workflow ? ` · v${workflow.version}` : ""}
      </span>
      <button type="button" className="primary" onClick={save} disabled={saving} data-testid="save" title="Save a new version (Ctrl+S)">
        {status === "active" ? "Publish" : "Save"}
      </button>
      {status === "active" ? (
        <button type="button" onClick={() => setStatusAction("pause")} data-testid="pause">
          Pause
        </button>
      ) : (
        <button type="button" onClick={() => setStatusAction("activate")} disabled={!!activateWhy} title={activateWhy || "Start runs on new events"} data-testid="activate">
          Activate
        </button>
      )}
      {workflowId && (
        <button type="button" onClick={() => setStatusAction("archive")} data-testid="archive">
          Archive
        </button>
      )}
    </>
  );

  const banner =
    saveError || restored || validation.pinned.warnings > 0 ? (
      <>
        {saveError && (
          <p className="banner error" role="alert" data-testid="save-error">
            Not saved: {saveError} Your changes are still here.
            <button type="button" className="link-button" onClick={() => setSaveError(null)}>
              Dismiss
            </button>
          </p>
        )}
        {restored && (
          <p className="banner notice" data-testid="draft-restored">
            Unsaved changes from this browser were restored.
            {live && (
              <button
                type="button"
                className="link-button"
                data-testid="discard-draft"
                onClick={() => {
                  editorStore.getState().load(live);
                  dropDraft(draftKey);
                  setRestored(false);
                }}
              >
                Discard them
              </button>
            )}
            <button type="button" className="link-button" onClick={() => setRestored(false)}>
              Keep
            </button>
          </p>
        )}
      </>
    ) : null;

  const current = () => editorStore.getState().toDefinition();
  const side = history && workflowId && workflow ? (
    <HistoryPanel
      workflowId={workflowId}
      live={workflow.version}
      onClose={() => setHistory(false)}
      onRevert={setReverting}
      onCompare={(a, b) =>
        setDiff({
          before: definitionOf(a, workflow.name),
          after: b === "draft" ? current() : definitionOf(b, workflow.name),
          beforeLabel: `v${a.version}`,
          afterLabel: b === "draft" ? "draft" : `v${b.version}`,
        })
      }
    />
  ) : undefined;

  return (
    <WorkflowContext.Provider value={{ id: workflowId, webhookToken, hasWebhookToken: !!workflow?.hasWebhookToken || !!webhookToken, setWebhookToken }}>
      <ProblemsContext.Provider value={validation.pinned}>
        <BuilderFrame
          actions={actions}
          status={<SaveStatus autosave={autosave} dirty={dirty} saving={saving} error={saveError} />}
          banner={banner}
          dock={diff ? undefined : <ValidationPanel {...validation} />}
          side={side}
          overlay={diff ? <VersionDiff {...diff} onClose={() => setDiff(null)} /> : undefined}
        />
        {publishing && live && (
          <ConfirmDialog
            title="Publish these changes?"
            confirmLabel="Publish"
            testid="publish-dialog"
            wide
            disabled={errors > 0}
            onClose={() => setPublishing(false)}
            onConfirm={saveNow}
          >
            <p>
              The workflow is active: saving makes a new live version. Runs already waiting go on in the version they started in.
              {waiting.data && (
                <>
                  {" "}
                  <strong data-testid="publish-waiting-total">{waiting.data.total}</strong> {waiting.data.total === 1 ? "run waits" : "runs wait"} in the live version now.
                </>
              )}
              {waiting.isError && <span className="hint"> (Waiting runs could not be counted: {waiting.error.message})</span>}
            </p>
            {errors > 0 && <p className="error">Fix the errors before publishing.</p>}
            <VersionDiff before={live} after={publishing} beforeLabel={`live v${workflow!.version}`} afterLabel="draft" waiting={waiting.data?.byNode ?? {}} compact />
          </ConfirmDialog>
        )}
        {statusAction && workflow && (
          <StatusDialog
            workflow={workflow}
            action={statusAction}
            onClose={() => setStatusAction(null)}
            onDone={(w) => {
              queryClient.setQueryData(keys.workflow(w.id), w);
              if (statusAction === "archive") navigate("/workflows", { force: true });
            }}
          />
        )}
        {reverting && workflowId && workflow && (
          <ConfirmDialog
            title={`Revert to v${reverting.version}?`}
            confirmLabel="Revert"
            danger
            testid="revert-dialog"
            onClose={() => setReverting(null)}
            onConfirm={async () => {
              const w = await revertTo(workflowId, reverting.version);
              queryClient.setQueryData(keys.workflow(w.id), w);
              void queryClient.invalidateQueries({ queryKey: keys.versions(w.id) });
              void queryClient.invalidateQueries({ queryKey: keys.workflows });
              editorStore.getState().load(definitionOf(w, w.name, w.description));
              dropDraft(workflowId);
              setRestored(false);
            }}
          >
            <p>
              A new version v{workflow.version + 1} is made with the content of v{reverting.version}
              {status === "active" ? ", and it goes live" : ""}.
            </p>
            {dirty && <p className="error">Your unsaved changes on the canvas are replaced.</p>}
          </ConfirmDialog>
        )}
      </ProblemsContext.Provider>
    </WorkflowContext.Provider>
  );
}
