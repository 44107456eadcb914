import type { Json, JsonObject } from "../definition/types";
import { ConditionsField } from "./fields/ConditionsField";
import { EventTypeField } from "./fields/EventTypeField";

function nextGoalId(goals: JsonObject[]): string {
  let most = 0;
  for (const g of goals) {
    const m = /^goal-(\d+)$/.exec(String(g.id ?? ""));
    if (m) most = Math.max(most, Number(m[1]));
  }
  return `goal-${most + 1}`;
}

/** The workflow's goals: each ends a run early when its event (and conditions) happen for the contact. */
export function GoalsEditor({ goals, onChange }: { goals: JsonObject[]; onChange: (goals: JsonObject[]) => void }) {
  const set = (i: number, g: JsonObject) => onChange(goals.map((x, j) => (j === i ? g : x)));
  return (
    <section className="goals" aria-label="Goals" data-testid="goals-editor">
      <h3>Goals</h3>
      <p className="hint">A run that reaches a goal ends there and counts as a conversion.</p>
      {goals.map((g, i) => (
        <fieldset key={`${String(g.id)}-${i}`} className="goal" data-testid={`goal-${i}`}>
          <legend>
            <code>{String(g.id ?? "")}</code>
          </legend>
          <label className="field">
            <span>Name</span>
            <input aria-label="Goal name" value={typeof g.name === "string" ? g.name : ""} onChange={(e) => set(i, { ...g, name: e.target.value })} data-testid={`goal-${i}-name`} />
          </label>
          <div className="field">
            <span>Event</span>
            <EventTypeField label="Goal event" value={typeof g.event === "string" ? g.event : ""} onChange={(v) => set(i, { ...g, event: v })} testid={`goal-${i}-event`} />
          </div>
          <div className="field">
            <span>Only when</span>
            <ConditionsField
              value={g.conditions as Json | undefined}
              onChange={(v) => {
                const { conditions: _old, ...rest } = g;
                set(i, v === undefined ? rest : { ...rest, conditions: v });
              }}
            />
          </div>
          <button type="button" className="link-button" onClick={() => onChange(goals.filter((_, j) => j !== i))} data-testid={`goal-${i}-remove`}>
            Remove goal
          </button>
        </fieldset>
      ))}
      <button type="button" onClick={() => onChange([...goals, { id: nextGoalId(goals), name: "", event: "" }])} data-testid="goal-add">
        Add goal
      </button>
    </section>
  );
}
