/**
 * The doctor's treatments view: pick a patient who granted `prescriptions`, see their treatments
 * (days left, adherence, intakes, read-only: only the patient answers them), add one, stop one
 * the doctor added. Live: the server sends `treatment:created|updated|deleted|intake_recorded` to
 * the doctors with an active `prescriptions` grant too, so an intake the patient confirms or skips,
 * or a change made elsewhere, reloads the picked patient's list (each card refreshes its intakes).
 */
import { useState } from "react";
import { Button, MenuItem, TextField, Typography } from "@mui/material";
import { useSearchParams } from "react-router";
import { api, qs } from "../../api/http";
import { useApp, useEvent, useFetch } from "../../state";
import { Section } from "../../components/LiveVitals";
import { AddTreatment, TreatmentCard } from "../patient/Treatments";
import { useNames } from "../../names/react";

export function DoctorTreatments() {
  const { t, toast, user } = useApp();
  const nameOf = useNames();
  const [params, setParams] = useSearchParams();
  const grants = useFetch<any[]>("/api/grants");
  const patients = [...new Set((grants.data ?? []).filter((g) => g.scopes.includes("prescriptions")).map((g) => g.patient_id))];
  const [picked, setPicked] = useState<string>(params.get("patient") ?? "");
  const pid = picked || (patients.length === 1 ? patients[0] : "");
  const list = useFetch<any[]>(pid ? `/api/treatments/${qs({ patient_id: pid })}` : null, [pid]);
  const onEvent = (p: any) => { if (!p?.patient_id || p.patient_id === pid) list.reload(); };
  useEvent("treatment:created", onEvent);
  useEvent("treatment:updated", onEvent);
  useEvent("treatment:deleted", onEvent);
  useEvent("treatment:intake_recorded", onEvent);
  const stop = async (id: string) => {
    try { await api.del(`/api/treatments/${id}/`); list.reload(); } catch (e: any) { toast(t("common.error", { message: e.message }), "error"); }
  };
  return (
    <>
      <Section title={t("nav.doctorTreatments")} testId="doctor-treatments">
        <TextField select size="small" label={t("treat.patient")} value={pid} sx={{ minWidth: 240, mb: 2 }} data-testid="treat-patient"
          onChange={(e) => { setPicked(e.target.value); setParams(e.target.value ? { patient: e.target.value } : {}); }}
          slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}>
          <MenuItem value="">—</MenuItem>
          {patients.map((id) => <MenuItem key={id} value={id}>{nameOf(id)}</MenuItem>)}
        </TextField>
        {!pid ? <Typography>{t("treat.pickPatient")}</Typography>
          : list.error ? <Typography role="alert">{t("common.error", { message: list.error })}</Typography>
            : !list.data ? <Typography>{t("common.loading")}</Typography>
              : list.data.length === 0 ? <Typography>{t("treat.none")}</Typography>
                : list.data.map((tr) => (
                  <TreatmentCard key={tr.id} tr={tr} onChange={list.reload} readOnly>
                    <Typography variant="body2" color="text.secondary" data-testid="treatment-by">
                      {t("treat.addedBy", { who: nameOf(tr.created_by) })}
                    </Typography>
                    {tr.created_by === user.sub && (
                      <Button size="small" color="error" variant="outlined" sx={{ mt: 1 }} onClick={() => stop(tr.id)} data-testid="treatment-stop">
                        {t("treat.delete")}
                      </Button>
                    )}
                  </TreatmentCard>
                ))}
      </Section>
      {pid && <Section title={t("tr.add")} testId="doctor-add-treatment"><AddTreatment patientId={pid} onAdded={list.reload} /></Section>}
    </>
  );
}
