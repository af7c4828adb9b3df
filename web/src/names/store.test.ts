import { describe, expect, it, vi } from "vitest";
import { NameStore } from "./store";

function setup(answer: (ids: string[]) => Record<string, string> | Promise<Record<string, string>>) {
  const calls: string[][] = [];
  const ticks: (() => void)[] = [];
  const store = new NameStore(async (ids) => { calls.push(ids); return answer(ids); }, (fn) => ticks.push(fn));
  const tick = async () => { ticks.splice(0).forEach((fn) => fn()); await new Promise((r) => setTimeout(r, 0)); };
  return { store, calls, tick };
}

describe("name store", () => {
  it("batches the ids wanted in one tick into one request and notifies once", async () => {
    const { store, calls, tick } = setup((ids) => Object.fromEntries(ids.map((i) => [i, `Name ${i}`])));
    const seen = vi.fn();
    store.subscribe(seen);
    store.want(["a", "b"]);
    store.want(["b", "c"]);
    expect(store.label("abcdefghijk")).toBe("abcdefgh");
    await tick();
    expect(calls).toEqual([["a", "b", "c"]]);
    expect(store.get("c")).toBe("Name c");
    expect(seen).toHaveBeenCalledTimes(1);
  });

  it("never asks twice for an id the server would not name, until forget()", async () => {
    const { store, calls, tick } = setup(() => ({ a: "Awa" }));
    store.want(["a", "stranger"]);
    await tick();
    store.want(["a", "stranger"]);
    await tick();
    expect(calls).toEqual([["a", "stranger"]]);
    expect(store.label("stranger-id")).toBe("stranger");
    store.forget();
    store.want(["a", "stranger"]);
    await tick();
    expect(calls).toEqual([["a", "stranger"], ["stranger"]]);
  });

  it("does not ask again while a request is on its way, and retries after a failure", async () => {
    let fail = true;
    const { store, calls, tick } = setup(async (ids) => { if (fail) throw new Error("offline"); return { [ids[0]]: "Bintou" }; });
    store.want(["x"]);
    store.want(["x"]);
    await tick();
    expect(calls).toEqual([["x"]]);
    expect(store.get("x")).toBeUndefined();
    fail = false;
    store.want(["x"]);
    await tick();
    expect(store.get("x")).toBe("Bintou");
  });

  it("splits more than 200 ids into several requests; seeded names need no request", async () => {
    const { store, calls, tick } = setup((ids) => Object.fromEntries(ids.map((i) => [i, i])));
    store.seed({ known: "Dr Fall" });
    store.want(["known", ...Array.from({ length: 250 }, (_, i) => `u${i}`)]);
    await tick();
    expect(calls.map((c) => c.length)).toEqual([200, 50]);
    expect(store.get("known")).toBe("Dr Fall");
  });
});
