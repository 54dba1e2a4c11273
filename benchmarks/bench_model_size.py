"""Size on disk of the ``rf-features`` model directory against its cross-validated score.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_model_size.py`` (about 10 minutes on
one core; the 16 features of the 9,213 CRTS stars are computed once and cached in
``benchmarks/.cache``). Writes ``benchmarks/results/model_size.{json,md}``.

``sklearn-lc train crts_drake14 --model rf-features`` fits a random forest on
all 9,213 CRTS stars (16 classes). A fully grown tree keeps one leaf per
training star or so, and a skops file stores every node (about 60 bytes per
node: feature, threshold, children, impurity, counts and the 16 class values),
so the directory grows with trees x stars x classes. This script measures, for
a few forest settings, the size of the saved step (``skops.io.dump``, as the
model directory stores it, and zip-compressed) and the 5-fold
StratifiedGroupKFold accuracy and macro-F1 on CRTS 16 classes and on the
7-class task.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import skops.io as sio
from _common import RESULTS, environment
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold

from sklearn_lc import FeatureExtractor, load_light_curves

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
SEVEN = ("EW", "EA", "RRab", "RRc", "RRd", "RS_CVn", "LPV")

CONFIGS = [
    {"n_estimators": 300, "min_samples_leaf": 1},  # the recipe today
    {"n_estimators": 300, "min_samples_leaf": 2},
    {"n_estimators": 300, "min_samples_leaf": 3},
    {"n_estimators": 300, "min_samples_leaf": 5},
    {"n_estimators": 100, "min_samples_leaf": 1},
    {"n_estimators": 100, "min_samples_leaf": 3},
]


def _features(data) -> np.ndarray:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / "crts_features.npy"
    if path.is_file():
        return np.load(path)
    F = FeatureExtractor().fit_transform(data.light_curves)
    np.save(path, F)
    return F


def _size(est, compression: int) -> int:
    buf = io.BytesIO()
    sio.dump(est, buf, compression=compression)
    return buf.getbuffer().nbytes


def _cv(params: dict, F: np.ndarray, y: np.ndarray, group: np.ndarray) -> dict:
    cv = StratifiedGroupKFold(5, shuffle=True, random_state=0)
    acc, f1 = [], []
    for train, test in cv.split(F, y, group):
        rf = RandomForestClassifier(class_weight="balanced", random_state=0, **params)
        pred = rf.fit(F[train], y[train]).predict(F[test])
        acc.append(accuracy_score(y[test], pred))
        f1.append(f1_score(y[test], pred, average="macro", labels=np.unique(y[test]),
                           zero_division=0))
    return {"accuracy": float(np.mean(acc)), "accuracy_std": float(np.std(acc)),
            "macro_f1": float(np.mean(f1)), "macro_f1_std": float(np.std(f1))}


def main() -> None:
    import zipfile

    data = load_light_curves("crts_drake14")
    t0 = time.perf_counter()
    F = _features(data)
    y, group = np.asarray(data.target), np.asarray(data.group)
    seven = np.isin(y, SEVEN)
    rows = []
    for params in CONFIGS:
        rf = RandomForestClassifier(class_weight="balanced", random_state=0, **params)
        rf.fit(F, y)  # what `train crts_drake14 --model rf-features` fits
        row = {**params,
               "n_nodes": int(sum(t.tree_.node_count for t in rf.estimators_)),
               "skops_mb": _size(rf, zipfile.ZIP_STORED) / 1e6,
               "skops_deflated_mb": _size(rf, zipfile.ZIP_DEFLATED) / 1e6,
               "crts16": _cv(params, F, y, group),
               "crts7": _cv(params, F[seven], y[seven], group[seven])}
        rows.append(row)
        print(json.dumps(row), flush=True)
    env = environment(seconds=round(time.perf_counter() - t0, 1))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "model_size.json").write_text(json.dumps({"env": env, "rows": rows}, indent=2)
                                             + "\n")
    lines = [
        "# Size of the rf-features model against its score",
        "",
        "Random forest (balanced class weights) on FeatureExtractor's 16 features, fitted on "
        "all 9,213 CRTS stars as `sklearn-lc train crts_drake14 --model rf-features` does. "
        "Size: the forest's skops file as the model directory stores it (and zip-deflated). "
        "Scores: 5-fold StratifiedGroupKFold on `group`, mean +- std over folds. "
        f"Written by `benchmarks/bench_model_size.py` (load {env['load_1min']:.1f}, "
        f"{env['seconds']:.0f} s).",
        "",
        "| trees | min_samples_leaf | nodes | skops MB | deflated MB | CRTS-16 accuracy | "
        "CRTS-16 macro-F1 | CRTS-7 accuracy | CRTS-7 macro-F1 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c16, c7 = r["crts16"], r["crts7"]
        lines.append(
            f"| {r['n_estimators']} | {r['min_samples_leaf']} | {r['n_nodes']:,} | "
            f"{r['skops_mb']:.1f} | {r['skops_deflated_mb']:.1f} | "
            f"{c16['accuracy']:.3f} +- {c16['accuracy_std']:.3f} | "
            f"{c16['macro_f1']:.3f} +- {c16['macro_f1_std']:.3f} | "
            f"{c7['accuracy']:.3f} +- {c7['accuracy_std']:.3f} | "
            f"{c7['macro_f1']:.3f} +- {c7['macro_f1_std']:.3f} |")
    (RESULTS / "model_size.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
