import { describe, expect, it } from "vitest";
import { Pair, Session } from "./session";

function jwt(claims: object): string {
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${b64({ alg: "HS256" })}.${b64(claims)}.sig`;
}

/** A fake server and clock: tokens live `ttl` seconds; timers fire when the clock passes them. */
function harness(ttl = 300) {
  let now = 1_000_000_000_000;
  let n = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  const calls: { path: string; body: any }[] = [];
  let refreshStatus = 200;
  let revokedRefresh = new Set<string>();
  const pair = (): Pair => {
    n++;
    const iat = Math.floor(now / 1000);
    return { access: jwt({ sub: "u1", role: "patient", iat, exp: iat + ttl, n }), refresh: `r${n}` };
  };
  const stored: { value: Pair | null } = { value: null };
  const session = new Session({
    post: async (path, body: any) => {
      calls.push({ path, body });
      await Promise.resolve();
      if (path === "/api/token/") return body.password === "ok" ? { status: 200, body: pair() } : { status: 401, body: { error: { code: "invalid_credentials" } } };
      if (path === "/api/token/refresh/") {
        if (refreshStatus !== 200) return { status: refreshStatus, body: { error: { code: "token_revoked", message: "no" } } };
        if (revokedRefresh.has(body.refresh)) return { status: 401, body: { error: { code: "token_reused" } } };
        revokedRefresh.add(body.refresh);
        return { status: 200, body: pair() };
      }
      if (path === "/api/token/revoke/") return { status: 200, body: { revoked: true } };
      return { status: 404, body: null };
    },
    now: () => now,
    setTimer: (fn, ms) => { const id = timers.length + 1; timers.push({ at: now + ms, fn, id }); return id; },
    clearTimer: (id) => { const i = timers.findIndex((t) => t.id === id); if (i >= 0) timers.splice(i, 1); },
    storage: { get: () => stored.value, set: (p) => { stored.value = p; } },
  });
  const advance = async (ms: number) => {
    now += ms;
    for (const t of timers.filter((t) => t.at <= now)) { timers.splice(timers.indexOf(t), 1); t.fn(); }
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { session, calls, advance, stored, setRefreshStatus: (s: number) => { refreshStatus = s; }, timers };
}

const refreshes = (calls: { path: string }[]) => calls.filter((c) => c.path === "/api/token/refresh/").length;

describe("Session", () => {
  it("refreshes in the background 60 s before the access token expires, and again after", async () => {
    const h = harness(300);
    await h.session.login("a", "ok");
    await h.advance(239_000);
    expect(refreshes(h.calls)).toBe(0);
    await h.advance(1_000);
    expect(refreshes(h.calls)).toBe(1);
    await h.advance(240_000);
    expect(refreshes(h.calls)).toBe(2);
    expect(h.stored.value?.refresh).toBe("r3");
  });

  it("refreshes at 80 % of a short lifetime", async () => {
    const h = harness(30);
    await h.session.login("a", "ok");
    await h.advance(23_000);
    expect(refreshes(h.calls)).toBe(0);
    await h.advance(1_000);
    expect(refreshes(h.calls)).toBe(1);
  });

  it("shares one refresh between concurrent callers (a rotated token is never sent twice)", async () => {
    const h = harness();
    await h.session.login("a", "ok");
    const [a, b, c] = await Promise.all([h.session.refresh(), h.session.refresh(), h.session.refresh()]);
    expect(refreshes(h.calls)).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
  });

  it("token() returns the current token while fresh and refreshes it when close to expiry", async () => {
    const h = harness();
    await h.session.login("a", "ok");
    const first = await h.session.token();
    expect(await h.session.token()).toBe(first);
    h.timers.splice(0); // no background timer: token() must notice by itself
    await h.advance(250_000);
    const second = await h.session.token();
    expect(second).not.toBe(first);
    expect(refreshes(h.calls)).toBe(1);
  });

  it("tells the socket about each new token", async () => {
    const h = harness();
    const seen: string[] = [];
    h.session.onToken = (t) => seen.push(t);
    await h.session.login("a", "ok");
    const t = await h.session.refresh();
    expect(seen).toEqual([t]);
  });

  it("ends the session when the server refuses the refresh token", async () => {
    const h = harness();
    const states: (string | null)[] = [];
    h.session.subscribe((c) => states.push(c ? c.sub : null));
    await h.session.login("a", "ok");
    h.setRefreshStatus(401);
    await expect(h.session.refresh()).rejects.toMatchObject({ code: "token_revoked" });
    expect(h.session.user).toBeNull();
    expect(h.stored.value).toBeNull();
    expect(states).toEqual(["u1", null]);
  });

  it("keeps the session when the refresh fails for a network reason", async () => {
    const h = harness();
    await h.session.login("a", "ok");
    h.setRefreshStatus(503);
    await expect(h.session.refresh()).rejects.toMatchObject({ code: "unavailable" });
    expect(h.session.user?.sub).toBe("u1");
  });

  it("logs out by revoking the family with the refresh token, and forgets it", async () => {
    const h = harness();
    await h.session.login("a", "ok");
    await h.session.logout();
    expect(h.calls.at(-1)).toEqual({ path: "/api/token/revoke/", body: { refresh: "r1" } });
    expect(h.session.user).toBeNull();
    await expect(h.session.token()).rejects.toMatchObject({ code: "token_missing" });
    expect(h.timers).toHaveLength(0);
  });

  it("rejects bad credentials with the server's code", async () => {
    const h = harness();
    await expect(h.session.login("a", "bad")).rejects.toMatchObject({ code: "invalid_credentials" });
    expect(h.session.user).toBeNull();
  });
});
