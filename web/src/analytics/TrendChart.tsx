import { useState } from "react";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { bucketLabel, RANGE_PRESETS, rangeOf, type RangePreset } from "./format";
import { useTimeSeries, type VersionPick } from "./queries";
import type { Interval } from "./types";

/** Runs started are bars; how runs ended are lines over them. */
const OUTCOMES: { key: "completed" | "goalReached" | "failed" | "cancelled" | "exited"; name: string; colour: string }[] = [
  { key: "completed", name: "Completed", colour: "#16a34a" },
  { key: "goalReached", name: "Goal reached", colour: "#7c3aed" },
  { key: "failed", name: "Failed", colour: "#dc2626" },
  { key: "cancelled", name: "Cancelled", colour: "#64748b" },
  { key: "exited", name: "Exited", colour: "#d97706" },
];

/** `datetime-local` value <-> ISO instant (the browser's zone). */
const toLocalInput = (iso: string) => {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const fromLocalInput = (v: string) => (v ? new Date(v).toISOString() : "");

/** Runs per hour or day over a range, in the workflow's time zone (the API's buckets, zeros included). */
export function TrendChart({ workflowId, version }: { workflowId: string; version: VersionPick }) {
  const [preset, setPreset] = useState<RangePreset | "custom">("7d");
  const [unit, setUnit] = useState<Interval>("day");
  const [range, setRange] = useState(() => rangeOf("7d", new Date()));
  const series = useTimeSeries(workflowId, version, range.from, range.to, unit);

  const pick = (p: RangePreset | "custom") => {
    setPreset(p);
    if (p === "custom") return;
    const spec = RANGE_PRESETS.find((x) => x.id === p)!;
    setRange(rangeOf(p, new Date()));
    setUnit(spec.interval);
  };

  const data = (series.data?.buckets ?? []).map((b) => ({ ...b, label: bucketLabel(b.start, series.data!.interval, series.data!.timeZone) }));
  return (
    <figure
      className="chart"
      data-testid="trend-chart"
      aria-labelledby="trend-chart-title"
      aria-busy={series.isFetching}
      data-from={range.from}
      data-to={range.to}
      data-interval={series.data?.interval}
      data-buckets={series.isPlaceholderData ? undefined : series.data?.buckets.length}
    >
      <figcaption id="trend-chart-title">
        Runs over time{series.data ? <span className="hint"> (buckets in {series.data.timeZone})</span> : null}
      </figcaption>
      <div className="chart-controls">
        <label>
          Range
          <select value={preset} onChange={(e) => pick(e.target.value as RangePreset | "custom")} aria-label="Range">
            {RANGE_PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
            <option value="custom">Custom…</option>
          </select>
        </label>
        <label>
          Interval
          <select value={unit} onChange={(e) => setUnit(e.target.value as Interval)} aria-label="Interval">
            <option value="hour">By hour</option>
            <option value="day">By day</option>
          </select>
        </label>
        {preset === "custom" && (
          <>
            <label>
              From
              <input type="datetime-local" aria-label="From" value={toLocalInput(range.from)} onChange={(e) => e.target.value && setRange({ ...range, from: fromLocalInput(e.target.value) })} />
            </label>
            <label>
              To
              <input type="datetime-local" aria-label="To" value={toLocalInput(range.to)} onChange={(e) => e.target.value && setRange({ ...range, to: fromLocalInput(e.target.value) })} />
            </label>
          </>
        )}
      </div>
      {series.isError && (
        <p className="error" role="alert" data-testid="trend-error">
          {series.error.message}
        </p>
      )}
      {series.isPending && <p className="hint">Loading…</p>}
      {series.data && (
        <ResponsiveContainer width="100%" height={220}>
          <ComposedChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: -12 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="label" fontSize={11} minTickGap={16} />
            <YAxis allowDecimals={false} fontSize={11} />
            <Tooltip />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Bar dataKey="started" name="Started" fill="#93c5fd" isAnimationActive={false} />
            {OUTCOMES.map((s) => (
              <Line key={s.key} type="monotone" dataKey={s.key} name={s.name} stroke={s.colour} dot={data.length <= 14} strokeWidth={2} isAnimationActive={false} />
            ))}
          </ComposedChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}
