/** One patient for a doctor: live vitals, NEWS2 breakdown, alerts (ack/clear), observations, rules, symptom checker, prescriptions, records. */
import { FormEvent, useEffect, useState } from "react";
import { Link as RouterLink, useParams } from "react-router";
import { Box, Button, Checkbox, FormControlLabel, MenuItem, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography } from "@mui/material";
import { api } from "../../api/http";
import { Scroll } from "../../components/Scroll";
import { useApp, useEvent, useFetch } from "../../state";
import { MessageKey } from "../../i18n/messages";
import { AlertList, alertLabel } from "../../components/AlertList";
import { LiveVitals, Section } from "../../components/LiveVitals";
import { PrescriptionList } from "../../components/Prescriptions";
import { RecordList } from "../../components/Records";
import { SymptomChecker } from "../../components/SymptomChecker";
import { usePatientNames } from "./names";
import { isKind } from "../../components/vitals";

/** A NEWS2 parameter in the user's language (vitals by their name, ACVPU and oxygen by the form's labels). */
function paramLabel(t: (k: MessageKey) => string, name: string): string {
  if (isKind(name)) return t(`vital.${name}` as MessageKey);
  if (name === "supplemental_oxygen") return t("obs.oxygen");
  if (name === "consciousness") return t("obs.consciousness");
  return name;
}

