"""The period searches: the fast UPSILoN search against a brute-force evaluation of the whole
grid, the robust search against known periods, astropy and hostile input."""

import threading

import numpy as np
import pytest

from sklearn_lc import periodogram as _periodogram
from sklearn_lc.periodogram import (
    MAX_N_FREQUENCIES,
    NO_PERIOD,
    PeriodResult,
    best_frequency,
    best_period,
    best_period_multiband,
    fft_backend,
    find_periods,
    gls_power,
    ls_best_frequency,
    ls_grid,
    ls_power,
)

try:
    import pyfftw  # noqa: F401

    BACKENDS = ["scipy", "pyfftw"]
except ImportError:  # the test extra installs it; without it only scipy is checked
    BACKENDS = ["scipy"]


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    """Run the test once per FFT library (SKLEARN_LC_FFT)."""
    monkeypatch.setenv("SKLEARN_LC_FFT", request.param)
    assert fft_backend() == request.param
    return request.param


def brute_grid(t, min_period=0.03):
    """UPSILoN's grid, written out from its source (fasper with ofac=3)."""
    T = t.max() - t.min()
    hifac = int(T / len(t) / min_period * 2.0)
    hifac = max(hifac, 100)
    nout = int(0.5 * 3.0 * hifac * len(t))
    df = 1.0 / (T * 3.0)
    return df * np.arange(1, nout + 1)


def brute_lomb(t, m, freqs, chunk=4000):
    """Classical Lomb-Scargle by direct sums with the textbook tau (arctan2)."""
    y = m - m.mean()
    out = np.empty(freqs.size)
    for a in range(0, freqs.size, chunk):
        w = 2 * np.pi * freqs[a : a + chunk, None]
        tau = np.arctan2(np.sin(2 * w * t).sum(1), np.cos(2 * w * t).sum(1))[:, None] / (2 * w)
        arg = w * (t - tau)
        c, s = np.cos(arg), np.sin(arg)
        out[a : a + chunk] = (c @ y) ** 2 / (c * c).sum(1) + (s @ y) ** 2 / (s * s).sum(1)
    return out / (2 * y.var(ddof=1))


def _curves(crts, sdss):
    rng = np.random.RandomState(3)
    short = np.flatnonzero([len(lc[0]) <= 130 for lc in crts.light_curves])
    out = [crts.light_curves[i] for i in rng.choice(short, 1, replace=False)]
    out += [sdss.light_curves[i] for i in rng.choice(len(sdss.light_curves), 2, replace=False)]
    r = np.random.RandomState(0)
    t = np.sort(r.uniform(0, 400, 70))  # T/N small: hifac floor of 100 applies
    out.append((t, 12 + 0.4 * np.sin(2 * np.pi * t / 0.31) + r.normal(0, 0.2, 70), None))
    return out


def test_grid_matches_upsilon_formula():
    r = np.random.RandomState(0)
    for n, T in [(300, 3000.0), (56, 2948.0), (2000, 10.0), (70, 400.0)]:
        t = np.sort(r.uniform(0, T, n))
        df, n_freq = ls_grid(t)
        ref = brute_grid(t)
        assert n_freq == ref.size
        np.testing.assert_allclose(df * np.arange(1, n_freq + 1)[[0, -1]], ref[[0, -1]])
    t = np.linspace(0, 3000, 300)
    df, n_freq = ls_grid(t)
    assert abs(n_freq * df - 33.3) < 0.1  # 1 / min_period
    assert ls_grid(np.zeros(5)) == (np.inf, 0)


def test_exact_power_matches_brute_force(sdss):
    t, m, _ = sdss.light_curves[0]
    f = np.linspace(0.01, 5.0, 777)
    np.testing.assert_allclose(ls_power(t, m, f), brute_lomb(t, m, f), rtol=1e-7, atol=1e-12)


def test_best_frequency_is_grid_argmax(crts, sdss, backend):
    for t, m, _ in _curves(crts, sdss):
        freqs = brute_grid(t)
        p = brute_lomb(t, m, freqs)
        k = int(np.argmax(p))
        f, power = ls_best_frequency(t, m)
        assert f == pytest.approx(freqs[k], rel=1e-12), (len(t), f, freqs[k])
        assert power == pytest.approx(p[k], rel=1e-8)


def test_degenerate_inputs():
    t = np.linspace(0, 10, 20)
    assert ls_best_frequency(t, np.full(20, 3.0)) == (0.0, 0.0)
    assert ls_best_frequency(np.zeros(20), np.arange(20.0)) == (0.0, 0.0)
    assert ls_best_frequency(t[:1], t[:1]) == (0.0, 0.0)
    # integer times: 2*omega*t aligned at integer frequencies; no 0/0, finite output
    ti = np.arange(50.0)
    f, p = ls_best_frequency(ti, np.sin(ti * 0.7) + 0.01 * ti)
    assert np.isfinite(f) and np.isfinite(p) and f > 0


