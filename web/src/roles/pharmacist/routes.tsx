/** The pharmacist's screens (one lazy chunk): the live prescription queue, the stock, chat with prescribers. */
import { FormEvent, useState } from "react";
import { Route, Routes } from "react-router";
import { Alert, Box, Button, Chip, List, ListItem, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography } from "@mui/material";
import { api, ApiError } from "../../api/http";
import { Scroll } from "../../components/Scroll";
import { useApp, useEvent, useFetch } from "../../state";
import { MessageKey } from "../../i18n/messages";
import { upsertAlert as upsert } from "../../components/AlertList";
import { Section } from "../../components/LiveVitals";
import { Timeline } from "../../components/Prescriptions";
import { Chat } from "../../components/Chat";
import { useNames } from "../../names/react";

const NEXT: Record<string, string> = { created: "validated", validated: "prepared", prepared: "ready", ready: "delivered" };

const FINAL = ["delivered", "rejected", "cancelled"];
const meds = (rx: any) => rx.medications.map((m: any) => m.name).join(", ");

function Queue() {
  const { t, toast } = useApp();
  const nameOf = useNames();
  const { data, setData, reload } = useFetch<any[]>("/api/prescriptions");
  const [conflict, setConflict] = useState<Record<string, string>>({});
  const [reason, setReason] = useState<Record<string, string>>({});
  const onRx = (rx: any) => setData((l) => upsert(l ?? [], rx));
  useEvent("prescription:new", onRx);
  useEvent("prescription:status_changed", onRx);
  const move = async (rx: any, status: string) => {
    try {
      const out = await api.post(`/api/prescriptions/${rx.id}/status`, { status, reason: reason[rx.id] || undefined });
      onRx(out);
      setConflict((c) => ({ ...c, [rx.id]: "" }));
    } catch (e: any) {
      if (e instanceof ApiError && e.status === 409) {
        setConflict((c) => ({ ...c, [rx.id]: t("rx.conflict", { message: `${e.code}: ${e.message}` }) }));
        reload();
      } else toast(t("common.error", { message: e.message }), "error");
    }
  };
  return (
    <Section title={t("nav.queue")} testId="rx-queue">
      {!data ? <Typography>{t("common.loading")}</Typography> : data.length === 0 ? <Typography>{t("common.none")}</Typography> : (
        <List>
          {data.map((rx) => (
            <ListItem key={rx.id} divider data-testid="queue-rx" data-rx-id={rx.id} data-status={rx.status} sx={{ display: "block" }}>
              <Typography variant="subtitle1" component="h3">
                {rx.medications.map((m: any) => `${m.name} ${m.dose ?? ""} ×${m.quantity ?? 1}`).join(", ")} · {t(`status.${rx.status}` as MessageKey)}
              </Typography>
              <Typography variant="body2" data-testid="rx-people">
                {t("rx.prescriber")} : {nameOf(rx.doctor_id)} · {t("rx.for")} : {nameOf(rx.patient_id)}
              </Typography>
              <Timeline rx={rx} />
              {conflict[rx.id] && <Alert severity="warning" role="alert" data-testid="rx-conflict">{conflict[rx.id]}</Alert>}
              {NEXT[rx.status] && (
                <Box sx={{ display: "flex", gap: 1, flexWrap: "wrap", mt: 1, alignItems: "center" }}>
                  <Button variant="contained" size="small" data-testid="rx-next" onClick={() => move(rx, NEXT[rx.status])}>
                    {t("rx.moveTo", { status: t(`status.${NEXT[rx.status]}` as MessageKey) })}
                  </Button>
                  <TextField size="small" label={t("common.reason")} value={reason[rx.id] ?? ""} onChange={(e) => setReason((r) => ({ ...r, [rx.id]: e.target.value }))} />
                  <Button variant="outlined" color="error" size="small" onClick={() => move(rx, "rejected")}>{t("access.reject")}</Button>
                </Box>
              )}
            </ListItem>
          ))}
        </List>
      )}
    </Section>
  );
}

function Stock() {
  const { t, toast } = useApp();
  const { data, setData } = useFetch<any[]>("/api/inventory");
  const [form, setForm] = useState({ name: "", quantity: 10, threshold: 10 });
  const onItem = (i: any) => setData((l) => {
    const list = l ?? [];
    const k = list.findIndex((x) => x.name.toLowerCase() === i.name.toLowerCase());
    return k < 0 ? [...list, i] : list.map((x, j) => (j === k ? { ...x, ...i } : x));
  });
  useEvent("inventory:updated", onItem);
  useEvent("inventory:low_stock", (i) => { onItem(i); toast(`${t("stock.low")}: ${i.name} (${i.quantity})`, "warning"); });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try { onItem(await api.post("/api/inventory", form)); } catch (err: any) { toast(t("common.error", { message: err.message }), "error"); }
  };
  return (
    <Section title={t("stock.title")} testId="stock">
      <Box component="form" onSubmit={submit} sx={{ display: "flex", gap: 1, flexWrap: "wrap", mb: 2 }}>
        <TextField size="small" required label={t("rx.medName")} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        <TextField size="small" type="number" label={t("stock.quantity")} value={form.quantity} onChange={(e) => setForm({ ...form, quantity: Number(e.target.value) })} />
        <TextField size="small" type="number" label={t("stock.threshold")} value={form.threshold} onChange={(e) => setForm({ ...form, threshold: Number(e.target.value) })} />
        <Button type="submit" variant="contained">{t("stock.restock")}</Button>
      </Box>
      {!data ? <Typography>{t("common.loading")}</Typography> : (
        <Scroll label={t("stock.title")}>
          <Table size="small" aria-label={t("stock.title")}>
            <TableHead><TableRow><TableCell>{t("common.name")}</TableCell><TableCell>{t("stock.quantity")}</TableCell><TableCell>{t("stock.threshold")}</TableCell><TableCell>{t("common.status")}</TableCell></TableRow></TableHead>
            <TableBody>
              {data.map((i) => (
                <TableRow key={i.name} data-testid="stock-row">
                  <TableCell>{i.name}</TableCell><TableCell>{i.quantity}</TableCell><TableCell>{i.threshold}</TableCell>
                  <TableCell>{i.quantity < i.threshold ? <Chip size="small" color="warning" label={t("stock.low")} /> : "OK"}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Scroll>
      )}
    </Section>
  );
}

/** Chat with prescribers: one conversation per open prescription and its doctor (rooms.access.may_chat). */
function PrescriberChat() {
  const { t } = useApp();
  const { data } = useFetch<any[]>("/api/prescriptions?limit=200");
  const nameOf = useNames();
  const open = (data ?? []).filter((rx) => !FINAL.includes(rx.status));
  const contacts = open.map((rx) => ({ id: rx.doctor_id, prescriptionId: rx.id,
    label: t("chat.prescriber", { doctor: nameOf(rx.doctor_id), meds: meds(rx) }) }));
  return (
    <Section title={t("chat.title")} testId="pharmacist-chat">
      {data && open.length === 0 && <Typography sx={{ mb: 1 }}>{t("chat.noPrescriber")}</Typography>}
      <Chat contacts={contacts} />
    </Section>
  );
}

export default function PharmacistRoutes() {
  return (
    <Routes>
      <Route index element={<Queue />} />
      <Route path="stock" element={<Stock />} />
      <Route path="chat" element={<PrescriberChat />} />
    </Routes>
  );
}
