import type { Json, JsonObject } from "../../definition/types";
import { DELAY_UNITS } from "../../nodes/registry";

/** wait_until: a fixed date (`until`) or a contact's date attribute plus an offset. */
export function WaitTargetField({ config, onChange }: { config: JsonObject; onChange: (c: JsonObject) => void }) {
  const mode = "until" in config ? "until" : "attribute";
  const offset: JsonObject =
    config.offset && typeof config.offset === "object" && !Array.isArray(config.offset)
      ? config.offset
      : typeof config.offset === "number"
        ? { amount: config.offset, unit: "seconds" }
        : { amount: 0, unit: "days" };
  const setMode = (m: string) => {
    const { until: _u, attribute: _a, offset: _o, ...rest } = config;
    onChange(m === "until" ? { ...rest, until: "" } : { ...rest, attribute: "" });
  };
  const setOffset = (patch: JsonObject) => {
    const next = { ...offset, ...patch };
    const { offset: _o, ...rest } = config;
    onChange(next.amount === 0 ? rest : { ...rest, offset: next as Json });
  };
  return (
    <>
      <label className="field">
        <span>Wait for</span>
        <select value={mode} onChange={(e) => setMode(e.target.value)}>
          <option value="attribute">a contact's date attribute</option>
          <option value="until">a fixed date and time</option>
        </select>
      </label>
      {mode === "until" ? (
        <label className="field">
          <span>Until (ISO-8601)</span>
          <input placeholder="2026-12-24T09:00:00Z" value={typeof config.until === "string" ? config.until : String(config.until ?? "")} onChange={(e) => onChange({ ...config, until: e.target.value })} />
        </label>
      ) : (
        <>
          <label className="field">
            <span>Attribute</span>
            <input placeholder="attributes.birthday" value={typeof config.attribute === "string" ? config.attribute : ""} onChange={(e) => onChange({ ...config, attribute: e.target.value })} />
          </label>
          <div className="field">
            <span>Offset</span>
            <div className="inline">
              <input
                aria-label="Offset amount"
                type="number"
                className="narrow"
                value={typeof offset.amount === "number" ? offset.amount : 0}
                onChange={(e) => setOffset({ amount: Number(e.target.value) })}
              />
              <select aria-label="Offset unit" value={typeof offset.unit === "string" ? offset.unit : "days"} onChange={(e) => setOffset({ unit: e.target.value })}>
                {DELAY_UNITS.map((u) => (
                  <option key={u}>{u}</option>
                ))}
              </select>
            </div>
          </div>
        </>
      )}
    </>
  );
}
