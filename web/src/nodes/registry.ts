/**
 * The one node-type registry: every node type of the engine and the trigger, with its group, label, icon,
 * colour, defaults, one-line summary, branches and inspector form. The palette, the node face and the
 * inspector all read it, so a new node type is one entry here.
 *
 * Branches are keyed by branch id (what an edge's `branch` / `sourceHandle` names), never by position:
 * condition true/false, a switch case's key (id, else label, else value: the engine's switch_case_key)
 * plus `default`, a split variant's id.
 */

import type { Json, JsonObject } from "../definition/types";

export type Group = "trigger" | "actions" | "flow";

export const GROUPS: { id: Group; label: string }[] = [
  { id: "trigger", label: "Trigger" },
  { id: "actions", label: "Actions" },
  { id: "flow", label: "Flow control" },
];

export interface Branch {
  id: string;
  label: string;
}

export type FieldSpec =
  | { kind: "text"; key: string; label: string; placeholder?: string; required?: boolean; secret?: boolean; help?: string }
  | { kind: "textarea"; key: string; label: string; placeholder?: string; required?: boolean }
  | { kind: "number"; key: string; label: string; min?: number; max?: number; required?: boolean; help?: string }
  | { kind: "select"; key: string; label: string; options: string[]; required?: boolean; emptyLabel?: string }
  | { kind: "map"; key: string; label: string; secretValues?: boolean; required?: boolean; help?: string }
  | { kind: "json"; key: string; label: string; help?: string }
  | { kind: "conditions"; key: string; label: string }
  | { kind: "cases"; key: string; label: string }
  | { kind: "variants"; key: string; label: string }
  | { kind: "offset"; key: string; label: string }
  /** An event type: offered from the API's event types, free text otherwise. */
  | { kind: "eventType"; key: string; label: string; required?: boolean; testid?: string }
  /** A duration {amount, unit}. */
  | { kind: "duration"; key: string; label: string; required?: boolean }
  /** A list of strings typed comma-separated. */
  | { kind: "stringList"; key: string; label: string; placeholder?: string; help?: string }
  /** A send window {days, start, end, timezone, smoothing}; absent: any time. */
  | { kind: "sendWindow"; key: string; label: string; help?: string }
  /** A cron expression, read aloud with its next fire times in the trigger's zone. */
  | { kind: "cron"; key: string; label: string; required?: boolean }
  | { kind: "checkbox"; key: string; label: string; help?: string }
  | { kind: "waitTarget" };

export interface NodeTypeSpec {
  type: string;
  group: Group;
  label: string;
  description: string;
  /** An SVG path (24x24, stroked) drawn by <Icon>. */
  icon: string;
  colour: string;
  defaults: () => JsonObject;
  summary: (data: JsonObject) => string;
  /** Outgoing branches; null: one plain outgoing edge; []: none (end). */
  branches: (data: JsonObject) => Branch[] | null;
  fields: FieldSpec[];
}

/** Every operator of streams/engine/conditions.py OPERATORS. */
export const OPERATORS = [
  "equals",
  "not_equals",
  "contains",
  "not_contains",
  "starts_with",
  "ends_with",
  "gt",
  "gte",
  "lt",
  "lte",
  "in",
  "not_in",
  "exists",
  "not_exists",
  "before",
  "after",
  "within_last",
] as const;
export const NO_VALUE_OPERATORS: ReadonlySet<string> = new Set(["exists", "not_exists"]);
export const MAX_CONDITIONS = 10;
export const DELAY_UNITS = ["seconds", "minutes", "hours", "days", "weeks"];
/** Weekdays of a send window (streams/engine/windows.py), Monday first. */
export const SEND_WINDOW_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/** What a message node over a frequency cap does (streams/engine/caps.py). */
export const FREQUENCY_CAP_MODES = ["skip", "wait"];
export const MAX_PRIORITY = 100;
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];
export const TRIGGER_TYPES = ["event", "segment_entry", "segment_exit", "schedule", "webhook", "manual"] as const;

