"""Named model recipes and the allow-list of classes a configuration may name.

:func:`build_model` turns a recipe name (``MODEL_RECIPES``) or a small
configuration into an unfitted :class:`~sklearn.pipeline.Pipeline`; it is what
``sklearn-lc train`` runs. Saving and loading fitted models is
:mod:`sklearn_lc.model_io`.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

__all__ = ["MODEL_RECIPES", "allowed_classes", "build_model"]

#: scikit-learn estimators that configurations and saved models may name.
SKLEARN_ALLOWED = MappingProxyType({
    "RandomForestClassifier": "sklearn.ensemble",
    "ExtraTreesClassifier": "sklearn.ensemble",
    "HistGradientBoostingClassifier": "sklearn.ensemble",
    "LogisticRegression": "sklearn.linear_model",
    "StandardScaler": "sklearn.preprocessing",
    "SimpleImputer": "sklearn.impute",
})


class _BasicStats(TransformerMixin, BaseEstimator):
    """Ten period-free statistics per star (the fast ``rf-basic`` baseline).

    Parameters
    ----------
    verbose : bool, default=False
        Unused; accepted so that callers can pass it as to FeatureExtractor.
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        return tags


@cache
def _allowed() -> MappingProxyType:
    import sklearn_lc

    allowed: dict[str, type] = {}
    for name, module in SKLEARN_ALLOWED.items():
        allowed[name] = getattr(importlib.import_module(module), name)
    allowed["_BasicStats"] = _BasicStats
    for name in sklearn_lc.__all__:
        obj = getattr(sklearn_lc, name, None)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            allowed[name] = obj
    return MappingProxyType(allowed)


def allowed_classes() -> Mapping[str, type]:
    """Return the classes that configurations and saved models may name, by class name.

    The estimators exported by :mod:`sklearn_lc`, ``_BasicStats`` and the
    scikit-learn estimators of ``SKLEARN_ALLOWED``. Built once per process
    (the first call imports the torch estimators).

    Returns
    -------
    classes : mapping
        Read-only mapping of class name to class.

    Examples
    --------
    >>> from sklearn_lc.recipes import allowed_classes
    >>> "RandomForestClassifier" in allowed_classes()
    True
    """
    return _allowed()


def _resolve_class(name: Any) -> type:
    allowed = allowed_classes()
    if not isinstance(name, str) or name not in allowed:
        raise ValueError(
            f"unknown or disallowed estimator class {name!r}; allowed: {', '.join(sorted(allowed))}"
        )
    return allowed[name]


# name -> (description, [(class name, params)])
MODEL_RECIPES: dict[str, tuple[str, list[tuple[str, dict]]]] = {
    "rf-features": (
        "random forest (100 trees, balanced class weights) on FeatureExtractor's 16 features",
        [
            ("FeatureExtractor", {}),
            ("RandomForestClassifier", {"n_estimators": 100, "class_weight": "balanced"}),
        ],
    ),
    "rf-basic": (
        "random forest on 10 simple period-free statistics (fast baseline)",
        [
            ("_BasicStats", {}),
            ("RandomForestClassifier", {"n_estimators": 100, "class_weight": "balanced"}),
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
    "hybrid": (
        "one network on the 21 FeatureExtractor features and the star's phase-folded light "
        "curve, from one period search (FeatureFold + HybridClassifier: feature branch and "
        "circular-CNN branch fused before the head; 40 epochs on CPU); CRTS macro-F1 0.889 "
        "on 7 classes, 0.664 on 16 (the best single model there)",
        [("FeatureFold", {}), ("HybridClassifier", {})],
    ),
    "transfer-crts": (
        "the shipped CRTS-pretrained transformer encoder with a new head, all fine-tuned on "
        "your stars, the encoder at 0.3x the learning rate (TransferClassifier on WindowPad "
        "windows; on ASAS this beats training from scratch at every number of labels)",
        [("WindowPad", {}), ("TransferClassifier", {"source": "crts", "freeze": "none",
                                                    "backbone_lr_factor": 0.3})],
    ),
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
        A recipe name (a key of ``MODEL_RECIPES``), or a configuration
        mapping, either ``{"model": NAME, "params": {...}}`` (pipeline
        parameters in ``step__param`` form, e.g.
        ``{"randomforestclassifier__n_estimators": 100}``) or
        ``{"steps": [{"class": CLASS, "params": {...}}, ...]}`` with class names
        from :func:`allowed_classes`.
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
    >>> from sklearn_lc.recipes import build_model
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
        if not isinstance(model["steps"], (list, tuple)):
            raise ValueError("configuration 'steps' must be a list of mappings")
        spec = []
        for k, step in enumerate(model["steps"]):
            if not isinstance(step, Mapping) or "class" not in step:
                raise ValueError(f"configuration step {k} must be a mapping with a 'class' key")
            params = step.get("params", {})
            if not isinstance(params, Mapping):
                raise ValueError(f"configuration step {k}: 'params' must be a mapping")
            spec.append((step["class"], dict(params)))
    else:
        name = model.get("model")
        if not isinstance(name, str) or name not in MODEL_RECIPES:
            raise ValueError(f"unknown model {name!r}; known: {', '.join(MODEL_RECIPES)}")
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
        if not isinstance(model["params"], Mapping):
            raise ValueError("configuration 'params' must be a mapping")
        try:
            pipe.set_params(**model["params"])
        except ValueError as exc:
            raise ValueError(f"bad model parameter: {exc}") from exc
    return pipe
