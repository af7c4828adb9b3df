/**
 * One Socket.IO connection per tab.
 *
 * - `auth` is a function: every (re)connect asks the session for a fresh access token and
 *   sends the highest notification `seq` seen, so the server replays what was missed.
 * - Every server event goes through one `onAny` dispatcher attached BEFORE `connect()`: the
 *   server replays missed notifications inside the handshake, before the client's `connect`
 *   event fires, and a listener attached later would miss them.
 * - A refused token (`connect_error` while `socket.active === false`) or a server-side
 *   disconnect (`auth:expired`) stops socket.io's own retries: refresh, then `connect()`.
 * - Watches (`vitals:watch`, `unit:watch`) are re-sent after each reconnect.
 * - `extraAuth()` adds to `auth` on every (re)connect (the chat's last seq per conversation).
 */
import { io, Socket } from "socket.io-client";
import { Session } from "../api/session";
import { BACKOFF, ConnState, initial, reduce, ConnEvent } from "./state";

type Handler = (payload: any) => void;

const RETRY_LATER_MS = 2000;

export interface Ack<T = any> { ok: boolean; data?: T; error?: { code: string; message: string } }

export class Connection {
  readonly socket: Socket;
  state: ConnState = initial;
  private handlers = new Map<string, Set<Handler>>();
  private stateListeners = new Set<(s: ConnState) => void>();
  private watches = new Map<string, { event: string; payload: any; count: number }>();
  private stopped = false;

  constructor(private session: Session, private lastSeq: () => number | null, url = "/",
    private extraAuth: () => Record<string, unknown> = () => ({})) {
    this.socket = io(url, {
      autoConnect: false,
      transports: ["websocket", "polling"],
      ...BACKOFF,
      auth: (cb) => {
        this.session.token().then(
          (token) => {
            const seq = this.lastSeq();
            cb({ ...this.extraAuth(), token, ...(seq === null ? {} : { last_seq: seq }) });
          },
          () => cb({}), // signed out: the server refuses with token_missing
        );
      },
    });
    const s = this.socket;
    s.onAny((event: string, payload: any) => this.dispatch(event, payload));
    s.on("connect", () => {
      this.update({ type: "connect" });
      for (const { event, payload } of this.watches.values()) s.emit(event, payload, () => undefined);
    });
    s.on("disconnect", (reason) => {
      this.update({ type: "disconnect", reason });
      // "io server disconnect" (e.g. auth:expired) is not retried by socket.io itself.
      if (!this.stopped && !s.active) this.reconnectWithFreshToken();
    });
    s.on("connect_error", (err: any) => {
      this.update({ type: "connect_error", active: s.active });
      if (!s.active && !this.stopped) this.reconnectWithFreshToken(err?.message);
    });
    s.io.on("reconnect_attempt", () => this.update({ type: "attempt" }));
    session.onToken = (token) => {
      if (s.connected) s.emit("auth:refresh", { token }, () => undefined);
    };
    if (typeof window !== "undefined") {
      window.addEventListener("online", () => this.update({ type: "browser", online: true }));
      window.addEventListener("offline", () => this.update({ type: "browser", online: false }));
    }
  }

  start(): void {
    this.stopped = false;
    this.socket.connect();
  }

  stop(): void {
    this.stopped = true;
    this.socket.disconnect();
  }

  private reconnectWithFreshToken(code?: string) {
    // A refused token: refresh and retry at once. Another refusal (e.g. a connect step said
    // no) or a server-side disconnect: retry later, never in a tight loop.
    const tokenRefused = !!code && code.startsWith("token_");
    const refresh = tokenRefused ? this.session.refresh() : this.session.token();
    refresh.then(
      () => { if (!this.stopped) setTimeout(() => this.socket.connect(), tokenRefused ? 200 : RETRY_LATER_MS); },
      () => undefined, // the session ended: the app shows the login screen
    );
  }

  private update(e: ConnEvent) {
    this.state = reduce(this.state, e);
    this.stateListeners.forEach((fn) => fn(this.state));
  }

  onState(fn: (s: ConnState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  on(event: string, fn: Handler): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  private dispatch(event: string, payload: any) {
    this.handlers.get(event)?.forEach((fn) => {
      try { fn(payload); } catch (e) { console.error(`handler for ${event} failed`, e); }
    });
  }

  emit<T = any>(event: string, payload: any, timeoutMs = 10_000): Promise<Ack<T>> {
    return new Promise((resolve) => {
      this.socket.timeout(timeoutMs).emit(event, payload, (err: any, ack: Ack<T>) => {
        resolve(err ? { ok: false, error: { code: "timeout", message: "no answer" } } : ack);
      });
    });
  }

  /**
   * Send `event` now (if connected) and after every reconnect until the returned function is
   * called. Counted: two screens watching the same patient share one watch, and the unwatch
   * is sent when the last of them stops.
   */
  watch(event: string, unwatchEvent: string, payload: any): () => void {
    const key = `${event}:${JSON.stringify(payload)}`;
    const current = this.watches.get(key);
    if (current) current.count++;
    else {
      this.watches.set(key, { event, payload, count: 1 });
      if (this.socket.connected) this.socket.emit(event, payload, () => undefined);
    }
    let done = false;
    return () => {
      const w = this.watches.get(key);
      if (done || !w) return;
      done = true;
      if (--w.count > 0) return;
      this.watches.delete(key);
      if (this.socket.connected) this.socket.emit(unwatchEvent, payload, () => undefined);
    };
  }
}
