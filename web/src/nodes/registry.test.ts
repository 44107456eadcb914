import { describe, expect, it } from "vitest";
import { GROUPS, NODE_TYPES, specOf, switchCaseKey, windowText } from "./registry";

const ACTIONS = ["send_email", "send_sms", "send_whatsapp", "send_push", "update_contact", "add_tag", "remove_tag", "add_to_segment", "remove_from_segment", "webhook", "slack", "run_workflow"];
const FLOW = ["delay", "wait_until", "wait_for_event", "condition", "switch", "split", "end"];

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

  it("gives wait_for_event its received / timeout branches and a form for event, timeout, correlation and conditions", () => {
    const spec = specOf("wait_for_event");
    expect(spec.branches(spec.defaults())).toEqual([
      { id: "received", label: "received" },
      { id: "timeout", label: "timeout" },
    ]);
    expect(spec.defaults()).toEqual({ event: "", timeout: { amount: 1, unit: "days" } });
    expect(spec.fields.map((f) => ("key" in f ? f.key : f.kind))).toEqual(["event", "timeout", "correlate", "conditions"]);
    expect(spec.summary({ event: "order.placed", timeout: { amount: 2, unit: "days" }, conditions: [{ field: "event.data.total", operator: "gt", value: 0 }] })).toBe(
      "For order.placed, 1 condition, up to 2 days",
    );
  });

  it("gives every message node a send window and a frequency-cap choice", () => {
    for (const t of ["send_email", "send_sms", "send_whatsapp", "send_push"]) {
      const fields = specOf(t).fields;
      expect(fields.find((f) => "key" in f && f.key === "sendWindow")?.kind).toBe("sendWindow");
      const cap = fields.find((f) => "key" in f && f.key === "frequencyCap");
      expect(cap && cap.kind === "select" ? cap.options : null).toEqual(["skip", "wait"]);
    }
    expect(specOf("send_sms").summary({ templateId: "t", sendWindow: { days: ["mon", "tue", "wed", "thu", "fri"], start: "09:00", end: "17:00" } })).toBe(
      "Template t, mon-fri 09:00-17:00",
    );
    expect(windowText({ start: "22:00", end: "06:00" })).toBe("daily 22:00-06:00");
    expect(windowText({ days: ["sat", "mon"], start: "10:00", end: "12:00" })).toBe("sat,mon 10:00-12:00");
    expect(windowText(undefined)).toBe("");
  });

  it("gives run_workflow one plain edge, or completed / goal_reached / failed when it waits", () => {
    const spec = specOf("run_workflow");
    expect(spec.group).toBe("actions");
    expect(spec.branches(spec.defaults())).toBeNull();
    expect(spec.branches({ workflowId: "w", wait: true })?.map((b) => b.id)).toEqual(["completed", "goal_reached", "failed"]);
    expect(spec.summary({ workflowId: "w-2", wait: true })).toBe("Run and wait for w-2");
    expect(spec.summary({ workflowId: "w-2" })).toBe("Start w-2");
  });
});