def test_tiny_grid_and_cap():
    t = np.array([0.0, 0.01, 0.02, 0.05, 0.06])
    df, n_freq = ls_grid(t)
    f, p = ls_best_frequency(t, np.array([1.0, 2.0, 1.5, 0.3, 2.2]))
    assert f > 0 and (f / df) == pytest.approx(round(f / df))
    assert MAX_N_FREQUENCIES >= 10 * 300_000  # never truncates survey-like grids


def _odd_part(n):
    while n % 2 == 0:
        n //= 2
    return n


def test_fftw_lengths_are_the_smallest_of_the_ladder():
    r = np.random.RandomState(0)
    sizes = list(range(1, 300)) + list(r.randint(300, 3_000_000, 300)) + [750_002, 819_200]
    for n in sizes:
        L = _periodogram._fftw_length(int(n))
        assert L >= n and _odd_part(L) in _periodogram._FFTW_ODD, (n, L)
        # no smaller member of the ladder reaches n
        smaller = [c << k for c in _periodogram._FFTW_ODD for k in range(40) if n <= c << k < L]
        assert not smaller, (n, L, smaller[:3])
        assert L < 1.3 * n + 2  # the ladder's steps are at most 1.25x (then rounding)


@pytest.mark.skipif("pyfftw" not in BACKENDS, reason="pyFFTW not installed")
def test_pyfftw_plans_are_left_zeroed_and_reused(crts, monkeypatch):
    monkeypatch.setenv("SKLEARN_LC_FFT", "pyfftw")
    lcs = [crts.light_curves[i] for i in (0, 1, 2)]
    first = [ls_best_frequency(t, m) for t, m, _ in lcs]
    cache = _periodogram._PLANS.plans
    assert 0 < len(cache) <= _periodogram._MAX_PLANS
    for entry in cache.values():
        for a, _plan in entry:
            assert not np.any(a), "a gridded input was not cleared after its FFT"
    # the same stars in reverse order give the same answers (no state carried between stars)
    again = [ls_best_frequency(t, m) for t, m, _ in lcs[::-1]][::-1]
    assert again == first


def test_backends_agree_on_real_curves(crts, monkeypatch):
    """Both FFT libraries give the same frequency and power: only the exact values are returned."""
    rng = np.random.RandomState(1)
    idx = rng.choice(len(crts.light_curves), 40, replace=False)
    per_backend = {}
    for name in BACKENDS:
        monkeypatch.setenv("SKLEARN_LC_FFT", name)
        per_backend[name] = [ls_best_frequency(*crts.light_curves[i][:2]) for i in idx]
    for name in BACKENDS[1:]:
        assert per_backend[name] == per_backend["scipy"]


@pytest.mark.skipif("pyfftw" not in BACKENDS, reason="pyFFTW not installed")
def test_threads_have_their_own_plans(crts, monkeypatch):
    monkeypatch.setenv("SKLEARN_LC_FFT", "pyfftw")
    lcs = [crts.light_curves[i][:2] for i in range(12)]
    serial = [ls_best_frequency(t, m) for t, m in lcs]
    results = {}

    def work(k):
        results[k] = [ls_best_frequency(t, m) for t, m in lcs[k::2]]

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results[0] == serial[0::2] and results[1] == serial[1::2]


def test_backend_switch(monkeypatch):
    monkeypatch.setenv("SKLEARN_LC_FFT", "scipy")
    assert fft_backend() == "scipy"
    monkeypatch.setenv("SKLEARN_LC_FFT", "fftpack")
    with pytest.raises(ValueError, match="SKLEARN_LC_FFT"):
        fft_backend()
    monkeypatch.setenv("SKLEARN_LC_FFT", "auto")
    assert fft_backend() == BACKENDS[-1]


# ------------------------------------------------------------------ robust search


def sawtooth(t, period, amp=0.8, rise=0.15, phase0=0.0):
    ph = (t / period + phase0) % 1.0
    return amp * np.where(ph < rise, -ph / rise, (ph - rise) / (1 - rise))


def sparse_star(seed, period, n=120, baseline=900.0, noise=0.05, n_out=0, shape=sawtooth):
    """~120 points over ~900 nights (one or two visits a night), Gaussian noise, outliers."""
    r = np.random.RandomState(seed)
    nights = np.sort(r.choice(np.arange(int(baseline)), n, replace=False)).astype(float)
    t = nights + r.uniform(0.1, 0.3, n)  # a few hours of spread in the time of night
    m = 15.0 + shape(t, period) + r.normal(0, noise, n)
    idx = r.choice(n, n_out, replace=False)
    m[idx] += r.choice([-1, 1], n_out) * r.uniform(1.5, 3.0, n_out)
    return t, m, np.full(n, noise)


