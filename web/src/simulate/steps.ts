/**
 * The step model of a simulation: pure functions from the API's answer (`SimulateOut`) to the steps the
 * user walks through, and from the panel's form (sample contact, events with offsets) to the request.
 *
 * A step is one thing a run did, in the order the engine did it: the run started, a node completed (or is
 * waiting, failed, was skipped), the run reached a goal or ended. The effects the engine produced on the way
 * to that step (messages, contact changes, HTTP calls, timers) are attached to it, and every step carries
 * the virtual clock and the path its run has taken so far.
 */

import type { components } from "../api/schema";

export type SimulateIn = components["schemas"]["SimulateIn"];
export type SimulateOut = components["schemas"]["SimulateOut"];
export type SimulatedEvent = components["schemas"]["SimulatedEvent"];
type Raw = Record<string, unknown>;

/** What an effect means to a marketer: a message sent, a contact change, an HTTP call, a timer. */
export type EffectGroup = "message" | "contact" | "http" | "timer" | "other";

export interface SimEffect {
  group: EffectGroup;
  kind: string;
  /** One line, e.g. "email: template t1" or "POST https://example.com/hook". */
  text: string;
  raw: Raw;
}

export type StepKind = "started" | "node" | "goal" | "ended" | "skipped";

export interface SimStep {
  kind: StepKind;
  runId: string | null;
  /** The node this step is at (the run's current node for a run-level step), null before the first node. */
  nodeId: string | null;
  nodeType: string | null;
  /** A node's step status (completed, pending, failed, skipped) or the run's status. */
  status: string;
  /** Virtual time of the step, epoch ms. */
  clock: number;
  /** One line for the step list, e.g. "node-2 (delay) waits until …". */
  title: string;
  effects: SimEffect[];
  /** Node ids this step's run has visited up to and including this step, starting at "trigger". */
  path: string[];
}

const GROUPS: Record<string, EffectGroup> = {
  send_message: "message",
  update_contact: "contact",
  add_tag: "contact",
  remove_tag: "contact",
  add_to_segment: "contact",
  remove_from_segment: "contact",
  call_webhook: "http",
  send_slack: "http",
  schedule_timer: "timer",
  cancel_timer: "timer",
};

const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v));
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Raw => (v && typeof v === "object" && !Array.isArray(v) ? (v as Raw) : {});

function pairs(value: unknown): string {
  return Object.entries(obj(value))
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(", ");
}

/** One line describing an effect, in the terms of the node that produced it. */
export function describeEffect(raw: Raw): SimEffect {
  const kind = str(raw.kind);
  const group = GROUPS[kind] ?? "other";
  let text: string;
  switch (kind) {
    case "send_message":
      text = `${str(raw.channel) || "message"}: template ${str(raw.templateId)}`;
      break;
    case "update_contact": {
      const parts = [pairs(raw.fields), pairs(raw.attributes)].filter(Boolean);
      text = `contact: ${parts.join(", ") || "no change"}`;
      break;
    }
    case "add_tag":
      text = `tag added: ${str(raw.tag)}`;
      break;
    case "remove_tag":
      text = `tag removed: ${str(raw.tag)}`;
      break;
    case "add_to_segment":
      text = `added to segment ${str(raw.segmentId)}`;
      break;
    case "remove_from_segment":
      text = `removed from segment ${str(raw.segmentId)}`;
      break;
    case "call_webhook":
      text = `${str(raw.method) || "POST"} ${str(raw.url)}`;
      break;
    case "send_slack":
      text = `Slack ${str(raw.channel) || "webhook"}: ${str(raw.message)}`;
      break;
    case "schedule_timer":
      text = `timer set for ${formatClock(num(raw.dueAt) ?? 0)}`;
      break;
    case "cancel_timer":
      text = "timer cancelled";
      break;
    default:
      text = kind || "effect";
  }
  return { group, kind, text, raw };
}

const RUN_ENDS: Record<string, StepKind> = {
  "workflow.run.started": "started",
  "workflow.run.goal_reached": "goal",
  "workflow.run.completed": "ended",
  "workflow.run.failed": "ended",
  "workflow.run.cancelled": "ended",
};

