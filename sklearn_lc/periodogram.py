"""The period search of sklearn_lc: one module for every period in the package.

:class:`~sklearn_lc.FeatureExtractor`, :func:`sklearn_lc.plot.estimate_period`
and anything that folds a light curve find periods here. Two methods:

- ``"upsilon"`` (:func:`ls_best_frequency`): the highest peak of the classical
  Lomb-Scargle periodogram on UPSILoN's frequency grid, exact to UPSILoN and
  fast: a non-uniform FFT over the whole grid, then the best candidates
  evaluated exactly (below).
- ``"robust"`` (:func:`best_period`): an error-weighted, floating-mean,
  multi-harmonic, alias-aware search with Huber reweighting against
  outliers, a false-alarm probability and a period uncertainty per star,
  for one band or several (:func:`best_period_multiband`). It runs the same
  non-uniform FFT kernel for its coarse search.

Front end (astropy-style): :func:`ls_power` (classical power at given
frequencies), :func:`gls_power` (generalised, ``nterms`` harmonics, the
normalisation of astropy's ``LombScargle``), :func:`best_frequency`,
:func:`best_period`, :func:`find_periods` (many stars, in parallel) and
:func:`ls_grid` (UPSILoN's grid).

Speed (``benchmarks/results/period_search.md``, one thread, the same UPSILoN
grid of a CRTS star, methods interleaved in one run; median of 40 stars of
288 points and 3e5 frequencies, pyFFTW, load average ~6 on 2 cores):

=================================================  ===========  ===========
method                                             ms per star  ratio
=================================================  ===========  ===========
``"upsilon"`` (this kernel)                        24.5         1
``"robust"``                                       79.5         3.0
nifty-ls 1.1, finufft, classical                   92.0         3.8
nifty-ls 1.1, finufft, generalised with errors     133.8        5.3
astropy ``LombScargle`` nterms=1, ``fast``         5,017        173
=================================================  ===========  ===========

so the kernel is kept: about 3.7 times faster than nifty-ls on the same grid.

The UPSILoN search
------------------

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
from typing import NamedTuple

import numba
import numpy as np
import scipy.fft

__all__ = [
    "MAX_N_FREQUENCIES",
    "NO_PERIOD",
    "PERIOD_METHODS",
    "PeriodResult",
    "best_frequency",
    "best_period",
    "best_period_multiband",
    "fft_backend",
    "find_periods",
    "gls_power",
    "ls_best_frequency",
    "ls_grid",
    "ls_power",
]

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

    def get(self, L: int, count: int = 2) -> list:
        """Return at least ``count`` ``(input, plan)`` pairs for real FFTs of length ``L``."""
        entry = self.plans.pop(L, None)
        if entry is None or len(entry) < count:
            import pyfftw

            entry = [] if entry is None else entry
            for _ in range(count - len(entry)):
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


def _gridded_ffts(pairs, n_min):
    """FFTs of gridded sums, on one periodic grid of at least ``n_min`` cells.

    ``pairs`` is a sequence of ``(frac, w)``: the points' positions as
    fractions of the period (in [0, 1)) and the weights spread there. Returns
    ``[G1, G2, ...], L``; with pyFFTW the arrays are the cached plans'
    outputs, valid until the next call in the same thread.
    """
    if fft_backend() == "pyfftw":
        L = _fftw_length(n_min)
        plans = _PLANS.get(L, len(pairs))[: len(pairs)]
        positions = [frac * L for frac, _ in pairs]
        try:  # the plans keep their (zero) inputs: only the touched cells are cleared
            for (a, plan), pos, (_, w) in zip(plans, positions, pairs):
                _spread(pos, w, a)
                plan.execute()
        finally:
            for (a, _), pos in zip(plans, positions):
                _clear(pos, a)
        return [plan.output_array for _, plan in plans], L
    L = _fft_length(n_min)
    return [scipy.fft.rfft(_spread(frac * L, w, np.zeros(L, dtype=np.float32)))
            for frac, w in pairs], L


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
        (G1, G2), L = _gridded_ffts(
            [(u - np.floor(u), y), (u2 - np.floor(u2), np.ones(n))], int(2 * _SIGMA * K) + 2
        )
        ks, vals = _approx_top(G1, G2, _deconvolution(L), K, n, 1e-4, 0.9)
        if ks.size > n_exact:
            ks = np.sort(ks[np.argpartition(vals, -n_exact)[-n_exact:]])
    p = _power_at(ts, y, ks * df, 1e-10)
    i = int(np.argmax(p))  # first (lowest frequency) on exact ties
    return float(ks[i] * df), float(p[i] / (2.0 * var))


# --------------------------------------------------------------------------
# The careful search: generalised, robust, multi-harmonic, alias-aware
# --------------------------------------------------------------------------

#: Period returned when a star has no period (constant magnitudes, fewer than
#: three distinct times, a baseline of zero): 0.0, as FeatureExtractor's
#: ``period`` column.
NO_PERIOD = 0.0

#: The search methods: ``"upsilon"`` (highest classical Lomb-Scargle peak on
#: UPSILoN's grid, exact to UPSILoN) and ``"robust"`` (see :func:`best_period`).
PERIOD_METHODS = ("upsilon", "robust")


class PeriodResult(NamedTuple):
    """The period of one star and how far to trust it.

    Attributes
    ----------
    period : float
        Period in days; :data:`NO_PERIOD` (0.0) when there is none.
    fap : float
        False-alarm probability (Baluev 2008) of the one-term generalised
        power at the period or half of it (the larger), computed with the
        robust fit's weights, in [0, 1]; 1.0 without a period. With several
        bands, that of their combined power (with the total number of
        points, an approximation).
    uncertainty : float
        One-sigma uncertainty of ``period`` in days, from the curvature of
        the chosen harmonic fit; 0.0 without a period.
    n_harmonics : int
        Harmonics of the chosen model (1..``max_harmonics``); 0 without a
        period.
    power : float
        Fraction of the weighted variance about the mean that the chosen
        model explains (with the robust fit's weights), in [0, 1] (several
        bands: ``1 - exp(-S / N)``
        with ``S`` the sum over bands of ``N_b log(1 / (1 - p_b))``).
    """

    period: float
    fap: float
    uncertainty: float
    n_harmonics: int
    power: float


_NONE = PeriodResult(NO_PERIOD, 1.0, 0.0, 0, 0.0)

#: A point further than this many robust standard deviations from the chosen
#: fit is an outlier: its presence triggers another pass of the search with
#: the Huber weights.
_OUTLIER = 5.0

#: Each error is combined in quadrature with a jitter of this many times the
#: star's median error: errors smaller than the median are not trusted to be
#: better than it (no point weighs more than twice the median one), larger ones
#: still lose weight (SDSS Stripe 82 g: 94.2% of the periods within 1% with it,
#: 91.7% with errors floored at the median over sqrt(10), 91.3% without).
_ERR_FLOOR = 1.0


@numba.njit(cache=True, nogil=True)
def _gls_approx(G1, G2, G3, corr, K, lo):  # pragma: no cover - compiled
    """Approximate one-term generalised Lomb-Scargle power at indices ``0..K``.

    From the gridded FFTs of ``w y`` at ``f`` (``G1``), ``w`` at ``f`` (``G2``)
    and ``w`` at ``2 f`` (``G3``), weights summing to one and ``y`` centred
    on its weighted mean (Zechmeister & Kurster 2009, without the ``tau``
    offset). Returns the power divided by ``sum(w y^2)``; 0 below index
    ``lo`` and where the window leaves the fit ill-conditioned.
    """
    out = np.zeros(K + 1)
    for k in range(max(lo, 1), K + 1):
        c = corr[k]
        yc = G1[k].real * c
        ys = -G1[k].imag * c
        cw = G2[k].real * c
        sw = -G2[k].imag * c
        c2 = G3[k].real * c
        s2 = -G3[k].imag * c
        cc = 0.5 * (1.0 + c2) - cw * cw
        ss = 0.5 * (1.0 - c2) - sw * sw
        cs = 0.5 * s2 - cw * sw
        d = cc * ss - cs * cs
        if d > 1e-6 and cc > 1e-4 and ss > 1e-4:
            out[k] = (ss * yc * yc + cc * ys * ys - 2.0 * cs * yc * ys) / d
    return out


@numba.njit(cache=True, nogil=True)
def _local_maxima(p):  # pragma: no cover - compiled
    """Return the indices and values of the local maxima of ``p``."""
    K = p.shape[0] - 1
    cnt = 0
    for k in range(1, K):
        if p[k] > p[k - 1] and p[k] >= p[k + 1]:
            cnt += 1
    idx = np.empty(cnt, dtype=np.int64)
    vals = np.empty(cnt)
    cnt = 0
    for k in range(1, K):
        if p[k] > p[k - 1] and p[k] >= p[k + 1]:
            idx[cnt] = k
            vals[cnt] = p[k]
            cnt += 1
    return idx, vals


def _peaks(p: np.ndarray, n_peaks: int) -> np.ndarray:
    """Return the indices of the ``n_peaks`` highest local maxima of ``p`` (highest first)."""
    idx, vals = _local_maxima(p)
    if idx.size > n_peaks:
        top = np.argpartition(-vals, n_peaks - 1)[:n_peaks]
        idx, vals = idx[top], vals[top]
    return idx[np.argsort(-vals, kind="stable")]


@numba.njit(cache=True, nogil=True)
def _huber_irls(X, y, w, c, n_iter):  # pragma: no cover - compiled
    """Huber fit of ``y`` on the columns of ``X`` by iteratively reweighted least squares.

    ``w``: the points' weights (summing to one). The scale is the normal-
    consistent median absolute deviation of ``sqrt(w) r``, re-estimated at
    each step; ``c <= 0`` gives ordinary weighted least squares. Returns the
    final weights ``w * omega``, the residuals, the coefficients and twice
    the Huber loss (the weighted sum of squares when no point is beyond ``c``).
    """
    n, P = X.shape
    omega = np.ones(n)
    sw = np.sqrt(w)
    r = y.copy()
    beta = np.zeros(P)
    A = np.empty((P, P))
    b = np.empty(P)
    scale = 0.0
    for _ in range(n_iter):
        A[:, :] = 0.0
        b[:] = 0.0
        for j in range(n):
            ww = w[j] * omega[j]
            for a in range(P):
                ba = ww * X[j, a]
                b[a] += ba * y[j]
                for q in range(a, P):
                    A[a, q] += ba * X[j, q]
        tr = 0.0
        for a in range(P):
            tr += A[a, a]
            for q in range(a):
                A[a, q] = A[q, a]
        for a in range(P):
            A[a, a] += 1e-12 * tr
        beta = np.linalg.solve(A, b)
        r = y - X @ beta
        u = sw * r
        scale = 1.482602218505602 * np.median(np.abs(u - np.median(u)))
        if c <= 0.0 or not scale > 0.0:
            scale = 0.0
            break
        change = 0.0
        for j in range(n):
            a = abs(u[j]) / scale
            new = 1.0 if a <= c else c / a
            change = max(change, abs(new - omega[j]))
            omega[j] = new
        if change < 1e-3:
            break
    loss = 0.0
    for j in range(n):
        u = sw[j] * r[j]
        if scale > 0.0:
            a = abs(u) / scale
            loss += u * u if a <= c else scale * scale * (2.0 * c * a - c * c)
        else:
            loss += u * u
    return w * omega, r, beta, loss


@numba.njit(cache=True, nogil=True)
def _mh_reductions(ts, y, w, freqs, H):  # pragma: no cover - compiled
    """Weighted chi^2 reductions of the nested harmonic fits at each frequency.

    Basis ``[1, cos x, sin x, ..., cos H x, sin H x]``, ``x = 2 pi f t``. The
    Cholesky factor of the normal matrix gives all nested fits at once:
    ``out[i, h]`` is the weighted sum of squares removed by the first
    ``2 h + 1`` columns (``h = 0`` the mean alone), ``h = 0 .. H``. Columns
    that are (numerically) dependent on earlier ones are skipped.
    """
    n = ts.shape[0]
    P = 2 * H + 1
    out = np.zeros((freqs.shape[0], H + 1))
    A = np.empty((P, P))
    b = np.empty(P)
    basis = np.empty(P)
    z = np.empty(P)
    for i in range(freqs.shape[0]):
        A[:, :] = 0.0
        b[:] = 0.0
        om = 2.0 * np.pi * freqs[i]
        for j in range(n):
            x = om * ts[j]
            c1 = math.cos(x)
            s1 = math.sin(x)
            basis[0] = 1.0
            ck = c1
            sk = s1
            for h in range(1, H + 1):
                basis[2 * h - 1] = ck
                basis[2 * h] = sk
                ck, sk = ck * c1 - sk * s1, sk * c1 + ck * s1
            wj = w[j]
            yj = y[j]
            for a in range(P):
                ba = wj * basis[a]
                b[a] += ba * yj
                for q in range(a, P):
                    A[a, q] += ba * basis[q]
        # in-place Cholesky (upper), forward substitution z = L^-1 b
        for a in range(P):
            diag0 = A[a, a]
            s = diag0
            for q in range(a):
                s -= A[q, a] * A[q, a]
            if s <= 1e-9 * max(diag0, 1e-300):
                for q in range(a, P):
                    A[a, q] = 0.0
                z[a] = 0.0
                continue
            r = math.sqrt(s)
            A[a, a] = r
            for q in range(a + 1, P):
                s2 = A[a, q]
                for u in range(a):
                    s2 -= A[u, a] * A[u, q]
                A[a, q] = s2 / r
            s3 = b[a]
            for u in range(a):
                s3 -= A[u, a] * z[u]
            z[a] = s3 / r
        acc = 0.0
        for a in range(P):
            acc += z[a] * z[a]
            if a % 2 == 0:
                out[i, a // 2] = acc
    return out


def _design(ts: np.ndarray, f: float, h: int) -> np.ndarray:
    """Columns ``[1, cos x, sin x, ..., cos h x, sin h x]``, ``x = 2 pi f t``."""
    x = 2.0 * np.pi * f * ts
    cols = [np.ones_like(ts)]
    for k in range(1, h + 1):
        cols += [np.cos(k * x), np.sin(k * x)]
    return np.column_stack(cols)


def _clean_errors(m: np.ndarray, err: np.ndarray) -> np.ndarray:
    """Errors with NaN, infinite and non-positive values replaced.

    By the median of the star's positive finite errors, or, when it has none,
    by the robust scatter of the magnitudes for every point (1 for a
    constant star).
    """
    err = np.asarray(err, dtype=np.float64)
    good = np.isfinite(err) & (err > 0)
    if good.all():
        return err
    if not good.any():
        s = _mad(m)
        if not s > 0:
            s = float(np.std(m))
        return np.full(m.shape, s if s > 0 else 1.0)
    out = err.copy()
    out[~good] = np.median(err[good])
    return out


def _mad(x: np.ndarray) -> float:
    """Normal-consistent median absolute deviation."""
    return 1.482602218505602 * float(np.median(np.abs(x - np.median(x))))


class _Band:
    """One band prepared for the search: centred magnitudes and normalised weights."""

    def __init__(self, t, m, e, t0):
        self.t = t
        self.m = m
        self.ts = t - t0
        self.n = t.shape[0]
        e = _clean_errors(m, e)
        # a jitter: no point may weigh more than twice the median one
        e = np.hypot(e, np.median(e) * _ERR_FLOOR) if _ERR_FLOOR > 0 else e
        w = 1.0 / (e * e)
        self.w0 = w / w.sum()
        self.y = m - float(self.w0 @ m)
        self.yc = self.y
        self.yy = float(self.w0 @ (self.y * self.y))
        self.ok = self.n >= 3 and float(np.ptp(m)) > 0.0 and self.yy > 0.0


def _coarse(band: _Band, y: np.ndarray, df: float, K: int, lo: int) -> np.ndarray:
    """Approximate one-term generalised power ``p(k df)`` (in [0, 1]) for ``k = 0..K``.

    ``y``: the band's magnitudes (or pseudo-observations) with the band's
    weights. The window's two FFTs are computed on the first call and kept
    on the band: a later call with other ``y`` costs one FFT.
    """
    w = band.w0
    yc = y - float(w @ y)
    yy = float(w @ (yc * yc))
    if not yy > 0:
        return np.zeros(K + 1)
    u = band.ts * df
    f1 = u - np.floor(u)
    if getattr(band, "window", None) is None:
        u2 = 2.0 * u
        (G1, G2, G3), L = _gridded_ffts(
            [(f1, w * yc), (f1, w), (u2 - np.floor(u2), w)], int(2 * _SIGMA * K) + 2)
        band.window = (G2[: K + 1].copy(), G3[: K + 1].copy())
    else:
        (G1,), L = _gridded_ffts([(f1, w * yc)], int(2 * _SIGMA * K) + 2)
    G2, G3 = band.window
    p = _gls_approx(G1, G2, G3, _deconvolution(L), K, lo) / yy
    return np.clip(p, 0.0, 1.0 - 1e-12)


def _score(bands, weights, freqs, H, ys=None):
    """``S[i, h] = sum_b N_b log(1 / (1 - p_bh))`` at each frequency, ``h = 0..H``.

    ``ys``: the bands' data (default their magnitudes).
    """
    S = np.zeros((len(freqs), H + 1))
    ys = [b.y for b in bands] if ys is None else ys
    for band, w, y in zip(bands, weights, ys):
        red = _mh_reductions(band.ts, y, w, freqs, H)
        tot = float(w @ (y * y)) - red[:, :1]
        p = (red - red[:, :1]) / np.maximum(tot, 1e-300)
        S += -band.n * np.log1p(-np.clip(p, 0.0, 1.0 - 1e-12))
    return S


def _refine(bands, weights, f0, step, H, ys=None):
    """Frequency near ``f0`` maximising the ``H``-harmonic score (grid, then a parabola)."""
    grid = f0 + step * np.arange(-4, 5) / 4.0
    s = _score(bands, weights, grid, H, ys)[:, H]
    i = int(np.argmax(s))
    if 0 < i < len(grid) - 1:
        a, b, c = s[i - 1], s[i], s[i + 1]
        den = a - 2.0 * b + c
        if den < 0:
            return float(grid[i] + 0.5 * (a - c) / den * (grid[1] - grid[0]))
    return float(grid[i])


def _huber_fit(band, w, f, h, c):
    """Huber ``h``-harmonic fit at ``f`` (:func:`_huber_irls`).

    Returns the design matrix, the final weights, the residuals, the
    coefficients and twice the Huber loss.
    """
    X = _design(band.ts, f, h)
    ww, r, beta, loss = _huber_irls(X, band.y, w, float(c), 8)
    return X, ww, r, beta, loss


def _fap_baluev(z: float, n: int, fmax: float, ts: np.ndarray, w: np.ndarray) -> float:
    """Baluev (2008) false-alarm probability of a one-term generalised power ``z``."""
    if n < 5 or not z > 0:
        return 1.0
    z = min(z, 1.0 - 1e-15)
    tm = float(w @ ts)
    dt = float(w @ (ts - tm) ** 2)
    W = fmax * math.sqrt(4.0 * math.pi * dt)
    log1mz = math.log1p(-z)
    log_single = 0.5 * (n - 3) * log1mz  # P(one frequency reaches z)
    log_tau = (math.log(max(W, 1e-300)) + 0.5 * (n - 4) * log1mz + 0.5 * math.log(z)
               + math.lgamma(0.5 * (n - 1)) - math.lgamma(0.5 * (n - 2)))
    tau = math.exp(min(log_tau, 700.0))
    fap = -math.expm1(math.log1p(-min(math.exp(log_single), 1.0 - 1e-16)) - tau)
    if fap <= 0.0:
        fap = math.exp(np.logaddexp(log_single, log_tau))
    return float(min(max(fap, 0.0), 1.0))


def _robust_search(
    bands_in: list,
    *,
    min_period: float,
    max_period: float | None,
    max_harmonics: int,
    n_peaks: int,
    huber: float,
    n_robust: int,
    n_passes: int = 2,
    n_refine: int = 8,
    ofac: float = 3.0,
) -> PeriodResult:
    """Run the ``"robust"`` search over one or several bands (see :func:`best_period`)."""
    ts_all = np.concatenate([b[0] for b in bands_in])
    if ts_all.size < 3 or np.unique(ts_all).size < 3:
        return _NONE
    t0 = float(ts_all.min())
    T = float(ts_all.max()) - t0
    bands = [_Band(t, m, e, t0) for t, m, e in bands_in]
    bands = [b for b in bands if b.ok]
    if not bands or T <= 0.0:
        return _NONE
    df, K = ls_grid(ts_all, min_period, ofac)
    K = min(K, MAX_N_FREQUENCIES)
    fmin = 1.0 / (T if max_period is None else max_period)
    lo = max(1, int(math.ceil(fmin / df)))
    if K <= lo + 2:
        return _NONE
    n_tot = sum(b.n for b in bands)
    k_par = np.arange(max_harmonics + 1) * 2 * len(bands)
    weights = [b.w0 for b in bands]
    ys = [b.y for b in bands]
    best = None
    for _pass in range(n_passes):
        if best is not None:
            # again on Huber pseudo-observations: the outliers of the last choice are pulled
            # to within `huber` robust sigmas of its fit (the window's FFTs are reused)
            ys = [X @ beta + r * (ww / b.w0) for b, (X, ww, r, beta, _) in zip(bands, best[3])]
        # 1. coarse one-term power on UPSILoN's grid (non-uniform FFT), combined over bands
        if len(bands) == 1:  # one band: the power itself ranks the peaks
            z = _coarse(bands[0], ys[0], df, K, lo)
        else:
            z = np.zeros(K + 1)
            for b, y in zip(bands, ys):
                z += -b.n * np.log1p(-_coarse(b, y, df, K, lo))
        peaks = _peaks(z, n_peaks)
        if peaks.size == 0:
            return _NONE
        # 2. candidates: the peaks and their half frequencies (eclipsing binaries), refined
        cands = []
        for k in peaks:
            for f in (k * df, 0.5 * k * df):
                if f >= fmin * (1.0 - 1e-9) and all(abs(f - g) > 0.5 * df for g in cands):
                    cands.append(f)
        cands = np.array(cands)
        if cands.size > n_refine:  # refine only the best by their fit on the coarse grid
            s0 = _score(bands, weights, cands, max_harmonics, ys)[:, max_harmonics]
            cands = cands[np.sort(np.argsort(-s0, kind="stable")[:n_refine])]
        cands = np.array([_refine(bands, weights, f, df, max_harmonics, ys) for f in cands])
        # 3. nested harmonic fits (h = 1..H) scored by BIC (Gaussian, unknown scale per band)
        S = _score(bands, weights, cands, max_harmonics, ys)
        bic = -S + k_par * math.log(n_tot)
        bic[:, 0] = np.inf
        best_c = np.argsort(bic.min(axis=1), kind="stable")[:n_robust]
        # 4. the best few again with Huber weights: outliers do not decide
        best = None
        for ci in best_c:
            f = float(cands[ci])
            for h in range(1, max_harmonics + 1):
                crit = k_par[h] * math.log(n_tot)
                fits = []
                for b in bands:
                    fit = _huber_fit(b, b.w0, f, h, huber)
                    crit += b.n * math.log(max(fit[4], 1e-300) / b.n)
                    fits.append(fit)
                if best is None or crit < best[0]:
                    best = (crit, f, h, fits)
        if huber <= 0 or not any(np.any(fit[1] < b.w0 * (huber / _OUTLIER))
                                 for b, fit in zip(bands, best[3])):
            break  # no outlier (beyond _OUTLIER robust sigmas): another pass would repeat this
    _, f, h, fits = best
    # 5. uncertainty from the linearised fit (frequency as a free parameter)
    unc = _period_uncertainty(bands, fits, f, h)
    period = 1.0 / f
    robust_w = [fit[1] / fit[1].sum() for fit in fits]
    Sf = float(_score(bands, robust_w, np.array([f]), h)[0, h])
    power = -math.expm1(-Sf / n_tot)
    # significance: the one-term power, with the robust weights, at f or 2 f
    S1 = _score(bands, robust_w, np.array([f, 2.0 * f]), 1)[:, 1].max()
    fap = _fap_baluev(-math.expm1(-S1 / n_tot), n_tot, K * df,
                      np.concatenate([b.ts for b in bands]),
                      np.concatenate(robust_w) / len(bands))
    return PeriodResult(period, fap, unc, int(h), power)


# --------------------------------------------------------------------------
# Public front end
# --------------------------------------------------------------------------

#: Keyword arguments of the ``"robust"`` search (measured on SDSS Stripe 82
#: and on simulated surveys, see ``benchmarks/bench_period.py``).
_ROBUST = {"n_peaks": 10, "huber": 3.0, "n_robust": 4, "n_passes": 2, "n_refine": 8}


def _check_method(method: str) -> str:
    if method not in PERIOD_METHODS:
        raise ValueError(f"method must be one of {PERIOD_METHODS}, got {method!r}")
    return method


def _check_search(min_period, max_period, max_harmonics):
    if not (isinstance(min_period, (int, float)) and math.isfinite(min_period)
            and min_period > 0):
        raise ValueError(f"min_period must be a positive number, got {min_period!r}")
    if max_period is not None and not (isinstance(max_period, (int, float))
                                       and max_period > min_period):
        raise ValueError(f"max_period must be None or a number > min_period, got {max_period!r}")
    if not (isinstance(max_harmonics, (int, np.integer)) and 1 <= max_harmonics <= 8):
        raise ValueError(f"max_harmonics must be an integer in 1..8, got {max_harmonics!r}")


def _one_star(t, m, err) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One star in canonical form (errors name it as light curve 0)."""
    from .utils import check_light_curves

    if err is None:
        err = np.full(np.shape(t), np.nan)
    return check_light_curves([(t, m, err)], min_points=1)[0]


