import { conversionInWords, count, percent, pValue, verdict } from "./format";
import type { SplitResult } from "./types";

/** One split node's results: per variant, runs in, conversions, the rate with its 95 % interval; the verdict. */
function SplitResults({ split, onPick }: { split: SplitResult; onPick: (nodeId: string) => void }) {
  const v = verdict(split, split.comparison);
  const c = split.comparison;
  const p = pValue(c?.pValue);
  return (
    <section className="split-result" data-testid={`split-${split.nodeId}`} aria-labelledby={`split-${split.nodeId}-title`}>
      <header>
        <h3 id={`split-${split.nodeId}-title`}>
          <button type="button" className="link-button" onClick={() => onPick(split.nodeId)} aria-label={`Show split ${split.nodeId} on the canvas`}>
            {split.nodeId}
          </button>
        </h3>
        <span className={`verdict ${v.tone}`} data-testid={`split-verdict-${split.nodeId}`}>
          {v.label}
        </span>
      </header>
      <p className="hint">
        {split.goalId ? (
          <>
            Conversion: the goal <code>{split.goalId}</code> reached after the split.
          </>
        ) : (
          "Conversion: the run reached a goal after the split."
        )}{" "}
        A winner needs a significant difference and at least {count(split.minSample)} runs per variant.
      </p>
      <table className="data-table split-table" aria-label={`Variants of ${split.nodeId}`}>
        <thead>
          <tr>
            <th>Variant</th>
            <th className="num">Entered</th>
            <th className="num">Converted</th>
            <th className="num">Conversion</th>
            <th>95% interval</th>
          </tr>
        </thead>
        <tbody>
          {split.variants.map((x) => (
            <tr key={x.variantId} className={c?.winner === x.variantId ? "winner" : undefined} data-testid={`variant-${split.nodeId}-${x.variantId}`} title={conversionInWords(x)}>
              <th scope="row">
                {x.variantId}
                <div className="hint">
                  weight {x.weight}
                  {c?.baselineId === x.variantId ? ", baseline" : ""}
                </div>
              </th>
              <td className="num">{count(x.entered)}</td>
              <td className="num">{count(x.converted)}</td>
              <td className="num">{percent(x.conversionRate)}</td>
              <td className="nowrap">
                {percent(x.ciLow)} – {percent(x.ciHigh)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="split-summary" data-testid={`split-summary-${split.nodeId}`}>
        {c?.summary ?? v.reason}
      </p>
      {!c && v.reason && (
        <p className="hint" data-testid={`split-reason-${split.nodeId}`}>
          {v.reason}
        </p>
      )}
      {c && p && <p className="hint">Two-proportion test against the baseline: {p}.</p>}
    </section>
  );
}

export function SplitTable({ splits, onPick }: { splits: SplitResult[]; onPick: (nodeId: string) => void }) {
  if (splits.length === 0) return <p className="hint">This workflow has no split node.</p>;
  return (
    <div className="split-list" data-testid="split-table">
      {splits.map((s) => (
        <SplitResults key={s.nodeId} split={s} onPick={onPick} />
      ))}
    </div>
  );
}
