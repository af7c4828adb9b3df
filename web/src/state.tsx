/**
 * The app's shared state for a signed-in user: language, the socket connection and its
 * indicator, the notification centre and toasts. One provider; screens use `useApp()`,
 * `useEvent()` and `useNow()`.
 */
import { createContext, ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { api, qs, session } from "./api/http";
import { Claims } from "./api/session";
import { Connection } from "./socket/connection";
import { ConnState, initial } from "./socket/state";
import * as N from "./notifications/store";
import * as C from "./chat/store";
import { formatDateTime, formatNumber, formatRelative, pickLang, translate } from "./i18n/format";
import { Lang, MessageKey } from "./i18n/messages";

export interface Toast { id: number; text: string; severity: "info" | "success" | "warning" | "error" }

interface AppCtx {
  user: Claims;
  lang: Lang;
  setLang: (l: Lang) => void;
  t: (key: MessageKey, vars?: Record<string, string | number>) => string;
  num: (v: number, digits?: number) => string;
  dt: (iso: string | number) => string;
  ago: (iso: string | number, now: number) => string;
  conn: Connection;
  connState: ConnState;
  notif: N.NotifState;
  chat: C.ChatState;
  setChat: (fn: (s: C.ChatState) => C.ChatState) => void;
  markRead: (id: string) => Promise<void>;
  markAll: () => Promise<void>;
  loadMore: () => Promise<void>;
  toasts: Toast[];
  toast: (text: string, severity?: Toast["severity"]) => void;
  dismiss: (id: number) => void;
  logout: () => Promise<void>;
}

const Ctx = createContext<AppCtx | null>(null);
const LANG_KEY = "fadjma.lang";

export function useLang(): [Lang, (l: Lang) => void] {
  const [lang, setLangState] = useState<Lang>(() => pickLang(localStorage.getItem(LANG_KEY)));
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(LANG_KEY, l);
    document.documentElement.lang = l;
    setLangState(l);
  }, []);
  useEffect(() => { document.documentElement.lang = lang; }, [lang]);
  return [lang, setLang];
}

