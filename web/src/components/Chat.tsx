/**
 * Chat between people: my conversations (presence, unread), starting one with a contact,
 * and one conversation: history by pages, live messages (kept in the app's chat store, which
 * also feeds the replay on reconnect), a message shown at once while it is being stored,
 * typing, read receipts, a closed conversation refusing new messages.
 */
import { FormEvent, useEffect, useRef, useState } from "react";
import { Alert, Badge, Box, Button, Chip, List, ListItem, ListItemButton, ListItemText, MenuItem, Paper, TextField, Typography } from "@mui/material";
import { api, qs } from "../api/http";
import { useApp, useEvent, useFetch } from "../state";
import { MessageKey } from "../i18n/messages";
import * as C from "../chat/store";
import { names } from "../names/react";

const TYPING_IDLE_MS = 3000;

/** Someone to talk to; a pharmacist talks to a prescriber about one prescription (`prescriptionId`). */
export interface Contact { id: string; label: string; prescriptionId?: string }
const contactKey = (c: Contact) => `${c.id}|${c.prescriptionId ?? ""}`;

function Conversation({ conv, onRead }: { conv: any; onRead: () => void }) {
  const { t, dt, user, conn, chat, setChat, toast } = useApp();
  const [text, setText] = useState("");
  const [older, setOlder] = useState<number | null>(null);
  const typingSent = useRef<number | null>(null);
  const log = useRef<HTMLDivElement | null>(null);
  const list = chat.messages[conv.id] ?? [];
  // Keep the newest message in view as messages arrive.
  useEffect(() => { if (log.current) log.current.scrollTop = log.current.scrollHeight; }, [list.length]);
  const other = conv.other;
  const online = chat.online[other.id] ?? other.online;
  const theirRead = chat.read[conv.id]?.[other.id] ?? 0;

  const loadPage = async (before?: number) => {
    const page = await api.get(`/api/chat/conversations/${encodeURIComponent(conv.id)}/messages/${qs({ before_seq: before, limit: 30 })}`);
    setChat((s) => C.loadedPage(s, conv.id, page.items ?? []));
    setOlder(page.next_before_seq ?? null);
  };
  useEffect(() => {
    setChat((s) => C.setReads(s, conv.id, conv.read ?? {}));
    loadPage().catch((e) => toast(t("common.error", { message: e.message }), "error"));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [conv.id]);

  // Read receipt for what the other party sent, once it is on screen.
  const lastTheirs = C.lastFromOthers(list, user.sub);
  const myRead = chat.read[conv.id]?.[user.sub] ?? 0;
  useEffect(() => {
    if (lastTheirs > myRead) {
      conn.emit("chat:mark_read", { conversation_id: conv.id, seq: lastTheirs }).then((a) => { if (a.ok) { setChat((s) => C.readReceipt(s, a.data)); onRead(); } });
    }
  }, [lastTheirs, myRead, conv.id, conn, setChat, onRead]);

  const setTyping = (on: boolean) => {
    if (on && typingSent.current !== null) { window.clearTimeout(typingSent.current); }
    else conn.emit("chat:typing", { conversation_id: conv.id, typing: on });
    typingSent.current = on ? window.setTimeout(() => { typingSent.current = null; conn.emit("chat:typing", { conversation_id: conv.id, typing: false }); }, TYPING_IDLE_MS) : null;
  };
  const send = async (e: FormEvent) => {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    const clientId = `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    setChat((s) => C.sending(s, conv.id, clientId, user.sub, body));
    setText("");
    if (typingSent.current !== null) { window.clearTimeout(typingSent.current); typingSent.current = null; }
    const ack = await conn.emit("chat:send", { conversation_id: conv.id, text: body, client_id: clientId });
    if (ack.ok) setChat((s) => C.received(s, ack.data)[0]);
    else { setChat((s) => C.sendFailed(s, conv.id, clientId)); toast(t("common.error", { message: ack.error?.message ?? "" }), "error"); }
  };
  const receipt = (m: C.Msg): MessageKey => m.failed ? "chat.failed" : m.pending ? "chat.sending" : (m.seq ?? 0) <= theirRead ? "chat.read" : "chat.sent";
  return (
    <Box data-testid="conversation" data-id={conv.id}>
      <Box sx={{ display: "flex", gap: 1, alignItems: "center", mb: 1, flexWrap: "wrap" }}>
        <Typography variant="subtitle1" component="h3" sx={{ fontWeight: 600 }}>{other.name}</Typography>
        <Chip size="small" data-testid="presence" data-online={online ? "1" : "0"} color={online ? "success" : "default"} variant="outlined"
          label={t(online ? "chat.online" : "chat.offline")} />
      </Box>
      {older !== null && <Button size="small" onClick={() => loadPage(older)}>{t("notif.more")}</Button>}
      <Box ref={log} data-testid="messages" role="log" aria-label={t("chat.title")} tabIndex={0} sx={{ maxHeight: 420, overflowY: "auto", mb: 1 }}>
        {list.length === 0 && <Typography>{t("chat.empty")}</Typography>}
        {list.map((m) => {
          const mine = m.sender_id === user.sub;
          return (
            <Box key={m.seq ?? m.client_id} sx={{ display: "flex", justifyContent: mine ? "flex-end" : "flex-start", mb: 0.75 }}>
              <Paper variant="outlined" data-testid="message" data-seq={m.seq ?? ""} data-mine={mine ? "1" : "0"}
                sx={{ p: 1, maxWidth: "85%", whiteSpace: "pre-wrap", overflowWrap: "anywhere", bgcolor: mine ? "#e0f2f1" : "background.paper" }}>
                <Typography component="span" data-testid="message-text">{m.text}</Typography>
                <Typography variant="caption" component="p" color="text.secondary">
                  {m.created_at ? dt(m.created_at) : ""}{mine && <span data-testid="receipt"> · {t(receipt(m))}</span>}
                </Typography>
              </Paper>
            </Box>
          );
        })}
      </Box>
      <Typography variant="body2" data-testid="typing" sx={{ minHeight: 20, fontStyle: "italic" }}>
        {chat.typing[conv.id] === other.id ? t("chat.typing", { name: other.name }) : ""}
      </Typography>
      {!conv.open ? <Alert severity="info" data-testid="chat-closed">{t("chat.closed")}</Alert> : (
        <Box component="form" onSubmit={send} sx={{ display: "flex", gap: 1 }}>
          <TextField size="small" fullWidth label={t("chat.message")} value={text}
            onChange={(e) => { setText(e.target.value); setTyping(e.target.value !== ""); }}
            slotProps={{ htmlInput: { maxLength: 4000, "data-testid": "chat-input" } as any }} />
          <Button type="submit" variant="contained" disabled={!text.trim()} data-testid="chat-send">{t("common.send")}</Button>
        </Box>
      )}
    </Box>
  );
}

export function Chat({ contacts }: { contacts: Contact[] }) {
  const { t, chat, toast } = useApp();
  const convs = useFetch<any>("/api/chat/conversations/");
  const [openId, setOpenId] = useState<string | null>(null);
  const [contact, setContact] = useState("");
  useEvent("chat:message", (m) => { if (!(convs.data?.items ?? []).some((c: any) => c.id === m.conversation_id) || m.conversation_id !== openId) convs.reload(); });
  const items: any[] = convs.data?.items ?? [];
  // The conversations name the other party: the app's name store learns them for free.
  useEffect(() => { names().seed(Object.fromEntries(items.map((c) => [c.other.id, c.other.name]))); }, [items]);
  const open = items.find((c) => c.id === openId) ?? null;
  const start = async (e: FormEvent) => {
    e.preventDefault();
    const chosen = contacts.find((c) => contactKey(c) === contact);
    if (!chosen) return;
    try {
      const c = await api.post("/api/chat/conversations/", { with_user_id: chosen.id, prescription_id: chosen.prescriptionId });
      convs.reload(); setOpenId(c.id);
    } catch (err: any) { toast(t("common.error", { message: err.message }), "error"); }
  };
  return (
    <Box sx={{ display: "flex", gap: 2, flexWrap: "wrap", alignItems: "flex-start" }}>
      <Box sx={{ flex: "1 1 260px", maxWidth: { md: 360 } }}>
        <Box component="form" onSubmit={start} sx={{ display: "flex", gap: 1, mb: 1 }}>
          <TextField select size="small" label={t("chat.with")} value={contact} onChange={(e) => setContact(e.target.value)} sx={{ flex: 1 }}
            slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }} data-testid="chat-contact">
            <MenuItem value="">—</MenuItem>
            {contacts.map((c) => <MenuItem key={contactKey(c)} value={contactKey(c)}>{c.label}</MenuItem>)}
          </TextField>
          <Button type="submit" variant="outlined" disabled={!contact} data-testid="chat-start">{t("chat.start")}</Button>
        </Box>
        {!convs.data ? <Typography>{t("common.loading")}</Typography> : items.length === 0 ? <Typography>{t("common.none")}</Typography> : (
          <List dense data-testid="conversations" aria-label={t("chat.conversations")}>
            {items.map((c) => {
              const online = chat.online[c.other.id] ?? c.other.online;
              return (
                <ListItem key={c.id} disablePadding>
                <ListItemButton selected={c.id === openId} onClick={() => setOpenId(c.id)} data-testid="conversation-item" data-id={c.id}>
                  <ListItemText primary={c.other.name} secondary={`${t(`role.${c.other.role}` as MessageKey)}${c.prescription_id ? ` · ${t("chat.aboutRx")} ${c.prescription_id.slice(0, 8)}` : ""} · ${t(online ? "chat.online" : "chat.offline")}`} />
                  {c.id !== openId && c.unread > 0 && <Badge color="primary" badgeContent={c.unread} data-testid="unread" sx={{ mr: 1 }} />}
                </ListItemButton>
                </ListItem>
              );
            })}
          </List>
        )}
      </Box>
      <Box sx={{ flex: "2 1 320px", minWidth: 0 }}>
        {open ? <Conversation key={open.id} conv={open} onRead={convs.reload} /> : <Typography>{t("chat.pick")}</Typography>}
      </Box>
    </Box>
  );
}
