import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Funnel } from "./types";

/** The funnel as bars, in definition order: runs that entered each node, and those that dropped off there. */
export function FunnelChart({ funnel }: { funnel: Funnel }) {
  const data = funnel.nodes.map((n) => ({ node: n.nodeId, entered: n.entered, droppedOff: n.droppedOff, waitingNow: n.waitingNow }));
  if (data.length === 0) return <p className="hint">This version has no nodes.</p>;
  const height = 56 + data.length * 34;
  return (
    <figure className="chart" data-testid="funnel-chart" aria-labelledby="funnel-chart-title">
      <figcaption id="funnel-chart-title">Funnel: runs that entered each node</figcaption>
      <ResponsiveContainer width="100%" height={height}>
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 4 }} barCategoryGap={6}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" allowDecimals={false} fontSize={11} />
          <YAxis type="category" dataKey="node" width={96} fontSize={11} interval={0} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="entered" name="Entered" fill="#2563eb" isAnimationActive={false} />
          <Bar dataKey="droppedOff" name="Dropped off" fill="#f97316" isAnimationActive={false} />
          <Bar dataKey="waitingNow" name="Waiting now" fill="#a5b4fc" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
