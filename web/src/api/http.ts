/**
 * REST calls with the session's bearer token. A 401 `token_expired` triggers one refresh and
 * one retry; every other error becomes an ApiError carrying the server's envelope
 * `{error: {code, message, details}}` so screens can show it (e.g. a 409 race lost).
 */
import { Pair, Session } from "./session";

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

const KEY = "fadjma.session";

export const session = new Session({
  post: rawPost,
  now: () => Date.now(),
  setTimer: (fn, ms) => window.setTimeout(fn, ms),
  clearTimer: (h) => window.clearTimeout(h as number),
  // Per tab (sessionStorage): refresh tokens rotate, and two tabs rotating one shared token
  // would look like a stolen token to the server, which then revokes the session.
  storage: {
    get: () => {
      try { return JSON.parse(sessionStorage.getItem(KEY) ?? "null") as Pair | null; } catch { return null; }
    },
    set: (pair) => (pair ? sessionStorage.setItem(KEY, JSON.stringify(pair)) : sessionStorage.removeItem(KEY)),
  },
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