function stepTitle(kind: StepKind, nodeId: string | null, nodeType: string | null, status: string, raw: Raw): string {
  const run = obj(raw.run);
  switch (kind) {
    case "started":
      return `run started by ${str(obj(run.triggerEvent).type) || "its trigger"}`;
    case "goal":
      return `goal reached: ${str(run.goalName) || str(run.goalReachedId)}${nodeId ? ` (at ${nodeId})` : ""}`;
    case "ended":
      return `run ${status}${str(run.errorMessage) ? `: ${str(run.errorMessage)}` : ""}`;
    case "skipped":
      return `enrolment skipped${str(raw.reason) ? `: ${str(raw.reason)}` : ""}`;
    case "node": {
      const what = `${nodeId ?? "?"}${nodeType ? ` (${nodeType})` : ""}`;
      const step = obj(raw.step);
      if (status === "pending") {
        const until = num(step.scheduledAt);
        return until === null ? `${what} waits` : `${what} waits until ${formatClock(until)}`;
      }
      const error = str(step.errorMessage);
      return `${what} ${status}${error ? `: ${error}` : ""}`;
    }
  }
}

/**
 * The steps of a simulation, in the engine's order. A node that waits (a delay, a wait_until, an action
 * awaiting its result) is a step when it starts waiting and another when it completes; the path counts it
 * once per visit, like the engine's `path`.
 */
export function toSteps(out: Pick<SimulateOut, "effects">, start: number): SimStep[] {
  const steps: SimStep[] = [];
  const pending = new Map<string, SimEffect[]>(); // run id -> effects not yet attached to a step
  const paths = new Map<string, string[]>();
  const visits = new Map<string, Set<string>>();
  let clock = start;
  for (const raw of out.effects) {
    const kind = str(raw.kind);
    const runId = str(raw.runId) || null;
    const key = runId ?? "";
    if (kind === "run_event" || kind === "enrolment_skipped") {
      const at = num(raw.occurredAt);
      if (at !== null) clock = Math.max(clock, at);
      const step = obj(raw.step);
      const run = obj(raw.run);
      const subject = str(raw.eventType) || str(raw.subject);
      const stepKind: StepKind =
        kind === "enrolment_skipped" ? "skipped" : raw.step ? "node" : (RUN_ENDS[subject] ?? "ended");
      const nodeId = str(step.nodeId) || str(raw.nodeId) || str(run.currentNodeId) || null;
      const nodeType = str(step.nodeType) || null;
      const status = stepKind === "node" ? str(step.status) : str(run.status) || stepKind;
      const path = paths.get(key) ?? ["trigger"];
      if (stepKind === "node" && nodeId) {
        const seen = visits.get(key) ?? new Set<string>();
        const visit = `${nodeId}#${str(step.visit)}`;
        if (!seen.has(visit)) {
          seen.add(visit);
          visits.set(key, seen);
          path.push(nodeId);
        }
      }
      paths.set(key, path);
      steps.push({
        kind: stepKind,
        runId,
        nodeId: stepKind === "started" ? "trigger" : nodeId,
        nodeType: stepKind === "started" ? "trigger" : nodeType,
        status,
        clock,
        title: stepTitle(stepKind, nodeId, nodeType, status, raw),
        effects: pending.get(key) ?? [],
        path: [...path],
      });
      pending.delete(key);
    } else {
      const list = pending.get(key) ?? [];
      list.push(describeEffect(raw));
      pending.set(key, list);
    }
  }
  // Effects after the last step of their run (none in practice) still show, on that run's last step.
  for (const [key, effects] of pending) {
    const last = [...steps].reverse().find((s) => (s.runId ?? "") === key);
    if (last) last.effects = [...last.effects, ...effects];
  }
  return steps;
}

/** The edges a path walked: consecutive node pairs matched to the graph's edges by source and target. */
export function pathEdgeIds(path: string[], edges: { id: string; source: string; target: string }[]): string[] {
  const ids: string[] = [];
  for (let i = 1; i < path.length; i += 1) {
    const from = path[i - 1];
    const to = path[i];
    const edge = edges.find((e) => e.source === from && e.target === to);
    if (edge && !ids.includes(edge.id)) ids.push(edge.id);
  }
  return ids;
}

/** Every effect up to and including step `index`, grouped: what the contact has received so far. */
export function effectsSoFar(steps: SimStep[], index: number): Record<EffectGroup, SimEffect[]> {
  const out: Record<EffectGroup, SimEffect[]> = { message: [], contact: [], http: [], timer: [], other: [] };
  for (const step of steps.slice(0, index + 1)) for (const e of step.effects) out[e.group].push(e);
  return out;
}

