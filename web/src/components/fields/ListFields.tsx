import type { Json, JsonObject } from "../../definition/types";
import { switchCaseKey } from "../../nodes/registry";
import { parseLoose, showLoose } from "./values";

const objects = (v: Json | undefined): JsonObject[] =>
  Array.isArray(v) ? v.filter((x): x is JsonObject => !!x && typeof x === "object" && !Array.isArray(x)) : [];

function move<T>(items: T[], from: number, to: number): T[] {
  if (to < 0 || to >= items.length) return items;
  const out = [...items];
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item as T);
  return out;
}

function freshId(prefix: string, taken: string[]): string {
  for (let i = 1; ; i++) if (!taken.includes(`${prefix}-${i}`)) return `${prefix}-${i}`;
}

function OrderButtons({ i, n, onMove, onRemove, what }: { i: number; n: number; onMove: (to: number) => void; onRemove: () => void; what: string }) {
  return (
    <span className="order-buttons">
      <button type="button" className="icon-button" aria-label={`Move ${what} up`} disabled={i === 0} onClick={() => onMove(i - 1)}>
        ↑
      </button>
      <button type="button" className="icon-button" aria-label={`Move ${what} down`} disabled={i === n - 1} onClick={() => onMove(i + 1)}>
        ↓
      </button>
      <button type="button" className="icon-button" aria-label={`Remove ${what}`} onClick={onRemove}>
        ×
      </button>
    </span>
  );
}

/**
 * Switch cases. Each case's branch is its key (id, else label, else value); a case edited without an id
 * first gets its current key as id, so changing its value or label never moves its edge to another branch.
 */
export function CasesField({ value, onChange }: { value: Json | undefined; onChange: (v: Json) => void }) {
  const cases = objects(value);
  const keys = cases.map(switchCaseKey);
  const edit = (i: number, patch: JsonObject) =>
    onChange(cases.map((c, j) => (j === i ? { ...(c.id === undefined ? { id: keys[i] ?? "" } : {}), ...c, ...patch } : c)));
  return (
    <div className="list-field">
      {cases.map((c, i) => (
        <div key={keys[i]} className="list-row" data-branch={keys[i]}>
          <input
            key={showLoose(c.value)}
            aria-label="Case value"
            placeholder="value"
            defaultValue={showLoose(c.value)}
            onBlur={(e) => {
              const v = parseLoose(e.target.value);
              if (JSON.stringify(v) !== JSON.stringify(c.value)) edit(i, { value: v });
            }}
          />
          <input aria-label="Case label" placeholder="label" value={typeof c.label === "string" ? c.label : ""} onChange={(e) => edit(i, { label: e.target.value })} />
          <code className="branch-id" title="Branch id">
            {keys[i]}
          </code>
          <OrderButtons i={i} n={cases.length} what="case" onMove={(to) => onChange(move(cases, i, to))} onRemove={() => onChange(cases.filter((_, j) => j !== i))} />
        </div>
      ))}
      <button type="button" onClick={() => onChange([...cases, { id: freshId("case", keys), value: "" }])}>
        + Case
      </button>
      <p className="hint">Contacts that match no case take the default branch.</p>
    </div>
  );
}

/** Split variants: id, label and percentage; the percentages must sum to 100. */
export function VariantsField({ value, onChange }: { value: Json | undefined; onChange: (v: Json) => void }) {
  const variants = objects(value);
  const ids = variants.map((v) => String(v.id ?? ""));
  const total = variants.reduce((sum, v) => sum + (typeof v.percentage === "number" ? v.percentage : 0), 0);
  const edit = (i: number, patch: JsonObject) => onChange(variants.map((v, j) => (j === i ? { ...v, ...patch } : v)));
  return (
    <div className="list-field">
      {variants.map((v, i) => (
        <div key={ids[i] || i} className="list-row" data-branch={ids[i]}>
          <code className="branch-id" title="Branch id">
            {ids[i]}
          </code>
          <input aria-label="Variant label" placeholder="label" value={typeof v.label === "string" ? v.label : ""} onChange={(e) => edit(i, { label: e.target.value })} />
          <input
            aria-label="Percentage"
            type="number"
            min={0}
            max={100}
            step="any"
            className="narrow"
            value={typeof v.percentage === "number" ? v.percentage : ""}
            onChange={(e) => edit(i, { percentage: e.target.value === "" ? 0 : Number(e.target.value) })}
          />
          %
          <OrderButtons i={i} n={variants.length} what="variant" onMove={(to) => onChange(move(variants, i, to))} onRemove={() => onChange(variants.filter((_, j) => j !== i))} />
        </div>
      ))}
      <button type="button" onClick={() => onChange([...variants, { id: freshId("variant", ids), percentage: 0 }])}>
        + Variant
      </button>
      <p className={Math.abs(total - 100) > 1e-6 ? "hint error" : "hint"}>Total {total}% {Math.abs(total - 100) > 1e-6 ? "(must be 100%)" : ""}</p>
    </div>
  );
}

/** A string-keyed map (attributes, headers); secret values are masked. */
export function MapField({ value, onChange, secret, typed }: { value: Json | undefined; onChange: (v: JsonObject | undefined) => void; secret?: boolean; typed?: boolean }) {
  const map = value && typeof value === "object" && !Array.isArray(value) ? value : {};
  const entries = Object.entries(map);
  const write = (next: [string, Json][]) => onChange(next.length ? Object.fromEntries(next) : undefined);
  return (
    <div className="list-field">
      {entries.map(([k, v], i) => (
        <div key={i} className="list-row">
          <input aria-label="Key" placeholder="key" value={k} onChange={(e) => write(entries.map((x, j) => (j === i ? [e.target.value, x[1]] : x)))} />
          {typed ? (
            <input
              key={showLoose(v)}
              aria-label="Value"
              placeholder="value"
              defaultValue={showLoose(v)}
              onBlur={(e) => write(entries.map((x, j) => (j === i ? [x[0], parseLoose(e.target.value)] : x)))}
            />
          ) : (
            <input
              aria-label="Value"
              placeholder="value"
              type={secret ? "password" : "text"}
              autoComplete="off"
              value={typeof v === "string" ? v : JSON.stringify(v)}
              onChange={(e) => write(entries.map((x, j) => (j === i ? [x[0], e.target.value] : x)))}
            />
          )}
          <button type="button" className="icon-button" aria-label="Remove entry" onClick={() => write(entries.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <button type="button" onClick={() => write([...entries, [freshId("key", entries.map((e) => e[0])), ""]])}>
        + Entry
      </button>
    </div>
  );
}
