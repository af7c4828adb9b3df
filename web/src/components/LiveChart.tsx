/**
 * One uPlot chart. Live mode: the last 15 minutes from a SeriesBuffer, redrawn with
 * setData (no React re-render of the canvas). Zoom modes load the history API.
 */
import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { Box, ToggleButton, ToggleButtonGroup, Typography } from "@mui/material";
import { api, qs } from "../api/http";
import { useApp } from "../state";
import { SeriesBuffer } from "../charts/buffer";
import { Kind } from "./vitals";

export type Zoom = "live" | "1h" | "24h" | "7d";
const ZOOMS: Record<Exclude<Zoom, "live">, { ms: number; bucket: string }> = {
  "1h": { ms: 3600e3, bucket: "raw" },
  "24h": { ms: 86400e3, bucket: "1m" },
  "7d": { ms: 7 * 86400e3, bucket: "5m" },
};

export function LiveChart({ patientId, kind, buffer, version, label }: {
  patientId: string; kind: Kind; buffer: SeriesBuffer; version: number; label: string;
}) {
  const { t, lang } = useApp();
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [zoom, setZoom] = useState<Zoom>("live");
  const zoomRef = useRef<Zoom>(zoom);
  zoomRef.current = zoom;
  const [history, setHistory] = useState<[number[], (number | null)[]] | null>(null);

  useEffect(() => {
    if (!el.current) return;
    const width = el.current.clientWidth || 320;
    const tag = lang === "fr" ? "fr-FR" : "en-GB";
    const hm = new Intl.DateTimeFormat(tag, { hour: "2-digit", minute: "2-digit" });
    const dm = new Intl.DateTimeFormat(tag, { day: "2-digit", month: "2-digit" });
    // Axis ticks in the user's language: hours and minutes, the day when the span is long.
    const timeLabel = (s: number) => (zoomRef.current === "7d" ? dm : hm).format(s * 1000);
    const u = new uPlot({
      width, height: 160,
      // y padded around the data (a steady vital would otherwise sit on a 0..100 axis)
      scales: { x: { time: true }, y: { range: (_u, min, max) => (min === null || max === null ? [0, 1]
        : [min - Math.max((max - min) * 0.15, 1), max + Math.max((max - min) * 0.15, 1)]) as [number, number] } },
      legend: { show: false },
      axes: [{ stroke: "#333", values: (_u, splits) => splits.map((s) => timeLabel(s)) }, { stroke: "#333", size: 44 }],
      series: [{}, { label, stroke: "#0b6e6e", width: 2, spanGaps: false, points: { show: false } }],
    }, [[], []], el.current);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: el.current!.clientWidth || width, height: 160 }));
    ro.observe(el.current);
    return () => { ro.disconnect(); u.destroy(); plot.current = null; };
  }, [label, lang]);

  useEffect(() => {
    if (zoom === "live") { setHistory(null); return; }
    let live = true;
    const { ms, bucket } = ZOOMS[zoom];
    const to = new Date();
    const from = new Date(to.getTime() - ms);
    api.get(`/api/iot/patients/${patientId}/vitals/history${qs({ kind, bucket, from: from.toISOString(), to: to.toISOString() })}`)
      .then((r) => {
        if (!live) return;
        const xs = r.points.map((p: any) => Date.parse(p.t) / 1000);
        const ys = r.points.map((p: any) => p.avg);
        setHistory([xs, ys]);
      }, () => live && setHistory([[], []]));
    return () => { live = false; };
  }, [zoom, patientId, kind]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    const data = zoom === "live" ? buffer.data() : history ?? [[], []];
    u.setData(data as uPlot.AlignedData);
    if (zoom === "live") {
      const now = Date.now() / 1000;
      u.setScale("x", { min: now - 900, max: now });
    }
  }, [version, zoom, history, buffer]);

  const points = zoom === "live" ? buffer.length : history?.[0].length ?? 0;
  return (
    <Box>
      <Box sx={{ display: "flex", alignItems: "center", justifyContent: "space-between", flexWrap: "wrap", gap: 1 }}>
        <Typography variant="body2">{t("vital.zoom")}</Typography>
        <ToggleButtonGroup size="small" exclusive value={zoom} onChange={(_, v) => v && setZoom(v)} aria-label={`${t("vital.zoom")} ${label}`}>
          {(["live", "1h", "24h", "7d"] as Zoom[]).map((z) => (
            <ToggleButton key={z} value={z} data-testid={`zoom-${kind}-${z}`}>{t(`zoom.${z}`)}</ToggleButton>
          ))}
        </ToggleButtonGroup>
      </Box>
      <div ref={el} role="img" aria-label={`${label}: ${points}`} data-testid={`chart-${kind}`} data-points={points} />
    </Box>
  );
}
