import { describe, expect, it } from "vitest";
import { empty, loadedPage, markedRead, Notification, received, synced, unreadCount } from "./store";

const n = (seq: number, read = false): Notification => ({
  id: `n${seq}`, seq, type: "t", title: { fr: `titre ${seq}`, en: `title ${seq}` }, body: { fr: "", en: "" },
  created_at: new Date(seq * 1000).toISOString(), read_at: read ? "2026-01-01T00:00:00Z" : null,
});

describe("notification store", () => {
  it("the first page gives items newest first, the unread count and last_seq", () => {
    const s = loadedPage(empty, { items: [n(5), n(4, true), n(3)], unread: 2, next_before_seq: 3 }, true);
    expect(s.items.map((i) => i.seq)).toEqual([5, 4, 3]);
    expect(s).toMatchObject({ unread: 2, lastSeq: 5, nextBeforeSeq: 3 });
  });

  it("an empty first inbox still sets last_seq to 0 so the socket replays everything after", () => {
    expect(loadedPage(empty, { items: [], unread: 0, next_before_seq: null }, true).lastSeq).toBe(0);
  });

  it("a replayed item already known is not added twice nor reported new", () => {
    let s = loadedPage(empty, { items: [n(2), n(1)], unread: 2, next_before_seq: null }, true);
    let fresh: boolean;
    [s, fresh] = received(s, n(2));
    expect(fresh).toBe(false);
    [s, fresh] = received(s, n(3));
    expect(fresh).toBe(true);
    [s, fresh] = received(s, n(3));
    expect(fresh).toBe(false);
    expect(s.items.map((i) => i.seq)).toEqual([3, 2, 1]);
    expect(s.lastSeq).toBe(3);
  });

  it("items arriving out of order are kept sorted and last_seq is the highest", () => {
    let s = empty;
    for (const seq of [7, 9, 8]) [s] = received(s, n(seq));
    expect(s.items.map((i) => i.seq)).toEqual([9, 8, 7]);
    expect(s.lastSeq).toBe(9);
  });

  it("older pages append and keep the unread count from the server", () => {
    let s = loadedPage(empty, { items: [n(4), n(3)], unread: 3, next_before_seq: 3 }, true);
    s = loadedPage(s, { items: [n(2), n(1)], unread: 99, next_before_seq: null }, false);
    expect(s.items.map((i) => i.seq)).toEqual([4, 3, 2, 1]);
    expect(s).toMatchObject({ unread: 3, lastSeq: 4, nextBeforeSeq: null });
  });

  it("notification:read from another tab marks the items read; all: true marks every one", () => {
    let s = loadedPage(empty, { items: [n(3), n(2), n(1)], unread: 3, next_before_seq: null }, true);
    s = markedRead(s, { ids: ["n2"], all: false, read_at: "2026-11-28T08:00:00Z" });
    expect(s.items.map((i) => !!i.read_at)).toEqual([false, true, false]);
    s = unreadCount(s, 2);
    expect(s.unread).toBe(2);
    s = markedRead(s, { ids: [], all: true, read_at: "2026-11-28T08:01:00Z" });
    expect(s.items.every((i) => i.read_at)).toBe(true);
    expect(s.unread).toBe(0);
    expect(s.items[1].read_at).toBe("2026-11-28T08:00:00Z"); // the earlier read time is kept
  });

  it("a stale unread copy does not undo a read seen before", () => {
    let s = loadedPage(empty, { items: [n(1)], unread: 1, next_before_seq: null }, true);
    s = markedRead(s, { ids: ["n1"], all: false, read_at: "2026-11-28T08:00:00Z" });
    [s] = received(s, n(1));
    expect(s.items[0].read_at).toBe("2026-11-28T08:00:00Z");
  });

  it("notification:synced moves last_seq forward, never back", () => {
    let [s] = received(empty, n(10));
    s = synced(s, { last_seq: 12 });
    expect(s).toMatchObject({ synced: true, lastSeq: 12 });
    s = synced(s, { last_seq: 4 });
    expect(s.lastSeq).toBe(12);
  });
});
