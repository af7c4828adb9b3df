"""`python -m server.symptoms.train`: the one reproducible training command.

Reads the committed CSV, cross-validates (server/symptoms/evaluation.py), fits the forest
on the diseases kept, and writes the model, card.json and MODEL_CARD.md into `--out`
(default: `$DATA_DIR/symptoms`, where the server looks). The same seed gives the same
figures. The server calls `ensure_model` at start when no usable model is there.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from server.clock import Clock
from server.symptoms import card as cards
from server.symptoms import dataset, store
from server.symptoms.evaluation import TrainConfig, TrainingCancelled, cross_validate, make_forest

log = logging.getLogger(__name__)
LOCK = ".train.lock"


def train(config: TrainConfig, trained_at: datetime, data_path: Path = dataset.DATA_FILE,
          stop: threading.Event | None = None) -> tuple[object, dict]:
    """(forest, card) for `config`; pure apart from the card's trained_at."""
    data = dataset.load(data_path)
    used = data.restricted_to(config.min_rows)
    figures = cross_validate(used, config, stop)
    forest = make_forest(config).fit(used.X, used.y)
    return forest, cards.build(data, used, config, figures, forest.classes_.tolist(),
                               trained_at.replace(microsecond=0).isoformat())


@contextlib.contextmanager
def _exclusive(directory: Path, stop: threading.Event | None):
    """One trainer per model directory across processes; waiting gives up when `stop` is set."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK, "w") as f:
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if stop is None:
                    time.sleep(0.5)
                elif stop.wait(0.5):
                    raise TrainingCancelled from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _lower_priority() -> None:
    """Training at start yields the CPU to the server it runs in (Linux: niceness is per thread)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def ensure_model(directory: Path, config: TrainConfig, now: datetime,
                 stop: threading.Event | None = None) -> store.LoadedModel:
    """Load the model of `directory`; train it first if it is missing or rejected (blocking: run in a thread)."""
    try:
        return store.load(directory)
    except store.ModelMissing as exc:
        log.info("symptom model missing (%s): training", exc)
    except store.ModelRejected as exc:
        log.error("symptom model rejected, moved aside and retrained: %s", exc)
    with _exclusive(directory, stop):
        try:  # another process may have trained it while we waited for the lock
            return store.load(directory)
        except store.ModelMissing:
            pass
        except store.ModelRejected:
            store.quarantine(directory)
        started = time.monotonic()
        _lower_priority()
        forest, card = train(config, now, stop=stop)
        store.save(directory, forest, card)
        acc = card["evaluation"]["accuracy"]
        log.info("symptom model %s trained in %.1f s: accuracy %.3f ± %.3f (baseline %.3f)",
                 card["model_version"], time.monotonic() - started, acc["mean"], acc["std"],
                 card["evaluation"]["majority_baseline"]["mean"])
        return store.load(directory)


def main(argv: list[str] | None = None) -> int:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="python -m server.symptoms.train", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        default=Path(os.environ.get("DATA_DIR", "").strip() or "./data") / "symptoms",
                        help="model directory (default: $DATA_DIR/symptoms)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--repeats", type=int, default=defaults.n_repeats)
    parser.add_argument("--trees", type=int, default=defaults.n_estimators)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = TrainConfig(seed=args.seed, n_repeats=args.repeats, n_estimators=args.trees)
    with _exclusive(args.out, None):
        forest, card = train(config, Clock().now())
        card = store.save(args.out, forest, card)
    ev = card["evaluation"]
    log.info("wrote %s (%s): accuracy %.1f %% ± %.1f, top-3 %.1f %%, majority baseline %.1f %%",
             args.out, card["model_version"], 100 * ev["accuracy"]["mean"], 100 * ev["accuracy"]["std"],
             100 * ev["top3_accuracy"]["mean"], 100 * ev["majority_baseline"]["mean"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
