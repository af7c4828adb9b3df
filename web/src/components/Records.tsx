/** A patient's medical record entries, live through `record:*` events. */
import { List, ListItem, ListItemText, Typography } from "@mui/material";
import { useApp, useEvent, useFetch } from "../state";
import { upsertAlert as upsert } from "./AlertList";
import { useNames } from "../names/react";

export function RecordList({ patientId }: { patientId: string }) {
  const { t, lang } = useApp();
  const nameOf = useNames();
  const { data, error, setData } = useFetch<any[]>(`/api/patients/${patientId}/records`);
  const onRecord = (r: any) => { if (r.patient_id === patientId) setData((l) => upsert(l ?? [], r)); };
  useEvent("record:created", onRecord);
  useEvent("record:updated", onRecord);
  if (error) return <Typography role="alert">{t("common.error", { message: error })}</Typography>;
  if (!data) return <Typography>{t("common.loading")}</Typography>;
  if (data.length === 0) return <Typography>{t("common.none")}</Typography>;
  return (
    <List data-testid="record-list">
      {data.map((r) => (
        <ListItem key={r.id} divider data-testid="record">
          <ListItemText primary={`${r.diagnosis} · ${r.visit_date ? new Date(r.visit_date).toLocaleDateString(lang === "fr" ? "fr-FR" : "en-GB") : ""}`}
            secondary={<>{r.doctor_id && <span data-testid="record-author">{t("common.doctor")} {nameOf(r.doctor_id)}</span>}{r.notes ? ` · ${r.notes}` : ""}</>} />
        </ListItem>
      ))}
    </List>
  );
}
