"""The period search's effect on the suite's tabular pipelines, CRTS 7 and 16 classes.

Run: ``OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_period_crts.py``
(``--n-jobs`` for the forests, ``--quick`` for a smoke run on 800 stars).
Writes benchmarks/results/period_crts.{json,md}; the features are cached under
``benchmarks/.cache/`` (about 10 minutes per method on one core for all
9,213 stars).

The same pipelines as ``run_suite.py``'s ``rf-features`` (random forest,
balanced subsamples) and ``hgb-features`` (histogram gradient boosting,
balanced), on the 16 features computed with ``FeatureExtractor(period_method=
"upsilon")`` and ``"robust"``, and on the robust 16 plus the three
``period_details`` columns; 5-fold ``StratifiedGroupKFold`` on the catalogue
``group`` (seed 0, as the suite), the same folds for every variant.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, uptime
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold

from sklearn_lc import FeatureExtractor, load_light_curves

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
CRTS7 = ("EW", "EA", "RRab", "RRc", "RRd", "RS_CVn", "LPV")


def _settings_key() -> str:
    """Short hash of the robust search's settings: a changed search is recomputed."""
    from sklearn_lc import periodogram as P

    text = json.dumps({**P._ROBUST, "err_floor": P._ERR_FLOOR, "outlier": P._OUTLIER},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def features(lcs, method: str, tag: str) -> tuple[np.ndarray, float]:
    """16 features (+3 period details), cached; seconds to compute."""
    CACHE.mkdir(exist_ok=True)
    key = method if method == "upsilon" else f"{method}-{_settings_key()}"
    path = CACHE / f"period_crts_{tag}_{key}.npy"
    if path.is_file():
        meta = json.loads(path.with_suffix(".json").read_text())
        return np.load(path), meta["seconds"]
    t0 = time.perf_counter()
    F = FeatureExtractor(period_method=method, period_details=True).fit_transform(lcs)
    sec = time.perf_counter() - t0
    np.save(path, F)
    path.with_suffix(".json").write_text(json.dumps({"seconds": sec}))
    return F, sec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--pipelines", default="rf-features,hgb-features")
    args = ap.parse_args()
    d = load_light_curves("crts_drake14")
    lcs, y, groups = d.light_curves, d.target, d.group
    tag = "all"
    if args.quick:
        idx = np.sort(np.random.RandomState(0).choice(len(lcs), 800, replace=False))
        lcs, y, groups, tag = [lcs[i] for i in idx], y[idx], groups[idx], "quick"
    F = {}
    seconds = {}
    for method in ("upsilon", "robust"):
        F[method], seconds[method] = features(lcs, method, tag)
        print(method, F[method].shape, f"{seconds[method]:.0f} s", flush=True)
    variants = {"upsilon period, 16 features": F["upsilon"][:, :16],
                "robust period, 16 features": F["robust"][:, :16],
                "robust period, 16 + 3 period details": F["robust"]}
    pipes = {
        "rf-features": lambda: RandomForestClassifier(
            n_estimators=100 if args.quick else 300, class_weight="balanced_subsample",
            n_jobs=args.n_jobs, random_state=0),
        "hgb-features": lambda: HistGradientBoostingClassifier(
            max_iter=60 if args.quick else 200, learning_rate=0.08, class_weight="balanced",
            random_state=0),
    }
    pipes = {k: v for k, v in pipes.items() if k in args.pipelines.split(",")}
    out = {"n_stars": len(lcs), "feature_seconds": seconds, "tasks": {},
           "robust_settings": _settings_key()}
    P = {m: F[m][:, 3] for m in F}
    same = np.abs(P["robust"] - P["upsilon"]) <= 0.01 * np.maximum(P["upsilon"], 1e-12)
    half = np.abs(P["robust"] - 2 * P["upsilon"]) <= 0.02 * np.maximum(P["upsilon"], 1e-12)
    out["period_agreement"] = {
        c: {"n": int((y == c).sum()), "same": float(same[y == c].mean()),
            "robust_twice_upsilon": float(half[y == c].mean())} for c in np.unique(y)}
    for task in ("crts7", "crts16"):
        sel = np.flatnonzero(np.isin(y, CRTS7)) if task == "crts7" else np.arange(len(y))
        cv = StratifiedGroupKFold(5, shuffle=True, random_state=0)
        folds = list(cv.split(sel, y[sel], groups[sel]))
        res = {}
        for pname, make in pipes.items():
            for vname, X in variants.items():
                acc, f1 = [], []
                for tr, te in folds:
                    est = make().fit(X[sel][tr], y[sel][tr])
                    pred = est.predict(X[sel][te])
                    acc.append(accuracy_score(y[sel][te], pred))
                    f1.append(f1_score(y[sel][te], pred, average="macro"))
                res[f"{pname} | {vname}"] = {"acc": acc, "f1": f1}
                print(task, pname, vname, f"acc {np.mean(acc):.3f} f1 {np.mean(f1):.3f}",
                      flush=True)
        out["tasks"][task] = res
    out["uptime"] = uptime()
    RESULTS.mkdir(exist_ok=True)
    stem = "period_crts_quick" if args.quick else "period_crts"
    (RESULTS / f"{stem}.json").write_text(json.dumps(out, indent=2))
    lines = ["# Period search and the CRTS tabular pipelines", "",
             f"{out['n_stars']} CRTS stars; 5-fold StratifiedGroupKFold on `group` (seed 0), "
             "the same folds for every row; mean +- std over folds. rf-features: "
             "RandomForest(300, balanced_subsample); hgb-features: "
             "HistGradientBoosting(200, lr 0.08, balanced): `run_suite.py`'s with 300 trees "
             "and 200 iterations instead of 500 and 400, to fit the time. Features: "
             "`FeatureExtractor(period_method=...)` (all 16 depend on the period through the "
             "Fourier and folded features), and `period_details=True`.", "",
             "| task | pipeline | features | accuracy | macro-F1 |", "|---|---|---|---|---|"]
    for task, res in out["tasks"].items():
        for key, r in res.items():
            pname, vname = key.split(" | ")
            lines.append(f"| {task} | {pname} | {vname} | {np.mean(r['acc']):.3f} +- "
                         f"{np.std(r['acc']):.3f} | {np.mean(r['f1']):.3f} +- "
                         f"{np.std(r['f1']):.3f} |")
    lines += ["", "Period agreement between the two searches (within 1%; robust = 2x upsilon "
              "within 2%), by class:", "", "| class | n | same | robust twice upsilon |",
              "|---|---|---|---|"]
    for c, a in out["period_agreement"].items():
        lines.append(f"| {c} | {a['n']} | {a['same']:.0%} | {a['robust_twice_upsilon']:.0%} |")
    lines += ["", f"Robust search settings key: {out['robust_settings']} (a hash of "
              "`periodogram._ROBUST`, `_ERR_FLOOR` and `_OUTLIER`: the cache is recomputed when "
              "they change)."]
    lines += ["", f"Feature extraction, one thread: upsilon {seconds['upsilon']:.0f} s, robust "
              f"{seconds['robust']:.0f} s (shared machine). Load at the end: {out['uptime']}"]
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
