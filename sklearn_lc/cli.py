"""The ``sklearn-lc`` command line: demo, models, features, train, predict, evaluate.

Run ``sklearn-lc --help`` or ``sklearn-lc COMMAND --help``. Every command exits
with status 0 on success, 1 with a one-line ``error:`` message on stderr when
something goes wrong (add ``--debug`` for the traceback), 2 for bad usage and
130 when interrupted.

This module parses arguments and calls the library: light curves are read by
:func:`sklearn_lc.io.read_input`, models are scikit-learn pipelines (built,
saved and loaded by the model-directory functions) and run with ``fit`` /
``predict_proba``. Outputs (``-o``) are written all-or-nothing: into a
temporary file (or folder) beside the target, renamed at the end, and removed
when the command fails or is interrupted. Heavy modules are imported only by
the command that needs them, so ``sklearn-lc --help`` starts in well under a
second.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported on first use (module __getattr__): pandas is slow to import
    from .io import read_input

__all__ = ["main", "read_input"]

DEFAULT_DATA = "crts_drake14"
DEFAULT_CLASSES = ("EW", "EA", "RRab", "RRc", "RRd", "RS_CVn", "LPV")
_TABLE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_REPORT_FILES = ("metrics.json", "report.txt", "predictions.csv", "confusion_matrix.png")
_CLASS_LEVELS = {"fine": 0, "super": 1}  # the [fine, super] pairs of class_map.json


def __getattr__(name: str) -> Any:
    # ``sklearn_lc.cli.read_input`` stays importable without importing pandas at start-up
    if name == "read_input":
        from .io import read_input

        return read_input
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class CLIError(Exception):
    """An error reported to the user as one line, without a traceback."""


def _say(*parts: Any) -> None:
    print(*parts, flush=True)


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def _n(count: int, word: str, plural: str | None = None) -> str:
    """``1 star``, ``2 stars`` (``plural`` for irregular words)."""
    return f"{count} {word if count == 1 else (plural or word + 's')}"


# --------------------------------------------------------------------------- outputs

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_output(
    out: Path, inputs: Sequence[tuple[str, Path | None]], *, overwrite: bool, kind: str
) -> None:
    """Refuse an output that is an input (or inside an input folder) or exists without --overwrite.

    Runs before anything is read. ``kind`` is ``"file"``, ``"report"`` (a
    folder of report files) or ``"model"`` (a model directory).
    """
    for what, path in inputs:
        if path is None or not path.exists():
            continue
        if (out.exists() or out.is_symlink()) and _same_file(out, path):
            raise CLIError(f"{out}: is the {what} ({path}); choose another output path")
        if what == "input" and path.is_dir():
            try:
                inside = out.resolve().is_relative_to(path.resolve())
            except OSError:
                inside = False
            if inside:
                raise CLIError(f"{out}: is inside the input folder {path}; write it elsewhere")
    if not (out.exists() or out.is_symlink()):
        return
    if kind == "file" and out.is_dir():
        raise CLIError(f"{out}: is a directory; give a file name")
    if kind != "file" and not out.is_dir():
        raise CLIError(f"{out}: exists and is not a directory")
    if kind == "file" or any(out.iterdir()):
        if not overwrite:
            what = "exists" if kind == "file" else "exists and is not empty"
            raise CLIError(f"{out}: {what} (use --overwrite to replace it)")
    if kind == "report":
        foreign = sorted(p.name for p in out.iterdir() if p.name not in _REPORT_FILES)
        if foreign:
            listed = ", ".join(foreign[:3]) + ("..." if len(foreign) > 3 else "")
            raise CLIError(f"{out}: holds files that are not an evaluate report ({listed}); "
                           "refusing to replace it")


@contextmanager
def _atomic_file(out: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; rename it to ``out`` on success, else delete it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        yield tmp
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def _atomic_dir(out: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; it becomes ``out`` whole on success."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        if out.is_dir():  # --overwrite of a report folder (checked before)
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, old / "previous")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_table(df: Any, tmp: Path, out: Path) -> None:
    """Write ``df`` to ``tmp`` in the format of ``out``'s suffix."""
    if _TABLE_SUFFIXES.get(out.suffix.lower()) == "csv":
        df.to_csv(tmp, index=False)
        return
    try:
        df.to_parquet(tmp, index=False)
    except ImportError as exc:
        raise CLIError("writing Parquet needs pyarrow (pip install pyarrow)") from exc


