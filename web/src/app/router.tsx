/**
 * The app's router: the browser's history, a few path patterns, and a navigation blocker for unsaved work.
 * Small on purpose: the editor needs one thing a router library only gives with its data routers, a blocker
 * that asks before leaving (in-app links, the back button, and `beforeunload` for closing the tab).
 */

import { useEffect, useSyncExternalStore } from "react";
import { create } from "zustand";

export interface Route {
  name: "sign-in" | "list" | "new" | "editor" | "analytics" | "scratch";
  params: Record<string, string>;
  query: URLSearchParams;
}

/** Which screen a path shows (pure: tested). */
export function matchRoute(pathname: string, search = ""): Route {
  const query = new URLSearchParams(search);
  const path = pathname.replace(/\/+$/, "") || "/";
  if (path === "/sign-in") return { name: "sign-in", params: {}, query };
  if (path === "/workflows/new") return { name: "new", params: {}, query };
  const a = /^\/workflows\/([^/]+)\/analytics$/.exec(path);
  if (a) return { name: "analytics", params: { id: decodeURIComponent(a[1]!) }, query };
  const m = /^\/workflows\/([^/]+)$/.exec(path);
  if (m) return { name: "editor", params: { id: decodeURIComponent(m[1]!) }, query };
  if (path === "/builder") return { name: "scratch", params: {}, query };
  return { name: "list", params: {}, query };
}

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((l) => l());
function subscribe(l: () => void) {
  listeners.add(l);
  addEventListener("popstate", l);
  return () => {
    listeners.delete(l);
    removeEventListener("popstate", l);
  };
}
const snapshot = () => location.pathname + location.search;

export function useLocation(): string {
  return useSyncExternalStore(subscribe, snapshot, () => "/");
}

/** A check that returns a reason to stay (unsaved changes), or null. */
type Blocker = () => string | null;
const blockers = new Set<Blocker>();

interface PendingLeave {
  message: string;
  go: () => void;
}
/** The navigation waiting for the user's answer (shown by <LeaveDialog>). */
export const useLeave = create<{ pending: PendingLeave | null }>(() => ({ pending: null }));

function reason(): string | null {
  for (const b of blockers) {
    const r = b();
    if (r) return r;
  }
  return null;
}

/** Go to an in-app path; asks first when a blocker says there is unsaved work (unless `force`). */
export function navigate(path: string, opts: { replace?: boolean; force?: boolean } = {}): void {
  const go = () => {
    if (opts.replace) history.replaceState(null, "", path);
    else history.pushState(null, "", path);
    notify();
  };
  const why = opts.force ? null : reason();
  if (why) useLeave.setState({ pending: { message: why, go } });
  else go();
}

let current = typeof location === "undefined" ? "/" : snapshot();
if (typeof window !== "undefined") {
  // The back and forward buttons: when blocked, stay (put the path back) and ask.
  addEventListener("popstate", () => {
    const target = snapshot();
    const why = reason();
    if (why && target !== current) {
      history.pushState(null, "", current);
      useLeave.setState({
        pending: {
          message: why,
          go: () => {
            history.pushState(null, "", target);
            current = target;
            notify();
          },
        },
      });
      return;
    }
    current = target;
  });
  listeners.add(() => {
    current = snapshot();
  });
}

/** Ask before leaving while `check` returns a reason: in-app navigation and closing or reloading the tab. */
export function useLeaveGuard(check: Blocker): void {
  useEffect(() => {
    blockers.add(check);
    const onUnload = (e: BeforeUnloadEvent) => {
      if (check()) {
        e.preventDefault();
        e.returnValue = "";
      }
    };
    addEventListener("beforeunload", onUnload);
    return () => {
      blockers.delete(check);
      removeEventListener("beforeunload", onUnload);
    };
  }, [check]);
}

/** The "leave with unsaved changes?" question. */
export function LeaveDialog() {
  const pending = useLeave((s) => s.pending);
  if (!pending) return null;
  const close = () => useLeave.setState({ pending: null });
  return (
    <div className="dialog-backdrop" role="presentation">
      <div className="dialog narrow-dialog" role="alertdialog" aria-modal="true" aria-labelledby="leave-title" data-testid="leave-dialog">
        <h2 id="leave-title">Leave without saving?</h2>
        <p>{pending.message}</p>
        <div className="row-actions end">
          <button type="button" autoFocus onClick={close} data-testid="leave-stay">
            Stay
          </button>
          <button
            type="button"
            className="danger"
            data-testid="leave-confirm"
            onClick={() => {
              close();
              pending.go();
            }}
          >
            Leave
          </button>
        </div>
      </div>
    </div>
  );
}

/** An in-app link (keeps the blocker in the loop). */
export function Link({ to, children, ...rest }: { to: string; children: React.ReactNode } & React.AnchorHTMLAttributes<HTMLAnchorElement>) {
  return (
    <a
      href={to}
      {...rest}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
