/**
 * The session: access + refresh tokens, refreshed in the background before the access token
 * expires, one refresh in flight at a time (the server rotates refresh tokens and treats a
 * reused one as theft, so two concurrent refreshes would end the session).
 *
 * One session per browser, shared by its tabs (`shared`): the pair lives in shared storage, a
 * refresh runs under a cross-tab lock and first re-reads the storage (if another tab rotated the
 * pair meanwhile, that pair is adopted and the old refresh token is never sent), and every change
 * is announced on a channel: a sign-in, a rotation, a sign-out reach the other tabs at once.
 *
 * Pure of the DOM: the transport (`post`), the clock and the timer are injected, so the
 * refresh schedule is tested with fake time (session.test.ts).
 */

export interface Pair { access: string; refresh: string }
export interface Claims { sub: string; role: Role; exp: number; iat: number }
export type Role = "patient" | "doctor" | "pharmacist" | "admin";

export class AuthError extends Error {
  constructor(public code: string, message: string) { super(message); }
}

export interface SessionDeps {
  /** POST a JSON body without authentication; resolves with {status, body}. */
  post: (path: string, body: unknown, bearer?: string) => Promise<{ status: number; body: any }>;
  now: () => number; // milliseconds
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
  storage?: { get(): Pair | null; set(pair: Pair | null): void };
  /** The other tabs: a lock held around each refresh, and a channel to announce changes. */
  shared?: Shared;
}

export type SessionMessage = { type: "pair" } | { type: "logout" };
export interface Shared {
  lock<T>(fn: () => Promise<T>): Promise<T>;
  publish(msg: SessionMessage): void;
  subscribe(fn: (msg: SessionMessage) => void): () => void;
}

/** Refresh this long before expiry (or at 80 % of a short lifetime). */
export const REFRESH_MARGIN_MS = 60_000;

export function decodeClaims(token: string): Claims {
  const part = token.split(".")[1];
  if (!part) throw new AuthError("token_invalid", "malformed token");
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const json = atob(b64);
  return JSON.parse(decodeURIComponent(escape(json)));
}

export class Session {
  private pair: Pair | null = null;
  private claims: Claims | null = null;
  private timer: unknown = null;
  private inflight: Promise<string> | null = null;
  private listeners = new Set<(claims: Claims | null) => void>();
  /** Called with each new access token (the socket forwards it with `auth:refresh`). */
  onToken: ((access: string) => void) | null = null;

  constructor(private deps: SessionDeps) {
    const stored = deps.storage?.get();
    if (stored) this.adopt(stored, false);
    deps.shared?.subscribe((msg) => this.fromOtherTab(msg));
  }

  /** Another tab signed in, rotated the pair, or signed out: follow it (without announcing again). */
  private fromOtherTab(msg: SessionMessage): void {
    if (msg.type === "logout") { this.end(false); return; }
    const stored = this.deps.storage?.get();
    if (stored && stored.refresh !== this.pair?.refresh) {
      this.adopt(stored, false);
      this.onToken?.(stored.access);
    }
  }

  get user(): Claims | null { return this.claims; }

  subscribe(fn: (claims: Claims | null) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async login(username: string, password: string): Promise<Claims> {
    const { status, body } = await this.deps.post("/api/token/", { username, password });
    if (status !== 200) throw new AuthError(body?.error?.code ?? "error", body?.error?.message ?? `HTTP ${status}`);
    this.adopt(body);
    return this.claims!;
  }

  /** A valid access token, refreshed first if it expires within the margin. */
  async token(): Promise<string> {
    if (!this.pair || !this.claims) throw new AuthError("token_missing", "not signed in");
    return this.expiring() ? this.refresh() : this.pair.access;
  }

  private expiring(): boolean {
    return !this.claims || this.claims.exp * 1000 - this.deps.now() <= Math.min(REFRESH_MARGIN_MS, this.lifetime() * 0.2);
  }

  /** Rotate the pair now; concurrent callers (in this tab, and in other tabs through the lock) share one request. */
  refresh(): Promise<string> {
    if (this.inflight) return this.inflight;
    if (!this.pair) return Promise.reject(new AuthError("token_missing", "not signed in"));
    const from = this.pair.refresh; // the pair this caller found stale
    const run = () => this.rotate(from);
    this.inflight = (this.deps.shared ? this.deps.shared.lock(run) : run()).finally(() => { this.inflight = null; });
    return this.inflight;
  }

  private async rotate(from: string): Promise<string> {
    if (this.deps.shared) {
      // Under the lock: another tab may have rotated (or ended) the pair while this one waited.
      const stored = this.deps.storage?.get() ?? null;
      if (!stored) {
        this.end(false);
        throw new AuthError("token_missing", "signed out in another tab");
      }
      if (stored.refresh !== this.pair?.refresh) {
        this.adopt(stored, false);
        this.onToken?.(stored.access);
      }
      // Rotated by another tab since this caller asked (its message may have come first): done.
      if (stored.refresh !== from && !this.expiring()) return stored.access;
    }
    const pair = this.pair;
    if (!pair) throw new AuthError("token_missing", "not signed in");
    const { status, body } = await this.deps.post("/api/token/refresh/", { refresh: pair.refresh });
    if (status === 200) {
      this.adopt(body);
      this.onToken?.(body.access);
      return body.access as string;
    }
    if (status === 401) {
      this.end(); // revoked, reused or expired: the session is over (in every tab)
      throw new AuthError(body?.error?.code ?? "token_invalid", body?.error?.message ?? "session ended");
    }
    throw new AuthError("unavailable", `refresh failed: HTTP ${status}`);
  }

  /** Log out: revoke the token family on the server, forget it here whatever the answer. */
  async logout(): Promise<void> {
    const pair = this.pair;
    this.end();
    if (pair) {
      try { await this.deps.post("/api/token/revoke/", { refresh: pair.refresh }); } catch { /* offline: tokens expire */ }
    }
  }

  private lifetime(): number {
    return this.claims ? (this.claims.exp - this.claims.iat) * 1000 : 0;
  }

  /** Take a pair; `announce`: it is new (a sign-in or a rotation here), store it and tell the other tabs. */
  private adopt(pair: Pair, announce = true): void {
    this.pair = { access: pair.access, refresh: pair.refresh };
    this.claims = decodeClaims(pair.access);
    if (announce) {
      this.deps.storage?.set(this.pair);
      this.deps.shared?.publish({ type: "pair" });
    }
    this.schedule();
    this.listeners.forEach((fn) => fn(this.claims));
  }

  private end(announce = true): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
    const had = this.pair !== null;
    this.pair = null;
    this.claims = null;
    if (announce) {
      this.deps.storage?.set(null);
      this.deps.shared?.publish({ type: "logout" });
    }
    if (had) this.listeners.forEach((fn) => fn(null));
  }

  private schedule(): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    const margin = Math.min(REFRESH_MARGIN_MS, this.lifetime() * 0.2);
    const due = Math.max(this.claims!.exp * 1000 - margin - this.deps.now(), 1000);
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      // A failed background refresh (network) is retried by the next token() call.
      this.refresh().catch(() => undefined);
    }, due);
  }
}
