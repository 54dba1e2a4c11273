"""Train the weights shipped in ``sklearn_lc/transfer/weights/`` (seeded, CPU).

- ``crts``: a small transformer encoder pretrained with ``MaskedPretrainer``
  (ASTROMER's masked-magnitude objective) on every CRTS light curve
  (``crts_drake14``, labels unused).
- ``crts-features``: ``FeatureMLPClassifier`` (Kim et al. 2021) trained on the 16
  ``FeatureExtractor`` features of every CRTS star, labels mapped to the fine
  classes of ``class_map.json``.
- ``crts-hybrid``: ``HybridClassifier`` (its defaults: feature branch + circular
  CNN on the folded curve) trained on the ``FeatureFold`` rows of every CRTS
  star, labels mapped to the fine classes of ``class_map.json``; the source of
  ``TransferClassifier("crts-hybrid")``.
- ``folded``: a transformer encoder with the periodic phase encoding pretrained
  with ``MaskedPretrainer(time_encoding="periodic", mag_scale=10)`` on the folded
  light curves of every star of the three surveys (CRTS, ASAS, SDSS Stripe 82
  g band; labels unused), each folded at its robust period
  (``sklearn_lc.periodogram.find_periods``, the search of ``FeatureFold``) with
  phase 0 at the faintest point of a harmonic fit, as ``FeatureFold`` folds.

Usage::

    OMP_NUM_THREADS=1 python scripts/train_shipped_weights.py \
        [--part encoder|features|hybrid|folded|all]
    # go on pretraining the saved encoder for 12 more epochs (warm start)
    OMP_NUM_THREADS=1 python scripts/train_shipped_weights.py --part encoder --epochs 12 --resume

Sizes and epochs are written into the ``model.json`` of each weights directory
(``crts/``, ``crts-features/``, ``crts-hybrid/``; see :mod:`sklearn_lc.model_io`).
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from sklearn_lc import load_light_curves
from sklearn_lc.model_io import read_model_config
from sklearn_lc.transfer import MaskedPretrainer
from sklearn_lc.transfer._weights import SHIPPED_DIR
from sklearn_lc.transformers import FEATURE_NAMES

ENCODER = dict(d_model=48, n_heads=4, n_blocks=2, window=200, max_epochs=8, lr=2e-3,
               batch_size=64, valid_fraction=0.1, random_state=0)
FEATURE_MLP = dict(max_epochs=150, lr=1e-3, batch_size=256, class_weight="balanced",
                   patience=20, random_state=0)
HYBRID = dict(random_state=0)  # HybridClassifier's defaults (the suite's training)
# d_model, heads, blocks and harmonics of HybridClassifier's transformer branch; 64 points
# spread over the cycle (evenly for validation); magnitudes x 10 (MaskedPretrainer.mag_scale)
FOLDED = dict(d_model=64, n_heads=4, n_blocks=2, n_harmonics=8, time_encoding="periodic",
              mag_scale=10.0, window=64, max_epochs=30, lr=1e-3, batch_size=64,
              valid_fraction=0.1, random_state=0)
FOLDED_SURVEYS = ("crts_drake14", "asas_richards12", "sdss_s82_rrlyrae")
#: how the folded encoder's curves are folded (FeatureFold's fold)
FOLD = dict(multiple=1.0, align="faintest", on_bad_period="baseline")


def _data_dir() -> Path:
    return Path(load_light_curves("crts_drake14").filename).parent.parent


def fine_labels(name: str, labels) -> np.ndarray:
    """Map survey labels to the fine classes of class_map.json."""
    cmap = json.loads((_data_dir() / "class_map.json").read_text())[name]
    return np.asarray([cmap[str(lab)][0] for lab in labels])


@functools.cache
def crts_rows(cache: Path | None) -> tuple:
    """FeatureFold rows of every CRTS star, their fine labels and the seconds they took.

    One period search for both supervised parts: the first 16 columns are the
    features of ``FeatureExtractor()`` with its defaults (``crts-features``),
    the whole row is the hybrid network's input (``crts-hybrid``).
    """
    from sklearn_lc import FeatureFold

    b = load_light_curves("crts_drake14")
    t0 = time.perf_counter()
    if cache is not None and cache.is_file():
        Z = np.load(cache)
    else:
        Z = FeatureFold(n_jobs=2).fit_transform(b.light_curves)
        if cache is not None:
            np.save(cache, Z)
    return Z, fine_labels("crts_drake14", b.target), time.perf_counter() - t0


def train_encoder(epochs: int | None, out: Path, resume: bool = False,
                  lr: float | None = None) -> None:
    """Pretrain the shipped encoder on all CRTS light curves and save it.

    With ``resume``, the encoder saved in ``out`` goes on training for
    ``epochs`` more epochs (``MaskedPretrainer(warm_start=True)``; same seed,
    so the same 10% of stars stay held out).
    """
    b = load_light_curves("crts_drake14")
    params = dict(ENCODER)
    if epochs:
        params["max_epochs"] = epochs
    if lr:
        params["lr"] = lr
    torch.set_num_threads(1)
    previous = {}
    if resume:
        pre = MaskedPretrainer.load(out / "crts")
        previous = read_model_config(out / "crts").get("metadata", {})
        pre.set_params(warm_start=True, max_epochs=params["max_epochs"], verbose=1)
        if lr:
            pre.set_params(lr=lr)
    else:
        pre = MaskedPretrainer(**params, verbose=1)
    t0 = time.perf_counter()
    pre.fit(b.light_curves)
    dur = time.perf_counter() - t0 + float(previous.get("train_seconds", 0.0))
    runs = list(previous.get("runs", [{"epochs": len(pre.history_) - params["max_epochs"],
                                       "command": "--part encoder"}] if resume else []))
    runs.append({"epochs": params["max_epochs"], "lr": pre.lr,
                 "command": f"--part encoder --epochs {params['max_epochs']}"
                 + (f" --lr {lr}" if lr else "") + (" --resume" if resume else "")})
    n_params = sum(p.numel() for p in pre.encoder_.parameters())
    pre.save(out / "crts", metadata={
        "data": "crts_drake14 (all 9,213 light curves, labels unused), 10% held out",
        "n_stars": len(b.light_curves),
        "runs": runs,
        "train_seconds": round(dur, 1),
        "n_encoder_parameters": int(n_params),
        "machine": f"{platform.machine()} CPU, torch {torch.__version__}, 1 thread",
        "script": "scripts/train_shipped_weights.py",
    })
    print(f"encoder: {n_params} parameters, {dur:.0f} s, best epoch {pre.best_epoch_}")


def train_features(epochs: int | None, out: Path, cache: Path | None) -> None:
    """Train the shipped feature MLP on all CRTS stars and save it."""
    from sklearn_lc import FeatureExtractor, FeatureMLPClassifier
    from sklearn_lc.transfer import save_weights

    fe = FeatureExtractor()  # the defaults: robust period, origin-free phases
    Z, y, t_feat = crts_rows(cache)
    F = Z[:, :len(FEATURE_NAMES)]  # FeatureFold's rows start with fe's 16 features
    params = dict(FEATURE_MLP)
    if epochs:
        params["max_epochs"] = epochs
    t0 = time.perf_counter()
    clf = FeatureMLPClassifier(**params).fit(F, y)
    dur = time.perf_counter() - t0
    names = list(FEATURE_NAMES)
    hist = [{"epoch": h["epoch"], "train_loss": h.get("train_loss"),
             "valid_loss": h.get("valid_loss"), "valid_acc": h.get("valid_acc")}
            for h in clf.history_]
    save_weights(clf, out / "crts-features", metadata={
        "data": "crts_drake14, all 9,213 stars, fine classes of class_map.json",
        "n_stars": len(y),
        "training_params": {k: v for k, v in params.items()},
        "feature_extractor_params": {k: v for k, v in fe.get_params().items()
                                     if k not in ("n_jobs", "verbose")},
        "feature_seconds": round(t_feat, 1),
        "train_seconds": round(dur, 1),
        "feature_names": names,
        "history": hist,
        "script": "scripts/train_shipped_weights.py",
    })
    print(f"feature MLP: {len(clf.classes_)} classes, {dur:.0f} s training, "
          f"{t_feat:.0f} s features")


def train_hybrid(epochs: int | None, out: Path, cache: Path | None) -> None:
    """Train the shipped hybrid network on all CRTS stars and save it."""
    from sklearn_lc import FeatureFold, HybridClassifier
    from sklearn_lc.transfer import save_weights

    ff = FeatureFold()  # its defaults, the rows of crts_rows
    Z, y, t_feat = crts_rows(cache)
    params = dict(HYBRID)
    if epochs:
        params["max_epochs"] = epochs
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    clf = HybridClassifier(**params).fit(Z, y)
    dur = time.perf_counter() - t0
    hist = [{"epoch": h["epoch"], "train_loss": h.get("train_loss")} for h in clf.history_]
    save_weights(clf, out / "crts-hybrid", metadata={
        "data": "crts_drake14, all 9,213 stars, fine classes of class_map.json",
        "input": "FeatureFold() rows with its defaults: 21 features + 64 phase bins x 5",
        "n_stars": len(y),
        "training_params": dict(params),
        "feature_fold_params": {k: v for k, v in ff.get_params().items() if k != "n_jobs"},
        "feature_seconds": round(t_feat, 1),
        "train_seconds": round(dur, 1),
        "history": hist,
        "machine": f"{platform.machine()} CPU, torch {torch.__version__}, 1 thread",
        "script": "scripts/train_shipped_weights.py",
    })
    print(f"hybrid: {len(clf.classes_)} classes, {dur:.0f} s training, {t_feat:.0f} s rows")


def survey_periods(name: str, lcs: list, cache: Path | None) -> np.ndarray:
    """Robust periods of one survey's stars (``find_periods``), kept in ``cache`` if given."""
    from sklearn_lc.periodogram import find_periods

    path = None if cache is None else cache / f"{name}-periods-robust.npy"
    if path is not None and path.is_file():
        return np.load(path)
    periods = find_periods(lcs, method="robust", n_jobs=2)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, periods)
    return periods