const str = (v: Json | undefined): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v));
const orDash = (v: Json | undefined): string => str(v) || "—";
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The engine's switch_case_key: a case's id, else its label, else its value, as a string. */
export function switchCaseKey(c: JsonObject): string {
  const key = c.id ?? c.label ?? c.value;
  if (key === true) return "true";
  if (key === false) return "false";
  return key === null || key === undefined ? "null" : typeof key === "string" ? key : JSON.stringify(key);
}

function objects(v: Json | undefined): JsonObject[] {
  return Array.isArray(v) ? v.filter((x): x is JsonObject => typeof x === "object" && x !== null && !Array.isArray(x)) : [];
}

/** Leaf conditions in a condition tree (a list, {all}, {any} or a leaf). */
export function countConditions(spec: Json | undefined): number {
  if (Array.isArray(spec)) return spec.reduce<number>((n, s) => n + countConditions(s), 0);
  if (spec && typeof spec === "object") {
    if (Array.isArray(spec.all)) return countConditions(spec.all);
    if (Array.isArray(spec.any)) return countConditions(spec.any);
    return 1;
  }
  return 0;
}

function conditionsSummary(spec: Json | undefined): string {
  const n = countConditions(spec);
  if (n === 0) return "No conditions";
  const mode = spec && typeof spec === "object" && !Array.isArray(spec) && Array.isArray(spec.any) ? "any" : "all";
  const leaves = Array.isArray(spec) ? spec : spec && typeof spec === "object" && !Array.isArray(spec) ? (spec.all ?? spec.any) : null;
  const first = Array.isArray(leaves) ? objects(leaves)[0] : undefined;
  if (n === 1 && first && typeof first.field === "string" && first.field !== "") {
    return `${first.field} ${first.operator ?? ""}${NO_VALUE_OPERATORS.has(str(first.operator)) ? "" : ` ${str(first.value)}`}`;
  }
  return `${plural(n, "condition")} (${mode})`;
}

function offsetText(v: Json | undefined): string {
  if (typeof v === "number") return `${v}s`;
  if (v && typeof v === "object" && !Array.isArray(v)) return `${str(v.amount)} ${str(v.unit)}`;
  return "";
}

/** A send window in a few words: "mon-fri 09:00-17:00". */
export function windowText(v: Json | undefined): string {
  if (!v || typeof v !== "object" || Array.isArray(v)) return "";
  const days = Array.isArray(v.days) ? v.days.map(String) : SEND_WINDOW_DAYS;
  const idx = days.map((d) => SEND_WINDOW_DAYS.indexOf(d.slice(0, 3).toLowerCase())).sort((a, b) => a - b);
  const run = idx.length > 1 && idx.every((d, i) => i === 0 || d === (idx[i - 1] ?? 0) + 1);
  const dayText = idx.length === 7 ? "daily" : run ? `${SEND_WINDOW_DAYS[idx[0] ?? 0]}-${SEND_WINDOW_DAYS[idx[idx.length - 1] ?? 0]}` : days.join(",");
  return `${dayText} ${str(v.start)}-${str(v.end)}`;
}

