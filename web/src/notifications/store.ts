/**
 * The notification centre's state, pure (no React, no socket) so its rules are tested:
 * items keyed by id (a replayed item never appears twice), newest first by `seq`, the highest
 * `seq` seen (sent as `last_seq` on reconnect), the unread count as the server states it, and
 * reads made on another tab or device (`notification:read`) applied here.
 */
export interface Notification {
  id: string;
  seq: number;
  type: string;
  title: { fr: string; en: string };
  body: { fr: string; en: string };
  link?: { type: string; id: string } | null;
  data?: any;
  urgency?: string;
  created_at: string;
  read_at: string | null;
}

export interface NotifState {
  items: Notification[]; // newest first
  unread: number;
  lastSeq: number | null; // null until the first page or item is known
  nextBeforeSeq: number | null; // paging cursor for older items
  synced: boolean;
}

export const empty: NotifState = { items: [], unread: 0, lastSeq: null, nextBeforeSeq: null, synced: false };

function merge(items: Notification[], incoming: Notification[]): Notification[] {
  const byId = new Map(items.map((n) => [n.id, n]));
  for (const n of incoming) {
    const old = byId.get(n.id);
    // a read state already known locally wins over an older unread copy
    byId.set(n.id, old && old.read_at && !n.read_at ? { ...n, read_at: old.read_at } : n);
  }
  return [...byId.values()].sort((a, b) => b.seq - a.seq);
}

function maxSeq(current: number | null, items: Notification[]): number | null {
  return items.reduce<number | null>((m, n) => (m === null || n.seq > m ? n.seq : m), current);
}

/** The first page from GET /api/notifications. */
export function loadedPage(s: NotifState, page: { items: Notification[]; unread: number; next_before_seq: number | null }, first: boolean): NotifState {
  return {
    ...s,
    items: merge(s.items, page.items),
    unread: first ? page.unread : s.unread,
    lastSeq: maxSeq(first ? (s.lastSeq ?? 0) : s.lastSeq, page.items),
    nextBeforeSeq: page.next_before_seq,
  };
}

/** `notification:new` (live or replayed). Returns the state and whether the item was new. */
export function received(s: NotifState, n: Notification): [NotifState, boolean] {
  const isNew = !s.items.some((i) => i.id === n.id);
  return [{ ...s, items: merge(s.items, [n]), lastSeq: maxSeq(s.lastSeq ?? 0, [n]) }, isNew];
}

export function unreadCount(s: NotifState, unread: number): NotifState {
  return { ...s, unread };
}

/** `notification:read` from any device, or our own mark-read answer. */
export function markedRead(s: NotifState, ev: { ids: string[]; all: boolean; read_at: string }): NotifState {
  const ids = new Set(ev.ids);
  const items = s.items.map((n) => (!n.read_at && (ev.all || ids.has(n.id)) ? { ...n, read_at: ev.read_at } : n));
  return { ...s, items, unread: ev.all ? 0 : s.unread };
}

export function synced(s: NotifState, ev: { last_seq: number }): NotifState {
  return { ...s, synced: true, lastSeq: Math.max(s.lastSeq ?? 0, ev.last_seq ?? 0) };
}
