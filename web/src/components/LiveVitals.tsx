/**
 * A patient's live vitals: cards (value, unit, normal range, status colour, "il y a 5 s"),
 * the device strip (online, battery) and a 15-minute chart per vital. Watches the patient
 * (`vitals:watch`, re-sent on reconnect): `vitals:snapshot` then `vitals:new`, batched per
 * animation frame.
 */
import { useEffect, useMemo, useState } from "react";
import { Box, Card, CardContent, Chip, Grid, Paper, Typography } from "@mui/material";
import { api, qs } from "../api/http";
import { useApp, useEvent, useNow } from "../state";
import { FrameBatcher, SeriesBuffer } from "../charts/buffer";
import { MessageKey } from "../i18n/messages";
import { LiveChart } from "./LiveChart";
import { isKind, Kind, KINDS, RANGES, statusColor, vitalStatus } from "./vitals";

interface Latest { value: number; unit?: string; ts: string; received_at?: string }

export function LiveVitals({ patientId }: { patientId: string }) {
  const { conn, t, num, ago, dt } = useApp();
  const now = useNow(1000);
  const [latest, setLatest] = useState<Partial<Record<Kind, Latest>>>({});
  const [version, setVersion] = useState(0);
  const [devices, setDevices] = useState<any[]>([]);
  const buffers = useMemo(() => Object.fromEntries(KINDS.map((k) => [k, new SeriesBuffer(900)])) as Record<Kind, SeriesBuffer>, [patientId]);

  const batcher = useMemo(() => new FrameBatcher<any>((batch) => {
    setLatest((old) => {
      const next = { ...old };
      for (const m of batch) {
        for (const [k, r] of Object.entries<any>(m.readings ?? {})) {
          if (!isKind(k) || typeof r?.value !== "number") continue;
          buffers[k].push(Date.parse(m.ts) / 1000, r.value);
          if (!next[k] || Date.parse(next[k]!.ts) <= Date.parse(m.ts)) next[k] = { value: r.value, unit: r.unit, ts: m.ts, received_at: m.received_at };
        }
      }
      return next;
    });
    setVersion((v) => v + 1);
  }), [buffers]);

  useEffect(() => conn.watch("vitals:watch", "vitals:unwatch", { patient_id: patientId }), [conn, patientId]);
  useEffect(() => {
    let live = true;
    const from = new Date(Date.now() - 900e3).toISOString();
    Promise.all(KINDS.map((kind) => api.get(`/api/iot/patients/${patientId}/vitals/history${qs({ kind, bucket: "raw", from })}`)
      .then((r) => { for (const p of r.points) buffers[kind].push(Date.parse(p.t) / 1000, p.avg); }, () => undefined)))
      .then(() => live && setVersion((v) => v + 1));
    api.get(`/api/iot/devices${qs({ patient_id: patientId })}`).then((d) => live && setDevices(d), () => undefined);
    return () => { live = false; };
  }, [patientId, buffers]);

  useEvent("vitals:snapshot", (s) => {
    if (s.patient_id !== patientId) return;
    const next: Partial<Record<Kind, Latest>> = {};
    for (const [k, r] of Object.entries<any>(s.readings ?? {})) if (isKind(k)) next[k] = r;
    setLatest((old) => ({ ...old, ...next }));
  });
  useEvent("vitals:new", (m) => { if (m.patient_id === patientId) batcher.add(m); });
  useEvent("device:status", (s) => {
    if (s.patient_id !== patientId) return;
    setDevices((ds) => ds.map((d) => (d.id === s.device_id ? { ...d, online: s.online, last_seen: s.at } : d)));
  });

  const shown = KINDS.filter((k) => latest[k] || buffers[k].length > 0);
  return (
    <Box>
      {devices.length > 0 && (
        <Box sx={{ display: "flex", gap: 1, flexWrap: "wrap", mb: 1 }} aria-label={t("device.title")} role="group">
          {devices.map((d) => (
            <Chip key={d.id} data-testid="device-chip" variant="outlined" color={d.online ? "success" : "default"}
              label={`${d.name} · ${d.online ? t("device.online") : t("device.offline")}${d.battery != null ? " · " + t("device.battery", { value: num(d.battery, 0) }) : ""}${d.last_seen ? " · " + t("device.lastSeen", { when: ago(d.last_seen, now) }) : ""}`} />
          ))}
        </Box>
      )}
      {shown.length === 0 && <Typography data-testid="no-vitals">{t("vital.noData")}</Typography>}
      <Grid container spacing={1.5}>
        {shown.map((k) => {
          const l = latest[k];
          const status = l ? vitalStatus(k, l.value) : "normal";
          const r = RANGES[k];
          return (
            <Grid key={k} size={{ xs: 12, sm: 6, lg: 4 }}>
              <Card variant="outlined" data-testid={`vital-${k}`} data-status={status} data-value={l?.value ?? ""}
                sx={{ borderLeft: `6px solid ${statusColor[status]}` }}>
                <CardContent sx={{ pb: "8px !important" }}>
                  <Box sx={{ display: "flex", justifyContent: "space-between", alignItems: "baseline", gap: 1 }}>
                    <Typography component="h3" variant="subtitle1">{t(`vital.${k}` as MessageKey)}</Typography>
                    <Typography variant="body2" sx={{ color: statusColor[status], fontWeight: 700 }}>{t(`vital.status.${status}` as MessageKey)}</Typography>
                  </Box>
                  <Typography variant="h4" component="p" data-testid={`vital-${k}-value`}>
                    {l ? num(l.value, r.digits) : "—"} <Typography component="span" variant="body1">{r.unit}</Typography>
                  </Typography>
                  <Typography variant="body2">{t("vital.normal", { range: `${num(r.low, r.digits)}–${num(r.high, r.digits)} ${r.unit}` })}</Typography>
                  {l && <Typography variant="body2" title={dt(l.ts)}>{t("vital.updated", { when: ago(l.ts, now) /* measured, not received: a replayed buffer is old news */ })}</Typography>}
                  <LiveChart patientId={patientId} kind={k} buffer={buffers[k]} version={version} label={t(`vital.${k}` as MessageKey)} />
                </CardContent>
              </Card>
            </Grid>
          );
        })}
      </Grid>
    </Box>
  );
}

export function Section({ title, children, testId }: { title: string; children: React.ReactNode; testId?: string }) {
  return (
    <Paper component="section" sx={{ p: { xs: 1.5, sm: 2 }, mb: 2 }} aria-label={title} data-testid={testId}>
      <Typography variant="h6" component="h2" sx={{ mb: 1 }}>{title}</Typography>
      {children}
    </Paper>
  );
}
