/**
 * REST calls with the session's bearer token. A 401 `token_expired` triggers one refresh and
 * one retry; every other error becomes an ApiError carrying the server's envelope
 * `{error: {code, message, details}}` so screens can show it (e.g. a 409 race lost).
 */
import { Session } from "./session";
import { KEY, indexedStore, localCopy, sharedTabs } from "./tabs";

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string, public details: any[] = []) {
    super(message);
  }
}

async function rawPost(path: string, body: unknown, bearer?: string) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  });
  let json: any = null;
  try { json = await res.json(); } catch { /* empty body */ }
  return { status: res.status, body: json };
}

try { sessionStorage.removeItem(KEY); } catch { /* the per-tab copy of earlier versions: forget it */ }

/** One session per browser (web/src/api/tabs.ts): its tabs sign in, refresh and sign out together. */
export const session = new Session({
  post: rawPost,
  now: () => Date.now(),
  setTimer: (fn, ms) => window.setTimeout(fn, ms),
  clearTimer: (h) => window.clearTimeout(h as number),
  storage: localCopy,
  store: indexedStore(),
  shared: sharedTabs(),
});

export async function request<T = any>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
  const token = await session.token();
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  let json: any = null;
  try { json = await res.json(); } catch { /* empty body */ }
  if (res.ok) return json as T;
  const err = json?.error ?? {};
  if (res.status === 401 && err.code === "token_expired" && !retried) {
    await session.refresh();
    return request<T>(method, path, body, true);
  }
  throw new ApiError(res.status, err.code ?? "error", err.message ?? `HTTP ${res.status}`, err.details ?? []);
}

export const api = {
  get: <T = any>(path: string) => request<T>("GET", path),
  post: <T = any>(path: string, body: unknown = {}) => request<T>("POST", path, body),
  put: <T = any>(path: string, body: unknown) => request<T>("PUT", path, body),
  patch: <T = any>(path: string, body: unknown) => request<T>("PATCH", path, body),
  del: <T = any>(path: string) => request<T>("DELETE", path),
};

/** Query string from an object, skipping empty values. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return entries.length ? "?" + new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString() : "";
}