export function AppProvider({ user, lang, setLang, children }: { user: Claims; lang: Lang; setLang: (l: Lang) => void; children: ReactNode }) {
  const notifRef = useRef<N.NotifState>(N.empty);
  const [notif, setNotifState] = useState<N.NotifState>(N.empty);
  const setNotif = useCallback((fn: (s: N.NotifState) => N.NotifState) => {
    notifRef.current = fn(notifRef.current);
    setNotifState(notifRef.current);
  }, []);
  const chatRef = useRef<C.ChatState>(C.emptyChat);
  const [chat, setChatState] = useState<C.ChatState>(C.emptyChat);
  const setChat = useCallback((fn: (s: C.ChatState) => C.ChatState) => {
    chatRef.current = fn(chatRef.current);
    setChatState(chatRef.current);
  }, []);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const toastId = useRef(0);
  const toast = useCallback((text: string, severity: Toast["severity"] = "info") => {
    const id = ++toastId.current;
    setToasts((ts) => [...ts.slice(-3), { id, text, severity }]);
    window.setTimeout(() => setToasts((ts) => ts.filter((x) => x.id !== id)), 8000);
  }, []);
  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((x) => x.id !== id)), []);
  const langRef = useRef(lang);
  langRef.current = lang;

  // The chat's last seq per loaded conversation rides on every handshake: the server replays the rest.
  const conn = useMemo(() => new Connection(session, () => notifRef.current.lastSeq, "/",
    () => ({ chat: C.lastSeqs(chatRef.current) })), []);
  const [connState, setConnState] = useState<ConnState>(initial);

  useEffect(() => {
    const offs = [
      conn.onState(setConnState),
      conn.on("notification:new", (n: N.Notification) => {
        let isNew = false;
        setNotif((s) => { const [next, fresh] = N.received(s, n); isNew = fresh; return next; });
        if (isNew) toast(`${n.title[langRef.current]} — ${n.body[langRef.current]}`, n.urgency === "urgent" ? "error" : "info");
      }),
      conn.on("notification:unread_count", (p: { unread: number }) => setNotif((s) => N.unreadCount(s, p.unread))),
      conn.on("notification:read", (p) => setNotif((s) => N.markedRead(s, p))),
      conn.on("notification:synced", (p) => setNotif((s) => N.synced(s, p))),
      conn.on("auth:expired", () => undefined), // the disconnect that follows triggers a refresh + reconnect
      // Chat events are kept whatever screen is open (listeners before connect: the replay comes first).
      conn.on("chat:message", (m: C.Msg) => setChat((s) => C.received(s, m)[0])),
      conn.on("chat:read", (r) => setChat((s) => C.readReceipt(s, r))),
      conn.on("chat:typing_changed", (p) => setChat((s) => C.typing(s, p))),
      conn.on("chat:presence", (p) => setChat((s) => C.presence(s, p))),
    ];
    let cancelled = false;
    // The first page sets last_seq, so the socket's handshake replays only what came after it.
    api.get(`/api/notifications${qs({ limit: 20 })}`).then(
      (page) => { if (!cancelled) { setNotif((s) => N.loadedPage(s, page, true)); conn.start(); } },
      () => { if (!cancelled) conn.start(); },
    );
    return () => { cancelled = true; offs.forEach((off) => off()); conn.stop(); };
  }, [conn, setNotif, setChat, toast]);

  const value = useMemo<AppCtx>(() => ({
    user, lang, setLang,
    t: (key, vars) => translate(lang, key, vars),
    num: (v, d) => formatNumber(lang, v, d),
    dt: (iso) => formatDateTime(lang, iso),
    ago: (iso, now) => formatRelative(lang, typeof iso === "number" ? iso : Date.parse(iso), now),
    conn, connState, notif, chat, setChat, toasts, toast, dismiss,
    markRead: async (id) => {
      const n = await api.post(`/api/notifications/${id}/read`);
      setNotif((s) => N.markedRead(s, { ids: [id], all: false, read_at: n.read_at }));
    },
    markAll: async () => {
      const r = await api.post(`/api/notifications/read-all`);
      setNotif((s) => N.unreadCount(N.markedRead(s, { ids: [], all: true, read_at: new Date().toISOString() }), r.unread ?? 0));
    },
    loadMore: async () => {
      const cursor = notifRef.current.nextBeforeSeq;
      if (cursor === null) return;
      const page = await api.get(`/api/notifications${qs({ limit: 20, before_seq: cursor })}`);
      setNotif((s) => N.loadedPage(s, page, false));
    },
    logout: async () => { conn.stop(); await session.logout(); },
  }), [user, lang, setLang, conn, connState, notif, chat, setChat, toasts, toast, dismiss, setNotif]);

  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useApp(): AppCtx {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error("useApp outside AppProvider");
  return ctx;
}

/** Subscribe to a server event for the component's life (the dispatcher is already attached). */
export function useEvent(event: string, handler: (payload: any) => void): void {
  const { conn } = useApp();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => conn.on(event, (p) => ref.current(p)), [conn, event]);
}

/** The current time, re-rendered every `ms` (for "il y a 5 s"). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const h = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(h);
  }, [ms]);
  return now;
}

/** Load data from the API; `reload()` fetches again (after an event). */
export function useFetch<T>(path: string | null, deps: unknown[] = []): { data: T | null; error: string | null; reload: () => void; setData: (fn: (d: T | null) => T | null) => void } {
  const [data, setDataState] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    api.get<T>(path).then((d) => { if (live) { setDataState(d); setError(null); } }, (e) => { if (live) setError(e.message); });
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path, tick, ...deps]);
  return { data, error, reload: useCallback(() => setTick((x) => x + 1), []), setData: setDataState };
}
