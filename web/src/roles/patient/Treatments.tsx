/**
 * The patient's treatments: days left, the end date, adherence, the intakes to answer now
 * (taken or skipped; the server accepts an answer from one hour before it is due) and the past
 * ones; adding a treatment. Live through `treatment:*` events (a doctor's addition, a delivered
 * prescription, a reminder, an answer given on another device).
 */
import { FormEvent, ReactNode, useState } from "react";
import { Box, Button, Chip, List, ListItem, ListItemText, TextField, Typography } from "@mui/material";
import { api } from "../../api/http";
import { useApp, useEvent, useFetch, useNow } from "../../state";
import { MessageKey } from "../../i18n/messages";
import { Section } from "../../components/LiveVitals";
import { answerable, Intake, nextIntake, orderIntakes, withAnswer } from "../../components/schedule";
import { percent } from "../../components/symptoms";

const statusColor: Record<string, "success" | "default" | "error" | "warning" | "info"> = {
  taken: "success", skipped: "default", missed: "error", pending: "warning", upcoming: "info",
};

/** One treatment; `readOnly` for a doctor (only the patient answers intakes). */
export function TreatmentCard({ tr, onChange, readOnly = false, children }: { tr: any; onChange: () => void; readOnly?: boolean; children?: ReactNode }) {
  const { t, dt, lang, toast } = useApp();
  const now = useNow(30_000);
  const intakes = useFetch<Intake[]>(`/api/treatments/${tr.id}/intakes/`, [tr.next_intake_at]);
  const adh = useFetch<any>(`/api/treatments/${tr.id}/adherence/`);
  const refresh = () => { intakes.reload(); adh.reload(); };
  useEvent("treatment:intake_recorded", (p) => p.treatment_id === tr.id && refresh());
  useEvent("treatment:intake_due", (p) => p.treatment_id === tr.id && refresh());
  const answer = async (i: Intake, status: "taken" | "skipped") => {
    try {
      const out = await api.post(`/api/treatments/${tr.id}/intakes/`, { due_at: i.due_at, status });
      intakes.setData((l) => withAnswer(l ?? [], { ...out, due_at: i.due_at }));
      toast(t("tr.recorded"), "success");
    } catch (err: any) { toast(t("common.error", { message: err.message }), "error"); }
    refresh(); onChange();
  };
  const list = intakes.data ?? [];
  const open = new Set(readOnly ? [] : answerable(list, now));
  const next = nextIntake(list, now);
  const shown = orderIntakes(list, now).slice(0, 8);
  const a = adh.data;
  const counted = a ? a.taken + a.skipped + a.missed : 0;
  const left = tr.jours_restants ?? 0;
  return (
    <Box data-testid="treatment" data-id={tr.id} sx={{ border: 1, borderColor: "divider", borderRadius: 1, p: 1.5, mb: 1.5 }}>
      <Typography variant="subtitle1" component="h3" sx={{ fontWeight: 600 }}>{tr.medocs_name}</Typography>
      <Typography variant="body2">
        {t("tr.perDay", { count: tr.frequency })} · <span data-testid="treatment-days-left">{left > 0 ? t("tr.daysLeft", { count: left }) : t("tr.ended")}</span>
        {" · "}{t("tr.until", { date: dt(tr.end) })}
      </Typography>
      <Typography variant="body2" data-testid="treatment-adherence" data-value={a?.adherence ?? ""}>
        {!a ? t("common.loading") : a.adherence === null ? t("tr.adherenceNone")
          : t("tr.adherence", { value: percent(lang, a.adherence), taken: a.taken, counted })}
      </Typography>
      {next && <Typography variant="body2">{t("tr.next", { when: dt(next.due_at) })}</Typography>}
      {shown.length > 0 && <Typography variant="body2" component="h4" sx={{ mt: 1, fontWeight: 600 }}>{t("tr.intakes")}</Typography>}
      <List dense disablePadding>
        {shown.map((i) => (
          <ListItem key={i.due_at} divider data-testid="intake" data-status={i.status} sx={{ flexWrap: "wrap", gap: 1 }}>
            <ListItemText sx={{ minWidth: 160 }} primary={dt(i.due_at)} />
            <Chip size="small" color={statusColor[i.status] ?? "default"} label={t(`tr.status.${i.status}` as MessageKey)} />
            {open.has(i) && (
              <Box sx={{ display: "flex", gap: 1 }}>
                <Button size="small" variant="contained" onClick={() => answer(i, "taken")} data-testid="intake-taken">{t("tr.confirm")}</Button>
                <Button size="small" variant="outlined" onClick={() => answer(i, "skipped")} data-testid="intake-skip">{t("tr.skip")}</Button>
              </Box>
            )}
          </ListItem>
        ))}
      </List>
      {children}
    </Box>
  );
}

/** Adding a treatment: the patient's own, or (`patientId`) a doctor's for a granted patient. */
export function AddTreatment({ onAdded, patientId }: { onAdded: () => void; patientId?: string }) {
  const { t, toast } = useApp();
  const [f, setF] = useState({ medocs_name: "", frequency: "1", duration_days: "7" });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api.post("/api/treatments/", { medocs_name: f.medocs_name.trim(), frequency: Number(f.frequency), duration_days: Number(f.duration_days), patient_id: patientId });
      setF({ ...f, medocs_name: "" });
      onAdded();
    } catch (err: any) { toast(t("common.error", { message: err.message }), "error"); }
  };
  return (
    <Box component="form" onSubmit={submit} sx={{ display: "flex", gap: 1, flexWrap: "wrap" }} data-testid="treatment-form">
      <TextField size="small" required label={t("tr.name")} value={f.medocs_name} onChange={(e) => setF({ ...f, medocs_name: e.target.value })}
        slotProps={{ htmlInput: { maxLength: 200 } }} />
      <TextField size="small" required type="number" label={t("tr.frequency")} value={f.frequency} sx={{ width: 140 }}
        onChange={(e) => setF({ ...f, frequency: e.target.value })} slotProps={{ htmlInput: { min: 1, max: 24 } }} />
      <TextField size="small" required type="number" label={t("tr.duration")} value={f.duration_days} sx={{ width: 140 }}
        onChange={(e) => setF({ ...f, duration_days: e.target.value })} slotProps={{ htmlInput: { min: 1, max: 365 } }} />
      <Button type="submit" variant="contained">{t("tr.add")}</Button>
    </Box>
  );
}

export default function PatientTreatments() {
  const { t, toast } = useApp();
  const list = useFetch<any[]>("/api/treatments/");
  useEvent("treatment:created", list.reload);
  useEvent("treatment:updated", list.reload);
  useEvent("treatment:deleted", list.reload);
  useEvent("treatment:intake_due", (p) => toast(t("tr.due", { name: p.medocs_name }), "warning"));
  return (
    <>
      <Section title={t("tr.title")} testId="patient-treatments">
        {list.error ? <Typography role="alert">{t("common.error", { message: list.error })}</Typography>
          : !list.data ? <Typography>{t("common.loading")}</Typography>
            : list.data.length === 0 ? <Typography>{t("common.none")}</Typography>
              : list.data.map((tr) => <TreatmentCard key={tr.id} tr={tr} onChange={list.reload} />)}
      </Section>
      <Section title={t("tr.add")} testId="patient-add-treatment"><AddTreatment onAdded={list.reload} /></Section>
    </>
  );
}
