/** The administrator's screens (one lazy chunk): devices, users, care units, device sessions. */
import { FormEvent, useEffect, useState } from "react";
import { Route, Routes } from "react-router";
import { Alert, Box, Button, Chip, List, ListItem, ListItemText, MenuItem, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography } from "@mui/material";
import { api } from "../../api/http";
import { Scroll } from "../../components/Scroll";
import { useApp, useEvent, useFetch, useNow } from "../../state";
import { MessageKey } from "../../i18n/messages";
import { Section } from "../../components/LiveVitals";
import { useNames } from "../../names/react";

const TYPES = ["heart", "temperature", "blood_pressure", "oxygen", "glucose", "multi_sensor"];
const COMMANDS = ["identify", "set_interval", "sync_time", "reboot"];

const RANK: Record<string, number> = { queued: 0, sent: 1, acked: 2, failed: 2 };
/** A command into the list, newest first; a later state is never replaced by an earlier one. */
function mergeCommand(list: any[], c: any): any[] {
  const old = list.find((x) => x.id === c.id);
  if (!old) return [c, ...list];
  return (RANK[c.status] ?? 0) >= (RANK[old.status] ?? 0) ? list.map((x) => (x.id === c.id ? c : x)) : list;
}

function DeviceDetail({ device, onChange }: { device: any; onChange: (d: any) => void }) {
  const { t, toast, dt } = useApp();
  const commands = useFetch<any[]>(`/api/iot/devices/${device.id}/commands`);
  const rejected = useFetch<any>(`/api/iot/devices/${device.id}/rejected`);
  const [command, setCommand] = useState("identify");
  const [patient, setPatient] = useState(device.patient_id ?? "");
  // Acks arrive live (`device:command_acked` to role:admin); the slow poll only covers one missed while offline.
  useEffect(() => { const h = window.setInterval(commands.reload, 30_000); return () => window.clearInterval(h); }, [commands.reload]);
  useEvent("device:command_acked", (c) => { if (c.device_id === device.id) commands.setData((l) => mergeCommand(l ?? [], c)); });
  const send = async () => {
    try {
      const c = await api.post(`/api/iot/devices/${device.id}/commands`, { command, params: command === "set_interval" ? { interval_s: 10 } : {} });
      commands.setData((l) => mergeCommand(l ?? [], c)); // the ack may have come first: never step back
    } catch (e: any) { toast(t("common.error", { message: e.message }), "error"); }
  };
  const assign = async () => {
    try { onChange(await api.patch(`/api/iot/devices/${device.id}`, { patient_id: patient.trim() || null })); } catch (e: any) { toast(t("common.error", { message: e.message }), "error"); }
  };
  return (
    <Box sx={{ p: 1, bgcolor: "#f7fafa" }}>
      <Box sx={{ display: "flex", gap: 1, flexWrap: "wrap", mb: 1 }}>
        <TextField size="small" label={t("devices.assign")} value={patient} onChange={(e) => setPatient(e.target.value)} />
        <Button size="small" variant="outlined" onClick={assign}>{t("common.save")}</Button>
        <TextField select size="small" label={t("devices.command")} value={command} onChange={(e) => setCommand(e.target.value)} sx={{ minWidth: 150 }}>
          {COMMANDS.map((c) => <MenuItem key={c} value={c}>{c}</MenuItem>)}
        </TextField>
        <Button size="small" variant="contained" onClick={send} data-testid="device-send-command">{t("common.send")}</Button>
      </Box>
      <Typography variant="subtitle2" component="h3">{t("devices.commands")}</Typography>
      <List dense>{(commands.data ?? []).map((c) => (
        <ListItem key={c.id} data-testid="device-command" data-status={c.status} data-id={c.id}>
          <ListItemText primary={`${c.command} · ${c.status}${c.via ? " · " + c.via : ""}`} secondary={c.acked_at ? dt(c.acked_at) : dt(c.created_at)} />
        </ListItem>))}
      </List>
      <Typography variant="subtitle2" component="h3">{t("devices.rejected")}: {rejected.data?.count ?? 0}</Typography>
      <List dense>{(rejected.data?.items ?? rejected.data?.latest ?? []).slice(0, 10).map((r: any, i: number) => (
        <ListItem key={i}><ListItemText primary={`${r.code ?? ""} ${r.reason ?? ""}`} secondary={r.received_at ? dt(r.received_at) : ""} /></ListItem>))}
      </List>
    </Box>
  );
}

