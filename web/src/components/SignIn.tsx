import { useState } from "react";
import { setToken } from "../api/client";
import { devSignIn } from "../api/queries";
import { navigate } from "../app/router";

function remembered(what: string): string | null {
  try {
    return localStorage.getItem(`workflows.signIn.${what}`);
  } catch {
    return null;
  }
}

function remember(what: string, value: string): void {
  try {
    localStorage.setItem(`workflows.signIn.${what}`, value);
  } catch {
    // not kept: the form starts empty next time
  }
}

/** Where to go after signing in: an in-app path only. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/sign-in") ? next : "/workflows";
}

/**
 * Sign in: the development sign-in (a tenant; the API gives a token, in development mode only) or a bearer
 * token pasted as is. The token is kept for this browser session.
 */
export function SignIn({ next, expired }: { next: string | null; expired: boolean }) {
  // The last development sign-in is offered again (after a session ends, the same tenant sees its drafts).
  const [tenant, setTenant] = useState(() => remembered("tenant") ?? "tenant-dev");
  const [user, setUser] = useState(() => remembered("user") ?? "marketer@example.com");
  const [token, setTokenText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const done = (t: string) => {
    setToken(t);
    navigate(safeNext(next), { replace: true, force: true });
  };

  return (
    <main className="sign-in" aria-labelledby="sign-in-title">
      <div className="card">
        <h1 id="sign-in-title">Workflows</h1>
        {expired && (
          <p className="notice" role="status" data-testid="sign-in-expired">
            Your session ended. Sign in again: your unsaved changes are kept.
          </p>
        )}
        <form
          data-testid="dev-sign-in"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError(null);
            try {
              const token = await devSignIn(tenant.trim(), user.trim());
              remember("tenant", tenant.trim());
              remember("user", user.trim());
              done(token);
            } catch (err) {
              setError(
                err instanceof Error && "status" in err && (err.status === 404 || err.status === 403)
                  ? "Development sign-in is off on this server: paste a bearer token below."
                  : err instanceof Error
                    ? err.message
                    : String(err),
              );
            } finally {
              setBusy(false);
            }
          }}
        >
          <h2>Development sign-in</h2>
          <label className="field">
            <span>Tenant</span>
            <input data-testid="sign-in-tenant" value={tenant} required onChange={(e) => setTenant(e.target.value)} autoFocus />
          </label>
          <label className="field">
            <span>User</span>
            <input data-testid="sign-in-user" value={user} required onChange={(e) => setUser(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={busy || !tenant.trim() || !user.trim()} data-testid="sign-in-dev-submit">
            Sign in as this tenant
          </button>
        </form>
        <hr />
        <form
          data-testid="token-sign-in"
          onSubmit={(e) => {
            e.preventDefault();
            if (token.trim()) done(token.trim().replace(/^Bearer\s+/i, ""));
          }}
        >
          <h2>Bearer token</h2>
          <label className="field">
            <span>Token</span>
            <textarea data-testid="sign-in-token" rows={3} value={token} onChange={(e) => setTokenText(e.target.value)} />
          </label>
          <button type="submit" disabled={!token.trim()} data-testid="sign-in-token-submit">
            Sign in with this token
          </button>
        </form>
        {error && (
          <p className="error" role="alert" data-testid="sign-in-error">
            {error}
          </p>
        )}
      </div>
    </main>
  );
}
