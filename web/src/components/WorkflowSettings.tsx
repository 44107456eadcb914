import type { Json, JsonObject } from "../definition/types";
import { useEditor } from "../store/editor";
import { GoalsEditor } from "./GoalsEditor";
import { ConditionsField } from "./fields/ConditionsField";
import { EventTypeField } from "./fields/EventTypeField";
import { SendWindowField } from "./fields/TimingFields";
import { MAX_PRIORITY } from "../nodes/registry";

/** Name, description, settings (re-entry, time zone, send window, priority, exit criteria) and goals. */
export function WorkflowSettings() {
  const meta = useEditor((s) => s.meta);
  const updateMeta = useEditor((s) => s.updateMeta);
  const settings = (meta.settings && typeof meta.settings === "object" ? meta.settings : {}) as JsonObject;
  const setSetting = (key: string, value: Json | undefined) => {
    const { [key]: _old, ...rest } = settings;
    updateMeta({ settings: value === "" || value === undefined ? rest : { ...rest, [key]: value } });
  };
  const exitWhen = (settings.exitWhen && typeof settings.exitWhen === "object" && !Array.isArray(settings.exitWhen) ? settings.exitWhen : null) as JsonObject | null;
  const setExit = (patch: JsonObject, drop?: string) => {
    const next: JsonObject = { ...(exitWhen ?? { event: "" }), ...patch };
    if (drop) delete next[drop];
    setSetting("exitWhen", next);
  };
  const goals = (Array.isArray(meta.goals) ? meta.goals : []) as JsonObject[];
  return (
    <>
      <header className="inspector-head">
        <div>
          <h2>Workflow</h2>
          <p className="hint">Select a node to configure it.</p>
        </div>
      </header>
      <label className="field">
        <span>Name</span>
        <input data-testid="workflow-name-input" value={typeof meta.name === "string" ? meta.name : ""} onChange={(e) => updateMeta({ name: e.target.value })} />
      </label>
      <label className="field">
        <span>Description</span>
        <textarea rows={2} value={typeof meta.description === "string" ? meta.description : ""} onChange={(e) => updateMeta({ description: e.target.value })} />
      </label>
      <label className="field">
        <span>Re-entry</span>
        <select value={typeof settings.reEntry === "string" ? settings.reEntry : "always"} onChange={(e) => setSetting("reEntry", e.target.value)}>
          <option value="always">always</option>
          <option value="not_while_active">not while active</option>
          <option value="once">once</option>
        </select>
      </label>
      <label className="field">
        <span>Time zone</span>
        <input placeholder="UTC" value={typeof settings.timezone === "string" ? settings.timezone : ""} onChange={(e) => setSetting("timezone", e.target.value)} />
      </label>
      <div className="field" data-testid="field-sendWindow">
        <span>Send window</span>
        <SendWindowField value={settings.sendWindow} onChange={(v) => setSetting("sendWindow", v)} testid="workflow-send-window" />
        <p className="hint">Every message node sends only inside it, unless the node has its own.</p>
      </div>
      <label className="field">
        <span>Priority</span>
        <input
          data-testid="workflow-priority"
          type="number"
          min={0}
          max={MAX_PRIORITY}
          step={1}
          placeholder="0"
          value={typeof settings.priority === "number" ? settings.priority : ""}
          onChange={(e) => setSetting("priority", e.target.value === "" ? undefined : Math.trunc(Number(e.target.value)))}
        />
        <small className="hint">0 to {MAX_PRIORITY}; above 0 may use the share of a frequency cap kept for priority workflows.</small>
      </label>
      <section className="exit-when" aria-label="Exit criteria" data-testid="exit-when-editor">
        <h3>Exit criteria</h3>
        <label className="inline">
          <input type="checkbox" data-testid="exit-when-toggle" checked={exitWhen !== null} onChange={(e) => setSetting("exitWhen", e.target.checked ? { event: "" } : undefined)} />
          End a run when an event happens (not a goal)
        </label>
        {exitWhen && (
          <>
            <div className="field">
              <span>
                Exit event<em className="required"> required</em>
              </span>
              <EventTypeField label="Exit event" value={typeof exitWhen.event === "string" ? exitWhen.event : ""} onChange={(v) => setExit({ event: v })} testid="exit-when-event" />
            </div>
            <div className="field">
              <span>Only when</span>
              <ConditionsField value={exitWhen.conditions} onChange={(v) => (v === undefined ? setExit({}, "conditions") : setExit({ conditions: v }))} />
            </div>
          </>
        )}
      </section>
      <GoalsEditor goals={goals} onChange={(g) => updateMeta({ goals: g })} />
    </>
  );
}
