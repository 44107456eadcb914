import { GROUPS, NODE_TYPES, TRIGGER_SPEC, TRIGGER_TYPES, triggerLabel } from "../nodes/registry";
import { Icon } from "./Icon";

export const DRAG_TYPE = "application/x-workflow-node";

/** What a palette item adds: a node of a type, or the trigger's type. */
export type PaletteItem = { node: string } | { trigger: string };

interface Props {
  onAdd: (item: PaletteItem) => void;
}

function Item({ item, label, icon, colour, hint, onAdd }: { item: PaletteItem; label: string; icon: string; colour: string; hint: string } & Props) {
  const name = "node" in item ? item.node : `trigger:${item.trigger}`;
  return (
    <li>
      <button
        type="button"
        className="palette-item"
        draggable
        data-type={name}
        title={`${hint} (drag onto the canvas, or press Enter)`}
        style={{ ["--node-colour" as string]: colour }}
        onDragStart={(e) => {
          e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(item));
          e.dataTransfer.effectAllowed = "move";
        }}
        onClick={() => onAdd(item)}
      >
        <span className="node-icon">
          <Icon path={icon} />
        </span>
        {label}
      </button>
    </li>
  );
}

/** Every node type and the trigger types, grouped as the spec groups them. */
export function Palette({ onAdd }: Props) {
  return (
    <nav className="palette" aria-label="Node palette">
      {GROUPS.map((group) => (
        <section key={group.id}>
          <h2>{group.label}</h2>
          <ul>
            {group.id === "trigger"
              ? TRIGGER_TYPES.map((t) => (
                  <Item
                    key={t}
                    item={{ trigger: t }}
                    label={triggerLabel(t)}
                    icon={TRIGGER_SPEC.icon}
                    colour={TRIGGER_SPEC.colour}
                    hint="Sets the workflow's trigger"
                    onAdd={onAdd}
                  />
                ))
              : NODE_TYPES.filter((s) => s.group === group.id).map((s) => (
                  <Item key={s.type} item={{ node: s.type }} label={s.label} icon={s.icon} colour={s.colour} hint={s.description} onAdd={onAdd} />
                ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}
