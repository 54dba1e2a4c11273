"""The ``sklearn-lc`` command line: demo, features, train, predict, evaluate.

Run ``sklearn-lc --help`` or ``sklearn-lc COMMAND --help``. Every command exits
with status 0 on success, 1 with a one-line ``error:`` message on stderr when
something goes wrong (add ``--debug`` for the traceback) and 2 for bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main", "read_input"]

DEFAULT_DATA = "crts_drake14"
DEFAULT_CLASSES = ("EW", "EA", "RRab", "RRc", "RRd", "RS_CVn", "LPV")
_TABLE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class CLIError(Exception):
    """An error reported to the user as one line, without a traceback."""


def _say(*parts: Any) -> None:
    print(*parts, flush=True)


# --------------------------------------------------------------------------- input

def _star_context(exc: Exception, source: Any, ids: Sequence[Any] | None) -> CLIError:
    """Turn ``light curve 12: problem`` into ``FILE: star ID (#12): problem``."""
    msg = str(exc)
    match = re.match(r"light curve (\d+): (.*)", msg, flags=re.S)
    if match and ids is not None:
        k = int(match.group(1))
        star = ids[k] if k < len(ids) else k
        return CLIError(f"{source}: star {star!s} (#{k}): {match.group(2)}")
    return CLIError(f"{source}: {msg}")


def _read_table(path: Path) -> Any:
    import pandas as pd

    kind = _TABLE_SUFFIXES[path.suffix.lower()]
    try:
        if kind == "csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except ImportError as exc:
        raise CLIError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow)") from exc
    except Exception as exc:  # noqa: BLE001 - parser errors of many kinds
        raise CLIError(f"{path}: could not read the table: {exc}") from exc


def _read_npz(path: Path) -> dict:
    from .datasets import load_light_curves
    from .utils import check_light_curves

    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = set(npz.files)
            ids = npz["id"].astype(str) if "id" in keys else None
            if "label" in keys:
                arrays = None
            else:  # unlabelled file: load_light_curves needs labels
                arrays = {k: npz[k] for k in ("time", "mag", "err", "offsets") if k in keys}
    except (OSError, ValueError) as exc:
        raise CLIError(f"{path}: not a readable .npz file ({exc})") from exc
    if arrays is None:
        try:
            data = load_light_curves(path)
        except (ValueError, TypeError) as exc:
            raise _star_context(exc, path, ids) from exc
        out = {"light_curves": data.light_curves, "ids": data.ids, "target": data.target}
        if "group" in data:
            out["group"] = data.group
        return out
    for key in ("time", "mag", "offsets"):
        if key not in arrays:
            raise CLIError(f"{path}: not a light-curve file, missing array {key!r}")
    o = arrays["offsets"].astype(np.int64)
    stars = []
    for a, b in zip(o[:-1], o[1:]):
        part = (arrays["time"][a:b], arrays["mag"][a:b])
        stars.append(part + ((arrays["err"][a:b],) if "err" in arrays else ()))
    if ids is None:
        ids = np.arange(len(stars)).astype(str)
    try:
        lcs = check_light_curves(stars)
    except (ValueError, TypeError) as exc:
        raise _star_context(exc, path, ids) from exc
    return {"light_curves": lcs, "ids": ids}


