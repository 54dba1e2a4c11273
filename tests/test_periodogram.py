"""The fast Lomb-Scargle period search against a brute-force evaluation of the whole grid."""

import numpy as np
import pytest

from sklearn_lc.transformers._periodogram import (
    MAX_N_FREQUENCIES,
    ls_best_frequency,
    ls_grid,
    ls_power,
)


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


def test_best_frequency_is_grid_argmax(crts, sdss):
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