def _table_output(path: str) -> Path:
    out = Path(path).expanduser()
    if out.suffix.lower() not in _TABLE_SUFFIXES:
        raise CLIError(f"{out}: output must end in .csv or .parquet")
    return out


# --------------------------------------------------------------------------- input

def _input_paths(args: argparse.Namespace) -> list[tuple[str, Path | None]]:
    """Every file a command reads, for the output checks (nothing is read here)."""
    from .io import _source_path

    paths = [("input", _source_path(args.input))]
    for what, attr in (("labels file", "labels"), ("model directory", "model_dir"),
                       ("class map", "class_map"), ("config file", "config")):
        value = getattr(args, attr, None)
        if value:
            paths.append((what, Path(value).expanduser()))
    return paths


def _read(args: argparse.Namespace, *, need_labels: bool = False) -> Any:
    from .io import read_input

    try:
        return read_input(
            args.input, id_col=args.id_col, time_col=args.time_col, mag_col=args.mag_col,
            err_col=args.err_col, label_col=args.label_col, labels=getattr(args, "labels", None),
            need_labels=need_labels, on_invalid=args.on_invalid,
        )
    except ValueError as exc:
        if "missing column" in str(exc):
            raise CLIError(f"{exc} (choose names with --id-col --time-col --mag-col --err-col "
                           "--label-col)") from exc
        raise


def _describe(data: Any) -> str:
    n = len(data.ids)
    text = f"data: {data.source}: {_n(n, 'star')}"
    if data.get("target") is not None:
        import numpy as np

        text += f", {_n(len(np.unique(data.target)), 'class', 'classes')}"
    return text


@contextmanager
def _naming_stars(ids: Sequence[Any], source: str) -> Iterator[None]:
    """Turn a model step's :class:`LightCurveError` into a message naming the file and star."""
    from .utils import LightCurveError

    try:
        yield
    except LightCurveError as exc:
        if exc.source is None:
            star = ids[exc.index] if 0 <= exc.index < len(ids) else None
            exc = exc.located(star=star, source=source)
        # a model step's min_points is not a command-line option: say what it means
        message = re.sub(r"fewer than min_points=(\d+)", r"fewer than the \1 the model needs",
                         str(exc))
        raise CLIError(message) from exc


def _cli_words(message: str) -> str:
    """Say the command-line option where a message names a Python argument."""
    return message.replace("use on_invalid='drop_points'", "use --on-invalid drop_points")


# --------------------------------------------------------------------------- models

def _set_progress(pipe: Any, on: bool) -> None:
    """Switch the progress output of every sklearn_lc step that has a ``verbose`` parameter."""
    for _, step in getattr(pipe, "steps", []):
        params = step.get_params(deep=False)
        if (type(step).__module__.startswith("sklearn_lc") and "verbose" in params
                and isinstance(params["verbose"], (bool, int))):
            step.set_params(verbose=on if isinstance(params["verbose"], bool) else int(on))


