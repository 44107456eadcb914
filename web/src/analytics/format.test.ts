import { describe, expect, it } from "vitest";
import { percentPoints, bucketCount, bucketLabel, conversionInWords, count, duration, edgeWidth, interval, pValue, percent, rangeOf, verdict, waitingInWords } from "./format";

describe("percentages and intervals in words", () => {
  it("spells rates with one decimal", () => {
    expect(percent(0.1)).toBe("10.0%");
    expect(percent(0.15234)).toBe("15.2%");
    expect(percent(null)).toBe("–");
    expect(percent(Number.NaN)).toBe("–");
    expect(interval(0.082, 0.12)).toBe("8.2% to 12.0%");
    expect(count(12345)).toBe("12,345");
    expect(percentPoints(12.5)).toBe("12.5%");
    expect(percentPoints(100)).toBe("100.0%");
  });

  it("spells a variant's conversion with its 95% interval", () => {
    expect(conversionInWords({ converted: 100, entered: 1000, conversionRate: 0.1, ciLow: 0.082, ciHigh: 0.12 })).toBe(
      "100 of 1,000 converted (10.0%); the true rate is between 8.2% and 12.0% with 95% confidence.",
    );
    expect(conversionInWords({ converted: 0, entered: 0, conversionRate: 0, ciLow: 0, ciHigh: 0 })).toBe("No run entered this variant yet.");
  });

  it("spells p-values", () => {
    expect(pValue(0.0004)).toBe("p = 0.0004");
    expect(pValue(0.00001)).toBe("p < 0.0001");
    expect(pValue(0.2456)).toBe("p = 0.246");
    expect(pValue(null)).toBeNull();
  });
});

describe("the split's verdict", () => {
  const variants = [
    { variantId: "a", weight: 50, entered: 1000, converted: 100, conversionRate: 0.1, ciLow: 0.08, ciHigh: 0.12 },
    { variantId: "b", weight: 50, entered: 1000, converted: 150, conversionRate: 0.15, ciLow: 0.13, ciHigh: 0.17 },
  ];
  const c = { baselineId: "a", bestId: "b", pValue: 0.0004, significant: true, winner: "b", summary: "" };

  it("names the API's winner", () => {
    expect(verdict({ minSample: 100, variants }, c)).toEqual({ label: "Winner: b", tone: "winner", reason: "" });
  });

  it("says why there is no winner yet", () => {
    expect(verdict({ minSample: 100, variants }, { ...c, significant: false, winner: null }).reason).toBe("The difference is not significant at 95% yet.");
    expect(verdict({ minSample: 2000, variants }, { ...c, winner: null }).reason).toBe("The difference is significant, but a variant has fewer than 2,000 runs.");
    expect(verdict({ minSample: 100, variants }, null)).toEqual({ label: "No winner yet", tone: "pending", reason: "Not enough runs to compare the variants yet." });
  });
});

describe("edge thickness", () => {
  it("scales with the square root of the share of the busiest edge", () => {
    expect(edgeWidth(0, 100)).toBe(1.5);
    expect(edgeWidth(100, 100)).toBe(12);
    expect(edgeWidth(25, 100)).toBe(6.8);
    expect(edgeWidth(5, 0)).toBe(1.5);
    expect(edgeWidth(200, 100)).toBe(12);
  });

  it("never gets thinner as traffic grows", () => {
    let last = 0;
    for (let runs = 0; runs <= 1000; runs += 50) {
      const w = edgeWidth(runs, 1000);
      expect(w).toBeGreaterThanOrEqual(last);
      last = w;
    }
  });
});

describe("times", () => {
  it("labels buckets in the workflow's zone", () => {
    expect(bucketLabel("2026-11-27T23:00:00+00:00", "day", "Europe/Paris")).toBe("28 Nov");
    expect(bucketLabel("2026-11-28T13:00:00+00:00", "hour", "Europe/Paris")).toBe("28 Nov, 14:00");
  });

  it("spells durations", () => {
    expect(duration("2026-01-01T00:00:00Z", "2026-01-01T00:00:03Z")).toBe("3 s");
    expect(duration("2026-01-01T00:00:00Z", "2026-01-01T02:05:00Z")).toBe("2 h 5 min");
    expect(duration("2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z")).toBe("2 d");
    expect(duration(null, "2026-01-01T00:00:00Z")).toBe("");
  });

  it("makes ranges that end after now, and counts their buckets", () => {
    const r = rangeOf("7d", new Date("2026-11-28T09:30:00Z"));
    expect(r).toEqual({ from: "2026-11-21T10:00:00.000Z", to: "2026-11-28T10:00:00.000Z" });
    expect(bucketCount(r.from, r.to, "day")).toBe(7);
    expect(bucketCount(r.from, r.to, "hour")).toBe(168);
  });

  it("says what a run waits for", () => {
    expect(waitingInWords({ kind: "event", nodeId: "w", eventType: "order.placed", until: null })).toBe("Waits at w for the event order.placed.");
    expect(waitingInWords({ kind: "action", nodeId: "hook", until: null })).toBe("Waits at hook for its HTTP call to answer.");
  });
});
