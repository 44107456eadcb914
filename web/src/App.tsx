import { lazy, Suspense, useEffect } from "react";
import { getToken, setUnauthorizedHandler } from "./api/client";
import { LeaveDialog, matchRoute, navigate, useLocation } from "./app/router";
import { Builder } from "./components/Builder";
import { SignIn } from "./components/SignIn";
import { WorkflowEditor } from "./components/WorkflowEditor";
import { WorkflowList } from "./components/WorkflowList";

// The analytics screen (and its charting library) is its own chunk, loaded when first opened.
const AnalyticsScreen = lazy(() => import("./analytics/AnalyticsScreen").then((m) => ({ default: m.AnalyticsScreen })));

/**
 * The app's screens by path: `/sign-in`, `/workflows` (the list), `/workflows/new` (a new draft, blank or
 * from a template), `/workflows/{id}` (the editor), `/workflows/{id}/analytics` (its figures, runs and
 * who is where; `?version=N` for one version) and `/builder` (a scratch canvas kept only locally).
 * Without a token every screen but the scratch canvas goes to sign-in, and comes back after.
 */
export function App() {
  const where = useLocation();
  const url = new URL(where, "http://app");
  const route = matchRoute(url.pathname, url.search);

  useEffect(() => {
    // A 401 goes to sign-in; the editor's state stays in its store and its local draft.
    setUnauthorizedHandler(() => {
      // The scratch canvas works signed out: what it asks (event types) is optional there.
      if (location.pathname === "/sign-in" || location.pathname === "/builder") return;
      navigate(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}&expired=1`, { force: true });
    });
  }, []);

  const signedIn = !!getToken();
  useEffect(() => {
    if (!signedIn && route.name !== "sign-in" && route.name !== "scratch") {
      navigate(`/sign-in?next=${encodeURIComponent(where)}`, { replace: true, force: true });
    }
  }, [signedIn, route.name, where]);

  let screen: React.ReactElement | null;
  if (route.name === "sign-in") screen = <SignIn next={route.query.get("next")} expired={route.query.has("expired")} />;
  else if (route.name === "scratch") screen = <Builder />;
  else if (!signedIn) screen = null;
  else if (route.name === "editor") screen = <WorkflowEditor key={route.params.id} workflowId={route.params.id!} />;
  else if (route.name === "analytics") {
    const v = Number(route.query.get("version"));
    screen = (
      <Suspense fallback={<main className="placeholder">Loading…</main>}>
        <AnalyticsScreen key={route.params.id} workflowId={route.params.id!} version={Number.isInteger(v) && v >= 1 ? v : null} />
      </Suspense>
    );
  } else if (route.name === "new")
    screen = <WorkflowEditor key="new" workflowId={null} template={route.query.get("template")} blank={route.query.has("blank")} />;
  else screen = <WorkflowList />;
  return (
    <>
      {screen}
      <LeaveDialog />
    </>
  );
}
