/**
 * The editor store (Zustand): the graph being edited, its undo/redo history and the clipboard.
 *
 * Undo and redo cover the graph only (nodes, edges, the trigger), with one step per user action: a drag
 * (from drag start to drop), a paste, a delete, a tidy-up, an added node or edge, and a burst of edits to
 * one node's form (edits to the same node less than a second apart are one step).
 */

import { applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange } from "@xyflow/react";
import { useStore } from "zustand";
import { createStore } from "zustand/vanilla";
import type { JsonObject, Trigger, WorkflowDefinition } from "../definition/types";
import { START } from "../definition/types";
import { definitionToGraph, edgesForLayout, graphToDefinition, pruneRemovedBranches } from "../graph/convert";
import { layoutPositions } from "../graph/layout";
import type { DefinitionMeta, FlowEdge, FlowNode, StepNode, TriggerNode } from "../graph/types";
import { specOf } from "../nodes/registry";

export interface Snapshot {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

const HISTORY_LIMIT = 200;
const EDIT_COALESCE_MS = 1000;

export interface EditorState {
  nodes: FlowNode[];
  edges: FlowEdge[];
  meta: DefinitionMeta;
  past: Snapshot[];
  future: Snapshot[];
  clipboard: Snapshot | null;
  /** The graph as it was when a drag started (its undo step is taken at the drop). */
  dragStart: Snapshot | null;
  lastEdit: { key: string; at: number } | null;
  /** Bumped on every graph change: a cheap "dirty" signal for autosave and validation. */
  revision: number;
  /** Changed since it was loaded or last saved as a version. */
  dirty: boolean;
  /** Bumped each time a definition is opened (the canvas fits it into view). */
  loaded: number;

