import { useReactFlow } from "@xyflow/react";
import { useState } from "react";
import { editorStore } from "../store/editor";
import type { Pinned, PinnedProblem } from "../validation/problems";

/** Every validation problem, errors first; choosing one selects the node (or edge) it concerns. */
export function ValidationPanel({ pinned, pending, error }: { pinned: Pinned; pending: boolean; error: Error | null }) {
  const [open, setOpen] = useState(true);
  const flow = useReactFlow();
  const pick = (p: PinnedProblem) => {
    const s = editorStore.getState();
    let nodeId = p.node;
    if (p.edge) {
      editorStore.setState({
        nodes: s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)),
        edges: s.edges.map((e) => ({ ...e, selected: e.id === p.edge })),
      });
      nodeId = s.edges.find((e) => e.id === p.edge)?.source ?? null;
    } else if (nodeId) s.select(nodeId);
    const node = nodeId ? flow.getNode(nodeId) : undefined;
    if (node) {
      const w = node.measured?.width ?? 220;
      const h = node.measured?.height ?? 76;
      void flow.setCenter(node.position.x + w / 2, node.position.y + h / 2, { zoom: Math.max(flow.getZoom(), 0.8), duration: 200 });
    }
  };
  const summary = error
    ? "Validation unavailable"
    : pinned.errors + pinned.warnings === 0
      ? pending
        ? "Checking…"
        : "No problems"
      : `${pinned.errors} error${pinned.errors === 1 ? "" : "s"}, ${pinned.warnings} warning${pinned.warnings === 1 ? "" : "s"}`;
  return (
    <section className={`validation-panel${open ? " open" : ""}`} aria-label="Problems" data-testid="validation-panel">
      <button type="button" className="panel-head" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="validation-toggle">
        <span className={`dot ${pinned.errors ? "error" : pinned.warnings ? "warning" : "ok"}`} />
        Problems: <span data-testid="validation-summary">{summary}</span>
        {pending && summary !== "Checking…" && <span className="hint"> · checking</span>}
      </button>
      {open && (
        <>
          {error && (
            <p className="error" role="alert">
              {error.message}
            </p>
          )}
          <ul className="problem-list">
            {pinned.items.map((p, i) => (
              <li key={`${p.path}-${p.code}-${i}`}>
                <button
                  type="button"
                  className={`problem ${p.severity}`}
                  data-testid={`validation-item-${i}`}
                  data-node={p.node ?? undefined}
                  data-edge={p.edge ?? undefined}
                  data-severity={p.severity}
                  onClick={() => pick(p)}
                >
                  <span className={`severity ${p.severity}`}>{p.severity}</span>
                  <span className="problem-where">{p.node ?? (p.edge ? `edge ${p.edge}` : "workflow")}</span>
                  <span className="problem-message">{p.message}</span>
                  <code className="hint">{p.path}</code>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
