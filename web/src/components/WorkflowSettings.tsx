import type { JsonObject } from "../definition/types";
import { useEditor } from "../store/editor";
import { GoalsEditor } from "./GoalsEditor";

/** Name, description, settings (re-entry, time zone) and goals. */
export function WorkflowSettings() {
  const meta = useEditor((s) => s.meta);
  const updateMeta = useEditor((s) => s.updateMeta);
  const settings = (meta.settings && typeof meta.settings === "object" ? meta.settings : {}) as JsonObject;
  const setSetting = (key: string, value: string) => {
    const { [key]: _old, ...rest } = settings;
    updateMeta({ settings: value === "" ? rest : { ...rest, [key]: value } });
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
      <GoalsEditor goals={goals} onChange={(g) => updateMeta({ goals: g })} />
    </>
  );
}
