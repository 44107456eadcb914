import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DefinitionEdge, DefinitionNode, WorkflowDefinition } from "../definition/types";
import { branchOf } from "../definition/types";
import { createEditorStore } from "../store/editor";
import { definitionToGraph, graphToDefinition } from "./convert";
import type { StepNode } from "./types";

const EXAMPLES = join(__dirname, "..", "..", "..", "examples");

/**
 * What a round trip compares: the whole definition, deeply, except
 * - a node's `position`: compared separately (kept exactly when the node had one; laid out when not);
 * - how an edge names its branch: `branch`, `label` and `sourceHandle` are compared as the engine reads
 *   them (branch_of), because the writer always writes both `branch` and `sourceHandle` on an edge that
 *   leaves a branching node; a `label` is kept as it was;
 * - missing `nodes` / `edges` lists are read as empty ones.
 */
function normalize(definition: WorkflowDefinition): unknown {
  const d = structuredClone(definition);
  const nodes = (d.nodes ?? []).map(({ position: _p, ...rest }: DefinitionNode) => rest);
  const edges = (d.edges ?? []).map((e: DefinitionEdge) => {
    const { branch: _b, sourceHandle: _s, ...rest } = e;
    const branch = branchOf(e);
    return branch === null ? rest : { ...rest, branch };
  });
  return { ...d, nodes, edges };
}

function roundTrip(definition: WorkflowDefinition): WorkflowDefinition {
  return graphToDefinition(definitionToGraph(definition));
}

function targetsByBranch(definition: WorkflowDefinition, source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of definition.edges ?? []) if (e.source === source) out[branchOf(e) ?? ""] = e.target;
  return out;
}

const BRANCHY: WorkflowDefinition = {
  id: "wf-1",
  tenantId: "t-1",
  name: "Branches",
  custom: { kept: true },
  trigger: { type: "segment_entry", segmentId: "vip", extraTriggerKey: 1 },
  nodes: [
    { id: "sw", type: "switch", data: { field: "attributes.plan", cases: [{ id: "c-free", value: "free" }, { value: "pro" }, { label: "ent", value: "enterprise" }] } },
    { id: "ab", type: "split", data: { variants: [{ id: "a", percentage: 30 }, { id: "b", percentage: 70, label: "B" }] } },
    { id: "if", type: "condition", data: { conditions: { any: [{ field: "tags", operator: "contains", value: "x" }] } } },
    { id: "n-free", type: "send_email", data: { templateId: "t1" }, note: "unknown node key" },
    { id: "n-pro", type: "add_tag", data: { tag: "pro" } },
    { id: "n-ent", type: "end" },
    { id: "n-a", type: "delay", data: { duration: 2, unit: "hours", timeOfDay: "09:00" } },
    { id: "n-b", type: "end", data: {} },
    { id: "n-t", type: "end" },
    { id: "n-f", type: "end" },
  ],
  edges: [
    { source: "trigger", target: "sw" },
    { source: "sw", target: "n-free", branch: "c-free", id: "e1" },
    { source: "sw", target: "n-pro", label: "pro" },
    { source: "sw", target: "n-ent", sourceHandle: "ent" },
    { source: "sw", target: "ab", branch: "default", style: "dashed" },
    { source: "ab", target: "n-a", branch: "a" },
    { source: "ab", target: "n-b", branch: "b" },
    { source: "n-a", target: "if" },
    { source: "if", target: "n-t", branch: true },
    { source: "if", target: "n-f", branch: "false" },
  ],
  goals: [],
  settings: { reEntry: "once", timezone: "Europe/Paris" },
};