def read_input(
    source: str | os.PathLike,
    *,
    id_col: str = "id",
    time_col: str = "time",
    mag_col: str = "mag",
    err_col: str = "err",
    label_col: str = "label",
    labels: str | os.PathLike | None = None,
    need_labels: bool = False,
) -> dict:
    """Read light curves (and labels when present) the way the command line does.

    Parameters
    ----------
    source : str or path-like
        An ``.npz`` file in the project's format, a long-format ``.csv`` /
        ``.parquet`` table (one row per observation), a folder of one ``.csv``
        per star (the file name is the id), or the name of a known data set
        (``crts_drake14``...). Tables and folders are read by
        :func:`sklearn_lc.io.read_light_curves`.
    id_col, time_col, mag_col, err_col, label_col : str
        Column names in tables.
    labels : str or path-like, optional
        A ``.csv`` with columns ``id_col`` and ``label_col`` giving each star's
        label; overrides labels found in ``source``.
    need_labels : bool, default=False
        Raise when no labels are found.

    Returns
    -------
    data : dict
        ``light_curves`` (canonical list), ``ids`` (str array), ``target`` (str
        array, when labelled: an ``.npz`` ``label`` array, a ``label_col``
        column constant within each star, or ``labels``), ``group`` (when the
        data have one) and ``source``.

    Raises
    ------
    CLIError
        For a missing file, a missing column or a bad star; the message names
        the file and the star.
    """
    from .io import read_light_curves

    opts = argparse.Namespace(id_col=id_col, time_col=time_col, mag_col=mag_col, err_col=err_col,
                              label_col=label_col)
    path = Path(source).expanduser()
    if path.is_file() and path.suffix.lower() == ".npz":
        data = _read_npz(path)
    elif path.exists():
        try:
            bunch = read_light_curves(path, id=id_col, time=time_col, mag=mag_col, err=err_col)
        except (ValueError, TypeError, FileNotFoundError, ImportError) as exc:
            hint = (" (choose names with --id-col --time-col --mag-col --err-col)"
                    if "missing column" in str(exc) else "")
            raise CLIError(f"{exc}{hint}") from exc
        data = {"light_curves": bunch.light_curves, "ids": bunch.ids}
        if label_col in bunch:
            data["target"] = np.asarray(bunch[label_col]).astype(str)
        if "group" in bunch:
            data["group"] = np.asarray(bunch["group"])
    else:
        from .datasets import KNOWN_DATASETS, load_light_curves

        if str(source) in KNOWN_DATASETS:
            try:
                d = load_light_curves(str(source))
            except FileNotFoundError as exc:
                raise CLIError(str(exc).splitlines()[0]) from exc
            data = {"light_curves": d.light_curves, "ids": d.ids, "target": d.target}
            if "group" in d:
                data["group"] = d.group
            path = Path(d.filename)
        else:
            raise CLIError(f"{source}: no such file or directory")
    data["ids"] = np.asarray(data["ids"]).astype(str)
    if labels is not None:
        data["target"] = _read_labels(Path(labels), data["ids"], opts)
    if need_labels and data.get("target") is None:
        raise CLIError(f"{path}: no labels found (give an .npz with a 'label' array, a "
                       f"{label_col!r} column, or --labels FILE.csv)")
    data["source"] = str(path)
    return data


def _read_labels(path: Path, ids: np.ndarray, opts: argparse.Namespace) -> np.ndarray:
    if not path.is_file():
        raise CLIError(f"{path}: no such labels file")
    df = _read_table(path) if path.suffix.lower() in _TABLE_SUFFIXES else None
    if df is None:
        raise CLIError(f"{path}: labels must be a .csv or .parquet file")
    missing = [c for c in (opts.id_col, opts.label_col) if c not in df.columns]
    if missing:
        raise CLIError(f"{path}: missing column(s) {missing}; has {list(df.columns)} "
                       "(choose names with --id-col --label-col)")
    mapping = dict(zip(df[opts.id_col].astype(str), df[opts.label_col].astype(str)))
    absent = [i for i in ids if i not in mapping]
    if absent:
        raise CLIError(f"{path}: no label for star {absent[0]}"
                       + (f" (and {len(absent) - 1} more)" if len(absent) > 1 else ""))
    return np.asarray([mapping[i] for i in ids])


def _input_kwargs(args: argparse.Namespace) -> dict:
    return {"id_col": args.id_col, "time_col": args.time_col, "mag_col": args.mag_col,
            "err_col": args.err_col, "label_col": args.label_col,
            "labels": getattr(args, "labels", None)}


# --------------------------------------------------------------------------- running models

_CHUNKABLE = {"FeatureExtractor", "DmDtImage", "FreedmanDiaconisHist", "_BasicStats"}


