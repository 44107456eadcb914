import { useMemo, useState } from "react";
import { formatInZone, readCron } from "../../triggers/cron";

/** A cron expression with its plain-language reading and its next five fire times in the chosen zone. */
export function CronField({ value, zone, onChange, label }: { value: string; zone: string; onChange: (v: string) => void; label: string }) {
  const tz = zone || "UTC";
  // "Now" is when the form opened.
  const [now] = useState(() => Date.now());
  const reading = useMemo(() => (value.trim() ? readCron(value, tz, now) : null), [value, tz, now]);
  return (
    <>
      <input aria-label={label} className="code" placeholder="0 9 * * 1" value={value} onChange={(e) => onChange(e.target.value)} data-testid="trigger-cron" />
      {reading && "error" in reading && (
        <p className="hint error" data-testid="cron-error">
          {reading.error}
        </p>
      )}
      {reading && "text" in reading && (
        <div className="cron-reading">
          <p data-testid="cron-text">{reading.text}</p>
          <p className="hint">Next fire times ({tz}):</p>
          <ol className="cron-next" data-testid="cron-next">
            {reading.next.map((t) => (
              <li key={t}>{formatInZone(t, tz)}</li>
            ))}
            {reading.next.length === 0 && <li>Never (no such date)</li>}
          </ol>
        </div>
      )}
    </>
  );
}
