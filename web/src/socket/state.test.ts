import { describe, expect, it } from "vitest";
import { backoffDelay, ConnEvent, initial, OFFLINE_AFTER, reduce } from "./state";

const run = (...events: ConnEvent[]) => events.reduce(reduce, initial);

describe("connection state", () => {
  it("starts reconnecting, then is connected", () => {
    expect(initial.status).toBe("reconnecting");
    expect(run({ type: "connect" }).status).toBe("connected");
  });

  it("a dropped connection is reconnecting until it comes back", () => {
    const s = run({ type: "connect" }, { type: "disconnect", reason: "transport close" }, { type: "attempt" });
    expect(s.status).toBe("reconnecting");
    expect(reduce(s, { type: "connect" }).status).toBe("connected");
  });

  it("goes offline after repeated failures and resets on success", () => {
    let s = run({ type: "connect" }, { type: "disconnect", reason: "transport close" });
    for (let i = 0; i < OFFLINE_AFTER - 1; i++) s = reduce(s, { type: "connect_error", active: true });
    expect(s.status).toBe("reconnecting");
    s = reduce(s, { type: "connect_error", active: true });
    expect(s.status).toBe("offline");
    s = reduce(s, { type: "connect" });
    expect(s).toMatchObject({ status: "connected", attempts: 0 });
  });

  it("a refused token is not counted as an outage (the app refreshes and reconnects)", () => {
    let s = run({ type: "connect" }, { type: "disconnect", reason: "transport close" });
    for (let i = 0; i < OFFLINE_AFTER + 2; i++) s = reduce(s, { type: "connect_error", active: false });
    expect(s.status).toBe("reconnecting");
    expect(s.attempts).toBe(0);
  });

  it("the browser's offline event wins over everything, online gives the state back", () => {
    let s = run({ type: "connect" }, { type: "browser", online: false });
    expect(s.status).toBe("offline");
    s = reduce(s, { type: "disconnect", reason: "transport close" });
    expect(s.status).toBe("offline");
    s = reduce(s, { type: "browser", online: true });
    expect(s.status).toBe("reconnecting");
  });

  it("backs off exponentially up to a cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(backoffDelay)).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });
});
