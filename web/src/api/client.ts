/**
 * The API client: typed from the API's own OpenAPI document (schema.d.ts, made by `npm run gen:api`),
 * same origin, with the session's bearer token. A 401 calls the handler set by the sign-in screen, which
 * returns there without dropping the editor's state.
 */

import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";

const TOKEN_KEY = "workflows.token";

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}
/** Tell the app a request was refused for want of a valid token. */
export function notifyUnauthorized(): void {
  onUnauthorized();
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401) onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: typeof location === "undefined" ? "http://localhost" : location.origin });
api.use(auth);

export type { paths, components } from "./schema";
