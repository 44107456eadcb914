import { describe, expect, it } from "vitest";
import { waitingIn } from "./queries";

describe("waitingIn", () => {
  it("counts the runs waiting at each node of one version", () => {
    const rows = [
      { version: 2, nodeId: "node-2", count: 3 },
      { version: 1, nodeId: "node-2", count: 7 },
      { version: 2, nodeId: "node-5", count: 1 },
    ];
    expect(waitingIn(rows, 2)).toEqual({ total: 4, byNode: { "node-2": 3, "node-5": 1 } });
    expect(waitingIn(rows, 3)).toEqual({ total: 0, byNode: {} });
  });
});
