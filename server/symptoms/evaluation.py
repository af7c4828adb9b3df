"""How good is the forest? Repeated stratified cross-validation beside a majority-class baseline.

The scheme, and why: 61 of the 116 diseases have one row and 18 have two. Stratified
k-fold needs at least k rows of a class to put one in every test fold, and a disease
seen once can never be predicted for an unseen patient anyway. So the model is trained
and evaluated on the diseases with at least `min_rows` (= k) rows only; the card lists the
others as "not predicted" and also gives the accuracy over the whole file if every row
of an excluded disease is counted as a miss. Splits are repeated with different shuffles
(`n_repeats`) because one 5-fold split of 236 rows gives a noisy figure; the spread is the
standard deviation over all folds of all repeats (folds share training rows, so it is a
rough spread, not a confidence interval). Hyper-parameters are fixed, not tuned on these
folds, so the figures are not inflated by model selection.

The file repeats some rows exactly (same features, same disease). A copy on each side of a
split is an easy hit, so a second figure keeps copies together (StratifiedGroupKFold,
groups = identical rows, same repeats and seeds): the gap between the two shows how much
the first owes to duplicates.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedGroupKFold

from server.symptoms.dataset import Dataset


class TrainingCancelled(Exception):
    """The server is stopping: training gave up between two folds."""


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 13
    n_splits: int = 5
    n_repeats: int = 10
    min_rows: int = 5            # classes with fewer rows are left out (see the module docstring)
    n_estimators: int = 200
    min_samples_leaf: int = 1

    def as_dict(self) -> dict:
        return asdict(self)


def make_forest(config: TrainConfig) -> RandomForestClassifier:
    # n_jobs=1: deterministic and polite on a shared 2-core machine; the data is tiny.
    return RandomForestClassifier(n_estimators=config.n_estimators, min_samples_leaf=config.min_samples_leaf,
                                  random_state=config.seed, n_jobs=1)


def _spread(values: list[float]) -> dict:
    arr = np.array(values, dtype=np.float64)
    return {"mean": round(float(arr.mean()), 4), "std": round(float(arr.std(ddof=1)), 4),
            "min": round(float(arr.min()), 4), "max": round(float(arr.max()), 4)}


def _duplicate_groups(data: Dataset) -> np.ndarray:
    keys: dict = {}
    return np.array([keys.setdefault((tuple(x), label), len(keys))
                     for x, label in zip(data.X.tolist(), data.y.tolist(), strict=True)])


def grouped_accuracy(data: Dataset, config: TrainConfig, stop: threading.Event | None = None) -> dict:
    """Accuracy with identical rows never split between training and test."""
    groups, accuracy = _duplicate_groups(data), []
    for repeat in range(config.n_repeats):
        cv = StratifiedGroupKFold(n_splits=config.n_splits, shuffle=True, random_state=config.seed + repeat)
        for train, test in cv.split(data.X, data.y, groups):
            if stop is not None and stop.is_set():
                raise TrainingCancelled
            forest = make_forest(config).fit(data.X[train], data.y[train])
            accuracy.append(float((forest.predict(data.X[test]) == data.y[test]).mean()))
    return _spread(accuracy)


def cross_validate(data: Dataset, config: TrainConfig, stop: threading.Event | None = None) -> dict:
    """Figures for the card, computed on `data` (already restricted to the kept diseases)."""
    if config.min_rows < config.n_splits:
        raise ValueError("min_rows must be at least n_splits: every test fold needs a row of every class")
    support = data.support
    if min(support.values()) < config.n_splits:
        raise ValueError("restrict the data to classes with at least n_splits rows first")
    cv = RepeatedStratifiedKFold(n_splits=config.n_splits, n_repeats=config.n_repeats, random_state=config.seed)
    accuracy, top3, baseline = [], [], []
    hits: Counter = Counter()
    for train, test in cv.split(data.X, data.y):
        if stop is not None and stop.is_set():
            raise TrainingCancelled
        forest = make_forest(config).fit(data.X[train], data.y[train])
        proba = forest.predict_proba(data.X[test])
        order = np.argsort(-proba, axis=1, kind="stable")
        predicted = forest.classes_[order[:, 0]]
        truth = data.y[test]
        correct = predicted == truth
        accuracy.append(float(correct.mean()))
        top3.append(float(np.mean([t in forest.classes_[o[:3]] for t, o in zip(truth, order, strict=True)])))
        dummy = DummyClassifier(strategy="most_frequent").fit(data.X[train], data.y[train])
        baseline.append(float((dummy.predict(data.X[test]) == truth).mean()))
        hits.update(truth[correct].tolist())
    majority = max(sorted(support), key=lambda d: support[d])
    return {
        "scheme": f"repeated stratified {config.n_splits}-fold, {config.n_repeats} repeats, seed {config.seed}",
        "folds": len(accuracy),
        "accuracy": _spread(accuracy),
        "top3_accuracy": _spread(top3),
        "majority_baseline": {**_spread(baseline), "predicts": majority},
        "accuracy_duplicates_grouped": grouped_accuracy(data, config, stop),
        # Each row is tested once per repeat: recall pooled over the repeats.
        "per_class": {d: {"support": support[d], "recall": round(hits[d] / (support[d] * config.n_repeats), 4)}
                      for d in sorted(support, key=lambda d: (-support[d], d))},
    }
