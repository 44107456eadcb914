import type { Json, JsonObject } from "../../definition/types";
import { DELAY_UNITS, SEND_WINDOW_DAYS } from "../../nodes/registry";

const asObject = (v: Json | undefined): JsonObject | null => (v && typeof v === "object" && !Array.isArray(v) ? v : null);

/** A duration as {amount, unit} (a wait_for_event timeout). */
export function DurationField({ value, onChange, label }: { value: Json | undefined; onChange: (v: Json | undefined) => void; label: string }) {
  const d = asObject(value) ?? {};
  const amount = typeof d.amount === "number" ? d.amount : "";
  const unit = typeof d.unit === "string" ? d.unit : "days";
  return (
    <div className="inline">
      <input
        aria-label={`${label} amount`}
        type="number"
        min={0}
        step="any"
        className="narrow"
        value={amount}
        onChange={(e) => onChange(e.target.value === "" ? undefined : { amount: Number(e.target.value), unit })}
      />
      <select aria-label={`${label} unit`} value={unit} onChange={(e) => onChange({ amount: typeof d.amount === "number" ? d.amount : 1, unit: e.target.value })}>
        {DELAY_UNITS.map((u) => (
          <option key={u}>{u}</option>
        ))}
      </select>
    </div>
  );
}

/** A list of strings typed as one comma-separated line (correlate: data paths). */
export function StringListField({ value, onChange, label, placeholder }: { value: Json | undefined; onChange: (v: Json | undefined) => void; label: string; placeholder?: string }) {
  const shown = Array.isArray(value) ? value.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(", ") : typeof value === "string" ? value : "";
  return (
    <input
      key={shown}
      aria-label={label}
      placeholder={placeholder}
      defaultValue={shown}
      onBlur={(e) => {
        const items = e.target.value
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "");
        if (items.join(", ") !== shown) onChange(items.length ? items : undefined);
      }}
    />
  );
}

const ZONE_MODES = ["contact", "workflow"];
const DEFAULT_WINDOW: JsonObject = { days: ["mon", "tue", "wed", "thu", "fri"], start: "09:00", end: "17:00", timezone: "contact" };

/**
 * A send window: the weekdays, start and end (HH:MM, across midnight when end is before start), the zone
 * it is read in (the contact's, the workflow's or an IANA zone) and an optional smoothing in minutes.
 */
export function SendWindowField({ value, onChange, testid }: { value: Json | undefined; onChange: (v: Json | undefined) => void; testid: string }) {
  const w = asObject(value);
  const set = (patch: JsonObject, drop?: string) => {
    const next: JsonObject = { ...(w ?? DEFAULT_WINDOW), ...patch };
    if (drop) delete next[drop];
    onChange(next);
  };
  const days = w && Array.isArray(w.days) ? w.days.map(String) : SEND_WINDOW_DAYS;
  const tz = w && typeof w.timezone === "string" ? w.timezone : "contact";
  const zoneMode = ZONE_MODES.includes(tz) ? tz : "zone";
  const smoothing = asObject(w?.smoothing);
  const minutes =
    typeof w?.smoothing === "number" ? w.smoothing / 60 : smoothing && typeof smoothing.amount === "number" ? smoothing.amount * (smoothing.unit === "hours" ? 60 : smoothing.unit === "seconds" ? 1 / 60 : 1) : "";
  return (
    <div className="send-window" data-testid={testid}>
      <label className="inline">
        <input type="checkbox" checked={w !== null} onChange={(e) => onChange(e.target.checked ? DEFAULT_WINDOW : undefined)} />
        Only send inside a window
      </label>
      {w && (
        <>
          <div className="inline days" role="group" aria-label="Days">
            {SEND_WINDOW_DAYS.map((d) => (
              <label key={d} className="day">
                <input
                  type="checkbox"
                  aria-label={d}
                  checked={days.includes(d)}
                  onChange={(e) => {
                    const next = SEND_WINDOW_DAYS.filter((x) => (x === d ? e.target.checked : days.includes(x)));
                    if (next.length) set({ days: next });
                  }}
                />
                {d}
              </label>
            ))}
          </div>
          <div className="inline">
            <input aria-label="From" type="time" value={typeof w.start === "string" ? w.start : ""} onChange={(e) => set({ start: e.target.value })} />
            to
            <input aria-label="Until" type="time" value={typeof w.end === "string" ? w.end : ""} onChange={(e) => set({ end: e.target.value })} />
          </div>
          <div className="inline">
            <select aria-label="Window time zone" value={zoneMode} onChange={(e) => set({ timezone: e.target.value === "zone" ? "UTC" : e.target.value })}>
              <option value="contact">the contact's zone</option>
              <option value="workflow">the workflow's zone</option>
              <option value="zone">a zone…</option>
            </select>
            {zoneMode === "zone" && <input aria-label="IANA zone" placeholder="Europe/Paris" value={tz} onChange={(e) => set({ timezone: e.target.value })} />}
          </div>
          <label className="inline">
            Spread over
            <input
              aria-label="Smoothing (minutes)"
              type="number"
              min={0}
              max={1440}
              step="any"
              className="narrow"
              value={minutes}
              onChange={(e) => (e.target.value === "" ? set({}, "smoothing") : set({ smoothing: { amount: Number(e.target.value), unit: "minutes" } }))}
            />
            minutes
          </label>
          <p className="hint">Reached outside the window, a message waits until it opens; an end before the start runs across midnight.</p>
        </>
      )}
    </div>
  );
}
