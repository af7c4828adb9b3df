"""The bilingual catalogue: both languages for every entry, same placeholders, the wording users read."""

from __future__ import annotations

import string

from server.inbox import texts


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_entry_has_both_languages_with_the_same_placeholders():
    tables = [*texts.CATALOGUE.values(), {"scopes": texts.SCOPES}, {"labels": texts.ALERT_LABELS},
              {"severities": texts.SEVERITIES}, {"actions": texts.ALERT_ACTIONS}]
    for entry in tables:
        for part in entry.values():
            for text in ([part] if "fr" in part else part.values()):
                assert set(text) == {"fr", "en"}, text
                assert placeholders(text["fr"]) == placeholders(text["en"]), text


def test_the_access_request_speaks_french_in_french():
    _, body = texts.render("access_request:new", name="Dr Diop", scopes=texts.scopes(["records", "vitals"]), days=30)
    assert body["fr"] == "Dr Diop demande l'accès à vos données (dossier médical, constantes vitales) pour 30 jours."
    assert body["en"] == "Dr Diop asks for access to your data (medical records, vital signs) for 30 days."


def test_a_ready_prescription_reads_right_in_both_languages():
    title, body = texts.render("prescription:ready", name="Awa Ndiaye", reason=texts.reason(None))
    assert title == {"fr": "Ordonnance prête à être retirée", "en": "Prescription ready for pick-up"}
    assert body == {"fr": "Awa Ndiaye a indiqué que l'ordonnance est prête à être retirée.",
                    "en": "Awa Ndiaye marked the prescription as ready for pick-up."}
    _, body = texts.render("prescription:rejected", name="Awa Ndiaye", reason=texts.reason("rupture"))
    assert body == {"fr": "L'ordonnance a été refusée par Awa Ndiaye. Motif : rupture",
                    "en": "The prescription was rejected by Awa Ndiaye. Reason: rupture"}