def eclipsing(t, period):
    """Contact binary with unequal minima: the orbital period is twice the sinusoid's."""
    ph = (t / period) % 1.0
    return 0.25 * (1 - np.cos(4 * np.pi * ph)) + 0.12 * (1 - np.cos(2 * np.pi * ph))


def test_gls_power_matches_astropy():
    LombScargle = pytest.importorskip("astropy.timeseries").LombScargle
    r = np.random.RandomState(0)
    t = np.sort(r.uniform(0, 300, 80))
    e = r.uniform(0.02, 0.2, 80)
    m = 3 + sawtooth(t, 0.71) + r.normal(0, 1, 80) * e
    f = np.linspace(0.05, 4.0, 500)
    for nterms in (1, 2, 3):
        ref = LombScargle(t, m, e, nterms=nterms).power(f, method="cython" if nterms == 1
                                                         else "chi2")
        np.testing.assert_allclose(gls_power(t, m, f, e, nterms=nterms), ref, atol=1e-9)
    ref = LombScargle(t, m).power(f, method="cython")
    np.testing.assert_allclose(gls_power(t, m, f), ref, atol=1e-9)


def test_coarse_nufft_power_matches_exact(backend):
    """The non-uniform FFT one-term generalised power against direct sums on the whole grid."""
    t, m, e = sparse_star(1, 0.61)
    e = e * np.random.RandomState(2).uniform(0.5, 2.0, e.size)
    band = _periodogram._Band(t, m, e, float(t[0]))
    df, K = ls_grid(t)
    approx = _periodogram._coarse(band, band.y, df, K, 1)
    sub = np.arange(1, K + 1, 37)
    # the same floored errors as the search uses
    e_used = 1 / np.sqrt(band.w0)
    exact = gls_power(t, m, sub * df, e_used)
    np.testing.assert_allclose(approx[sub], exact, atol=2e-4)
    assert np.argmax(approx[1:]) + 1 == pytest.approx(
        np.argmax(gls_power(t, m, df * np.arange(1, K + 1), e_used)) + 1, abs=1)


def test_nested_fits_match_least_squares():
    r = np.random.RandomState(3)
    t = np.sort(r.uniform(0, 50, 60))
    y = sawtooth(t, 0.83) + r.normal(0, 0.1, 60)
    w = r.uniform(0.5, 2, 60)
    w = w / w.sum()
    red = _periodogram._mh_reductions(t, y, w, np.array([1 / 0.83]), 3)[0]
    for h in range(4):
        X = _periodogram._design(t, 1 / 0.83, h)
        sw = np.sqrt(w)
        beta = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)[0]
        rss = float(w @ (y - X @ beta) ** 2)
        assert red[h] == pytest.approx(float(w @ y**2) - rss, rel=1e-9, abs=1e-12)


def test_robust_finds_sawtooth_despite_outliers_where_upsilon_fails():
    hits = {"robust": 0, "upsilon": 0}
    for seed in range(8):
        period = 0.43 + 0.057 * seed  # not 0.5 d: the one-day aliases coincide there
        t, m, e = sparse_star(seed, period, noise=0.08, n_out=6)
        for method in hits:
            found = best_period(t, m, e, method=method).period
            hits[method] += abs(found - period) < 0.01 * period
    assert hits["robust"] >= 6, hits
    assert hits["upsilon"] <= 4, hits


def test_eclipsing_binary_at_orbital_period():
    for seed, period in enumerate((0.31, 0.42, 1.7)):
        t, m, e = sparse_star(seed, period, n=200, noise=0.03, shape=eclipsing)
        res = best_period(t, m, e)
        assert res.period == pytest.approx(period, rel=0.005), (period, res)
        assert res.n_harmonics >= 2
        # the classical periodogram gives half of it
        assert best_period(t, m, e, method="upsilon").period == pytest.approx(period / 2, rel=0.01)


def test_uncertainty_and_significance_are_calibrated():
    pulls = []
    for seed in range(12):
        t, m, e = sparse_star(seed + 20, 0.5731, noise=0.1,
                              shape=lambda t, p: 0.3 * np.sin(2 * np.pi * t / p))
        res = best_period(t, m, e, max_harmonics=1)
        assert res.period > 0 and res.uncertainty > 0 and res.fap < 1e-6
        pulls.append((res.period - 0.5731) / res.uncertainty)
    assert 0.3 < np.std(pulls) < 3.0, pulls
    # pure noise is rarely significant
    faps = [best_period(*sparse_star(s, 1.0, shape=lambda t, p: 0 * t, noise=0.1)).fap
            for s in range(6)]
    assert np.median(faps) > 0.05, faps


