import { describe, expect, it } from "vitest";
import { definitionToGraph, graphToDefinition } from "../graph/convert";
import { NODE_HEIGHT, NODE_WIDTH } from "../graph/types";
import { draftFromTemplate, TEMPLATES, templateByKey } from ".";

describe("templates gallery", () => {
  it("bundles every template file, not the index, in the index's order", () => {
    expect(TEMPLATES.length).toBeGreaterThanOrEqual(5);
    expect(TEMPLATES.map((t) => t.key)).not.toContain("index");
    expect(TEMPLATES[0]?.key).toBe("onboarding");
    for (const t of TEMPLATES) expect(t.definition.trigger.type).toBeTypeOf("string");
  });

  it("opens a template as a new draft that draws and writes back", () => {
    const t = templateByKey("onboarding")!;
    const draft = draftFromTemplate(t);
    expect(draft.id).toBeUndefined();
    const back = graphToDefinition(definitionToGraph(draft));
    expect(back.nodes?.map((n) => n.id)).toEqual(draft.nodes?.map((n) => n.id));
  });

  it("draws every template's nodes apart from each other (none overlaps another)", () => {
    for (const t of TEMPLATES) {
      const boxes = definitionToGraph(draftFromTemplate(t)).nodes.map((n) => ({ id: n.id, ...n.position }));
      for (const a of boxes)
        for (const b of boxes) {
          if (a.id >= b.id) continue;
          const apart = Math.abs(a.x - b.x) >= NODE_WIDTH || Math.abs(a.y - b.y) >= NODE_HEIGHT;
          expect(apart, `${t.key}: ${a.id} and ${b.id} overlap`).toBe(true);
        }
    }
  });
});
