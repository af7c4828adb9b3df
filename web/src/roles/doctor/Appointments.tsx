/**
 * The doctor's slots and appointments: open a slot (day, time and length in the browser's zone;
 * an overlap with another of the doctor's slots is the server's 409, shown on the form), the
 * appointments booked by patients with cancel-with-reason, cancelled ones on demand. Live
 * through `appointment:*` events.
 */
import { FormEvent, useState } from "react";
import { Alert, Box, Button, Chip, FormControlLabel, List, ListItem, ListItemText, Switch, TextField, Typography } from "@mui/material";
import { api, ApiError } from "../../api/http";
import { useApp, useEvent, useFetch, useNow } from "../../state";
import { Section } from "../../components/LiveVitals";
import { slotBody, upcoming } from "../../components/schedule";
import { CancelButton, hhmm } from "../patient/Appointments";

function NewSlot() {
  const { t, dt, lang, toast } = useApp();
  const tomorrow = new Date(Date.now() + 86400_000);
  const [day, setDay] = useState(`${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, "0")}-${String(tomorrow.getDate()).padStart(2, "0")}`);
  const [time, setTime] = useState("09:00");
  const [minutes, setMinutes] = useState("30");
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const body = slotBody(day, time, Number(minutes));
    if (!body) return;
    try {
      const s = await api.post("/api/slots/", body);
      toast(`${t("appt.slotCreated")} : ${dt(s.start_time)} → ${hhmm(lang, s.end_time)}`, "success");
    } catch (err: any) {
      if (err instanceof ApiError && err.code === "slot_overlap") setError(t("appt.overlap"));
      else setError(err instanceof ApiError && err.details?.length ? err.details.map((d: any) => d.message).join(" · ") : err.message);
    }
  };
  return (
    <Box component="form" onSubmit={submit} data-testid="slot-form">
      <Box sx={{ display: "flex", gap: 1.5, flexWrap: "wrap", mb: 1 }}>
        <TextField size="small" type="date" required label={t("appt.date")} value={day} onChange={(e) => setDay(e.target.value)} name="day"
          slotProps={{ inputLabel: { shrink: true } }} />
        <TextField size="small" type="time" required label={t("appt.start")} value={time} onChange={(e) => setTime(e.target.value)} name="time"
          slotProps={{ inputLabel: { shrink: true } }} />
        <TextField size="small" type="number" required label={t("appt.minutes")} value={minutes} onChange={(e) => setMinutes(e.target.value)} name="minutes"
          sx={{ width: 130 }} slotProps={{ htmlInput: { min: 5, max: 720 } }} />
        <Button type="submit" variant="contained" data-testid="slot-create">{t("appt.newSlot")}</Button>
      </Box>
      {error && <Alert severity="error" role="alert" data-testid="slot-error">{error}</Alert>}
    </Box>
  );
}

export function DoctorAppointments() {
  const { t, dt } = useApp();
  const now = useNow(30_000);
  const [showCancelled, setShowCancelled] = useState(false);
  const all = useFetch<any[]>("/api/appointments/doctor/?status=all");
  useEvent("appointment:booked", all.reload);
  useEvent("appointment:cancelled", all.reload);
  useEvent("appointment:reminder", all.reload);
  const list = all.data ?? [];
  const ahead = upcoming(list, now);
  const cancelled = list.filter((a) => a.status === "cancelled");
  return (
    <>
      <Section title={t("appt.newSlot")} testId="doctor-new-slot"><NewSlot /></Section>
      <Section title={t("appt.doctorList")} testId="doctor-appointments">
        <FormControlLabel control={<Switch checked={showCancelled} onChange={(e) => setShowCancelled(e.target.checked)} />} label={t("appt.showCancelled")} />
        {!all.data ? <Typography>{t("common.loading")}</Typography> : ahead.length + (showCancelled ? cancelled.length : 0) === 0
          ? <Typography>{t("common.none")}</Typography> : (
            <List dense>
              {[...ahead, ...(showCancelled ? cancelled : [])].map((a) => (
                <ListItem key={a.id} divider data-testid="appointment" data-id={a.id} data-status={a.status} sx={{ flexWrap: "wrap", gap: 1 }}>
                  <ListItemText sx={{ minWidth: 220 }} primary={`${dt(a.start_time)} · ${a.patient?.name ?? ""}`}
                    secondary={a.status === "cancelled" ? t("appt.cancelledBy", { reason: a.cancel_reason ?? "" }) : undefined} />
                  {a.status === "booked" ? <CancelButton id={a.id} onDone={all.reload} /> : <Chip size="small" label={t("appt.status.cancelled")} />}
                </ListItem>
              ))}
            </List>
          )}
      </Section>
    </>
  );
}
