import { describe, expect, it } from "vitest";
import { translate } from "../i18n/format";
import { alertLabel, causeLabels } from "./alertCauses";

const fr = (k: any, v?: any) => translate("fr", k, v);
const en = (k: any, v?: any) => translate("en", k, v);

describe("alert causes", () => {
  const episode = {
    causes: [
      { kind: "rule", rule: "spo2_low", severity: "warning", active: true },
      { kind: "news2", parameter: "spo2", score: 3, severity: "critical", active: true },
      { kind: "rule", rule: "heart_rate_high", severity: "emergency", active: false },
    ],
  };

  it("lists the active causes, most severe first, in the user's language", () => {
    expect(causeLabels(en, episode)).toEqual(["NEWS2: SpO₂ = 3", "Low SpO₂"]);
    expect(causeLabels(fr, episode)).toEqual(["NEWS2 : SpO₂ = 3", "SpO₂ basse"]);
  });

  it("a retrospective episode lists all its causes (they ended: it is the past)", () => {
    const past = { retrospective: true, causes: episode.causes.map((c) => ({ ...c, active: false })) };
    expect(causeLabels(en, past)).toEqual(["High Heart rate", "NEWS2: SpO₂ = 3", "Low SpO₂"]);
  });

  it("device alerts and older alerts have no causes; types keep their labels", () => {
    expect(causeLabels(en, { causes: undefined })).toEqual([]);
    expect(alertLabel(en, "news2")).toBe("NEWS2 score");
    expect(alertLabel(en, "device_offline")).toBe("Device offline");
  });
});
