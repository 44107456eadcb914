import { useState } from "react";
import type { Json } from "../../definition/types";

/** JSON edited as text; invalid JSON is shown in place and nothing is written until it parses. */
export function JsonField({ value, onChange, label }: { value: Json | undefined; onChange: (v: Json | undefined) => void; label: string }) {
  const shown = value === undefined ? "" : JSON.stringify(value, null, 2);
  const [error, setError] = useState<string | null>(null);
  return (
    <div>
      <textarea
        key={shown}
        aria-label={label}
        className="code"
        rows={Math.min(12, Math.max(3, shown.split("\n").length))}
        defaultValue={shown}
        onBlur={(e) => {
          const text = e.target.value.trim();
          if (text === "") {
            setError(null);
            onChange(undefined);
            return;
          }
          try {
            const parsed = JSON.parse(text) as Json;
            setError(null);
            onChange(parsed);
          } catch (err) {
            setError(err instanceof Error ? err.message : "invalid JSON");
          }
        }}
      />
      {error && <p className="hint error">Not saved: {error}</p>}
    </div>
  );
}
