/**
 * The monitoring wall: every patient the doctor may watch (granted `vitals`, or in one of
 * their care units), ordered by worst NEWS2 and open alerts. Readings arrive as `vitals:new`
 * (50 patients × 1/s is 50 events/s): they are coalesced per animation frame, so React
 * renders the wall at most once per frame whatever the rate. NEWS2 arrives live as
 * `news2:updated` (to `patient:<id>` watchers and unit rooms); a slow poll (NEWS2_FALLBACK_MS)
 * only covers an event missed while the socket was away.
 */
import { memo, useEffect, useMemo, useRef, useState } from "react";
import { Link as RouterLink } from "react-router";
import { Box, Card, CardActionArea, CardContent, Chip, Grid, Typography } from "@mui/material";
import { api } from "../../api/http";
import { useApp, useEvent } from "../../state";
import { FrameBatcher } from "../../charts/buffer";
import { MessageKey } from "../../i18n/messages";
import { ALERT_EVENTS, alertLabel } from "../../components/AlertList";
import { causeLabels } from "../../components/alertCauses";
import { Section } from "../../components/LiveVitals";
import { RANGES, isKind, statusColor, vitalStatus } from "../../components/vitals";
import { compareWall, WallPatient, worstAlert } from "./order";
import { useNames } from "../../names/react";

const NEWS2_FALLBACK_MS = 60_000;

type Update = { kind: "roster"; ids: string[] } | { kind: "vitals"; m: any } | { kind: "alert"; a: any } | { kind: "news2"; id: string; score: number | null }
  | { kind: "patient"; id: string; name?: string };

function applyAll(state: Map<string, WallPatient>, batch: Update[]): Map<string, WallPatient> {
  const next = new Map(state);
  const get = (id: string) => next.get(id) ?? { id, name: id.slice(0, 8), news2: null, alerts: [], latest: {}, lastAt: null };
  for (const u of batch) {
    if (u.kind === "roster") { for (const id of [...next.keys()]) if (!u.ids.includes(id)) next.delete(id); continue; }
    if (u.kind === "patient") { const p = get(u.id); next.set(u.id, { ...p, name: u.name ?? p.name }); continue; }
    if (u.kind === "news2") { if (next.has(u.id)) next.set(u.id, { ...get(u.id), news2: u.score }); continue; }
    if (u.kind === "vitals") {
      if (!next.has(u.m.patient_id)) continue;
      const p = get(u.m.patient_id);
      const latest = { ...p.latest };
      for (const [k, r] of Object.entries<any>(u.m.readings ?? {})) if (typeof r?.value === "number") latest[k] = r.value;
      next.set(p.id, { ...p, latest, lastAt: Date.parse(u.m.received_at ?? u.m.ts) });
      continue;
    }
    const a = u.a;
    if (!next.has(a.patient_id)) continue;
    const p = get(a.patient_id);
    const others = p.alerts.filter((x) => x.id !== a.id);
    next.set(p.id, { ...p, alerts: String(a.state).startsWith("cleared") ? others : [...others, a] });
  }
  return next;
}

const Tile = memo(function Tile({ p, lang }: { p: WallPatient; lang: string }) {
  const { t, num } = useApp();
  const nameOf = useNames();
  const sev = worstAlert(p);
  const border = sev >= 3 ? statusColor.critical : sev === 2 ? statusColor.warning : "#c9d6d6";
  return (
    <Card variant="outlined" data-testid="wall-tile" data-patient={p.id} data-news2={p.news2 ?? ""} data-alerts={p.alerts.length}
      sx={{ borderLeft: `6px solid ${border}` }} lang={lang}>
      <CardActionArea component={RouterLink} to={`/doctor/patients/${p.id}`}>
        <CardContent sx={{ py: 1 }}>
          <Box sx={{ display: "flex", justifyContent: "space-between", gap: 1 }}>
            <Typography component="h3" variant="subtitle1" noWrap>{p.name !== p.id.slice(0, 8) ? p.name : nameOf(p.id)}</Typography>
            <Chip size="small" color={(p.news2 ?? 0) >= 7 ? "error" : (p.news2 ?? 0) >= 5 ? "warning" : "default"}
              label={t("wall.news2", { score: p.news2 ?? "–" })} data-testid="wall-news2" />
          </Box>
          <Typography variant="body2" data-testid="wall-latest">
            {Object.entries(p.latest).filter(([k]) => isKind(k)).map(([k, v]) => (
              <Box component="span" key={k} sx={{ mr: 1.5, color: isKind(k) ? statusColor[vitalStatus(k, v)] : undefined, fontWeight: 600 }}>
                {t(`short.${k}` as MessageKey)} {num(v, isKind(k) ? RANGES[k].digits : 1)}
              </Box>
            ))}
          </Typography>
          {p.alerts.length > 0 && (
            <Typography variant="body2" sx={{ color: statusColor.critical, fontWeight: 700 }} data-testid="wall-alerts"
              data-types={p.alerts.map((a) => a.type).join(" ")}>
              {t("wall.openAlerts", { count: p.alerts.length })}: {p.alerts.map((a) => `${causeLabels(t, a).join(" + ") || alertLabel(t, a.type)} (${t(`severity.${a.severity}` as MessageKey)}${a.state === "active_acknowledged" ? ", " + t("alerts.acknowledged") : ""})`).join(", ")}
            </Typography>
          )}
        </CardContent>
      </CardActionArea>
    </Card>
  );
});