def _transform_step(step: Any, X: Any, progress: bool, desc: str) -> Any:
    """Transform with a progress bar: the step's own ``verbose`` or chunks through tqdm."""
    params = step.get_params(deep=False)
    if "verbose" in params or type(step).__name__ not in _CHUNKABLE or not progress or len(X) < 40:
        return step.transform(X)
    from tqdm.auto import tqdm

    n = len(X)
    size = max(50, n // 20)
    parts = []
    with tqdm(total=n, desc=desc, unit="star", file=sys.stderr, leave=False) as bar:
        for a in range(0, n, size):
            parts.append(step.transform(X[a:a + size]))
            bar.update(min(size, n - a))
    return np.concatenate(parts, axis=0)


def _features_of(pipe: Any, X: Any, *, fit: bool, y: Any = None, progress: bool = True) -> Any:
    """Run every step but the last (fitting them when ``fit``), with progress."""
    Xt = X
    for name, step in pipe.steps[:-1]:
        if fit:
            step.fit(Xt, y)
        Xt = _transform_step(step, Xt, progress, name)
    return Xt


def _fit(pipe: Any, X: Any, y: Any, progress: bool) -> Any:
    Xt = _features_of(pipe, X, fit=True, y=y, progress=progress)
    pipe.steps[-1][1].fit(Xt, y)
    return pipe


def _predict_proba(pipe: Any, X: Any, progress: bool) -> tuple[np.ndarray, np.ndarray]:
    Xt = _features_of(pipe, X, fit=False, progress=progress)
    final = pipe.steps[-1][1]
    proba = np.asarray(final.predict_proba(Xt))
    classes = np.asarray(final.classes_)
    return classes[np.argmax(proba, axis=1)], proba


def _feature_pipeline(progress: bool, n_jobs: int | None) -> tuple[Any, str]:
    """Return a FeatureExtractor (with the command's n_jobs and progress) and its name."""
    from .recipes import _apply_common
    from .transformers import FeatureExtractor

    fe = FeatureExtractor()
    _apply_common(fe, None, n_jobs, progress)
    return fe, "FeatureExtractor"


def _scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    from sklearn.metrics import accuracy_score, classification_report, f1_score

    labels = np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]))
    return {
        "n_stars": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", labels=np.unique(y_true))),
        "per_class": classification_report(y_true, y_pred, labels=labels, output_dict=True,
                                           zero_division=0),
        "report": classification_report(y_true, y_pred, labels=labels, digits=3,
                                        zero_division=0),
    }


def _print_scores(s: dict) -> None:
    _say(f"accuracy  {s['accuracy']:.3f}")
    _say(f"macro-F1  {s['macro_f1']:.3f}")
    _say()
    _say(s["report"])


def _write_table(df: Any, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        df.to_csv(out, index=False)
    elif suffix in (".parquet", ".pq"):
        try:
            df.to_parquet(out, index=False)
        except ImportError as exc:
            raise CLIError("writing Parquet needs pyarrow (pip install pyarrow)") from exc
    else:
        raise CLIError(f"{out}: output must end in .csv or .parquet")


def _subsample(y: np.ndarray, max_per_class: int, random_state: int | None) -> np.ndarray:
    rng = np.random.RandomState(random_state)
    keep = []
    for cls in np.unique(y):
        members = np.flatnonzero(y == cls)
        if max_per_class and len(members) > max_per_class:
            members = np.sort(rng.choice(members, max_per_class, replace=False))
        keep.append(members)
    return np.sort(np.concatenate(keep))


def _split(y: np.ndarray, group: np.ndarray | None, test_size: float,
           random_state: int | None) -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn.model_selection import StratifiedGroupKFold, train_test_split

    if not 0 < test_size < 1:
        raise CLIError(f"--test-size must be between 0 and 1, got {test_size}")
    if group is not None:
        n_splits = max(2, int(round(1 / test_size)))
        cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
        train, test = next(cv.split(np.zeros(len(y)), y, group))
        return train, test, f"StratifiedGroupKFold by 'group' (1 of {n_splits} folds held out)"
    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=test_size, stratify=y,
                                   random_state=random_state)
    return np.sort(train), np.sort(test), f"stratified random split ({test_size:.0%} held out)"