/** The step index after a move, kept within the steps. */
export function moveTo(index: number, steps: number, move: "first" | "back" | "forward" | "last"): number {
  if (steps === 0) return 0;
  const next = move === "first" ? 0 : move === "last" ? steps - 1 : move === "back" ? index - 1 : index + 1;
  return Math.min(Math.max(next, 0), steps - 1);
}

/** An instant as "2024-05-01 09:30:00 UTC" (the simulation's clock is in UTC). */
export function formatClock(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Virtual time since the start, e.g. "+1d 2h 5m", "+0s". */
export function formatOffset(ms: number): string {
  if (ms <= 0) return "+0s";
  const s = Math.floor(ms / 1000);
  const parts: string[] = [];
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (sec || parts.length === 0) parts.push(`${sec}s`);
  return `+${parts.join(" ")}`;
}

// ---- the form: sample contact and events ----

export type OffsetUnit = "seconds" | "minutes" | "hours" | "days";
const UNIT_MS: Record<OffsetUnit, number> = { seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

export interface EventRow {
  type: string;
  offset: number;
  unit: OffsetUnit;
  /** The event's `data` as JSON text ("" for none). */
  data: string;
}

export interface FieldRow {
  key: string;
  /** A JSON value when it parses as one (true, 3, {"a":1}), otherwise a string. */
  value: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** The sample contact from the JSON text: an object, or an error saying why not. */
export function parseContact(text: string): Parsed<Record<string, unknown>> {
  if (!text.trim()) return { ok: true, value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      return { ok: false, error: "the contact must be a JSON object, like {\"email\": \"a@example.com\"}" };
    }
    return { ok: true, value: value as Record<string, unknown> };
  } catch (e) {
    return { ok: false, error: `the contact is not valid JSON: ${(e as Error).message}` };
  }
}

function fieldValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Field rows -> contact. A dotted key (attributes.plan) sets a nested field. */
export function contactFromFields(rows: FieldRow[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of rows) {
    const parts = key.trim().split(".").filter(Boolean);
    if (parts.length === 0) continue;
    let at = out;
    for (const p of parts.slice(0, -1)) {
      const next = at[p];
      at = next && typeof next === "object" && !Array.isArray(next) ? (next as Record<string, unknown>) : (at[p] = {});
    }
    at[parts[parts.length - 1]!] = fieldValue(value);
  }
  return out;
}

/** Contact -> field rows (nested objects as dotted keys; arrays and scalars as JSON, strings as they are). */
export function fieldsFromContact(contact: Record<string, unknown>, prefix = ""): FieldRow[] {
  const rows: FieldRow[] = [];
  for (const [k, v] of Object.entries(contact)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
      rows.push(...fieldsFromContact(v as Record<string, unknown>, key));
    } else if (typeof v === "string" && JSON.stringify(fieldValue(v)) !== JSON.stringify(v)) {
      rows.push({ key, value: JSON.stringify(v) }); // a string that reads as another value stays quoted
    } else {
      rows.push({ key, value: typeof v === "string" ? v : JSON.stringify(v) });
    }
  }
  return rows;
}

/** Event rows -> the request's events (`at` = ms after the start), or the first row's problem. */
export function eventsFromRows(rows: EventRow[]): Parsed<SimulatedEvent[]> {
  const events: SimulatedEvent[] = [];
  for (const [i, row] of rows.entries()) {
    const n = i + 1;
    if (!row.type.trim()) return { ok: false, error: `event ${n} has no type` };
    if (!Number.isFinite(row.offset) || row.offset < 0) return { ok: false, error: `event ${n}: the offset must be 0 or more` };
    const event: SimulatedEvent = { type: row.type.trim(), at: Math.round(row.offset * UNIT_MS[row.unit]) };
    if (row.data.trim()) {
      const data = parseContact(row.data);
      if (!data.ok) return { ok: false, error: `event ${n}: its data must be a JSON object` };
      event.data = data.value;
    }
    events.push(event);
  }
  return { ok: true, value: events };
}

/**
 * The request body. The sample contact is sent as it is; the API gives it as the profile to a
 * `contact.created` event that carries none of its own, so the contact the user typed is the one the run sees.
 */
export function buildRequest(contact: Record<string, unknown>, rows: EventRow[], start: number): Parsed<SimulateIn> {
  const events = eventsFromRows(rows);
  if (!events.ok) return events;
  return {
    ok: true,
    value: { contact, events: events.value, start: new Date(start).toISOString(), autoCompleteActions: true },
  };
}