def _upsilon_result(t, m, e, min_period) -> PeriodResult:
    """``method="upsilon"`` as a :class:`PeriodResult`."""
    if t.shape[0] < 3 or np.unique(t).size < 3:
        return _NONE
    f, p = ls_best_frequency(t, m, min_period=min_period)
    if not f > 0.0:
        return _NONE
    n = t.shape[0]
    band = _Band(t, m, e, float(t[0]))
    z = min(2.0 * p / (n - 1), 1.0)  # fraction of the variance the sinusoid explains
    df, K = ls_grid(t, min_period)
    fap = _fap_baluev(z, n, min(K, MAX_N_FREQUENCIES) * df, band.ts, np.full(n, 1.0 / n))
    fit = _huber_fit(band, np.full(n, 1.0 / n), f, 1, 0.0)
    unc = _period_uncertainty([band], [fit], f, 1)
    return PeriodResult(1.0 / f, fap, unc, 1, z)


def _period_uncertainty(bands, fits, f, h) -> float:
    """One-sigma period uncertainty from the linearised ``h``-harmonic fits at ``f``."""
    info = 0.0
    kk = np.arange(1, h + 1)
    for b, (X, ww, r, beta, _) in zip(bands, fits):
        x = np.outer(2.0 * np.pi * f * b.ts, kk)
        dmdf = 2.0 * np.pi * b.ts * (-np.sin(x) @ (kk * beta[1::2]) + np.cos(x) @ (kk * beta[2::2]))
        J = np.column_stack([X, dmdf])
        s2 = float(ww @ (r * r)) / max(b.n - J.shape[1], 1)
        var_f = np.linalg.pinv((J * ww[:, None]).T @ J)[-1, -1]
        if var_f > 0 and s2 > 0:
            info += 1.0 / (var_f * s2)
    unc = 1.0 / math.sqrt(info) / (f * f) if info > 0 else 0.0
    return unc if math.isfinite(unc) else 0.0