function News2({ patientId }: { patientId: string }) {
  const { t, num } = useApp();
  const { data, reload, setData } = useFetch<any>(`/api/iot/patients/${patientId}/news2`);
  // Live through `news2:updated` (this view watches the patient); the slow poll only covers a missed event.
  useEffect(() => { const h = window.setInterval(reload, 60_000); return () => window.clearInterval(h); }, [reload]);
  useEvent("news2:updated", (n) => { if (n.patient_id === patientId) setData(() => n); });
  if (!data) return <Typography>{t("common.loading")}</Typography>;
  return (
    <Box data-testid="news2" data-score={data.score ?? ""}>
      <Typography variant="h4" component="p">{data.score ?? "–"}
        <Typography component="span" sx={{ ml: 1 }}>{data.risk ? t(`news2.risk.${data.risk}` as MessageKey) : ""}
          {data.partial ? " · " + t("news2.partial", { missing: (data.missing ?? []).map((m: string) => paramLabel(t, m)).join(", ") }) : ""}</Typography>
      </Typography>
      <Table size="small" aria-label={t("news2.title")}>
        <TableHead><TableRow><TableCell>{t("news2.param")}</TableCell><TableCell>{t("common.value")}</TableCell><TableCell>{t("news2.score")}</TableCell></TableRow></TableHead>
        <TableBody>
          {Object.entries<any>(data.parameters ?? {}).map(([name, p]) => (
            <TableRow key={name} data-testid="news2-param" data-param={name}><TableCell>{paramLabel(t, name)}</TableCell>
              <TableCell>{typeof p.value === "number" ? num(p.value) : typeof p.value === "boolean" ? t(p.value ? "common.yes" : "common.no") : String(p.value)}</TableCell><TableCell>{p.score}</TableCell></TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

function Observations({ patientId }: { patientId: string }) {
  const { t, toast } = useApp();
  const [consciousness, setC] = useState("A");
  const [oxygen, setO] = useState(false);
  const [rr, setRr] = useState("");
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api.post(`/api/iot/patients/${patientId}/observations`, { consciousness, supplemental_oxygen: oxygen, ...(rr ? { respiratory_rate: Number(rr) } : {}) });
      toast(t("obs.title") + " ✓", "success");
    } catch (err: any) { toast(t("common.error", { message: err.message }), "error"); }
  };
  return (
    <Box component="form" onSubmit={submit} sx={{ display: "flex", gap: 1.5, flexWrap: "wrap", alignItems: "center" }}>
      <TextField select label={t("obs.consciousness")} value={consciousness} onChange={(e) => setC(e.target.value)} sx={{ minWidth: 180 }}>
        {["A", "C", "V", "P", "U"].map((x) => <MenuItem key={x} value={x}>{x}</MenuItem>)}
      </TextField>
      <FormControlLabel control={<Checkbox checked={oxygen} onChange={(e) => setO(e.target.checked)} />} label={t("obs.oxygen")} />
      <TextField label={t("obs.rr")} type="number" value={rr} onChange={(e) => setRr(e.target.value)} sx={{ width: 180 }} />
      <Button type="submit" variant="contained">{t("common.save")}</Button>
    </Box>
  );
}

function Rules({ patientId }: { patientId: string }) {
  const { t, toast } = useApp();
  const { data, setData } = useFetch<any>(`/api/iot/patients/${patientId}/alert-rules`);
  const [reason, setReason] = useState("");
  if (!data) return <Typography>{t("common.loading")}</Typography>;
  const save = async (overrides: any, spo2_scale?: number) => {
    try {
      setData(() => null);
      setData(await api.put(`/api/iot/patients/${patientId}/alert-rules`, { overrides, spo2_scale, reason: reason || undefined }) as any);
      toast(t("rules.saved"), "success");
    } catch (err: any) { toast(t("common.error", { message: err.message }), "error"); }
  };
  return (
    <Box>
      <Box sx={{ display: "flex", gap: 1.5, mb: 1, flexWrap: "wrap" }}>
        <TextField select label={t("rules.scale")} value={data.spo2_scale} onChange={(e) => save(undefined, Number(e.target.value))} sx={{ width: 160 }}>
          <MenuItem value={1}>1</MenuItem><MenuItem value={2}>2</MenuItem>
        </TextField>
        <TextField label={t("common.reason")} value={reason} onChange={(e) => setReason(e.target.value)} />
      </Box>
      <Scroll label={t("rules.title")}>
        <Table size="small" aria-label={t("rules.title")}>
          <TableHead><TableRow><TableCell>{t("common.name")}</TableCell><TableCell>{t("rules.enabled")}</TableCell>
            <TableCell>{t("rules.duration")}</TableCell><TableCell>{t("rules.bands")}</TableCell></TableRow></TableHead>
          <TableBody>
            {data.rules.map((r: any) => (
              <TableRow key={r.key} data-testid="rule" data-key={r.key}>
                <TableCell>{alertLabel(t, r.key)}</TableCell>
                <TableCell><Checkbox checked={r.enabled !== false} slotProps={{ input: { "aria-label": `${t("rules.enabled")} ${alertLabel(t, r.key)}` } as any }}
                  onChange={(e) => save({ [r.key]: { ...(data.overrides[r.key] ?? {}), enabled: e.target.checked } })} /></TableCell>
                <TableCell><TextField size="small" type="number" defaultValue={r.duration_s} sx={{ width: 100 }}
                  slotProps={{ htmlInput: { "aria-label": `${t("rules.duration")} ${alertLabel(t, r.key)}`, min: 0, max: 3600 } as any }}
                  onBlur={(e) => Number(e.target.value) !== r.duration_s && save({ [r.key]: { ...(data.overrides[r.key] ?? {}), duration_s: Number(e.target.value) } })} /></TableCell>
                <TableCell>{r.bands.map((b: any) => `${t(`severity.${b.severity}` as MessageKey)} ${r.direction === "low" ? "≤" : "≥"} ${b.threshold}`).join(" · ")}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Scroll>
    </Box>
  );
}

function NewPrescription({ patientId }: { patientId: string }) {
  const { t, toast } = useApp();
  const [m, setM] = useState({ name: "", dose: "", frequency: "", duration: "", quantity: 1 });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api.post("/api/prescriptions", { patient_id: patientId, medications: [{ ...m, notes: "" }], notes: "" });
      toast(t("rx.new") + " ✓", "success");
      setM({ name: "", dose: "", frequency: "", duration: "", quantity: 1 });
    } catch (err: any) { toast(t("common.error", { message: err.message }), "error"); }
  };
  return (
    <Box component="form" onSubmit={submit} sx={{ display: "flex", gap: 1, flexWrap: "wrap", mb: 1 }}>
      <TextField size="small" required label={t("rx.medName")} value={m.name} onChange={(e) => setM({ ...m, name: e.target.value })} />
      <TextField size="small" required label={t("rx.dose")} value={m.dose} onChange={(e) => setM({ ...m, dose: e.target.value })} />
      <TextField size="small" required label={t("rx.frequency")} value={m.frequency} onChange={(e) => setM({ ...m, frequency: e.target.value })} />
      <TextField size="small" required label={t("rx.durationText")} value={m.duration} onChange={(e) => setM({ ...m, duration: e.target.value })} />
      <TextField size="small" type="number" label={t("rx.quantity")} value={m.quantity} onChange={(e) => setM({ ...m, quantity: Number(e.target.value) })} sx={{ width: 110 }} />
      <Button type="submit" variant="contained">{t("rx.new")}</Button>
    </Box>
  );
}

function NewRecord({ patientId }: { patientId: string }) {
  const { t, toast } = useApp();
  const [r, setR] = useState({ diagnosis: "", notes: "", visit_date: new Date().toISOString().slice(0, 10) });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api.post(`/api/patients/${patientId}/records`, { ...r, attachments: [] });
      setR({ ...r, diagnosis: "", notes: "" });
    } catch (err: any) { toast(t("common.error", { message: err.message }), "error"); }
  };
  return (
    <Box component="form" onSubmit={submit} sx={{ display: "flex", gap: 1, flexWrap: "wrap", mb: 1 }}>
      <TextField size="small" required label={t("records.diagnosis")} value={r.diagnosis} onChange={(e) => setR({ ...r, diagnosis: e.target.value })} />
      <TextField size="small" label={t("records.notes")} value={r.notes} onChange={(e) => setR({ ...r, notes: e.target.value })} />
      <TextField size="small" type="date" label={t("records.visit")} value={r.visit_date} onChange={(e) => setR({ ...r, visit_date: e.target.value })}
        slotProps={{ inputLabel: { shrink: true } }} />
      <Button type="submit" variant="contained">{t("records.new")}</Button>
    </Box>
  );
}

export function PatientView() {
  const { id = "" } = useParams();
  const { t } = useApp();
  const nameOf = usePatientNames();
  return (
    <>
      <Typography variant="h5" component="h1" sx={{ mb: 1, wordBreak: "break-all" }}>{t("common.patient")} · {nameOf(id)}</Typography>
      <Button component={RouterLink} to={`/doctor/treatments?patient=${encodeURIComponent(id)}`} size="small" variant="outlined" sx={{ mb: 1 }}
        data-testid="patient-treatments-link">{t("nav.doctorTreatments")}</Button>
      <Section title={t("nav.dashboard")} testId="doctor-patient-vitals"><LiveVitals patientId={id} /></Section>
      <Section title={t("news2.title")}><News2 patientId={id} /></Section>
      <Section title={t("alerts.history")} testId="doctor-patient-alerts"><AlertList patientId={id} canAct /></Section>
      <Section title={t("obs.title")}><Observations patientId={id} /></Section>
      <Section title={t("rules.title")}><Rules patientId={id} /></Section>
      <Section title={t("sym.title")} testId="doctor-symptoms"><SymptomChecker patientId={id} /></Section>
      <Section title={t("rx.title")}><NewPrescription patientId={id} /><PrescriptionList patientId={id} /></Section>
      <Section title={t("records.title")}><NewRecord patientId={id} /><RecordList patientId={id} /></Section>
    </>
  );
}
