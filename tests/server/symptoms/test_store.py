"""The model store: verified before use, tampering refused, missing or rejected models retrained once."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest
import skops.io
from sklearn.preprocessing import FunctionTransformer

from server.symptoms import store
from server.symptoms import train as training
from server.symptoms.train import ensure_model
from tests.server.symptoms.support import AT, SMALL, train_small


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    return train_small(tmp_path_factory.mktemp("trained"))


@pytest.fixture
def model_dir(trained, tmp_path) -> Path:
    """A private copy of the module's model, free to damage."""
    return Path(shutil.copytree(trained, tmp_path / "model"))


def model_file(directory: Path) -> Path:
    return directory / json.loads((directory / store.CARD).read_text())["model"]["file"]


def test_round_trip(model_dir):
    loaded = store.load(model_dir)
    assert loaded.card["model"]["sha256"] == loaded.sha256
    assert loaded.forest.classes_.tolist() == loaded.card["model"]["classes"]


def test_a_changed_byte_is_refused(model_dir):
    path = model_file(model_dir)
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(store.ModelRejected, match="SHA-256"):
        store.load(model_dir)


def test_a_planted_file_with_its_own_checksum_is_refused_unbuilt(model_dir, monkeypatch):
    """Checksum right, content hostile: the type allow-list refuses it before anything is built."""
    called = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a))
    blob = skops.io.dumps(FunctionTransformer(func=os.system))
    os.remove(model_file(model_dir))
    card = json.loads((model_dir / store.CARD).read_text())
    card["model"].update(file="model-planted.skops", sha256=__import__("hashlib").sha256(blob).hexdigest())
    (model_dir / "model-planted.skops").write_bytes(blob)
    (model_dir / store.CARD).write_text(json.dumps(card))
    with pytest.raises(store.ModelRejected, match="allow-list"):
        store.load(model_dir)
    assert called == []


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c["model"].update(file="../elsewhere.skops"), "outside"),
    (lambda c: c["model"]["libraries"].update({"scikit-learn": "0.1"}), "trained with"),
    (lambda c: c["model"].update(classes=["Asthma"]), "not the random forest"),
    (lambda c: c.pop("model"), "lacks"),
    (lambda c: c["evaluation"].pop("accuracy_duplicates_grouped"), "figures"),
])
def test_a_card_that_does_not_fit_is_refused(model_dir, change, message):
    card = json.loads((model_dir / store.CARD).read_text())
    change(card)
    (model_dir / store.CARD).write_text(json.dumps(card))
    with pytest.raises(store.ModelRejected, match=message):
        store.load(model_dir)


def test_missing(tmp_path, model_dir):
    with pytest.raises(store.ModelMissing):
        store.load(tmp_path / "nothing")
    os.remove(model_file(model_dir))
    with pytest.raises(store.ModelMissing):
        store.load(model_dir)


def counting_train(monkeypatch) -> list:
    calls, real = [], training.train

    def counted(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(training, "train", counted)
    return calls


def test_missing_model_is_trained_once_then_loaded(tmp_path, monkeypatch):
    calls = counting_train(monkeypatch)
    first = ensure_model(tmp_path / "m", SMALL, AT)
    second = ensure_model(tmp_path / "m", SMALL, AT)
    assert len(calls) == 1
    assert first.sha256 == second.sha256


def test_tampered_model_is_moved_aside_and_retrained(model_dir, monkeypatch, caplog):
    calls = counting_train(monkeypatch)
    path = model_file(model_dir)
    path.write_bytes(path.read_bytes()[:-10])
    with caplog.at_level("ERROR"):
        loaded = ensure_model(model_dir, SMALL, AT)
    assert len(calls) == 1
    assert (model_dir / (path.name + ".rejected")).exists() and (model_dir / "card.json.rejected").exists()
    assert any("rejected" in r.getMessage() for r in caplog.records)
    assert store.load(model_dir).sha256 == loaded.sha256


def test_concurrent_starts_train_once(tmp_path, monkeypatch):
    """Two servers sharing a model directory: one trains, the other waits for it and loads."""
    calls = counting_train(monkeypatch)
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(ensure_model(tmp_path / "m", SMALL, AT)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(calls) == 1
    assert len({r.sha256 for r in results}) == 1 and len(results) == 2


def test_model_dir_setting(tmp_path):
    from server.settings import load_settings
    assert load_settings({"DATA_DIR": str(tmp_path)}).symptoms_model_dir is None  # app: DATA_DIR/symptoms
    chosen = load_settings({"DATA_DIR": str(tmp_path), "SYMPTOMS_MODEL_DIR": " /srv/models "})
    assert chosen.symptoms_model_dir == Path("/srv/models")
