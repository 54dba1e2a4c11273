"""Named model recipes and safe saving/loading of fitted models (no pickle).

A saved model is a directory::

    MODEL_DIR/
      model.json            format, versions, label set, one entry per pipeline step
      step0-<name>.skops    fitted scikit-learn-style steps (skops format, no pickle)
      step1-<name>.safetensors   weights of a skorch network step

Loading never unpickles anything. ``model.json`` names each step's class, which
must be on an allow-list (the estimators exported by :mod:`sklearn_lc` and a few
scikit-learn estimators); ``.skops`` files are opened with :func:`skops.io.load`
trusting only the types of that allow-list (plus scikit-learn's own
``Tree``), and every file's SHA-256 digest must match the one written in
``model.json``. Anything unexpected makes :func:`load_model` raise
``ValueError``.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

from ._version import __version__

__all__ = [
    "MODEL_RECIPES",
    "available_models",
    "build_model",
    "load_model",
    "save_model",
]

FORMAT = "sklearn_lc-model"
FORMAT_VERSION = 1
CONFIG_FILE = "model.json"

# scikit-learn estimators that may appear in configs and saved models.
_SKLEARN_ALLOWED = {
    "RandomForestClassifier": "sklearn.ensemble",
    "ExtraTreesClassifier": "sklearn.ensemble",
    "HistGradientBoostingClassifier": "sklearn.ensemble",
    "LogisticRegression": "sklearn.linear_model",
    "StandardScaler": "sklearn.preprocessing",
    "SimpleImputer": "sklearn.impute",
}
# Types inside fitted scikit-learn estimators that skops does not trust by
# default but that hold only arrays.
_EXTRA_TRUSTED_TYPES = ("sklearn.tree._tree.Tree",)


class _BasicStats(TransformerMixin, BaseEstimator):
    """Ten period-free statistics per star; the fallback when FeatureExtractor is absent.

    Parameters
    ----------
    verbose : bool, default=False
        Unused; accepted so that callers can pass it like to FeatureExtractor.
    """

    _names = (
        "n_points", "baseline", "median_mag", "std", "mad", "amplitude_5_95",
        "skew", "kurtosis", "eta", "median_err",
    )

    def __init__(self, verbose: bool = False):
        self.verbose = verbose

    def fit(self, X: Any, y: Any = None) -> _BasicStats:
        """Do nothing (stateless); return self."""
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Return the statistics, float32 of shape (n_stars, 10)."""
        from scipy import stats

        from .utils._validation import check_light_curves

        lcs = check_light_curves(X, min_points=2)
        out = np.zeros((len(lcs), len(self._names)), dtype=np.float64)
        for i, (t, m, e) in enumerate(lcs):
            d = np.diff(m)
            var = m.var()
            out[i] = (
                len(t), t[-1] - t[0], np.median(m), m.std(),
                np.median(np.abs(m - np.median(m))),
                np.subtract(*np.percentile(m, [95, 5])),
                stats.skew(m) if var > 0 else 0.0,
                stats.kurtosis(m) if var > 0 else 0.0,
                (d @ d) / (len(m) * var) if var > 0 else 0.0,
                np.nanmedian(e) if np.isfinite(e).any() else 0.0,
            )
        return np.nan_to_num(out).astype(np.float32)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Return the names of the statistics."""
        return np.asarray(self._names, dtype=object)


def _sklearn_lc_classes() -> dict[str, type]:
    import sklearn_lc

    out = {}
    for name in sklearn_lc.__all__:
        obj = getattr(sklearn_lc, name, None)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            out[name] = obj
    return out


def _allowed_classes() -> dict[str, type]:
    """Classes that configs and saved models may name, by class name."""
    allowed = {}
    for name, module in _SKLEARN_ALLOWED.items():
        allowed[name] = getattr(importlib.import_module(module), name)
    allowed["_BasicStats"] = _BasicStats
    allowed.update(_sklearn_lc_classes())
    return allowed


def _resolve_class(name: str) -> type:
    allowed = _allowed_classes()
    if name not in allowed:
        raise ValueError(
            f"unknown or disallowed estimator class {name!r}; allowed: {', '.join(sorted(allowed))}"
        )
    return allowed[name]


# name -> (description, [(class name, params)]) ; params may use "{random_state}" etc.
MODEL_RECIPES: dict[str, tuple[str, list[tuple[str, dict]]]] = {
    "rf-features": (
        "random forest (300 trees, balanced class weights) on FeatureExtractor's 16 features",
        [
            ("FeatureExtractor", {}),
            ("RandomForestClassifier", {"n_estimators": 300, "class_weight": "balanced"}),
        ],
    ),
    "rf-basic": (
        "random forest on 10 simple period-free statistics (fast baseline)",
        [
            ("_BasicStats", {}),
            ("RandomForestClassifier", {"n_estimators": 300, "class_weight": "balanced"}),
        ],
    ),
    "cnn-dmdt": (
        "2-D CNN (CNNClassifier) on dm-dt images (DmDtImage)",
        [("DmDtImage", {}), ("CNNClassifier", {})],
    ),
    "cnn-lstm": (
        "CNN-LSTM (CNNLSTMClassifier) on fixed windows of observations (WindowPad)",
        [("WindowPad", {}), ("CNNLSTMClassifier", {})],
    ),
    "transformer": (
        "transformer encoder (TransformerClassifier, CPU-sized: d_model 64) on windows of "
        "observations (WindowPad)",
        [("WindowPad", {}), ("TransformerClassifier", {"module__d_model": 64})],
    ),
    "transfer-crts": (
        "the shipped CRTS-pretrained transformer encoder with a new head, all fine-tuned on "
        "your stars, the encoder at 0.3x the learning rate (TransferClassifier on WindowPad "
        "windows; on ASAS this beats training from scratch at every number of labels)",
        [("WindowPad", {}), ("TransferClassifier", {"source": "crts", "freeze": "none",
                                                    "backbone_lr_factor": 0.3})],
    ),
}


def available_models() -> dict[str, str]:
    """Return the model recipes whose classes exist in this installation.

    Returns
    -------
    models : dict
        Recipe name to a one-line description.

    Examples
    --------
    >>> from sklearn_lc._model_io import available_models
    >>> "rf-basic" in available_models()
    True
    """
    allowed = _allowed_classes()
    return {
        name: desc
        for name, (desc, steps) in MODEL_RECIPES.items()
        if all(cls in allowed for cls, _ in steps)
    }


def _apply_common(est: BaseEstimator, random_state: Any, n_jobs: Any, verbose: Any) -> None:
    params = est.get_params(deep=False)
    update = {}
    if "random_state" in params and random_state is not None and params["random_state"] is None:
        update["random_state"] = random_state
    if "n_jobs" in params and n_jobs is not None and params["n_jobs"] is None:
        update["n_jobs"] = n_jobs
    ours = type(est).__module__.startswith("sklearn_lc")
    if ours and "verbose" in params and verbose is not None and isinstance(
        params["verbose"], (bool, int)
    ):
        if not params["verbose"]:
            update["verbose"] = verbose
    if update:
        est.set_params(**update)


def build_model(
    model: str | Mapping[str, Any],
    *,
    random_state: int | None = None,
    n_jobs: int | None = None,
    verbose: bool | int | None = None,
) -> Pipeline:
    """Build an unfitted pipeline from a recipe name or a configuration.

    Parameters
    ----------
    model : str or mapping
        A recipe name (see :func:`available_models`), or a configuration
        mapping, either ``{"model": NAME, "params": {...}}`` (pipeline
        parameters in ``step__param`` form, e.g.
        ``{"randomforestclassifier__n_estimators": 100}``) or
        ``{"steps": [{"class": CLASS, "params": {...}}, ...]}`` with class names
        from :mod:`sklearn_lc` or a few scikit-learn estimators.
    random_state : int, optional
        Given to every step that has a ``random_state`` left at None.
    n_jobs : int, optional
        Given to every step that has an ``n_jobs`` left at None.
    verbose : bool or int, optional
        Given to every step with a falsy ``verbose`` parameter (progress bars).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        The unfitted pipeline.

    Raises
    ------
    ValueError
        For an unknown recipe, a class off the allow-list or a bad parameter.

    Examples
    --------
    >>> from sklearn_lc._model_io import build_model
    >>> pipe = build_model({"model": "rf-basic",
    ...                     "params": {"randomforestclassifier__n_estimators": 10}})
    >>> pipe.named_steps["randomforestclassifier"].n_estimators
    10
    """
    if isinstance(model, str):
        model = {"model": model}
    if not isinstance(model, Mapping):
        raise TypeError(f"model must be a recipe name or a mapping, got {type(model).__name__}")
    unknown_keys = set(model) - {"model", "params", "steps"}
    if unknown_keys:
        raise ValueError(f"unknown configuration key(s) {sorted(unknown_keys)}; "
                         "expected 'model' and 'params', or 'steps'")
    if "steps" in model:
        if "model" in model:
            raise ValueError("give either 'model' or 'steps' in a configuration, not both")
        spec = []
        for k, step in enumerate(model["steps"]):
            if not isinstance(step, Mapping) or "class" not in step:
                raise ValueError(f"configuration step {k} must be a mapping with a 'class' key")
            spec.append((step["class"], dict(step.get("params", {}))))
    else:
        name = model.get("model")
        if name not in MODEL_RECIPES:
            raise ValueError(f"unknown model {name!r}; known: {', '.join(MODEL_RECIPES)}")
        missing = [c for c, _ in MODEL_RECIPES[name][1] if c not in _allowed_classes()]
        if missing:
            raise ValueError(f"model {name!r} needs {', '.join(missing)}, which this "
                             f"installation of sklearn_lc does not provide; available: "
                             f"{', '.join(available_models())}")
        spec = [(c, dict(p)) for c, p in MODEL_RECIPES[name][1]]
    if not spec:
        raise ValueError("a model needs at least one step")
    steps = []
    used = set()
    for cls_name, params in spec:
        cls = _resolve_class(cls_name)
        est = cls()
        try:
            est.set_params(**params)
        except ValueError as exc:
            raise ValueError(f"bad parameter for {cls_name}: {exc}") from exc
        _apply_common(est, random_state, n_jobs, verbose)
        step_name = cls_name.lower().lstrip("_")
        while step_name in used:
            step_name += "_"
        used.add(step_name)
        steps.append((step_name, est))
    pipe = Pipeline(steps)
    if "params" in model:
        try:
            pipe.set_params(**model["params"])
        except ValueError as exc:
            raise ValueError(f"bad model parameter: {exc}") from exc
    return pipe


# ----------------------------------------------------------------------------- saving

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _is_skorch_net(est: Any) -> bool:
    try:
        from skorch import NeuralNet
    except ImportError:  # pragma: no cover - skorch is a dependency
        return False
    return isinstance(est, NeuralNet)


def _lists(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value


def _tuples(value: Any) -> Any:
    """Undo the tuple-to-list conversion of JSON for parameter values."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def _json_safe(value: Any) -> Any:
    """Return ``value`` (tuples as lists) if it survives a JSON round trip, else raise TypeError."""
    if isinstance(value, np.generic):
        value = value.item()
    value = _lists(value)
    try:
        text = json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise TypeError("not JSON-serialisable") from exc
    if json.loads(text) != value:
        raise TypeError("does not survive a JSON round trip")
    return value


