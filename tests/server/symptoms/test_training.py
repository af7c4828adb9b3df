"""Training: reproducible figures, an honest CV scheme, and a committed card that matches the code."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from server.symptoms import dataset
from server.symptoms.evaluation import TrainConfig, TrainingCancelled, cross_validate
from server.symptoms.train import main, train
from tests.server.symptoms.support import AT, SMALL

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "server" / "symptoms"


def figures(card: dict) -> dict:
    """Everything the card derives from data, code and config (not when it was trained)."""
    return {k: v for k, v in card.items() if k != "trained_at"}


def test_same_seed_same_card_and_same_model():
    first_forest, first = train(SMALL, AT)
    second_forest, second = train(SMALL, AT + timedelta(hours=1))
    assert figures(first) == figures(second)
    assert first["trained_at"] != second["trained_at"]
    data = dataset.load()
    assert np.array_equal(first_forest.predict_proba(data.X), second_forest.predict_proba(data.X))


def test_another_seed_gives_other_splits_and_figures():
    _, first = train(SMALL, AT)
    _, other = train(replace(SMALL, seed=SMALL.seed + 1), AT)
    assert first["evaluation"]["accuracy"] != other["evaluation"]["accuracy"]
    assert first["model_version"] != other["model_version"]


def test_rare_diseases_are_left_out_and_said_so():
    _, card = train(SMALL, AT)
    data = card["data"]
    assert (data["rows"], data["diseases"]) == (349, 116)
    per_class = card["evaluation"]["per_class"]
    assert min(c["support"] for c in per_class.values()) >= SMALL.n_splits
    assert sum(c["support"] for c in per_class.values()) == data["rows_used"]
    assert data["rows_used"] + data["excluded"]["rows"] == 349
    assert data["diseases_used"] + data["excluded"]["diseases"] == 116
    assert set(card["model"]["classes"]) == set(per_class)
    assert not set(card["model"]["classes"]) & set(data["excluded"]["names"])
    # The baseline always answers the largest class: its accuracy is that class's share.
    base = card["evaluation"]["majority_baseline"]
    assert base["predicts"] == "Asthma"
    assert base["mean"] == pytest.approx(23 / data["rows_used"], abs=0.01)


def test_folds_need_a_row_of_every_class():
    data = dataset.load()
    with pytest.raises(ValueError, match="min_rows"):
        cross_validate(data, TrainConfig(min_rows=2))
    with pytest.raises(ValueError, match="restrict"):
        cross_validate(data, SMALL)  # the full file has diseases with one row


def test_training_stops_when_asked():
    import threading
    stop = threading.Event()
    stop.set()
    with pytest.raises(TrainingCancelled):
        train(SMALL, AT, stop=stop)


def test_the_command_writes_model_and_cards(tmp_path, caplog):
    out = tmp_path / "model"
    with caplog.at_level("INFO"):
        assert main(["--out", str(out), "--repeats", "1", "--trees", "10"]) == 0
    card = json.loads((out / "card.json").read_text())
    assert card["training"] == replace(TrainConfig(), n_repeats=1, n_estimators=10).as_dict()
    assert (out / card["model"]["file"]).stat().st_size == card["model"]["bytes"]
    md = (out / "MODEL_CARD.md").read_text()
    assert f"{card['evaluation']['accuracy']['mean'] * 100:.1f} %" in md
    assert any(card["model_version"] in r.getMessage() for r in caplog.records)


def test_committed_card_is_the_default_run_on_the_committed_data():
    """server/symptoms/model_card.json is `python -m server.symptoms.train` with the defaults (13 s: not rerun here)."""
    card = json.loads((PACKAGE / "model_card.json").read_text())
    assert card["data"]["sha256"] == dataset.load().sha256
    assert card["training"] == TrainConfig().as_dict()
    md = (PACKAGE / "MODEL_CARD.md").read_text()
    assert md.startswith(f"# Symptom checker model card ({card['model_version']})")


def test_readme_gives_the_committed_figures():
    card = json.loads((PACKAGE / "model_card.json").read_text())
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Symptom checker"):]
    section = section[:section.index("\n## ", 3)]
    ev = card["evaluation"]
    for value in (ev["accuracy"]["mean"], ev["accuracy"]["std"], ev["majority_baseline"]["mean"],
                  ev["top3_accuracy"]["mean"], ev["accuracy_duplicates_grouped"]["mean"]):
        assert re.search(rf"\b{value * 100:.1f} ?%", section), value
