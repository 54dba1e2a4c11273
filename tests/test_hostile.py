"""Hostile inputs through every public estimator: nothing lost, nothing crashes.

For each input, every estimator that takes light curves must either return
finite output with one row per star, or raise ``ValueError``/``TypeError``
naming the offending star (collection-level problems need not name a star).
"""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from sklearn_lc.utils.discovery import all_estimators
from sklearn_lc.utils.estimator_checks import input_kind, make_check_input

rng = np.random.RandomState(0)


def _star(n, seed=0):
    r = np.random.RandomState(seed)
    t = np.sort(r.uniform(0, 1000, n))
    return t, 15 + np.sin(t) + r.normal(0, 0.05, n), np.full(n, 0.05)


GOOD = [_star(40, s) for s in range(3)]


def _with(bad, at=1):
    X = list(GOOD)
    X.insert(at, bad)
    return X


t50, m50, e50 = _star(50, 9)

# (id, X, index of the bad star or None for collection-level problems)
HOSTILE = [
    ("empty", [], None),
    ("none", None, None),
    ("string", "light curves", None),
    ("zero_points", _with((np.array([]), np.array([]), np.array([]))), 1),
    ("one_point", _with((np.array([1.0]), np.array([15.0]), np.array([0.1]))), 1),
    ("two_points", _with((np.array([1.0, 2.0]), np.array([15.0, 15.5]), np.array([0.1, 0.1]))), 1),
    ("nan_time", _with((np.r_[t50[:-1], np.nan], m50, e50)), 1),
    ("nan_mag", _with((t50, np.r_[np.nan, m50[1:]], e50)), 1),
    ("inf_mag", _with((t50, np.r_[np.inf, m50[1:]], e50)), 1),
    ("nan_err", _with((t50, m50, np.full(50, np.nan))), 1),
    ("inf_err", _with((t50, m50, np.r_[np.inf, e50[1:]])), 1),
    ("negative_err", _with((t50, m50, -e50)), 1),
    ("zero_err", _with((t50, m50, np.zeros(50))), 1),
    ("unsorted_times", _with((t50[::-1], m50[::-1], e50)), 1),
    ("duplicated_times", _with((np.repeat(t50[:25], 2), m50, e50)), 1),
    ("constant_mag", _with((t50, np.full(50, 15.0), e50)), 1),
    ("huge_mag", _with((t50, m50 * 1e30, e50)), 1),
    ("mixed_lengths", _with((t50, m50[:-3], e50)), 1),
    ("wrong_dim", _with(np.zeros((5, 4, 3))), 1),
    ("string_star", _with((["a"] * 3, ["b"] * 3)), 1),
    ("none_star", _with(None), 1),
    ("integer_dtype", _with((np.arange(50), np.arange(50) % 7 + 10, np.ones(50, dtype=int))), 1),
    ("ambiguous_3x2", _with(np.array([[1.0, 2.0], [15.0, 15.5], [0.1, 0.1]])), 1),
    ("masked_mag", _with((t50, np.ma.array(m50, mask=np.arange(50) == 7), e50)), 1),
    ("dict_collection", {"a": GOOD[0], "b": GOOD[1]}, None),
    ("tuples_and_arrays", [GOOD[0], np.column_stack(GOOD[1]), list(GOOD[2])], None),
    ("no_err_column", [(t, m) for t, m, _ in GOOD], None),
]


def _lc_estimators():
    out = []
    for name, cls in all_estimators():
        params = cls._get_test_params() if hasattr(cls, "_get_test_params") else {}
        est = cls(**params)
        if input_kind(est) == "light_curves":
            out.append(pytest.param(est, id=name))
    return out


def _run(est, X, y):
    if hasattr(est, "fit_resample") and not hasattr(est, "transform"):
        Xr, _ = est.fit_resample(X, y)
        return None
    if hasattr(est, "transform"):
        est.fit(X, y)
        return np.asarray(est.transform(X))
    est.fit(X, y)
    return np.asarray(est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X))


def _labels(n):
    return np.array(["a", "b"] * n)[:n]