def _constructor_params(est: BaseEstimator) -> dict:
    """JSON-safe constructor parameters that differ from the class defaults."""
    defaults: dict = {}
    for klass in type(est).__mro__:  # skorch keeps its own defaults in NeuralNet.__init__
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for k, p in inspect.signature(init).parameters.items():
            if p.default is not inspect.Parameter.empty:
                defaults.setdefault(k, p.default)
    out = {}
    for key, value in est.get_params(deep=False).items():
        if key.startswith("_"):
            continue
        if key in defaults and _same(value, defaults[key]):
            continue
        try:
            out[key] = _json_safe(value)
        except TypeError as exc:
            raise ValueError(
                f"cannot save parameter {key}={value!r} of {type(est).__name__}: only "
                "JSON-serialisable parameters can be stored safely"
            ) from exc
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or a == b)
    except Exception:  # noqa: BLE001 - arrays and odd objects: treat as different
        return False


def save_model(
    model: Any,
    path: str | os.PathLike,
    *,
    name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Save a fitted pipeline (or single estimator) to a model directory, without pickle.

    Parameters
    ----------
    model : Pipeline or estimator
        A fitted classifier pipeline whose steps are allowed classes (see
        :func:`build_model`). A single estimator is saved as a one-step pipeline.
    path : str or path-like
        Directory to create.
    name : str, optional
        Recipe name recorded in ``model.json``.
    metadata : mapping, optional
        Extra JSON-serialisable information (training data, scores).
    overwrite : bool, default=False
        Replace the files of an existing model directory.

    Returns
    -------
    path : Path
        The model directory.
    """
    import sklearn
    import skops.io as sio

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path}: exists and is not a directory")
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise ValueError(f"{path}: directory exists and is not empty (use overwrite=True)")
    steps = model.steps if isinstance(model, Pipeline) else [(type(model).__name__.lower(), model)]
    allowed = _allowed_classes()
    classes = getattr(steps[-1][1], "classes_", None)
    if classes is None:
        raise ValueError("the model's last step is not a fitted classifier (no classes_)")
    path.mkdir(parents=True, exist_ok=True)
    entries = []
    for k, (step_name, est) in enumerate(steps):
        cls_name = type(est).__name__
        if allowed.get(cls_name) is not type(est):
            raise ValueError(f"cannot save step {step_name!r}: class {cls_name} is not on the "
                             "allow-list of sklearn_lc model files")
        entry = {"name": step_name, "class": cls_name}
        if _is_skorch_net(est):
            file = f"step{k}-{step_name}.safetensors"
            entry.update(kind="skorch", params=_constructor_params(est), file=file)
            if not hasattr(est, "save_model_state") or not hasattr(type(est), "load_model_state"):
                raise ValueError(f"{cls_name} cannot be saved: it has no save_model_state/"
                                 "load_model_state methods")
            entry["state"] = est.save_model_state(path / file)
        else:
            file = f"step{k}-{step_name}.skops"
            sio.dump(est, path / file)
            entry.update(kind="skops", file=file)
        entry["sha256"] = _sha256(path / file)
        entries.append(entry)
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sklearn_lc_version": __version__,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "name": name,
        "classes": [_json_safe(c) for c in np.asarray(classes).tolist()],
        "steps": entries,
        "metadata": dict(metadata or {}),
    }
    (path / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    return path


def read_model_config(path: str | os.PathLike) -> dict:
    """Read and check ``model.json`` of a model directory.

    Parameters
    ----------
    path : str or path-like
        The model directory.

    Returns
    -------
    config : dict
        The parsed configuration.
    """
    path = Path(path)
    cfg_path = path / CONFIG_FILE
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such model directory")
    if not cfg_path.is_file():
        raise ValueError(f"{path}: not a sklearn_lc model directory (no {CONFIG_FILE})")
    try:
        config = json.loads(cfg_path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{cfg_path}: not valid JSON ({exc})") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{cfg_path}: not a sklearn_lc model file")
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{cfg_path}: model format version {config.get('format_version')} is "
                         f"not supported (this sklearn_lc reads version {FORMAT_VERSION})")
    return config


def load_model(path: str | os.PathLike) -> Pipeline:
    """Load a model directory written by :func:`save_model`.

    Parameters
    ----------
    path : str or path-like
        The model directory.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        The fitted pipeline.

    Raises
    ------
    ValueError
        If a file is missing or altered (SHA-256 mismatch), a step names a
        class off the allow-list, or a ``.skops`` file holds a type that is not
        trusted. Nothing is unpickled.

    Warns
    -----
    UserWarning
        When the model was saved by another version of sklearn_lc or
        scikit-learn.
    """
    import sklearn
    import skops.io as sio

    path = Path(path)
    config = read_model_config(path)
    saved = config.get("sklearn_lc_version")
    if saved != __version__:
        warnings.warn(f"model {path} was saved with sklearn_lc {saved}, this is {__version__}; "
                      "predictions may differ or loading may fail", UserWarning, stacklevel=2)
    if config.get("sklearn_version") != sklearn.__version__:
        warnings.warn(f"model {path} was saved with scikit-learn {config.get('sklearn_version')}, "
                      f"this is {sklearn.__version__}", UserWarning, stacklevel=2)
    allowed = _allowed_classes()
    trusted_types = {f"{c.__module__}.{c.__qualname__}" for c in allowed.values()}
    trusted_types.update(_EXTRA_TRUSTED_TYPES)
    steps = []
    for k, entry in enumerate(config.get("steps", [])):
        cls_name = entry.get("class")
        if cls_name not in allowed:
            raise ValueError(f"{path}: step {k} has class {cls_name!r}, which is not allowed")
        file = path / str(entry.get("file", ""))
        if file.parent != path or not file.is_file():
            raise ValueError(f"{path}: step {k} file {entry.get('file')!r} is missing")
        if _sha256(file) != entry.get("sha256"):
            raise ValueError(f"{file}: contents do not match the SHA-256 in {CONFIG_FILE} "
                             "(file altered or corrupted)")
        kind = entry.get("kind")
        if kind == "skops":
            untrusted = sio.get_untrusted_types(file=file)
            bad = sorted(set(untrusted) - trusted_types)
            if bad:
                raise ValueError(f"{file}: refusing to load unexpected type(s) {bad}")
            est = sio.load(file, trusted=list(untrusted))
            if type(est) is not allowed[cls_name]:
                raise ValueError(f"{file}: holds a {type(est).__name__}, expected {cls_name}")
        elif kind == "skorch":
            cls = allowed[cls_name]
            if not _is_skorch_net(cls.__new__(cls)):
                raise ValueError(f"{path}: step {k} class {cls_name} is not a network")
            params = {k: _tuples(v) for k, v in dict(entry.get("params", {})).items()}
            est = cls.load_model_state(file, params=params, state=entry.get("state"))
        else:
            raise ValueError(f"{path}: step {k} has unknown kind {kind!r}")
        steps.append((str(entry["name"]), est))
    if not steps:
        raise ValueError(f"{path}: model has no steps")
    return Pipeline(steps)

