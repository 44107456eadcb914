import type { Json, JsonObject } from "../../definition/types";
import { countConditions, MAX_CONDITIONS, NO_VALUE_OPERATORS, OPERATORS } from "../../nodes/registry";
import { parseLoose, showLoose } from "./values";

type Mode = "all" | "any";
interface Group {
  mode: Mode;
  items: Json[];
  /** The spec was a plain list (all), written back as one. */
  list: boolean;
}

function toGroup(spec: Json | undefined): Group {
  if (Array.isArray(spec)) return { mode: "all", items: spec, list: true };
  if (spec && typeof spec === "object") {
    if (Array.isArray(spec.any)) return { mode: "any", items: spec.any, list: false };
    if (Array.isArray(spec.all)) return { mode: "all", items: spec.all, list: false };
    return { mode: "all", items: [spec], list: true };
  }
  return { mode: "all", items: [], list: true };
}

function fromGroup(g: Group): Json {
  if (g.mode === "all" && g.list) return g.items;
  return { [g.mode]: g.items };
}

const isGroup = (v: Json): v is JsonObject =>
  !!v && typeof v === "object" && !Array.isArray(v) && (Array.isArray(v.all) || Array.isArray(v.any));

function Leaf({ value, onChange, onRemove }: { value: JsonObject; onChange: (v: JsonObject) => void; onRemove: () => void }) {
  const operator = typeof value.operator === "string" ? value.operator : "equals";
  return (
    <div className="condition-row">
      <input aria-label="Field" placeholder="attributes.plan" value={typeof value.field === "string" ? value.field : ""} onChange={(e) => onChange({ ...value, field: e.target.value })} />
      <select
        aria-label="Operator"
        value={operator}
        onChange={(e) => {
          const { value: v, ...rest } = value;
          onChange(NO_VALUE_OPERATORS.has(e.target.value) ? { ...rest, operator: e.target.value } : { ...rest, operator: e.target.value, value: v ?? "" });
        }}
      >
        {OPERATORS.map((op) => (
          <option key={op}>{op}</option>
        ))}
      </select>
      {!NO_VALUE_OPERATORS.has(operator) && (
        <input
          key={showLoose(value.value)}
          aria-label="Value"
          placeholder={operator === "within_last" ? '{"amount": 7, "unit": "days"}' : operator === "in" || operator === "not_in" ? '["a", "b"]' : "value"}
          defaultValue={showLoose(value.value)}
          onBlur={(e) => onChange({ ...value, value: parseLoose(e.target.value) })}
        />
      )}
      <button type="button" className="icon-button" aria-label="Remove condition" onClick={onRemove}>
        ×
      </button>
    </div>
  );
}

function GroupEditor({ spec, onChange, total, depth }: { spec: Json | undefined; onChange: (v: Json) => void; total: number; depth: number }) {
  const group = toGroup(spec);
  const set = (items: Json[], mode = group.mode) => onChange(fromGroup({ ...group, items, mode }));
  const full = total >= MAX_CONDITIONS;
  return (
    <div className="condition-group">
      <div className="condition-mode">
        Match
        <select aria-label="Match all or any" value={group.mode} onChange={(e) => set(group.items, e.target.value as Mode)}>
          <option value="all">all</option>
          <option value="any">any</option>
        </select>
        of:
      </div>
      {group.items.map((item, i) => {
        const replace = (v: Json) => set(group.items.map((x, j) => (j === i ? v : x)));
        const remove = () => set(group.items.filter((_, j) => j !== i));
        return isGroup(item) ? (
          <div key={i} className="condition-nested">
            <GroupEditor spec={item} onChange={replace} total={total} depth={depth + 1} />
            <button type="button" className="link-button" onClick={remove}>
              Remove group
            </button>
          </div>
        ) : (
          <Leaf key={i} value={item && typeof item === "object" && !Array.isArray(item) ? item : {}} onChange={replace} onRemove={remove} />
        );
      })}
      <div className="row-actions">
        <button type="button" disabled={full} onClick={() => set([...group.items, { field: "", operator: "equals", value: "" }])}>
          + Condition
        </button>
        {depth < 2 && (
          <button type="button" disabled={full} onClick={() => set([...group.items, { any: [{ field: "", operator: "equals", value: "" }] }])}>
            + Group
          </button>
        )}
      </div>
    </div>
  );
}

/** A condition builder: all/any groups, every engine operator, at most MAX_CONDITIONS conditions. */
export function ConditionsField({ value, onChange }: { value: Json | undefined; onChange: (v: Json | undefined) => void }) {
  const total = countConditions(value);
  return (
    <div>
      <GroupEditor spec={value} onChange={(v) => onChange(countConditions(v) === 0 && !isGroup(v) ? undefined : v)} total={total} depth={0} />
      <p className="hint">
        {total} of at most {MAX_CONDITIONS} conditions
      </p>
    </div>
  );
}
