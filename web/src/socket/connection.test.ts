import { beforeEach, describe, expect, it, vi } from "vitest";

/** A stand-in for socket.io-client's Socket: records calls, lets the test fire events. */
class FakeSocket {
  static last: FakeSocket;
  opts: any;
  connected = false;
  active = false;
  handlers = new Map<string, ((...a: any[]) => void)[]>();
  anyHandlers: ((e: string, p: any) => void)[] = [];
  log: string[] = [];
  emitted: [string, any][] = [];
  io = { on: (e: string, fn: any) => this.on(`io:${e}`, fn) };
  constructor(opts: any) { this.opts = opts; FakeSocket.last = this; }
  on(e: string, fn: any) { this.log.push(`on:${e}`); this.handlers.set(e, [...(this.handlers.get(e) ?? []), fn]); return this; }
  onAny(fn: any) { this.log.push("onAny"); this.anyHandlers.push(fn); return this; }
  connect() { this.log.push("connect()"); this.active = true; return this; }
  disconnect() { this.active = false; this.connected = false; return this; }
  emit(e: string, p: any) { this.emitted.push([e, p]); return this; }
  timeout() { return this; }
  fire(e: string, ...a: any[]) { (this.handlers.get(e) ?? []).forEach((fn) => fn(...a)); }
  server(e: string, p: any) { this.anyHandlers.forEach((fn) => fn(e, p)); }
  auth(): Promise<any> { return new Promise((resolve) => this.opts.auth(resolve)); }
}

vi.mock("socket.io-client", () => ({ io: (_url: string, opts: any) => new FakeSocket(opts) }));

const { Connection } = await import("./connection");

function fakeSession() {
  let n = 0;
  return {
    refreshed: 0,
    token: vi.fn(async () => `tok${n}`),
    refresh: vi.fn(async function (this: any) { n++; return `tok${n}`; }),
    onToken: null as null | ((t: string) => void),
  };
}