def folded_curves(cache: Path | None) -> tuple[list, dict, float]:
    """Every star of the three surveys folded at its period; stars per survey; seconds."""
    from sklearn_lc import PhaseFold

    t0 = time.perf_counter()
    curves: list = []
    counts = {}
    for name in FOLDED_SURVEYS:
        lcs = load_light_curves(name).light_curves
        periods = survey_periods(name, lcs, cache)
        curves.extend(PhaseFold(period=periods, **FOLD).fit_transform(lcs))
        counts[name] = len(lcs)
    return curves, counts, time.perf_counter() - t0


def train_folded(epochs: int | None, out: Path, cache: Path | None) -> None:
    """Pretrain the periodic encoder on the folded curves of every star and save it."""
    curves, counts, t_fold = folded_curves(cache)
    params = dict(FOLDED)
    if epochs:
        params["max_epochs"] = epochs
    torch.set_num_threads(1)
    pre = MaskedPretrainer(**params, verbose=1)
    t0 = time.perf_counter()
    pre.fit(curves)
    dur = time.perf_counter() - t0
    n_params = sum(p.numel() for p in pre.encoder_.parameters())
    pre.save(out / "folded", metadata={
        "data": "every star of crts_drake14, asas_richards12 and sdss_s82_rrlyrae (g band), "
                "labels unused, folded at the robust period; 10% held out",
        "n_stars": counts,
        "fold": {"period": "sklearn_lc.periodogram.find_periods(method='robust')", **FOLD},
        "windows": "WindowPad(window=64, strategy='subsample') of the folded curves "
                   "(random subsets of 64 points in training)",
        "training_params": params,
        "fold_seconds": round(t_fold, 1),
        "train_seconds": round(dur, 1),
        "best_epoch": int(pre.best_epoch_),
        "history": pre.history_,
        "n_encoder_parameters": int(n_params),
        "machine": f"{platform.machine()} CPU, torch {torch.__version__}, 1 thread",
        "script": "scripts/train_shipped_weights.py --part folded",
    })
    print(f"folded encoder: {n_params} parameters, {dur:.0f} s, best epoch {pre.best_epoch_}")


