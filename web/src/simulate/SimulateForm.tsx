/** The simulation's inputs: a sample contact (JSON or fields), events with offsets, the virtual start. */

import { useState } from "react";
import { editorStore } from "../store/editor";
import {
  contactFromFields,
  fieldsFromContact,
  parseContact,
  type EventRow,
  type FieldRow,
  type OffsetUnit,
} from "./steps";

export interface FormState {
  contact: Record<string, unknown>;
  events: EventRow[];
  /** datetime-local text, read as UTC; empty = now. */
  start: string;
  version: number | null;
}

const SAMPLE = { id: "sample-contact", email: "ada@example.com", source: "website_signup", attributes: {} };
const UNITS: OffsetUnit[] = ["seconds", "minutes", "hours", "days"];

function firstEvent(): string {
  const trigger = editorStore.getState().toDefinition().trigger as { type?: string; event?: unknown };
  return trigger.type === "event" && typeof trigger.event === "string" && trigger.event ? trigger.event : "contact.created";
}

export function SimulateForm({ busy, disabled, onRun }: { busy: boolean; disabled: boolean; onRun: (f: FormState) => void }) {
  const [mode, setMode] = useState<"json" | "fields">("json");
  const [json, setJson] = useState(() => JSON.stringify(SAMPLE, null, 2));
  const [fields, setFields] = useState<FieldRow[]>(() => fieldsFromContact(SAMPLE));
  const [events, setEvents] = useState<EventRow[]>(() => [{ type: firstEvent(), offset: 0, unit: "minutes", data: "" }]);
  const [start, setStart] = useState("");
  const [version, setVersion] = useState("");

  const parsed = mode === "json" ? parseContact(json) : ({ ok: true, value: contactFromFields(fields) } as const);

  const switchTo = (next: "json" | "fields") => {
    if (next === mode) return;
    if (next === "fields") {
      if (!parsed.ok) return; // the JSON stays as typed until it parses
      setFields(fieldsFromContact(parsed.value));
    } else {
      setJson(JSON.stringify(contactFromFields(fields), null, 2));
    }
    setMode(next);
  };
  const setEvent = (i: number, patch: Partial<EventRow>) => setEvents((rows) => rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const setField = (i: number, patch: Partial<FieldRow>) => setFields((rows) => rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  return (
    <form
      className="sim-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!parsed.ok) return;
        const v = Number.parseInt(version, 10);
        onRun({ contact: parsed.value, events, start: start ? `${start}Z` : "", version: Number.isFinite(v) && v > 0 ? v : null });
      }}
    >
      <fieldset>
        <legend>
          Sample contact{" "}
          <span className="sim-tabs" role="tablist">
            <button type="button" role="tab" aria-selected={mode === "json"} onClick={() => switchTo("json")}>
              JSON
            </button>
            <button type="button" role="tab" aria-selected={mode === "fields"} onClick={() => switchTo("fields")} disabled={!parsed.ok}>
              Fields
            </button>
          </span>
        </legend>
        {mode === "json" ? (
          <textarea
            className="code"
            rows={6}
            value={json}
            onChange={(e) => setJson(e.target.value)}
            aria-label="Sample contact as JSON"
            aria-invalid={!parsed.ok}
            data-testid="sim-contact"
            spellCheck={false}
          />
        ) : (
          <div className="list-field">
            {fields.map((f, i) => (
              <div className="list-row" key={i}>
                <input value={f.key} onChange={(e) => setField(i, { key: e.target.value })} placeholder="attributes.plan" aria-label={`Field ${i + 1} name`} />
                <input value={f.value} onChange={(e) => setField(i, { value: e.target.value })} placeholder="value" aria-label={`Field ${i + 1} value`} />
                <button type="button" className="icon-button" onClick={() => setFields((r) => r.filter((_, j) => j !== i))} aria-label={`Remove field ${i + 1}`}>
                  ✕
                </button>
              </div>
            ))}
            <button type="button" className="link-button" onClick={() => setFields((r) => [...r, { key: "", value: "" }])}>
              + field
            </button>
          </div>
        )}
        {!parsed.ok && <p className="hint error">{parsed.error}</p>}
      </fieldset>
      <fieldset>
        <legend>Events</legend>
        {events.map((ev, i) => (
          <div className="sim-event" key={i} data-testid="sim-event">
            <div className="list-row">
              <input value={ev.type} onChange={(e) => setEvent(i, { type: e.target.value })} placeholder="contact.created" aria-label={`Event ${i + 1} type`} />
              <button type="button" className="icon-button" onClick={() => setEvents((r) => r.filter((_, j) => j !== i))} aria-label={`Remove event ${i + 1}`}>
                ✕
              </button>
            </div>
            <div className="list-row">
              <span className="hint">at +</span>
              <input
                className="narrow"
                type="number"
                min={0}
                value={ev.offset}
                onChange={(e) => setEvent(i, { offset: e.target.valueAsNumber })}
                aria-label={`Event ${i + 1} offset`}
              />
              <select value={ev.unit} onChange={(e) => setEvent(i, { unit: e.target.value as OffsetUnit })} aria-label={`Event ${i + 1} offset unit`}>
                {UNITS.map((u) => (
                  <option key={u}>{u}</option>
                ))}
              </select>
            </div>
            <input
              className="code"
              value={ev.data}
              onChange={(e) => setEvent(i, { data: e.target.value })}
              placeholder='data, e.g. {"changes": {"attributes": {"plan": "pro"}}}'
              aria-label={`Event ${i + 1} data`}
            />
          </div>
        ))}
        <button type="button" className="link-button" onClick={() => setEvents((r) => [...r, { type: "", offset: 0, unit: "minutes", data: "" }])} data-testid="sim-add-event">
          + event
        </button>
      </fieldset>
      <details>
        <summary className="hint">Start time and version</summary>
        <label className="field">
          <span>Virtual start (UTC; empty = now)</span>
          <input type="datetime-local" step={1} value={start} onChange={(e) => setStart(e.target.value)} />
        </label>
        <label className="field">
          <span>Version (empty = current)</span>
          <input type="number" min={1} value={version} onChange={(e) => setVersion(e.target.value)} />
        </label>
      </details>
      <button type="submit" className="primary" disabled={busy || disabled || !parsed.ok} data-testid="sim-run">
        {busy ? "Simulating…" : "Run simulation"}
      </button>
    </form>
  );
}