def best_period(
    t: np.ndarray,
    m: np.ndarray,
    err: np.ndarray | None = None,
    *,
    method: str = "robust",
    min_period: float = 0.03,
    max_period: float | None = None,
    max_harmonics: int = 3,
) -> PeriodResult:
    """Period of one light curve, with its significance and uncertainty.

    ``method="robust"`` (the default) is the search a careful astronomer
    would run on a sparse, noisy survey:

    1. **Generalised periodogram.** The error-weighted, floating-mean
       Lomb-Scargle power (Zechmeister & Kurster 2009) of every frequency of
       UPSILoN's grid (:func:`ls_grid`, to ``1 / min_period``), with the
       same non-uniform FFT as :func:`ls_best_frequency` (three FFTs instead
       of two). Each error is combined in quadrature with a jitter equal to
       the star's median error (survey errors of bright points understate
       their scatter about any model: no point weighs more than twice the
       median one); missing, zero or NaN errors take the median of the
       star's positive errors.
    2. **Candidates.** The 10 highest peaks with frequency at least
       ``1 / max_period`` (default: one over the baseline), and half of each
       (eclipsing binaries show their strongest peak at half the orbital
       period), each refined on a finer local grid with the
       ``max_harmonics``-term fit.
    3. **Alias-aware choice.** Every candidate is fitted with 1 to
       ``max_harmonics`` harmonics (nested fits from one Cholesky
       factorisation) and scored by the Bayesian information criterion of a
       Gaussian model with unknown noise scale, ``N log(RSS / N) + k log N``:
       the true period of a non-sinusoidal star (RR Lyrae, Cepheid,
       eclipsing binary) fits its harmonics better than its one-day aliases
       (``f +- 1 d^-1``), its yearly aliases or half / twice the period do,
       and a more complex model must earn its parameters.
    4. **Robustness.** The four best candidates are fitted again by
       iteratively reweighted least squares with Huber weights (points more
       than 3 robust standard deviations from the harmonic fit lose weight
       in proportion), and the lowest robust BIC decides. If a point lies
       more than 5 robust standard deviations from the chosen fit, steps 1-4
       run once more on the Huber pseudo-observations (such points pulled
       to 3 standard deviations of that fit; one more FFT): a few outlying
       points cannot make a period.
    5. **Significance and uncertainty.** ``fap`` is Baluev's (2008)
       false-alarm probability of the one-term power at the period (or half
       of it, whichever is larger) with the robust weights; ``uncertainty``
       the one-sigma period error of the chosen robust fit with the
       frequency as a free parameter.

    ``method="upsilon"`` is the highest peak of the classical Lomb-Scargle
    periodogram on UPSILoN's grid (:func:`ls_best_frequency`), exact to
    UPSILoN (its ``n_harmonics`` is 1, its ``power`` the fraction of the
    variance the sinusoid explains).

    Parameters
    ----------
    t, m : array-like of shape (n_points,)
        Times (days) and magnitudes (finite; sorted here if needed).
    err : array-like of shape (n_points,), optional
        Magnitude errors; NaN, zero or missing errors are replaced as above.
    method : {"robust", "upsilon"}, default="robust"
        The search.
    min_period : float, default=0.03
        Shortest period searched, days.
    max_period : float, optional
        Longest period searched by ``"robust"``; default the baseline.
    max_harmonics : int, default=3
        Most harmonics of the ``"robust"`` models.

    Returns
    -------
    result : PeriodResult
        ``(period, fap, uncertainty, n_harmonics, power)``. A star without
        a period (fewer than three distinct times, constant magnitudes)
        gives ``PeriodResult(0.0, 1.0, 0.0, 0, 0.0)``.

    Raises
    ------
    ValueError
        Non-finite times or magnitudes, or arrays of different lengths
        (the message names light curve 0), or a bad parameter.

    See Also
    --------
    find_periods : The same for many stars, in parallel.
    best_period_multiband : One period from several bands.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lc.periodogram import best_period
    >>> rng = np.random.RandomState(0)
    >>> t = np.sort(rng.uniform(0, 900, 120))
    >>> phase = (t / 0.613) % 1
    >>> m = 15 + 0.8 * np.where(phase < 0.15, -phase / 0.15, (phase - 0.15) / 0.85)
    >>> m = m + rng.normal(0, 0.05, 120)
    >>> m[[10, 50, 90]] += 3.0  # outliers
    >>> res = best_period(t, m, np.full(120, 0.05))
    >>> round(res.period, 3), res.n_harmonics > 1, res.fap < 1e-6
    (0.613, True, True)
    """
    _check_method(method)
    _check_search(min_period, max_period, max_harmonics)
    t, m, e = _one_star(t, m, err)
    if method == "upsilon":
        return _upsilon_result(t, m, e, float(min_period))
    return _robust_search([(t, m, e)], min_period=float(min_period), max_period=max_period,
                          max_harmonics=int(max_harmonics), **_ROBUST)


