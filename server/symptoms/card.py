"""The model card: what the model was trained on, how well it does, and what it must not be used for.

Built as a JSON-ready dict by `build` (the server reads its figures for every answer) and
rendered to markdown by `render`. Everything in "figures" is a pure function of the data,
the code and the TrainConfig, so the same seed gives the same card (only trained_at moves).
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version

from server.symptoms.dataset import FEATURES, Dataset
from server.symptoms.evaluation import TrainConfig

SOURCE = ("Disease Symptom and Patient Profile Dataset (Kaggle), as mirrored in the public GitHub "
          "repository nanette0976/data, file Disease_symptom_and_patient_profile_dataset.csv, commit 129e6cc")
ENCODING = {
    "fever": "0/1", "cough": "0/1", "fatigue": "0/1", "difficulty_breathing": "0/1",
    "age": "years (training range in data.age_range)",
    "gender_male": "1 male, 0 female; 'other' is answered as the mean of both predictions",
    "blood_pressure": "low 0, normal 1, high 2", "cholesterol_level": "low 0, normal 1, high 2",
}
LIBRARIES = ("scikit-learn", "skops", "numpy", "scipy")


def libraries() -> dict[str, str]:
    return {name: version(name) for name in LIBRARIES}


def model_version(data_sha256: str, config: TrainConfig, libs: dict[str, str]) -> str:
    """Names the recipe (data, settings, library versions): equal recipes give equal models."""
    recipe = json.dumps({"data": data_sha256, "config": config.as_dict(), "libs": libs}, sort_keys=True)
    return "rf-" + hashlib.sha256(recipe.encode()).hexdigest()[:12]


def build(data: Dataset, used: Dataset, config: TrainConfig, figures: dict, classes: list[str],
          trained_at: str) -> dict:
    support, kept = data.support, used.support
    excluded = sorted(d for d in support if d not in kept)
    rows_used, rows = len(used.y), len(data.y)
    acc = figures["accuracy"]["mean"]
    libs = libraries()
    return {
        "model_version": model_version(data.sha256, config, libs),
        "trained_at": trained_at,
        "task": "Which of the diseases below best matches four yes/no symptoms, age, gender, blood pressure "
                "and cholesterol level (multi-class classification).",
        "data": {
            "source": SOURCE, "file": data.source, "sha256": data.sha256, "rows": rows,
            "diseases": len(support), "rows_used": rows_used, "diseases_used": len(kept),
            "excluded": {"rule": f"diseases with fewer than {config.min_rows} rows", "diseases": len(excluded),
                         "rows": rows - rows_used, "names": excluded},
            "duplicate_rows_used": used.duplicate_rows(), "age_range": list(data.age_range()),
        },
        "features": [{"name": f, "encoding": ENCODING[f]} for f in FEATURES],
        "model": {"type": "sklearn.ensemble.RandomForestClassifier", "params": {
            "n_estimators": config.n_estimators, "min_samples_leaf": config.min_samples_leaf,
            "random_state": config.seed}, "libraries": libs, "classes": classes},
        "training": config.as_dict(),
        "evaluation": {
            **figures,
            # Rows of excluded diseases can never be predicted: counted as misses over the whole file.
            "whole_file_accuracy_excluded_as_misses": round(acc * rows_used / rows, 4),
        },
        "limitations": [
            f"Small and noisy data: {rows_used} rows for {len(kept)} diseases, at most {max(kept.values())} "
            f"rows per disease; cross-validated accuracy {acc:.1%} (top-3 {figures['top3_accuracy']['mean']:.1%}) "
            f"against {figures['majority_baseline']['mean']:.1%} for always answering "
            f"{figures['majority_baseline']['predicts']}.",
            f"{len(excluded)} of the {len(support)} diseases in the file ({rows - rows_used} rows) have too few rows "
            "to learn or evaluate and are never predicted.",
            "Only four symptoms and four profile values: most diseases in the list cannot be told apart by them; "
            "the same inputs occur with different diseases in the data.",
            _duplicates(used.duplicate_rows(), acc, figures["accuracy_duplicates_grouped"]["mean"],
                        figures["majority_baseline"]),
            "Outcome_Variable (whether the diagnosis was confirmed) is ignored: rows with a negative outcome are "
            "still labelled with their disease, as in the earlier system.",
            f"Ages outside {data.age_range()[0]}-{data.age_range()[1]} and the gender 'other' were never seen "
            "in training; answers for them are extrapolations.",
            "Not a diagnosis and not a medical device: for demonstration and triage conversation only.",
        ],
    }


def _duplicates(copies: int, acc: float, grouped: float, baseline: dict) -> str:
    verdict = ("no better than always answering the majority class: the hits come from profiles seen, identical, "
               "in training" if grouped <= baseline["mean"] + 2 * baseline["std"] else "still above the baseline")
    return (f"{copies} used rows repeat an earlier row exactly. With the copies kept on one side of every split "
            f"the accuracy is {grouped:.1%} instead of {acc:.1%} (baseline {baseline['mean']:.1%}), {verdict}.")


def _pct(x: float) -> str:
    return f"{x * 100:.1f} %"


def render(card: dict) -> str:
    """The card as markdown (MODEL_CARD.md)."""
    d, ev, m = card["data"], card["evaluation"], card["model"]
    acc, top3, base = ev["accuracy"], ev["top3_accuracy"], ev["majority_baseline"]
    lines = [
        f"# Symptom checker model card ({card['model_version']})", "",
        f"Trained {card['trained_at']} by `python -m server.symptoms.train`. {card['task']}", "",
        "## Data", "",
        f"- Source: {d['source']}.", f"- File `{d['file']}`, SHA-256 `{d['sha256']}`.",
        f"- {d['rows']} rows, {d['diseases']} diseases; used: {d['rows_used']} rows of the {d['diseases_used']} "
        f"diseases with at least {card['training']['min_rows']} rows ({d['excluded']['rows']} rows of "
        f"{d['excluded']['diseases']} diseases excluded).",
        f"- Ages {d['age_range'][0]}–{d['age_range'][1]}; {d['duplicate_rows_used']} exact duplicate rows among "
        "those used.", "",
        "## Features", "", "| Feature | Encoding |", "|---|---|",
        *[f"| `{f['name']}` | {f['encoding']} |" for f in card["features"]], "",
        "## Model", "",
        f"`{m['type']}` with {json.dumps(m['params'])}; "
        + ", ".join(f"{k} {v}" for k, v in m["libraries"].items()) + ". Hyper-parameters fixed, not tuned.", "",
        "## Evaluation", "",
        f"Scheme: {ev['scheme']} ({ev['folds']} folds), on the diseases used.", "",
        "| | mean | std | min | max |", "|---|---|---|---|---|",
        *[f"| {name} | {_pct(f['mean'])} | {_pct(f['std'])} | {_pct(f['min'])} | {_pct(f['max'])} |"
          for name, f in (("Accuracy", acc), ("Top-3 accuracy", top3),
                          ("Accuracy, duplicate rows kept in one fold", ev["accuracy_duplicates_grouped"]),
                          (f"Majority baseline (always {base['predicts']})", base))], "",
        f"Over the whole file, counting every row of an excluded disease as a miss: "
        f"{_pct(ev['whole_file_accuracy_excluded_as_misses'])}.", "",
        "### Per-class support and recall (pooled over the repeats)", "",
        "| Disease | Rows | Recall |", "|---|---|---|",
        *[f"| {name} | {c['support']} | {_pct(c['recall'])} |" for name, c in ev["per_class"].items()], "",
        "## Limitations", "", *[f"- {item}" for item in card["limitations"]], "",
        "## Excluded diseases (never predicted)", "", ", ".join(d["excluded"]["names"]), "",
    ]
    return "\n".join(lines)
