"""A small, quick symptom model (same code path as the real one, fewer trees and repeats) for tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from server.symptoms import store
from server.symptoms.evaluation import TrainConfig
from server.symptoms.train import train

SMALL = TrainConfig(n_estimators=15, n_repeats=1)
AT = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def train_small(directory: Path, config: TrainConfig = SMALL) -> Path:
    forest, card = train(config, AT)
    store.save(directory, forest, card)
    return directory
