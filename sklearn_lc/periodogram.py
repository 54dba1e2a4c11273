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
   Gaussian gridding of the points onto a periodic grid at least 1.25 times
   finer than the highest frequency (kernel half-width 10 cells, variance 2.6
   cells^2, error ~1e-5 of the trigonometric sums), a single-precision real
   FFT for the data sums and one for the window sums at twice the frequency,
   and deconvolution of the kernel.
2. The ``n_exact`` (16) highest approximate values are re-evaluated exactly
   (direct sums in double precision) and the best of them is returned.

The returned frequency is therefore an exact grid frequency with its exact
power; it is the grid maximum unless 16 other grid frequencies come within
~1e-5 of it (the test suite checks it against a brute-force evaluation of
the whole grid).

The two FFTs (~8e5 points for a CRTS curve) are most of the cost. When
`pyFFTW <https://pyfftw.readthedocs.io>`_ is installed (the ``fast`` extra:
``pip install sklearn_lc[fast]``) they run through FFTW with cheap
``FFTW_ESTIMATE`` plans cached per thread and per length, on grid lengths
``c * 2**k`` with ``c`` in (1, 5, 15, 25, 125), where those plans are fast:
about 2.5 times faster than ``scipy.fft`` here. Otherwise ``scipy.fft`` is
used. The environment variable ``SKLEARN_LC_FFT`` (``"auto"``, the default,
``"pyfftw"`` or ``"scipy"``) forces one, read at each call. The approximate
values differ between the two by single-precision rounding only; the
returned frequency and power come from the exact re-evaluation, so both give
the same result (tested).
"""

from __future__ import annotations

import functools
import math
import os
import threading
from collections import OrderedDict

import numba
import numpy as np
import scipy.fft

__all__ = ["ls_grid", "ls_power", "ls_best_frequency", "fft_backend", "MAX_N_FREQUENCIES"]

#: Largest number of grid frequencies searched; longer grids are truncated to
#: their lowest ``MAX_N_FREQUENCIES`` frequencies (never reached by survey
#: light curves: CRTS needs ~3e5).
MAX_N_FREQUENCIES = 2**22

_W = 10  # kernel half-width in grid cells
_S2 = 2.6  # kernel variance (grid cells^2): aliasing and truncation errors both ~1e-5
_SIGMA = 1.25  # grid oversampling relative to the highest frequency index


#: Odd factors of the FFTW grid lengths ``c * 2**k``: with ``FFTW_ESTIMATE``
#: plans these run at ~0.15 ns per point and log2 point, lengths with factors
#: 3, 7, 9 or 27 up to 1.7 times slower (measured at 5e5..1e6 points).
_FFTW_ODD = (1, 5, 15, 25, 125)
_MAX_PLANS = 4  # cached FFTW lengths per thread (each holds two plans, ~24 bytes a point)


def _fftw_length(n: int) -> int:
    """Return the smallest ``c * 2**k >= n`` with ``c`` in :data:`_FFTW_ODD`.

    Examples
    --------
    >>> _fftw_length(750_000), _fftw_length(819_200), _fftw_length(3)
    (819200, 819200, 4)
    """
    best = None
    for c in _FFTW_ODD:
        L = c
        while L < n:
            L *= 2
        best = L if best is None else min(best, L)
    return best


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
def _spread(pos, w, g):  # pragma: no cover - compiled
    """Add the Gaussian gridding of weights ``w`` at ``pos`` (cells) to the periodic grid ``g``.

    Returns ``g`` (float32), which the caller provides zeroed.
    """
    L = g.shape[0]
    inv = -0.5 / _S2
    for j in range(pos.shape[0]):
        p = pos[j]
        i0 = int(math.floor(p))
        for q in range(i0 - _W + 1, i0 + _W + 1):
            d = q - p
            g[q % L] += w[j] * math.exp(d * d * inv)
    return g


@numba.njit(cache=True, nogil=True)
def _clear(pos, g):  # pragma: no cover - compiled
    """Zero the cells of ``g`` that :func:`_spread` touched for ``pos``: ``g`` is zero again."""
    L = g.shape[0]
    for j in range(pos.shape[0]):
        i0 = int(math.floor(pos[j]))
        for q in range(i0 - _W + 1, i0 + _W + 1):
            g[q % L] = 0.0


@functools.lru_cache(maxsize=8)
def _deconvolution(L: int) -> np.ndarray:
    """Kernel deconvolution factors ``exp(2 pi^2 s2 (k/L)^2) / sqrt(2 pi s2)``, ``k = 0 .. L/2``."""
    k = np.arange(L // 2 + 1, dtype=np.float64)
    out = np.exp((2.0 * np.pi**2 * _S2 / (float(L) * L)) * k * k) / math.sqrt(2.0 * np.pi * _S2)
    out.flags.writeable = False
    return out


@numba.njit(cache=True, nogil=True)
def _approx_top(G1, G2, corr, K, n, tol, frac):  # pragma: no cover - compiled
    """Approximate Lomb power at indices 1..K from the two gridded FFTs.

    ``corr`` holds the kernel deconvolution factors (:func:`_deconvolution`).
    Returns the indices whose power is at least ``frac`` times the maximum.
    """
    out = np.empty(K + 1)
    out[0] = 0.0
    nn = float(n) * n
    tol2 = 1e-3 * nn
    # Lomb power without tau: with h^2 = C2^2 + S2^2,
    # P = [2N(YC^2+YS^2) - 2(YC^2-YS^2)C2 - 4 YC YS S2] / (N^2 - h^2);
    # branch-free here, the few ill-conditioned denominators (-1) in the next loop
    for k in range(1, K + 1):
        c = corr[k]
        yc = G1[k].real * c
        ys = G1[k].imag * c  # the sign of YS and S2 (conjugate FFT) cancels in P
        c2 = G2[k].real * c
        s2 = G2[k].imag * c
        yc2 = yc * yc
        ys2 = ys * ys
        den = nn - c2 * c2 - s2 * s2
        num = 2.0 * n * (yc2 + ys2) - 2.0 * (yc2 - ys2) * c2 - 4.0 * yc * ys * s2
        out[k] = num / den if den > tol2 else -1.0
    best = 0.0
    for k in range(1, K + 1):
        if out[k] < 0.0:
            c = corr[k]
            out[k] = _lomb(G1[k].real * c, -G1[k].imag * c, G2[k].real * c, -G2[k].imag * c, n, tol)
        if out[k] > best:
            best = out[k]
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


def fft_backend() -> str:
    """Name of the FFT library the period search uses now: ``"pyfftw"`` or ``"scipy"``.

    ``"pyfftw"`` when pyFFTW is importable, unless the environment variable
    ``SKLEARN_LC_FFT`` says ``"scipy"``; ``SKLEARN_LC_FFT=pyfftw`` without
    pyFFTW raises ``ImportError``.

    Returns
    -------
    name : str
        ``"pyfftw"`` or ``"scipy"``.

    Examples
    --------
    >>> fft_backend() in ("pyfftw", "scipy")
    True
    """
    choice = os.environ.get("SKLEARN_LC_FFT", "auto").strip().lower() or "auto"
    if choice not in ("auto", "pyfftw", "scipy"):
        raise ValueError(f"SKLEARN_LC_FFT must be 'auto', 'pyfftw' or 'scipy', got {choice!r}")
    if choice == "scipy":
        return "scipy"
    if not _have_pyfftw():
        if choice == "pyfftw":
            raise ImportError(
                "SKLEARN_LC_FFT=pyfftw but pyFFTW is not installed "
                "(pip install pyfftw, or sklearn_lc[fast])"
            )
        return "scipy"
    return "pyfftw"


@functools.lru_cache(maxsize=1)
def _have_pyfftw() -> bool:
    """Whether pyFFTW imports (probed once: a failed import costs ~50 us per period search)."""
    try:
        import pyfftw  # noqa: F401
    except ImportError:
        return False
    return True


class _PlanCache(threading.local):
    """Per-thread FFTW plans by grid length (least recently used dropped first)."""

    def __init__(self):
        self.plans: OrderedDict = OrderedDict()

    def get(self, L: int) -> tuple:
        """Return two ``(input, plan)`` pairs for real FFTs of length ``L``."""
        entry = self.plans.pop(L, None)
        if entry is None:
            import pyfftw

            entry = []
            for _ in range(2):
                a = pyfftw.zeros_aligned(L, dtype="float32")
                b = pyfftw.empty_aligned(L // 2 + 1, dtype="complex64")
                # an out-of-place real-to-complex plan preserves its input
                plan = pyfftw.FFTW(a, b, flags=("FFTW_ESTIMATE",), threads=1)
                entry.append((a, plan))
            while len(self.plans) >= _MAX_PLANS:
                self.plans.popitem(last=False)
        self.plans[L] = entry
        return entry


_PLANS = _PlanCache()


def _gridded_ffts(frac1, w1, frac2, w2, n_min):
    """FFTs of the two gridded sums, on a periodic grid of at least ``n_min`` cells.

    ``frac1``, ``frac2`` are the points' positions as fractions of the period
    (in [0, 1)). Returns ``G1, G2, L``; with pyFFTW the arrays are the cached
    plans' outputs, valid until the next call in the same thread.
    """
    if fft_backend() == "pyfftw":
        L = _fftw_length(n_min)
        (a1, p1), (a2, p2) = _PLANS.get(L)
        pos1 = frac1 * L
        pos2 = frac2 * L
        try:  # the plans keep their (zero) inputs: only the touched cells are cleared
            _spread(pos1, w1, a1)
            _spread(pos2, w2, a2)
            p1.execute()
            p2.execute()
        finally:
            _clear(pos1, a1)
            _clear(pos2, a2)
        return p1.output_array, p2.output_array, L
    L = _fft_length(n_min)
    g1 = _spread(frac1 * L, w1, np.zeros(L, dtype=np.float32))
    g2 = _spread(frac2 * L, w2, np.zeros(L, dtype=np.float32))
    return scipy.fft.rfft(g1), scipy.fft.rfft(g2), L


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
        u = ts * df
        u2 = 2.0 * u
        G1, G2, L = _gridded_ffts(
            u - np.floor(u), y, u2 - np.floor(u2), np.ones(n), int(2 * _SIGMA * K) + 2
        )
        ks, vals = _approx_top(G1, G2, _deconvolution(L), K, n, 1e-4, 0.9)
        if ks.size > n_exact:
            ks = np.sort(ks[np.argpartition(vals, -n_exact)[-n_exact:]])
    p = _power_at(ts, y, ks * df, 1e-10)
    i = int(np.argmax(p))  # first (lowest frequency) on exact ties
    return float(ks[i] * df), float(p[i] / (2.0 * var))
