import { describe, expect, it } from "vitest";
import { matchRoute } from "./router";

describe("matchRoute", () => {
  it.each([
    ["/", "list"],
    ["/workflows", "list"],
    ["/workflows/", "list"],
    ["/sign-in", "sign-in"],
    ["/workflows/new", "new"],
    ["/builder", "scratch"],
    ["/nowhere", "list"],
  ])("%s shows %s", (path, name) => {
    expect(matchRoute(path).name).toBe(name);
  });

  it("reads a workflow's id and the query", () => {
    const r = matchRoute("/workflows/0b9d2c1e-1111-4222-8333-444455556666", "?template=birthday");
    expect(r).toMatchObject({ name: "editor", params: { id: "0b9d2c1e-1111-4222-8333-444455556666" } });
    expect(matchRoute("/workflows/new", "?template=birthday").query.get("template")).toBe("birthday");
  });

  it("reads the analytics screen of a workflow and its version", () => {
    const r = matchRoute("/workflows/0b9d2c1e-1111-4222-8333-444455556666/analytics/", "?version=2");
    expect(r).toMatchObject({ name: "analytics", params: { id: "0b9d2c1e-1111-4222-8333-444455556666" } });
    expect(r.query.get("version")).toBe("2");
    expect(matchRoute("/workflows/x/analytics/more").name).toBe("list");
  });
});