function Devices() {
  const { t, toast, ago, num } = useApp();
  const nameOf = useNames();
  const now = useNow(5000);
  const { data, setData } = useFetch<any[]>("/api/iot/devices");
  const [token, setToken] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [form, setForm] = useState({ name: "", type: "multi_sensor", mac: "", patient_id: "" });
  const replace = (d: any) => setData((l) => (l ?? []).some((x) => x.id === d.id) ? (l ?? []).map((x) => (x.id === d.id ? { ...x, ...d } : x)) : [...(l ?? []), d]);
  useEvent("device:status", (s) => setData((l) => (l ?? []).map((d) => (d.id === s.device_id ? { ...d, online: s.online, last_seen: s.at } : d))));
  useEvent("device:command_acked", (c) => toast(t("devices.acked", { command: c.command, device: (data ?? []).find((d) => d.id === c.device_id)?.name ?? c.device_id }),
    c.status === "acked" ? "success" : "warning"));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const d = await api.post("/api/iot/devices", { ...form, patient_id: form.patient_id.trim() || undefined });
      setToken(d.token);
      const { token: _ignored, ...rest } = d;
      void _ignored;
      replace(rest);
    } catch (err: any) { toast(t("common.error", { message: err.message }), "error"); }
  };
  return (
    <Section title={t("nav.devices")} testId="admin-devices">
      <Box component="form" onSubmit={submit} sx={{ display: "flex", gap: 1, flexWrap: "wrap", mb: 1 }} aria-label={t("devices.provision")}>
        <TextField size="small" required label={t("common.name")} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })}
          slotProps={{ htmlInput: { "data-testid": "device-name" } as any }} />
        <TextField size="small" select label={t("devices.type")} value={form.type} onChange={(e) => setForm({ ...form, type: e.target.value })} sx={{ minWidth: 150 }}>
          {TYPES.map((x) => <MenuItem key={x} value={x}>{x}</MenuItem>)}
        </TextField>
        <TextField size="small" required label={t("devices.mac")} value={form.mac} onChange={(e) => setForm({ ...form, mac: e.target.value })}
          slotProps={{ htmlInput: { "data-testid": "device-mac" } as any }} />
        <TextField size="small" label={t("devices.assign")} value={form.patient_id} onChange={(e) => setForm({ ...form, patient_id: e.target.value })}
          slotProps={{ htmlInput: { "data-testid": "device-patient" } as any }} />
        <Button type="submit" variant="contained" data-testid="device-provision">{t("devices.provision")}</Button>
      </Box>
      {token && <Alert severity="warning" onClose={() => setToken(null)} sx={{ mb: 1, wordBreak: "break-all" }} data-testid="device-token">{t("devices.token", { token })}</Alert>}
      <Scroll label={t("nav.devices")}>
        <Table size="small" aria-label={t("nav.devices")}>
          <TableHead><TableRow>
            <TableCell>{t("common.name")}</TableCell><TableCell>{t("common.status")}</TableCell><TableCell>{t("common.patient")}</TableCell>
            <TableCell>%</TableCell><TableCell>{t("device.signal")}</TableCell><TableCell>{t("devices.lastSeen")}</TableCell>
            <TableCell>{t("devices.rejected")}</TableCell><TableCell>{t("common.actions")}</TableCell>
          </TableRow></TableHead>
          <TableBody>
            {(data ?? []).map((d) => [
              <TableRow key={d.id} data-testid="device-row" data-device={d.id}>
                <TableCell>{d.name}<br /><code>{d.id}</code></TableCell>
                <TableCell><Chip size="small" color={d.online ? "success" : "default"} label={`${d.status} · ${d.online ? t("device.online") : t("device.offline")}`} /></TableCell>
                <TableCell>{d.patient_id ? nameOf(d.patient_id) : "—"}</TableCell>
                <TableCell>{d.battery != null ? num(d.battery, 0) : "—"}</TableCell>
                <TableCell>{d.signal_quality ?? "—"}</TableCell>
                <TableCell>{d.last_seen ? ago(d.last_seen, now) : "—"}</TableCell>
                <TableCell>{d.rejected_count}</TableCell>
                <TableCell><Button size="small" onClick={() => setOpen(open === d.id ? null : d.id)} aria-expanded={open === d.id}>{t("devices.commands")}</Button></TableCell>
              </TableRow>,
              open === d.id && <TableRow key={d.id + "-detail"}><TableCell colSpan={8}><DeviceDetail device={d} onChange={replace} /></TableCell></TableRow>,
            ])}
          </TableBody>
        </Table>
      </Scroll>
    </Section>
  );
}