describe("definition <-> graph", () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".json"));

  it("finds the examples", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  const templates = readdirSync(join(EXAMPLES, "templates"))
    .filter((f) => f.endsWith(".json") && f !== "index.json")
    .map((f) => join("templates", f));

  it("finds the templates, the abandoned cart among them", () => {
    expect(templates).toContain(join("templates", "abandoned-cart.json"));
  });

  for (const file of [...files, ...templates]) {
    it(`round-trips examples/${file} unchanged`, () => {
      const original = JSON.parse(readFileSync(join(EXAMPLES, file), "utf8")) as WorkflowDefinition;
      const back = roundTrip(original);
      expect(normalize(back)).toEqual(normalize(original));
      const positions = new Map((back.nodes ?? []).map((n) => [n.id, n.position]));
      for (const node of original.nodes ?? []) {
        if (node.position) expect(positions.get(node.id)).toEqual(node.position);
        else expect(positions.get(node.id)).toBeDefined();
      }
      // A second trip changes nothing at all, positions included.
      expect(roundTrip(back)).toEqual(back);
    });
  }

  it("round-trips switch, split, labels, unknown keys and unplaced nodes", () => {
    const back = roundTrip(BRANCHY);
    expect(normalize(back)).toEqual(normalize(BRANCHY));
    expect(roundTrip(back)).toEqual(back);
    // Unplaced nodes are laid out: every node has its own place.
    const places = new Set((back.nodes ?? []).map((n) => `${n.position?.x},${n.position?.y}`));
    expect(places.size).toBe(back.nodes?.length);
    // An empty data object is written back only where there was one.
    expect(back.nodes?.find((n) => n.id === "n-ent")).not.toHaveProperty("data");
    expect(back.nodes?.find((n) => n.id === "n-b")?.data).toEqual({});
  });

  it("round-trips wait_for_event, send windows, frequency caps, exit criteria and priority", () => {
    const journey: WorkflowDefinition = {
      id: "wf-cart",
      name: "Cart",
      trigger: { type: "event", event: "cart.abandoned" },
      nodes: [
        {
          id: "wait",
          type: "wait_for_event",
          position: { x: 0, y: 100 },
          data: { event: "order.placed", correlate: ["cartId"], conditions: [{ field: "event.data.total", operator: "gt", value: 0 }], timeout: { amount: 2, unit: "days" } },
        },
        { id: "thanks", type: "end", position: { x: -150, y: 250 } },
        {
          id: "remind",
          type: "send_email",
          position: { x: 150, y: 250 },
          data: { templateId: "t", sendWindow: { days: ["mon", "fri"], start: "22:00", end: "06:00", timezone: "Europe/Paris", smoothing: { amount: 30, unit: "minutes" } }, frequencyCap: "wait" },
        },
      ],
      edges: [
        { source: "trigger", target: "wait" },
        { source: "wait", target: "thanks", branch: "received" },
        { source: "wait", target: "remind", branch: "timeout" },
      ],
      goals: [],
      settings: {
        sendWindow: { start: "09:00", end: "17:00", timezone: "contact" },
        exitWhen: { event: "contact.unsubscribed", conditions: [{ field: "event.data.channel", operator: "equals", value: "email" }] },
        priority: 40,
      },
    };
    const graph = definitionToGraph(journey);
    expect(Object.fromEntries(graph.edges.filter((e) => e.source === "wait").map((e) => [e.sourceHandle, e.target]))).toEqual({ received: "thanks", timeout: "remind" });
    const back = graphToDefinition(graph);
    expect(normalize(back)).toEqual(normalize(journey));
    expect(back.edges?.find((e) => e.target === "remind")).toMatchObject({ branch: "timeout", sourceHandle: "timeout" });
    expect(roundTrip(back)).toEqual(back);
  });

  it("keeps a run_workflow's plain edge on completed when it comes to wait, and back", () => {
    const parent: WorkflowDefinition = {
      id: "wf-p",
      name: "Parent",
      trigger: { type: "manual" },
      nodes: [
        { id: "sub", type: "run_workflow", position: { x: 0, y: 100 }, data: { workflowId: "wf-child", variables: { plan: "{{ trigger.data.plan }}" }, wait: false } },
        { id: "next", type: "end", position: { x: 0, y: 250 } },
        { id: "oops", type: "end", position: { x: 200, y: 250 } },
      ],
      edges: [
        { source: "trigger", target: "sub" },
        { source: "sub", target: "next" },
      ],
    };
    expect(normalize(roundTrip(parent))).toEqual(normalize(parent));
    const store = createEditorStore();
    store.getState().load(parent);
    const config = (store.getState().nodes.find((n) => n.id === "sub") as StepNode).data.config;
    store.getState().updateNodeConfig("sub", { ...config, wait: true });
    expect(store.getState().edges.filter((e) => e.source === "sub").map((e) => [e.sourceHandle, e.target])).toEqual([["completed", "next"]]);
    store.getState().onConnect({ source: "sub", sourceHandle: "failed", target: "oops", targetHandle: null });
    const waiting = store.getState().toDefinition();
    expect(waiting.edges?.filter((e) => e.source === "sub").map((e) => [branchOf(e), e.target])).toEqual([
      ["completed", "next"],
      ["failed", "oops"],
    ]);
    expect(normalize(roundTrip(waiting))).toEqual(normalize(waiting));
    store.getState().updateNodeConfig("sub", { ...config, wait: false });
    expect(store.getState().toDefinition().edges?.filter((e) => e.source === "sub")).toEqual([{ source: "sub", target: "next" }]);
  });

  it("draws each branch edge from the handle of its branch id and writes branch and sourceHandle", () => {
    const onboarding = JSON.parse(readFileSync(join(EXAMPLES, "onboarding.json"), "utf8")) as WorkflowDefinition;
    const graph = definitionToGraph(onboarding);
    const fromCondition = graph.edges.filter((e) => e.source === "node-3");
    expect(Object.fromEntries(fromCondition.map((e) => [e.sourceHandle, e.target]))).toEqual({ true: "node-4", false: "node-5" });
    expect(graph.edges.find((e) => e.source === "node-1")?.sourceHandle).toBeNull();

    const g2 = definitionToGraph(BRANCHY);
    const handles = Object.fromEntries(g2.edges.filter((e) => e.source === "sw").map((e) => [e.sourceHandle, e.target]));
    expect(handles).toEqual({ "c-free": "n-free", pro: "n-pro", ent: "n-ent", default: "ab" });
    const back = graphToDefinition(g2);
    const written = back.edges?.find((e) => e.source === "sw" && e.target === "n-pro");
    expect(written).toMatchObject({ branch: "pro", sourceHandle: "pro", label: "pro" });
    expect(back.edges?.find((e) => e.source === "if" && e.target === "n-t")).toMatchObject({ branch: "true", sourceHandle: "true" });
    // Plain edges get no branch.
    expect(back.edges?.find((e) => e.source === "n-a")).toEqual({ source: "n-a", target: "if" });
  });
});