const ICONS = {
  mail: "M3 6h18v12H3z M3 6l9 7 9-7",
  sms: "M4 5h16v11H9l-5 4z",
  whatsapp: "M12 3a9 9 0 0 0-7.8 13.5L3 21l4.6-1.2A9 9 0 1 0 12 3z M9 8c0 4 3 7 7 7",
  push: "M6 17V11a6 6 0 0 1 12 0v6l2 2H4z M10 21h4",
  user: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z M4 21a8 8 0 0 1 16 0",
  tag: "M3 3h8l10 10-8 8L3 11z M7.5 7.5h.01",
  untag: "M3 3h8l10 10-8 8L3 11z M8 12h6",
  segmentAdd: "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z M1 21a8 8 0 0 1 14-5 M19 14v6 M16 17h6",
  segmentRemove: "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z M1 21a8 8 0 0 1 14-5 M16 17h6",
  subflow: "M4 4h7v6H4z M13 14h7v6h-7z M7.5 10v7h5.5",
  webhook: "M10 13a5 5 0 0 0 7 0l3-3a5 5 0 0 0-7-7l-1 1 M14 11a5 5 0 0 0-7 0l-3 3a5 5 0 0 0 7 7l1-1",
  slack: "M9 3v18 M15 3v18 M3 9h18 M3 15h18",
  inbox: "M3 13h5l1 3h6l1-3h5 M5 5h14l2 8v6H3v-6z",
  clock: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z M12 7v5l3 3",
  calendar: "M4 5h16v16H4z M4 10h16 M8 3v4 M16 3v4",
  condition: "M12 3l9 9-9 9-9-9z",
  switch: "M12 3v6 M12 9l-7 6v6 M12 9v12 M12 9l7 6v6",
  split: "M12 21v-8 M12 13L5 5 M12 13l7-8 M5 5h4 M5 5v4 M19 5h-4 M19 5v4",
  end: "M6 6h12v12H6z",
  bolt: "M13 2L4 14h7l-1 8 9-12h-7z",
} as const;

const COLOURS = {
  trigger: "#0f766e",
  message: "#2563eb",
  contact: "#16a34a",
  integration: "#7c3aed",
  wait: "#d97706",
  branch: "#db2777",
  end: "#475569",
};

/** What each channel sends, for its description ("Send an email from a template"). */
const MESSAGE_NOUNS: Record<string, string> = {
  send_email: "an email",
  send_sms: "an SMS",
  send_whatsapp: "a WhatsApp message",
  send_push: "a push notification",
};

const message = (
  type: string,
  label: string,
  icon: string,
  senderFields: FieldSpec[],
): NodeTypeSpec => ({
  type,
  group: "actions",
  label,
  description: `Send ${MESSAGE_NOUNS[type] ?? "a message"} from a template`,
  icon,
  colour: COLOURS.message,
  defaults: () => ({ templateId: "" }),
  summary: (d) => `Template ${orDash(d.templateId)}${windowText(d.sendWindow) ? `, ${windowText(d.sendWindow)}` : ""}`,
  branches: () => null,
  fields: [
    { kind: "text", key: "templateId", label: "Template id", required: true },
    ...senderFields,
    { kind: "sendWindow", key: "sendWindow", label: "Send window", help: "This node's own window; without one the workflow's applies." },
    { kind: "select", key: "frequencyCap", label: "Over a frequency cap", options: FREQUENCY_CAP_MODES, emptyLabel: "skip (default)" },
  ],
});

const tagNode = (type: string, label: string, icon: string, verb: string): NodeTypeSpec => ({
  type,
  group: "actions",
  label,
  description: `${verb} a tag on the contact`,
  icon,
  colour: COLOURS.contact,
  defaults: () => ({ tag: "" }),
  summary: (d) => `${verb} ${orDash(d.tag)}`,
  branches: () => null,
  fields: [{ kind: "text", key: "tag", label: "Tag", required: true }],
});

const segmentNode = (type: string, label: string, icon: string, verb: string): NodeTypeSpec => ({
  type,
  group: "actions",
  label,
  description: `${verb} a segment`,
  icon,
  colour: COLOURS.contact,
  defaults: () => ({ segmentId: "" }),
  summary: (d) => `${verb} ${orDash(d.segmentId)}`,
  branches: () => null,
  fields: [{ kind: "text", key: "segmentId", label: "Segment id", required: true }],
});

const TRIGGER_LABELS: Record<string, string> = {
  event: "Event",
  segment_entry: "Segment entry",
  segment_exit: "Segment exit",
  schedule: "Schedule",
  webhook: "Webhook",
  manual: "Manual",
};

function triggerSummary(t: JsonObject): string {
  switch (t.type) {
    case "event":
      return `On ${orDash(t.event)}${countConditions(t.conditions) ? `, ${plural(countConditions(t.conditions), "condition")}` : ""}`;
    case "segment_entry":
      return `Enters ${orDash(t.segmentId)}`;
    case "segment_exit":
      return `Leaves ${orDash(t.segmentId)}`;
    case "schedule":
      return `${orDash(t.cron)} ${str(t.timezone) || "UTC"}`;
    case "webhook":
      return "On a call to its webhook URL";
    case "manual":
      return "Started by an operator";
    default:
      return `Unknown trigger ${str(t.type)}`;
  }
}

