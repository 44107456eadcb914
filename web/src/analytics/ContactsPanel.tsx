import { useState } from "react";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { count, when } from "./format";
import { cancelWaitingAt, useContacts, type VersionPick } from "./queries";
import type { BulkCancelResult, ContactsQuery } from "./types";

/** What a list of contacts is, in words. */
export function contactsTitle(q: ContactsQuery): string {
  switch (q.state) {
    case "waiting":
      return `Waiting at ${q.nodeId} now`;
    case "entered":
      return `Entered ${q.nodeId}`;
    case "failed":
      return `Failed at ${q.nodeId}`;
    case "branch":
      return `Took the ${q.branch ?? ""} branch of ${q.nodeId}`;
  }
}

/**
 * Who is where: the contacts behind one count of the canvas, newest first, a page at a time; for the runs
 * waiting at a node, "Cancel all waiting here" (the figure in the question is the API's count).
 */
export function ContactsPanel(props: {
  workflowId: string;
  version: VersionPick;
  query: ContactsQuery;
  /** The canvas's figure for this count (the API's). */
  total: number | null;
  onBack: () => void;
  onOpenRun: (runId: string) => void;
  onCancelled: () => void;
}) {
  const { workflowId, version, query } = props;
  const contacts = useContacts(workflowId, version, query);
  const [confirm, setConfirm] = useState(false);
  const [done, setDone] = useState<BulkCancelResult | null>(null);
  const items = contacts.data?.pages.flatMap((p) => p.items) ?? [];
  const scope = version === null ? "all versions" : `version ${version}`;

  return (
    <section className="contacts-panel" data-testid="contacts-panel" aria-labelledby="contacts-title">
      <header className="panel-title">
        <button type="button" onClick={props.onBack} data-testid="contacts-back">
          ← Back
        </button>
        <h2 id="contacts-title">{contactsTitle(query)}</h2>
      </header>
      <p className="hint">
        {props.total !== null && (
          <>
            <strong data-testid="contacts-total">{count(props.total)}</strong> in {scope}.{" "}
          </>
        )}
        Newest first.
      </p>
      {query.state === "waiting" && (
        <div className="row-actions">
          <button type="button" className="danger" disabled={!props.total || !!done} onClick={() => setConfirm(true)} data-testid="cancel-waiting">
            Cancel all waiting here
          </button>
        </div>
      )}
      {done && (
        <p className="notice" role="status" data-testid="cancel-waiting-done">
          The workers were asked to cancel {count(done.cancelRequested)} run{done.cancelRequested === 1 ? "" : "s"}
          {done.more ? "; more matched than one request cancels: ask again for the rest" : ""}.
        </p>
      )}
      {contacts.isError && (
        <p className="error" role="alert" data-testid="contacts-error">
          {contacts.error.message}
        </p>
      )}
      {contacts.isPending && <p className="hint">Loading…</p>}
      {contacts.data && items.length === 0 && <p className="hint" data-testid="contacts-empty">Nobody here.</p>}
      {items.length > 0 && (
        <table className="data-table" aria-label="Contacts" data-testid="contacts-list">
          <thead>
            <tr>
              <th>Contact</th>
              <th>Status</th>
              <th>At</th>
              <th className="num">Version</th>
              <th>Started</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.runId} data-testid={`contact-row-${c.runId}`} data-contact={c.contactId}>
                <td>
                  <button type="button" className="link-button" onClick={() => props.onOpenRun(c.runId)} aria-label={`Open the run of ${c.contactId}`}>
                    {c.contactId}
                  </button>
                </td>
                <td>
                  <span className={`run-status run-${c.status}`}>{String(c.status).replace("_", " ")}</span>
                </td>
                <td>{c.currentNodeId ?? "–"}</td>
                <td className="num">v{c.version}</td>
                <td>{when(c.startedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {contacts.hasNextPage && (
        <button type="button" onClick={() => void contacts.fetchNextPage()} disabled={contacts.isFetchingNextPage} data-testid="contacts-more">
          {contacts.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
      {confirm && (
        <ConfirmDialog
          title={`Cancel ${count(props.total ?? 0)} waiting run${props.total === 1 ? "" : "s"}?`}
          confirmLabel="Cancel them"
          danger
          testid="cancel-waiting-dialog"
          onClose={() => setConfirm(false)}
          onConfirm={async () => {
            setDone(await cancelWaitingAt(workflowId, query.nodeId, version));
            props.onCancelled();
          }}
        >
          <p>
            Every run waiting at <strong>{query.nodeId}</strong> in {scope} (<strong data-testid="cancel-waiting-count">{count(props.total ?? 0)}</strong> now)
            stops there: nothing after {query.nodeId} is sent to those contacts. Runs that arrive later are not cancelled.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