describe("switch cases and split variants never rewire another branch", () => {
  const config = (store: ReturnType<typeof createEditorStore>, id: string) =>
    (store.getState().nodes.find((n) => n.id === id) as StepNode).data.config;

  it("reordering switch cases keeps every edge on its case", () => {
    const store = createEditorStore(BRANCHY);
    const before = targetsByBranch(store.getState().toDefinition(), "sw");
    const cases = config(store, "sw").cases as unknown[];
    store.getState().updateNodeConfig("sw", { ...config(store, "sw"), cases: [cases[2], cases[0], cases[1]] as never });
    expect(targetsByBranch(store.getState().toDefinition(), "sw")).toEqual(before);
  });

  it("deleting a switch case drops its edge only", () => {
    const store = createEditorStore(BRANCHY);
    const cases = config(store, "sw").cases as unknown[];
    store.getState().updateNodeConfig("sw", { ...config(store, "sw"), cases: [cases[0], cases[2]] as never });
    expect(targetsByBranch(store.getState().toDefinition(), "sw")).toEqual({ "c-free": "n-free", ent: "n-ent", default: "ab" });
  });

  it("reordering and deleting split variants keeps the others", () => {
    const store = createEditorStore(BRANCHY);
    const variants = config(store, "ab").variants as { id: string; percentage: number }[];
    store.getState().updateNodeConfig("ab", { variants: [variants[1]!, variants[0]!] });
    expect(targetsByBranch(store.getState().toDefinition(), "ab")).toEqual({ a: "n-a", b: "n-b" });
    store.getState().updateNodeConfig("ab", { variants: [{ id: "b", percentage: 100 }] });
    expect(targetsByBranch(store.getState().toDefinition(), "ab")).toEqual({ b: "n-b" });
    // Adding a variant in front rewires nothing either.
    store.getState().updateNodeConfig("ab", { variants: [{ id: "new", percentage: 0 }, { id: "b", percentage: 100 }] });
    expect(targetsByBranch(store.getState().toDefinition(), "ab")).toEqual({ b: "n-b" });
  });
});

