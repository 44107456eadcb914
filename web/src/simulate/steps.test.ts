import { describe, expect, it } from "vitest";
import branch from "./fixtures/branch.json";
import scenario3 from "./fixtures/scenario3.json";
import {
  buildRequest,
  contactFromFields,
  effectsSoFar,
  eventsFromRows,
  fieldsFromContact,
  formatClock,
  formatOffset,
  moveTo,
  parseContact,
  pathEdgeIds,
  toSteps,
  type SimulateOut,
} from "./steps";

// Both fixtures are answers of the engine's simulate (state dropped, as the API drops it), started at START.
const START = 1_700_000_000_000;
const HOUR = 3_600_000;

describe("toSteps on the spec's scenario 3 (goal-based exit)", () => {
  const steps = toSteps(scenario3 as SimulateOut, START);

  it("walks start, first email, the delay, then the goal", () => {
    expect(steps.map((s) => [s.kind, s.nodeId, s.status])).toEqual([
      ["started", "trigger", "running"],
      ["node", "first", "completed"],
      ["node", "wait", "pending"],
      ["goal", "wait", "goal_reached"],
    ]);
    expect(steps[3]!.title).toBe("goal reached: Purchased (at wait)");
  });

  it("carries the path of the run so far, which never reaches the second email", () => {
    expect(steps.map((s) => s.path)).toEqual([
      ["trigger"],
      ["trigger", "first"],
      ["trigger", "first", "wait"],
      ["trigger", "first", "wait"],
    ]);
    expect(steps.at(-1)!.path).toEqual(["trigger", ...scenario3.path]);
  });

  it("shows the virtual clock at each step: the goal half an hour in", () => {
    expect(steps.map((s) => s.clock - START)).toEqual([0, 0, 0, HOUR / 2]);
    expect(steps[2]!.title).toBe(`wait (delay) waits until ${formatClock(START + HOUR)}`);
  });

  it("attaches each effect to the step it led to", () => {
    expect(steps[1]!.effects.map((e) => [e.group, e.text])).toEqual([["message", "email: template t1"]]);
    expect(steps[2]!.effects.map((e) => e.group)).toEqual(["timer"]);
    expect(steps[3]!.effects.map((e) => e.text)).toEqual(["timer cancelled"]);
    expect(effectsSoFar(steps, 3).message.map((e) => e.raw.templateId)).toEqual(["t1"]);
  });
});

describe("toSteps on a branch with contact changes and an HTTP call", () => {
  const steps = toSteps(branch as SimulateOut, START);

  it("follows the true branch and lists contact changes and the HTTP call", () => {
    expect(steps.at(-1)!.path).toEqual(["trigger", "cond", "upd", "hook", "done"]);
    const so = effectsSoFar(steps, steps.length - 1);
    expect(so.contact.map((e) => e.text)).toEqual(["contact: vip = true"]);
    expect(so.http.map((e) => e.text)).toEqual(["POST https://example.com/hook"]);
    expect(steps.at(-1)!.kind).toBe("ended");
    expect(steps.at(-1)!.title).toBe("run completed");
  });

  it("counts a node that waits for its result once in the path", () => {
    const hook = steps.filter((s) => s.nodeId === "hook");
    expect(hook.map((s) => s.status)).toEqual(["running", "completed"]);
    expect(hook[1]!.path.filter((n) => n === "hook")).toHaveLength(1);
  });

  it("effects so far grow with the step, never show what comes later", () => {
    const upd = steps.findIndex((s) => s.nodeId === "upd");
    expect(effectsSoFar(steps, upd - 1).contact).toEqual([]);
    expect(effectsSoFar(steps, upd).contact).toHaveLength(1);
    expect(effectsSoFar(steps, upd).http).toEqual([]);
  });
});

describe("pathEdgeIds", () => {
  const edges = [
    { id: "e1", source: "trigger", target: "cond" },
    { id: "e2", source: "cond", target: "upd" },
    { id: "e3", source: "cond", target: "tag" },
    { id: "e4", source: "upd", target: "hook" },
  ];
  it("maps consecutive nodes to the edges between them, and only those", () => {
    expect(pathEdgeIds(["trigger", "cond", "upd", "hook"], edges)).toEqual(["e1", "e2", "e4"]);
    expect(pathEdgeIds(["trigger", "cond", "tag"], edges)).toEqual(["e1", "e3"]);
    expect(pathEdgeIds(["trigger"], edges)).toEqual([]);
  });
});

describe("moving through steps", () => {
  it("stays within the steps", () => {
    expect(moveTo(0, 4, "back")).toBe(0);
    expect(moveTo(0, 4, "forward")).toBe(1);
    expect(moveTo(3, 4, "forward")).toBe(3);
    expect(moveTo(2, 4, "first")).toBe(0);
    expect(moveTo(0, 4, "last")).toBe(3);
    expect(moveTo(5, 0, "forward")).toBe(0);
  });
  it("reads the clock as an offset", () => {
    expect(formatOffset(0)).toBe("+0s");
    expect(formatOffset(HOUR / 2)).toBe("+30m");
    expect(formatOffset(26 * HOUR + 5000)).toBe("+1d 2h 5s");
  });
});

describe("the form", () => {
  it("parses the contact as a JSON object or says why not", () => {
    expect(parseContact('{"email":"a@example.com"}')).toEqual({ ok: true, value: { email: "a@example.com" } });
    expect(parseContact("")).toEqual({ ok: true, value: {} });
    expect(parseContact("[1]").ok).toBe(false);
    const bad = parseContact("{email");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/not valid JSON/);
  });

  it("turns field rows into a contact and back", () => {
    const contact = contactFromFields([
      { key: "email", value: "a@example.com" },
      { key: "attributes.plan", value: "pro" },
      { key: "attributes.seats", value: "3" },
      { key: "code", value: '"007"' },
      { key: " ", value: "ignored" },
    ]);
    expect(contact).toEqual({ email: "a@example.com", attributes: { plan: "pro", seats: 3 }, code: "007" });
    expect(contactFromFields(fieldsFromContact(contact))).toEqual(contact);
  });

  it("turns event rows into events at ms after the start, naming the row at fault", () => {
    expect(
      eventsFromRows([
        { type: "contact.created", offset: 0, unit: "minutes", data: "" },
        { type: "contact.updated", offset: 30, unit: "minutes", data: '{"changes":{"attributes":{"has_purchased":true}}}' },
      ]),
    ).toEqual({
      ok: true,
      value: [
        { type: "contact.created", at: 0 },
        { type: "contact.updated", at: HOUR / 2, data: { changes: { attributes: { has_purchased: true } } } },
      ],
    });
    expect(eventsFromRows([{ type: "", offset: 0, unit: "days", data: "" }])).toEqual({ ok: false, error: "event 1 has no type" });
    expect(eventsFromRows([{ type: "x", offset: -1, unit: "days", data: "" }]).ok).toBe(false);
    expect(eventsFromRows([{ type: "x", offset: 1, unit: "days", data: "{" }]).ok).toBe(false);
  });

  it("sends the sample contact once, and events as typed (the API gives it to an event without a profile)", () => {
    const req = buildRequest({ source: "website_signup" }, [{ type: "contact.created", offset: 0, unit: "seconds", data: "" }], START);
    expect(req.ok && req.value.contact).toEqual({ source: "website_signup" });
    expect(req.ok && req.value.events).toEqual([{ type: "contact.created", at: 0 }]);
    expect(req.ok && req.value.start).toBe(new Date(START).toISOString());
  });
});
