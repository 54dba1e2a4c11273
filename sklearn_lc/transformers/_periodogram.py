"""Fast Lomb-Scargle period search on UPSILoN's frequency grid.

The grid is the one of UPSILoN (Kim & Bailer-Jones 2016), itself the
``fasper`` grid of Press & Rybicki (1989): frequencies ``f_k = k * df`` for
``k = 1 .. n_freq`` with ``df = 1 / (ofac * T)``, ``ofac = 3``, ``T`` the
baseline, and ``n_freq = int(0.5 * ofac * hifac * N)`` where
``hifac = max(100, int(2 * T / N / min_period))``. With ``min_period = 0.03``
the grid reaches 33.3 d^-1 (a little further when ``T / N`` is small, because
of the floor of 100 on ``hifac``). The periodogram is the classical
(mean-subtracted, unweighted) Lomb-Scargle one.

How the highest peak is found without the cost of UPSILoN's ``fasper``
(Lagrange extirpolation onto a grid 16 times finer than the highest
frequency, two double-precision FFTs of ~8e6 points for a CRTS curve):

1. Every grid frequency is evaluated approximately with a non-uniform FFT:
   Gaussian gridding of the points onto a periodic grid only 1.25 times finer
   than the highest frequency (kernel half-width 10 cells, variance 2.6
   cells^2, error ~1e-5 of the trigonometric sums), a single-precision real
   FFT for the data sums and one for the window sums at twice the frequency,
   and deconvolution of the kernel.
2. The ``n_exact`` (16) highest approximate values are re-evaluated exactly
   (direct sums in double precision) and the best of them is returned.

The returned frequency is therefore an exact grid frequency with its exact
power; it is the grid maximum unless 16 other grid frequencies come within
~1e-5 of it (the test suite checks it against a brute-force evaluation of
the whole grid).
"""

from __future__ import annotations

import math

import numba
import numpy as np
import scipy.fft

__all__ = ["ls_grid", "ls_power", "ls_best_frequency", "MAX_N_FREQUENCIES"]

#: Largest number of grid frequencies searched; longer grids are truncated to
#: their lowest ``MAX_N_FREQUENCIES`` frequencies (never reached by survey
#: light curves: CRTS needs ~3e5).
MAX_N_FREQUENCIES = 2**22

_W = 10  # kernel half-width in grid cells
_S2 = 2.6  # kernel variance (grid cells^2): aliasing and truncation errors both ~1e-5
_SIGMA = 1.25  # grid oversampling relative to the highest frequency index


