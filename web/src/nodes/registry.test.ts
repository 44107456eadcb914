import { describe, expect, it } from "vitest";
import { GROUPS, NODE_TYPES, specOf, switchCaseKey } from "./registry";

const ACTIONS = ["send_email", "send_sms", "send_whatsapp", "send_push", "update_contact", "add_tag", "remove_tag", "add_to_segment", "remove_from_segment", "webhook", "slack"];
const FLOW = ["delay", "wait_until", "condition", "switch", "split", "end"];

describe("node-type registry", () => {
  it("has every engine node type once, in its spec group", () => {
    expect(NODE_TYPES.map((t) => t.type).sort()).toEqual([...ACTIONS, ...FLOW].sort());
    for (const t of ACTIONS) expect(specOf(t).group).toBe("actions");
    for (const t of FLOW) expect(specOf(t).group).toBe("flow");
    expect(specOf("trigger").group).toBe("trigger");
    expect(GROUPS.map((g) => g.id)).toEqual(["trigger", "actions", "flow"]);
  });

  it("gives every type defaults its summary can read", () => {
    for (const spec of NODE_TYPES) expect(typeof spec.summary(spec.defaults())).toBe("string");
  });

  it("names branches by id: condition, switch cases plus default, split variants with percentages", () => {
    expect(specOf("condition").branches({})?.map((b) => b.id)).toEqual(["true", "false"]);
    const sw = specOf("switch").branches({ cases: [{ id: "x", value: 1 }, { value: true }, { label: "L", value: 2 }] });
    expect(sw?.map((b) => b.id)).toEqual(["x", "true", "L", "default"]);
    const split = specOf("split").branches({ variants: [{ id: "a", percentage: 25 }, { id: "b", percentage: 75 }] });
    expect(split).toEqual([
      { id: "a", label: "a 25%" },
      { id: "b", label: "b 75%" },
    ]);
    expect(specOf("end").branches({})).toEqual([]);
    expect(specOf("delay").branches({})).toBeNull();
    expect(switchCaseKey({ value: false })).toBe("false");
  });
});
