/**
 * Chat between people, client state (pure): messages per conversation kept in `seq` order with
 * duplicates dropped (delivery is at least once: a replay on reconnect can repeat a live one),
 * a message being sent shown at once and replaced by the stored one (same `client_id`), read
 * receipts that never go back, typing and presence. `lastSeqs()` is what the socket's `auth`
 * sends on every (re)connect so the server replays what was missed.
 */

export interface Msg {
  id?: string; conversation_id: string; seq: number | null; sender_id: string; text: string;
  client_id?: string | null; created_at?: string; pending?: boolean; failed?: boolean;
}

export interface ChatState {
  messages: Record<string, Msg[]>;                 // per conversation, stored ones by seq, then pending ones
  read: Record<string, Record<string, number>>;     // conversation -> user -> highest seq read
  typing: Record<string, string | null>;            // conversation -> who is typing
  online: Record<string, boolean>;                  // user -> online
}

export const emptyChat: ChatState = { messages: {}, read: {}, typing: {}, online: {} };

function sortStored(list: Msg[]): Msg[] {
  const stored = list.filter((m) => m.seq !== null).sort((a, b) => (a.seq as number) - (b.seq as number));
  return [...stored, ...list.filter((m) => m.seq === null)];
}

/** A stored message (live, replayed or just acknowledged). Returns the state and whether it was new. */
export function received(s: ChatState, m: Msg): [ChatState, boolean] {
  const list = s.messages[m.conversation_id] ?? [];
  if (list.some((x) => x.seq === m.seq)) {
    // Already shown; still drop a pending twin of it (ack and live event both arrive).
    const rest = list.filter((x) => !(x.seq === null && m.client_id && x.client_id === m.client_id));
    return rest.length === list.length ? [s, false] : [{ ...s, messages: { ...s.messages, [m.conversation_id]: rest } }, false];
  }
  const rest = list.filter((x) => !(x.seq === null && m.client_id && x.client_id === m.client_id));
  const next = sortStored([...rest, { ...m, pending: false }]);
  const typing = s.typing[m.conversation_id] === m.sender_id ? { ...s.typing, [m.conversation_id]: null } : s.typing;
  return [{ ...s, messages: { ...s.messages, [m.conversation_id]: next }, typing }, true];
}

/** A page from the history API (any order): merged without duplicates. */
export function loadedPage(s: ChatState, conversationId: string, items: Msg[]): ChatState {
  let out = s.messages[conversationId] ? s : { ...s, messages: { ...s.messages, [conversationId]: [] } };
  for (const m of items) out = received(out, m)[0];
  return out;
}

/** A message being sent: shown at once, marked pending until the server stores it. */
export function sending(s: ChatState, conversationId: string, clientId: string, senderId: string, text: string): ChatState {
  const list = s.messages[conversationId] ?? [];
  return { ...s, messages: { ...s.messages, [conversationId]: [...list, { conversation_id: conversationId, seq: null, sender_id: senderId, text, client_id: clientId, pending: true }] } };
}

export function sendFailed(s: ChatState, conversationId: string, clientId: string): ChatState {
  const list = (s.messages[conversationId] ?? []).map((m) => (m.seq === null && m.client_id === clientId ? { ...m, pending: false, failed: true } : m));
  return { ...s, messages: { ...s.messages, [conversationId]: list } };
}

export function readReceipt(s: ChatState, r: { conversation_id: string; user_id: string; seq: number }): ChatState {
  const conv = s.read[r.conversation_id] ?? {};
  if ((conv[r.user_id] ?? 0) >= r.seq) return s;
  return { ...s, read: { ...s.read, [r.conversation_id]: { ...conv, [r.user_id]: r.seq } } };
}

export function setReads(s: ChatState, conversationId: string, read: Record<string, number>): ChatState {
  let out = s;
  for (const [user_id, seq] of Object.entries(read)) out = readReceipt(out, { conversation_id: conversationId, user_id, seq });
  return out;
}

export function typing(s: ChatState, p: { conversation_id: string; user_id: string; typing: boolean }): ChatState {
  const who = p.typing ? p.user_id : s.typing[p.conversation_id] === p.user_id ? null : s.typing[p.conversation_id] ?? null;
  return { ...s, typing: { ...s.typing, [p.conversation_id]: who } };
}

export function presence(s: ChatState, p: { user_id: string; online: boolean }): ChatState {
  return s.online[p.user_id] === p.online ? s : { ...s, online: { ...s.online, [p.user_id]: p.online } };
}

/** The highest stored seq of every conversation loaded: the socket's `auth.chat`. */
export function lastSeqs(s: ChatState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, list] of Object.entries(s.messages)) {
    const seqs = list.map((m) => m.seq).filter((x): x is number => x !== null);
    out[id] = seqs.length ? Math.max(...seqs) : 0;
  }
  return out;
}

/** The highest seq of a message from someone else (what "read" acknowledges). */
export function lastFromOthers(list: Msg[], me: string): number {
  return list.reduce((mx, m) => (m.sender_id !== me && m.seq !== null && m.seq > mx ? m.seq : mx), 0);
}
