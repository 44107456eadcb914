import { describe, expect, it } from "vitest";
import { describeCron, localToInstant, nextFires, parseCron, readCron } from "./cron";

const iso = (ms: number[]) => ms.map((t) => new Date(t).toISOString());

describe("cron reading", () => {
  it.each([
    ["* * * * *", "Every minute"],
    ["*/15 * * * *", "Every 15 minutes"],
    ["30 * * * *", "At minute 30 past every hour"],
    ["0 9 * * *", "At 09:00, every day"],
    ["0 9 * * 1", "At 09:00, every Monday"],
    ["0 9,17 * * mon-fri", "At 09:00 and 17:00, Monday through Friday"],
    ["0 8 1 * *", "At 08:00, on day 1 of the month"],
    ["0 0 1 jan,jul *", "At 00:00, on day 1 of the month, in January and July"],
    ["0 */6 * * *", "At minute 0 past every 6 hours"],
  ])("%s reads as %s", (expr, text) => {
    expect(describeCron(parseCron(expr))).toBe(text);
  });

  it("refuses what the engine refuses", () => {
    for (const bad of ["* * * *", "60 * * * *", "5-1 * * * *", "*/0 * * * *", "x * * * *"]) {
      expect(readCron(bad, "UTC", 0)).toHaveProperty("error");
    }
  });
});

describe("next fire times", () => {
  const at = Date.parse("2026-03-02T10:00:00Z"); // a Monday

  it("gives the next five in UTC", () => {
    expect(iso(nextFires(parseCron("0 9 * * 1-5"), "UTC", at))).toEqual([
      "2026-03-03T09:00:00.000Z",
      "2026-03-04T09:00:00.000Z",
      "2026-03-05T09:00:00.000Z",
      "2026-03-06T09:00:00.000Z",
      "2026-03-09T09:00:00.000Z",
    ]);
  });

  it("reads the hour in the chosen zone, across a daylight-saving change", () => {
    const fires = iso(nextFires(parseCron("0 9 * * *"), "America/New_York", Date.parse("2026-03-06T00:00:00Z"), 3));
    expect(fires).toEqual(["2026-03-06T14:00:00.000Z", "2026-03-07T14:00:00.000Z", "2026-03-08T13:00:00.000Z"]);
  });

  it("shifts a skipped local time forward by the gap, and fires a repeated one once", () => {
    expect(new Date(localToInstant(Date.UTC(2026, 2, 8, 2, 30), "America/New_York")).toISOString()).toBe("2026-03-08T07:30:00.000Z");
    expect(new Date(localToInstant(Date.UTC(2026, 10, 1, 1, 30), "America/New_York")).toISOString()).toBe("2026-11-01T05:30:00.000Z");
  });

  it("either day field matches when both are restricted, and an impossible date never fires", () => {
    const fires = iso(nextFires(parseCron("0 0 13 * 5"), "UTC", Date.parse("2026-03-01T00:00:00Z"), 3));
    expect(fires).toEqual(["2026-03-06T00:00:00.000Z", "2026-03-13T00:00:00.000Z", "2026-03-20T00:00:00.000Z"]);
    expect(nextFires(parseCron("0 0 30 2 *"), "UTC", 0)).toEqual([]);
  });
});
