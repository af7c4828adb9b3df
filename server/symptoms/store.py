"""Saving and loading the model without ever executing an unverified file.

A model directory holds `model-<sha12>.skops`, `card.json` (which names that file and its
SHA-256) and `MODEL_CARD.md`. Loading reads the card, checks the model file's SHA-256
against it, then lets skops rebuild the forest allowing only the one non-default type a
forest needs (`sklearn.tree._tree.Tree`); anything else in the file is refused before any
object is built. skops never unpickles: the checksum catches corruption and partial writes,
the type allow-list is what keeps a planted file from running code.

Writes go to a temporary name and are renamed into place, model before card, so a reader
sees either the old pair or the new one. The model file is named by its hash, so two
writers never overwrite each other's model under the card of the other.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import skops.io
from sklearn.ensemble import RandomForestClassifier

from server.symptoms.card import libraries, render
from server.symptoms.dataset import FEATURES

CARD = "card.json"
CARD_MD = "MODEL_CARD.md"
TRUSTED_TYPES = ("sklearn.tree._tree.Tree",)
# What every answer quotes; a card from older code without them is retrained, not served half.
FIGURES = ("accuracy", "top3_accuracy", "majority_baseline", "accuracy_duplicates_grouped")
# Verified forests by file SHA-256: a process (or a test session) rebuilds each file once.
_BUILT: dict[str, RandomForestClassifier] = {}


class ModelMissing(Exception):
    """No card or no model file: train one."""


class ModelRejected(Exception):
    """A model is there but must not be used: bad checksum, unexpected types, wrong shape, old libraries."""


@dataclass(frozen=True)
class LoadedModel:
    forest: RandomForestClassifier
    card: dict
    sha256: str


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save(directory: Path, forest: RandomForestClassifier, card: dict) -> dict:
    """Write the model, then the card that names it and its checksum; returns the card as written."""
    directory.mkdir(parents=True, exist_ok=True)
    blob = skops.io.dumps(forest, compression=8, compresslevel=9)  # 8 = ZIP_DEFLATED
    sha = hashlib.sha256(blob).hexdigest()
    name = f"model-{sha[:12]}.skops"
    card = {**card, "model": {**card["model"], "file": name, "sha256": sha, "bytes": len(blob)}}
    _write_atomic(directory / name, blob)
    _write_atomic(directory / CARD_MD, render(card).encode())
    _write_atomic(directory / CARD, json.dumps(card, indent=2, ensure_ascii=False).encode())
    return card


def read_card(directory: Path) -> dict:
    try:
        return json.loads((directory / CARD).read_bytes())
    except FileNotFoundError:
        raise ModelMissing(f"no {CARD} in {directory}") from None
    except ValueError as exc:
        raise ModelRejected(f"{directory / CARD} is not valid JSON: {exc}") from None


def load(directory: Path) -> LoadedModel:
    """The verified model of `directory`; ModelMissing or ModelRejected otherwise."""
    card = read_card(directory)
    try:
        name, expected = card["model"]["file"], card["model"]["sha256"]
        classes = card["model"]["classes"]
        libs = card["model"]["libraries"]
    except (KeyError, TypeError):
        raise ModelRejected(f"{directory / CARD} lacks model.file, sha256, classes or libraries") from None
    if not all(k in (card.get("evaluation") or {}) for k in FIGURES) or "model_version" not in card:
        raise ModelRejected(f"{directory / CARD} lacks model_version or figures ({', '.join(FIGURES)})")
    if Path(name).name != name:
        raise ModelRejected(f"the card names a model outside its directory: {name!r}")
    try:
        blob = (directory / name).read_bytes()
    except FileNotFoundError:
        raise ModelMissing(f"{directory / name} named by the card is missing") from None
    actual = hashlib.sha256(blob).hexdigest()
    if actual != expected:
        raise ModelRejected(f"{name}: SHA-256 {actual} differs from the card's {expected}")
    if libs != libraries():
        # A forest saved by another scikit-learn may load yet predict differently: retrain instead.
        raise ModelRejected(f"{name} was trained with {libs}, this server runs {libraries()}")
    forest = _BUILT.get(actual)
    if forest is None:
        untrusted = set(skops.io.get_untrusted_types(data=blob)) - set(TRUSTED_TYPES)
        if untrusted:
            raise ModelRejected(f"{name} contains types outside the allow-list: {sorted(untrusted)}")
        forest = skops.io.loads(blob, trusted=list(TRUSTED_TYPES))
    if not isinstance(forest, RandomForestClassifier) or forest.n_features_in_ != len(FEATURES) \
            or forest.classes_.tolist() != classes:
        raise ModelRejected(f"{name} is not the random forest its card describes")
    _BUILT[actual] = forest
    return LoadedModel(forest, card, actual)


def quarantine(directory: Path) -> list[Path]:
    """Move a rejected model and its card aside (kept for inspection, never loaded again)."""
    moved = []
    for path in [directory / CARD, *directory.glob("model-*.skops")]:
        if path.exists():
            target = path.with_name(path.name + ".rejected")
            os.replace(path, target)
            moved.append(target)
    return moved