def test_multiband_shares_the_frequency(sdss):
    ok_g = ok_gr = 0
    for i in range(30):
        g, r = sdss.light_curves[i], sdss.light_curves_r[i]
        P = sdss.period[i]
        ok_g += abs(best_period(*g).period - P) < 0.01 * P
        ok_gr += abs(best_period_multiband([g, r]).period - P) < 0.01 * P
    assert ok_g >= 25 and ok_gr >= 25, (ok_g, ok_gr)


def test_multiband_with_one_useful_band_equals_single_band():
    t, m, e = sparse_star(5, 0.55)
    flat = (t[:20], np.full(20, 17.0), e[:20])
    joint, single = best_period_multiband([(t, m, e), flat]), best_period(t, m, e)
    assert joint.period == single.period and joint.n_harmonics == single.n_harmonics
    assert joint.fap == pytest.approx(single.fap, rel=0.05)  # grid from all the times


def test_period_recovery_sdss_robust(sdss):
    """Catalogue periods within 1% (all 483: 0.92 for robust, 0.79 for upsilon; benchmarks)."""
    X = sdss.light_curves[:80]
    P = sdss.period[:80]
    rob = find_periods(X)
    ups = find_periods(X, method="upsilon")
    hit = lambda p: np.mean(np.abs(p - P) < 0.01 * P)  # noqa: E731
    assert hit(rob) >= 0.85 and hit(rob) > hit(ups) + 0.05, (hit(rob), hit(ups))


def test_find_periods_order_details_and_threads():
    periods = 0.413 + 0.107 * np.arange(6)
    lcs = [sparse_star(s, p) for s, p in enumerate(periods)]
    P = find_periods(lcs)
    D = find_periods(lcs, return_details=True, n_jobs=2)
    assert P.shape == (6,) and D.shape == (6, len(PeriodResult._fields))
    np.testing.assert_array_equal(D[:, 0], P)
    for i, lc in enumerate(lcs):
        assert tuple(D[i]) == tuple(best_period(*lc))
    np.testing.assert_allclose(P, periods, rtol=0.01)
    with pytest.raises(ValueError, match="empty"):
        find_periods([])


def test_best_frequency_methods():
    t, m, _ = sparse_star(0, 0.61)
    assert best_frequency(t, m) == ls_best_frequency(t, m)[0]
    assert best_frequency(t, m, method="robust") == pytest.approx(
        1 / best_period(t, m).period)


NONE = PeriodResult(NO_PERIOD, 1.0, 0.0, 0, 0.0)


@pytest.mark.parametrize("method", ["robust", "upsilon"])
def test_hostile_input_gives_no_period(method):
    t = np.linspace(0, 100, 30)
    assert best_period(t, np.full(30, 12.0), method=method) == NONE  # constant
    assert best_period(t[:2], [1.0, 2.0], method=method) == NONE  # two points
    assert best_period(np.full(30, 5.0), np.arange(30.0), method=method) == NONE  # one time
    with pytest.raises(ValueError, match="light curve 0"):
        best_period([], [], method=method)
    assert best_frequency(t, np.full(30, 12.0), method=method) == 0.0
    assert find_periods([(t, np.full(30, 1.0)), (t[:1], [2.0])], method=method).tolist() == [
        0.0, 0.0]


@pytest.mark.parametrize("method", ["robust", "upsilon"])
def test_bad_errors_are_replaced_not_fatal(method):
    t, m, e = sparse_star(4, 0.57, n=150)
    ref = best_period(t, m, e, method=method)
    for bad in (np.full_like(e, np.nan), np.zeros_like(e), np.where(np.arange(150) % 7, e, 0.0),
                np.where(np.arange(150) % 5, e, np.nan)):
        res = best_period(t, m, bad, method=method)
        assert all(np.isfinite(res)), res
        assert res.period == pytest.approx(ref.period, rel=0.01)


def test_invalid_input_names_the_star():
    t = np.linspace(0, 10, 20)
    m = np.sin(t)
    m[3] = np.nan
    with pytest.raises(ValueError, match="light curve 1"):
        find_periods([(t, np.sin(t)), (t, m)])
    with pytest.raises(ValueError, match="light curve 0"):
        best_period(t, m)
    with pytest.raises(ValueError, match="method"):
        best_period(t, np.sin(t), method="bls")
    with pytest.raises(ValueError, match="min_period"):
        find_periods([(t, np.sin(t))], min_period=0)
    with pytest.raises(ValueError, match="max_harmonics"):
        best_period(t, np.sin(t), max_harmonics=0)
    with pytest.raises(TypeError, match="one per band"):
        best_period_multiband((t, np.sin(t)))
    with pytest.raises(ValueError, match="band 1: light curve 0"):
        best_period_multiband([(t, np.sin(t)), (t, m)])
    with pytest.raises(ValueError, match="err"):
        gls_power(t, np.sin(t), [1.0], np.zeros(20))
