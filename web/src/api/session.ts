/**
 * The session: access + refresh tokens, refreshed in the background before the access token
 * expires, one refresh in flight at a time (the server rotates refresh tokens and treats a
 * reused one as theft, so two concurrent refreshes would end the session).
 *
 * One session per browser, shared by its tabs (`shared`): a refresh runs under a cross-tab lock
 * and first re-reads the pair from the ordered `store` (if another tab rotated it meanwhile, that
 * pair is adopted and the old refresh token is never sent); every change is announced on a
 * channel, and a tab hearing it re-reads the store. Why an ordered store, not localStorage: in
 * Chromium each renderer reads localStorage from its own cached copy, which another tab's write
 * reaches asynchronously, unordered with the lock; under load a tab took the lock right after the
 * other rotated and still read the old pair (8-22 % of lock handoffs between two tabs in a probe,
 * 0 with IndexedDB). Race-free because every write of the store happens under the lock and
 * completes (the transaction committed) before the lock is released, and every read that leads
 * to a refresh starts after the lock is acquired: the browser orders the two.
 * The synchronous `storage` copy only lets a new tab render signed in at once; it never decides
 * which refresh token to send.
 *
 * Pure of the DOM: the transport (`post`), the clock, the timer, the stores and the tabs are
 * injected, so the refresh schedule and the races are tested with fake time (session*.test.ts).
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
  /** A synchronous copy (localStorage) read at start-up; may lag the other tabs' writes. */
  storage?: { get(): Pair | null; set(pair: Pair | null): void };
  /** The pair shared by the tabs, read in order with their writes (IndexedDB); default: `storage`. */
  store?: Store;
  /** The other tabs: a lock held around each refresh, and a channel to announce changes. */
  shared?: Shared;
}

/** `undefined`: never written (a first start, or a browser upgraded from the localStorage-only version). */
export interface Store {
  read(): Promise<Pair | null | undefined>;
  write(pair: Pair | null): Promise<void>;
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
  private leaving = false; // signing out: a pair read from the store meanwhile must not sign this tab back in
  private listeners = new Set<(claims: Claims | null) => void>();
  private store: Store;
  /** Called with each new access token (the socket forwards it with `auth:refresh`). */
  onToken: ((access: string) => void) | null = null;
  /** Settles once the start-up copy has been checked against the ordered store. */
  readonly ready: Promise<void>;

  constructor(private deps: SessionDeps) {
    this.store = deps.store ?? {
      read: async () => deps.storage?.get() ?? null,
      write: async (pair) => deps.storage?.set(pair),
    };
    const copy = deps.storage?.get();
    if (copy) this.adopt(copy);
    deps.shared?.subscribe((msg) => this.fromOtherTab(msg));
    this.ready = deps.store ? this.load(copy ?? null).catch(() => undefined) : Promise.resolve();
  }

  /** Start-up: the ordered store wins over the copy; an empty store takes the copy (upgrade). */
  private async load(copy: Pair | null): Promise<void> {
    if ((await this.store.read()) === undefined && copy) {
      await this.locked(async () => { if ((await this.store.read()) === undefined) await this.store.write(copy); });
    }
    await this.sync();
  }

  /** Follow the ordered store (another tab signed in, rotated or signed out). */
  private async sync(): Promise<void> {
    const stored = await this.store.read();
    if (this.leaving || stored === undefined) return;
    if (stored === null) { this.forget(); return; }
    if (stored.refresh === this.pair?.refresh) return;
    // A read that started before this tab's own rotation may return the pair it replaced: keep the newer.
    if (this.claims && decodeClaims(stored.access).iat < this.claims.iat) return;
    this.adopt(stored);
    this.onToken?.(stored.access);
  }

  /** Another tab signed in, rotated the pair, or signed out: follow it (without announcing again). */
  private fromOtherTab(msg: SessionMessage): void {
    if (msg.type === "logout") { this.forget(); return; }
    this.sync().catch(() => undefined);
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.deps.shared ? this.deps.shared.lock(fn) : fn();
  }

