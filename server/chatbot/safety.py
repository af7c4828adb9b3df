"""Pure rules that hold whatever answers: the caller's language and red-flag symptoms.

A red flag (chest pain, breathing difficulty, stroke signs, fainting, heavy bleeding, suicidal
thoughts, seizure…) makes every answer start with an urge to call emergency services, Gemini
or offline alike: the server writes that sentence itself before any model text, so it never
depends on the model following its instructions.
"""

from __future__ import annotations

import re
import unicodedata

EMERGENCY = {
    "fr": ("⚠️ Ce que vous décrivez peut être une urgence. Appelez immédiatement les secours "
           "(SAMU 1515 au Sénégal, 15 ou 112 ailleurs) ou rendez-vous aux urgences les plus proches. "
           "N'attendez pas une réponse en ligne."),
    "en": ("⚠️ What you describe may be an emergency. Call emergency services now "
           "(SAMU 1515 in Senegal, 112 or your local number elsewhere) or go to the nearest emergency "
           "department. Do not wait for an online answer."),
}

# Patterns on text folded to lower-case ASCII (accents removed), French and English.
RED_FLAGS: dict[str, tuple[str, ...]] = {
    "chest_pain": (r"douleur\w* (a la |dans la )?poitrine", r"douleur\w* thoracique", r"chest pain",
                   r"pain in (my|the) chest", r"oppression thoracique", r"serrement (a|dans) la poitrine"),
    "breathing": (r"(du mal|difficulte\w*|peine) a respirer", r"n'?arrive (pas|plus) a respirer",
                  r"etouff", r"can'?t breathe", r"cannot breathe", r"short(ness)? of breath",
                  r"difficulty breathing", r"struggling to breathe"),
    "stroke": (r"visage (paralyse|deforme|tombe)", r"bouche de travers", r"(ne )?peux plus parler",
               r"paralysie", r"face (is )?droop", r"slurred speech", r"can'?t (move|feel) (my )?(arm|leg)",
               r"avc", r"\bstroke\b", r"faiblesse (soudaine )?d'un cote"),
    "fainting": (r"perte de connaissance", r"perdu connaissance", r"evanoui", r"inconscient",
                 r"pass(ed)? out", r"unconscious", r"fainted"),
    "bleeding": (r"saigne\w* (beaucoup|abondamment|enormement)", r"hemorragie", r"vomi\w* du sang",
                 r"crach\w* du sang", r"bleeding heavily", r"severe bleeding", r"vomit\w* blood",
                 r"coughing (up )?blood"),
    "suicide": (r"suicid", r"me tuer", r"en finir avec (la|ma) vie", r"kill myself", r"end my life",
                r"want to die", r"envie de mourir"),
    "seizure": (r"convuls", r"crise d'epilepsie", r"seizure"),
    "anaphylaxis": (r"gorge (qui )?gonfle", r"langue (qui )?gonfle", r"throat (is )?swelling",
                    r"anaphyla"),
}
_COMPILED = {name: re.compile("|".join(f"(?:{p})" for p in pats)) for name, pats in RED_FLAGS.items()}

_EN = re.compile(r"\b(the|my|is|are|what|how|i|have|pain|do|should|can|you|please|hello|hi|doctor)\b")
_FR = re.compile(r"\b(le|la|les|mon|ma|mes|est|sont|quoi|comment|je|j|ai|douleur|dois|peux|vous|bonjour|"
                 r"merci|docteur|medecin|une|des|du)\b")


def fold(text: str) -> str:
    """Lower case without accents, so "Douleur thoracique" and "douleur thoracique" match alike."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def red_flags(text: str) -> list[str]:
    folded = fold(text)
    return [name for name, pattern in _COMPILED.items() if pattern.search(folded)]


def language(text: str) -> str:
    """"en" when the text reads as English, otherwise French (the default)."""
    folded = fold(text)
    return "en" if len(_EN.findall(folded)) > len(_FR.findall(folded)) else "fr"
