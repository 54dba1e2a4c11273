"""The cross-validated benchmark suite of sklearn_lc, in one resumable command.

    python benchmarks/run_suite.py                 # everything, 5 folds
    python benchmarks/run_suite.py --quick         # smoke run: small subsets, 2 folds, 2 epochs
    python benchmarks/run_suite.py --tasks crts7 --pipelines rf-features,cnn-dmdt

Tasks: ``crts7`` (EW, EA, RRab, RRc, RRd, RS_CVn, LPV), ``crts16`` (all 16 CRTS
classes), both with ``StratifiedGroupKFold`` on the catalogue ``group``.
Every (task, pipeline, fold) result is written to
``<out>/runs/<task>/<pipeline>/fold<k>.json`` as soon as it is done and
skipped when it already exists (``--force`` recomputes), so an interrupted
run resumes where it stopped. Stateless per-star representations (features,
dm-dt images, windows) are computed once per task and cached under
``<out>/cache``: that is exact, since they do not depend on the other stars.
The stateful Freedman-Diaconis histogram is fitted inside each fold.

The report (``<out>/report.md``, ``<out>/report.html``, ``<out>/*.png``)
holds the mean ± std accuracy and macro-F1 of each pipeline next to the
published figures, the per-class F1 of the best pipeline, its confusion
matrix, the learning curves of the deep models, and whether stacking beats
its best member. It covers the pipelines of the command that wrote it: after
a run restricted with ``--pipelines``, ``--report-only`` rewrites it from every
pipeline whose folds are all finished. The per-fold files (``<out>/runs``,
tens of MB with the test probabilities) are not committed: only the report,
summaries and figures are; ``--report-only --out FOLDER`` rebuilds the report
from the folder of any run.

The other benchmarks run from the same command (``--benchmarks``, all by
default): speed ratios against the reference libraries (``dmdt-speed``,
``features-speed``; these need the ``bench`` extra), the ASAS transfer
benchmark (``transfer``) and the deep estimators' throughput (``deep``). Each
is its own script in ``benchmarks/``, run in a child process and skipped when
its result file exists (``--force`` re-runs it); its Markdown table is
appended to the report. A full run reads and writes ``benchmarks/results``;
``--quick`` runs their smoke modes into ``<out>/benchmarks`` instead, so the
committed results are never overwritten by a smoke run.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    StackingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import sklearn_lc
from sklearn_lc import load_light_curves, make_light_curves

HERE = Path(__file__).resolve().parent
CRTS7 = ("EW", "EA", "RRab", "RRc", "RRd", "RS_CVn", "LPV")
PUBLISHED = {
    "crts7": [
        ("Mahabal et al. 2017, dm-dt CNN", 0.83, None),
        ("2024 study, 2-D CNN", 0.745, 0.54),
        ("2024 study, 1-D CNN-LSTM", 0.666, 0.49),
        ("RF on ~28 statistics + fine periodogram (PERFORMANCE.md)", 0.86, 0.84),
    ],
    "crts16": [("RF on ~28 statistics + fine periodogram (PERFORMANCE.md)", 0.80, 0.56)],
}
# Class counts of the published 7-class CRTS sets (two thirds or more EW), to restate our
# accuracies at their class mix: sum over classes of (their share) x (our recall).
PUBLISHED_MIX = {
    "crts7": {
        # Mahabal et al. 2017, Table 1 (../shared/papers/002_*)
        "Mahabal 2017 mix": {"EW": 30743, "EA": 4683, "RRab": 2420, "RRc": 5469, "RRd": 502,
                             "RS_CVn": 1522, "LPV": 512},
        # the 2024 study's table as printed (../shared/papers/000_*; its RRab and RRc counts
        # look swapped with the OGLE RRL count, but they sum to its 68,867)
        "2024 study mix": {"EW": 30745, "EA": 4683, "RRab": 2431, "RRc": 28473, "RRd": 502,
                           "RS_CVn": 1522, "LPV": 511},
    },
}
# name: (script, stem of the result files it writes, the stem of its --quick run)
BENCHMARKS = {
    "dmdt-speed": ("bench_dmdt.py", "dmdt_speed", "dmdt_speed"),
    "features-speed": ("bench_features.py", "features_speed", "features_speed"),
    "transfer": ("bench_transfer.py", "transfer", "transfer"),
    "deep": ("bench_deep.py", "deep", "deep_quick"),
}
N_FEATURES = 16  # the UPSILoN features
N_SECOND = 5  # FeatureExtractor(second_period=True)'s extra columns, after the 16
FEATURE_PERIOD = 3  # the period column of FeatureExtractor's output
# how the folded pipelines fold: at the period, phase 0 at the faintest point of a harmonic
# fit (FeatureFold's defaults; on CRTS 7-class fold 0 the hybrid scored 0.887 macro-F1 with
# 64 bins over one period against 0.883 over two, three seeds each)
FOLD = dict(multiple=1.0, align="faintest")
# the period search of the features and of every fold (FeatureExtractor's default); part of
# the cache keys, so that a cache written with another search is never read
PERIOD_METHOD = "robust"
N_BINS = 64
DMDT_SHAPE = (1, 22, 23)


# ----------------------------------------------------------------------------- data

def load_task(task: str, quick: bool, max_per_class: int | None, seed: int):
    """Return a task's source light curves and the selection that defines it.

    Returns ``(source, lcs, index, y, groups)``: the per-star representations are
    computed once on ``lcs`` (all stars of the source set, cached under
    ``source``) and the task reads rows ``index`` of them.
    """
    try:
        data = load_light_curves("crts_drake14")
        lcs, y, groups, source = data.light_curves, data.target, data.group, "crts"
    except FileNotFoundError:
        print("CRTS not found: running on simulated light curves")
        lcs, y = make_light_curves(40 if quick else 300, random_state=seed)
        groups, source = np.arange(len(y)), "synthetic"
    index = np.flatnonzero(np.isin(y, CRTS7)) if task == "crts7" else np.arange(len(y))
    cap = 30 if quick else max_per_class
    if cap:
        rng = np.random.RandomState(seed)
        yt = y[index]
        index = np.sort(np.concatenate([
            rng.choice(index[yt == c], min(cap, np.sum(yt == c)), replace=False)
            for c in np.unique(yt)
        ]))
    if quick or max_per_class:  # a subset: compute only what it needs
        lcs, source = [lcs[i] for i in index], f"{source}-{task}-cap{cap}-seed{seed}"
        y, groups, index = y[index], groups[index], np.arange(len(index))
    return source, lcs, index, np.asarray(y)[index], np.asarray(groups)[index]


def cached(out: Path, key: str, fn):
    """Compute ``fn()`` once and keep it as ``<out>/cache/<key>.npy``."""
    path = out / "cache" / f"{key}.npy"
    if path.exists():
        return np.load(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    arr = fn()
    np.save(path, arr)
    print(f"  cached {key} {arr.shape} in {time.perf_counter() - t0:.1f} s")
    return arr


# ------------------------------------------------------------------------ pipelines

def _cols(start: int, stop: int, shape: tuple | None = None, *more: tuple[int, int]):
    """Columns ``start:stop`` (and the further ``(start, stop)`` ranges), reshaped."""
    idx = np.concatenate([np.arange(a, b) for a, b in ((start, stop),) + more])

    def take(X):
        part = np.asarray(X)[:, idx]
        return part.reshape((len(part),) + shape) if shape else part

    return FunctionTransformer(take)


def build_pipelines(quick: bool, seed: int, n_jobs: int) -> dict:
    """Pipelines over the cached representation ``[features | second period | flat dm-dt]``.

    ``features`` are the 16 UPSILoN columns, ``second period`` the 5 columns of
    ``FeatureExtractor(second_period=True)``; pipelines named ``*-p2`` use them.

    Each factory returns ``(estimator, input)``: ``input`` names which cached
    array the estimator reads ("table" = features and flat image side by side,
    "windows" = WindowPad output, "folded" = WindowPad of PhaseFold curves,
    "folded64" = the same with 64 points,
    "featurefold" = FeatureFold rows, "foldbins" = their phase bins alone,
    "raw" = the light curves themselves).
    """
    epochs = 2 if quick else 40
    deep = dict(max_epochs=epochs, random_state=seed, class_weight="balanced",
                lr_schedule="plateau", patience=6, batch_size=128)
    # the transformers train 4-8x slower than the CNN-LSTM on CPU (126 and 69 samples/s
    # for the MLP and LSTM heads, one thread): a fixed budget of 20 epochs, annealed to
    # zero by a cosine schedule, the best validation epoch restored. Batches of 32 (4x
    # the optimizer steps of 128): with 128 and lr 5e-4 fold 0 was still underfitting
    # after 20 epochs (train loss 1.42, accuracy 0.344)
    transformer = dict(deep, max_epochs=2 if quick else 20, lr_schedule="cosine",
                       early_stopping=False, batch_size=32, lr=1e-3,
                       module__d_model=64)  # CPU-sized; the estimator's default is 256
    n_tab = N_FEATURES + N_SECOND
    img_cols = (n_tab, n_tab + int(np.prod(DMDT_SHAPE)))
    # networks on folded curves (FeatureFold / PhaseFold phase bins): every epoch on all the
    # training stars (no validation split; on CRTS 7-class fold 0 three seeds of the hybrid
    # scored 0.881-0.886 macro-F1 so, against 0.867-0.884 with a 10% split and the best
    # epoch restored), 40 epochs of a cosine schedule, augmentation of the bins (errors
    # resampled, 10% of bins dropped, phase shifts up to 5% of a cycle) and dropout 0.3
    # (without them fold 0 overfitted: training loss 0.03, macro-F1 0.859)
    # Class weights: the square root of the balanced ones (CRTS 16-class fold 0: macro-F1
    # 0.642 and accuracy 0.840, against 0.568 and 0.761 with the balanced weights, which reach
    # 115 for the 5-star LADS; 7-class fold 0: 0.888 against 0.884-0.890)
    # the schedule of every network on folded curves: 40 epochs, cosine, no validation split
    fold_schedule = dict(max_epochs=2 if quick else 40, lr_schedule="cosine",
                         early_stopping=False, validation_fraction=None, random_state=seed)
    folded = dict(fold_schedule, batch_size=128, lr=2e-3, class_weight="balanced_sqrt",
                  module__dropout=0.3, module__augment_noise=1.0, module__augment_drop=0.1,
                  module__augment_phase_shift=0.05, sequence_shape=(N_BINS, 5))

    def rf():
        return RandomForestClassifier(n_estimators=100 if quick else 500, n_jobs=n_jobs,
                                      class_weight="balanced_subsample", random_state=seed)

    def cnn(batch_norm=False):
        # no early stopping: the validation accuracy of the dm-dt CNN still rises
        # after noisy plateaus; cosine schedule, best epoch restored
        # batch_norm=False: the architecture these settings were tuned on and the committed
        # folds ran with (fold 0, balanced weights: macro-F1 0.683 without, 0.662 with
        # batch norm; batch norm is the module default because without class weights the
        # net can sit at chance: fold 0 accuracy 0.19 without, 0.72 with)
        return sklearn_lc.CNNClassifier(
            lr=3e-3, max_epochs=2 if quick else 30, batch_size=64, early_stopping=False,
            lr_schedule="cosine", module__dropout=0.3, module__batch_norm=batch_norm,
            class_weight="balanced", random_state=seed)

    def hgb():
        return HistGradientBoostingClassifier(max_iter=60 if quick else 400, learning_rate=0.08,
                                              class_weight="balanced", random_state=seed)

    P = {
        "rf-features": lambda: (make_pipeline(_cols(0, N_FEATURES), rf()), "table"),
        "rf-dmdt": lambda: (make_pipeline(_cols(*img_cols), rf()), "table"),
        "hgb-features": lambda: (make_pipeline(_cols(0, N_FEATURES), hgb()), "table"),
        "hgb-all": lambda: (make_pipeline(_cols(0, N_FEATURES, None, img_cols), hgb()),
                            "table"),
        "rf-features-p2": lambda: (make_pipeline(_cols(0, n_tab), rf()), "table"),
        "hgb-features-p2": lambda: (make_pipeline(_cols(0, n_tab), hgb()), "table"),
        "hgb-all-p2": lambda: (hgb(), "table"),
        "cnn-dmdt": lambda: (make_pipeline(_cols(*img_cols, DMDT_SHAPE),
                                           FunctionTransformer(np.sqrt), cnn()), "table"),
        # with batch norm: on the 16 classes (balanced weights from 0.36 to 115, LADS has 5 stars)
        # the net without it sat at chance (fold 0: accuracy 0.13, macro-F1 0.015)
        "cnn-dmdt-bn": lambda: (make_pipeline(_cols(*img_cols, DMDT_SHAPE),
                                              FunctionTransformer(np.sqrt), cnn(True)),
                                "table"),
        "cnn-lstm": lambda: (sklearn_lc.CNNLSTMClassifier(lr=2e-3, **deep), "windows"),
        "transformer-mlp": lambda: (sklearn_lc.TransformerClassifier(
            head="mlp", **transformer), "windows"),
        "transformer-lstm": lambda: (sklearn_lc.TransformerClassifier(
            head="lstm", **transformer), "windows"),
    }
    # the fold alone (no feature columns): CNN, CNN-LSTM and transformer branches
    for backbone in ("cnn", "cnn-lstm", "transformer"):
        P[f"{backbone}-folded"] = (lambda b=backbone: (sklearn_lc.HybridClassifier(
            backbone=b, **folded), "foldbins"))
    # features and fold: FeatureFold rows [21 features | 64 bins x 5 channels]
    P["hybrid"] = lambda: (sklearn_lc.HybridClassifier(backbone="cnn", **folded),
                           "featurefold")
    P["hybrid-cnn-lstm"] = lambda: (sklearn_lc.HybridClassifier(
        backbone="cnn-lstm", **folded), "featurefold")
    P["hybrid-transformer"] = lambda: (sklearn_lc.HybridClassifier(
        backbone="transformer", **folded), "featurefold")
    # the point-by-point sequence models on folded curves: PhaseFold at the features'
    # period, then WindowPad(200, "subsample")
    P["cnn-lstm-folded-windows"] = lambda: (sklearn_lc.CNNLSTMClassifier(
        lr=2e-3, module__augment_noise=1.0, module__augment_drop=0.1,
        module__augment_phase_shift=0.05, **dict(deep, max_epochs=2 if quick else 30)),
        "folded")
    # the periodic transformer on 64 points spread over the folded cycle, magnitudes x 10
    # (module__mag_scale; CRTS 7-class fold 0 after 5 epochs: macro-F1 0.66, against 0.17
    # with 1 and 0.51 with each window scaled to unit deviation), from scratch and fine-tuned
    # from the shipped "folded" encoder (masked pretraining on the folded curves of every
    # CRTS, ASAS and SDSS star, labels unused). No augmentation: resampling each point within
    # its error (about the amplitude of an EW star) drowned the signal (fold 0, 40 epochs:
    # 0.372 with, 0.711 without); lr 3e-3 (fold 0: 0.722 and 0.736 against 0.711 and 0.725
    # at 1e-3; both still underfit, training macro-F1 0.83-0.85); 128 points instead of 64
    # gave 0.754 from scratch at 1e-3, for 2.3x the time
    folded_transformer = dict(fold_schedule, batch_size=64, lr=3e-3, class_weight="balanced")
    P["transformer-folded-64"] = lambda: (sklearn_lc.TransformerClassifier(
        head="mlp", module__d_model=64, module__time_encoding="periodic",
        module__mag_scale=10.0, **folded_transformer), "folded64")
    P["transformer-folded-pretrained"] = lambda: (sklearn_lc.TransferClassifier(
        "folded", backbone_lr_factor=1.0, **folded_transformer), "folded64")
    P["cnn-fdhist"] = lambda: (make_pipeline(sklearn_lc.FreedmanDiaconisHist(
        n_jobs=n_jobs), cnn()), "raw")

    def stacking():
        members = [
            ("rf_features", make_pipeline(_cols(0, N_FEATURES), rf())),
            ("cnn_dmdt", make_pipeline(_cols(*img_cols, DMDT_SHAPE),
                                       FunctionTransformer(np.sqrt), cnn())),
        ]
        return StackingClassifier(members, final_estimator=LogisticRegression(max_iter=2000),
                                  cv=3, n_jobs=1), "table"

    P["stacking"] = stacking
    return P


def _fold_key() -> str:
    return "-".join(f"{k}{v}" for k, v in sorted(FOLD.items())) + f"-period{PERIOD_METHOD}"


class _Lazy(dict):
    """A mapping that computes each value on first access (only what the pipelines read)."""

    def __init__(self, factories: dict):
        super().__init__()
        self.factories = factories

    def __missing__(self, key):
        value = self[key] = self.factories[key]()
        return value


def representations(source, lcs, index, out, n_jobs):
    """Return the per-star representations of ``lcs`` (cached), rows ``index``, on demand."""
    def feats():
        return cached(out, f"{source}-features-p2-{PERIOD_METHOD}",
                      lambda: sklearn_lc.FeatureExtractor(
                          second_period=True, period_method=PERIOD_METHOD, n_jobs=n_jobs)
                      .fit_transform(lcs))

    def table():
        dmdt = cached(out, f"{source}-dmdt", lambda: sklearn_lc.DmDtImage(
            normalize="mahabal", flatten=True, n_jobs=n_jobs).fit_transform(lcs) / 255.0)
        return np.hstack([feats()[index], dmdt[index]]).astype(np.float32)

    def windows():
        return cached(out, f"{source}-windows", lambda: sklearn_lc.WindowPad(
            window=200).fit_transform(lcs))[index]

    def folded_windows(window, key):
        # PhaseFold at the features' period (as FeatureFold does: one period search), then
        # `window` points spread over the cycle
        def make():
            period = feats()[:, FEATURE_PERIOD].astype(np.float64)
            curves = sklearn_lc.PhaseFold(period=period, **FOLD).fit_transform(lcs)
            return sklearn_lc.WindowPad(window=window, strategy="subsample").fit_transform(curves)
        return cached(out, f"{source}-{key}-{_fold_key()}", make)[index]

    def featurefold():
        return cached(out, f"{source}-featurefold-{N_BINS}-{_fold_key()}",
                      lambda: sklearn_lc.FeatureFold(n_bins=N_BINS, **FOLD,
                                                     period_method=PERIOD_METHOD, n_jobs=n_jobs)
                      .fit_transform(lcs))[index]

    def foldbins():  # the fold part of FeatureFold's rows
        return featurefold()[:, N_FEATURES + N_SECOND:]

    return _Lazy({"table": table, "windows": windows,
                  "folded": lambda: folded_windows(200, "folded-windows"),
                  "folded64": lambda: folded_windows(64, "folded-windows64"),
                  "featurefold": featurefold, "foldbins": foldbins,
                  "raw": lambda: [lcs[i] for i in index]})


# ------------------------------------------------------------------------------ run

def _index(X, idx):
    return [X[i] for i in idx] if isinstance(X, list) else X[idx]


def run_fold(est, X, y, groups, train, test, seed):
    Xtr, Xte = _index(X, train), _index(X, test)
    if isinstance(est, StackingClassifier):
        inner = StratifiedGroupKFold(3, shuffle=True, random_state=seed)
        est.set_params(cv=list(inner.split(Xtr, y[train], groups[train])))
    t0 = time.perf_counter()
    est.fit(Xtr, y[train])
    fit_s = time.perf_counter() - t0
    pred = est.predict(Xte)
    res = {
        "accuracy": float(accuracy_score(y[test], pred)),
        "macro_f1": float(f1_score(y[test], pred, average="macro")),
        "per_class_f1": dict(zip(np.unique(y).tolist(), f1_score(
            y[test], pred, average=None, labels=np.unique(y)).tolist())),
        "confusion": confusion_matrix(y[test], pred, labels=np.unique(y)).tolist(),
        "labels": np.unique(y).tolist(),
        "fit_seconds": fit_s,
        "test_index": np.asarray(test).tolist(),
        "n_train": int(len(train)),
        "n_test": int(len(test)),
    }
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(Xte)
        order = np.searchsorted(np.unique(y), np.asarray(est.classes_))
        full = np.zeros((len(test), len(np.unique(y))))
        full[:, order] = proba
        res["proba"] = np.round(full, 6).tolist()
    net = est[-1] if hasattr(est, "steps") else est
    if hasattr(net, "history_"):
        res["history"] = {k: [float(h.get(k, np.nan)) for h in net.history_]
                          for k in ("train_loss", "valid_loss", "valid_acc")}
    if isinstance(est, StackingClassifier):
        res["members"] = {}
        for name, member in zip(est.named_estimators_, est.estimators_):
            # members are fitted on the stack's encoded labels
            mp = est.classes_[np.asarray(member.predict(Xte)).astype(int)]
            res["members"][name] = {
                "accuracy": float(accuracy_score(y[test], mp)),
                "macro_f1": float(f1_score(y[test], mp, average="macro")),
            }
    return res


def run(args) -> dict:
    out = Path(args.out)
    results: dict = {}
    for task in args.tasks:
        print(f"== task {task}")
        source, lcs, index, y, groups = load_task(task, args.quick, args.max_per_class,
                                                  args.seed)
        reps = None if args.report_only else representations(source, lcs, index, out, args.n_jobs)
        pipes = build_pipelines(args.quick, args.seed, args.n_jobs)
        cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=args.seed)
        splits = list(cv.split(np.zeros(len(y)), y, groups))
        results[task] = {"n_stars": len(y), "classes": np.unique(y).tolist(), "y": y.tolist(),
                         "pipelines": {}}
        for name in args.pipelines:
            if name not in pipes:
                print(f"  skip {name}: not available")
                continue
            folds = []
            for k, (train, test) in enumerate(splits):
                path = out / "runs" / task / name / f"fold{k}.json"
                if path.exists() and not args.force:
                    folds.append(json.loads(path.read_text()))
                    continue
                if args.report_only:
                    break
                est, kind = pipes[name]()
                res = run_fold(clone(est), reps[kind], y, groups, train, test, args.seed)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(res))
                print(f"  {name} fold {k}: acc {res['accuracy']:.3f} "
                      f"macro-F1 {res['macro_f1']:.3f} ({res['fit_seconds']:.0f} s)")
                folds.append(res)
            if args.report_only and len(folds) < len(splits):
                print(f"  {name}: {len(folds)} of {len(splits)} folds finished, left out")
                continue
            results[task]["pipelines"][name] = folds
        for spec in args.votes:
            members = spec.split("+")
            got = results[task]["pipelines"]
            if not all(m in got and got[m] and "proba" in got[m][0] for m in members):
                continue
            labels = np.unique(y)
            folds = []
            for k in range(len(splits)):
                proba = np.mean([np.asarray(got[m][k]["proba"]) for m in members], axis=0)
                test = np.asarray(got[members[0]][k]["test_index"])
                pred = labels[np.argmax(proba, axis=1)]
                folds.append({
                    "accuracy": float(accuracy_score(y[test], pred)),
                    "macro_f1": float(f1_score(y[test], pred, average="macro")),
                    "per_class_f1": dict(zip(labels.tolist(), f1_score(
                        y[test], pred, average=None, labels=labels).tolist())),
                    "confusion": confusion_matrix(y[test], pred, labels=labels).tolist(),
                    "labels": labels.tolist(),
                    "fit_seconds": float(sum(got[m][k]["fit_seconds"] for m in members)),
                    "n_train": got[members[0]][k]["n_train"],
                    "n_test": int(len(test)),
                    "test_index": test.tolist(),
                    "proba": np.round(proba, 6).tolist(),
                    "members": {m: {"accuracy": got[m][k]["accuracy"],
                                    "macro_f1": got[m][k]["macro_f1"]} for m in members},
                })
            results[task]["pipelines"][f"vote({spec})"] = folds
    return results


def benchmark_results(out: Path, quick: bool) -> dict[str, Path]:
    """Return the Markdown result file of each of ``BENCHMARKS``, by name.

    A full run reads and writes ``benchmarks/results``; a ``--quick`` run
    ``<out>/benchmarks``.
    """
    where = out / "benchmarks" if quick else HERE / "results"
    return {name: where / f"{quick_stem if quick else stem}.md"
            for name, (_, stem, quick_stem) in BENCHMARKS.items()}


def run_benchmarks(args) -> None:
    """Run the other benchmark scripts whose result files are missing (or all, ``--force``)."""
    files = benchmark_results(Path(args.out), args.quick)
    for name in args.benchmarks:
        md = files[name]
        md.parent.mkdir(parents=True, exist_ok=True)
        if md.exists() and not args.force:
            print(f"== benchmark {name}: {md} exists, skipped")
            continue
        script = BENCHMARKS[name][0]
        cmd = [sys.executable, str(HERE / script)] + (["--quick"] if args.quick else [])
        print(f"== benchmark {name}: {' '.join(cmd)}", flush=True)
        done = subprocess.run(cmd, env=dict(os.environ, SKLEARN_LC_BENCH_RESULTS=str(md.parent)))
        if done.returncode != 0:
            raise RuntimeError(f"benchmark {name!r} ({script}) failed with exit status "
                               f"{done.returncode}; its output is above")


# --------------------------------------------------------------------------- report

def summarize(folds):
    acc = np.array([f["accuracy"] for f in folds])
    f1 = np.array([f["macro_f1"] for f in folds])
    return acc.mean(), acc.std(), f1.mean(), f1.std()


def mix_accuracy(fold: dict, counts: dict, y: np.ndarray | None = None) -> float:
    """Accuracy of a fold restated at another class mix.

    Accuracy is the class-share-weighted mean of the per-class recalls, so
    with the shares of ``counts`` (class -> number of stars) it is what the
    same classifier would score on a test set with that mix. Given ``y``
    (the task's labels, indexed by the fold's ``test_index``), the
    predictions are first remade for that mix (label-shift correction: the
    fold's probabilities, learnt with balanced class weights, i.e. for equal
    priors, times the shares, then the arg max).
    """
    labels = list(fold["labels"])
    share = np.array([counts[c] for c in labels], dtype=float)
    share /= share.sum()
    if y is not None:
        proba = np.asarray(fold["proba"], dtype=float)
        true = np.asarray(y)[np.asarray(fold["test_index"])]
        pred = np.asarray(labels)[np.argmax(proba * share, axis=1)]
        recall = np.array([np.mean(pred[true == c] == c) if np.any(true == c) else 0.0
                           for c in labels])
    else:
        cm = np.asarray(fold["confusion"], dtype=float)
        recall = np.diag(cm) / np.maximum(cm.sum(axis=1), 1)
    return float(share @ recall)


def single_class_folds(folds: list) -> int:
    """Count the folds in which every test star was predicted as one class.

    A network that never leaves its initial plateau does this; the report
    names such pipelines so that a mean over folds is read with it in mind.
    """
    return sum(int(np.count_nonzero(np.asarray(fo["confusion"]).sum(axis=0)) == 1)
               for fo in folds)


def report(results: dict, out: Path, args) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = [f"# {args.title}", "", *([args.note, ""] if args.note else []),
             f"Command: `python benchmarks/run_suite.py {shlex.join(args.argv)}`  ",
             f"Folds: {args.folds} × StratifiedGroupKFold on the CRTS `group`, seed {args.seed}."
             + (" **Quick mode: tiny subsets, 2 epochs — not a result.**" if args.quick else ""),
             ""]
    summary = {}
    for task, tres in results.items():
        lines += [f"## {task} ({tres['n_stars']} stars, {len(tres['classes'])} classes)", "",
                  "| pipeline | accuracy | macro-F1 | fit s / fold |", "|---|---|---|---|"]
        rows = []
        for name, folds in tres["pipelines"].items():
            if not folds:
                continue
            a, sa, f, sf = summarize(folds)
            secs = np.mean([fo["fit_seconds"] for fo in folds])
            rows.append((f, name))
            lines.append(f"| {name} | {a:.3f} ± {sa:.3f} | {f:.3f} ± {sf:.3f} | {secs:.0f} |")
        for ref, acc, f1 in PUBLISHED.get(task, []):
            lines.append(f"| *published: {ref}* | {acc:.3f} | {'' if f1 is None else f1} | |")
        lines.append("")
        stuck = {n: (single_class_folds(f), len(f)) for n, f in tres["pipelines"].items() if f}
        stuck = {n: v for n, v in stuck.items() if v[0]}
        if stuck:
            lines += ["Folds in which a pipeline predicted one class for every test star "
                      "(a network that never left its initial plateau; its mean above "
                      "averages these with the folds that trained): "
                      + ", ".join(f"{n} {k} of {m}" for n, (k, m) in stuck.items()) + ".", ""]
        mixes = {m: c for m, c in PUBLISHED_MIX.get(task, {}).items()
                 if set(tres["classes"]) == set(c)}
        if mixes and rows:
            y_task = np.asarray(tres["y"])
            lines += ["Accuracy restated at the class mixes of the published sets, on which "
                      "their accuracies were measured (two thirds or more EW): per fold, their "
                      "share of each class times our recall of it. 'as trained': our "
                      "predictions; 'told the mix': predictions remade for that mix "
                      "(probabilities, learnt with balanced class weights, times the shares; "
                      "no refit).", "",
                      "| pipeline | " + " | ".join(f"{m}, as trained | {m}, told the mix"
                                                    for m in mixes) + " |",
                      "|---|" + "---|" * (2 * len(mixes))]
            for _, name in rows:
                folds_ = tres["pipelines"][name]
                cells = []
                for counts in mixes.values():
                    for yy in (None, y_task):
                        if yy is not None and "proba" not in folds_[0]:
                            cells.append("")
                            continue
                        v = np.array([mix_accuracy(fo, counts, yy) for fo in folds_])
                        cells.append(f"{v.mean():.3f} ± {v.std():.3f}")
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            lines.append("")
        if not rows:
            continue
        best_f1, best = max(rows)
        summary[task] = {"best": best, "macro_f1": best_f1}
        folds = tres["pipelines"][best]
        labels = folds[0]["labels"]
        cm = np.sum([np.asarray(fo["confusion"]) for fo in folds], axis=0)
        fig, ax = plt.subplots(figsize=(1 + 0.5 * len(labels), 1 + 0.45 * len(labels)))
        norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(labels)), labels, rotation=90)
        ax.set_yticks(range(len(labels)), labels)
        for i in range(len(labels)):
            for j in range(len(labels)):
                if cm[i, j]:
                    ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=7,
                            color="white" if norm[i, j] > 0.5 else "black")
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{task}: {best} (all folds)")
        fig.tight_layout()
        fig.savefig(out / f"{task}_confusion.png", dpi=110)
        plt.close(fig)
        lines += [f"Best pipeline: **{best}** (macro-F1 {best_f1:.3f}).", "",
                  f"![confusion matrix]({task}_confusion.png)", "",
                  "| class | " + " | ".join(labels) + " |",
                  "|---|" + "---|" * len(labels),
                  "| F1 | " + " | ".join(
                      f"{np.mean([fo['per_class_f1'][c] for fo in folds]):.2f}"
                      for c in labels) + " |", ""]
        for name, folds_ in tres["pipelines"].items():
            if not folds_ or "members" not in folds_[0]:
                continue
            sf1 = np.mean([fo["macro_f1"] for fo in folds_])
            member_f1 = {m: np.mean([fo["members"][m]["macro_f1"] for fo in folds_])
                         for m in folds_[0]["members"]}
            bm = max(member_f1, key=member_f1.get)
            gain = sf1 - member_f1[bm]
            # a gain that rounds to 0.000 at the precision shown is a tie, not a win
            verdict = ("beats" if gain >= 5e-4 else "ties with" if gain > -5e-4
                       else "does not beat")
            how = ("members refitted inside the stack" if name == "stacking"
                   else "averaged probabilities of the members' own runs")
            lines += [f"Ensemble **{name}** (macro-F1 {sf1:.3f}) {verdict} its best member "
                      f"({bm}, {member_f1[bm]:.3f}; {gain:+.3f}; {how}).", ""]
        curves = {n: f[0]["history"] for n, f in tres["pipelines"].items()
                  if f and "history" in f[0]}
        if curves:
            fig, ax = plt.subplots(figsize=(6, 3.5))
            for i, (n, h) in enumerate(curves.items()):
                color = f"C{i % 10}"  # one colour per pipeline: train solid, valid dashed
                ax.plot(h["train_loss"], color=color, label=f"{n} train")
                if not np.all(np.isnan(h["valid_loss"])):
                    ax.plot(h["valid_loss"], "--", color=color, label=f"{n} valid")
            ax.set_xlabel("epoch")
            ax.set_ylabel("loss")
            ax.legend(fontsize=7)
            fig.tight_layout()
            fig.savefig(out / f"{task}_learning_curves.png", dpi=110)
            plt.close(fig)
            lines += ["Learning curves (fold 0):", "",
                      f"![learning curves]({task}_learning_curves.png)", ""]
    core = [line for line in lines if not line.startswith("![")]
    (out / "suite_summary.md").write_text("\n".join(core[:1] + ["", *core[2:]]) + "\n")
    for p in benchmark_results(out, args.quick).values():
        if p.exists():
            shown = p.relative_to(HERE.parent) if p.is_relative_to(HERE.parent) else p.name
            lines += [f"## From `{shown}`", "", p.read_text(), ""]
    text = "\n".join(lines)
    (out / "report.md").write_text(text)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    html = ["<html><head><meta charset='utf-8'><title>sklearn_lc benchmarks</title></head><body>"]
    for line in lines:
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            html.append(f"<h{level}>{line.lstrip('#').strip()}</h{level}>")
        elif line.startswith("!["):
            html.append(f"<img src='{line[line.index('(') + 1:-1]}'>")
        elif line.startswith("|"):
            if set(line) <= set("|-"):
                continue
            cells = "".join(f"<td>{c.strip()}</td>" for c in line.strip("|").split("|"))
            html.append(f"<table><tr>{cells}</tr></table>")
        elif line:
            html.append(f"<p>{line}</p>")
    html.append("</body></html>")
    (out / "report.html").write_text("\n".join(html))
    return text


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke run on tiny subsets")
    p.add_argument("--tasks", default="crts7,crts16")
    p.add_argument("--pipelines", default="rf-features,rf-dmdt,hgb-features,hgb-all,"
                   "rf-features-p2,hgb-features-p2,hgb-all-p2,cnn-dmdt,"
                   "cnn-dmdt-bn,cnn-fdhist,cnn-lstm,transformer-mlp,transformer-lstm,stacking,"
                   "cnn-folded,cnn-lstm-folded,transformer-folded,transformer-folded-64,"
                   "transformer-folded-pretrained,hybrid,hybrid-cnn-lstm,"
                   "hybrid-transformer")
    p.add_argument("--votes", default="hgb-all+cnn-dmdt,rf-features+hgb-all+cnn-dmdt,"
                   "hgb-features-p2+cnn-dmdt,hgb-features-p2+hgb-all+cnn-dmdt,hgb-all-p2+cnn-dmdt,"
                   "hybrid+hgb-all-p2",
                   help="soft-voting ensembles (averaged probabilities of finished members "
                   "on the same folds), comma-separated, members joined by +")
    p.add_argument("--benchmarks", default=",".join(BENCHMARKS),
                   help="other benchmark scripts to run when their results are missing, "
                   f"comma-separated, from {', '.join(BENCHMARKS)} ('' for none)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--max-per-class", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--force", action="store_true",
                   help="recompute finished folds and re-run the --benchmarks")
    p.add_argument("--title", default="sklearn_lc benchmark suite",
                   help="heading of the report")
    p.add_argument("--note", default="", help="a paragraph under the heading of the report")
    p.add_argument("--report-only", action="store_true",
                   help="compute nothing: report the pipelines whose folds are all finished")
    p.add_argument("--out", default=str(HERE / "results" / "suite"),
                   help="results folder: per-fold files under <out>/runs (not committed), "
                   "caches under <out>/cache, the report beside them")
    args = p.parse_args(argv)
    args.argv = argv
    args.tasks = args.tasks.split(",")
    args.pipelines = args.pipelines.split(",")
    args.votes = [v for v in args.votes.split(",") if v]
    args.benchmarks = [b for b in args.benchmarks.split(",") if b]
    unknown = sorted(set(args.benchmarks) - set(BENCHMARKS))
    if unknown:
        p.error(f"unknown benchmarks {unknown}; choose from {sorted(BENCHMARKS)}")
    if args.quick:
        args.folds = min(args.folds, 2)
    out = Path(args.out)
    if args.report_only and not any((out / "runs").glob("*/*/fold*.json")):
        p.error(f"--report-only: no per-fold results under {out / 'runs'}; point --out at the "
                "folder of a run (the per-fold files are not committed: a run of this script "
                "writes them there)")
    out.mkdir(parents=True, exist_ok=True)
    results = run(args)
    if not args.report_only:
        run_benchmarks(args)
    (out / "results.json").write_text(json.dumps(results))
    print(report(results, out, args))


if __name__ == "__main__":
    main()
