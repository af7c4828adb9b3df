/**
 * The browser side of one session per browser (the pure logic is in session.ts): the pair in
 * IndexedDB (the ordered store every refresh decision reads), a localStorage copy (read
 * synchronously so a new tab renders signed in at once), a Web Lock around each refresh and a
 * BroadcastChannel announcing changes. Security trade-off in README "Web app" > Session.
 */
import { Pair, SessionMessage, Shared, Store } from "./session";

export const KEY = "fadjma.session";

/** The start-up copy. Chromium delivers another tab's write to this tab's copy asynchronously. */
export const localCopy = {
  get: (): Pair | null => {
    try { return JSON.parse(localStorage.getItem(KEY) ?? "null") as Pair | null; } catch { return null; }
  },
  set: (pair: Pair | null): void => {
    try { pair ? localStorage.setItem(KEY, JSON.stringify(pair)) : localStorage.removeItem(KEY); } catch { /* full or disabled */ }
  },
};

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * The pair in IndexedDB, one record `{pair}` (`pair: null` once signed out). A transaction runs
 * in the browser's storage backend, so a write whose transaction completed in one tab is seen by
 * a transaction another tab starts later, unlike localStorage's per-renderer copies. Without
 * IndexedDB (some private modes) it falls back to the copy: the old, racy behaviour, never worse.
 */
export function indexedStore(): Store | undefined {
  if (typeof indexedDB === "undefined") return undefined;
  let db: Promise<IDBDatabase | null> | null = null;
  const open = () => (db ??= new Promise<IDBDatabase | null>((resolve) => {
    try {
      const req = indexedDB.open("fadjma", 1);
      req.onupgradeneeded = () => req.result.createObjectStore("session");
      req.onsuccess = () => { const d = req.result; d.onversionchange = () => d.close(); resolve(d); };
      req.onerror = () => resolve(null);
      req.onblocked = () => resolve(null);
    } catch { resolve(null); }
  }));
  return {
    read: async () => {
      const d = await open();
      if (!d) return localCopy.get();
      const rec = await request(d.transaction("session", "readonly").objectStore("session").get(KEY));
      return rec === undefined ? undefined : (rec.pair as Pair | null);
    },
    write: async (pair) => {
      const d = await open();
      if (!d) { localCopy.set(pair); return; }
      // "strict": on disk before `complete`, so a crash cannot bring back a refresh token already rotated.
      const tx = d.transaction("session", "readwrite", { durability: "strict" });
      tx.objectStore("session").put({ pair }, KEY);
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error ?? new Error("aborted"));
      });
    },
  };
}

/** The lock around refreshes (and every write of the store) and the channel to the other tabs. */
export function sharedTabs(): Shared | undefined {
  if (typeof BroadcastChannel === "undefined") return undefined;
  const channel = new BroadcastChannel(KEY);
  const locks = (navigator as any).locks;
  return {
    // Without Web Locks (very old browsers) a refresh runs unlocked: the store re-read still
    // catches most races, and a lost one ends the session (sign in again), never leaks it.
    lock: (fn) => (locks ? locks.request(KEY + ".refresh", fn) : fn()),
    publish: (msg) => channel.postMessage(msg),
    subscribe: (fn) => {
      const h = (e: MessageEvent) => fn(e.data as SessionMessage);
      channel.addEventListener("message", h);
      return () => channel.removeEventListener("message", h);
    },
  };
}
