/**
 * Simulate and step through: a sample contact (JSON or fields) and events with offsets go to
 * `POST /api/v1/workflows/{id}/simulate`; the answer is walked step by step on the canvas (the current node
 * outlined, the path taken drawn, the rest dimmed) with the effects so far and the virtual clock.
 */

import { useMutation } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState, type KeyboardEvent } from "react";
import { createPortal } from "react-dom";
import { api } from "../api/client";
import { useEditor } from "../store/editor";
import { SimulateForm, type FormState } from "./SimulateForm";
import {
  buildRequest,
  effectsSoFar,
  formatClock,
  formatOffset,
  moveTo,
  pathEdgeIds,
  toSteps,
  type EffectGroup,
  type SimStep,
  type SimulateOut,
} from "./steps";
import "./simulate.css";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** The saved workflow the editor shows: its id in the definition, else in the address. */
function useWorkflowId(): string | null {
  const fromMeta = useEditor((s) => (typeof s.meta.id === "string" && UUID.test(s.meta.id) ? s.meta.id : null));
  return fromMeta ?? UUID.exec(location.pathname)?.[0] ?? null;
}

interface Result {
  out: SimulateOut;
  steps: SimStep[];
  start: number;
}

function errorText(error: unknown): string {
  const e = error as { error?: { message?: string; details?: { message?: string }[] } } | Error | null;
  if (e && "error" in e && e.error) {
    const details = (e.error.details ?? []).map((d) => d.message).filter(Boolean);
    return [e.error.message, ...details.filter((d) => d !== e.error?.message)].filter(Boolean).join(" — ");
  }
  return e instanceof Error ? e.message : "the simulation failed";
}

async function runSimulation(workflowId: string, form: FormState): Promise<Result> {
  const start = Date.parse(form.start) || Date.now();
  const body = buildRequest(form.contact, form.events, start);
  if (!body.ok) throw new Error(body.error);
  const { data, error, response } = await api.POST("/api/v1/workflows/{workflow_id}/simulate", {
    params: { path: { workflow_id: workflowId } },
    body: { ...body.value, version: form.version ?? null },
  });
  if (error) throw error;
  if (!data) throw new Error(`the API answered ${(response as Response).status}`);
  const out = data.data;
  return { out, steps: toSteps(out, start), start };
}

/** Canvas highlight for one step: path nodes and edges marked, the current node outlined, the rest dimmed. */
function Highlight({ step }: { step: SimStep }) {
  const edges = useEditor((s) => s.edges);
  const ids = pathEdgeIds(step.path, edges);
  const node = (id: string) => `.canvas .react-flow__node[data-id="${CSS.escape(id)}"]`;
  const edge = (id: string) => `.canvas .react-flow__edge[data-id="${CSS.escape(id)}"]`;
  const css = [
    `.canvas .react-flow__node { opacity: 0.45; transition: opacity 120ms; }`,
    step.path.length ? `${step.path.map(node).join(", ")} { opacity: 1; }` : "",
    step.path.length ? `${step.path.map((id) => `${node(id)} .node-face`).join(", ")} { outline: 2px solid var(--sim-path); outline-offset: 2px; }` : "",
    ids.length ? `${ids.map((id) => `${edge(id)} .react-flow__edge-path`).join(", ")} { stroke: var(--sim-path); stroke-width: 3; }` : "",
    step.nodeId ? `${node(step.nodeId)} { opacity: 1; z-index: 5 !important; }` : "",
    step.nodeId
      ? `${node(step.nodeId)} .node-face { outline: 4px solid var(--sim-current); outline-offset: 3px; box-shadow: 0 0 0 10px rgb(245 158 11 / 0.18); }`
      : "",
  ];
  return <style data-testid="sim-highlight">{css.filter(Boolean).join("\n")}</style>;
}

const GROUP_TITLES: [EffectGroup, string][] = [
  ["message", "Messages"],
  ["contact", "Contact changes"],
  ["http", "HTTP calls"],
  ["timer", "Timers"],
];