describe("Connection", () => {
  beforeEach(() => { vi.useFakeTimers(); });

  it("attaches the dispatcher and its listeners before connecting", () => {
    const c = new Connection(fakeSession() as any, () => null);
    c.start();
    const log = FakeSocket.last.log;
    expect(log.indexOf("onAny")).toBeLessThan(log.indexOf("connect()"));
    expect(log.indexOf("on:connect")).toBeLessThan(log.indexOf("connect()"));
    expect(FakeSocket.last.opts.autoConnect).toBe(false);
  });

  it("a replayed notification sent during the handshake reaches its handler before connect fires", () => {
    const c = new Connection(fakeSession() as any, () => 4);
    const seen: string[] = [];
    c.on("notification:new", (n) => seen.push(`new ${n.seq}`));
    c.onState((s) => seen.push(s.status));
    c.start();
    FakeSocket.last.server("notification:new", { seq: 5 });
    FakeSocket.last.fire("connect");
    expect(seen).toEqual(["new 5", "connected"]);
  });

  it("auth is asked at every (re)connect: a fresh token and the last seq seen", async () => {
    let seq: number | null = null;
    const session = fakeSession();
    new Connection(session as any, () => seq);
    expect(await FakeSocket.last.auth()).toEqual({ token: "tok0" });
    seq = 17;
    await session.refresh();
    expect(await FakeSocket.last.auth()).toEqual({ token: "tok1", last_seq: 17 });
  });

  it("auth also carries the chat's last seq per conversation, read at each (re)connect", async () => {
    let chat: Record<string, number> = {};
    new Connection(fakeSession() as any, () => 3, "/", () => ({ chat }));
    expect(await FakeSocket.last.auth()).toEqual({ token: "tok0", last_seq: 3, chat: {} });
    chat = { "care:d:p": 12 };
    expect(await FakeSocket.last.auth()).toEqual({ token: "tok0", last_seq: 3, chat: { "care:d:p": 12 } });
  });

  it("after a refused token (socket.active false) it refreshes and connects by itself", async () => {
    const session = fakeSession();
    const c = new Connection(session as any, () => null);
    c.start();
    const s = FakeSocket.last;
    s.active = false; // socket.io stops retrying after a refusal
    s.fire("connect_error", new Error("token_expired"));
    expect(c.state.status).toBe("reconnecting");
    await vi.runAllTimersAsync();
    expect(session.refresh).toHaveBeenCalledTimes(1);
    expect(s.log.filter((l) => l === "connect()")).toHaveLength(2);
  });

  it("a network failure is left to socket.io's backoff (no refresh, no extra connect)", async () => {
    const session = fakeSession();
    const c = new Connection(session as any, () => null);
    c.start();
    const s = FakeSocket.last;
    s.fire("connect_error", new Error("xhr poll error")); // active stays true
    await vi.runAllTimersAsync();
    expect(session.refresh).not.toHaveBeenCalled();
    expect(s.log.filter((l) => l === "connect()")).toHaveLength(1);
    expect(c.state.attempts).toBe(1);
  });

  it("a server-side disconnect (auth:expired) is followed by a fresh token and connect()", async () => {
    const session = fakeSession();
    new Connection(session as any, () => null).start();
    const s = FakeSocket.last;
    s.fire("connect");
    s.active = false;
    s.fire("disconnect", "io server disconnect");
    await vi.runAllTimersAsync();
    expect(session.token).toHaveBeenCalled();
    expect(s.log.filter((l) => l === "connect()")).toHaveLength(2);
  });

  it("re-sends watches after a reconnect and forwards new tokens with auth:refresh", () => {
    const session = fakeSession();
    const c = new Connection(session as any, () => null);
    c.start();
    const s = FakeSocket.last;
    const stop = c.watch("vitals:watch", "vitals:unwatch", { patient_id: "p1" });
    s.fire("connect");
    s.connected = true;
    s.fire("disconnect", "transport close");
    s.fire("connect");
    expect(s.emitted.filter(([e]) => e === "vitals:watch")).toHaveLength(2);
    session.onToken!("tok9");
    expect(s.emitted.at(-1)).toEqual(["auth:refresh", { token: "tok9" }]);
    stop();
    expect(s.emitted.at(-1)).toEqual(["vitals:unwatch", { patient_id: "p1" }]);
    s.fire("connect");
    expect(s.emitted.filter(([e]) => e === "vitals:watch")).toHaveLength(2);
  });
});

describe("Connection watches", () => {
  it("two screens watching one patient share the watch; unwatch goes when the last stops", () => {
    const c = new Connection(fakeSession() as any, () => null);
    c.start();
    const s = FakeSocket.last;
    s.fire("connect");
    s.connected = true;
    const a = c.watch("vitals:watch", "vitals:unwatch", { patient_id: "p1" });
    const b = c.watch("vitals:watch", "vitals:unwatch", { patient_id: "p1" });
    expect(s.emitted.filter(([e]) => e === "vitals:watch")).toHaveLength(1);
    a();
    a(); // a second call of the same stopper counts once
    expect(s.emitted.filter(([e]) => e === "vitals:unwatch")).toHaveLength(0);
    b();
    expect(s.emitted.filter(([e]) => e === "vitals:unwatch")).toHaveLength(1);
  });
});

describe("Connection refusals that are not about the token", () => {
  it("retry later, not in a tight loop", async () => {
    vi.useFakeTimers();
    const session = fakeSession();
    new Connection(session as any, () => null).start();
    const s = FakeSocket.last;
    s.active = false;
    s.fire("connect_error", new Error("not_unit_staff"));
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.log.filter((l) => l === "connect()")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1500);
    expect(s.log.filter((l) => l === "connect()")).toHaveLength(2);
    expect(session.refresh).not.toHaveBeenCalled();
  });
});
