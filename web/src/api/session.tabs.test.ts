import { describe, expect, it } from "vitest";
import { Pair, Session, SessionMessage, Shared } from "./session";

function jwt(claims: object): string {
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${b64({ alg: "HS256" })}.${b64(claims)}.sig`;
}

/**
 * A browser with several tabs: one fake server that rotates refresh tokens and revokes the family
 * when a rotated one comes back (as server/auth/tokens.py does), one shared storage, a lock that
 * serialises (as Web Locks do), a channel delivering asynchronously to the other tabs only
 * (as BroadcastChannel does), one clock and its timers.
 */
function browser(ttl = 300) {
  let now = 1_000_000_000_000;
  let n = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let timerId = 0;
  const calls: { path: string; body: any }[] = [];
  const used = new Set<string>();
  let familyRevoked = false;
  let delayRefresh: Promise<void> = Promise.resolve();
  const pair = (): Pair => {
    n++;
    const iat = Math.floor(now / 1000);
    return { access: jwt({ sub: "u1", role: "doctor", iat, exp: iat + ttl, n }), refresh: `r${n}` };
  };
  const post = async (path: string, body: any) => {
    calls.push({ path, body });
    await Promise.resolve();
    if (path === "/api/token/") { familyRevoked = false; return { status: 200, body: pair() }; }
    if (path === "/api/token/refresh/") {
      await delayRefresh;
      if (familyRevoked || used.has(body.refresh)) { familyRevoked = true; return { status: 401, body: { error: { code: "token_reused" } } }; }
      used.add(body.refresh);
      return { status: 200, body: pair() };
    }
    if (path === "/api/token/revoke/") { familyRevoked = true; return { status: 200, body: {} }; }
    return { status: 404, body: null };
  };
  const stored: { value: Pair | null } = { value: null };
  const listeners: { tab: number; fn: (m: SessionMessage) => void }[] = [];
  let lockTail: Promise<unknown> = Promise.resolve();
  const tabs: Session[] = [];
  const open = () => {
    const tab = tabs.length;
    const shared: Shared = {
      lock: <T,>(fn: () => Promise<T>) => { const run = lockTail.then(fn, fn); lockTail = run.catch(() => undefined); return run; },
      publish: (msg) => { for (const l of listeners.filter((x) => x.tab !== tab)) setTimeout(() => l.fn(msg), 0); },
      subscribe: (fn) => { const l = { tab, fn }; listeners.push(l); return () => listeners.splice(listeners.indexOf(l), 1); },
    };
    const s = new Session({
      post, now: () => now,
      setTimer: (fn, ms) => { const id = ++timerId; timers.push({ at: now + ms, fn, id }); return id; },
      clearTimer: (id) => { const i = timers.findIndex((t) => t.id === id); if (i >= 0) timers.splice(i, 1); },
      storage: { get: () => stored.value, set: (p) => { stored.value = p; } },
      shared,
    });
    tabs.push(s);
    return s;
  };
  const flush = async () => { for (let i = 0; i < 10; i++) { await new Promise((r) => setTimeout(r, 0)); } };
  const advance = async (ms: number) => {
    now += ms;
    for (const t of timers.filter((t) => t.at <= now)) { timers.splice(timers.indexOf(t), 1); t.fn(); }
    await flush();
  };
  const refreshes = () => calls.filter((c) => c.path === "/api/token/refresh/").length;
  return { open, advance, flush, stored, calls, refreshes, revoked: () => familyRevoked, revokeFamily: () => { familyRevoked = true; },
    slowRefresh: (p: Promise<void>) => { delayRefresh = p; } };
}

describe("one session shared by the tabs of a browser", () => {
  it("a second tab opened later is signed in already", async () => {
    const b = browser();
    const a = b.open();
    await a.login("dr", "ok");
    const second = b.open();
    expect(second.user?.sub).toBe("u1");
    expect(await second.token()).toBe(await a.token());
  });

  it("two tabs due to refresh at once send one refresh request and end with the same pair", async () => {
    const b = browser();
    const [a, c] = [b.open(), b.open()];
    await a.login("dr", "ok");
    await b.flush();                                  // c adopts the pair from the announcement
    await b.advance(240_000);                         // both tabs' timers fire
    expect(b.refreshes()).toBe(1);
    expect(b.revoked()).toBe(false);
    expect(await a.token()).toBe(await c.token());
    expect(b.stored.value?.refresh).toBe("r2");
    await b.advance(240_000);                         // and again, a lifetime later
    expect(b.refreshes()).toBe(2);
    expect(b.revoked()).toBe(false);
  });

  it("a tab that missed the announcement still never sends the rotated token (the lock re-reads storage)", async () => {
    const b = browser();
    const [a, c] = [b.open(), b.open()];
    await a.login("dr", "ok");
    await b.flush();
    let release!: () => void;
    b.slowRefresh(new Promise<void>((r) => { release = r; }));
    const first = a.refresh();                        // holds the lock while the server answers
    const second = c.refresh();                       // waits for it, holding the old pair r1
    await b.flush();
    release();
    const [x, y] = await Promise.all([first, second]);
    expect(x).toBe(y);
    expect(b.refreshes()).toBe(1);
    expect(b.calls.filter((k) => k.path === "/api/token/refresh/").map((k) => k.body.refresh)).toEqual(["r1"]);
    expect(b.revoked()).toBe(false);
  });

  it("each tab tells its own socket about a token another tab obtained", async () => {
    const b = browser();
    const [a, c] = [b.open(), b.open()];
    const seen: string[] = [];
    c.onToken = (t) => seen.push(t);
    await a.login("dr", "ok");
    await b.flush();
    const t = await a.refresh();
    await b.flush();
    expect(seen.at(-1)).toBe(t);
  });

  it("signing in on one tab signs the others in; signing out on one signs every tab out", async () => {
    const b = browser();
    const [a, c] = [b.open(), b.open()];
    const states: (string | null)[] = [];
    c.subscribe((claims) => states.push(claims ? claims.sub : null));
    await a.login("dr", "ok");
    await b.flush();
    expect(c.user?.sub).toBe("u1");
    await c.logout();
    await b.flush();
    expect(a.user).toBeNull();
    expect(b.stored.value).toBeNull();
    expect(b.revoked()).toBe(true);                   // the family is revoked on the server
    expect(b.calls.filter((k) => k.path === "/api/token/revoke/")).toHaveLength(1);
    await expect(a.token()).rejects.toMatchObject({ code: "token_missing" });
    expect(states).toEqual(["u1", null]);
  });

  it("a session the server ended (refresh refused) on one tab ends on all of them", async () => {
    const b = browser();
    const [a, c] = [b.open(), b.open()];
    await a.login("dr", "ok");
    await b.flush();
    b.revokeFamily();                                  // e.g. signed out on another device
    await expect(a.refresh()).rejects.toMatchObject({ code: "token_reused" });
    await b.flush();
    expect(c.user).toBeNull();
    expect(b.open().user).toBeNull();                  // a tab opened now asks to sign in
  });
});
