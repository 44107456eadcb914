import { useState } from "react";
import type { Json, JsonObject, Trigger } from "../definition/types";
import type { StepNode, TriggerNode } from "../graph/types";
import { type FieldSpec, specOf, triggerFields } from "../nodes/registry";
import { useEditor } from "../store/editor";
import { ConditionsField } from "./fields/ConditionsField";
import { JsonField } from "./fields/JsonField";
import { CasesField, MapField, VariantsField } from "./fields/ListFields";
import { CronField } from "./fields/CronField";
import { EventTypeField } from "./fields/EventTypeField";
import { WaitTargetField } from "./fields/WaitTargetField";
import { DurationField, SendWindowField, StringListField } from "./fields/TimingFields";
import { WebhookPanel } from "./WebhookPanel";
import { Icon } from "./Icon";
import { WorkflowSettings } from "./WorkflowSettings";

function without(config: JsonObject, key: string): JsonObject {
  const { [key]: _gone, ...rest } = config;
  return rest;
}

function SecretInput({ value, onChange, label }: { value: string; onChange: (v: string) => void; label: string }) {
  const [shown, setShown] = useState(false);
  return (
    <div className="inline">
      <input aria-label={label} type={shown ? "text" : "password"} autoComplete="off" value={value} onChange={(e) => onChange(e.target.value)} />
      <button type="button" className="link-button" onClick={() => setShown(!shown)}>
        {shown ? "Hide" : "Show"}
      </button>
    </div>
  );
}

/** One field of a registry form, read from and written to a node's config. */
function Field({ spec, config, onChange }: { spec: FieldSpec; config: JsonObject; onChange: (c: JsonObject) => void }) {
  if (spec.kind === "waitTarget") return <WaitTargetField config={config} onChange={onChange} />;
  const key = spec.key;
  const value: Json | undefined = key === "" ? config : config[key];
  const set = (v: Json | undefined) => {
    if (key === "") onChange(v && typeof v === "object" && !Array.isArray(v) ? v : {});
    else onChange(v === undefined ? without(config, key) : { ...config, [key]: v });
  };
  const text = typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
  const required = "required" in spec && spec.required;
  let control: React.ReactNode;
  switch (spec.kind) {
    case "text":
      control = spec.secret ? (
        <SecretInput label={spec.label} value={text} onChange={(v) => set(v === "" ? undefined : v)} />
      ) : (
        <input aria-label={spec.label} placeholder={spec.placeholder} value={text} onChange={(e) => set(e.target.value === "" && !required ? undefined : e.target.value)} />
      );
      break;
    case "textarea":
      control = <textarea aria-label={spec.label} rows={3} value={text} onChange={(e) => set(e.target.value === "" && !required ? undefined : e.target.value)} />;
      break;
    case "number":
      control = (
        <input
          aria-label={spec.label}
          type="number"
          min={spec.min}
          max={spec.max}
          step="any"
          value={typeof value === "number" ? value : ""}
          onChange={(e) => set(e.target.value === "" ? undefined : Number(e.target.value))}
        />
      );
      break;
    case "select":
      control = (
        <select aria-label={spec.label} value={text} onChange={(e) => set(e.target.value === "" ? undefined : e.target.value)}>
          {(!required || !spec.options.includes(text)) && <option value="">{spec.emptyLabel ?? "—"}</option>}
          {spec.options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      );
      break;
    case "map":
      control = <MapField value={value} onChange={set} secret={spec.secretValues} typed={!spec.secretValues} />;
      break;
    case "json":
      control = <JsonField label={spec.label} value={value} onChange={set} />;
      break;
    case "conditions":
      control = <ConditionsField value={value} onChange={set} />;
      break;
    case "cases":
      control = <CasesField value={value} onChange={set} />;
      break;
    case "variants":
      control = <VariantsField value={value} onChange={set} />;
      break;
    case "offset":
      control = <JsonField label={spec.label} value={value} onChange={set} />;
      break;
    case "eventType":
      control = <EventTypeField label={spec.label} value={text} onChange={(v) => set(v)} testid={spec.testid} />;
      break;
    case "checkbox":
      control = (
        <label className="inline check">
          <input type="checkbox" checked={value === true} onChange={(e) => set(e.target.checked)} />
          {spec.label}
        </label>
      );
      break;
    case "duration":
      control = <DurationField label={spec.label} value={value} onChange={set} />;
      break;
    case "stringList":
      control = <StringListField label={spec.label} placeholder={spec.placeholder} value={value} onChange={set} />;
      break;
    case "sendWindow":
      control = <SendWindowField value={value} onChange={set} testid={`${key}-editor`} />;
      break;
    case "cron":
      control = <CronField label={spec.label} value={text} zone={typeof config.timezone === "string" ? config.timezone : ""} onChange={(v) => set(v)} />;
      break;
  }
  return (
    <div className="field" data-testid={`field-${key || spec.kind}`}>
      {spec.kind !== "checkbox" && (
        <span>
          {spec.label}
          {required && <em className="required"> required</em>}
        </span>
      )}
      {control}
      {"help" in spec && spec.help && <p className="hint">{spec.help}</p>}
    </div>
  );
}

function Header({ kind, title, id }: { kind: string; title: string; id: string }) {
  const spec = specOf(kind);
  return (
    <header className="inspector-head" style={{ ["--node-colour" as string]: spec.colour }}>
      <span className="node-icon">
        <Icon path={spec.icon} size={18} />
      </span>
      <div>
        <h2>{title}</h2>
        <p className="hint">
          {spec.description} · <code>{id}</code>
        </p>
      </div>
    </header>
  );
}

/** The form of the selected node, made from the registry; the workflow's settings when none is selected. */
export function NodeInspector() {
  const selected = useEditor((s) => {
    const picked = s.nodes.filter((n) => n.selected);
    return picked.length === 1 ? picked[0] : undefined;
  });
  const updateNodeConfig = useEditor((s) => s.updateNodeConfig);
  const updateTrigger = useEditor((s) => s.updateTrigger);

  if (!selected) {
    return (
      <aside className="inspector" aria-label="Inspector">
        <WorkflowSettings />
      </aside>
    );
  }
  if (selected.type === "trigger") {
    const trigger = (selected as TriggerNode).data.trigger;
    const config = trigger as unknown as JsonObject;
    return (
      <aside className="inspector" aria-label="Inspector">
        <Header kind="trigger" title="Trigger" id={selected.id} />
        {triggerFields(trigger.type).map((f, i) => (
          <Field key={`${trigger.type}-${i}`} spec={f} config={config} onChange={(c) => updateTrigger(c as unknown as Trigger)} />
        ))}
        {trigger.type === "webhook" && <WebhookPanel />}
      </aside>
    );
  }
  const node = selected as StepNode;
  const spec = specOf(node.data.kind);
  return (
    <aside className="inspector" aria-label="Inspector">
      <Header kind={node.data.kind} title={spec.label} id={node.id} />
      {spec.fields.length === 0 && <p className="hint">Nothing to configure.</p>}
      {spec.fields.map((f, i) => (
        <Field key={`${node.id}-${i}`} spec={f} config={node.data.config} onChange={(c) => updateNodeConfig(node.id, c)} />
      ))}
    </aside>
  );
}