def main() -> None:
    """Parse arguments and train the requested parts."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["encoder", "features", "hybrid", "folded", "all"],
                    default="all")
    ap.add_argument("--epochs", type=int, default=None, help="override max_epochs")
    ap.add_argument("--out", type=Path, default=SHIPPED_DIR)
    ap.add_argument("--lr", type=float, default=None, help="override the learning rate")
    ap.add_argument("--resume", action="store_true",
                    help="go on training the encoder saved in --out for --epochs more epochs")
    ap.add_argument("--featurefold-cache", type=Path, default=None,
                    help=".npy file to read/write the CRTS FeatureFold rows, the input of the "
                    "features and hybrid parts (outside the repo)")
    ap.add_argument("--period-cache", type=Path, default=None,
                    help="folder to read/write each survey's robust periods, the fold of the "
                    "folded part (outside the repo)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.part in ("encoder", "all"):
        train_encoder(args.epochs, args.out, args.resume, args.lr)
    if args.part in ("features", "all"):
        train_features(args.epochs, args.out, args.featurefold_cache)
    if args.part in ("hybrid", "all"):
        train_hybrid(args.epochs, args.out, args.featurefold_cache)
    if args.part in ("folded", "all"):
        train_folded(args.epochs, args.out, args.period_cache)


if __name__ == "__main__":
    main()
