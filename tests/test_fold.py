"""PhaseFold and FeatureFold: folded light curves, phase bins, one period search."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from sklearn_lc import (
    DmDtImage,
    FeatureExtractor,
    FeatureFold,
    PhaseFold,
    WindowPad,
    make_light_curves,
)
from sklearn_lc.transformers import BIN_CHANNELS, FEATURE_NAMES, _fold
from sklearn_lc.utils import LightCurveError

P_COL = FEATURE_NAMES.index("period")


def _sine_star(period=0.37, n=300, amp=0.5, seed=0, shape="sin"):
    rng = np.random.RandomState(seed)
    t = np.sort(rng.uniform(0, 2000, n))
    ph = (t / period) % 1.0
    m = 15 + amp * (np.sin(2 * np.pi * ph) if shape == "sin" else (ph < 0.1) * 1.0)
    return t, m + rng.normal(0, 0.01, n), np.full(n, 0.01)


def test_curves_are_phases_sorted_with_magnitudes_carried():
    t, m, e = _sine_star()
    e = e * np.linspace(1, 2, t.size)  # distinct errors, to follow them
    (ph, fm, fe), = PhaseFold(period=0.37, refine=False).fit_transform([(t, m, e)])
    assert ph.min() >= 0 and ph.max() < 1 and np.all(np.diff(ph) >= 0)
    expect = (t / 0.37) % 1.0
    order = np.argsort(expect, kind="stable")
    np.testing.assert_allclose(ph, expect[order], atol=1e-12)
    np.testing.assert_array_equal(fm, m[order])
    np.testing.assert_array_equal(fe, e[order])


def test_multiple_folds_at_a_multiple_of_the_period():
    t, m, e = _sine_star()
    (ph, _, _), = PhaseFold(period=0.37, multiple=2, refine=False).fit_transform([(t, m, e)])
    np.testing.assert_allclose(ph, np.sort((t / 0.74) % 1.0), atol=1e-12)


@pytest.mark.parametrize("method", ["robust", "upsilon"])
def test_auto_period_is_the_feature_extractor_period(method):
    X, _ = make_light_curves(3, random_state=1)
    F = FeatureExtractor(period_method=method).fit_transform(X)
    periods = _fold._periods_of(list(X), 0.03, method, None)
    np.testing.assert_allclose(periods, F[:, P_COL], rtol=1e-6)  # F is float32
    auto = PhaseFold(output="binned", n_bins=16, period_method=method).fit_transform(X)
    # the robust search's periods are folded as found; UPSILoN's grid periods are refined
    given = PhaseFold(period=periods, output="binned", n_bins=16,
                      refine=method == "upsilon").fit_transform(X)
    np.testing.assert_array_equal(auto, given)
    # FeatureFold folds at its own period column, from the same search
    Z = FeatureFold(n_bins=16, period_method=method, align="none").fit_transform(X)
    np.testing.assert_allclose(Z[:, P_COL], F[:, P_COL], rtol=1e-6)
    np.testing.assert_allclose(Z[:, -16 * 5:].reshape(-1, 16, 5), auto, atol=1e-6)


def test_fold_recovers_a_known_period():
    star = _sine_star(period=0.61)
    assert _fold._periods_of([star], 0.03, "robust", None)[0] == pytest.approx(0.61, rel=1e-4)
    found = _fold._periods_of([star], 0.03, "upsilon", None)[0]
    assert found == pytest.approx(0.61, rel=1e-3)
    # refining moves the grid period closer to the true one
    assert abs(_fold._refine_period(*star[:2], found) - 0.61) < abs(found - 0.61)
    B = PhaseFold(output="binned", n_bins=20, align="brightest").fit_transform([star])[0]
    # a clean sinusoid: all bins filled, the brightest bin at phase ~0
    assert B[:, 3].all()
    assert np.argmin(B[:, 1]) in (0, 19)
    assert np.ptp(B[:, 1]) == pytest.approx(2.0, abs=0.1)  # +-1 after normalisation


def test_align_puts_the_eclipse_at_phase_zero():
    rng = np.random.RandomState(0)
    stars = [_sine_star(period=1.3, shape="box", seed=s) for s in range(3)]
    # different epochs: shift the times
    stars = [(t + rng.uniform(0, 5), m, e) for t, m, e in stars]
    B = PhaseFold(period=1.3, output="binned", n_bins=32, align="faintest").fit_transform(stars)
    for b in B:
        faint = np.argmax(b[:, 1])
        assert faint <= 2 or faint >= 29  # phase 0 +- a couple of bins


def test_binned_channels_and_empty_bins_interpolated():
    t = np.array([0.0, 0.1, 0.5, 0.55, 0.9, 1.0, 1.05])
    m = np.array([1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0])
    e = np.full(t.size, 0.1)
    pf = PhaseFold(period=1e6, output="binned", n_bins=10, refine=False).fit([(t, m, e)])
    assert pf.channels_ == BIN_CHANNELS
    B = pf.transform([(t, m, e)])[0]
    assert B.shape == (10, 5) and B.dtype == np.float32
    np.testing.assert_allclose(B[:, 0], (np.arange(10) + 0.5) / 10)
    # every point lands in bin 0 (the period is huge): one filled bin, the rest interpolated
    assert B[0, 3] == 1 and not B[1:, 3].any()
    np.testing.assert_allclose(B[1:, 1], B[0, 1])
    assert (B[1:, 4] == 0).all()


def test_bin_values_median_error_and_scatter():
    t = np.array([0.01, 0.02, 0.03, 0.51, 0.52])
    m = np.array([0.0, 1.0, 5.0, 2.0, 4.0])
    e = np.array([0.1, 0.2, 0.3, 0.4, 0.4])
    B = PhaseFold(period=1.0, output="binned", n_bins=2, refine=False).fit_transform(
        [(t, m, e)])[0]
    q5, med, q95 = np.percentile(m, [5, 50, 95])
    s = (q95 - q5) / 2
    np.testing.assert_allclose(B[0, 1], (1.0 - med) / s, rtol=1e-6)
    np.testing.assert_allclose(B[1, 1], (3.0 - med) / s, rtol=1e-6)
    np.testing.assert_allclose(B[0, 2], 0.2 / s / np.sqrt(3), rtol=1e-6)
    np.testing.assert_allclose(B[0, 4], 1.4826 * 1.0 / s, rtol=1e-6)


@pytest.mark.parametrize("bad", [0.0, np.nan, -1.0, np.inf])
def test_bad_period_names_the_star(bad):
    X, _ = make_light_curves(2, random_state=0)
    periods = np.full(len(X), 0.5)
    periods[4] = bad
    with pytest.raises(ValueError, match="light curve 4"):
        PhaseFold(period=periods).fit_transform(X)


def test_baseline_fallback_and_auto_without_period():
    X, _ = make_light_curves(2, random_state=0)
    X = list(X)
    t = X[2][0]
    X[2] = (t, np.full(t.size, 12.0), np.full(t.size, 0.1))  # constant: no period
    with pytest.raises(ValueError, match="light curve 2"):
        PhaseFold().fit_transform(X)
    folded = PhaseFold(on_bad_period="baseline").fit_transform(X)
    ph = folded[2][0]
    np.testing.assert_allclose(ph, np.minimum((t - t[0]) / (t[-1] - t[0]), ph.max()))
    assert ph.max() < 1


def test_period_array_of_the_wrong_length():
    X, _ = make_light_curves(1, random_state=0)
    with pytest.raises(ValueError, match="one period per star"):
        PhaseFold(period=[0.5, 0.6]).fit(X)


def test_composes_with_windowpad_and_dmdt():
    X, y = make_light_curves(2, random_state=0)
    W = make_pipeline(PhaseFold(), WindowPad(window=64)).fit_transform(X)
    assert W.shape == (len(X), 64, 4)
    real = W[..., 3] > 0
    assert np.all(np.abs(W[..., 0][real]) < 1)  # centred phases
    img = make_pipeline(PhaseFold(), DmDtImage()).fit_transform(X)
    assert img.shape[0] == len(X) and np.isfinite(img).all()


def test_n_jobs_gives_the_same_folds():
    X, _ = make_light_curves(3, random_state=2)
    a = PhaseFold(output="binned", n_bins=8).fit_transform(X)
    b = PhaseFold(output="binned", n_bins=8, n_jobs=2).fit_transform(X)
    np.testing.assert_array_equal(a, b)


def test_feature_fold_is_features_and_fold_side_by_side():
    X, _ = make_light_curves(3, random_state=3)
    ff = FeatureFold(n_bins=12, multiple=2, align="faintest").fit(X)
    Z = ff.transform(X)
    assert Z.dtype == np.float32 and Z.shape == (len(X), 21 + 12 * 5)
    assert ff.n_tabular_ == 21 and ff.sequence_shape_ == (12, 5)
    F = FeatureExtractor(second_period=True).fit_transform(X)
    F64 = _fold._features_many(list(X), 0.03, (), True, period_method="robust",
                               phase_origin="brightest")  # the periods before float32
    # the robust search's periods are folded as found (refine=False)
    B = PhaseFold(period=F64[:, P_COL], multiple=2, align="faintest", output="binned",
                  n_bins=12, refine=False).fit_transform(X)
    tab, seq = ff.split(Z)
    np.testing.assert_array_equal(tab, F)
    np.testing.assert_array_equal(seq, B)
    names = ff.get_feature_names_out()
    assert names[3] == "period" and names[21] == "fold_0_phase" and len(names) == Z.shape[1]
    assert FeatureFold(second_period=False).fit(X).n_tabular_ == 16


def test_feature_fold_searches_the_period_once(monkeypatch):
    from sklearn_lc.transformers import _features

    X, _ = make_light_curves(2, random_state=0)
    calls = []
    real = _features._period_of

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    # every search of the robust method goes through _period_of, whoever calls it
    monkeypatch.setattr(_features, "_period_of", counting)
    Z = FeatureFold(second_period=False).fit_transform(X)
    assert len(calls) == len(X)  # one search per star, shared by features and fold
    calls.clear()
    PhaseFold(output="binned").fit_transform(X)
    assert len(calls) == len(X)  # the probe counts PhaseFold's own searches too
    assert Z.shape[0] == len(X)


def test_feature_fold_bad_star_named():
    X, _ = make_light_curves(2, random_state=0)
    X = list(X)
    t = X[5][0]
    X[5] = (t, np.full(t.size, 12.0), np.full(t.size, 0.1))
    with pytest.raises(LightCurveError, match="light curve 5") as info:
        FeatureFold(on_bad_period="raise", n_jobs=1).fit_transform(X)
    assert info.value.index == 5
    with pytest.raises(LightCurveError, match="light curve 5"):
        PhaseFold(on_bad_period="raise").fit_transform(X)
    Z = FeatureFold().fit_transform(X)  # baseline fallback by default
    assert np.isfinite(Z).all()
