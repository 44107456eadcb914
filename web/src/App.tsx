import { useEffect, useState } from "react";
import { Builder } from "./components/Builder";
import { Placeholder } from "./components/Placeholder";

/**
 * The app's routes. Only the builder exists yet; the workflow list, sign-in, versions, simulate and
 * validation screens plug in here (each one a component named for what the user sees).
 */
export const ROUTES: { path: string; title: string; element: () => React.ReactElement }[] = [
  { path: "/", title: "Builder", element: () => <Builder /> },
  { path: "/workflows", title: "Workflows", element: () => <Placeholder title="Workflows" /> },
  { path: "/sign-in", title: "Sign in", element: () => <Placeholder title="Sign in" /> },
];

function usePath(): string {
  const [path, setPath] = useState(() => location.pathname);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  return path;
}

export function navigate(path: string): void {
  history.pushState(null, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function App() {
  const path = usePath();
  const route = ROUTES.find((r) => r.path === path) ?? ROUTES[0]!;
  return route.element();
}