# --------------------------------------------------------------------------- commands

def _cmd_demo(args: argparse.Namespace) -> int:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline

    from .datasets import SYNTHETIC_CLASSES, load_light_curves, make_light_curves

    if args.n_jobs is None:  # the demo uses every core unless told otherwise
        args.n_jobs = -1
    classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
    group = None
    try:
        data = load_light_curves(args.data, classes=classes or DEFAULT_CLASSES)
        lcs, y = data.light_curves, np.asarray(data.target)
        group = data.get("group")
        source = f"{args.data} ({data.filename})"
    except FileNotFoundError:
        if args.data != DEFAULT_DATA:
            raise CLIError(f"{args.data}: data set or file not found") from None
        use = [c for c in (classes or SYNTHETIC_CLASSES) if c in SYNTHETIC_CLASSES]
        if not use:
            raise CLIError(f"none of the classes {classes} is simulated; the simulator has "
                           f"{', '.join(SYNTHETIC_CLASSES)}") from None
        n_per = min(args.max_per_class or 100, 100)
        _say(f"data: {DEFAULT_DATA} not found (no ../shared/data and no SKLEARN_LC_DATA); "
             f"using simulated light curves from sklearn_lc.datasets.make_light_curves "
             f"({n_per} per class)")
        lcs, y = make_light_curves(n_per, classes=use, random_state=args.random_state)
        y = np.asarray(y)
        source = "make_light_curves (simulated)"
    n_all = len(y)
    if args.max_per_class:
        keep = _subsample(y, args.max_per_class, args.random_state)
        lcs = [lcs[i] for i in keep]
        y = y[keep]
        group = None if group is None else np.asarray(group)[keep]
    _say(f"data: {source}: {n_all} stars of {len(np.unique(y))} classes")
    if args.max_per_class and len(y) < n_all:
        _say(f"      using at most {args.max_per_class} stars per class -> {len(y)} stars "
             "(--max-per-class 0 uses all; slower)")
    train, test, how = _split(y, group, args.test_size, args.random_state)
    _say(f"split: {how}: {len(train)} train / {len(test)} test stars")
    fe, fe_name = _feature_pipeline(not args.quiet, args.n_jobs)
    rf = RandomForestClassifier(n_estimators=args.n_estimators, class_weight="balanced",
                                n_jobs=args.n_jobs, random_state=args.random_state)
    pipe = Pipeline([("features", fe), ("randomforestclassifier", rf)])
    _say(f"model: random forest ({args.n_estimators} trees) on {fe_name}")
    t0 = time.perf_counter()
    _fit(pipe, [lcs[i] for i in train], y[train], progress=not args.quiet)
    t1 = time.perf_counter()
    pred, _ = _predict_proba(pipe, [lcs[i] for i in test], progress=not args.quiet)
    t2 = time.perf_counter()
    _say(f"time: fit {t1 - t0:.1f} s, predict {t2 - t1:.1f} s (n_jobs={args.n_jobs}; "
         "--n-jobs N to change)")
    _say()
    _print_scores(_scores(y[test], pred))
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from .recipes import MODEL_RECIPES

    for name, (desc, _) in MODEL_RECIPES.items():
        _say(f"{name:14s} {desc}")
    return 0


def _cmd_features(args: argparse.Namespace) -> int:
    import pandas as pd

    out = Path(args.output)
    if out.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise CLIError(f"{out}: output must end in .csv or .parquet")
    data = read_input(args.input, **_input_kwargs(args))
    fe, fe_name = _feature_pipeline(not args.quiet, args.n_jobs)
    if fe_name != "FeatureExtractor":
        print(f"warning: {fe_name}; writing basic statistics instead", file=sys.stderr)
    t0 = time.perf_counter()
    F = _transform_step(fe.fit(data["light_curves"]), data["light_curves"], not args.quiet,
                        "features")
    names = [str(n) for n in fe.get_feature_names_out()]
    df = pd.DataFrame(np.asarray(F), columns=names)
    df.insert(0, "id", data["ids"])
    if data.get("target") is not None:
        df["label"] = data["target"]
    _write_table(df, out)
    _say(f"wrote {out}: {len(df)} stars x {len(names)} features "
         f"({time.perf_counter() - t0:.1f} s)")
    return 0


