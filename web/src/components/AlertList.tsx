/**
 * Alerts (a patient's own, or one patient's for a doctor), live through `alert:*` events.
 * Doctors acknowledge or clear with a comment; a 409 (someone else was first) is shown.
 */
import { useState } from "react";
import { Box, Button, Chip, List, ListItem, ListItemText, TextField, Typography } from "@mui/material";
import { api, qs } from "../api/http";
import { useApp, useEvent, useFetch } from "../state";
import { MessageKey } from "../i18n/messages";
import { useNames } from "../names/react";
import { canAcknowledge, isOpen, measuredPeriod } from "./alertState";
import { alertLabel, causeLabels } from "./alertCauses";

export { alertLabel };

export const ALERT_EVENTS = ["alert:raised", "alert:updated", "alert:acknowledged", "alert:cleared", "alert:escalated"];
const sevColor: Record<string, "default" | "info" | "warning" | "error"> = { info: "info", warning: "warning", critical: "error", emergency: "error" };

export function upsertAlert(list: any[], alert: any): any[] {
  const i = list.findIndex((a) => a.id === alert.id);
  if (i < 0) return [alert, ...list];
  const next = list.slice();
  next[i] = alert;
  return next;
}

export function stateKey(a: any): MessageKey {
  if (String(a.state).startsWith("cleared")) return "alerts.cleared";
  return a.state === "active_acknowledged" ? "alerts.acknowledged" : "alerts.unacknowledged";
}

export function AlertList({ patientId, canAct }: { patientId?: string; canAct: boolean }) {
  const { t, dt, toast } = useApp();
  const { data, error, setData } = useFetch<any[]>(`/api/iot/alerts${qs({ patient: patientId, limit: 50 })}`);
  const [comment, setComment] = useState<Record<string, string>>({});
  for (const ev of ALERT_EVENTS) {
    // eslint-disable-next-line react-hooks/rules-of-hooks
    useEvent(ev, (p) => { if (!patientId || p.alert.patient_id === patientId) setData((l) => upsertAlert(l ?? [], p.alert)); });
  }
  const nameOf = useNames();
  const act = async (id: string, action: "acknowledge" | "clear") => {
    try {
      const a = await api.post(`/api/iot/alerts/${id}/${action}`, { comment: comment[id] || undefined });
      setData((l) => upsertAlert(l ?? [], a));
    } catch (e: any) {
      toast(t("common.error", { message: e.message }), "error");
    }
  };
  if (error) return <Typography role="alert">{t("common.error", { message: error })}</Typography>;
  if (!data) return <Typography>{t("common.loading")}</Typography>;
  if (data.length === 0) return <Typography data-testid="alerts-empty">{t("alerts.none")}</Typography>;
  return (
    <List dense data-testid="alert-list">
      {data.map((a) => {
        const open = isOpen(a);
        const period = measuredPeriod(a);
        return (
          <ListItem key={a.id} divider data-testid="alert" data-alert-id={a.id} data-state={a.state} data-severity={a.severity} data-type={a.type}
            sx={{ flexWrap: "wrap", gap: 1 }}>
            <Chip size="small" color={sevColor[a.severity] ?? "default"} label={t(`severity.${a.severity}` as MessageKey)} />
            <ListItemText sx={{ minWidth: 200 }}
              primary={<>{alertLabel(t, a.type)} · <span data-testid="alert-state">{t(stateKey(a))}</span>{a.last_value != null ? ` · ${a.last_value}` : ""}</>}
              secondary={<>{causeLabels(t, a).length > 0 && <span data-testid="alert-causes">{t("alerts.causes", { causes: causeLabels(t, a).join(" · ") })} · </span>}{period ? <span data-testid="alert-retrospective">{t("alerts.retrospective", { from: dt(period.from), to: dt(period.to) })}</span> : dt(a.first_at)}{a.acknowledged_by ? ` · ${t("alerts.ackBy", { who: nameOf(a.acknowledged_by), comment: a.ack_comment ?? "" })}` : ""}</>} />
            {canAct && (open || canAcknowledge(a)) && (
              <Box sx={{ display: "flex", gap: 1, flexWrap: "wrap", alignItems: "center" }}>
                <TextField size="small" label={t("common.comment")} value={comment[a.id] ?? ""}
                  onChange={(e) => setComment((c) => ({ ...c, [a.id]: e.target.value }))} slotProps={{ htmlInput: { "data-testid": "alert-comment" } as any }} />
                {canAcknowledge(a) && (
                  <Button variant="contained" size="small" onClick={() => act(a.id, "acknowledge")} data-testid="alert-ack">{t("alerts.ack")}</Button>
                )}
                {open && <Button variant="outlined" size="small" onClick={() => act(a.id, "clear")} data-testid="alert-clear">{t("alerts.clear")}</Button>}
              </Box>
            )}
          </ListItem>
        );
      })}
    </List>
  );
}