def best_period_multiband(
    bands: list,
    *,
    min_period: float = 0.03,
    max_period: float | None = None,
    max_harmonics: int = 3,
) -> PeriodResult:
    """One period from several bands of one star (shared frequency).

    The ``"robust"`` search of :func:`best_period` with the bands' evidence
    added: the periodogram is ``sum_b N_b log(1 / (1 - p_b(f)))`` (the
    log-likelihood gain of each band's own floating-mean sinusoid, each with
    its own noise scale), and every candidate is fitted with a separate
    mean, amplitudes and phases per band and scored by the summed BIC (as
    in the "shared frequency, independent bands" multi-band periodogram of
    VanderPlas & Ivezic 2015). A band with fewer than three points or
    constant magnitudes is left out.

    Parameters
    ----------
    bands : sequence of (t, m) or (t, m, err)
        The star's light curve in each band (times in the same system).
    min_period, max_period, max_harmonics
        As in :func:`best_period`.

    Returns
    -------
    result : PeriodResult
        As :func:`best_period` (``fap`` from the combined power with ``N``
        the total number of points, an approximation).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lc.periodogram import best_period_multiband
    >>> rng = np.random.RandomState(1)
    >>> tg = np.sort(rng.uniform(0, 3000, 40))
    >>> tr = np.sort(rng.uniform(0, 3000, 40))
    >>> g = (tg, 17 + 0.5 * np.sin(2 * np.pi * tg / 0.37) + rng.normal(0, 0.05, 40))
    >>> r = (tr, 16.8 + 0.35 * np.sin(2 * np.pi * tr / 0.37 - 0.2) + rng.normal(0, 0.05, 40))
    >>> round(best_period_multiband([g, r]).period, 4)
    0.37
    """
    _check_search(min_period, max_period, max_harmonics)
    if isinstance(bands, tuple) and len(bands) in (2, 3) and np.ndim(bands[0]) == 1 \
            and np.ndim(bands[1]) == 1 and np.size(bands[0]) > 3 \
            and np.shape(bands[0]) == np.shape(bands[1]) and not hasattr(bands[0][0], "__len__"):
        raise TypeError("bands must be a sequence of light curves (one per band), "
                        "got a single light curve; use best_period for one band")
    prepared = []
    for i, band in enumerate(bands):
        if len(band) not in (2, 3):
            raise ValueError(f"band {i}: expected (t, m) or (t, m, err), got {len(band)} arrays")
        try:
            prepared.append(_one_star(band[0], band[1], band[2] if len(band) == 3 else None))
        except TypeError as exc:
            raise TypeError(f"band {i}: {exc}") from exc
        except ValueError as exc:
            raise ValueError(f"band {i}: {exc}") from exc
    if not prepared:
        raise ValueError("bands is empty")
    return _robust_search(prepared, min_period=float(min_period), max_period=max_period,
                          max_harmonics=int(max_harmonics), **_ROBUST)


