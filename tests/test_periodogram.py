"""The fast Lomb-Scargle period search against a brute-force evaluation of the whole grid."""

import threading

import numpy as np
import pytest

from sklearn_lc.transformers import _periodogram
from sklearn_lc.transformers._periodogram import (
    MAX_N_FREQUENCIES,
    fft_backend,
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
