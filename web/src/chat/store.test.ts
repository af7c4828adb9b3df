import { describe, expect, it } from "vitest";
import { emptyChat, lastFromOthers, lastSeqs, loadedPage, presence, readReceipt, received, sendFailed, sending, typing } from "./store";

const m = (seq: number, sender = "a", extra: object = {}) => ({ conversation_id: "c", seq, sender_id: sender, text: `m${seq}`, ...extra });

describe("chat store", () => {
  it("keeps messages in seq order and drops a replayed duplicate", () => {
    let s = emptyChat;
    let fresh: boolean;
    [s, fresh] = received(s, m(2)); expect(fresh).toBe(true);
    [s, fresh] = received(s, m(1)); expect(fresh).toBe(true);
    [s, fresh] = received(s, m(2)); expect(fresh).toBe(false);
    expect(s.messages.c.map((x) => x.seq)).toEqual([1, 2]);
  });

  it("merges a history page (newest first) with live messages", () => {
    let s = received(emptyChat, m(3))[0];
    s = loadedPage(s, "c", [m(3), m(2), m(1)]);
    expect(s.messages.c.map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(loadedPage(emptyChat, "d", []).messages.d).toEqual([]);
  });

  it("shows a message being sent, then replaces it by the stored one (ack or live event, once)", () => {
    let s = sending(emptyChat, "c", "k1", "me", "bonjour");
    expect(s.messages.c).toHaveLength(1);
    expect(s.messages.c[0].pending).toBe(true);
    s = received(s, m(5, "me", { client_id: "k1" }))[0];
    s = received(s, m(5, "me", { client_id: "k1" }))[0];
    expect(s.messages.c.map((x) => [x.seq, x.pending])).toEqual([[5, false]]);
    s = sendFailed(sending(s, "c", "k2", "me", "x"), "c", "k2");
    expect(s.messages.c[1]).toMatchObject({ failed: true, pending: false, seq: null });
  });

  it("sends the highest stored seq per loaded conversation for the replay", () => {
    let s = loadedPage(emptyChat, "c", [m(1), m(4)]);
    s = loadedPage(s, "d", []);
    s = sending(s, "c", "k", "me", "x");
    expect(lastSeqs(s)).toEqual({ c: 4, d: 0 });
  });

  it("read receipts never go back", () => {
    let s = readReceipt(emptyChat, { conversation_id: "c", user_id: "b", seq: 4 });
    s = readReceipt(s, { conversation_id: "c", user_id: "b", seq: 2 });
    expect(s.read.c.b).toBe(4);
  });

  it("typing clears when that person stops or their message arrives; presence per user", () => {
    let s = typing(emptyChat, { conversation_id: "c", user_id: "b", typing: true });
    expect(s.typing.c).toBe("b");
    s = received(s, m(1, "b"))[0];
    expect(s.typing.c).toBeNull();
    s = typing(s, { conversation_id: "c", user_id: "b", typing: true });
    s = typing(s, { conversation_id: "c", user_id: "b", typing: false });
    expect(s.typing.c).toBeNull();
    s = presence(s, { user_id: "b", online: true });
    expect(s.online.b).toBe(true);
  });

  it("knows the last message from the other party", () => {
    expect(lastFromOthers([m(1, "b"), m(2, "me"), m(3, "b"), m(4, "me")], "me")).toBe(3);
  });
});
