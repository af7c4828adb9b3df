/** My patients (grants and care units), my access requests (live), and a form to request access. */
import { FormEvent, useState } from "react";
import { Link as RouterLink } from "react-router";
import { Box, Button, Checkbox, Chip, FormControlLabel, FormGroup, List, ListItem, ListItemText, TextField, Typography } from "@mui/material";
import { api } from "../../api/http";
import { useApp, useEvent, useFetch } from "../../state";
import { MessageKey } from "../../i18n/messages";
import { upsertAlert as upsert } from "../../components/AlertList";
import { Section } from "../../components/LiveVitals";
import { usePatientNames } from "./names";

const SCOPES = ["vitals", "records", "prescriptions"];

function RequestForm({ onSent }: { onSent: (r: any) => void }) {
  const { t, toast } = useApp();
  const [patientId, setPatientId] = useState("");
  const [reason, setReason] = useState("");
  const [days, setDays] = useState(30);
  const [scopes, setScopes] = useState<string[]>(SCOPES);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const r = await api.post("/api/access-requests", { patient_id: patientId.trim(), reason, scopes, duration_days: days });
      setErrors({});
      toast(t("access.sent"), "success");
      onSent(r);
    } catch (err: any) {
      setErrors(Object.fromEntries((err.details ?? []).map((d: any) => [d.field, d.message])));
      toast(t("common.error", { message: err.message }), "error");
    }
  };
  return (
    <Box component="form" onSubmit={submit} sx={{ display: "grid", gap: 1.5, maxWidth: 560 }} data-testid="request-form">
      <TextField label={t("access.patientId")} value={patientId} onChange={(e) => setPatientId(e.target.value)} required
        error={!!errors.patient_id} helperText={errors.patient_id} slotProps={{ htmlInput: { "data-testid": "request-patient" } as any }} />
      <TextField label={t("common.reason")} value={reason} onChange={(e) => setReason(e.target.value)} required
        error={!!errors.reason} helperText={errors.reason} slotProps={{ htmlInput: { "data-testid": "request-reason" } as any }} />
      <TextField label={t("access.duration")} type="number" value={days} onChange={(e) => setDays(Number(e.target.value))}
        error={!!errors.duration_days} helperText={errors.duration_days} slotProps={{ htmlInput: { min: 1, max: 365 } as any }} />
      <FormGroup row aria-label={t("access.scopes")}>
        {SCOPES.map((s) => (
          <FormControlLabel key={s} label={t(`scope.${s}` as MessageKey)} control={
            <Checkbox checked={scopes.includes(s)} onChange={(e) => setScopes((xs) => e.target.checked ? [...xs, s] : xs.filter((x) => x !== s))} />} />
        ))}
      </FormGroup>
      <Button type="submit" variant="contained" data-testid="request-submit">{t("access.request")}</Button>
    </Box>
  );
}

export function Patients() {
  const { t, dt } = useApp();
  const nameOf = usePatientNames();
  const grants = useFetch<any[]>("/api/grants");
  const requests = useFetch<any[]>("/api/access-requests");
  const units = useFetch<any[]>("/api/care-units/");
  useEvent("access_request:status_changed", (r) => { requests.setData((l) => upsert(l ?? [], r)); grants.reload(); });
  useEvent("grant:revoked", () => grants.reload());
  useEvent("grant:expired", () => grants.reload());
  const scopes = (s: string[]) => s.map((x) => t(`scope.${x}` as MessageKey)).join(", ");
  return (
    <>
      <Section title={t("patients.grants")} testId="doctor-grants">
        {!grants.data ? <Typography>{t("common.loading")}</Typography> : grants.data.length === 0 ? <Typography>{t("common.none")}</Typography> : (
          <List dense>
            {grants.data.map((g) => (
              <ListItem key={g.id} divider data-testid="doctor-grant" data-patient={g.patient_id}
                secondaryAction={<Button component={RouterLink} to={`/doctor/patients/${g.patient_id}`} size="small">{t("patients.open")}</Button>}>
                <ListItemText primary={`${nameOf(g.patient_id)} · ${scopes(g.scopes)}`}
                  secondary={t("access.expires", { date: dt(g.expires_at) })} />
              </ListItem>
            ))}
          </List>
        )}
      </Section>
      <Section title={t("patients.units")} testId="doctor-units">
        {!units.data ? <Typography>{t("common.loading")}</Typography> : units.data.length === 0 ? <Typography>{t("common.none")}</Typography> : (
          units.data.map((u) => (
            <Box key={u.id} sx={{ mb: 1 }}>
              <Typography variant="subtitle1" component="h3">{u.name} ({u.kind})</Typography>
              <Box sx={{ display: "flex", gap: 1, flexWrap: "wrap" }}>
                {(u.patient_ids ?? []).map((pid: string) => (
                  <Chip key={pid} clickable component={RouterLink} to={`/doctor/patients/${pid}`} label={nameOf(pid)} />
                ))}
              </Box>
            </Box>
          ))
        )}
      </Section>
      <Section title={t("access.request")} testId="doctor-request">
        <RequestForm onSent={(r) => requests.setData((l) => upsert(l ?? [], r))} />
      </Section>
      <Section title={t("access.requests")} testId="doctor-requests">
        {!requests.data ? <Typography>{t("common.loading")}</Typography> : requests.data.length === 0 ? <Typography>{t("common.none")}</Typography> : (
          <List dense>
            {requests.data.map((r) => (
              <ListItem key={r.id} divider data-testid="doctor-request" data-status={r.status} data-patient={r.patient_id}>
                <ListItemText primary={<>{`${nameOf(r.patient_id)} · ${scopes(r.scopes)} · `}
                  <span data-testid="request-status">{t(`status.${r.status}` as MessageKey)}</span></>}
                  secondary={`${r.reason} · ${dt(r.created_at)}`} />
              </ListItem>
            ))}
          </List>
        )}
      </Section>
    </>
  );
}
