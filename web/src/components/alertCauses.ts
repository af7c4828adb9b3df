/**
 * What an alert is about, in the user's language: its type (`spo2_low` → "SpO₂ basse") and, for a
 * clinical episode, its active causes (threshold rules and NEWS2 parameters), most severe first.
 */
import { MessageKey } from "../i18n/messages";
import { isKind } from "./vitals";

type T = (k: MessageKey, v?: Record<string, string | number>) => string;
const RANK: Record<string, number> = { info: 0, warning: 1, critical: 2, emergency: 3 };

/** An alert's type in the user's language: `spo2_low` → "SpO₂ basse", `news2` → "Score NEWS2". */
export function alertLabel(t: T, type: string): string {
  const m = /^(.*)_(low|high)$/.exec(type);
  if (m && isKind(m[1])) return t(`alertType.${m[2]}` as MessageKey, { vital: t(`vital.${m[1]}` as MessageKey) });
  const known = ["news2", "device_offline", "battery_low", "device_alert"];
  return known.includes(type) ? t(`alertType.${type}` as MessageKey) : type;
}

/** The active causes of an episode, most severe first: "SpO₂ basse", "NEWS2 : SpO₂ = 3". A retrospective
 * episode (late data) describes the past: all its causes have ended, and all are listed. */
export function causeLabels(t: T, alert: { causes?: any[]; retrospective?: boolean }): string[] {
  const active = (alert.causes ?? []).filter((c) => c.active || alert.retrospective);
  active.sort((a, b) => (RANK[b.severity] ?? 0) - (RANK[a.severity] ?? 0));
  return active.map((c) => c.kind === "rule"
    ? alertLabel(t, c.rule)
    : t("alerts.news2Cause", { vital: isKind(c.parameter) ? t(`vital.${c.parameter}` as MessageKey) : c.parameter, score: c.score }));
}