describe("undo and redo: one step per action", () => {
  it("drag, add, connect, edit burst, delete, paste and tidy are one step each", () => {
    const store = createEditorStore(BRANCHY);
    const s = () => store.getState();
    const start = s().toDefinition();

    s().onNodesChange([{ type: "position", id: "sw", position: { x: 10, y: 10 }, dragging: true }]);
    s().onNodesChange([{ type: "position", id: "sw", position: { x: 50, y: 60 }, dragging: true }]);
    s().onNodesChange([{ type: "position", id: "sw", position: { x: 50, y: 60 }, dragging: false }]);
    expect(s().past).toHaveLength(1);

    const id = s().addNode("slack", { x: 0, y: 0 });
    s().onConnect({ source: "n-pro", target: id, sourceHandle: null, targetHandle: null });
    s().updateNodeConfig(id, { channel: "a", message: "" });
    s().updateNodeConfig(id, { channel: "ab", message: "" });
    expect(s().past).toHaveLength(4);

    s().select(id);
    s().copySelected();
    s().paste();
    expect(s().nodes.filter((n) => n.type === "step" && n.data.kind === "slack")).toHaveLength(2);
    s().deleteSelected();
    s().tidy();
    expect(s().past).toHaveLength(7);

    for (let i = 0; i < 7; i++) s().undo();
    expect(s().toDefinition()).toEqual(start);
    for (let i = 0; i < 7; i++) s().redo();
    expect(s().nodes.filter((n) => n.type === "step" && n.data.kind === "slack")).toHaveLength(1);
    expect(s().future).toHaveLength(0);
  });

  it("a new connection from a handle replaces that handle's edge", () => {
    const store = createEditorStore(BRANCHY);
    store.getState().onConnect({ source: "if", target: "n-a", sourceHandle: "true", targetHandle: null });
    expect(targetsByBranch(store.getState().toDefinition(), "if")).toEqual({ true: "n-a", false: "n-f" });
    store.getState().onConnect({ source: "n-a", target: "trigger", sourceHandle: null, targetHandle: null });
    expect(store.getState().edges.some((e) => e.target === "trigger")).toBe(false);
  });
});

describe("tidy-up layout", () => {
  it("places a branching node's targets left to right in branch order", () => {
    const store = createEditorStore({
      trigger: { type: "event", event: "e" },
      nodes: [
        { id: "sw", type: "switch", data: { field: "f", cases: [{ id: "c1", value: 1 }, { id: "c2", value: 2 }, { id: "c3", value: 3 }] } },
        ...["A", "B", "C", "D"].map((id) => ({ id, type: "end" })),
      ],
      edges: [
        { source: "trigger", target: "sw" },
        { source: "sw", target: "D", branch: "default" },
        { source: "sw", target: "C", branch: "c3" },
        { source: "sw", target: "A", branch: "c1" },
        { source: "sw", target: "B", branch: "c2" },
      ],
    });
    store.getState().tidy();
    const x = (id: string) => store.getState().nodes.find((n) => n.id === id)!.position.x;
    expect(x("A")).toBeLessThan(x("B"));
    expect(x("B")).toBeLessThan(x("C"));
    expect(x("C")).toBeLessThan(x("D"));
  });
});
