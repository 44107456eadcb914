import { describe, expect, it } from "vitest";
import type { WorkflowDefinition } from "../definition/types";
import { diffDefinitions, touchedNodes } from "./diff";

const base: WorkflowDefinition = {
  name: "W",
  trigger: { type: "event", event: "contact.created" },
  nodes: [
    { id: "node-1", type: "send_email", position: { x: 0, y: 0 }, data: { templateId: "t1" } },
    { id: "node-2", type: "condition", data: { conditions: [] } },
    { id: "node-3", type: "end" },
  ],
  edges: [
    { source: "trigger", target: "node-1" },
    { source: "node-1", target: "node-2" },
    { source: "node-2", target: "node-3", branch: "true" },
  ],
};

describe("diffDefinitions", () => {
  it("finds nothing between a version and itself, whatever the positions", () => {
    const moved = structuredClone(base);
    moved.nodes![0]!.position = { x: 500, y: 500 };
    const d = diffDefinitions(base, moved);
    expect(d.changed).toBe(false);
    expect(d.nodes.every((n) => n.change === "same")).toBe(true);
  });

  it("compares a changed node's fields side by side", () => {
    const after = structuredClone(base);
    after.nodes![0]!.data = { templateId: "t2", fromName: "Acme" };
    const d = diffDefinitions(base, after);
    const n = d.nodes.find((x) => x.id === "node-1")!;
    expect(n.change).toBe("changed");
    expect(n.fields).toEqual([
      { key: "data.templateId", before: "t1", after: "t2" },
      { key: "data.fromName", before: undefined, after: "Acme" },
    ]);
  });

  it("finds added and removed nodes and edges, and a rewired branch", () => {
    const after = structuredClone(base);
    after.nodes = after.nodes!.filter((n) => n.id !== "node-3");
    after.nodes.push({ id: "node-4", type: "delay", data: { duration: 1, unit: "days" } });
    after.edges = [
      { source: "trigger", target: "node-1" },
      { source: "node-1", target: "node-2" },
      { source: "node-2", target: "node-4", sourceHandle: "true" },
      { source: "node-2", target: "node-1", label: "false" },
    ];
    const d = diffDefinitions(base, after);
    const by = (id: string) => d.nodes.find((n) => n.id === id)?.change;
    expect(by("node-3")).toBe("removed");
    expect(by("node-4")).toBe("added");
    expect(by("node-2")).toBe("same");
    const edge = (key: string) => d.edges.find((e) => e.key === key);
    expect(edge("node-2|true")).toMatchObject({ change: "changed", target: "node-4", targetBefore: "node-3" });
    expect(edge("node-2|false")?.change).toBe("added");
    expect(touchedNodes(d)).toEqual(new Set(["node-3", "node-2"]));
  });

  it("sees a trigger change and changes outside the graph", () => {
    const after = structuredClone(base);
    after.trigger = { type: "event", event: "order.placed" };
    after.settings = { reEntry: "once" };
    const d = diffDefinitions(base, after);
    expect(d.nodes.find((n) => n.id === "trigger")?.fields).toEqual([{ key: "data.event", before: "contact.created", after: "order.placed" }]);
    expect(d.other.map((o) => o.key)).toEqual(["settings"]);
  });
});