  get user(): Claims | null { return this.claims; }

  subscribe(fn: (claims: Claims | null) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async login(username: string, password: string): Promise<Claims> {
    const { status, body } = await this.deps.post("/api/token/", { username, password });
    if (status !== 200) throw new AuthError(body?.error?.code ?? "error", body?.error?.message ?? `HTTP ${status}`);
    this.leaving = false;
    this.adopt(body);
    await this.locked(() => this.save(body));
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
    this.inflight = this.locked(() => this.rotate(from)).finally(() => { this.inflight = null; });
    return this.inflight;
  }

  private async rotate(from: string): Promise<string> {
    // Under the lock, from the ordered store: another tab may have rotated (or ended) the pair
    // while this one waited, and its write completed before it released the lock.
    const stored = await this.store.read();
    if (stored === null) {
      this.forget();
      throw new AuthError("token_missing", "signed out in another tab");
    }
    if (stored && stored.refresh !== this.pair?.refresh) {
      this.adopt(stored);
      this.onToken?.(stored.access);
    }
    // Rotated by another tab since this caller asked (its message may have come first): done.
    if (stored && stored.refresh !== from && !this.expiring()) return stored.access;
    const pair = this.pair;
    if (!pair) throw new AuthError("token_missing", "not signed in");
    // A lost answer (network error, or a 5xx after the server rotated) leaves `pair` as it was:
    // the next attempt resends it; if the server had rotated it, that is `token_reused` and the
    // session ends in every tab (README "Web app" > Session).
    const { status, body } = await this.deps.post("/api/token/refresh/", { refresh: pair.refresh });
    if (this.leaving) throw new AuthError("token_missing", "signed out"); // this tab's logout waits for the lock
    if (status === 200) {
      this.adopt(body);
      await this.save(body); // committed before the lock is released: the next holder reads it
      this.onToken?.(body.access);
      return body.access as string;
    }
    if (status === 401) {
      this.end(); // revoked, reused or expired: the session is over (in every tab)
      await this.save(null);
      throw new AuthError(body?.error?.code ?? "token_invalid", body?.error?.message ?? "session ended");
    }
    throw new AuthError("unavailable", `refresh failed: HTTP ${status}`);
  }

  /** Log out: forget the pair in every tab, revoke the token family on the server whatever the answer. */
  async logout(): Promise<void> {
    const pair = this.pair;
    this.leaving = true;
    this.end();
    // Under the lock: a refresh running in another tab writes its pair first, then this clears it.
    try { await this.locked(() => this.save(null)); } finally { this.leaving = false; }
    if (pair) {
      try { await this.deps.post("/api/token/revoke/", { refresh: pair.refresh }); } catch { /* offline: tokens expire */ }
    }
  }

  private lifetime(): number {
    return this.claims ? (this.claims.exp - this.claims.iat) * 1000 : 0;
  }

  /** Store a new pair (or the end of the session) for every tab, then tell them; call under the lock. */
  private async save(pair: Pair | null): Promise<void> {
    const value = pair && { access: pair.access, refresh: pair.refresh };
    this.deps.storage?.set(value);
    if (this.deps.store) await this.store.write(value);
    this.deps.shared?.publish(value ? { type: "pair" } : { type: "logout" });
  }

  /** Take a pair in this tab (memory and schedule only; `save` shares it). */
  private adopt(pair: Pair): void {
    this.pair = { access: pair.access, refresh: pair.refresh };
    this.claims = decodeClaims(pair.access);
    this.schedule();
    this.listeners.forEach((fn) => fn(this.claims));
  }

  /** Signed out elsewhere: end here and drop this tab's copy (it may lag the other tab's removal). */
  private forget(): void {
    this.end();
    this.deps.storage?.set(null);
  }

  private end(): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
    const had = this.pair !== null;
    this.pair = null;
    this.claims = null;
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