export function Wall() {
  const { conn, t, lang } = useApp();
  const [patients, setPatients] = useState<Map<string, WallPatient>>(new Map());
  const stateRef = useRef(patients);
  const batcher = useMemo(() => new FrameBatcher<Update>((batch) => {
    stateRef.current = applyAll(stateRef.current, batch);
    setPatients(stateRef.current);
  }), []);
  const [ids, setIds] = useState<string[]>([]);
  const [unitIds, setUnitIds] = useState<string[]>([]);

  const loadRoster = async () => {
    const [grants, units] = await Promise.all([api.get<any[]>("/api/grants"), api.get<any[]>("/api/care-units/").catch(() => [])]);
    const found = new Set<string>();
    for (const g of grants) if (g.scopes.includes("vitals")) { found.add(g.patient_id); batcher.add({ kind: "patient", id: g.patient_id }); }
    for (const u of units) {
      const s = await api.get(`/api/care-units/${u.id}/summary`).catch(() => null);
      for (const p of s?.patients ?? []) {
        found.add(p.id);
        batcher.add({ kind: "patient", id: p.id, name: p.name });
        batcher.add({ kind: "news2", id: p.id, score: p.news2?.score ?? null });
        for (const a of p.open_alerts ?? []) batcher.add({ kind: "alert", a });
      }
    }
    setUnitIds(units.map((u: any) => u.id));
    const list = [...found];
    batcher.add({ kind: "roster", ids: list }); // a revoked or expired grant leaves the wall
    const alerts = await api.get<any[]>(`/api/iot/alerts/active`).catch(() => []);
    for (const a of alerts) batcher.add({ kind: "alert", a });
    setIds(list);
    return list;
  };
  const refreshNews2 = (list: string[]) => Promise.all(list.map((id) =>
    api.get(`/api/iot/patients/${id}/news2`).then((n) => batcher.add({ kind: "news2", id, score: n.score ?? null }), () => undefined)));

  useEffect(() => {
    let live = true;
    loadRoster().then((list) => { if (live) refreshNews2(list); });
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    const offs = ids.map((id) => conn.watch("vitals:watch", "vitals:unwatch", { patient_id: id }));
    const h = window.setInterval(() => refreshNews2(ids), NEWS2_FALLBACK_MS);
    return () => { offs.forEach((off) => off()); window.clearInterval(h); };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [conn, ids.join(",")]);

  // unit:<id> brings the periodic unit:summary (NEWS2 of every unit patient) and its alerts.
  useEffect(() => {
    const offs = unitIds.map((id) => conn.watch("unit:watch", "unit:unwatch", { unit_id: id }));
    return () => offs.forEach((off) => off());
  }, [conn, unitIds.join(",")]); // eslint-disable-line react-hooks/exhaustive-deps
  useEvent("vitals:new", (m) => batcher.add({ kind: "vitals", m }));
  useEvent("vitals:snapshot", (s) => batcher.add({ kind: "vitals", m: { patient_id: s.patient_id, readings: s.readings, ts: new Date().toISOString() } }));
  for (const ev of ALERT_EVENTS) {
    // eslint-disable-next-line react-hooks/rules-of-hooks
    useEvent(ev, (p) => { batcher.add({ kind: "alert", a: p.alert }); if (p.alert.type === "news2") refreshNews2([p.alert.patient_id]); });
  }
  useEvent("access_request:status_changed", () => loadRoster());
  useEvent("grant:revoked", () => loadRoster());
  useEvent("grant:expired", () => loadRoster());
  useEvent("news2:updated", (n) => batcher.add({ kind: "news2", id: n.patient_id, score: n.score ?? null }));
  useEvent("unit:summary", (s) => {
    for (const p of s.patients ?? []) batcher.add({ kind: "news2", id: p.id, score: p.news2?.score ?? null });
  });

  const ordered = [...patients.values()].sort(compareWall);
  return (
    <Section title={t("wall.title")} testId="wall">
      {ordered.length === 0 && <Typography>{t("wall.empty")}</Typography>}
      <Grid container spacing={1} data-testid="wall-grid">
        {ordered.map((p) => <Grid key={p.id} size={{ xs: 12, sm: 6, md: 4, xl: 3 }}><Tile p={p} lang={lang} /></Grid>)}
      </Grid>
    </Section>
  );
}