def _load_config(path: Path) -> dict:
    if not path.is_file():
        raise CLIError(f"{path}: no such config file")
    text = path.read_text()
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError as exc:
            raise CLIError(f"{path}: YAML configs need PyYAML; use JSON") from exc
        try:
            cfg = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise CLIError(f"{path}: not valid YAML ({exc})") from exc
    else:
        try:
            cfg = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CLIError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(cfg, dict):
        raise CLIError(f"{path}: a config must be a mapping")
    return cfg


def _cmd_train(args: argparse.Namespace) -> int:
    from .model_io import build_model, save_model

    if (args.model is None) == (args.config is None):
        raise CLIError("give exactly one of --model NAME or --config FILE")
    cfg = _load_config(Path(args.config)) if args.config else {"model": args.model}
    out = Path(args.output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not args.overwrite:
        raise CLIError(f"{out}: exists and is not empty (use --overwrite)")
    try:
        pipe = build_model(cfg, random_state=args.random_state, n_jobs=args.n_jobs,
                           verbose=not args.quiet)
    except (ValueError, TypeError) as exc:
        raise CLIError(f"{args.config or '--model'}: {exc}") from exc
    data = read_input(args.input, need_labels=True, **_input_kwargs(args))
    y = np.asarray(data["target"])
    _say(f"data: {data['source']}: {len(y)} stars, {len(np.unique(y))} classes")
    t0 = time.perf_counter()
    _fit(pipe, data["light_curves"], y, progress=not args.quiet)
    fit_s = time.perf_counter() - t0
    meta = {"trained_on": data["source"], "n_stars": int(len(y)), "fit_seconds": round(fit_s, 2),
            "config": cfg}
    save_model(pipe, out, name=cfg.get("model"), metadata=meta, overwrite=args.overwrite)
    _say(f"trained {' -> '.join(n for n, _ in pipe.steps)} in {fit_s:.1f} s; saved to {out}")
    return 0


def _load(model_dir: str) -> Any:
    from .model_io import load_model

    try:
        return load_model(model_dir, kind="pipeline")
    except FileNotFoundError as exc:
        raise CLIError(str(exc)) from exc
    except ValueError as exc:
        raise CLIError(str(exc)) from exc


def _prediction_frame(model: Any, ids: Any, lcs: Any, progress: bool) -> Any:
    import pandas as pd

    labels, proba = _predict_proba(model, lcs, progress=progress)
    df = pd.DataFrame({"id": np.asarray(ids).astype(str), "label": labels})
    for k, c in enumerate(model.steps[-1][1].classes_):
        df[f"proba_{c}"] = proba[:, k]
    return df


def _cmd_predict(args: argparse.Namespace) -> int:
    model = _load(args.model_dir)
    if args.chunk_stars:
        return _predict_stream(model, args)
    data = read_input(args.input, **_input_kwargs(args))
    df = _prediction_frame(model, data["ids"], data["light_curves"], not args.quiet)
    if args.output:
        _write_table(df, Path(args.output))
        _say(f"wrote {args.output}: {len(df)} stars")
    else:
        df.to_csv(sys.stdout, index=False)
    return 0


def _predict_stream(model: Any, args: argparse.Namespace) -> int:
    """Predict a long table chunk by chunk (``--chunk-stars``), appending to a CSV."""
    from .io import iter_long_table

    path = Path(args.input)
    if not path.is_file() or path.suffix.lower() not in _TABLE_SUFFIXES:
        raise CLIError(f"{path}: --chunk-stars streams a long-format .csv or .parquet file")
    out = Path(args.output) if args.output else None
    if out is not None and out.suffix.lower() != ".csv":
        raise CLIError(f"{out}: streamed predictions are written as .csv")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    try:
        chunks = iter_long_table(path, args.chunk_stars, id=args.id_col, time=args.time_col,
                                 mag=args.mag_col, err=args.err_col)
        for k, (ids, lcs) in enumerate(chunks):
            df = _prediction_frame(model, ids, lcs, progress=False)
            if out is None:
                df.to_csv(sys.stdout, index=False, header=k == 0)
            else:
                df.to_csv(out, index=False, header=k == 0, mode="w" if k == 0 else "a")
            n += len(df)
            if not args.quiet:
                print(f"predicted {n} stars", file=sys.stderr, flush=True)
    except (ValueError, TypeError) as exc:
        raise CLIError(str(exc)) from exc
    if out is not None:
        _say(f"wrote {out}: {n} stars")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import pandas as pd

    model = _load(args.model_dir)
    data = read_input(args.input, need_labels=True, **_input_kwargs(args))
    y = np.asarray(data["target"])
    pred, proba = _predict_proba(model, data["light_curves"], progress=not args.quiet)
    scores = _scores(y, pred)
    _say(f"data: {data['source']}: {len(y)} stars")
    _print_scores(scores)
    if args.output:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        report = {k: v for k, v in scores.items() if k != "report"}
        (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
        (out / "report.txt").write_text(
            f"accuracy {scores['accuracy']:.4f}\nmacro-F1 {scores['macro_f1']:.4f}\n\n"
            + scores["report"])
        df = pd.DataFrame({"id": data["ids"], "label": y, "predicted": pred})
        df.to_csv(out / "predictions.csv", index=False)
        try:
            import matplotlib

            matplotlib.use("Agg")
            from .plot import plot_confusion_matrix

            ax = plot_confusion_matrix(y, pred, labels=model.steps[-1][1].classes_)
            ax.figure.savefig(out / "confusion_matrix.png", dpi=120, bbox_inches="tight")
        except ImportError as exc:
            print(f"warning: no confusion-matrix plot ({exc})", file=sys.stderr)
        _say(f"wrote {out}/metrics.json, report.txt, predictions.csv, confusion_matrix.png")
    return 0


# --------------------------------------------------------------------------- parser

def _build_parser() -> argparse.ArgumentParser:
    from ._version import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the traceback on errors")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    common.add_argument("--n-jobs", type=int, default=None, metavar="N",
                        help="worker processes (-1: all cores; default 1, demo: all)")

    io = argparse.ArgumentParser(add_help=False)
    g = io.add_argument_group("input columns (long-format tables and folders of CSV files)")
    g.add_argument("--id-col", default="id", help="star id column (default: id)")
    g.add_argument("--time-col", default="time", help="time column (default: time)")
    g.add_argument("--mag-col", default="mag", help="magnitude column (default: mag)")
    g.add_argument("--err-col", default="err", help="error column, optional (default: err)")
    g.add_argument("--label-col", default="label", help="label column (default: label)")

    labelled = argparse.ArgumentParser(add_help=False)
    labelled.add_argument("--labels", metavar="LABELS.csv",
                          help="labels file with columns id and label (see --id-col --label-col)")

    parser = argparse.ArgumentParser(
        prog="sklearn-lc",
        description="Classify variable-star light curves (scikit-learn compatible). "
                    "Input light curves: a project .npz file, a long-format .csv/.parquet table "
                    "(one row per observation) or a folder of one .csv per star.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"sklearn_lc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", parents=[common], help="train and score a random forest on CRTS",
                       description="Train a random forest on light-curve features of the CRTS "
                                   "7-class task (or simulated stars when the data are absent) "
                                   "with a group-aware split, and print accuracy, macro-F1 and a "
                                   "per-class report.")
    p.add_argument("--data", default=DEFAULT_DATA, metavar="NAME_OR_PATH",
                   help=f"data-set name or .npz path (default: {DEFAULT_DATA})")
    p.add_argument("--classes", default=None, metavar="A,B,...",
                   help=f"classes to use (default: {','.join(DEFAULT_CLASSES)})")
    p.add_argument("--random-state", type=int, default=0, metavar="N", help="seed (default 0)")
    p.add_argument("--test-size", type=float, default=0.25, help="held-out fraction (0.25)")
    p.add_argument("--max-per-class", type=int, default=400, metavar="N",
                   help="use at most N stars per class, for speed (default 400: about 80 s "
                        "of CPU time; 0: all 8,388 stars of the 7 classes, about three times "
                        "longer)")
    p.add_argument("--n-estimators", type=int, default=300, metavar="N",
                   help="trees in the forest (default 300)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("models", parents=[common], help="list the model recipes of train",
                       description="List the model names accepted by 'train --model'.")
    p.set_defaults(func=_cmd_models)

    p = sub.add_parser("features", parents=[common, io, labelled],
                       help="compute per-star features",
                       description="Compute FeatureExtractor's features: one row per star "
                                   "with its id (and label when known).")
    p.add_argument("input", help="light curves: .npz, .csv/.parquet (long format) or a folder")
    p.add_argument("-o", "--output", required=True, metavar="OUT.csv|.parquet")
    p.set_defaults(func=_cmd_features)

    p = sub.add_parser("train", parents=[common, io, labelled], help="train and save a model",
                       description="Train a model on labelled light curves and save it as a "
                                   "model directory (JSON config + weights, no pickle). Models: "
                                   "see 'sklearn-lc models'. A config file is JSON (or YAML) "
                                   "like {\"model\": \"rf-features\", \"params\": "
                                   "{\"randomforestclassifier__n_estimators\": 100}} or "
                                   "{\"steps\": [{\"class\": \"FeatureExtractor\"}, "
                                   "{\"class\": \"RandomForestClassifier\", \"params\": {}}]}.")
    p.add_argument("input", help="labelled light curves (.npz with labels, or a table + --labels)")
    p.add_argument("--model", metavar="NAME", help="model recipe (see 'sklearn-lc models')")
    p.add_argument("--config", metavar="CFG.json|.yaml", help="model configuration file")
    p.add_argument("-o", "--output", required=True, metavar="MODEL_DIR")
    p.add_argument("--random-state", type=int, default=0, metavar="N", help="seed (default 0)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing MODEL_DIR")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("predict", parents=[common, io], help="predict classes with a saved model",
                       description="Predict labels and per-class probabilities: one row per "
                                   "star (id, label, proba_<class>...).")
    p.add_argument("model_dir", help="model directory written by 'train'")
    p.add_argument("input", help="light curves: .npz, .csv/.parquet (long format) or a folder")
    p.add_argument("-o", "--output", metavar="OUT.csv|.parquet",
                   help="output table (default: CSV on stdout)")
    p.add_argument("--chunk-stars", type=int, default=0, metavar="N",
                   help="stream a long-format table N stars at a time (rows of a star must "
                        "be contiguous; output .csv); memory stays bounded for huge tables")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("evaluate", parents=[common, io, labelled],
                       help="score a saved model on labelled data",
                       description="Score a saved model on labelled light curves: accuracy, "
                                   "macro-F1, per-class report; with -o also metrics.json, "
                                   "report.txt, predictions.csv and confusion_matrix.png.")
    p.add_argument("model_dir", help="model directory written by 'train'")
    p.add_argument("input", help="labelled light curves")
    p.add_argument("-o", "--output", metavar="REPORT_DIR", help="folder for the report files")
    p.set_defaults(func=_cmd_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sklearn-lc`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 1 on error, 2 on bad usage.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2

    def _show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        print(f"warning: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            if not args.debug:
                warnings.showwarning = _show
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("sklearn-lc: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one clear line unless --debug
        if args.debug:
            raise
        msg = " ".join(str(exc).split()) or type(exc).__name__
        print(f"sklearn-lc {args.command}: error: {msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