def _load(model_dir: str) -> tuple[Any, dict]:
    """Load the fitted pipeline of a model directory, and its metadata."""
    from .model_io import load_model, read_model_config

    try:
        model = load_model(model_dir, kind="pipeline")
        metadata = read_model_config(model_dir).get("metadata") or {}
    except (FileNotFoundError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    return model, dict(metadata)


def _predict(model: Any, data: Any, quiet: bool) -> tuple[Any, Any]:
    """Predicted labels and class probabilities (one row per star, in order)."""
    import numpy as np

    _set_progress(model, not quiet)
    with _naming_stars(data.ids, data.source):
        proba = np.asarray(model.predict_proba(data.light_curves))
    classes = np.asarray(model.classes_)
    return classes[np.argmax(proba, axis=1)], proba


def _fingerprint(light_curves: Any) -> dict:
    """Record the training stars: one 8-byte digest per star, base64-encoded."""
    import base64

    from .io import light_curve_digests

    digests = light_curve_digests(light_curves)
    return {"n_stars": len(digests), "method": "light_curve_digests",
            "digests": base64.b64encode(b"".join(bytes.fromhex(d) for d in digests)).decode()}


def _training_overlap(metadata: dict, light_curves: Any) -> int | None:
    """How many of ``light_curves`` the model was trained on (None: not recorded)."""
    import base64

    from .io import light_curve_digests

    record = metadata.get("training_stars")
    if not isinstance(record, dict) or record.get("method") != "light_curve_digests":
        return None
    raw = base64.b64decode(record["digests"])
    trained = {raw[i:i + 8].hex() for i in range(0, len(raw), 8)}
    return sum(d in trained for d in light_curve_digests(light_curves))


# --------------------------------------------------------------------------- class maps

def _class_map(path: str | None, level: str) -> dict[str, str] | None:
    """Read a ``--class-map`` JSON file into ``{label: mapped label}``.

    The file maps labels to names, ``{"Mira": "LPV"}``, or to lists of names
    from which ``level`` picks one, ``{"Mira": ["Mira", "LPV"]}``; the
    mappings may be grouped in sections (one per survey, as in
    ``../shared/data/class_map.json``), which are merged. Keys starting with
    ``_`` are comments.
    """
    if path is None:
        return None
    file = Path(path).expanduser()
    if not file.is_file():
        raise CLIError(f"{file}: no such class-map file")
    try:
        obj = json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeError) as exc:
        raise CLIError(f"{file}: not valid JSON ({exc})") from exc
    if not isinstance(obj, dict):
        raise CLIError(f"{file}: a class map is a JSON object {{label: class, ...}}")
    index = _CLASS_LEVELS.get(level)
    if index is None:
        try:
            index = int(level)
        except ValueError:
            raise CLIError(f"--class-level must be fine, super or a list position, "
                           f"got {level!r}") from None
    mapping: dict[str, str] = {}
    origin: dict[str, str] = {}

    def add(label: str, value: Any, section: str) -> None:
        if isinstance(value, list):
            if not -len(value) <= index < len(value):
                raise CLIError(f"{file}: {section}{label!r} has {len(value)} entries, no "
                               f"--class-level {level}")
            value = value[index]
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise CLIError(f"{file}: {section}{label!r} maps to {value!r}; expected a class "
                           "name or a list of names")
        value = str(value)
        if label in mapping and mapping[label] != value:
            raise CLIError(f"{file}: label {label!r} maps to {mapping[label]!r} in "
                           f"{origin[label] or 'the top level'} and to {value!r} in "
                           f"{section or 'the top level'}")
        mapping[label], origin[label] = value, section

    for key, value in obj.items():
        if key.startswith("_"):
            continue
        if isinstance(value, dict):
            for label, target in value.items():
                add(str(label), target, f"section {key!r}: ")
        else:
            add(str(key), value, "")
    if not mapping:
        raise CLIError(f"{file}: the class map is empty")
    return mapping


def _apply_map(labels: Any, mapping: dict[str, str] | None) -> Any:
    import numpy as np

    labels = np.asarray(labels).astype(str)
    if mapping is None:
        return labels
    return np.asarray([mapping.get(v, v) for v in labels.tolist()])


def _unmapped(labels: Any, mapping: dict[str, str]) -> list[str]:
    import numpy as np

    return sorted(set(np.asarray(labels).astype(str).tolist()) - set(mapping))


# --------------------------------------------------------------------------- scores

def _scores(y_true: Any, y_pred: Any) -> dict:
    import numpy as np
    from sklearn.metrics import accuracy_score, classification_report, f1_score

    labels = np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]))
    return {
        "n_stars": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", labels=np.unique(y_true),
                                   zero_division=0)),
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


