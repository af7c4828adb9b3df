/**
 * Locale-aware formatting, pure: numbers, dates and relative times ("il y a 5 s" /
 * "5 sec. ago") through Intl, and message lookup with `{name}` placeholders.
 */
import { messages, Lang, MessageKey } from "./messages";

export const LANGS: Lang[] = ["fr", "en"];
export const DEFAULT_LANG: Lang = "fr";

const tags: Record<Lang, string> = { fr: "fr-FR", en: "en-GB" };

export function translate(lang: Lang, key: MessageKey, vars: Record<string, string | number> = {}): string {
  const text: string = messages[lang][key] ?? messages.fr[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export function formatNumber(lang: Lang, value: number, digits = 1): string {
  return new Intl.NumberFormat(tags[lang], { maximumFractionDigits: digits }).format(value);
}

export function formatDateTime(lang: Lang, iso: string | number | Date): string {
  const d = iso instanceof Date ? iso : new Date(iso);
  return new Intl.DateTimeFormat(tags[lang], { dateStyle: "short", timeStyle: "medium" }).format(d);
}

export function formatDate(lang: Lang, iso: string | Date): string {
  const d = iso instanceof Date ? iso : new Date(iso);
  return new Intl.DateTimeFormat(tags[lang], { dateStyle: "medium" }).format(d);
}

/** "il y a 5 s", "dans 2 min", "5 sec. ago": the largest unit that fits, rounded down. */
export function formatRelative(lang: Lang, thenMs: number, nowMs: number): string {
  const diffS = Math.round((thenMs - nowMs) / 1000);
  const abs = Math.abs(diffS);
  const rtf = new Intl.RelativeTimeFormat(tags[lang], { numeric: "always", style: "short" });
  const sign = diffS < 0 ? -1 : 1;
  if (abs < 60) return rtf.format(sign * abs, "second");
  if (abs < 3600) return rtf.format(sign * Math.floor(abs / 60), "minute");
  if (abs < 86400) return rtf.format(sign * Math.floor(abs / 3600), "hour");
  return rtf.format(sign * Math.floor(abs / 86400), "day");
}

export function pickLang(stored: string | null, navigatorLangs: readonly string[] = []): Lang {
  if (stored === "fr" || stored === "en") return stored;
  // French by default: English only when asked for explicitly (stored choice).
  void navigatorLangs;
  return DEFAULT_LANG;
}
