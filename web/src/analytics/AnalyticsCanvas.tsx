import { Background, Controls, type EdgeTypes, ReactFlow, ReactFlowProvider, useNodesInitialized, useNodesState, useReactFlow } from "@xyflow/react";
import { useEffect, useMemo } from "react";
import type { WorkflowDefinition } from "../definition/types";
import { definitionToGraph } from "../graph/convert";
import type { FlowNode } from "../graph/types";
import { CanvasStatsContext, type CanvasStats } from "./canvasContext";
import { edgeWidth } from "./format";
import { busiest, needsLayout, trafficByEdge, type RunPath } from "./overlay";
import { STATS_NODE_TYPES } from "./StatsNodes";
import { TrafficEdge, type TrafficEdgeType } from "./TrafficEdge";
import type { FunnelEdge } from "./types";

const EDGE_TYPES: EdgeTypes = { traffic: TrafficEdge };

/** A request to centre a node (a new `seq` centres again, the same node included). */
export interface FocusRequest {
  nodeId: string;
  seq: number;
}

function FitWhenMeasured({ graphKey }: { graphKey: string }) {
  const ready = useNodesInitialized();
  const { fitView } = useReactFlow();
  useEffect(() => {
    if (!ready) return;
    const t = setTimeout(() => void fitView({ padding: 0.15, maxZoom: 1 }), 80);
    return () => clearTimeout(t);
  }, [ready, fitView, graphKey]);
  return null;
}

function CentreOn({ focus }: { focus: FocusRequest | null }) {
  const { getInternalNode, setCenter, getZoom } = useReactFlow();
  useEffect(() => {
    if (!focus) return;
    const n = getInternalNode(focus.nodeId);
    if (!n) return;
    const w = n.measured.width ?? 220;
    const h = n.measured.height ?? 80;
    void setCenter(n.internals.positionAbsolute.x + w / 2, n.internals.positionAbsolute.y + h / 2, { zoom: Math.max(getZoom(), 0.9), duration: 250 });
  }, [focus, getInternalNode, setCenter, getZoom]);
  return null;
}

/** The definition's graph; laid out anew when its positions would stack nodes on one another. */
function drawable(definition: WorkflowDefinition) {
  const nodes = definition.nodes ?? [];
  const placed = new Set(nodes.filter((n) => n.position).map((n) => n.id));
  const stacked = needsLayout(
    nodes.map((n) => ({ id: n.id, position: n.position ?? { x: 0, y: 0 } })),
    placed,
  );
  if (!stacked) return definitionToGraph(definition);
  return definitionToGraph({ ...definition, nodes: nodes.map(({ position: _position, ...n }) => n) });
}

function Graph(props: {
  definition: WorkflowDefinition;
  traffic: readonly FunnelEdge[] | null;
  path: RunPath | null;
  selected: string | null;
  focus: FocusRequest | null;
  onSelect: (nodeId: string | null) => void;
}) {
  const graph = useMemo(() => drawable(props.definition), [props.definition]);
  const graphKey = useMemo(() => JSON.stringify([graph.nodes.map((n) => n.id), graph.edges.map((e) => e.id)]), [graph]);
  const [nodes, setNodes, onNodesChange] = useNodesState<FlowNode>([]);
  useEffect(() => {
    setNodes(graph.nodes.map((n) => ({ ...n, draggable: false, connectable: false, selected: false })));
  }, [graph, setNodes]);

  const onPath = useMemo(() => new Set(props.path?.nodes ?? []), [props.path]);
  const shown = useMemo(
    () =>
      nodes.map((n) => {
        let className: string | undefined;
        if (props.path) className = n.id === props.path.current ? "on-path current" : onPath.has(n.id) ? "on-path" : "off-path";
        return { ...n, selected: n.id === props.selected, className };
      }),
    [nodes, props.path, props.selected, onPath],
  );

  const edges = useMemo<TrafficEdgeType[]>(() => {
    const traffic = props.traffic ? trafficByEdge(graph.edges, props.traffic) : null;
    const max = traffic ? busiest(traffic) : 0;
    return graph.edges.map((e) => {
      const t = traffic?.get(e.id);
      return {
        id: e.id,
        source: e.source,
        target: e.target,
        sourceHandle: e.sourceHandle ?? null,
        type: "traffic",
        className: props.path ? (props.path.edges.has(e.id) ? "on-path" : "off-path") : undefined,
        data: {
          runs: t ? t.runs : null,
          branch: t ? t.branch : (e.sourceHandle ?? null),
          width: edgeWidth(t?.runs ?? 0, max),
          path: props.path ? (props.path.edges.has(e.id) ? "on" : "off") : null,
        },
      };
    });
  }, [graph, props.traffic, props.path]);

  return (
    <ReactFlow<FlowNode, TrafficEdgeType>
      nodes={shown}
      edges={edges}
      onNodesChange={onNodesChange}
      nodeTypes={STATS_NODE_TYPES}
      edgeTypes={EDGE_TYPES}
      nodesDraggable={false}
      nodesConnectable={false}
      elementsSelectable
      deleteKeyCode={null}
      onNodeClick={(_, n) => props.onSelect(n.id)}
      onPaneClick={() => props.onSelect(null)}
      fitView
      fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
      minZoom={0.1}
      proOptions={{ hideAttribution: true }}
    >
      <Background gap={16} />
      <Controls showInteractive={false} />
      <FitWhenMeasured graphKey={graphKey} />
      <CentreOn focus={props.focus} />
    </ReactFlow>
  );
}

/**
 * A version's graph, read-only, with the API's figures over it: counts on nodes, traffic on edges (thickness
 * and a label), failures; and, when a run is shown, its path highlighted and the rest dimmed.
 */
export function AnalyticsCanvas(props: {
  definition: WorkflowDefinition;
  stats: CanvasStats;
  traffic: readonly FunnelEdge[] | null;
  path: RunPath | null;
  selected: string | null;
  focus: FocusRequest | null;
  onSelect: (nodeId: string | null) => void;
}) {
  const { stats, ...rest } = props;
  return (
    <div className="canvas analytics-canvas" data-testid="analytics-canvas" data-path={props.path ? props.path.nodes.join(" ") : undefined}>
      <ReactFlowProvider>
        <CanvasStatsContext.Provider value={stats}>
          <Graph {...rest} />
        </CanvasStatsContext.Provider>
      </ReactFlowProvider>
    </div>
  );
}
