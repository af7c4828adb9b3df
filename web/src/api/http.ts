/**
 * REST calls with the session's bearer token. A 401 `token_expired` triggers one refresh and
 * one retry; every other error becomes an ApiError carrying the server's envelope
 * `{error: {code, message, details}}` so screens can show it (e.g. a 409 race lost).
 */
import { Pair, Session, SessionMessage, Shared } from "./session";

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

/**
 * One session per browser: the pair in localStorage (every tab of the origin signs in and out
 * together), refreshes serialised across tabs by a Web Lock (a rotated refresh token is never
 * sent twice, which the server would take for theft), changes announced on a BroadcastChannel.
 * Security trade-off in README "Web app" > Session.
 */
function sharedTabs(): Shared | undefined {
  if (typeof BroadcastChannel === "undefined") return undefined;
  const channel = new BroadcastChannel(KEY);
  const locks = (navigator as any).locks;
  return {
    // Without Web Locks (very old browsers) a refresh runs unlocked: the storage re-read still
    // catches most races, and a lost one ends the session (sign in again), never leaks it.
    lock: (fn) => (locks ? locks.request(KEY + ".refresh", fn) : fn()),
    publish: (msg) => channel.postMessage(msg),
    subscribe: (fn) => {
      const h = (e: MessageEvent) => fn(e.data as SessionMessage);
      channel.addEventListener("message", h);
      return () => channel.removeEventListener("message", h);
    },
  };
}

try { sessionStorage.removeItem(KEY); } catch { /* the per-tab copy of earlier versions: forget it */ }

export const session = new Session({
  post: rawPost,
  now: () => Date.now(),
  setTimer: (fn, ms) => window.setTimeout(fn, ms),
  clearTimer: (h) => window.clearTimeout(h as number),
  storage: {
    get: () => {
      try { return JSON.parse(localStorage.getItem(KEY) ?? "null") as Pair | null; } catch { return null; }
    },
    set: (pair) => (pair ? localStorage.setItem(KEY, JSON.stringify(pair)) : localStorage.removeItem(KEY)),
  },
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