/** Form fields of a trigger, by its type. */
export function triggerFields(type: string): FieldSpec[] {
  const typeField: FieldSpec = { kind: "select", key: "type", label: "Trigger type", options: [...TRIGGER_TYPES] };
  switch (type) {
    case "event":
      return [
        typeField,
        { kind: "eventType", key: "event", label: "Event type", required: true, testid: "trigger-event" },
        { kind: "conditions", key: "conditions", label: "Only when" },
      ];
    case "segment_entry":
    case "segment_exit":
      return [
        typeField,
        { kind: "text", key: "segmentId", label: "Segment id", required: true },
        { kind: "conditions", key: "conditions", label: "Only when" },
      ];
    case "schedule":
      return [
        typeField,
        { kind: "cron", key: "cron", label: "Cron", required: true },
        { kind: "text", key: "timezone", label: "Time zone", placeholder: "UTC" },
        { kind: "text", key: "segmentId", label: "Audience segment id", required: true },
        { kind: "conditions", key: "conditions", label: "Only when" },
      ];
    case "webhook":
      return [typeField, { kind: "conditions", key: "conditions", label: "Only when" }];
    default:
      return [typeField];
  }
}

export const TRIGGER_SPEC: NodeTypeSpec = {
  type: "trigger",
  group: "trigger",
  label: "Trigger",
  description: "What starts a run",
  icon: ICONS.bolt,
  colour: COLOURS.trigger,
  defaults: () => ({ type: "event", event: "" }),
  summary: triggerSummary,
  branches: () => null,
  fields: triggerFields("event"),
};

export function triggerLabel(type: string): string {
  return TRIGGER_LABELS[type] ?? type;
}