function StepView({ result, index, onMove }: { result: Result; index: number; onMove: (i: number) => void }) {
  const { steps, start } = result;
  const step = steps[index];
  const so = useMemo(() => effectsSoFar(steps, index), [steps, index]);
  if (!step) return <p className="hint">The simulation took no step: the trigger did not start a run.</p>;
  const move = (m: "first" | "back" | "forward" | "last") => onMove(moveTo(index, steps.length, m));
  return (
    <>
      <div className="sim-controls" role="group" aria-label="Step through">
        <button type="button" onClick={() => move("first")} disabled={index === 0} title="First step (Home)">
          « First
        </button>
        <button type="button" onClick={() => move("back")} disabled={index === 0} title="Step back (←)" data-testid="sim-back">
          ◀ Back
        </button>
        <span className="sim-counter" data-testid="sim-counter">
          Step {index + 1} of {steps.length}
        </span>
        <button
          type="button"
          onClick={() => move("forward")}
          disabled={index === steps.length - 1}
          title="Step forward (→)"
          data-testid="sim-forward"
        >
          Forward ▶
        </button>
        <button type="button" onClick={() => move("last")} disabled={index === steps.length - 1} title="Last step (End)">
          Last »
        </button>
      </div>
      <section className={`sim-current sim-${step.kind}`} data-testid="sim-current" data-node-id={step.nodeId ?? ""} aria-live="polite">
        <div className="sim-clock" data-testid="sim-clock">
          <strong>{formatOffset(step.clock - start)}</strong> <span>{formatClock(step.clock)}</span>
        </div>
        <div className="sim-title">{step.title}</div>
        <div className="sim-path" data-testid="sim-path" aria-label="Path taken">
          {step.path.map((id, i) => (
            <span key={`${id}-${i}`} className={i === step.path.length - 1 ? "here" : ""}>
              {id}
            </span>
          ))}
        </div>
        {step.effects.length > 0 && (
          <ul className="sim-effects now">
            {step.effects.map((e, i) => (
              <li key={i} className={`effect-${e.group}`}>
                {e.text}
              </li>
            ))}
          </ul>
        )}
      </section>
      <div className="sim-so-far" data-testid="sim-effects">
        {GROUP_TITLES.map(([group, title]) => (
          <div key={group} data-group={group}>
            <h4>
              {title} <span className="hint">({so[group].length})</span>
            </h4>
            {so[group].length > 0 && (
              <ul className="sim-effects">
                {so[group].map((e, i) => (
                  <li key={i}>{e.text}</li>
                ))}
              </ul>
            )}
          </div>
        ))}
      </div>
      <ol className="sim-steps" aria-label="Steps">
        {steps.map((s, i) => (
          <li key={i}>
            <button
              type="button"
              className={i === index ? "current" : i < index ? "done" : ""}
              aria-current={i === index ? "step" : undefined}
              onClick={() => onMove(i)}
              data-testid="sim-step"
            >
              <span className="sim-step-clock">{formatOffset(s.clock - start)}</span> {s.title}
            </button>
          </li>
        ))}
      </ol>
    </>
  );
}

export function SimulatePanel({ onClose }: { onClose: () => void }) {
  const savedId = useWorkflowId();
  const [typedId, setTypedId] = useState("");
  const workflowId = savedId ?? (UUID.test(typedId) ? typedId.trim() : null);
  const [index, setIndex] = useState(0);
  const simulation = useMutation({
    mutationFn: (form: FormState) => runSimulation(workflowId!, form),
    onSuccess: () => setIndex(0),
  });
  const result = simulation.data;
  const step = result?.steps[index];

  const onKey = useCallback(
    (e: KeyboardEvent<HTMLElement>) => {
      const el = e.target as HTMLElement;
      if (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return;
      if (e.key === "Escape") onClose();
      if (!result) return;
      const m = { ArrowLeft: "back", ArrowRight: "forward", Home: "first", End: "last" } as const;
      const move = m[e.key as keyof typeof m];
      if (!move) return;
      e.preventDefault();
      e.stopPropagation();
      setIndex((i) => moveTo(i, result.steps.length, move));
    },
    [result, onClose],
  );

  return (
    <aside className="simulate-panel" data-testid="simulate-panel" aria-label="Simulate" onKeyDown={onKey} tabIndex={-1}>
      <header>
        <h2>Simulate</h2>
        <span className="spacer" />
        <button type="button" onClick={onClose} title="Close (Esc)" aria-label="Close simulate">
          ✕
        </button>
      </header>
      {savedId ? (
        <p className="hint">Runs the saved version on a virtual clock: nothing is sent.</p>
      ) : (
        <label className="field">
          <span>Workflow id</span>
          <input
            value={typedId}
            onChange={(e) => setTypedId(e.target.value)}
            placeholder="save the workflow first, or paste its id"
            data-testid="sim-workflow-id"
          />
        </label>
      )}
      <SimulateForm busy={simulation.isPending} disabled={!workflowId} onRun={(form) => simulation.mutate(form)} />
      {simulation.isError && (
        <p className="hint error" role="alert" data-testid="sim-error">
          {errorText(simulation.error)}
        </p>
      )}
      {result && <StepView result={result} index={index} onMove={setIndex} />}
      {step && <Highlight step={step} />}
    </aside>
  );
}

/** The toolbar's "Simulate" button; the panel opens over the inspector. */
export function SimulateButton() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!open) return;
    requestAnimationFrame(() => document.querySelector<HTMLElement>(".simulate-panel")?.focus());
  }, [open]);
  return (
    <>
      <button type="button" onClick={() => setOpen((o) => !o)} aria-pressed={open} title="Simulate a contact's path" data-testid="simulate-open">
        Simulate
      </button>
      {open && createPortal(<SimulatePanel onClose={() => setOpen(false)} />, document.body)}
    </>
  );
}
