/**
 * The patient's appointments: find an open slot (by speciality, doctor, day), book it (a slot
 * someone else took first is a 409, shown, and the list reloads), upcoming appointments with
 * cancel-with-reason, cancelled ones. Live through `appointment:*` events.
 */
import { FormEvent, useState } from "react";
import { Alert, Box, Button, Chip, List, ListItem, ListItemText, MenuItem, TextField, Typography } from "@mui/material";
import { api, ApiError, qs } from "../../api/http";
import { useApp, useEvent, useFetch, useNow } from "../../state";
import { Section } from "../../components/LiveVitals";
import { upcoming } from "../../components/schedule";

/** "10:30" / "10:30" in the user's language (the end of a slot, its day being the start's). */
export function hhmm(lang: string, iso: string): string {
  return new Date(iso).toLocaleTimeString(lang === "fr" ? "fr-FR" : "en-GB", { hour: "2-digit", minute: "2-digit" });
}

export function CancelButton({ id, onDone }: { id: string; onDone: () => void }) {
  const { t, toast } = useApp();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api.post(`/api/appointments/${id}/cancel/`, { reason: reason.trim() });
      toast(t("appt.cancelled"), "success");
      setOpen(false); onDone();
    } catch (err: any) { toast(t("common.error", { message: err.message }), "error"); onDone(); }
  };
  if (!open) return <Button size="small" color="error" variant="outlined" onClick={() => setOpen(true)} data-testid="appt-cancel">{t("appt.cancel")}</Button>;
  return (
    <Box component="form" onSubmit={submit} sx={{ display: "flex", gap: 1, flexWrap: "wrap", alignItems: "center" }}>
      <TextField size="small" required label={t("appt.cancelReason")} value={reason} onChange={(e) => setReason(e.target.value)}
        slotProps={{ htmlInput: { maxLength: 1000, "data-testid": "appt-cancel-reason" } as any }} />
      <Button type="submit" size="small" color="error" variant="contained" disabled={!reason.trim()} data-testid="appt-cancel-confirm">{t("appt.confirmCancel")}</Button>
      <Button size="small" onClick={() => setOpen(false)}>{t("common.cancel")}</Button>
    </Box>
  );
}

