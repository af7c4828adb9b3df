/** The patient's screens (one lazy chunk). */
import { Route, Routes } from "react-router";
import { Box, Button, Chip, List, ListItem, ListItemText, Table, TableBody, TableCell, TableHead, TableRow, Typography } from "@mui/material";
import { api } from "../../api/http";
import { Scroll } from "../../components/Scroll";
import { useApp, useEvent, useFetch } from "../../state";
import { MessageKey } from "../../i18n/messages";
import { AlertList, upsertAlert as upsert } from "../../components/AlertList";
import { LiveVitals, Section } from "../../components/LiveVitals";
import { PrescriptionList } from "../../components/Prescriptions";
import { RecordList } from "../../components/Records";
import { SymptomChecker } from "../../components/SymptomChecker";
import PatientAppointments from "./Appointments";
import PatientTreatments from "./Treatments";
import { Chatbot } from "../../components/Chatbot";
import { Chat } from "../../components/Chat";
import { useNames } from "../../names/react";

function MyId() {
  const { user, t } = useApp();
  return (
    <Typography variant="body2" sx={{ mb: 1, wordBreak: "break-all" }}>
      {t("access.myId")} : <code data-testid="my-id">{user.sub}</code>
    </Typography>
  );
}

function Dashboard() {
  const { user, t } = useApp();
  return (
    <>
      <MyId />
      <Section title={t("nav.dashboard")} testId="patient-vitals"><LiveVitals patientId={user.sub} /></Section>
      <Section title={t("alerts.title")} testId="patient-alerts"><AlertList patientId={user.sub} canAct={false} /></Section>
    </>
  );
}

function Access() {
  const { t, dt, toast } = useApp();
  const nameOf = useNames();
  const requests = useFetch<any[]>("/api/access-requests");
  const grants = useFetch<any[]>("/api/grants");
  useEvent("access_request:new", (r) => requests.setData((l) => upsert(l ?? [], r)));
  useEvent("access_request:status_changed", (r) => { requests.setData((l) => upsert(l ?? [], r)); grants.reload(); });
  useEvent("grant:revoked", () => grants.reload());
  useEvent("grant:expired", () => grants.reload());
  const decide = async (id: string, action: "approve" | "reject") => {
    try {
      const r = await api.post(`/api/access-requests/${id}/${action}`, {});
      requests.setData((l) => upsert(l ?? [], r));
      grants.reload();
    } catch (e: any) { toast(t("common.error", { message: e.message }), "error"); }
  };
  const revoke = async (id: string) => {
    try { await api.post(`/api/grants/${id}/revoke`, {}); grants.reload(); } catch (e: any) { toast(t("common.error", { message: e.message }), "error"); }
  };
  const scopes = (s: string[]) => s.map((x) => t(`scope.${x}` as MessageKey)).join(", ");
  return (
    <>
      <MyId />
      <Section title={t("access.requests")} testId="access-requests">
        {!requests.data ? <Typography>{t("common.loading")}</Typography> : requests.data.length === 0 ? <Typography>{t("common.none")}</Typography> : (
          <List dense>
            {requests.data.map((r) => (
              <ListItem key={r.id} divider data-testid="access-request" data-status={r.status} sx={{ flexWrap: "wrap", gap: 1 }}>
                <ListItemText sx={{ minWidth: 220 }}
                  primary={`${t("common.doctor")} ${nameOf(r.doctor_id)} · ${scopes(r.scopes)} · ${r.duration_days} j`}
                  secondary={`${r.reason} · ${dt(r.created_at)}`} />
                {r.status === "pending" ? (
                  <Box sx={{ display: "flex", gap: 1 }}>
                    <Button variant="contained" size="small" onClick={() => decide(r.id, "approve")} data-testid="approve">{t("access.approve")}</Button>
                    <Button variant="outlined" color="error" size="small" onClick={() => decide(r.id, "reject")} data-testid="reject">{t("access.reject")}</Button>
                  </Box>
                ) : <Chip size="small" label={t(`status.${r.status}` as MessageKey)} />}
              </ListItem>
            ))}
          </List>
        )}
      </Section>
      <Section title={t("access.grants")} testId="grants">
        {!grants.data ? <Typography>{t("common.loading")}</Typography> : grants.data.length === 0 ? <Typography>{t("common.none")}</Typography> : (
          <List dense>
            {grants.data.map((g) => (
              <ListItem key={g.id} divider data-testid="grant" sx={{ flexWrap: "wrap", gap: 1 }}>
                <ListItemText sx={{ minWidth: 220 }} primary={`${t("common.doctor")} ${nameOf(g.doctor_id)} · ${scopes(g.scopes)}`}
                  secondary={t("access.expires", { date: dt(g.expires_at) })} />
                <Button color="error" variant="outlined" size="small" onClick={() => revoke(g.id)} data-testid="revoke">{t("access.revoke")}</Button>
              </ListItem>
            ))}
          </List>
        )}
      </Section>
    </>
  );
}

