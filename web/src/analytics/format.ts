/**
 * Figures in words: the API computes every number; these functions only spell them out (percentages, the
 * 95 % interval, the p-value, the split's verdict, times in the workflow's zone) and size what the canvas
 * draws (an edge's thickness by its traffic). Pure, with Vitest tests beside them.
 */

import type { Interval, SplitComparison, SplitResult, WaitingFor } from "./types";

const INTEGER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** 12345 -> "12,345". */
export function count(n: number): string {
  return INTEGER.format(n);
}

/** 0.1234 -> "12.3%"; `digits` after the point. */
export function percent(rate: number | null | undefined, digits = 1): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return "–";
  return `${(rate * 100).toFixed(digits)}%`;
}

/** A rate the API gives in percent (the run totals' conversion, 12.5 for 12.5 %): "12.5%". */
export function percentPoints(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return `${value.toFixed(digits)}%`;
}

/** The 95 % interval of a rate: "8.2% to 12.0%". */
export function interval(low: number, high: number): string {
  return `${percent(low)} to ${percent(high)}`;
}

/** A conversion with its interval in words. */
export function conversionInWords(v: { converted: number; entered: number; conversionRate: number; ciLow: number; ciHigh: number }): string {
  if (v.entered === 0) return "No run entered this variant yet.";
  return `${count(v.converted)} of ${count(v.entered)} converted (${percent(v.conversionRate)}); the true rate is between ${percent(v.ciLow)} and ${percent(v.ciHigh)} with 95% confidence.`;
}

/** "p = 0.0004", "p < 0.0001"; null when the API gave none (too few runs to compare). */
export function pValue(p: number | null | undefined): string | null {
  if (p === null || p === undefined || !Number.isFinite(p)) return null;
  if (p < 0.0001) return "p < 0.0001";
  return `p = ${p < 0.01 ? p.toFixed(4) : p.toFixed(3)}`;
}

export interface Verdict {
  /** "Winner: b" or "No winner yet". */
  label: string;
  tone: "winner" | "pending";
  /** Why there is no winner (the API's decision, spelled out), or "" for a winner. */
  reason: string;
}

/** The split's badge: the API's winner, or why there is none yet. */
export function verdict(split: Pick<SplitResult, "minSample" | "variants">, c: SplitComparison | null): Verdict {
  if (c?.winner) return { label: `Winner: ${c.winner}`, tone: "winner", reason: "" };
  const small = split.variants.some((v) => v.entered < split.minSample);
  let reason: string;
  if (!c) reason = "Not enough runs to compare the variants yet.";
  else if (!c.significant) reason = "The difference is not significant at 95% yet.";
  else if (small) reason = `The difference is significant, but a variant has fewer than ${count(split.minSample)} runs.`;
  else reason = "No variant is ahead.";
  return { label: "No winner yet", tone: "pending", reason };
}

const MIN_WIDTH = 1.5;
const MAX_WIDTH = 12;

/**
 * An edge's stroke width for its traffic: the square root of its share of the busiest edge, so a branch
 * with a quarter of the runs is half as thick. No run: the thinnest line.
 */
export function edgeWidth(runs: number, busiest: number): number {
  if (runs <= 0 || busiest <= 0) return MIN_WIDTH;
  const share = Math.min(1, runs / busiest);
  return Math.round((MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * Math.sqrt(share)) * 10) / 10;
}

/** A date and time in the browser's zone (the run explorer). */
export function when(iso: string | null | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString("en-GB", { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** A bucket's label in the workflow's zone: "28 Nov" by day, "28 Nov 14:00" by hour. */
export function bucketLabel(start: string, unit: Interval, timeZone: string): string {
  const d = new Date(start);
  const opts: Intl.DateTimeFormatOptions =
    unit === "day" ? { day: "numeric", month: "short", timeZone } : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone };
  try {
    return d.toLocaleString("en-GB", opts);
  } catch {
    return d.toLocaleString("en-GB", { ...opts, timeZone: "UTC" });
  }
}

/** How long between two instants, in words: "3 s", "4 min", "2 h 5 min", "3 d 4 h". */
export function duration(fromIso: string | null, toIso: string | null): string {
  if (!fromIso || !toIso) return "";
  const s = Math.max(0, Math.round((new Date(toIso).getTime() - new Date(fromIso).getTime()) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** What a waiting run waits for, in words. */
export function waitingInWords(w: WaitingFor): string {
  const until = w.until ? ` until ${when(w.until)}` : "";
  switch (w.kind) {
    case "event":
      return `Waits at ${w.nodeId} for the event ${w.eventType ?? "(any)"}${w.until ? `, or times out at ${when(w.until)}` : ""}.`;
    case "send_window":
      return `Waits at ${w.nodeId} for its send window to open${w.until ? `, at ${when(w.until)}` : ""}.`;
    case "delay":
      return `Waits at the delay ${w.nodeId}${until}.`;
    case "wait_until":
      return `Waits at ${w.nodeId}${until}.`;
    case "action":
      return `Waits at ${w.nodeId} for its HTTP call to answer.`;
    default:
      return `Waits at ${w.nodeId}${until}.`;
  }
}

export type RangePreset = "24h" | "7d" | "30d" | "90d";
export const RANGE_PRESETS: { id: RangePreset; label: string; hours: number; interval: Interval }[] = [
  { id: "24h", label: "Last 24 hours", hours: 24, interval: "hour" },
  { id: "7d", label: "Last 7 days", hours: 24 * 7, interval: "day" },
  { id: "30d", label: "Last 30 days", hours: 24 * 30, interval: "day" },
  { id: "90d", label: "Last 90 days", hours: 24 * 90, interval: "day" },
];

/** The range a preset names, ending at the next whole hour after `now` (so the current bucket is in it). */
export function rangeOf(preset: RangePreset, now: Date): { from: string; to: string } {
  const hours = RANGE_PRESETS.find((p) => p.id === preset)?.hours ?? 24;
  const to = new Date(now);
  to.setUTCMinutes(0, 0, 0);
  to.setUTCHours(to.getUTCHours() + 1);
  const from = new Date(to.getTime() - hours * 3600_000);
  return { from: from.toISOString(), to: to.toISOString() };
}

/** How many buckets a range has (the API refuses more than 1,000). */
export function bucketCount(fromIso: string, toIso: string, unit: Interval): number {
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
  return Math.ceil(ms / (unit === "hour" ? 3600_000 : 86_400_000));
}
