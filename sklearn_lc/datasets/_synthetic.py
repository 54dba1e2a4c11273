"""A seeded simulator of survey-like variable-star light curves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.utils import check_random_state

from ..utils._validation import check_light_curves

__all__ = ["make_light_curves", "SYNTHETIC_CLASSES"]

SYNTHETIC_CLASSES = ("RRab", "RRc", "EA", "EW", "LPV", "IRR")


def _cadence(rng: np.random.RandomState, n_points: int, baseline: float) -> np.ndarray:
    """Nightly visits of 1-4 exposures, observable ~7 months a year."""
    first = rng.uniform(0, 120)
    seasons = first + 365.25 * np.arange(int(baseline // 365.25) + 1)
    nights = (seasons[:, None] + np.arange(210)[None, :]).ravel()
    nights = nights[nights < baseline]
    # enough nights for the requested points on average 2.5 exposures a night
    frac = min(1.0, max(0.25, 1.2 * n_points / (2.5 * nights.size)))
    nights = nights[rng.rand(nights.size) < frac]
    k = rng.randint(1, 5, nights.size)
    t = np.repeat(nights + 0.3, k) + (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)) * 0.0069
    t = t + rng.normal(0, 0.001, t.size)
    if t.size < n_points:  # very dense request: add random epochs inside the seasons
        extra = rng.choice(nights, n_points - t.size) + rng.uniform(0.2, 0.5, n_points - t.size)
        t = np.concatenate([t, extra])
    idx = np.sort(rng.choice(t.size, size=n_points, replace=False))
    return 53500.0 + np.sort(t)[idx]


def _shape(cls: str, phase: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    if cls == "RRab":  # sawtooth: fast rise, slow decline
        rise = 0.15
        p = np.where(phase < rise, phase / rise, 1 - (phase - rise) / (1 - rise))
        return -(p - 0.5)
    if cls in ("RRc", "LPV"):
        return -0.5 * np.sin(2 * np.pi * phase) - 0.08 * np.sin(4 * np.pi * phase + 0.7)
    if cls == "EA":  # detached eclipsing: two narrow eclipses
        w = rng.uniform(0.03, 0.06)
        d2 = rng.uniform(0.2, 0.8)
        ph = np.minimum(phase, 1 - phase)
        ph2 = np.abs(phase - 0.5)
        return np.exp(-0.5 * (ph / w) ** 2) + d2 * np.exp(-0.5 * (ph2 / w) ** 2)
    if cls == "EW":  # contact binary: continuous, unequal minima
        return 0.5 * (1 - np.cos(4 * np.pi * phase)) / 2 + 0.08 * (1 - np.cos(2 * np.pi * phase))
    raise ValueError(cls)


_PERIODS = {"RRab": (0.45, 0.8), "RRc": (0.25, 0.42), "EA": (0.8, 5.0), "EW": (0.25, 0.5),
            "LPV": (90.0, 400.0)}
_AMPS = {"RRab": (0.6, 1.2), "RRc": (0.3, 0.6), "EA": (0.3, 1.0), "EW": (0.2, 0.6),
         "LPV": (0.5, 3.0), "IRR": (0.1, 0.6)}


def make_light_curves(
    n_per_class: int = 50,
    *,
    classes: Sequence[str] = SYNTHETIC_CLASSES,
    n_points: tuple[int, int] = (60, 300),
    baseline: float = 2900.0,
    random_state: int | np.random.RandomState | None = None,
    return_periods: bool = False,
):
    """Simulate labelled, survey-like light curves.

    Irregular nightly cadence with seasonal gaps (1-4 exposures a night, about
    seven observable months a year), heteroscedastic Gaussian errors growing
    with magnitude, and six classes: RR Lyrae ab (sawtooth) and c (near
    sinusoid), detached (EA) and contact (EW) eclipsing binaries, sinusoidal
    long-period variables (LPV) and irregular variables (IRR, red noise).

    Parameters
    ----------
    n_per_class : int, default=50
        Stars per class.
    classes : sequence of str, default=("RRab", "RRc", "EA", "EW", "LPV", "IRR")
        Classes to draw, a subset of the default.
    n_points : (int, int), default=(60, 300)
        Inclusive range of the number of points per star.
    baseline : float, default=2900.0
        Time span in days.
    random_state : int, RandomState instance or None, default=None
        Seed of the simulation.
    return_periods : bool, default=False
        Also return the true period of each star (NaN for IRR).

    Returns
    -------
    light_curves : list of (t, m, err)
        Canonical light curves (see :func:`sklearn_lc.utils.check_light_curves`).
    y : ndarray of str
        Labels, classes in blocks of ``n_per_class`` in the order of ``classes``.
    periods : ndarray of float
        Only when ``return_periods``.

    Examples
    --------
    >>> from sklearn_lc.datasets import make_light_curves
    >>> X, y = make_light_curves(3, random_state=0)
    >>> len(X), y[:4].tolist()
    (18, ['RRab', 'RRab', 'RRab', 'RRc'])
    """
    rng = check_random_state(random_state)
    unknown = [c for c in classes if c not in SYNTHETIC_CLASSES]
    if unknown:
        raise ValueError(f"unknown classes {unknown}; choose from {SYNTHETIC_CLASSES}")
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be >= 1, got {n_per_class}")
    lo, hi = n_points
    if not 2 <= lo <= hi:
        raise ValueError(f"n_points must be (lo, hi) with 2 <= lo <= hi, got {n_points}")
    stars, labels, periods = [], [], []
    for cls in classes:
        for _ in range(n_per_class):
            n = rng.randint(lo, hi + 1)
            t = _cadence(rng, n, baseline)
            base = rng.uniform(13.0, 18.5)
            amp = rng.uniform(*_AMPS[cls])
            if cls == "IRR":
                period = np.nan
                steps = rng.normal(0, 1, n) * np.sqrt(np.diff(t, prepend=t[0]) / 30.0 + 1e-3)
                walk = np.cumsum(steps)
                signal = amp * (walk - walk.mean()) / (walk.std() + 1e-12)
            else:
                period = np.exp(rng.uniform(*np.log(_PERIODS[cls])))
                phase = ((t - t[0]) / period + rng.rand()) % 1.0
                signal = amp * _shape(cls, phase, rng)
                if cls == "LPV":
                    signal += rng.normal(0, 0.1 * amp) * (t - t.mean()) / baseline
            err = 0.01 + 0.02 * np.exp(base - 16.0) * rng.uniform(0.8, 1.2, n)
            mag = base + signal + rng.normal(0, 1, n) * err
            stars.append((t, mag, err))
            labels.append(cls)
            periods.append(period)
    lcs = check_light_curves(stars)
    y = np.asarray(labels)
    if return_periods:
        return lcs, y, np.asarray(periods)
    return lcs, y
