/**
 * Display facts per vital: unit label and the normal range shown on a card, with a status
 * colour. Ranges are NEWS2's 0-score bands (RCP 2017) where it scores the vital, common adult
 * reference ranges otherwise; the server's alert rules (per patient) decide alerts, not these.
 */
export const KINDS = ["heart_rate", "spo2", "respiratory_rate", "systolic", "diastolic", "temperature", "glucose"] as const;
export type Kind = (typeof KINDS)[number];

interface Range { unit: string; low: number; high: number; critLow: number; critHigh: number; digits: number }

export const RANGES: Record<Kind, Range> = {
  heart_rate: { unit: "/min", low: 51, high: 90, critLow: 40, critHigh: 131, digits: 0 },
  spo2: { unit: "%", low: 96, high: 100, critLow: 91, critHigh: 101, digits: 0 },
  respiratory_rate: { unit: "/min", low: 12, high: 20, critLow: 8, critHigh: 25, digits: 0 },
  systolic: { unit: "mmHg", low: 111, high: 219, critLow: 90, critHigh: 220, digits: 0 },
  diastolic: { unit: "mmHg", low: 60, high: 90, critLow: 40, critHigh: 120, digits: 0 },
  temperature: { unit: "°C", low: 36.1, high: 38.0, critLow: 35.0, critHigh: 39.1, digits: 1 },
  glucose: { unit: "mg/dL", low: 70, high: 140, critLow: 54, critHigh: 250, digits: 0 },
};

export type VitalStatus = "normal" | "warning" | "critical";

export function vitalStatus(kind: Kind, value: number): VitalStatus {
  const r = RANGES[kind];
  if (value <= r.critLow || value >= r.critHigh) return "critical";
  if (value < r.low || value > r.high) return "warning";
  return "normal";
}

export const statusColor: Record<VitalStatus, string> = { normal: "#1b7a3a", warning: "#a35a00", critical: "#b3261e" };

export function isKind(k: string): k is Kind {
  return (KINDS as readonly string[]).includes(k);
}