def _fft_length(n: int) -> int:
    """Return a fast real-FFT length >= ``n`` with at least ten factors of two.

    ``scipy.fft.next_fast_len`` may return a length with only odd factors
    (3^5 * 5^5 for a CRTS grid), whose real FFT is ~1.7 times slower than a
    slightly longer length rich in twos; a longer grid only lowers the
    gridding error.
    """
    if n <= 4096:
        return scipy.fft.next_fast_len(n, real=True)
    return scipy.fft.next_fast_len(-(-n // 1024)) * 1024


def ls_grid(
    t: np.ndarray, min_period: float = 0.03, ofac: float = 3.0, hifac_min: int = 100
) -> tuple[float, int]:
    """Return UPSILoN's frequency step and number of frequencies.

    Parameters
    ----------
    t : ndarray of shape (n_points,)
        Times in days.
    min_period : float, default=0.03
        Shortest period searched (sets ``hifac``).
    ofac : float, default=3.0
        Oversampling factor: ``df = 1 / (ofac * T)``.
    hifac_min : int, default=100
        Floor on ``hifac``.

    Returns
    -------
    df : float
        Frequency step in d^-1 (``inf`` when the baseline is zero).
    n_freq : int
        Number of frequencies ``f_k = k * df``, ``k = 1 .. n_freq``.

    Examples
    --------
    >>> import numpy as np
    >>> df, n = ls_grid(np.linspace(0.0, 3000.0, 300))
    >>> round(1 / df), round(n * df, 1)
    (9000, 33.3)
    """
    n = len(t)
    T = float(t.max() - t.min()) if n else 0.0
    if T <= 0.0:
        return math.inf, 0
    hifac = max(int(hifac_min), int(T / n / min_period * 2.0))
    n_freq = int(0.5 * ofac * hifac * n)
    return 1.0 / (T * ofac), n_freq


@numba.njit(cache=True, nogil=True)
def _power_at(t, y, freqs, tol):  # pragma: no cover - compiled
    n = t.shape[0]
    out = np.empty(freqs.shape[0])
    for i in range(freqs.shape[0]):
        w = 2.0 * np.pi * freqs[i]
        yc = 0.0
        ys = 0.0
        c2 = 0.0
        s2 = 0.0
        for j in range(n):
            x = w * t[j]
            c = np.cos(x)
            s = np.sin(x)
            yc += y[j] * c
            ys += y[j] * s
            c2 += c * c - s * s
            s2 += 2.0 * s * c
        out[i] = _lomb(yc, ys, c2, s2, n, tol)
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def _lomb(yc, ys, c2, s2, n, tol):  # pragma: no cover - compiled
    hypo = math.sqrt(c2 * c2 + s2 * s2)
    if hypo > 0.0:
        cos2 = c2 / hypo
        sin2 = s2 / hypo
    else:
        cos2 = 1.0
        sin2 = 0.0
    cwt = math.sqrt(max(0.5 * (1.0 + cos2), 0.0))
    swt = math.sqrt(max(0.5 * (1.0 - cos2), 0.0))
    if sin2 < 0.0:
        swt = -swt
    cc = 0.5 * n + 0.5 * hypo
    ss = n - cc
    a = yc * cwt + ys * swt
    b = ys * cwt - yc * swt
    p = 0.0
    if cc > tol * n:
        p += a * a / cc
    if ss > tol * n:
        p += b * b / ss
    return p


def ls_power(t: np.ndarray, m: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Exact classical Lomb-Scargle power at the given frequencies.

    Normalised as UPSILoN's (Press & Rybicki's ``fasper``): divided by twice
    the sample variance (``ddof=1``) of ``m``. Direct sums, ``O(N * n_freq)``.
    A term whose denominator vanishes (all ``2 * omega * t`` equal modulo
    ``2 pi``) is left out instead of giving 0/0.

    Parameters
    ----------
    t, m : ndarray of shape (n_points,)
        Times (days) and magnitudes.
    freqs : ndarray
        Frequencies in d^-1.

    Returns
    -------
    power : ndarray, same shape as ``freqs``
        Zero everywhere for a constant ``m``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0.0, 10.0, 200)
    >>> p = ls_power(t, np.sin(2 * np.pi * 1.5 * t), np.array([1.0, 1.5, 2.0]))
    >>> int(np.argmax(p))
    1
    """
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(m, dtype=np.float64)
    y = y - y.mean()
    var = float(y @ y) / max(len(y) - 1, 1)
    f = np.ascontiguousarray(np.ravel(freqs), dtype=np.float64)
    p = _power_at(t - t[0], y, f, 1e-10)
    if var <= 0.0:
        return np.zeros(np.shape(freqs))
    return (p / (2.0 * var)).reshape(np.shape(freqs))


@numba.njit(cache=True, nogil=True)
def _spread(pos, w, L):  # pragma: no cover - compiled
    """Gaussian gridding of weights ``w`` at positions ``pos`` (cells) on a periodic grid."""
    g = np.zeros(L, dtype=np.float32)
    inv = -0.5 / _S2
    for j in range(pos.shape[0]):
        p = pos[j]
        i0 = int(math.floor(p))
        for q in range(i0 - _W + 1, i0 + _W + 1):
            d = q - p
            v = w[j] * math.exp(d * d * inv)
            g[q % L] += v
    return g


@numba.njit(cache=True, nogil=True)
def _approx_top(G1, G2, K, L, n, tol, frac):  # pragma: no cover - compiled
    """Approximate Lomb power at indices 1..K from the two gridded FFTs.

    Returns the indices whose power is at least ``frac`` times the maximum.
    The kernel deconvolution factor ``exp(2 pi^2 s2 (k/L)^2)`` is built by
    recurrence (two multiplications per index).
    """
    out = np.empty(K + 1)
    out[0] = 0.0
    a = 2.0 * np.pi**2 * _S2 / (L * L)
    c0 = 1.0 / math.sqrt(2.0 * np.pi * _S2)
    corr = c0 * math.exp(a)  # k = 1
    ratio = math.exp(3.0 * a)  # corr(k+1)/corr(k) at k = 1
    step = math.exp(2.0 * a)
    best = 0.0
    nn = float(n) * n
    tol2 = 1e-3 * nn
    for k in range(1, K + 1):
        yc = G1[k].real * corr
        ys = -G1[k].imag * corr
        c2 = G2[k].real * corr
        s2 = -G2[k].imag * corr
        # Lomb power without tau: with h^2 = C2^2 + S2^2,
        # P = [2N(YC^2+YS^2) - 2(YC^2-YS^2)C2 - 4 YC YS S2] / (N^2 - h^2)
        yc2 = yc * yc
        ys2 = ys * ys
        den = nn - c2 * c2 - s2 * s2
        if den > tol2:
            p = (2.0 * n * (yc2 + ys2) - 2.0 * (yc2 - ys2) * c2 - 4.0 * yc * ys * s2) / den
        else:
            p = _lomb(yc, ys, c2, s2, n, tol)
        out[k] = p
        if p > best:
            best = p
        corr *= ratio
        ratio *= step
    thr = frac * best
    cnt = 0
    for k in range(1, K + 1):
        if out[k] >= thr:
            cnt += 1
    idx = np.empty(cnt, dtype=np.int64)
    vals = np.empty(cnt)
    cnt = 0
    for k in range(1, K + 1):
        if out[k] >= thr:
            idx[cnt] = k
            vals[cnt] = out[k]
            cnt += 1
    return idx, vals


def ls_best_frequency(
    t: np.ndarray, m: np.ndarray, *, min_period: float = 0.03, n_exact: int = 16
) -> tuple[float, float]:
    """Frequency of the highest Lomb-Scargle peak on UPSILoN's grid.

    See the module docstring for the method (non-uniform FFT over the whole
    grid, exact re-evaluation of the best ``n_exact`` frequencies).

    Parameters
    ----------
    t, m : ndarray of shape (n_points,)
        Times (days, sorted) and magnitudes.
    min_period : float, default=0.03
        Shortest period of the grid (see :func:`ls_grid`).
    n_exact : int, default=16
        Number of the highest approximate values re-evaluated exactly.

    Returns
    -------
    frequency : float
        A grid frequency ``k * df`` in d^-1; 0.0 when there is no peak (zero
        baseline, constant magnitudes, fewer than 2 points).
    power : float
        Its exact power, normalised as in :func:`ls_power`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> t = np.sort(rng.uniform(0, 1000, 150))
    >>> m = np.sin(2 * np.pi * t / 0.6) + rng.normal(0, 0.1, 150)
    >>> f, p = ls_best_frequency(t, m)
    >>> round(1 / f, 3)
    0.6
    """
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(m, dtype=np.float64)
    n = len(t)
    if n < 2:
        return 0.0, 0.0
    df, n_freq = ls_grid(t, min_period)
    n_freq = min(n_freq, MAX_N_FREQUENCIES)
    y = y - y.mean()
    var = float(y @ y) / (n - 1)
    if n_freq < 1 or not var > 0.0:
        return 0.0, 0.0
    ts = t - t[0]
    if n_freq <= 4 * n_exact:  # tiny grid: evaluate it all exactly
        ks = np.arange(1, n_freq + 1)
    else:
        K = n_freq
        L = _fft_length(int(2 * _SIGMA * K) + 2)
        u = ts * df
        pos1 = (u - np.floor(u)) * L
        u2 = 2.0 * u
        pos2 = (u2 - np.floor(u2)) * L
        G1 = scipy.fft.rfft(_spread(pos1, y, L))
        G2 = scipy.fft.rfft(_spread(pos2, np.ones(n), L))
        ks, vals = _approx_top(G1, G2, K, L, n, 1e-4, 0.9)
        if ks.size > n_exact:
            ks = np.sort(ks[np.argpartition(vals, -n_exact)[-n_exact:]])
    p = _power_at(ts, y, ks * df, 1e-10)
    i = int(np.argmax(p))  # first (lowest frequency) on exact ties
    return float(ks[i] * df), float(p[i] / (2.0 * var))