@pytest.mark.parametrize("case, X, bad", HOSTILE, ids=[h[0] for h in HOSTILE])
@pytest.mark.parametrize("estimator", _lc_estimators())
def test_hostile_input(estimator, case, X, bad):
    est = clone(estimator)
    n = len(X) if isinstance(X, list) else 0
    try:
        out = _run(est, X, _labels(n) if n else None)
    except (ValueError, TypeError) as exc:
        if bad is not None:
            assert re.search(rf"light curve {bad}\b", str(exc)), (
                f"{type(est).__name__} on {case}: error does not name star {bad}: {exc}"
            )
        return
    assert case not in {"empty", "none", "string", "zero_points", "nan_time", "nan_mag",
                        "inf_mag", "inf_err", "negative_err", "mixed_lengths", "wrong_dim",
                        "string_star", "none_star", "ambiguous_3x2", "masked_mag",
                        "dict_collection"}, f"{type(est).__name__} accepted {case}"
    if out is not None:
        assert out.shape[0] == n, f"{case}: {out.shape[0]} rows for {n} stars"
        assert np.all(np.isfinite(out)), f"{type(est).__name__} on {case}: non-finite output"


@pytest.mark.parametrize("estimator", _lc_estimators())
def test_million_point_star(estimator):
    r = np.random.RandomState(1)
    n = 1_000_000
    t = np.sort(r.uniform(0, 3000, n))
    big = (t, 15 + 0.3 * np.sin(2 * np.pi * t / 0.57) + r.normal(0, 0.02, n), np.full(n, 0.02))
    X = [GOOD[0], big]
    est = clone(estimator)
    try:
        out = _run(est, X, np.array(["a", "b"]))
    except (ValueError, TypeError) as exc:
        assert "light curve 1" in str(exc)
        return
    if out is not None:
        assert out.shape[0] == 2 and np.all(np.isfinite(out))


def _array_estimators():
    out = []
    for name, cls in all_estimators():
        params = cls._get_test_params() if hasattr(cls, "_get_test_params") else {}
        est = cls(**params)
        if input_kind(est) != "light_curves":
            out.append(pytest.param(est, id=name))
    return out


@pytest.mark.parametrize("estimator", _array_estimators())
def test_hostile_arrays(estimator):
    X, y = make_check_input(input_kind(estimator), n_per_class=4)
    est = clone(estimator).fit(X, y)
    bad = X.copy()
    bad[2].flat[0] = np.nan
    if est.__sklearn_tags__().input_tags.allow_nan:
        # documented missing-value handling: finite output, one row per sample
        proba = est.predict_proba(bad)
        assert proba.shape[0] == len(bad) and np.all(np.isfinite(proba))
    else:
        with pytest.raises(ValueError, match=r"\b2\b"):
            est.predict(bad)
    inf = X.copy()
    inf[2].flat[0] = np.inf
    with pytest.raises(ValueError, match=r"\b2\b"):
        est.predict(inf)
    with pytest.raises((ValueError, TypeError)):
        est.predict(X[:0])
    with pytest.raises((ValueError, TypeError)):
        est.predict(X.reshape(len(X), -1)[:, :3])
    with pytest.raises((ValueError, TypeError)):
        est.predict(np.array([["a"] * 3] * 3))


times = st.lists(
    st.floats(0.0, 4000.0, allow_nan=False, allow_infinity=False), min_size=2, max_size=2000
)


@st.composite
def light_curve(draw):
    t = np.sort(np.asarray(draw(times)))
    n = t.size
    seed = draw(st.integers(0, 2**16))
    r = np.random.RandomState(seed)
    amp = draw(st.sampled_from([0.0, 0.01, 0.5, 3.0]))
    m = 15 + amp * np.sin(2 * np.pi * t / r.uniform(0.1, 300)) + r.normal(0, 0.02, n)
    e = r.uniform(0.0, 0.1, n)
    return t, m, e


@pytest.mark.parametrize("estimator", _lc_estimators())
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(curves=st.lists(light_curve(), min_size=1, max_size=4))
def test_property_random_light_curves(estimator, curves):
    est = clone(estimator)
    if not hasattr(est, "transform"):
        return
    y = _labels(len(curves))
    try:
        est.fit(curves, y)
        out = np.asarray(est.transform(curves))
    except ValueError as exc:
        # a star is named, or (stateful fit only) the training set as a whole is at fault
        assert re.search(r"light curve \d+|training light curves", str(exc)), str(exc)
        return
    assert out.shape[0] == len(curves) and out.dtype == np.float32
    assert np.all(np.isfinite(out))
    for i, c in enumerate(curves):
        np.testing.assert_allclose(est.transform([c])[0], out[i], rtol=1e-5, atol=1e-6)
