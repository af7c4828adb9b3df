import { describe, expect, it } from "vitest";
import { Pair, Session, SessionMessage, Shared } from "./session";

function jwt(claims: object): string {
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${b64({ alg: "HS256" })}.${b64(claims)}.sig`;
}

/**
 * A browser with several tabs: one fake server that rotates refresh tokens and revokes the family
 * when a rotated one comes back (as server/auth/tokens.py does), one ordered store (IndexedDB:
 * a completed write is seen by any later read), per-tab copies of localStorage that see another
 * tab's write only when `deliverCopies()` is called (Chromium updates each renderer's cached copy
 * asynchronously, unordered with the lock: here, arbitrarily late), a lock that serialises (as Web
 * Locks do), a channel delivering asynchronously to the other tabs only (as BroadcastChannel
 * does), one clock and its timers.
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
  let delayAnswer: Promise<void> = Promise.resolve();  // rotated on the server, the answer not back yet
  let loseAnswers = 0;                                 // rotated on the server, the answer lost
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
      const rotated = pair();
      await delayAnswer;
      if (loseAnswers > 0) { loseAnswers--; throw new TypeError("Failed to fetch"); }
      return { status: 200, body: rotated };
    }
    if (path === "/api/token/revoke/") { familyRevoked = true; return { status: 200, body: {} }; }
    return { status: 404, body: null };
  };
  const stored: { value: Pair | null | undefined } = { value: undefined };   // the ordered store
  const disk: { value: Pair | null } = { value: null };                       // localStorage itself
  const copies: { value: Pair | null }[] = [];                                // each tab's cached copy
  let undelivered: { tab: number; value: Pair | null }[] = [];
  const deliverCopies = () => { for (const u of undelivered) copies[u.tab].value = u.value; undelivered = []; };
  const listeners: { tab: number; fn: (m: SessionMessage) => void }[] = [];
  let lockTail: Promise<unknown> = Promise.resolve();
  const tabs: Session[] = [];
  const open = () => {
    const tab = tabs.length;
    copies.push({ value: disk.value });               // a new tab loads localStorage as it is now
    const shared: Shared = {
      lock: <T,>(fn: () => Promise<T>) => { const run = lockTail.then(fn, fn); lockTail = run.catch(() => undefined); return run; },
      publish: (msg) => { for (const l of listeners.filter((x) => x.tab !== tab)) setTimeout(() => l.fn(msg), 0); },
      subscribe: (fn) => { const l = { tab, fn }; listeners.push(l); return () => listeners.splice(listeners.indexOf(l), 1); },
    };
    const s = new Session({
      post, now: () => now,
      setTimer: (fn, ms) => { const id = ++timerId; timers.push({ at: now + ms, fn, id }); return id; },
      clearTimer: (id) => { const i = timers.findIndex((t) => t.id === id); if (i >= 0) timers.splice(i, 1); },
      storage: {
        get: () => copies[tab].value,
        set: (p) => {
          copies[tab].value = disk.value = p;
          copies.forEach((_, other) => { if (other !== tab) undelivered.push({ tab: other, value: p }); });
        },
      },
      store: {
        read: async () => { await Promise.resolve(); return stored.value; },
        write: async (p) => { await Promise.resolve(); stored.value = p; },
      },
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
  return { open, advance, flush, stored, disk, deliverCopies, calls, refreshes, revoked: () => familyRevoked, revokeFamily: () => { familyRevoked = true; },
    slowRefresh: (p: Promise<void>) => { delayRefresh = p; },
    slowAnswer: (p: Promise<void>) => { delayAnswer = p; },
    loseAnswer: () => { loseAnswers++; },
    sent: () => calls.filter((c) => c.path === "/api/token/refresh/").map((c) => c.body.refresh) };
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

  it("a tab whose localStorage copy still holds the old pair when it takes the lock never sends the rotated token", async () => {
    const b = browser();
    const [a, c] = [b.open(), b.open()];
    await a.login("dr", "ok");
    b.deliverCopies();                                // c's copy holds r1, and never hears of later writes
    await b.flush();
    for (let i = 0; i < 5; i++) await b.advance(240_000);  // both tabs due together, five lifetimes
    expect(b.sent()).toEqual(["r1", "r2", "r3", "r4", "r5"]);
    expect(b.revoked()).toBe(false);
    expect(c.user?.sub).toBe("u1");
    expect(await c.token()).toBe(await a.token());
    expect(b.stored.value?.refresh).toBe("r6");
  });

  it("an announcement that arrives before the copy is updated: the tab reads the store and tells its socket", async () => {
    const b = browser();
    const [a, c] = [b.open(), b.open()];
    const seen: string[] = [];
    c.onToken = (t) => seen.push(t);
    await a.login("dr", "ok");
    b.deliverCopies();
    await b.flush();
    const t = await a.refresh();                      // c's copy still says r1
    await b.flush();
    expect(seen.at(-1)).toBe(t);
    expect(await c.token()).toBe(t);
  });

  it("a tab opened with a stale copy follows the store before it refreshes", async () => {
    const b = browser();
    const a = b.open();
    await a.login("dr", "ok");
    const old = b.disk.value;
    await a.refresh();                                // store and localStorage: r2
    b.disk.value = old;                               // the new tab's renderer loads the old value
    const d = b.open();
    expect(d.user?.sub).toBe("u1");                   // renders signed in at once, from the copy
    await d.ready;
    await d.refresh();
    expect(b.sent()).toEqual(["r1", "r2"]);
    expect(b.revoked()).toBe(false);
  });

  it("a browser upgraded from the localStorage-only version keeps its session (the store takes the copy)", async () => {
    const b = browser();
    await b.open().login("dr", "ok");
    b.stored.value = undefined;                       // IndexedDB never written, localStorage has r1
    const d = b.open();
    await d.ready;
    expect((b.stored.value as Pair | null | undefined)?.refresh).toBe("r1");  // (TS narrowed it to undefined)
    await d.refresh();
    expect(b.sent()).toEqual(["r1"]);
  });

  it("signing out while another tab's refresh is on its way: the rotated pair does not sign anyone back in", async () => {
    const b = browser();
    const [a, c] = [b.open(), b.open()];
    await a.login("dr", "ok");
    await b.flush();
    let release!: () => void;
    b.slowAnswer(new Promise<void>((r) => { release = r; }));
    const refreshing = a.refresh();                   // the server rotates r1 -> r2; the answer is late
    await b.flush();
    const leaving = c.logout();                       // c waits for a's refresh, then clears the store
    await b.flush();
    release();
    await refreshing;
    await leaving;
    await b.flush();
    expect(a.user).toBeNull();
    expect(c.user).toBeNull();
    expect(b.stored.value).toBeNull();
    expect(b.revoked()).toBe(true);
    expect(b.open().user).toBeNull();
  });

  it("a refresh whose answer is lost after the server rotated: the retry is taken for reuse and every tab signs out", async () => {
    const b = browser();
    const [a, c] = [b.open(), b.open()];
    await a.login("dr", "ok");
    await b.flush();
    b.loseAnswer();
    await expect(a.refresh()).rejects.toThrow("Failed to fetch");
    expect(a.user?.sub).toBe("u1");                   // kept: a network error is not a refusal
    await expect(a.refresh()).rejects.toMatchObject({ code: "token_reused" });
    await b.flush();
    expect(b.sent()).toEqual(["r1", "r1"]);
    expect([a.user, c.user, b.stored.value]).toEqual([null, null, null]);
  });
});