def _check_label_sets(y_true: Any, y_pred: Any, mapped: bool) -> None:
    import numpy as np

    true, pred = set(np.unique(y_true).tolist()), set(np.unique(y_pred).tolist())
    if not true & pred:
        hint = ("check the class map" if mapped else
                "if the model and the data name classes differently, map both to one taxonomy "
                "with --class-map FILE (such as ../shared/data/class_map.json, with "
                "--class-level super)")
        _warn(f"no predicted label is a true label: predicted {sorted(pred)[:6]}"
              f"{'...' if len(pred) > 6 else ''}, true {sorted(true)[:6]}"
              f"{'...' if len(true) > 6 else ''}; the scores are 0 by construction; {hint}")


def _subsample(y: Any, max_per_class: int, random_state: int | None) -> Any:
    import numpy as np

    rng = np.random.RandomState(random_state)
    keep = []
    for cls in np.unique(y):
        members = np.flatnonzero(y == cls)
        if max_per_class and len(members) > max_per_class:
            members = np.sort(rng.choice(members, max_per_class, replace=False))
        keep.append(members)
    return np.sort(np.concatenate(keep))


def _split(y: Any, group: Any, test_size: float,
           random_state: int | None) -> tuple[Any, Any, str]:
    import numpy as np
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
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline

    from .datasets import SYNTHETIC_CLASSES, load_light_curves, make_light_curves
    from .transformers import FeatureExtractor

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
    _say(f"data: {source}: {_n(n_all, 'star')} of "
         f"{_n(len(np.unique(y)), 'class', 'classes')}")
    if args.max_per_class and len(y) < n_all:
        _say(f"      using at most {args.max_per_class} stars per class -> {_n(len(y), 'star')} "
             "(--max-per-class 0 uses all; slower)")
    train, test, how = _split(y, group, args.test_size, args.random_state)
    _say(f"split: {how}: {len(train)} train / {len(test)} test stars")
    rf = RandomForestClassifier(n_estimators=args.n_estimators, class_weight="balanced",
                                n_jobs=args.n_jobs, random_state=args.random_state)
    pipe = Pipeline([("features", FeatureExtractor(n_jobs=args.n_jobs)),
                     ("randomforestclassifier", rf)])
    _set_progress(pipe, not args.quiet)
    _say(f"model: random forest ({_n(args.n_estimators, 'tree')}) on FeatureExtractor")
    t0 = time.perf_counter()
    pipe.fit([lcs[i] for i in train], y[train])
    t1 = time.perf_counter()
    pred = pipe.predict([lcs[i] for i in test])
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
    import numpy as np
    import pandas as pd

    from .transformers import FeatureExtractor

    out = _table_output(args.output)
    _check_output(out, _input_paths(args), overwrite=args.overwrite, kind="file")
    data = _read(args)
    _say(_describe(data))
    fe = FeatureExtractor(n_jobs=args.n_jobs)
    _set_progress(fe, not args.quiet)
    t0 = time.perf_counter()
    with _naming_stars(data.ids, data.source):
        F = fe.fit_transform(data.light_curves)
    names = [str(n) for n in fe.get_feature_names_out()]
    df = pd.DataFrame(np.asarray(F), columns=names)
    df.insert(0, "id", data.ids)
    if data.target is not None:
        df["label"] = data.target
    with _atomic_file(out) as tmp:
        _write_table(df, tmp, out)
    _say(f"wrote {out}: {_n(len(df), 'star')} x {_n(len(names), 'feature')} "
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
    import numpy as np

    from .model_io import build_model, save_model

    if (args.model is None) == (args.config is None):
        raise CLIError("give exactly one of --model NAME or --config FILE")
    out = Path(args.output).expanduser()
    _check_output(out, _input_paths(args), overwrite=args.overwrite, kind="model")
    cfg = _load_config(Path(args.config)) if args.config else {"model": args.model}
    try:
        pipe = build_model(cfg, random_state=args.random_state, n_jobs=args.n_jobs,
                           verbose=not args.quiet)
    except (ValueError, TypeError) as exc:
        raise CLIError(f"{args.config or '--model'}: {exc}") from exc
    data = _read(args, need_labels=True)
    y = np.asarray(data.target)
    _say(_describe(data))
    _set_progress(pipe, not args.quiet)
    t0 = time.perf_counter()
    with _naming_stars(data.ids, data.source):
        pipe.fit(data.light_curves, y)
    fit_s = time.perf_counter() - t0
    meta = {"trained_on": data.source, "n_stars": int(len(y)), "fit_seconds": round(fit_s, 2),
            "config": cfg, "training_stars": _fingerprint(data.light_curves)}
    save_model(pipe, out, name=cfg.get("model"), metadata=meta, overwrite=args.overwrite)
    _say(f"trained {' -> '.join(n for n, _ in pipe.steps)} in {fit_s:.1f} s; saved to {out}")
    return 0


def _prediction_frame(model: Any, data: Any, quiet: bool, mapping: dict | None) -> Any:
    import pandas as pd

    labels, proba = _predict(model, data, quiet)
    df = pd.DataFrame({"id": data.ids, "label": _apply_map(labels, mapping)})
    if mapping is not None:
        df["model_label"] = labels
    for k, c in enumerate(model.classes_):
        df[f"proba_{c}"] = proba[:, k]
    return df


def _cmd_predict(args: argparse.Namespace) -> int:
    out = _table_output(args.output) if args.output else None
    if out is not None:
        _check_output(out, _input_paths(args), overwrite=args.overwrite, kind="file")
    mapping = _class_map(args.class_map, args.class_level)
    model, _ = _load(args.model_dir)
    if mapping is not None:
        missing = _unmapped(model.classes_, mapping)
        if missing:
            _warn(f"the class map does not name the model's class(es) {missing}; they are "
                  "kept as they are")
    if args.chunk_stars:
        return _predict_stream(model, args, out, mapping)
    data = _read(args)
    df = _prediction_frame(model, data, args.quiet, mapping)
    if out is None:
        df.to_csv(sys.stdout, index=False)
        return 0
    with _atomic_file(out) as tmp:
        _write_table(df, tmp, out)
    _say(f"wrote {out}: {_n(len(df), 'star')}")
    return 0


def _predict_stream(model: Any, args: argparse.Namespace, out: Path | None,
                    mapping: dict | None) -> int:
    """Predict a long table chunk by chunk (``--chunk-stars``) into one CSV."""
    from sklearn.utils import Bunch

    from .io import iter_long_table

    path = Path(args.input).expanduser()
    if not path.is_file() or path.suffix.lower() not in _TABLE_SUFFIXES:
        raise CLIError(f"{path}: --chunk-stars streams a long-format .csv or .parquet file")
    if out is not None and out.suffix.lower() != ".csv":
        raise CLIError(f"{out}: streamed predictions are written as .csv")
    chunks = iter_long_table(path, args.chunk_stars, id=args.id_col, time=args.time_col,
                             mag=args.mag_col, err=args.err_col, on_invalid=args.on_invalid)
    n = 0

    def write_all(stream: Any) -> None:
        nonlocal n
        for k, (ids, lcs) in enumerate(chunks):
            data = Bunch(ids=ids, light_curves=lcs, source=str(path))
            df = _prediction_frame(model, data, True, mapping)
            df.to_csv(stream, index=False, header=k == 0)
            stream.flush()
            n += len(df)
            if not args.quiet:
                print(f"predicted {_n(n, 'star')}", file=sys.stderr, flush=True)

    if out is None:
        write_all(sys.stdout)
        return 0
    with _atomic_file(out) as tmp:
        with open(tmp, "w", newline="") as stream:
            write_all(stream)
    _say(f"wrote {out}: {_n(n, 'star')}")
    return 0


def _cv_predictions(model: Any, data: Any, k: int, args: argparse.Namespace) -> tuple[Any, dict]:
    """Out-of-fold predictions of the model's recipe (unfitted copy) and per-fold scores."""
    import numpy as np
    from sklearn.base import TransformerMixin, clone
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
    from sklearn.pipeline import Pipeline

    y = np.asarray(data.target)
    group = data.get("group")
    if k < 2:
        raise CLIError(f"--cv needs at least 2 folds, got {k}")
    smallest = int(np.unique(y, return_counts=True)[1].min())
    if smallest < k:
        _warn(f"the smallest class has {_n(smallest, 'star')}, fewer than the {k} folds")
    if group is not None:
        cv = StratifiedGroupKFold(k, shuffle=True, random_state=args.random_state)
        how = f"StratifiedGroupKFold({k}) by 'group'"
    else:
        cv = StratifiedKFold(k, shuffle=True, random_state=args.random_state)
        how = f"StratifiedKFold({k}) (no 'group' in the data)"
    folds = list(cv.split(np.zeros(len(y)), y, group))
    recipe = clone(model)
    _set_progress(recipe, not args.quiet)
    # leading steps with nothing to learn (FeatureExtractor, DmDtImage) give each star the same
    # row whatever the fold, so they run once on all stars instead of once per fold
    steps = list(recipe.steps)
    head = 0
    while head < len(steps) - 1:
        step = steps[head][1]
        if step.__sklearn_tags__().requires_fit or (
                type(step).fit_transform is not TransformerMixin.fit_transform):
            break
        head += 1
    X = data.light_curves
    with _naming_stars(data.ids, data.source):
        if head:
            X = Pipeline(steps[:head]).fit_transform(X)
        rest = Pipeline(steps[head:]) if head < len(steps) else recipe
        pred = cross_val_predict(rest, X, y, groups=group, cv=folds)
    per_fold = [{"n_test": int(len(test)),
                 "accuracy": float(accuracy_score(y[test], pred[test])),
                 "macro_f1": float(f1_score(y[test], pred[test], average="macro",
                                            labels=np.unique(y[test]), zero_division=0))}
                for _, test in folds]
    info = {"splitter": how, "n_splits": k, "random_state": args.random_state,
            "folds": per_fold}
    for key in ("accuracy", "macro_f1"):
        values = [f[key] for f in per_fold]
        info[f"{key}_mean"], info[f"{key}_std"] = float(np.mean(values)), float(np.std(values))
    return pred, info


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    out = Path(args.output).expanduser() if args.output else None
    if out is not None:
        _check_output(out, _input_paths(args), overwrite=args.overwrite, kind="report")
    mapping = _class_map(args.class_map, args.class_level)
    model, metadata = _load(args.model_dir)
    data = _read(args, need_labels=True)
    y = np.asarray(data.target)
    _say(_describe(data))
    cv_info = None
    n_overlap = None
    if args.cv:
        pred, cv_info = _cv_predictions(model, data, args.cv, args)
        _say(f"cross-validation: {cv_info['splitter']}: the model's recipe refitted on each "
             f"training part; scores of the {_n(len(y), 'out-of-fold prediction')}")
    else:
        n_overlap = _training_overlap(metadata, data.light_curves)
        if n_overlap is None:
            _warn("the model does not record its training stars, so overlap with these stars "
                  "cannot be checked")
        elif n_overlap:
            what = (f"{n_overlap} of the {_n(len(y), 'star')} evaluated "
                    f"{'was' if n_overlap == 1 else 'were'} used to train the model; scores on "
                    "training stars overstate accuracy on new ones")
            if not args.allow_train_overlap:
                raise CLIError(f"{what}. Evaluate on held-out stars, use --cv K to "
                               "cross-validate the model's recipe on these data, or pass "
                               "--allow-train-overlap to score anyway")
            _warn(f"{what} (--allow-train-overlap)")
        pred, _ = _predict(model, data, args.quiet)
    if mapping is not None:
        for what, labels in (("true", y), ("predicted", pred)):
            missing = _unmapped(labels, mapping)
            if missing:
                _warn(f"the class map does not name the {what} label(s) "
                      f"{missing[:8]}{'...' if len(missing) > 8 else ''}; kept as they are")
    y_cmp, pred_cmp = _apply_map(y, mapping), _apply_map(pred, mapping)
    _check_label_sets(y_cmp, pred_cmp, mapping is not None)
    scores = _scores(y_cmp, pred_cmp)
    if cv_info is not None:
        scores["cv"] = cv_info
        _say(f"per fold: accuracy {cv_info['accuracy_mean']:.3f} +- "
             f"{cv_info['accuracy_std']:.3f}, macro-F1 {cv_info['macro_f1_mean']:.3f} +- "
             f"{cv_info['macro_f1_std']:.3f}")
    if n_overlap:
        scores["n_training_stars"] = int(n_overlap)
    if mapping is not None:
        scores["class_map"] = {"file": str(args.class_map), "level": args.class_level}
    _print_scores(scores)
    if out is None:
        return 0
    report = {k: v for k, v in scores.items() if k != "report"}
    with _atomic_dir(out) as tmp:
        (tmp / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
        (tmp / "report.txt").write_text(
            f"accuracy {scores['accuracy']:.4f}\nmacro-F1 {scores['macro_f1']:.4f}\n\n"
            + scores["report"])
        df = pd.DataFrame({"id": data.ids, "label": y, "predicted": pred})
        if mapping is not None:
            df["label_mapped"], df["predicted_mapped"] = y_cmp, pred_cmp
        df.to_csv(tmp / "predictions.csv", index=False)
        figure = _confusion_png(tmp / "confusion_matrix.png", y_cmp, pred_cmp)
    written = ["metrics.json", "report.txt", "predictions.csv"]
    if figure is None:
        written.append("confusion_matrix.png")
    _say(f"wrote {out}/: {', '.join(written)}")
    if figure is not None:
        _warn(f"confusion_matrix.png skipped: {figure}")
    return 0


def _confusion_png(path: Path, y_true: Any, y_pred: Any) -> str | None:
    """Draw the confusion matrix; return why not when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        return "matplotlib is not installed (pip install matplotlib, or sklearn_lc[plot])"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plot import plot_confusion_matrix

    ax = plot_confusion_matrix(y_true, y_pred)
    ax.figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
    return None


# --------------------------------------------------------------------------- parser

def _build_parser() -> argparse.ArgumentParser:
    from ._version import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the traceback on errors")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    common.add_argument("--n-jobs", type=int, default=None, metavar="N",
                        help="worker processes (-1: all cores; default 1, demo: all)")

    io = argparse.ArgumentParser(add_help=False)
    g = io.add_argument_group("input (long-format tables and folders of CSV files)")
    g.add_argument("--id-col", default="id",
                   help="star id column, read as text (default: id; a table without it is "
                        "one star named after the file)")
    g.add_argument("--time-col", default="time", help="time column (default: time)")
    g.add_argument("--mag-col", default="mag", help="magnitude column (default: mag)")
    g.add_argument("--err-col", default="err", help="error column, optional (default: err)")
    g.add_argument("--label-col", default="label", help="label column (default: label)")
    g.add_argument("--on-invalid", choices=("raise", "drop_points"), default="raise",
                   help="points with a non-finite time or magnitude (or an infinite error): "
                        "raise an error naming the star (default), or drop those points")

    labelled = argparse.ArgumentParser(add_help=False)
    labelled.add_argument("--labels", metavar="LABELS.csv",
                          help="labels file with columns id and label (see --id-col "
                               "--label-col); one label per star")

    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--overwrite", action="store_true",
                        help="replace an existing output (never an input)")

    classes = argparse.ArgumentParser(add_help=False)
    g = classes.add_argument_group("class names")
    g.add_argument("--class-map", metavar="MAP.json",
                   help="JSON mapping of labels to common class names, e.g. "
                        "../shared/data/class_map.json (sections per survey are merged)")
    g.add_argument("--class-level", default="fine", metavar="LEVEL",
                   help="which name of a [fine, super] list to use: fine (default), super, or "
                        "a position")

    parser = argparse.ArgumentParser(
        prog="sklearn-lc",
        description="Classify variable-star light curves (scikit-learn compatible). "
                    "Input light curves: a project .npz file, a long-format .csv/.parquet table "
                    "(one row per observation), a folder of one .csv per star, or a data-set "
                    "name (crts_drake14, asas_richards12, sdss_s82_rrlyrae).",
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
                   help="use at most N stars per class, for speed (default 400: about 75 s "
                        "of CPU time; 0: all 8,388 stars of the 7 classes, about three times "
                        "longer)")
    p.add_argument("--n-estimators", type=int, default=300, metavar="N",
                   help="trees in the forest (default 300)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("models", parents=[common], help="list the model recipes of train",
                       description="List the model names accepted by 'train --model'.")
    p.set_defaults(func=_cmd_models)

    p = sub.add_parser("features", parents=[common, io, labelled, output],
                       help="compute per-star features",
                       description="Compute FeatureExtractor's features: one row per star "
                                   "with its id (and label when known).")
    p.add_argument("input", help="light curves: .npz, .csv/.parquet (long format) or a folder")
    p.add_argument("-o", "--output", required=True, metavar="OUT.csv|.parquet")
    p.set_defaults(func=_cmd_features)

    p = sub.add_parser("train", parents=[common, io, labelled], help="train and save a model",
                       description="Train a model on labelled light curves and save it as a "
                                   "model directory (JSON config + weights, no pickle), with a "
                                   "digest of each training star so that 'evaluate' can tell "
                                   "when it is given training stars. Models: see 'sklearn-lc "
                                   "models'. A config file is JSON (or YAML) like "
                                   "{\"model\": \"rf-features\", \"params\": "
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

    p = sub.add_parser("predict", parents=[common, io, output, classes],
                       help="predict classes with a saved model",
                       description="Predict labels and per-class probabilities: one row per "
                                   "star (id, label, proba_<class>...). With --class-map the "
                                   "label column holds the mapped name and model_label the "
                                   "model's own class.")
    p.add_argument("model_dir", help="model directory written by 'train'")
    p.add_argument("input", help="light curves: .npz, .csv/.parquet (long format) or a folder")
    p.add_argument("-o", "--output", metavar="OUT.csv|.parquet",
                   help="output table, written whole or not at all (default: CSV on stdout)")
    p.add_argument("--chunk-stars", type=int, default=0, metavar="N",
                   help="stream a long-format table N stars at a time (rows of a star must "
                        "be contiguous; output .csv); memory stays bounded for huge tables")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("evaluate", parents=[common, io, labelled, output, classes],
                       help="score a saved model on labelled data",
                       description="Score a saved model on labelled light curves: accuracy, "
                                   "macro-F1, per-class report; with -o also metrics.json, "
                                   "report.txt, predictions.csv and confusion_matrix.png "
                                   "(needs matplotlib). Stars the model was trained on are "
                                   "refused (see --allow-train-overlap); --cv K instead "
                                   "cross-validates the model's recipe on the given data.")
    p.add_argument("model_dir", help="model directory written by 'train'")
    p.add_argument("input", help="labelled light curves")
    p.add_argument("-o", "--output", metavar="REPORT_DIR",
                   help="folder for the report files, written whole or not at all")
    p.add_argument("--cv", type=int, default=0, metavar="K",
                   help="K-fold cross-validation of the model's recipe on these data, grouped "
                        "by their 'group' array when present and stratified by label")
    p.add_argument("--random-state", type=int, default=0, metavar="N",
                   help="seed of the --cv folds (default 0)")
    p.add_argument("--allow-train-overlap", action="store_true",
                   help="score stars the model was trained on anyway (with a warning)")
    p.set_defaults(func=_cmd_evaluate)
    return parser


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """Let SIGTERM unwind like Ctrl-C, so partial outputs are removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sklearn-lc`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 1 on error, 2 on bad usage, 130 when interrupted.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2

    def _show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        _warn(str(message))

    try:
        with warnings.catch_warnings(), _sigterm_as_exit():
            if not args.debug:
                warnings.showwarning = _show
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"sklearn-lc {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one clear line unless --debug
        if args.debug:
            raise
        msg = " ".join(str(exc).split()) or type(exc).__name__
        print(f"sklearn-lc {args.command}: error: {_cli_words(msg)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
