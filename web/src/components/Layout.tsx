/** The frame of every signed-in screen: title, role navigation, connection, language, inbox, sign-out. */
import { ReactNode } from "react";
import { NavLink, useLocation } from "react-router";
import { AppBar, Box, Button, Chip, Tab, Tabs, Toolbar, Typography } from "@mui/material";
import { useApp } from "../state";
import { MessageKey } from "../i18n/messages";
import { LangSwitch } from "./LangSwitch";
import { NotificationCenter } from "./NotificationCenter";
import { Toaster } from "./Toaster";

const NAV: Record<string, [string, MessageKey][]> = {
  patient: [["/patient", "nav.dashboard"], ["/patient/access", "nav.access"], ["/patient/prescriptions", "nav.prescriptions"],
    ["/patient/records", "nav.records"], ["/patient/appointments", "nav.appointments"],
    ["/patient/treatments", "nav.treatments"], ["/patient/symptoms", "nav.symptoms"], ["/patient/assistant", "nav.assistant"],
    ["/patient/chat", "nav.chat"], ["/patient/audit", "nav.audit"]],
  doctor: [["/doctor", "nav.wall"], ["/doctor/patients", "nav.patients"], ["/doctor/appointments", "nav.appointments"],
    ["/doctor/treatments", "nav.doctorTreatments"], ["/doctor/chat", "nav.chat"], ["/doctor/assistant", "nav.doctorAssistant"]],
  pharmacist: [["/pharmacist", "nav.queue"], ["/pharmacist/stock", "nav.stock"], ["/pharmacist/chat", "nav.chat"]],
  admin: [["/admin", "nav.devices"], ["/admin/users", "nav.users"], ["/admin/units", "nav.units"], ["/admin/sessions", "nav.sessions"]],
};

const connColor = { connected: "success", reconnecting: "warning", offline: "error" } as const;

export function ConnIndicator() {
  const { connState, t } = useApp();
  return (
    <Chip size="small" variant="outlined" color={connColor[connState.status]} data-testid="conn" data-status={connState.status}
      role="status" aria-live="polite"
      label={t(`conn.${connState.status}` as MessageKey)}
      icon={<Box component="span" aria-hidden sx={{ width: 10, height: 10, borderRadius: "50%", bgcolor: `${connColor[connState.status]}.main`, ml: "6px !important" }} />} />
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { user, t, lang, setLang, logout } = useApp();
  const location = useLocation();
  const items = NAV[user.role] ?? [];
  const current = [...items].reverse().find(([path]) => location.pathname === path || location.pathname.startsWith(path + "/"))?.[0] ?? false;
  return (
    <Box sx={{ minHeight: "100vh", bgcolor: "#f4f7f7" }}>
      <a href="#main" className="skip-link" style={{ position: "absolute", left: -9999 }} onFocus={(e) => (e.currentTarget.style.left = "8px")}
        onBlur={(e) => (e.currentTarget.style.left = "-9999px")}>{t("app.skip")}</a>
      <AppBar position="sticky" color="inherit" elevation={1}>
        <Toolbar sx={{ gap: 1, flexWrap: "wrap", py: 0.5 }}>
          <Typography variant="h6" component="p" sx={{ color: "primary.dark", fontWeight: 700, mr: 1 }}>{t("app.title")}</Typography>
          <Typography variant="body2" sx={{ display: { xs: "none", sm: "block" } }}>{t(`role.${user.role}` as MessageKey)}</Typography>
          <Box sx={{ flexGrow: 1 }} />
          <ConnIndicator />
          <LangSwitch lang={lang} setLang={setLang} label={t("lang.switch")} />
          <NotificationCenter />
          <Button size="small" onClick={() => logout()} data-testid="logout">{t("logout")}</Button>
        </Toolbar>
        <Box component="nav" aria-label={t("nav.menu")}>
          <Tabs value={current} variant="scrollable" scrollButtons="auto" allowScrollButtonsMobile aria-label={t("nav.menu")}>
            {items.map(([path, key]) => (
              <Tab key={path} value={path} label={t(key)} component={NavLink} to={path} end />
            ))}
          </Tabs>
        </Box>
      </AppBar>
      <Box component="main" id="main" tabIndex={-1} sx={{ p: { xs: 1, sm: 2 }, maxWidth: 1400, mx: "auto" }}>
        {children}
      </Box>
      <Toaster />
    </Box>
  );
}
