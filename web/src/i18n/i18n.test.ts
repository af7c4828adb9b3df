import { describe, expect, it } from "vitest";
import { formatDateTime, formatNumber, formatRelative, pickLang, translate } from "./format";
import { messages } from "./messages";

describe("i18n", () => {
  it("French is the default; a stored choice wins", () => {
    expect(pickLang(null, ["en-US"])).toBe("fr");
    expect(pickLang("en")).toBe("en");
    expect(pickLang("de")).toBe("fr");
  });

  it("every French key has an English text and the placeholders match", () => {
    for (const key of Object.keys(messages.fr) as (keyof typeof messages.fr)[]) {
      expect(messages.en[key], key).toBeTruthy();
      const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(ph(messages.en[key]), key).toEqual(ph(messages.fr[key]));
    }
  });

  it("substitutes placeholders", () => {
    expect(translate("fr", "notif.open", { count: 3 })).toBe("Ouvrir les notifications (3 non lues)");
    expect(translate("en", "notif.open", { count: 3 })).toBe("Open notifications (3 unread)");
  });

  it("relative times are localised: 'il y a 5 s' / '5s ago'", () => {
    const now = Date.parse("2026-11-28T08:00:00Z");
    // Intl separates number and unit with a no-break space; compare with plain spaces.
    const rel = (lang: "fr" | "en", then: number) => formatRelative(lang, then, now).replace(/[\u00a0\u202f]/g, " ");
    expect(rel("fr", now - 5000)).toBe("il y a 5 s");
    expect(rel("en", now - 5000)).toBe("5 sec ago");
    expect(rel("fr", now - 3 * 60_000)).toBe("il y a 3 min");
    expect(rel("en", now - 2 * 3600_000)).toBe("2 hr ago");
    expect(rel("fr", now - 2 * 86400_000)).toBe("il y a 2 j");
  });

  it("numbers use the locale's decimal separator", () => {
    expect(formatNumber("fr", 37.25, 1)).toBe("37,3");
    expect(formatNumber("fr", 1234.5, 1).replace(/[\u00a0\u202f]/g, " ")).toBe("1 234,5");
    expect(formatNumber("en", 37.25, 1)).toBe("37.3");
  });

  it("dates are day-first in both languages, with the locale's words", () => {
    const iso = "2026-11-28T08:05:09Z";
    expect(formatDateTime("fr", iso)).toMatch(/28\/11\/2026/);
    expect(formatDateTime("en", iso)).toMatch(/28\/11\/2026/);
  });
});
