/** Sign-in screen (before any role chunk loads). */
import { FormEvent, useState } from "react";
import { Alert, Box, Button, Paper, TextField, Typography } from "@mui/material";
import { session } from "../api/http";
import { translate } from "../i18n/format";
import { Lang, MessageKey } from "../i18n/messages";
import { LangSwitch } from "./LangSwitch";

export function Login({ lang, setLang }: { lang: Lang; setLang: (l: Lang) => void }) {
  const t = (k: MessageKey) => translate(lang, k);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.login(username.trim(), password);
    } catch (err: any) {
      setError(err?.code === "invalid_credentials" ? t("login.failed") : translate(lang, "common.error", { message: err?.message ?? "?" }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box component="main" sx={{ minHeight: "100vh", display: "grid", placeItems: "center", p: 2, bgcolor: "#eef4f4" }}>
      <Paper component="form" onSubmit={submit} sx={{ p: 3, width: "100%", maxWidth: 380 }} aria-labelledby="login-title">
        <Box sx={{ display: "flex", justifyContent: "space-between", alignItems: "center", mb: 2 }}>
          <Typography id="login-title" variant="h5" component="h1">{t("app.title")} · {t("login.title")}</Typography>
          <LangSwitch lang={lang} setLang={setLang} label={t("lang.switch")} />
        </Box>
        <TextField label={t("login.username")} name="username" value={username} onChange={(e) => setUsername(e.target.value)}
          fullWidth margin="normal" autoComplete="username" required autoFocus />
        <TextField label={t("login.password")} name="password" type="password" value={password}
          onChange={(e) => setPassword(e.target.value)} fullWidth margin="normal" autoComplete="current-password" required />
        {error && <Alert severity="error" role="alert" sx={{ mt: 1 }}>{error}</Alert>}
        <Button type="submit" variant="contained" fullWidth sx={{ mt: 2 }} disabled={busy}>{t("login.submit")}</Button>
      </Paper>
    </Box>
  );
}