function FindSlot({ onBooked }: { onBooked: () => void }) {
  const { t, dt, lang, toast } = useApp();
  const [speciality, setSpeciality] = useState("");
  const [doctorId, setDoctorId] = useState("");
  const [day, setDay] = useState("");
  const [query, setQuery] = useState(qs({}));
  const doctors = useFetch<any[]>("/api/doctors/");
  const slots = useFetch<any[]>(`/api/slots/available/${query}`);
  const [conflict, setConflict] = useState<string | null>(null);
  useEvent("appointment:booked", () => slots.reload());
  useEvent("appointment:cancelled", () => slots.reload());
  const specialities = [...new Set((doctors.data ?? []).map((d) => d.speciality).filter(Boolean))].sort();
  const search = (e: FormEvent) => { e.preventDefault(); setConflict(null); setQuery(qs({ speciality, doctor_id: doctorId, date: day })); };
  const book = async (slot: any) => {
    setConflict(null);
    try {
      await api.post("/api/slots/reserve/", { slot_id: slot.id, doctor_id: slot.doctor.id });
      toast(t("appt.booked"), "success");
      onBooked();
    } catch (err: any) {
      if (err instanceof ApiError && err.status === 409) setConflict(t("appt.taken"));
      else toast(t("common.error", { message: err.message }), "error");
    }
    slots.reload();
  };
  return (
    <>
      <Box component="form" onSubmit={search} sx={{ display: "flex", gap: 1.5, flexWrap: "wrap", mb: 1.5 }} data-testid="slot-search">
        <TextField select size="small" label={t("appt.speciality")} value={speciality} sx={{ minWidth: 180 }} name="speciality"
          onChange={(e) => { setSpeciality(e.target.value); setDoctorId(""); }} slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}>
          <MenuItem value="">—</MenuItem>
          {specialities.map((s) => <MenuItem key={s} value={s}>{s}</MenuItem>)}
        </TextField>
        <TextField select size="small" label={t("appt.doctor")} value={doctorId} sx={{ minWidth: 200 }} name="doctor"
          onChange={(e) => setDoctorId(e.target.value)} slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}>
          <MenuItem value="">{t("appt.anyDoctor")}</MenuItem>
          {(doctors.data ?? []).filter((d) => !speciality || d.speciality === speciality).map((d) => <MenuItem key={d.id} value={d.id}>{d.name}</MenuItem>)}
        </TextField>
        <TextField size="small" type="date" label={t("appt.date")} value={day} onChange={(e) => setDay(e.target.value)} name="day"
          slotProps={{ inputLabel: { shrink: true } }} />
        <Button type="submit" variant="outlined">{t("appt.search")}</Button>
      </Box>
      {conflict && <Alert severity="warning" role="alert" sx={{ mb: 1 }} data-testid="slot-conflict">{conflict}</Alert>}
      <Typography variant="subtitle1" component="h3">{t("appt.available")}</Typography>
      {slots.error ? <Typography role="alert">{t("common.error", { message: slots.error })}</Typography>
        : !slots.data ? <Typography>{t("common.loading")}</Typography>
          : slots.data.length === 0 ? <Typography data-testid="no-slot">{t("appt.noSlot")}</Typography> : (
            <List dense data-testid="slots">
              {slots.data.map((s) => (
                <ListItem key={s.id} divider data-testid="slot" data-id={s.id} sx={{ flexWrap: "wrap", gap: 1 }}>
                  <ListItemText sx={{ minWidth: 220 }} primary={`${dt(s.start_time)} → ${hhmm(lang, s.end_time)}`}
                    secondary={`${s.doctor?.name ?? ""}${s.doctor?.speciality ? " · " + s.doctor.speciality : ""}`} />
                  <Button size="small" variant="contained" onClick={() => book(s)} data-testid="slot-book">{t("appt.book")}</Button>
                </ListItem>
              ))}
            </List>
          )}
    </>
  );
}

export default function PatientAppointments() {
  const { t, dt } = useApp();
  const now = useNow(30_000);
  const all = useFetch<any[]>("/api/appointments/patient/?status=all");
  useEvent("appointment:booked", all.reload);
  useEvent("appointment:cancelled", all.reload);
  useEvent("appointment:reminder", all.reload);
  const list = all.data ?? [];
  const ahead = upcoming(list, now);
  const cancelled = list.filter((a) => a.status === "cancelled");
  return (
    <>
      <Section title={t("appt.find")} testId="patient-find-slot"><FindSlot onBooked={all.reload} /></Section>
      <Section title={t("appt.upcoming")} testId="patient-appointments">
        {!all.data ? <Typography>{t("common.loading")}</Typography> : ahead.length === 0 ? <Typography>{t("common.none")}</Typography> : (
          <List dense>
            {ahead.map((a) => (
              <ListItem key={a.id} divider data-testid="appointment" data-id={a.id} data-status={a.status} sx={{ flexWrap: "wrap", gap: 1 }}>
                <ListItemText sx={{ minWidth: 220 }} primary={dt(a.start_time)}
                  secondary={t("appt.with", { name: `${a.doctor?.name ?? ""}${a.doctor?.speciality ? " · " + a.doctor.speciality : ""}` })} />
                <CancelButton id={a.id} onDone={all.reload} />
              </ListItem>
            ))}
          </List>
        )}
      </Section>
      {cancelled.length > 0 && (
        <Section title={t("appt.history")} testId="patient-cancelled">
          <List dense>
            {cancelled.map((a) => (
              <ListItem key={a.id} divider data-testid="appointment" data-id={a.id} data-status={a.status}>
                <ListItemText primary={`${dt(a.start_time)} · ${a.doctor?.name ?? ""}`} secondary={t("appt.cancelledBy", { reason: a.cancel_reason ?? "" })} />
                <Chip size="small" label={t("appt.status.cancelled")} />
              </ListItem>
            ))}
          </List>
        </Section>
      )}
    </>
  );
}