def best_frequency(
    t: np.ndarray,
    m: np.ndarray,
    err: np.ndarray | None = None,
    *,
    method: str = "upsilon",
    min_period: float = 0.03,
) -> float:
    """Best frequency of one light curve, d^-1 (0.0 when it has no period).

    ``method="upsilon"``: the highest classical Lomb-Scargle peak on
    UPSILoN's grid (:func:`ls_best_frequency`); ``"robust"``: one over
    :func:`best_period`'s period.

    Parameters
    ----------
    t, m : array-like of shape (n_points,)
        Times (days) and magnitudes.
    err : array-like of shape (n_points,), optional
        Magnitude errors (used by ``"robust"``).
    method : {"upsilon", "robust"}, default="upsilon"
        The search.
    min_period : float, default=0.03
        Shortest period searched, days.

    Returns
    -------
    frequency : float
        In d^-1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lc.periodogram import best_frequency
    >>> t = np.sort(np.random.RandomState(0).uniform(0, 50, 300))
    >>> round(best_frequency(t, np.sin(2 * np.pi * 1.7 * t)), 2)
    1.7
    """
    _check_method(method)
    res = best_period(t, m, err, method=method, min_period=min_period)
    return 1.0 / res.period if res.period > 0 else 0.0


def _period_of(t, m, e, method, min_period, max_period=None, max_harmonics=3) -> PeriodResult:
    """:func:`best_period` of one canonical light curve (no validation)."""
    if method == "upsilon":
        return _upsilon_result(t, m, e, min_period)
    return _robust_search([(t, m, e)], min_period=min_period, max_period=max_period,
                          max_harmonics=max_harmonics, **_ROBUST)


