/** Prescriptions with their status timeline, live through `prescription:*` events. */
import { Chip, List, ListItem, Step, StepLabel, Stepper, Typography } from "@mui/material";
import { qs } from "../api/http";
import { Scroll } from "./Scroll";
import { useApp, useEvent, useFetch } from "../state";
import { MessageKey } from "../i18n/messages";
import { upsertAlert as upsert } from "./AlertList";
import { useNames } from "../names/react";

export const FLOW = ["created", "validated", "prepared", "ready", "delivered"];

export function Timeline({ rx }: { rx: any }) {
  const { t, dt } = useApp();
  const ended = rx.status === "rejected" || rx.status === "cancelled";
  const at = (status: string) => (rx.history ?? []).find((h: any) => h.to === status)?.at ?? (status === "created" ? rx.created_at : null);
  const active = ended ? -1 : FLOW.indexOf(rx.status);
  return (
    <Scroll label={t("rx.timeline")}>
      <Stepper activeStep={active} alternativeLabel aria-label={t("rx.timeline")} sx={{ minWidth: 420 }}>
        {FLOW.map((s, i) => (
          <Step key={s} completed={!ended && i <= active}>
            <StepLabel optional={at(s) ? <Typography variant="caption">{dt(at(s))}</Typography> : undefined}>
              {t(`status.${s}` as MessageKey)}
            </StepLabel>
          </Step>
        ))}
      </Stepper>
      {ended && <Chip color="error" label={`${t(`status.${rx.status}` as MessageKey)}${rx.history?.at(-1)?.reason ? " · " + rx.history.at(-1).reason : ""}`} />}
    </Scroll>
  );
}

export function PrescriptionList({ patientId }: { patientId?: string }) {
  const { t } = useApp();
  const nameOf = useNames();
  const { data, error, setData } = useFetch<any[]>(`/api/prescriptions${qs({ patient_id: patientId })}`);
  const onRx = (rx: any) => { if (!patientId || rx.patient_id === patientId) setData((l) => upsert(l ?? [], rx)); };
  useEvent("prescription:new", onRx);
  useEvent("prescription:status_changed", onRx);
  if (error) return <Typography role="alert">{t("common.error", { message: error })}</Typography>;
  if (!data) return <Typography>{t("common.loading")}</Typography>;
  if (data.length === 0) return <Typography>{t("common.none")}</Typography>;
  return (
    <List data-testid="rx-list">
      {data.map((rx) => (
        <ListItem key={rx.id} divider data-testid="rx" data-rx-id={rx.id} data-status={rx.status} sx={{ display: "block" }}>
          <Typography variant="subtitle1" component="h3">
            {rx.medications.map((m: any) => `${m.name} ${m.dose ?? ""}`).join(", ")} ·{" "}
            <span data-testid="rx-status">{t(`status.${rx.status}` as MessageKey)}</span>
          </Typography>
          <Typography variant="body2">{rx.medications.map((m: any) => [m.frequency, m.duration].filter(Boolean).join(" · ")).join(" / ")}</Typography>
          <Typography variant="body2" data-testid="rx-prescriber">{t("rx.prescriber")} : {nameOf(rx.doctor_id)}</Typography>
          <Timeline rx={rx} />
        </ListItem>
      ))}
    </List>
  );
}
