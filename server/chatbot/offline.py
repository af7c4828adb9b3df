"""The offline assistant: answers from the caller's own data and a small FAQ, and says it is offline.

Used without GOOGLE_API_KEY, or when Gemini fails or is too slow. Pure: the question, its
language and the caller's data (server/chatbot/grounding.py) in, a text out; the red-flag
sentence is put first by the service, as for Gemini.
"""

from __future__ import annotations

import re
from typing import Any

from server.chatbot.safety import fold

NOTICE = {"fr": "(Mode hors ligne : l'assistant Gemini n'est pas disponible, je réponds avec vos données "
                "et une aide de base.)",
          "en": "(Offline mode: the Gemini assistant is not available; I answer from your data and basic help.)"}

# (pattern on the folded question, {lang: answer}); the first that matches wins.
FAQ: list[tuple[str, dict[str, str]]] = [
    (r"acces|partager|autoris|grant|share|access",
     {"fr": "Un médecin vous demande l'accès à vos données ; vous l'acceptez ou le refusez dans « Demandes "
            "d'accès », et vous pouvez le retirer à tout moment dans « Accès accordés ».",
      "en": "A doctor asks for access to your data; you approve or reject it under \"Access requests\" and can "
            "revoke it at any time under \"Granted access\"."}),
    (r"capteur|appareil|montre|device|sensor|esp32",
     {"fr": "Votre capteur envoie vos constantes automatiquement dès qu'il est allumé et connecté ; s'il reste "
            "silencieux plusieurs minutes, une alerte « appareil hors ligne » est créée.",
      "en": "Your sensor sends your vital signs automatically once it is on and connected; if it stays silent for "
            "several minutes, a \"device offline\" alert is raised."}),
    (r"pharmac|retirer|pick.?up",
     {"fr": "Votre ordonnance passe par la pharmacie : validée, préparée, puis prête à être retirée ; vous êtes "
            "notifié à chaque étape.",
      "en": "Your prescription goes through the pharmacy: validated, prepared, then ready for pick-up; you are "
            "notified at each step."}),
    (r"news2|score",
     {"fr": "Le score NEWS2 résume vos constantes (respiration, saturation, tension, pouls, conscience, "
            "température) ; plus il est haut, plus une évaluation rapide par un soignant est nécessaire.",
      "en": "The NEWS2 score sums up your vital signs (breathing, oxygen, blood pressure, pulse, consciousness, "
            "temperature); the higher it is, the sooner a clinician should assess you."}),
    (r"fievre|fever|temperature",
     {"fr": "En cas de fièvre : reposez-vous, buvez souvent, et consultez si elle dépasse 39 °C, dure plus de "
            "3 jours, ou s'accompagne d'autres signes inquiétants.",
      "en": "With a fever: rest, drink often, and see a doctor if it exceeds 39 °C, lasts more than 3 days, or "
            "comes with other worrying signs."}),
]
DEFAULT = {"fr": "Je peux vous donner vos dernières constantes, vos alertes en cours, vos ordonnances et votre "
                 "prochain rendez-vous, ou de l'aide sur l'application. Pour toute question médicale, "
                 "consultez un professionnel de santé.",
           "en": "I can give you your latest vital signs, open alerts, prescriptions and next appointment, or help "
                 "with the app. For any medical question, please see a health professional."}
NO_DATA = {"fr": "Je n'ai aucune donnée de santé vous concernant.", "en": "I have no health data about you."}
LABELS = {
    "vitals": {"fr": "Dernières constantes", "en": "Latest vital signs"},
    "open_alerts": {"fr": "Alertes en cours", "en": "Open alerts"},
    "prescriptions": {"fr": "Ordonnances en cours", "en": "Current prescriptions"},
    "treatments": {"fr": "Traitements", "en": "Treatments"},
    "next_appointment": {"fr": "Prochain rendez-vous", "en": "Next appointment"},
}


def describe(data: dict[str, Any], lang: str) -> list[str]:
    """One line per section of the caller's data."""
    lines = []
    if vitals := data.get("vitals"):
        values = ", ".join(f"{k} {v['value']} {v.get('unit') or ''}".strip() for k, v in vitals.items())
        lines.append(f"{LABELS['vitals'][lang]} : {values}")
    if alerts := data.get("open_alerts"):
        lines.append(f"{LABELS['open_alerts'][lang]} : " + ", ".join(f"{a['type']} ({a['severity']})" for a in alerts))
    if rx := data.get("prescriptions"):
        names = [m["name"] for p in rx for m in p["medications"]]
        lines.append(f"{LABELS['prescriptions'][lang]} : " + ", ".join(names))
    if treatments := data.get("treatments"):
        lines.append(f"{LABELS['treatments'][lang]} : " + ", ".join(str(t.get("name", t)) for t in treatments))
    if appointment := data.get("next_appointment"):
        lines.append(f"{LABELS['next_appointment'][lang]} : {appointment.get('start', appointment)}")
    return lines


def answer(question: str, lang: str, data: dict[str, Any] | None) -> str:
    """The offline reply: the notice, then the caller's data if asked for, else an FAQ entry."""
    parts = [NOTICE[lang]]
    if data is not None:
        parts += describe(data, lang) or [NO_DATA[lang]]
    else:
        folded = fold(question)
        parts.append(next((a[lang] for pattern, a in FAQ if re.search(pattern, folded)), DEFAULT[lang]))
    return "\n".join(parts)