def _periods_many(lcs, method, min_period, max_period, max_harmonics):
    out = np.empty((len(lcs), len(PeriodResult._fields)))
    for i, (t, m, e) in enumerate(lcs):
        out[i] = _period_of(t, m, e, method, min_period, max_period, max_harmonics)
    return out


def find_periods(
    light_curves,
    *,
    method: str = "robust",
    min_period: float = 0.03,
    max_period: float | None = None,
    max_harmonics: int = 3,
    return_details: bool = False,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Period of every light curve, in input order (:func:`best_period` on each).

    Parameters
    ----------
    light_curves : light curves
        Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`.
    method : {"robust", "upsilon"}, default="robust"
        The search (see :func:`best_period`).
    min_period, max_period, max_harmonics
        As in :func:`best_period`.
    return_details : bool, default=False
        Return every :class:`PeriodResult` field, not just the period.
    n_jobs : int, optional
        Joblib workers (threads: the kernels release the GIL).

    Returns
    -------
    periods : ndarray of shape (n_stars,) or (n_stars, 5)
        Periods in days (:data:`NO_PERIOD`, 0.0, for a star without one);
        with ``return_details``, the columns ``period, fap, uncertainty,
        n_harmonics, power``.

    Examples
    --------
    >>> from sklearn_lc import make_light_curves
    >>> from sklearn_lc.periodogram import find_periods
    >>> X, y, P = make_light_curves(2, classes=["RRab", "RRc"], random_state=0,
    ...                             return_periods=True)
    >>> found = find_periods(X)
    >>> bool((abs(found - P) / P < 0.01).all())
    True
    """
    from .utils import check_light_curves
    from .utils._parallel import map_chunks

    _check_method(method)
    _check_search(min_period, max_period, max_harmonics)
    lcs = check_light_curves(light_curves, min_points=1)
    out = map_chunks(
        functools.partial(_periods_many, method=method, min_period=float(min_period),
                          max_period=max_period, max_harmonics=int(max_harmonics)),
        lcs, n_jobs=n_jobs, prefer="threads",
    )
    return out if return_details else out[:, 0].copy()


def gls_power(
    t: np.ndarray,
    m: np.ndarray,
    freqs: np.ndarray,
    err: np.ndarray | None = None,
    *,
    nterms: int = 1,
) -> np.ndarray:
    """Exact generalised (floating-mean, error-weighted) Lomb-Scargle power.

    ``1 - chi2(f) / chi2_0``: the fraction of the weighted sum of squares
    about the weighted mean that a fit of ``nterms`` harmonics at ``f``
    removes (Zechmeister & Kurster 2009 for ``nterms=1``; the normalisation
    astropy's ``LombScargle(t, m, err, nterms=...).power(freqs)`` calls
    "standard"). Direct sums, ``O(N nterms^2 n_freq)``.

    Parameters
    ----------
    t, m : array-like of shape (n_points,)
        Times (days) and magnitudes.
    freqs : array-like
        Frequencies, d^-1.
    err : array-like of shape (n_points,), optional
        Errors (weights ``1 / err^2``); equal weights when None.
    nterms : int, default=1
        Number of harmonics.

    Returns
    -------
    power : ndarray, same shape as ``freqs``
        In [0, 1]; zeros for constant magnitudes.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lc.periodogram import gls_power
    >>> t = np.linspace(0, 10, 100)
    >>> p = gls_power(t, 3 + np.cos(2 * np.pi * 0.8 * t), [0.5, 0.8])
    >>> p.round(6).tolist()
    [0.000384, 1.0]
    """
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(m, dtype=np.float64)
    if t.shape != y.shape or t.ndim != 1:
        raise ValueError(f"t and m must be 1-D of one length, got {t.shape} and {y.shape}")
    if err is None:
        w = np.ones_like(t)
    else:
        e = np.asarray(err, dtype=np.float64)
        if e.shape != t.shape or not (np.isfinite(e) & (e > 0)).all():
            raise ValueError("err must be positive and finite, one per point")
        w = 1.0 / (e * e)
    if not (isinstance(nterms, (int, np.integer)) and nterms >= 1):
        raise ValueError(f"nterms must be a positive integer, got {nterms!r}")
    w = w / w.sum()
    y = y - float(w @ y)
    yy = float(w @ (y * y))
    f = np.ascontiguousarray(np.ravel(np.asarray(freqs, dtype=np.float64)))
    if not yy > 0:
        return np.zeros(np.shape(freqs))
    red = _mh_reductions(t - t[0], y, w, f, int(nterms))
    return np.clip(red[:, -1] / yy, 0.0, 1.0).reshape(np.shape(freqs))
