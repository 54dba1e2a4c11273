"""Project-owned compatibility checks for estimators that take light curves.

scikit-learn's ``check_estimator`` yields no checks at all for estimators
whose input is not a 2-D array, so the data-agnostic sklearn checks are run one
by one here, and the data-dependent ones are rewritten with light curves (or
with the image / window arrays the deep estimators take).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks as skchecks

__all__ = ["make_check_input", "parametrize_lc_checks", "yield_lc_checks"]

#: sklearn's checks that never look at data; they apply to every estimator.
DATA_AGNOSTIC_CHECKS = (
    "check_estimator_cloneable",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
    "check_mixin_order",
    "check_do_not_raise_errors_in_init_or_set_params",
)

#: skorch stores bookkeeping attributes in ``__init__`` and returns private
#: keys from ``get_params`` (``NeuralNet.__init__`` and ``NeuralNet._get_param_names``
#: in skorch); these two sklearn checks fail on any skorch subclass.
SKORCH_EXPECTED_FAILURES = ("check_no_attributes_set_in_init", "check_set_params")


def input_kind(estimator: Any) -> str:
    """Return what an estimator takes: light curves, images, sequences or features.

    Parameters
    ----------
    estimator : estimator instance
        Its class may set ``_input_kind``; the default is ``"light_curves"``.

    Returns
    -------
    kind : str
        One of ``"light_curves"``, ``"image"``, ``"sequence"``, ``"features"``.
    """
    return getattr(type(estimator), "_input_kind", "light_curves")


def make_check_input(kind: str, n_per_class: int = 6, random_state: int = 0):
    """Return small, learnable check data ``(X, y)`` of the given kind.

    Parameters
    ----------
    kind : {"light_curves", "image", "sequence", "features"}
        ``light_curves``: simulated ragged light curves; ``image``: float32
        ``(n, 1, 12, 12)``; ``sequence``: float32 windows ``(n, 30, 4)`` with
        a trailing mask channel and padding; ``features``: float32 ``(n, 16)``.
    n_per_class : int, default=6
        Samples per class (three classes).
    random_state : int, default=0
        Seed.

    Returns
    -------
    X : list or ndarray
        The inputs.
    y : ndarray of str
        Labels ``"a"``, ``"b"``, ``"c"``.
    """
    from ..datasets import make_light_curves

    rng = np.random.RandomState(random_state)
    y = np.repeat(np.array(["a", "b", "c"]), n_per_class)
    n = y.size
    code = np.searchsorted(["a", "b", "c"], y)
    if kind == "light_curves":
        X, _ = make_light_curves(
            n_per_class, classes=("RRab", "EA", "LPV"), n_points=(20, 60),
            random_state=random_state,
        )
        return X, y
    if kind == "image":
        X = rng.rand(n, 1, 12, 12).astype(np.float32)
        X[np.arange(n), 0, code * 4, code * 4] += 3.0
        return X, y
    if kind == "sequence":
        L = 30
        X = np.zeros((n, L, 4), dtype=np.float32)
        for i in range(n):
            k = rng.randint(10, L + 1)
            t = np.sort(rng.uniform(0, 100, k))
            X[i, :k, 0] = t - t.mean()
            X[i, :k, 1] = np.sin(t * (code[i] + 1)) * (code[i] + 1) + rng.normal(0, 0.1, k)
            X[i, :k, 2] = 0.05
            X[i, :k, 3] = 1.0
        return X, y
    if kind == "features":
        X = rng.normal(size=(n, 16)).astype(np.float32)
        X[:, 0] += 3 * code
        return X, y
    raise ValueError(f"unknown input kind {kind!r}")


def _fit(est: Any, X: Any, y: Any) -> Any:
    if hasattr(est, "fit_resample") and not hasattr(est, "transform"):
        est.fit_resample(X, y)
        return est
    return est.fit(X, y)


def _output(est: Any, X: Any) -> np.ndarray | None:
    if hasattr(est, "predict_proba"):
        return np.asarray(est.predict_proba(X))
    if hasattr(est, "transform"):
        return np.asarray(est.transform(X))
    if hasattr(est, "predict"):
        return np.asarray(est.predict(X))
    return None


def check_fit_returns_self(name: str, est: Any) -> None:
    """Check that ``fit`` returns the estimator itself."""
    X, y = make_check_input(input_kind(est))
    out = est.fit(X, y)
    assert out is est, f"{name}.fit did not return self"


def check_one_row_per_input_in_order(name: str, est: Any) -> None:
    """Check one output row per input, and that reversing the input reverses them."""
    X, y = make_check_input(input_kind(est))
    _fit(est, X, y)
    out = _output(est, X)
    if out is None:
        return
    assert out.shape[0] == len(X), f"{name}: {out.shape[0]} rows for {len(X)} inputs"
    assert np.all(np.isfinite(out)), f"{name}: non-finite output"
    if out.dtype.kind == "f" and not hasattr(est, "predict"):
        assert out.dtype == np.float32, f"{name}: transform returned {out.dtype}, not float32"
    rev = X[::-1] if isinstance(X, np.ndarray) else list(reversed(X))
    out_rev = _output(est, rev)
    np.testing.assert_allclose(out_rev[::-1], out, rtol=1e-5, atol=1e-6)


def check_batch_equals_single(name: str, est: Any) -> None:
    """Check that a batch gives the same output as each input alone."""
    X, y = make_check_input(input_kind(est))
    _fit(est, X, y)
    out = _output(est, X)
    if out is None:
        return
    for i in (0, len(X) // 2, len(X) - 1):
        single = _output(est, X[i : i + 1])
        np.testing.assert_allclose(single[0], out[i], rtol=1e-5, atol=1e-6)


def check_pickle_round_trip(name: str, est: Any) -> None:
    """Check that a fitted estimator pickles and gives the same output after."""
    X, y = make_check_input(input_kind(est))
    _fit(est, X, y)
    out = _output(est, X)
    est2 = pickle.loads(pickle.dumps(est))
    if out is not None:
        np.testing.assert_allclose(_output(est2, X), out, rtol=1e-6, atol=1e-7)


def check_clone_keeps_params(name: str, est: Any) -> None:
    """Check that ``clone`` keeps params and drops fitted state."""
    X, y = make_check_input(input_kind(est))
    _fit(est, X, y)
    c = clone(est)
    p1, p2 = est.get_params(deep=False), c.get_params(deep=False)
    assert set(p1) == set(p2)
    fitted = [k for k in vars(c) if k.endswith("_") and not k.startswith("_")]
    skorch_state = {"history_", "initialized_", "virtual_params_", "classes_inferred_"}
    assert not set(fitted) - skorch_state, f"{name}: clone carries fitted attrs {fitted}"


def check_idempotent_fit(name: str, est: Any) -> None:
    """Check that fitting twice on the same data gives the same output."""
    X, y = make_check_input(input_kind(est))
    _fit(est, X, y)
    a = _output(est, X)
    _fit(est, X, y)
    b = _output(est, X)
    if a is not None:
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def check_not_fitted(name: str, est: Any) -> None:
    """Check that estimators that learn raise ``NotFittedError`` before ``fit``."""
    if not est.__sklearn_tags__().requires_fit:
        return
    X, _ = make_check_input(input_kind(est))
    for method in ("predict", "predict_proba", "transform"):
        if hasattr(est, method):
            try:
                getattr(est, method)(X)
            except NotFittedError:
                continue
            raise AssertionError(f"{name}.{method} before fit did not raise NotFittedError")


def check_bad_light_curve_is_named(name: str, est: Any) -> None:
    """Check that a non-finite light curve raises a ValueError naming its index."""
    if input_kind(est) != "light_curves":
        return
    X, y = make_check_input("light_curves")
    X = list(X)
    t, m, e = X[3]
    m = m.copy()
    m[1] = np.nan
    X[3] = (t, m, e)
    try:
        _fit(est, X, y)
        if hasattr(est, "transform"):
            est.transform(X)
    except ValueError as exc:
        assert "light curve 3" in str(exc), f"{name}: error does not name star 3: {exc}"
        return
    raise AssertionError(f"{name} accepted a light curve with a NaN magnitude")


def check_n_jobs_invariance(name: str, est: Any) -> None:
    """Check that ``n_jobs=1`` and ``n_jobs=2`` give identical output."""
    if "n_jobs" not in est.get_params():
        return
    X, y = make_check_input(input_kind(est), n_per_class=12)
    a = _output(_fit(clone(est).set_params(n_jobs=1), X, y), X)
    b = _output(_fit(clone(est).set_params(n_jobs=2), X, y), X)
    if a is not None:
        np.testing.assert_array_equal(a, b)


def check_random_state_determinism(name: str, est: Any) -> None:
    """Check that two fresh fits with the same ``random_state`` agree exactly."""
    if "random_state" not in est.get_params():
        return
    X, y = make_check_input(input_kind(est))
    a = _output(_fit(clone(est).set_params(random_state=7), X, y), X)
    b = _output(_fit(clone(est).set_params(random_state=7), X, y), X)
    if a is not None:
        np.testing.assert_array_equal(a, b)


PROJECT_CHECKS: tuple[Callable, ...] = (
    check_n_jobs_invariance,
    check_random_state_determinism,
    check_fit_returns_self,
    check_one_row_per_input_in_order,
    check_batch_equals_single,
    check_pickle_round_trip,
    check_clone_keeps_params,
    check_idempotent_fit,
    check_not_fitted,
    check_bad_light_curve_is_named,
)


def _is_skorch(est: Any) -> bool:
    return any(c.__module__.startswith("skorch") for c in type(est).__mro__)


def yield_lc_checks(estimator: Any) -> Iterable[tuple[Callable, bool]]:
    """Yield ``(check, expected_to_fail)`` pairs that apply to ``estimator``.

    Parameters
    ----------
    estimator : estimator instance
        The estimator to check.

    Yields
    ------
    check : callable
        ``check(name, estimator)``.
    xfail : bool
        Whether the check is a known, documented failure.
    """
    skorch = _is_skorch(estimator)
    for check_name in DATA_AGNOSTIC_CHECKS:
        check = getattr(skchecks, check_name, None)
        if check is None:
            continue
        yield check, skorch and check_name in SKORCH_EXPECTED_FAILURES
    for check in PROJECT_CHECKS:
        if check is check_batch_equals_single and is_classifier(estimator):
            continue  # batch norm / dropout free nets still differ in float rounding
        yield check, False


def parametrize_lc_checks(estimators: Iterable[Any]):
    """``pytest.mark.parametrize`` over every (estimator, check) pair.

    Parameters
    ----------
    estimators : iterable of estimator instances
        Estimators to check.

    Returns
    -------
    decorator : pytest mark
        Parametrizes ``estimator`` and ``check``; known failures are marked
        ``xfail(strict=True)``.
    """
    import pytest

    params = []
    for est in estimators:
        for check, xfail in yield_lc_checks(est):
            name = type(est).__name__
            reason = "skorch sets state in __init__"
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if xfail else []
            params.append(
                pytest.param(est, partial(check, name), id=f"{name}-{check.__name__}", marks=marks)
            )
    return pytest.mark.parametrize("estimator, check", params)
