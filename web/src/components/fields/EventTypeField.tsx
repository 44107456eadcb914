import { useId } from "react";
import { useEventTypes } from "../../api/queries";

/** An event type: the types the API knows are offered (with how often each was seen); any text is accepted. */
export function EventTypeField({ value, onChange, label, testid }: { value: string; onChange: (v: string) => void; label: string; testid?: string }) {
  const types = useEventTypes();
  const listId = useId();
  const items = types.data?.items ?? [];
  return (
    <>
      <input
        aria-label={label}
        list={listId}
        placeholder="contact.created"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testid}
        autoComplete="off"
      />
      <datalist id={listId}>
        {items.map((t) => (
          <option key={t.type} value={t.type}>
            {t.subscribed ? "subscribed" : "seen"}
            {t.count ? ` · ${t.count} seen` : ""}
          </option>
        ))}
      </datalist>
      {types.isError && <p className="hint">Known event types could not be read; type one.</p>}
      {types.data && items.length > 0 && <p className="hint">{items.length} known event types; any other may be typed.</p>}
    </>
  );
}
