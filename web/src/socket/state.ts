/**
 * The connection indicator's state machine, pure so it is tested without a server.
 *
 * connected: the socket is up. reconnecting: it is down and socket.io retries with backoff.
 * offline: the browser says it has no network, or OFFLINE_AFTER attempts in a row failed
 * (it keeps retrying; the indicator just stops pretending it is about to come back).
 * A refused token (`connect_error` with `active === false`) is not an outage: the app
 * refreshes the token and connects again, so it reads as reconnecting.
 */
export type Status = "connected" | "reconnecting" | "offline";

export interface ConnState { status: Status; attempts: number; browserOnline: boolean; everConnected: boolean }

export type ConnEvent =
  | { type: "connect" }
  | { type: "disconnect"; reason: string }
  | { type: "connect_error"; active: boolean }
  | { type: "attempt" }
  | { type: "browser"; online: boolean };

export const OFFLINE_AFTER = 5;

export const initial: ConnState = { status: "reconnecting", attempts: 0, browserOnline: true, everConnected: false };

function settle(s: ConnState): ConnState {
  if (!s.browserOnline) return { ...s, status: "offline" };
  if (s.status === "connected") return s;
  return { ...s, status: s.attempts >= OFFLINE_AFTER ? "offline" : "reconnecting" };
}

export function reduce(s: ConnState, e: ConnEvent): ConnState {
  switch (e.type) {
    case "connect":
      return settle({ ...s, status: "connected", attempts: 0, everConnected: true });
    case "disconnect":
      return settle({ ...s, status: "reconnecting" });
    case "connect_error":
      // refused token: not counted as a failed attempt, the app reconnects at once with a new one
      return settle({ ...s, status: "reconnecting", attempts: e.active ? s.attempts + 1 : s.attempts });
    case "attempt":
      return settle({ ...s, status: s.status === "connected" ? "reconnecting" : s.status });
    case "browser":
      return settle({ ...s, browserOnline: e.online });
  }
}

/** Backoff used for the socket.io manager (documented here so the test pins it). */
export const BACKOFF = { reconnectionDelay: 500, reconnectionDelayMax: 10_000, randomizationFactor: 0.5 };

/** The delay before attempt n (1-based) without jitter: doubles, capped. */
export function backoffDelay(attempt: number): number {
  return Math.min(BACKOFF.reconnectionDelay * 2 ** (attempt - 1), BACKOFF.reconnectionDelayMax);
}
