"""WindowPad: fixed windows of observations with a validity mask (ASTROMER)."""

from __future__ import annotations

import zlib
from functools import partial
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ..utils._parallel import map_chunks
from ..utils._validation import check_light_curves

__all__ = ["WindowPad", "WINDOW_CHANNELS"]

#: Channel order of :class:`WindowPad` output (last axis).
WINDOW_CHANNELS = ("time", "mag", "err", "mask")


def _window_indices(n: int, window: int, strategy: str, start: int) -> np.ndarray:
    if n <= window:
        return np.arange(n)
    if strategy == "first":
        return np.arange(window)
    if strategy == "last":
        return np.arange(n - window, n)
    if strategy == "random":
        return np.arange(start, start + window)
    # "subsample": evenly spaced points over the whole curve, first and last kept
    return np.round(np.linspace(0, n - 1, window)).astype(np.int64)


def _fill_items(items: list, window: int, strategy: str, scale: bool) -> np.ndarray:
    """Windows of ``items``, a list of ``((t, m, e), start)`` (one map_chunks task)."""
    return _fill([lc for lc, _ in items], [s for _, s in items], window, strategy, scale)


def _fill(lcs: list, starts: Any, window: int, strategy: str, scale: bool) -> np.ndarray:
    out = np.zeros((len(lcs), window, len(WINDOW_CHANNELS)), dtype=np.float32)
    for i, (t, m, e) in enumerate(lcs):
        idx = _window_indices(t.shape[0], window, strategy, int(starts[i]))
        k = idx.size
        tw, mw, ew = t[idx], m[idx], e[idx]
        mw = mw - mw.mean()
        if scale:
            s = mw.std()
            if s > 0:
                mw = mw / s
                ew = ew / s
        out[i, :k, 0] = tw - tw.mean()
        out[i, :k, 1] = mw
        out[i, :k, 2] = np.where(np.isnan(ew), 0.0, ew)
        out[i, :k, 3] = 1.0
    return out


class WindowPad(TransformerMixin, BaseEstimator):
    """Cut or zero-pad light curves to fixed windows, with a validity mask.

    The input of the sequence models (:class:`~sklearn_lc.CNNLSTMClassifier`,
    :class:`~sklearn_lc.TransformerClassifier`), following ASTROMER
    (Donoso-Oliva et al. 2023): each star becomes one window of ``window``
    consecutive observations. Longer curves are cut according to
    ``strategy``; shorter ones are zero-padded after their last point. Within
    the window, time and magnitude have their mean (over the real points)
    subtracted; nothing is scaled unless ``scale=True``.

    Parameters
    ----------
    window : int, default=200
        Observations per window.
    strategy : {"first", "last", "random", "subsample"}, default="first"
        How a curve longer than ``window`` is cut: its first or last
        ``window`` points, a random run of ``window`` consecutive points
        (seeded by ``random_state`` and by the star's own times, so a star
        gets the same crop in every call, batch or alone, whatever its
        position), or ``window`` points evenly spaced over the whole curve.
    scale : bool, default=False
        Divide magnitude (and error) by the window's magnitude standard
        deviation. ASTROMER does not scale, to keep amplitude information.
    random_state : int, RandomState instance or None, default=None
        Seed of the ``"random"`` strategy.
    n_jobs : int, default=None
        Joblib workers, at most. The work is memory-bound and cheap (about
        0.2 ms per CRTS star), so it runs in-process unless a star costs far
        more to cut than to copy to a worker (see :doc:`/user_guide/scale`).
    verbose : int or bool, default=0
        Show a progress bar over the stars (tqdm, on stderr).

    Attributes
    ----------
    channels_ : tuple of str
        Names of the output channels (last axis): ``("time", "mag", "err",
        "mask")``. ``mask`` is 1 for a real observation and 0 for padding;
        padded rows are all zeros. A missing error is written as 0.

    Examples
    --------
    >>> from sklearn_lc import WindowPad, make_light_curves
    >>> X, y = make_light_curves(2, random_state=0)
    >>> W = WindowPad(window=100).fit_transform(X)
    >>> W.shape, W.dtype
    ((12, 100, 4), dtype('float32'))
    >>> WindowPad().fit(X).channels_
    ('time', 'mag', 'err', 'mask')
    """

    _parameter_constraints: dict = {
        "window": [Interval(Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"first", "last", "random", "subsample"})],
        "scale": ["boolean"],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        window: int = 200,
        strategy: str = "first",
        scale: bool = False,
        random_state: int | np.random.RandomState | None = None,
        n_jobs: int | None = None,
        verbose: int | bool = 0,
    ):
        self.window = window
        self.strategy = strategy
        self.scale = scale
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def fit(self, X: Any, y: Any = None) -> WindowPad:
        """Validate parameters and input; nothing is learned.

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`.
        y : ignored
            Not used.

        Returns
        -------
        self : WindowPad
            The transformer.
        """
        self._validate_params()
        check_light_curves(X)
        self.channels_ = WINDOW_CHANNELS
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Return one window per light curve.

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`.

        Returns
        -------
        W : ndarray of shape (n_stars, window, 4), float32
            Channels ``time, mag, err, mask`` (see ``channels_``).
        """
        self._validate_params()
        lcs = check_light_curves(X)
        starts = np.zeros(len(lcs), dtype=np.int64)
        if self.strategy == "random":
            # One seed per star from the estimator's seed and the star's own times:
            # the crop of a star does not depend on its position in the batch, on
            # the other stars, or on n_jobs.
            base = int(check_random_state(self.random_state).randint(2**31 - 1))
            for i, (t, _, _) in enumerate(lcs):
                room = t.shape[0] - self.window + 1
                if room > 1:
                    seq = np.random.default_rng([base, zlib.crc32(t.tobytes())])
                    starts[i] = seq.integers(0, room)
        # each task carries its own stars, never the whole collection
        return map_chunks(
            partial(_fill_items, window=self.window, strategy=self.strategy, scale=self.scale),
            list(zip(lcs, starts.tolist())),
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )

    def get_channel_names(self) -> tuple[str, ...]:
        """Return the names of the output channels, in order.

        Returns
        -------
        channels : tuple of str
            ``("time", "mag", "err", "mask")``.
        """
        return WINDOW_CHANNELS

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.non_deterministic = False
        return tags

    @classmethod
    def _get_test_params(cls) -> dict:
        return {"window": 50, "strategy": "random", "random_state": 0}
