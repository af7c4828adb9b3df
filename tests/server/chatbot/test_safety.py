"""Pure rules of the assistant: red flags, language, when to ground, the offline answer."""

from __future__ import annotations

import pytest

from server.chatbot import offline, prompt
from server.chatbot.safety import language, red_flags


@pytest.mark.parametrize("text, flags", [
    ("J'ai une DOULEUR THORACIQUE qui serre", ["chest_pain"]),
    ("j’ai du mal à respirer depuis ce matin", ["breathing"]),
    ("Mon père a le visage paralysé d'un coup", ["stroke"]),
    ("She passed out in the kitchen", ["fainting"]),
    ("je vomis du sang", ["bleeding"]),
    ("I want to end my life", ["suicide"]),
    ("il fait des convulsions", ["seizure"]),
    ("chest pain and I can't breathe", ["chest_pain", "breathing"]),
    ("J'ai un peu mal à la tête", []),
    ("What is my blood pressure?", []),
    ("Bonjour", []),
])
def test_red_flags(text, flags):
    assert red_flags(text) == flags


@pytest.mark.parametrize("text, lang", [
    ("Bonjour, quelle est ma tension ?", "fr"), ("Hello, what is my heart rate?", "en"),
    ("ok", "fr"), ("I have a fever, what should I do?", "en"), ("J'ai de la fièvre", "fr"),
])
def test_language(text, lang):
    assert language(text) == lang


@pytest.mark.parametrize("text, flag, wanted", [
    ("Quelles sont mes constantes ?", None, True), ("What are my alerts?", None, True),
    ("Mon traitement est-il fini ?", None, True), ("Qu'est-ce que le diabète ?", None, False),
    ("Qu'est-ce que le diabète ?", True, True), ("Quelles sont mes constantes ?", False, False),
])
def test_grounding_only_when_asked(text, flag, wanted):
    assert prompt.wants_my_data(text, flag) is wanted


def test_offline_answers_from_data_or_faq_and_says_it_is_offline():
    data = {"vitals": {"heart_rate": {"value": 72, "unit": "/min", "at": "t"}},
            "open_alerts": [{"type": "spo2_low", "severity": "critical", "since": "t", "last_value": 88}]}
    text = offline.answer("mes constantes ?", "fr", data)
    assert text.splitlines() == [offline.NOTICE["fr"], "Dernières constantes : heart_rate 72 /min",
                                 "Alertes en cours : spo2_low (critical)"]
    assert offline.answer("my data", "en", {}).splitlines() == [offline.NOTICE["en"], offline.NO_DATA["en"]]
    assert "NEWS2" in offline.answer("c'est quoi le score news2", "fr", None)
    assert offline.answer("raconte une blague", "fr", None).endswith(offline.DEFAULT["fr"])


def test_the_prompt_puts_history_then_the_question_with_the_data_block():
    past = [{"question": "q1", "answer": "a1"}]
    contents = prompt.contents(past, "q2", {"vitals": {"spo2": {"value": 97}}})
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[2]["parts"][0]["text"].startswith("Données de la personne")
    assert contents[2]["parts"][0]["text"].endswith("Question : q2")
    assert prompt.contents([], "q", None) == [{"role": "user", "parts": [{"text": "q"}]}]
