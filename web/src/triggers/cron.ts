/**
 * Five-field cron (minute hour day-of-month month day-of-week) as the engine reads it
 * (streams/engine/cron.py): `*`, numbers, ranges, steps, lists, month and weekday names (0 and 7 are Sunday);
 * when both day fields are restricted a day matches if either does. A local time skipped by spring-forward
 * fires shifted forward by the gap; one repeated by fall-back fires at its first occurrence.
 * Pure: the schedule trigger's form shows its plain-language reading and next fire times.
 */

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export class CronError extends Error {}

export interface Cron {
  minutes: number[];
  hours: number[];
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  dayRestricted: boolean;
  weekdayRestricted: boolean;
  fields: string[];
}

function value(token: string, lo: number, hi: number, names: string[] | null, offset: number): number {
  const key = token.toLowerCase();
  const named = names ? names.indexOf(key) : -1;
  if (named >= 0) return named + offset;
  if (!/^\d+$/.test(token)) throw new CronError(`"${token}" is not a number`);
  const n = Number(token);
  if (n < lo || n > hi) throw new CronError(`${n} is outside ${lo}-${hi}`);
  return n;
}

function field(text: string, lo: number, hi: number, names: string[] | null = null, offset = 0): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [base = "", stepText] = part.split("/", 2) as [string, string | undefined];
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw new CronError(`bad step in "${part}"`);
      step = Number(stepText);
    }
    let start: number;
    let end: number;
    if (base === "*") [start, end] = [lo, hi];
    else if (base.includes("-")) {
      const [a = "", b = ""] = base.split("-", 2);
      start = value(a, lo, hi, names, offset);
      end = value(b, lo, hi, names, offset);
      if (start > end) throw new CronError(`range "${base}" runs backwards`);
    } else {
      start = value(base, lo, hi, names, offset);
      end = stepText !== undefined ? hi : start;
    }
    for (let v = start; v <= end; v += step) out.add(v);
  }
  return out;
}

export function parseCron(expression: string): Cron {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5) throw new CronError(`expected 5 fields, got ${fields.length}`);
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return {
    minutes: sorted(field(minute, 0, 59)),
    hours: sorted(field(hour, 0, 23)),
    days: field(dom, 1, 31),
    months: field(month, 1, 12, MONTHS, 1),
    weekdays: new Set([...field(dow, 0, 7, DAYS)].map((d) => d % 7)),
    dayRestricted: dom !== "*",
    weekdayRestricted: dow !== "*",
    fields,
  };
}

// --- time zones -------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

export function isZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time at instant `ms` in `zone`, as if it were UTC (ms). */
function wallAt(ms: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
}

const offsetAt = (ms: number, zone: string) => wallAt(ms, zone) - Math.floor(ms / 1000) * 1000;

/** The instant of a local wall time (given as UTC ms): first occurrence in a fold, shifted by the gap in a gap. */
export function localToInstant(wall: number, zone: string): number {
  const day = 86_400_000;
  const before = wall - offsetAt(wall - day, zone);
  const after = wall - offsetAt(wall + day, zone);
  const valid = [before, after].filter((t) => wallAt(t, zone) === wall);
  return valid.length ? Math.min(...valid) : before;
}

function dayMatches(c: Cron, y: number, m: number, d: number): boolean {
  if (!c.months.has(m + 1)) return false;
  const domOk = c.days.has(d);
  const dowOk = c.weekdays.has(new Date(Date.UTC(y, m, d)).getUTCDay());
  return c.dayRestricted && c.weekdayRestricted ? domOk || dowOk : domOk && dowOk;
}

/** The next `count` fire times strictly after `after` (ms), in `zone`. */
export function nextFires(cron: Cron, zone: string, after: number, count = 5): number[] {
  if (!isZone(zone)) throw new CronError(`unknown time zone "${zone}"`);
  const out: number[] = [];
  const start = new Date(wallAt(after, zone));
  let y = start.getUTCFullYear();
  let m = start.getUTCMonth();
  let d = start.getUTCDate() - 1;
  let last = after;
  for (let i = 0; i < 366 * 29 && out.length < count; i++) {
    const date = new Date(Date.UTC(y, m, d));
    [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
    if (dayMatches(cron, y, m, d)) {
      const times = cron.hours
        .flatMap((h) => cron.minutes.map((mi) => localToInstant(Date.UTC(y, m, d, h, mi), zone)))
        .filter((t) => t > last)
        .sort((a, b) => a - b);
      for (const t of times) {
        if (out.length >= count) break;
        if (!out.includes(t)) out.push(t);
      }
      if (out.length) last = out[out.length - 1]!;
    }
    d += 1;
  }
  return out;
}

// --- plain language ---------------------------------------------------------------------------

function list(words: string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A run of consecutive values as "a through b", else a list. */
function span(values: number[], name: (v: number) => string): string {
  const consecutive = values.length > 2 && values.every((v, i) => i === 0 || v === values[i - 1]! + 1);
  return consecutive ? `${name(values[0]!)} through ${name(values[values.length - 1]!)}` : list(values.map(name));
}

function stepOf(text: string): number | null {
  const m = /^\*\/(\d+)$/.exec(text);
  return m ? Number(m[1]) : null;
}

/** "At 09:00, Monday through Friday": what the expression means, in words. */
export function describeCron(c: Cron): string {
  const [minute, hour, dom, month, dow] = c.fields as [string, string, string, string, string];
  let time: string;
  if (minute === "*" && hour === "*") time = "Every minute";
  else if (stepOf(minute) && hour === "*") time = `Every ${stepOf(minute)} minutes`;
  else if (hour === "*") time = `At minute ${list(c.minutes.map(String))} past every hour`;
  else if (stepOf(hour) && c.minutes.length === 1) time = `At minute ${c.minutes[0]} past every ${stepOf(hour)} hours`;
  else if (minute === "*") time = `Every minute during hour ${list(c.hours.map(String))}`;
  else if (c.hours.length * c.minutes.length <= 8)
    time = `At ${list(c.hours.flatMap((h) => c.minutes.map((m) => `${pad(h)}:${pad(m)}`)))}`;
  else time = `At minute ${list(c.minutes.map(String))} past hour ${list(c.hours.map(String))}`;

  const sortedDays = [...c.weekdays].sort((a, b) => a - b);
  const weekdays = span(sortedDays, (d) => DAY_NAMES[d]!);
  const days = `on day ${list([...c.days].sort((a, b) => a - b).map(String))} of the month`;
  let day = "";
  if (c.dayRestricted && c.weekdayRestricted) day = `${days} and on every ${weekdays}`;
  else if (c.dayRestricted) day = days;
  else if (c.weekdayRestricted) day = sortedDays.length === 1 ? `every ${weekdays}` : weekdays;
  else if (hour !== "*" && !stepOf(hour)) day = "every day";
  void dom;
  void dow;
  const months = month === "*" ? "" : `in ${span([...c.months].sort((a, b) => a - b), (m) => MONTH_NAMES[m - 1]!)}`;
  return [time, day, months].filter(Boolean).join(", ");
}

/** Reading and next fire times, or the reason the expression is refused. */
export function readCron(expression: string, zone: string, now: number, count = 5): { text: string; next: number[] } | { error: string } {
  try {
    const c = parseCron(expression);
    return { text: describeCron(c), next: nextFires(c, zone || "UTC", now, count) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** A fire time as the zone's local date and time ("Mon 2 Mar 2026, 09:00"). */
export function formatInZone(ms: number, zone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: zone || "UTC",
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).format(new Date(ms));
}
