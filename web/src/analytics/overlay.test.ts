import { describe, expect, it } from "vitest";
import { busiest, needsLayout, runPath, trafficByEdge, type DrawnEdge } from "./overlay";

const drawn: DrawnEdge[] = [
  { id: "e0", source: "trigger", target: "check" },
  { id: "e1", source: "check", target: "mail", sourceHandle: "true" },
  { id: "e2", source: "check", target: "done", sourceHandle: "false" },
  { id: "e3", source: "mail", target: "done" },
];

describe("trafficByEdge", () => {
  it("puts the API's runs on the edge of the same source, target and branch", () => {
    const t = trafficByEdge(drawn, [
      { source: "trigger", target: "check", branch: null, runs: 10 },
      { source: "check", target: "mail", branch: "true", runs: 7 },
      { source: "check", target: "done", branch: "false", runs: 3 },
      { source: "mail", target: "done", branch: null, runs: 6 },
    ]);
    expect(Object.fromEntries([...t].map(([id, v]) => [id, v.runs]))).toEqual({ e0: 10, e1: 7, e2: 3, e3: 6 });
    expect(t.get("e1")!.branch).toBe("true");
    expect(busiest(t)).toBe(10);
  });

  it("gives 0 to an edge no run took, and keeps its branch", () => {
    const t = trafficByEdge(drawn, [{ source: "trigger", target: "check", branch: null, runs: 2 }]);
    expect(t.get("e2")).toEqual({ runs: 0, branch: "false" });
    expect(t.get("e3")).toEqual({ runs: 0, branch: null });
  });

  it("matches an edge counted under another branch spelling by its source and target", () => {
    const t = trafficByEdge([{ id: "x", source: "sub", target: "next" }], [{ source: "sub", target: "next", branch: "completed", runs: 4 }]);
    expect(t.get("x")).toEqual({ runs: 4, branch: "completed" });
  });
});

describe("runPath", () => {
  it("goes through the trigger and every step taken, with the edge of the branch taken", () => {
    const p = runPath(
      [
        { nodeId: "check", status: "completed", output: { result: false, branch: "false" } },
        { nodeId: "done", status: "completed" },
      ],
      drawn,
    );
    expect(p.nodes).toEqual(["trigger", "check", "done"]);
    expect([...p.edges].sort()).toEqual(["e0", "e2"]);
    expect(p.current).toBeNull();
  });

  it("leaves skipped steps out and marks the node a waiting run is at", () => {
    const p = runPath(
      [
        { nodeId: "check", status: "completed", output: { branch: "true" } },
        { nodeId: "mail", status: "pending" },
        { nodeId: "done", status: "skipped" },
      ],
      drawn,
    );
    expect(p.nodes).toEqual(["trigger", "check", "mail"]);
    expect([...p.edges].sort()).toEqual(["e0", "e1"]);
    expect(p.current).toBe("mail");
  });

  it("draws no edge between nodes the graph does not join (a version without that edge)", () => {
    const p = runPath([{ nodeId: "mail", status: "completed" }], drawn);
    expect(p.nodes).toEqual(["trigger", "mail"]);
    expect(p.edges.size).toBe(0);
  });
});

describe("needsLayout", () => {
  const at = (id: string, x: number, y: number) => ({ id, position: { x, y } });
  it("is true when two placed nodes share a place", () => {
    expect(needsLayout([at("a", 0, 0), at("b", 0, 0)], new Set(["a", "b"]))).toBe(true);
  });
  it("is false for distinct places, and ignores nodes the definition did not place", () => {
    expect(needsLayout([at("a", 0, 0), at("b", 0, 120)], new Set(["a", "b"]))).toBe(false);
    expect(needsLayout([at("trigger", 0, 0), at("a", 0, 0)], new Set(["a"]))).toBe(false);
  });
});