function Users() {
  const { t, toast } = useApp();
  const { data, reload } = useFetch<any[]>("/api/users/");
  const [f, setF] = useState({ username: "", password: "", role: "doctor", first_name: "", last_name: "", speciality: "" });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api.post("/api/users/", { ...f, speciality: f.role === "doctor" ? f.speciality : undefined });
      reload();
    } catch (err: any) { toast(t("common.error", { message: err.message }), "error"); }
  };
  return (
    <Section title={t("users.title")} testId="admin-users">
      <Box component="form" onSubmit={submit} sx={{ display: "flex", gap: 1, flexWrap: "wrap", mb: 1 }}>
        <TextField size="small" required label={t("login.username")} value={f.username} onChange={(e) => setF({ ...f, username: e.target.value })} />
        <TextField size="small" required type="password" label={t("login.password")} value={f.password} onChange={(e) => setF({ ...f, password: e.target.value })} />
        <TextField size="small" select label={t("users.role")} value={f.role} onChange={(e) => setF({ ...f, role: e.target.value })} sx={{ minWidth: 140 }}>
          {["doctor", "pharmacist", "admin"].map((r) => <MenuItem key={r} value={r}>{t(`role.${r}` as MessageKey)}</MenuItem>)}
        </TextField>
        <TextField size="small" label="Prénom / First name" value={f.first_name} onChange={(e) => setF({ ...f, first_name: e.target.value })} />
        <TextField size="small" label="Nom / Last name" value={f.last_name} onChange={(e) => setF({ ...f, last_name: e.target.value })} />
        {f.role === "doctor" && <TextField size="small" required label="Spécialité / Speciality" value={f.speciality} onChange={(e) => setF({ ...f, speciality: e.target.value })} />}
        <Button type="submit" variant="contained">{t("common.create")}</Button>
      </Box>
      <Scroll label={t("users.title")}>
        <Table size="small" aria-label={t("users.title")}>
          <TableHead><TableRow><TableCell>{t("login.username")}</TableCell><TableCell>{t("common.name")}</TableCell><TableCell>{t("users.role")}</TableCell><TableCell>{t("common.id")}</TableCell></TableRow></TableHead>
          <TableBody>{(data ?? []).map((u) => (
            <TableRow key={u.id} data-testid="user-row"><TableCell>{u.username}</TableCell><TableCell>{u.first_name} {u.last_name}</TableCell>
              <TableCell>{t(`role.${u.role}` as MessageKey)}</TableCell><TableCell><code>{u.id}</code></TableCell></TableRow>))}
          </TableBody>
        </Table>
      </Scroll>
    </Section>
  );
}

