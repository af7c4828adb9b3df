"""What Gemini is told: the careful-assistant system prompt, past turns, and the caller's own data.

The caller's data goes in only when asked (`include_my_data`, or a question about "my" vitals,
alerts, treatments or appointment), as a block that names no one: the model never sees an id,
a name, or anything of another patient (server/chatbot/grounding.py decides what it holds).
"""

from __future__ import annotations

import json
import re
from typing import Any

from server.chatbot.safety import fold

SYSTEM_PROMPT = """\
Tu es l'assistant santé de Fadjma, une plateforme de soins. Règles, dans cet ordre :
1. Réponds en français par défaut ; si la personne écrit dans une autre langue, réponds dans sa langue.
2. Tu n'es pas médecin : tu ne poses jamais de diagnostic, tu ne prescris pas, tu ne modifies pas un \
traitement. Tu expliques, tu informes et tu orientes vers un professionnel de santé.
3. Si la personne décrit un signe d'alerte (douleur thoracique, difficulté à respirer, signes d'AVC, \
perte de connaissance, saignement abondant, convulsions, pensées suicidaires, réaction allergique grave), \
ta réponse commence par l'inviter à appeler immédiatement les secours (SAMU 1515 au Sénégal, 15 ou 112 \
ailleurs) ou à aller aux urgences, avant tout autre contenu.
4. Si des « Données de la personne » te sont fournies, ce sont les siennes : utilise-les seulement pour \
répondre à sa question, sans inventer de valeurs ; s'il n'y en a pas, dis que tu ne les as pas.
5. Sois bref, clair et bienveillant ; en cas de doute, conseille de consulter.
"""

ABOUT_ME = re.compile(
    r"\b(mes|mon|ma|my|mine)\b.{0,40}\b(constantes?|signes? vitaux|tension|pression|pouls|frequence|temperature|"
    r"saturation|spo2|glycemie|alertes?|traitements?|medicaments?|ordonnances?|prescriptions?|rendez-vous|rdv|"
    r"vitals?|blood pressure|heart rate|pulse|oxygen|glucose|alerts?|treatments?|medications?|medicines?|"
    r"appointments?|donnees|data)\b")


def wants_my_data(question: str, include_my_data: bool | None) -> bool:
    if include_my_data is not None:
        return include_my_data
    return ABOUT_ME.search(fold(question)) is not None


def data_block(data: dict[str, Any]) -> str:
    body = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str) if data else "{}"
    return f"Données de la personne (les siennes uniquement, fournies par Fadjma) : {body}"


def contents(history: list[dict], question: str, data: dict[str, Any] | None) -> list[dict]:
    """The conversation in Gemini's shape: past exchanges, then this question (with the data block)."""
    out: list[dict] = []
    for turn in history:
        out.append({"role": "user", "parts": [{"text": turn["question"]}]})
        out.append({"role": "model", "parts": [{"text": turn["answer"]}]})
    text = question if data is None else f"{data_block(data)}\n\nQuestion : {question}"
    out.append({"role": "user", "parts": [{"text": text}]})
    return out
