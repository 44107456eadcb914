import { describe, expect, it } from "vitest";
import { pinProblems, worst, type Problem } from "./problems";

const p = (over: Partial<Problem>): Problem => ({ path: "$", code: "x", message: "m", severity: "error", ...over });

describe("pinProblems", () => {
  const nodes = ["node-1", "node-2"];
  const edges = ["e-a", "e-b", "e-c"];

  it("pins by nodeId and edgeId", () => {
    const out = pinProblems([p({ nodeId: "node-2" }), p({ edgeId: "e-b", severity: "warning" })], nodes, edges);
    expect(out.byNode.get("node-2")).toHaveLength(1);
    expect(out.byEdge.get("e-b")?.[0]?.severity).toBe("warning");
    expect(out.errors).toBe(1);
    expect(out.warnings).toBe(1);
  });

  it("falls back to the path's index when the id is missing", () => {
    const out = pinProblems([p({ path: "$.nodes[1].data.templateId" }), p({ path: "$.edges[2].target" })], nodes, edges);
    expect(out.items[0]?.node).toBe("node-2");
    expect(out.items[1]?.edge).toBe("e-c");
    expect(out.items[1]?.node).toBeNull();
  });

  it("pins trigger problems to the trigger node and keeps the rest general", () => {
    const out = pinProblems([p({ path: "$.trigger.event" }), p({ path: "$.goals[0].event" })], nodes, edges);
    expect(out.items[0]?.node).toBe("trigger");
    expect(out.items[1]?.node).toBeNull();
    expect(out.items[1]?.edge).toBeNull();
  });

  it("ignores an id the canvas does not have and lists errors before warnings", () => {
    const out = pinProblems([p({ severity: "warning", nodeId: "gone" }), p({ nodeId: "node-1" })], nodes, edges);
    expect(out.items.map((i) => i.severity)).toEqual(["error", "warning"]);
    expect(out.byNode.has("gone")).toBe(false);
  });

  it("worst is the highest severity", () => {
    expect(worst([p({ severity: "warning" }), p({})])).toBe("error");
    expect(worst([p({ severity: "warning" })])).toBe("warning");
    expect(worst([])).toBeNull();
  });
});
