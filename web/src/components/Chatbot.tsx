/**
 * The medical assistant: questions over Socket.IO namespace `/chatbot`, the answer streamed as
 * `chatbot:chunk` and settled by `chatbot:reply` (the one to keep: after a Gemini failure it
 * replaces what streamed). The offline mode is announced; history from the API; clear history.
 * Texts are React text nodes (never HTML); line breaks are kept with `pre-wrap`.
 */
import { FormEvent, useEffect, useRef, useState } from "react";
import { io, Socket } from "socket.io-client";
import { Alert, Box, Button, Checkbox, Chip, FormControlLabel, Paper, TextField, Typography } from "@mui/material";
import { api, session } from "../api/http";
import { useApp } from "../state";

interface Turn { key: string; question: string; answer: string; mode?: string; streaming?: boolean; error?: string }

function Bubble({ text, mine, children, testId }: { text: string; mine: boolean; children?: React.ReactNode; testId: string }) {
  return (
    <Box sx={{ display: "flex", justifyContent: mine ? "flex-end" : "flex-start", mb: 1 }}>
      <Paper variant="outlined" data-testid={testId}
        sx={{ p: 1.25, maxWidth: "85%", whiteSpace: "pre-wrap", overflowWrap: "anywhere", bgcolor: mine ? "#e0f2f1" : "background.paper" }}>
        {text}{children}
      </Paper>
    </Box>
  );
}

export function Chatbot() {
  const { t, toast, user } = useApp();
  const [turns, setTurns] = useState<Turn[]>([]);
  const [question, setQuestion] = useState("");
  const [myData, setMyData] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const sock = useRef<Socket | null>(null);
  const current = useRef<string | null>(null);   // the key of the turn being answered

  useEffect(() => {
    let live = true;
    api.get("/api/chatbot/history/").then((h) => {
      if (!live) return;
      const items = [...(h.items ?? [])].sort((a: any, b: any) => Date.parse(a.at) - Date.parse(b.at));
      setTurns(items.map((x: any) => ({ key: x.id, question: x.question, answer: x.answer, mode: x.mode })));
    }, () => undefined);
    const s = io("/chatbot", {
      transports: ["websocket", "polling"],
      auth: (cb) => { session.token().then((token) => cb({ token }), () => cb({})); },
    });
    const patch = (fn: (t: Turn) => Turn) => setTurns((ts) => ts.map((x) => (x.key === current.current ? fn(x) : x)));
    s.on("chatbot:chunk", (c: { text: string }) => patch((x) => ({ ...x, answer: x.answer + c.text })));
    s.on("chatbot:reply", (r: any) => patch((x) => ({ ...x, answer: r.text, mode: r.mode, streaming: false })));
    s.on("chatbot:error", (e: any) => { if (e.code === "gemini_unavailable") setNotice(e.message); });
    s.on("connect_error", (err: any) => {
      // A refused (expired) token: refresh and connect again.
      if (String(err?.message ?? "").startsWith("token_")) session.refresh().then(() => s.connect(), () => undefined);
    });
    // It shares the app's connection (same manager), created with autoConnect off: connect explicitly.
    s.connect();
    sock.current = s;
    return () => { live = false; s.disconnect(); sock.current = null; };
  }, []);

  const ask = async (e: FormEvent) => {
    e.preventDefault();
    const text = question.trim();
    const s = sock.current;
    if (!text || !s) return;
    const key = `q${Date.now()}`;
    current.current = key;
    setTurns((ts) => [...ts, { key, question: text, answer: "", streaming: true }]);
    setQuestion(""); setBusy(true);
    try {
      // A long session outlives its access token: hand the socket the current one first.
      await s.timeout(10_000).emitWithAck("auth:refresh", { token: await session.token() }).catch(() => undefined);
      const ack: any = await s.timeout(60_000).emitWithAck("chatbot:message", { message: text, include_my_data: myData });
      if (!ack?.ok) throw new Error(ack?.error?.message ?? "error");
      setTurns((ts) => ts.map((x) => (x.key === key ? { ...x, answer: ack.data.text, mode: ack.data.mode, streaming: false } : x)));
    } catch (err: any) {
      setTurns((ts) => ts.map((x) => (x.key === key ? { ...x, streaming: false, error: err.message } : x)));
      toast(t("common.error", { message: err.message }), "error");
    } finally { setBusy(false); current.current = null; }
  };

  const clear = async () => {
    try { await api.del("/api/chatbot/history/"); setTurns([]); toast(t("bot.cleared"), "success"); }
    catch (err: any) { toast(t("common.error", { message: err.message }), "error"); }
  };

  const offline = turns.some((x) => x.mode === "offline");
  return (
    <Box>
      <Alert severity="info" sx={{ mb: 1 }}>{t("bot.intro")}</Alert>
      {(offline || notice) && <Alert severity="warning" sx={{ mb: 1 }} data-testid="bot-offline">{notice ?? t("bot.offline")}</Alert>}
      <Box data-testid="bot-turns" aria-live="polite" sx={{ mb: 1.5 }}>
        {turns.length === 0 && <Typography>{t("bot.empty")}</Typography>}
        {turns.map((x) => (
          <Box key={x.key} data-testid="bot-turn" data-mode={x.mode ?? ""} data-streaming={x.streaming ? "1" : "0"}>
            <Bubble text={x.question} mine testId="bot-question" />
            <Bubble text={x.answer || (x.streaming ? "…" : x.error ?? "")} mine={false} testId="bot-answer">
              {x.mode === "offline" && <Chip size="small" label={t("bot.offlineChip")} sx={{ ml: 1 }} />}
            </Bubble>
          </Box>
        ))}
      </Box>
      <Box component="form" onSubmit={ask} sx={{ display: "flex", gap: 1, flexWrap: "wrap", alignItems: "center" }}>
        <TextField size="small" label={t("bot.question")} value={question} onChange={(e) => setQuestion(e.target.value)}
          sx={{ flex: "1 1 240px" }} slotProps={{ htmlInput: { maxLength: 2000, "data-testid": "bot-input" } as any }} />
        <Button type="submit" variant="contained" disabled={busy || !question.trim()} data-testid="bot-send">{t("common.send")}</Button>
        {/* Only a patient has data of their own for the assistant (server/chatbot/grounding.py). */}
        {user.role === "patient" && <FormControlLabel control={<Checkbox checked={myData} onChange={(e) => setMyData(e.target.checked)} />} label={t("bot.myData")} />}
        <Button color="error" onClick={clear} disabled={busy || turns.length === 0} data-testid="bot-clear">{t("bot.clear")}</Button>
      </Box>
    </Box>
  );
}