function Audit() {
  const { t, dt } = useApp();
  const nameOf = useNames();
  const { data, error } = useFetch<any>("/api/audit/me?limit=100");
  const rows: any[] = Array.isArray(data) ? data : data?.items ?? [];
  return (
    <Section title={t("audit.title")} testId="audit">
      {error && <Typography role="alert">{t("common.error", { message: error })}</Typography>}
      {!data ? <Typography>{t("common.loading")}</Typography> : rows.length === 0 ? <Typography>{t("common.none")}</Typography> : (
        <Scroll label={t("audit.title")}>
          <Table size="small" aria-label={t("audit.title")}>
            <TableHead><TableRow>
              <TableCell>{t("common.date")}</TableCell><TableCell>{t("audit.who")}</TableCell>
              <TableCell>{t("audit.action")}</TableCell><TableCell>{t("audit.ip")}</TableCell>
            </TableRow></TableHead>
            <TableBody>
              {rows.map((r, i) => (
                <TableRow key={r.id ?? i} data-testid="audit-row">
                  <TableCell>{dt(r.at)}</TableCell>
                  <TableCell>{r.actor?.name || r.actor?.username || nameOf(r.actor_id)} ({t(`role.${r.role}` as MessageKey)})</TableCell>
                  <TableCell>{r.action}{r.outcome && r.outcome !== "allowed" ? ` · ${t("audit.refused")}` : ""}</TableCell>
                  <TableCell>{r.ip ?? ""}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Scroll>
      )}
    </Section>
  );
}

/** My doctors (those I granted access to, by name from the name store) as chat contacts. */
function PatientChat() {
  const { t } = useApp();
  const grants = useFetch<any[]>("/api/grants");
  const nameOf = useNames();
  const ids = [...new Set((grants.data ?? []).map((g) => g.doctor_id))];
  return <Chat contacts={ids.map((id) => ({ id, label: `${t("common.doctor")} ${nameOf(id)}` }))} />;
}

export default function PatientRoutes() {
  const { user, t } = useApp();
  return (
    <Routes>
      <Route index element={<Dashboard />} />
      <Route path="access" element={<Access />} />
      <Route path="prescriptions" element={<Section title={t("rx.title")} testId="patient-rx"><PrescriptionList /></Section>} />
      <Route path="records" element={<Section title={t("records.title")} testId="patient-records"><RecordList patientId={user.sub} /></Section>} />
      <Route path="audit" element={<Audit />} />
      <Route path="appointments" element={<PatientAppointments />} />
      <Route path="treatments" element={<PatientTreatments />} />
      <Route path="assistant" element={<Section title={t("bot.title")} testId="patient-assistant"><Chatbot /></Section>} />
      <Route path="chat" element={<Section title={t("chat.title")} testId="patient-chat"><PatientChat /></Section>} />
      <Route path="symptoms" element={<Section title={t("sym.title")} testId="patient-symptoms"><SymptomChecker /></Section>} />
    </Routes>
  );
}