export const NODE_TYPES: NodeTypeSpec[] = [
  message("send_email", "Send email", ICONS.mail, [
    { kind: "text", key: "fromName", label: "From name" },
    { kind: "text", key: "fromEmail", label: "From email" },
    { kind: "text", key: "replyTo", label: "Reply to" },
  ]),
  message("send_sms", "Send SMS", ICONS.sms, [
    { kind: "text", key: "fromNumber", label: "From number" },
    { kind: "text", key: "senderId", label: "Sender id" },
  ]),
  message("send_whatsapp", "Send WhatsApp", ICONS.whatsapp, [{ kind: "text", key: "fromNumber", label: "From number" }]),
  message("send_push", "Send push", ICONS.push, []),
  {
    type: "update_contact",
    group: "actions",
    label: "Update contact",
    description: "Set attributes on the contact",
    icon: ICONS.user,
    colour: COLOURS.contact,
    defaults: () => ({ attributes: {} }),
    summary: (d) => {
      const keys = Object.keys(d.attributes && typeof d.attributes === "object" && !Array.isArray(d.attributes) ? d.attributes : {});
      return keys.length ? `Set ${keys.slice(0, 3).join(", ")}${keys.length > 3 ? "…" : ""}` : "No attributes";
    },
    branches: () => null,
    fields: [{ kind: "map", key: "attributes", label: "Attributes", required: true }],
  },
  tagNode("add_tag", "Add tag", ICONS.tag, "Add"),
  tagNode("remove_tag", "Remove tag", ICONS.untag, "Remove"),
  segmentNode("add_to_segment", "Add to segment", ICONS.segmentAdd, "Into"),
  segmentNode("remove_from_segment", "Remove from segment", ICONS.segmentRemove, "Out of"),
  {
    type: "run_workflow",
    group: "actions",
    label: "Run workflow",
    description: "Start another active workflow for the contact",
    icon: ICONS.subflow,
    colour: COLOURS.integration,
    defaults: () => ({ workflowId: "", wait: false }),
    summary: (d) => `${d.wait === true ? "Run and wait for" : "Start"} ${orDash(d.workflowId)}`,
    branches: (d) =>
      d.wait === true
        ? [
            { id: "completed", label: "completed" },
            { id: "goal_reached", label: "goal reached" },
            { id: "failed", label: "failed" },
          ]
        : null,
    fields: [
      { kind: "text", key: "workflowId", label: "Workflow id", required: true },
      { kind: "map", key: "variables", label: "Variables", help: "Templated, e.g. {{ trigger.data.plan }}; the sub-workflow reads them as variables.*" },
      { kind: "checkbox", key: "wait", label: "Wait for it to end", help: "Then take completed, goal reached or failed" },
    ],
  },
  {
    type: "webhook",
    group: "actions",
    label: "Webhook",
    description: "Call an HTTP endpoint",
    icon: ICONS.webhook,
    colour: COLOURS.integration,
    defaults: () => ({ url: "", method: "POST" }),
    summary: (d) => `${str(d.method) || "POST"} ${orDash(d.url)}`,
    branches: () => null,
    fields: [
      { kind: "select", key: "method", label: "Method", options: HTTP_METHODS },
      { kind: "text", key: "url", label: "URL", placeholder: "https://…", required: true },
      { kind: "map", key: "headers", label: "Headers", secretValues: true },
      { kind: "json", key: "body", label: "Body (JSON)", help: "Empty: the run's identity is sent" },
      { kind: "number", key: "timeoutMs", label: "Timeout per attempt (ms)", min: 1 },
      { kind: "number", key: "actionTimeoutMs", label: "Timeout for all attempts (ms)", min: 1 },
    ],
  },
  {
    type: "slack",
    group: "actions",
    label: "Slack",
    description: "Post a Slack message",
    icon: ICONS.slack,
    colour: COLOURS.integration,
    defaults: () => ({ channel: "", message: "" }),
    summary: (d) => (d.channel ? `#${str(d.channel).replace(/^#/, "")}: ${str(d.message ?? d.text)}` : str(d.message ?? d.text) || "—"),
    branches: () => null,
    fields: [
      { kind: "text", key: "webhookUrl", label: "Incoming webhook URL", secret: true },
      { kind: "text", key: "channel", label: "Channel" },
      { kind: "textarea", key: "message", label: "Message" },
      { kind: "json", key: "blocks", label: "Blocks (JSON)" },
    ],
  },
  {
    type: "delay",
    group: "flow",
    label: "Delay",
    description: "Wait for a while",
    icon: ICONS.clock,
    colour: COLOURS.wait,
    defaults: () => ({ duration: 1, unit: "days" }),
    summary: (d) => `Wait ${str(d.duration)} ${Number(d.duration) === 1 ? str(d.unit).replace(/s$/, "") : str(d.unit)}${d.timeOfDay ? `, then at ${str(d.timeOfDay)}` : ""}`,
    branches: () => null,
    fields: [
      { kind: "number", key: "duration", label: "Duration", min: 0, required: true },
      { kind: "select", key: "unit", label: "Unit", options: DELAY_UNITS, required: true },
      { kind: "text", key: "timeOfDay", label: "At time of day (HH:MM)", placeholder: "09:00" },
    ],
  },
  {
    type: "wait_until",
    group: "flow",
    label: "Wait until",
    description: "Wait for a date or a contact's date attribute",
    icon: ICONS.calendar,
    colour: COLOURS.wait,
    defaults: () => ({ attribute: "" }),
    summary: (d) =>
      "until" in d
        ? `Until ${orDash(d.until)}`
        : `Until ${orDash(d.attribute)}${offsetText(d.offset) ? ` ${offsetText(d.offset).startsWith("-") ? "" : "+"}${offsetText(d.offset)}` : ""}`,
    branches: () => null,
    fields: [{ kind: "waitTarget" }],
  },
  {
    type: "wait_for_event",
    group: "flow",
    label: "Wait for event",
    description: "Wait for an event, up to a timeout",
    icon: ICONS.inbox,
    colour: COLOURS.wait,
    defaults: () => ({ event: "", timeout: { amount: 1, unit: "days" } }),
    summary: (d) => {
      const n = countConditions(d.conditions);
      const timeout = offsetText(d.timeout);
      return `For ${orDash(d.event)}${n ? `, ${plural(n, "condition")}` : ""}${timeout ? `, up to ${timeout}` : ""}`;
    },
    branches: () => [
      { id: "received", label: "received" },
      { id: "timeout", label: "timeout" },
    ],
    fields: [
      { kind: "eventType", key: "event", label: "Event to wait for", required: true, testid: "wait-event" },
      { kind: "duration", key: "timeout", label: "Timeout", required: true },
      { kind: "stringList", key: "correlate", label: "Same as the trigger's", placeholder: "cartId, orderId", help: "Data fields the event must share with the triggering event" },
      { kind: "conditions", key: "conditions", label: "Only when" },
    ],
  },
  {
    type: "condition",
    group: "flow",
    label: "Condition",
    description: "Branch on true / false",
    icon: ICONS.condition,
    colour: COLOURS.branch,
    defaults: () => ({ conditions: [{ field: "", operator: "equals", value: "" }] }),
    summary: (d) => conditionsSummary(d.conditions),
    branches: () => [
      { id: "true", label: "true" },
      { id: "false", label: "false" },
    ],
    fields: [{ kind: "conditions", key: "conditions", label: "Conditions" }],
  },
  {
    type: "switch",
    group: "flow",
    label: "Switch",
    description: "Branch on a field's value",
    icon: ICONS.switch,
    colour: COLOURS.branch,
    defaults: () => ({ field: "", cases: [{ id: "case-1", value: "" }] }),
    summary: (d) => `On ${orDash(d.field)}: ${plural(objects(d.cases).length, "case")}`,
    branches: (d) => [
      ...objects(d.cases).map((c) => ({ id: switchCaseKey(c), label: str(c.label) || str(c.value) || switchCaseKey(c) })),
      { id: "default", label: "default" },
    ],
    fields: [
      { kind: "text", key: "field", label: "Field", placeholder: "attributes.plan", required: true },
      { kind: "cases", key: "cases", label: "Cases" },
    ],
  },
  {
    type: "split",
    group: "flow",
    label: "A/B split",
    description: "Split contacts by percentage",
    icon: ICONS.split,
    colour: COLOURS.branch,
    defaults: () => ({
      variants: [
        { id: "a", percentage: 50 },
        { id: "b", percentage: 50 },
      ],
    }),
    summary: (d) => objects(d.variants).map((v) => `${str(v.label) || str(v.id)} ${str(v.percentage)}%`).join(" / ") || "No variants",
    branches: (d) =>
      objects(d.variants).map((v) => ({ id: str(v.id), label: `${str(v.label) || str(v.id)} ${str(v.percentage)}%` })),
    fields: [{ kind: "variants", key: "variants", label: "Variants" }],
  },
  {
    type: "end",
    group: "flow",
    label: "End",
    description: "The run completes",
    icon: ICONS.end,
    colour: COLOURS.end,
    defaults: () => ({}),
    summary: () => "The run completes",
    branches: () => [],
    fields: [],
  },
];

const BY_TYPE = new Map(NODE_TYPES.map((spec) => [spec.type, spec]));

/** The spec of a node type; an unknown type gets a neutral one, so a definition never fails to draw. */
export function specOf(type: string): NodeTypeSpec {
  if (type === "trigger") return TRIGGER_SPEC;
  return (
    BY_TYPE.get(type) ?? {
      type,
      group: "actions",
      label: type,
      description: "Unknown node type",
      icon: ICONS.condition,
      colour: "#991b1b",
      defaults: () => ({}),
      summary: () => "Unknown node type",
      branches: () => null,
      fields: [{ kind: "json", key: "", label: "Data (JSON)" }],
    }
  );
}

export function isKnownType(type: string): boolean {
  return BY_TYPE.has(type);
}