  /** Open a definition (`dirty`: it is an unsaved draft, not a saved version). */
  load: (definition: WorkflowDefinition, opts?: { dirty?: boolean }) => void;
  markSaved: () => void;
  /** Put a new node of `kind` on an edge: source -> new node -> target. */
  insertOnEdge: (edgeId: string, kind: string) => string | null;
  toDefinition: () => WorkflowDefinition;
  onNodesChange: (changes: NodeChange<FlowNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<FlowEdge>[]) => void;
  onConnect: (connection: Connection) => void;
  addNode: (kind: string, position: { x: number; y: number }) => string;
  setTriggerType: (type: string) => void;
  updateNodeConfig: (id: string, config: JsonObject) => void;
  updateTrigger: (trigger: Trigger) => void;
  updateMeta: (patch: DefinitionMeta) => void;
  select: (id: string | null) => void;
  deleteSelected: () => void;
  copySelected: () => void;
  paste: () => void;
  tidy: (sizes?: Map<string, { width: number; height: number }>) => void;
  undo: () => void;
  redo: () => void;
}

export const BLANK: WorkflowDefinition = {
  name: "Untitled workflow",
  trigger: { type: "event", event: "" },
  nodes: [],
  edges: [],
  goals: [],
  settings: { reEntry: "always" },
};

let counter = 0;
function freshId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}${counter.toString(36)}`;
}

/** The next free `node-N` id. */
export function nextNodeId(nodes: FlowNode[]): string {
  let most = 0;
  for (const n of nodes) {
    const m = /^node-(\d+)$/.exec(n.id);
    if (m) most = Math.max(most, Number(m[1]));
  }
  return `node-${most + 1}`;
}

export function createEditorStore(initial: WorkflowDefinition = BLANK) {
  const graph = definitionToGraph(initial);
  return createStore<EditorState>()((set, get) => {
    /** Record the current graph as one undo step (or fold into the last one, for a burst of edits). */
    const record = (key?: string) => {
      const s = get();
      const now = Date.now();
      if (key && s.lastEdit && s.lastEdit.key === key && now - s.lastEdit.at < EDIT_COALESCE_MS) {
        set({ lastEdit: { key, at: now } });
        return;
      }
      set({
        past: [...s.past, { nodes: s.nodes, edges: s.edges }].slice(-HISTORY_LIMIT),
        future: [],
        lastEdit: key ? { key, at: now } : null,
      });
    };
    const changed = (patch: Partial<EditorState>) => set((s) => ({ ...patch, revision: s.revision + 1, dirty: true }));

    return {
      nodes: graph.nodes,
      edges: graph.edges,
      meta: graph.meta,
      past: [],
      future: [],
      clipboard: null,
      dragStart: null,
      lastEdit: null,
      revision: 0,
      dirty: false,
      loaded: 0,

      load: (definition, opts) => {
        const g = definitionToGraph(definition);
        set((s) => ({ ...g, past: [], future: [], dragStart: null, lastEdit: null, revision: s.revision + 1, dirty: !!opts?.dirty, loaded: s.loaded + 1 }));
      },

      markSaved: () => set({ dirty: false }),

      insertOnEdge: (edgeId, kind) => {
        const s = get();
        const edge = s.edges.find((e) => e.id === edgeId);
        if (!edge) return null;
        const from = s.nodes.find((n) => n.id === edge.source);
        const to = s.nodes.find((n) => n.id === edge.target);
        if (!from || !to) return null;
        const id = nextNodeId(s.nodes);
        const spec = specOf(kind);
        const config = spec.defaults();
        const branches = spec.branches(config);
        record();
        const node: StepNode = {
          id,
          type: "step",
          position: { x: (from.position.x + to.position.x) / 2, y: (from.position.y + to.position.y) / 2 },
          selected: true,
          data: { kind, config, extra: {}, hadData: true },
        };
        // The new node takes the edge's place; a branching one continues from its first branch, an end stops.
        const out: FlowEdge[] =
          branches && branches.length === 0
            ? []
            : [{ id: freshId("edge"), source: id, target: edge.target, sourceHandle: branches?.[0]?.id ?? null, data: { extra: {}, hadId: true } }];
        const edges = s.edges.flatMap((e) => (e.id === edgeId ? [{ ...e, target: id, selected: false }, ...out] : [e]));
        // Push what follows down to make room.
        const below = new Set<string>();
        const walk = (nid: string) => {
          if (below.has(nid)) return;
          below.add(nid);
          for (const e of s.edges) if (e.source === nid) walk(e.target);
        };
        walk(edge.target);
        const nodes = s.nodes.map((n) =>
          below.has(n.id) ? { ...n, selected: false, position: { x: n.position.x, y: n.position.y + 120 } } : { ...n, selected: false },
        );
        node.position = { x: to.position.x, y: to.position.y };
        changed({ nodes: [...nodes, node], edges });
        return id;
      },

      toDefinition: () => {
        const s = get();
        return graphToDefinition({ nodes: s.nodes, edges: s.edges, meta: s.meta });
      },

      onNodesChange: (changes) => {
        const s = get();
        let dragStart = s.dragStart;
        let dropped = false;
        let moved = false;
        for (const c of changes) {
          if (c.type === "position") {
            if (c.dragging && !dragStart) dragStart = { nodes: s.nodes, edges: s.edges };
            if (c.dragging === false) dropped = true;
            moved = true;
          }
        }
        // Removals go through deleteSelected (one step); the canvas never removes on its own.
        const kept = changes.filter((c) => c.type !== "remove");
        const nodes = applyNodeChanges(kept, s.nodes);
        if (dropped && dragStart) {
          set({
            past: [...s.past, dragStart].slice(-HISTORY_LIMIT),
            future: [],
            dragStart: null,
            lastEdit: null,
          });
          changed({ nodes });
        } else if (moved) {
          set({ dragStart });
          changed({ nodes });
        } else {
          set({ nodes, dragStart });
        }
      },

      onEdgesChange: (changes) => {
        const kept = changes.filter((c) => c.type !== "remove");
        set((s) => ({ edges: applyEdgeChanges(kept, s.edges) }));
      },

      onConnect: ({ source, target, sourceHandle }) => {
        const s = get();
        if (!source || !target || source === target || target === START) return;
        record();
        const handle = sourceHandle ?? null;
        // One edge per source handle: a new connection from a handle replaces the one it had.
        const edges = s.edges.filter((e) => !(e.source === source && (e.sourceHandle ?? null) === handle));
        edges.push({
          id: freshId("edge"),
          source,
          target,
          sourceHandle: handle,
          data: { extra: {}, hadId: true },
        });
        changed({ edges });
      },

      addNode: (kind, position) => {
        const s = get();
        const id = nextNodeId(s.nodes);
        const spec = specOf(kind);
        record();
        const node: StepNode = {
          id,
          type: "step",
          position,
          selected: true,
          data: { kind, config: spec.defaults(), extra: {}, hadData: true },
        };
        changed({ nodes: [...s.nodes.map((n) => ({ ...n, selected: false })), node] });
        return id;
      },

      setTriggerType: (type) => {
        const s = get();
        const trigger = s.nodes.find((n): n is TriggerNode => n.type === "trigger");
        if (!trigger) return;
        get().updateTrigger({ ...trigger.data.trigger, type });
      },

      updateNodeConfig: (id, config) => {
        const s = get();
        const node = s.nodes.find((n): n is StepNode => n.id === id && n.type === "step");
        if (!node) return;
        record(`edit:${id}`);
        const edges = pruneRemovedBranches(id, node.data.kind, node.data.config, config, s.edges);
        changed({
          nodes: s.nodes.map((n) => (n.id === id && n.type === "step" ? { ...n, data: { ...n.data, config } } : n)),
          edges,
        });
      },

      updateTrigger: (trigger) => {
        const s = get();
        record(`edit:${START}`);
        changed({
          nodes: s.nodes.map((n) => (n.type === "trigger" ? { ...n, data: { ...n.data, trigger } } : n)),
        });
      },

      updateMeta: (patch) => changed({ meta: { ...get().meta, ...patch } }),

      select: (id) =>
        set((s) => ({
          nodes: s.nodes.map((n) => (n.selected === (n.id === id) ? n : { ...n, selected: n.id === id })),
          edges: s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
        })),

      deleteSelected: () => {
        const s = get();
        const gone = new Set(s.nodes.filter((n) => n.selected && n.type === "step").map((n) => n.id));
        const edges = s.edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target));
        if (gone.size === 0 && edges.length === s.edges.length) return;
        record();
        changed({ nodes: s.nodes.filter((n) => !gone.has(n.id)), edges });
      },

      copySelected: () => {
        const s = get();
        const nodes = s.nodes.filter((n) => n.selected && n.type === "step");
        const ids = new Set(nodes.map((n) => n.id));
        const edges = s.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
        if (nodes.length > 0) set({ clipboard: { nodes, edges } });
      },

      paste: () => {
        const s = get();
        const clip = s.clipboard;
        if (!clip || clip.nodes.length === 0) return;
        record();
        const ids = new Map<string, string>();
        let all: FlowNode[] = s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
        const pasted: FlowNode[] = [];
        for (const n of clip.nodes) {
          const id = nextNodeId([...all, ...pasted]);
          ids.set(n.id, id);
          pasted.push({
            ...(n as StepNode),
            id,
            selected: true,
            position: { x: n.position.x + 40, y: n.position.y + 40 },
            data: structuredClone((n as StepNode).data),
          });
        }
        all = [...all, ...pasted];
        const edges = clip.edges.map((e) => ({
          ...e,
          id: freshId("edge"),
          source: ids.get(e.source) ?? e.source,
          target: ids.get(e.target) ?? e.target,
          selected: false,
          data: { extra: structuredClone(e.data?.extra ?? {}), hadId: true },
        }));
        // The next paste lands further along, not on top of this one.
        set({ clipboard: { nodes: pasted, edges } });
        changed({ nodes: all, edges: [...s.edges, ...edges] });
      },

      tidy: (sizes) => {
        const s = get();
        record();
        const laid = layoutPositions({
          nodes: s.nodes.map((n) => ({
            id: n.id,
            width: sizes?.get(n.id)?.width ?? n.measured?.width,
            height: sizes?.get(n.id)?.height ?? n.measured?.height,
          })),
          edges: edgesForLayout(s.nodes, s.edges),
        });
        changed({ nodes: s.nodes.map((n) => ({ ...n, position: laid.get(n.id) ?? n.position })) });
      },

      undo: () => {
        const s = get();
        const prev = s.past[s.past.length - 1];
        if (!prev) return;
        set({ past: s.past.slice(0, -1), future: [{ nodes: s.nodes, edges: s.edges }, ...s.future], lastEdit: null });
        changed({ nodes: prev.nodes, edges: prev.edges });
      },

      redo: () => {
        const s = get();
        const next = s.future[0];
        if (!next) return;
        set({ past: [...s.past, { nodes: s.nodes, edges: s.edges }], future: s.future.slice(1), lastEdit: null });
        changed({ nodes: next.nodes, edges: next.edges });
      },
    };
  });
}

export type EditorStore = ReturnType<typeof createEditorStore>;

/** The app's one editor store. */
export const editorStore = createEditorStore();

export function useEditor<T>(selector: (s: EditorState) => T): T {
  return useStore(editorStore, selector);
}
