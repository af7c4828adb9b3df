"""The one bilingual catalogue of inbox texts: `{fr, en}` keyed by notification type (and variant).

Every title and body a user reads in their inbox is written here, in both languages side by
side, so a wording is fixed once and a missing translation is a KeyError in tests, not a
silent English-only notification. `render(key, **values)` formats both; a value may itself be
`{fr, en}` (scope names, alert labels), in which case each language takes its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Text = dict[str, str]
LANGS = ("fr", "en")

CATALOGUE: dict[str, dict[str, Text]] = {
    "access_request:new": {
        "title": {"fr": "Nouvelle demande d'accès", "en": "New access request"},
        "body": {"fr": "{name} demande l'accès à vos données ({scopes}) pour {days} jours.",
                 "en": "{name} asks for access to your data ({scopes}) for {days} days."}},
    "access_request:approved": {
        "title": {"fr": "Demande d'accès approuvée", "en": "Access request approved"},
        "body": {"fr": "{name} a approuvé votre demande d'accès.", "en": "{name} approved your access request."}},
    "access_request:rejected": {
        "title": {"fr": "Demande d'accès refusée", "en": "Access request rejected"},
        "body": {"fr": "{name} a refusé votre demande d'accès.", "en": "{name} rejected your access request."}},
    "grant:revoked": {
        "title": {"fr": "Accès révoqué", "en": "Access revoked"},
        "body": {"fr": "{name} a révoqué votre accès à ses données.",
                 "en": "{name} revoked your access to their data."}},
    "grant:expired": {
        "title": {"fr": "Accès expiré", "en": "Access expired"},
        "body": {"fr": "Votre accès aux données de {name} a expiré.",
                 "en": "Your access to {name}'s data has expired."}},
    "prescription:new": {
        "title": {"fr": "Nouvelle ordonnance", "en": "New prescription"},
        "body": {"fr": "{name} vous a prescrit {count} médicament(s).",
                 "en": "{name} prescribed {count} medication(s) for you."}},
    "prescription:to_validate": {
        "title": {"fr": "Ordonnance à valider", "en": "Prescription to validate"},
        "body": {"fr": "Nouvelle ordonnance de {name}.", "en": "New prescription from {name}."}},
    "prescription:validated": {
        "title": {"fr": "Ordonnance validée", "en": "Prescription validated"},
        "body": {"fr": "L'ordonnance a été validée par {name}.{reason}",
                 "en": "The prescription was validated by {name}.{reason}"}},
    "prescription:prepared": {
        "title": {"fr": "Ordonnance préparée", "en": "Prescription prepared"},
        "body": {"fr": "L'ordonnance a été préparée par {name}.{reason}",
                 "en": "The prescription was prepared by {name}.{reason}"}},
    "prescription:ready": {
        "title": {"fr": "Ordonnance prête à être retirée", "en": "Prescription ready for pick-up"},
        "body": {"fr": "{name} a indiqué que l'ordonnance est prête à être retirée.{reason}",
                 "en": "{name} marked the prescription as ready for pick-up.{reason}"}},
    "prescription:delivered": {
        "title": {"fr": "Ordonnance délivrée", "en": "Prescription delivered"},
        "body": {"fr": "L'ordonnance a été délivrée par {name}.{reason}",
                 "en": "The prescription was delivered by {name}.{reason}"}},
    "prescription:rejected": {
        "title": {"fr": "Ordonnance refusée", "en": "Prescription rejected"},
        "body": {"fr": "L'ordonnance a été refusée par {name}.{reason}",
                 "en": "The prescription was rejected by {name}.{reason}"}},
    "prescription:cancelled": {
        "title": {"fr": "Ordonnance annulée", "en": "Prescription cancelled"},
        "body": {"fr": "L'ordonnance a été annulée par {name}.{reason}",
                 "en": "The prescription was cancelled by {name}.{reason}"}},
    "record:created": {
        "title": {"fr": "Nouvelle entrée dans votre dossier", "en": "New record entry"},
        "body": {"fr": "{name} a ajouté une entrée à votre dossier médical.",
                 "en": "{name} added an entry to your medical record."}},
    "record:updated": {
        "title": {"fr": "Dossier médical mis à jour", "en": "Medical record updated"},
        "body": {"fr": "{name} a modifié une entrée de votre dossier médical.",
                 "en": "{name} changed an entry of your medical record."}},
    "alert": {
        "title": {"fr": "{severity} : {label} ({action})", "en": "{severity}: {label} ({action})"},
        "body": {"fr": "Dernière valeur {value}, vue {count} fois{stale}.",
                 "en": "Last value {value}, seen {count} time(s){stale}."}},
    # an escalation reaching a doctor with no relation to the patient: the minimum (server/alerting/dispatch.py)
    "alert:escalated_minimal": {
        "title": {"fr": "{severity} : alerte non prise en compte ({unit})",
                  "en": "{severity}: unacknowledged alert ({unit})"},
        "body": {"fr": "Une alerte d'un patient de {unit} n'est toujours pas prise en compte malgré l'escalade. "
                       "Contactez l'unité.",
                 "en": "An alert of a patient of {unit} is still unacknowledged after escalation. "
                       "Contact the unit."}},
    # -- appointments and treatments (server/scheduling, server/treatments); {when} in the reader's zone --
    "appointment:booked": {
        "title": {"fr": "Nouveau rendez-vous", "en": "New appointment"},
        "body": {"fr": "{name} a réservé le créneau du {when}.", "en": "{name} booked your slot of {when}."}},
    "appointment:cancelled": {
        "title": {"fr": "Rendez-vous annulé", "en": "Appointment cancelled"},
        "body": {"fr": "{name} a annulé le rendez-vous du {when}.{reason}",
                 "en": "{name} cancelled the appointment of {when}.{reason}"}},
    "appointment:reminder": {
        "title": {"fr": "Rappel de rendez-vous", "en": "Appointment reminder"},
        "body": {"fr": "Rendez-vous avec {name} le {when}.", "en": "Appointment with {name} on {when}."}},
    "treatment:created": {
        "title": {"fr": "Nouveau traitement", "en": "New treatment"},
        "body": {"fr": "{name} a ajouté {medication}, {frequency} fois par jour pendant {days} jours.",
                 "en": "{name} added {medication}, {frequency} times a day for {days} days."}},
    "treatment:intake_due": {
        "title": {"fr": "Prise de médicament", "en": "Medication due"},
        "body": {"fr": "Il est {time} : prenez {medication}.", "en": "It is {time}: take {medication}."}},
    # chat between people (server/chat/): a message to someone who had no live socket
    "chat:message": {
        "title": {"fr": "Message de {name}", "en": "Message from {name}"},
        "body": {"fr": "{text}", "en": "{text}"}},
}

SCOPES: dict[str, Text] = {
    "records": {"fr": "dossier médical", "en": "medical records"},
    "vitals": {"fr": "constantes vitales", "en": "vital signs"},
    "prescriptions": {"fr": "ordonnances", "en": "prescriptions"},
}
REASON: Text = {"fr": " Motif : {reason}", "en": " Reason: {reason}"}
NO_UNIT: Text = {"fr": "hors unité de soins", "en": "no care unit"}
STALE: Text = {"fr": " [données anciennes]", "en": " [stale data]"}
RETROSPECTIVE: Text = {"fr": " [rétrospectif : mesuré plus tôt, reçu en retard]",
                       "en": " [retrospective: measured earlier, received late]"}

ALERT_LABELS: dict[str, Text] = {
    "spo2_low": {"fr": "SpO2 basse", "en": "SpO2 low"},
    "heart_rate_high": {"fr": "Fréquence cardiaque élevée", "en": "Heart rate high"},
    "heart_rate_low": {"fr": "Fréquence cardiaque basse", "en": "Heart rate low"},
    "respiratory_rate_high": {"fr": "Fréquence respiratoire élevée", "en": "Respiratory rate high"},
    "respiratory_rate_low": {"fr": "Fréquence respiratoire basse", "en": "Respiratory rate low"},
    "temperature_high": {"fr": "Température élevée", "en": "Temperature high"},
    "temperature_low": {"fr": "Température basse", "en": "Temperature low"},
    "systolic_low": {"fr": "Tension artérielle basse", "en": "Blood pressure low"},
    "systolic_high": {"fr": "Tension artérielle élevée", "en": "Blood pressure high"},
    "diastolic_high": {"fr": "Tension diastolique élevée", "en": "Diastolic pressure high"},
    "glucose_low": {"fr": "Glycémie basse", "en": "Blood glucose low"},
    "glucose_high": {"fr": "Glycémie élevée", "en": "Blood glucose high"},
    "news2": {"fr": "Score NEWS2 élevé", "en": "NEWS2 score high"},
    "device_offline": {"fr": "Capteur hors ligne", "en": "Device offline"},
    "battery_low": {"fr": "Batterie du capteur faible", "en": "Device battery low"},
    "device_alert": {"fr": "Alerte du capteur", "en": "Device alert"},
}
SEVERITIES: dict[str, Text] = {
    "info": {"fr": "Information", "en": "Info"}, "warning": {"fr": "Avertissement", "en": "Warning"},
    "critical": {"fr": "Critique", "en": "Critical"}, "emergency": {"fr": "Urgence", "en": "Emergency"},
}
ALERT_ACTIONS: dict[str, Text] = {
    "raised": {"fr": "déclenchée", "en": "raised"},
    "severity_rose": {"fr": "gravité accrue", "en": "severity rose"},
    "cause_added": {"fr": "nouvelle cause, gravité accrue", "en": "new cause, severity rose"},
    "acknowledged": {"fr": "prise en compte", "en": "acknowledged"},
    "cleared": {"fr": "levée", "en": "cleared"},
    "escalated": {"fr": "ESCALADÉE : toujours non prise en compte", "en": "ESCALATED: still unacknowledged"},
}


def same(value: str) -> Text:
    """A word both languages write alike (an unknown alert type, a code)."""
    return {lang: value for lang in LANGS}


def scopes(names: Iterable[str]) -> Text:
    return {lang: ", ".join(SCOPES[n][lang] for n in names) for lang in LANGS}


def reason(why: str | None) -> Text:
    return {lang: REASON[lang].format(reason=why) for lang in LANGS} if why else same("")


def render(key: str, **values: Any) -> tuple[Text, Text]:
    """(title, body) of catalogue entry `key`, both languages, with `values` filled in."""
    entry = CATALOGUE[key]

    def fill(text: Text) -> Text:
        return {lang: text[lang].format(**{k: v[lang] if isinstance(v, dict) else v for k, v in values.items()})
                for lang in LANGS}

    return fill(entry["title"]), fill(entry["body"])