function Units() {
  const { t, toast } = useApp();
  const nameOf = useNames();
  const { data, reload } = useFetch<any[]>("/api/care-units/");
  const [name, setName] = useState("");
  const [kind, setKind] = useState("ward");
  const [adds, setAdds] = useState<Record<string, string>>({});
  const run = async (fn: () => Promise<unknown>) => { try { await fn(); reload(); } catch (e: any) { toast(t("common.error", { message: e.message }), "error"); } };
  return (
    <Section title={t("units.title")} testId="admin-units">
      <Box component="form" onSubmit={(e) => { e.preventDefault(); run(() => api.post("/api/care-units/", { name, kind })); }} sx={{ display: "flex", gap: 1, mb: 1, flexWrap: "wrap" }}>
        <TextField size="small" required label={t("common.name")} value={name} onChange={(e) => setName(e.target.value)} />
        <TextField size="small" select label={t("units.kind")} value={kind} onChange={(e) => setKind(e.target.value)} sx={{ minWidth: 140 }}>
          <MenuItem value="ward">ward</MenuItem><MenuItem value="home_care">home_care</MenuItem>
        </TextField>
        <Button type="submit" variant="contained">{t("common.create")}</Button>
      </Box>
      {(data ?? []).map((u) => (
        <Box key={u.id} sx={{ borderTop: "1px solid #ddd", py: 1 }} data-testid="unit">
          <Typography variant="subtitle1" component="h3">{u.name} ({u.kind})</Typography>
          {(["staff", "patients"] as const).map((part) => (
            <Box key={part} sx={{ display: "flex", gap: 1, flexWrap: "wrap", alignItems: "center", mb: 0.5 }}>
              <Typography variant="body2" sx={{ minWidth: 70 }}>{t(`units.${part}` as MessageKey)}</Typography>
              {(u[part === "staff" ? "staff_ids" : "patient_ids"] ?? []).map((id: string) => (
                <Chip key={id} size="small" label={nameOf(id)} onDelete={() => run(() => api.del(`/api/care-units/${u.id}/${part}/${id}`))} />
              ))}
              <TextField size="small" label={t(part === "staff" ? "units.addStaff" : "units.addPatient")} value={adds[u.id + part] ?? ""}
                onChange={(e) => setAdds((a) => ({ ...a, [u.id + part]: e.target.value }))} />
              <Button size="small" onClick={() => run(() => api.post(`/api/care-units/${u.id}/${part}`, { user_id: (adds[u.id + part] ?? "").trim() }))}>{t("common.save")}</Button>
            </Box>
          ))}
        </Box>
      ))}
    </Section>
  );
}

function Sessions() {
  const { t, dt, ago } = useApp();
  const now = useNow(5000);
  const { data, reload } = useFetch<any[]>("/api/iot/sessions");
  useEffect(() => { const h = window.setInterval(reload, 5000); return () => window.clearInterval(h); }, [reload]);
  useEvent("device:status", () => reload());
  return (
    <Section title={t("sessions.title")} testId="admin-sessions">
      {(data ?? []).length === 0 ? <Typography>{t("common.none")}</Typography> : (
        <Scroll label={t("sessions.title")}>
          <Table size="small" aria-label={t("sessions.title")}>
            <TableHead><TableRow><TableCell>{t("nav.devices")}</TableCell><TableCell>{t("sessions.link")}</TableCell><TableCell>{t("sessions.peer")}</TableCell><TableCell>{t("sessions.since")}</TableCell><TableCell>{t("devices.lastSeen")}</TableCell></TableRow></TableHead>
            <TableBody>{(data ?? []).map((s, i) => (
              <TableRow key={i} data-testid="session-row"><TableCell>{s.device_id}</TableCell><TableCell>{s.link}</TableCell><TableCell>{s.peer}</TableCell>
                <TableCell>{dt(s.since)}</TableCell><TableCell>{s.last_seen ? ago(s.last_seen, now) : "—"}</TableCell></TableRow>))}
            </TableBody>
          </Table>
        </Scroll>
      )}
    </Section>
  );
}

export default function AdminRoutes() {
  return (
    <Routes>
      <Route index element={<Devices />} />
      <Route path="users" element={<Users />} />
      <Route path="units" element={<Units />} />
      <Route path="sessions" element={<Sessions />} />
    </Routes>
  );
}
