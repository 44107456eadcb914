import { describe, expect, it } from "vitest";
import { createEditorStore } from "./editor";

const def = {
  name: "W",
  trigger: { type: "event", event: "contact.created" },
  nodes: [
    { id: "node-1", type: "send_email", position: { x: 0, y: 100 }, data: { templateId: "t" } },
    { id: "node-2", type: "end", position: { x: 0, y: 250 } },
  ],
  edges: [
    { id: "e1", source: "trigger", target: "node-1" },
    { id: "e2", source: "node-1", target: "node-2" },
  ],
};

describe("+ on an edge", () => {
  it("puts the new node between the edge's ends, as one undo step", () => {
    const store = createEditorStore(def);
    const id = store.getState().insertOnEdge("e2", "delay");
    expect(id).toBe("node-3");
    const out = store.getState().toDefinition();
    expect(out.edges?.map((e) => [e.source, e.target])).toEqual([
      ["trigger", "node-1"],
      ["node-1", "node-3"],
      ["node-3", "node-2"],
    ]);
    expect(store.getState().dirty).toBe(true);
    store.getState().undo();
    expect(store.getState().toDefinition().nodes?.map((n) => n.id)).toEqual(["node-1", "node-2"]);
  });

  it("continues from a branching node's first branch, and an end node stops there", () => {
    const store = createEditorStore(def);
    store.getState().insertOnEdge("e2", "condition");
    const cond = store.getState().toDefinition().edges!.find((e) => e.source === "node-3");
    expect(cond).toMatchObject({ target: "node-2", branch: "true" });
    const ends = createEditorStore(def);
    ends.getState().insertOnEdge("e1", "end");
    expect(ends.getState().toDefinition().edges?.some((e) => e.source === "node-3")).toBe(false);
  });

  it("a loaded definition is not dirty until it changes, and markSaved clears it", () => {
    const store = createEditorStore(def);
    store.getState().load(def);
    expect(store.getState().dirty).toBe(false);
    store.getState().updateMeta({ name: "X" });
    expect(store.getState().dirty).toBe(true);
    store.getState().markSaved();
    expect(store.getState().dirty).toBe(false);
  });
});
