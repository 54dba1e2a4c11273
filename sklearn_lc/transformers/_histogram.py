"""FreedmanDiaconisHist: dm-dt histograms with Freedman-Diaconis bins, as RGB images."""

from __future__ import annotations

import math
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils._parallel import map_chunks
from ..utils._validation import check_light_curves
from ._dmdt import _pair_histograms
from ._kernels import dm_lookup

__all__ = ["FreedmanDiaconisHist", "viridis"]

# matplotlib's viridis colormap (256 entries, 8-bit RGB as hex), so that matplotlib
# is not needed at run time.
_VIRIDIS_HEX = (
    "44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769"
    "48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a"
    "472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85"
    "4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b"
    "3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d"
    "33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e"
    "2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e"
    "26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d"
    "21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88"
    "1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81"
    "28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74"
    "3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863"
    "5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d"
    "84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32"
    "addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a"
    "d8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725"
)
_VIRIDIS = (
    np.frombuffer(bytes.fromhex("".join(_VIRIDIS_HEX)), dtype=np.uint8).reshape(256, 3) / 255.0
)


def viridis(values: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to viridis RGB, linearly interpolating the 256-entry table.

    Parameters
    ----------
    values : ndarray
        Values, clipped to [0, 1].

    Returns
    -------
    rgb : ndarray of shape ``values.shape + (3,)``
        Red, green and blue in [0, 1].

    Examples
    --------
    >>> from sklearn_lc.transformers._histogram import viridis
    >>> viridis(np.array([0.0, 1.0])).round(3)
    array([[0.267, 0.004, 0.329],
           [0.992, 0.906, 0.145]])
    """
    pos = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0) * 255.0
    i0 = np.minimum(np.floor(pos).astype(np.intp), 254)
    frac = (pos - i0)[..., None]
    return (1.0 - frac) * _VIRIDIS[i0] + frac * _VIRIDIS[i0 + 1]


def _fd_edges(x: np.ndarray, max_bins: int) -> np.ndarray:
    """Freedman-Diaconis edges of ``x`` (as ``np.histogram_bin_edges(x, "fd")``), capped."""
    lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    q75, q25 = np.percentile(x, [75, 25])
    width = 2.0 * (q75 - q25) * x.size ** (-1.0 / 3.0)
    n_bins = math.ceil((hi - lo) / width) if width > 0 else 1
    n_bins = int(min(max(n_bins, 1), max_bins))
    return np.linspace(lo, hi, n_bins + 1)


def _resample_matrix(n_in: int, n_out: int, how: str) -> np.ndarray:
    """(n_out, n_in) matrix resampling a bin grid to ``n_out`` pixels (pixel centres)."""
    src = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    mat = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if how == "nearest":
        idx = np.clip(np.floor(src + 0.5).astype(np.intp), 0, n_in - 1)
        mat[rows, idx] = 1.0
        return mat
    src = np.clip(src, 0.0, n_in - 1)
    i0 = np.floor(src).astype(np.intp)
    i1 = np.minimum(i0 + 1, n_in - 1)
    w = src - i0
    np.add.at(mat, (rows, i0), 1.0 - w)
    np.add.at(mat, (rows, i1), w)
    return mat


def _pooled_pairs(lcs: list, max_pairs: int, random_state: Any) -> tuple[np.ndarray, np.ndarray]:
    """All (dt, dm) pairs i < j of the stars, or ``max_pairs`` pairs drawn uniformly."""
    n = np.array([lc[0].shape[0] for lc in lcs], dtype=np.int64)
    n_pairs = n * (n - 1) // 2
    total = int(n_pairs.sum())
    if total <= max_pairs:
        dts, dms = [], []
        for (t, m, _), k in zip(lcs, n):
            if k < 2:
                continue
            i, j = np.triu_indices(int(k), 1)
            dts.append(t[j] - t[i])
            dms.append(m[j] - m[i])
        if not dts:
            return np.empty(0), np.empty(0)
        return np.concatenate(dts), np.concatenate(dms)
    # Uniform over all pairs of all stars (with replacement): a star with
    # probability proportional to its pair count, then two distinct points.
    rng = check_random_state(random_state)
    offsets = np.concatenate([[0], np.cumsum(n)])
    t = np.concatenate([lc[0] for lc in lcs])
    m = np.concatenate([lc[1] for lc in lcs])
    star = rng.choice(len(lcs), size=max_pairs, p=n_pairs / total)
    a = rng.randint(0, n[star])
    b = rng.randint(0, n[star] - 1)
    b = b + (b >= a)
    lo = offsets[star] + np.minimum(a, b)
    hi = offsets[star] + np.maximum(a, b)
    return t[hi] - t[lo], m[hi] - m[lo]


class FreedmanDiaconisHist(TransformerMixin, BaseEstimator):
    """dm-dt histograms with Freedman-Diaconis bins learned from the data, as RGB images.

    The 2-D histogram representation of the 2024 CNN / CNN-LSTM study on
    CRTS (Zhang 2024): every pair of points ``i < j`` of a light curve gives
    ``dt = t_j - t_i`` and a signed ``dm = m_j - m_i``, as in
    :class:`DmDtImage`, but the bin edges follow the Freedman-Diaconis rule
    (bin width ``2 IQR n^(-1/3)``) on the pairs pooled over the training
    curves, and the histogram is rendered at a fixed ``shape`` as 3 colour
    channels.

    ``fit`` pools the pairs of all training curves (at most ``max_pairs``
    of them, drawn uniformly with ``random_state`` when there are more) and
    sets, per axis, ``n_bins = ceil((max - min) / width)`` equal bins from
    the smallest to the largest pooled value, exactly as
    ``np.histogram_bin_edges(x, bins="fd")``. When the rule asks for more
    than ``max_bins`` bins, the same range is cut into ``max_bins`` wider
    equal bins. A zero IQR gives one bin.

    ``transform`` counts each star's pairs on those edges (bins as
    :func:`numpy.histogram2d`; pairs outside the fitted range, e.g. from a
    test star of larger amplitude, are not counted), resamples the count
    grid to ``shape`` (bilinear or nearest, on bin centres: the output pixel
    centres are spread evenly over the bin grid, as image resizing with
    ``align_corners=False``), then turns it into 3 channels.

    Parameters
    ----------
    shape : tuple of int, default=(90, 53)
        Output ``(H, W)``: ``H`` rows along dm (row 0 = most negative dm),
        ``W`` columns along dt (increasing). The study's images are 90 x 53.
    channels : {"colormap", "counts", "log", "density"}, default="colormap"
        ``"colormap"``: the resampled histogram divided by its maximum, then
        mapped through the perceptually uniform viridis colormap to RGB (as
        the study's images; a star without pairs is uniformly viridis(0)).
        ``"counts"``: resampled pair counts; ``"log"``: ``log1p`` of them;
        ``"density"``: counts divided by the star's number of pairs
        ``n (n - 1) / 2``. These three are repeated on the 3 channels, so
        any ``channels`` suits a 3-channel network.
    log_dt : bool, default=True
        Bin ``log10(dt)`` instead of ``dt``. On CRTS, dt spans 1e-3 to
        3e3 days and most pairs are hundreds of days apart: on a linear
        axis the rule (then the ``max_bins`` cap) gives bins tens of days
        wide, which put every intra-night and few-day pair (the periods
        of RR Lyrae and contact binaries) in the first column. On a log
        axis the bins are equal in ``log10(dt)`` and resolve all time
        scales. With ``log_dt=True``, pairs with ``dt = 0`` (simultaneous
        observations) are not counted.
    max_bins : int, default=100
        Most bins per axis.
    max_pairs : int, default=1_000_000
        Most pairs pooled in ``fit``; above it, pairs are drawn uniformly
        at random (with replacement) from all pairs of all training stars.
    interpolation : {"bilinear", "nearest"}, default="bilinear"
        How the bin grid is resampled to ``shape``.
    random_state : int, RandomState instance or None, default=None
        Seed of the pair subsampling in ``fit``.
    max_points : int or None, default=50_000
        Most points a star may have: the cost grows as n(n-1)/2 pairs
        (50,000 points are 1.25e9 pairs, a few seconds). A longer star raises
        a ``ValueError`` naming it; thin it first (for example
        ``WindowPad(strategy="subsample")``-like selection) or raise the limit.
        ``None``: no limit.
    n_jobs : int, default=None
        Joblib workers for ``transform``, at most (stars in chunks, one task
        per chunk). The kernel releases the GIL, so the workers are threads,
        used only when the stars left after the first ~0.05 s of work would
        take at least 0.2 s more (see :doc:`/user_guide/scale`); a Dask
        ``parallel_backend`` context distributes the chunks instead.
    verbose : int or bool, default=0
        Show a progress bar over the stars in ``transform`` (tqdm, on stderr).

    Attributes
    ----------
    dt_edges_ : ndarray of float64
        dt bin edges in days (equally spaced in ``log10(dt)`` when
        ``log_dt=True``).
    dm_edges_ : ndarray of float64
        dm bin edges in magnitudes.
    n_pairs_fit_ : int
        Number of pairs the edges were computed from.

    See Also
    --------
    DmDtImage : dm-dt images on fixed (Mahabal) bins.

    Examples
    --------
    >>> from sklearn_lc import FreedmanDiaconisHist, make_light_curves
    >>> X, y = make_light_curves(2, random_state=0)
    >>> fd = FreedmanDiaconisHist(random_state=0).fit(X)
    >>> img = fd.transform(X)
    >>> img.shape, img.dtype
    ((12, 3, 90, 53), dtype('float32'))
    >>> bool(img.min() >= 0.0 and img.max() <= 1.0)
    True
    """

    _parameter_constraints: dict = {
        "shape": [tuple, list],
        "channels": [StrOptions({"colormap", "counts", "log", "density"})],
        "log_dt": ["boolean"],
        "max_bins": [Interval(Integral, 1, None, closed="left")],
        "max_pairs": [Interval(Integral, 1, None, closed="left")],
        "interpolation": [StrOptions({"bilinear", "nearest"})],
        "random_state": ["random_state"],
        "max_points": [Interval(Integral, 2, None, closed="left"), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        shape: tuple[int, int] = (90, 53),
        channels: str = "colormap",
        log_dt: bool = True,
        max_bins: int = 100,
        max_pairs: int = 1_000_000,
        interpolation: str = "bilinear",
        random_state: int | np.random.RandomState | None = None,
        max_points: int | None = 50_000,
        n_jobs: int | None = None,
        verbose: int | bool = 0,
    ):
        self.shape = shape
        self.channels = channels
        self.log_dt = log_dt
        self.max_bins = max_bins
        self.max_pairs = max_pairs
        self.interpolation = interpolation
        self.random_state = random_state
        self.max_points = max_points
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_shape(self) -> tuple[int, int]:
        self._validate_params()
        shape = tuple(self.shape)
        if len(shape) != 2 or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in shape
        ):
            raise ValueError(f"shape must be two positive integers (H, W), got {self.shape!r}")
        return int(shape[0]), int(shape[1])

    def fit(self, X: Any, y: Any = None) -> FreedmanDiaconisHist:
        """Learn Freedman-Diaconis dt and dm edges from the pooled pairs of ``X``.

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`.
        y : ignored
            Not used.

        Returns
        -------
        self : FreedmanDiaconisHist
            The fitted transformer.
        """
        self._check_shape()
        lcs = check_light_curves(X, min_points=1, max_points=self.max_points)
        dt, dm = _pooled_pairs(lcs, self.max_pairs, self.random_state)
        if self.log_dt:
            keep = dt > 0
            dt, dm = dt[keep], dm[keep]
        if dt.size == 0:
            raise ValueError(
                "FreedmanDiaconisHist needs at least one pair of observations "
                + ("with dt > 0 " if self.log_dt else "")
                + "in the training light curves"
            )
        if self.log_dt:
            log_edges = _fd_edges(np.log10(dt), self.max_bins)
            dt_edges = 10.0**log_edges
            # exact extremes, so that no training pair is lost to rounding in 10**x
            dt_edges[0] = min(dt.min(), dt_edges[0])
            dt_edges[-1] = max(dt.max(), dt_edges[-1])
        else:
            dt_edges = _fd_edges(dt, self.max_bins)
        self.dt_edges_ = np.asarray(dt_edges, dtype=np.float64)
        self.dm_edges_ = _fd_edges(dm, self.max_bins)
        self.n_pairs_fit_ = int(dt.size)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Render the histogram of each light curve on the fitted edges.

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`.

        Returns
        -------
        images : ndarray of shape (n_stars, 3, H, W), float32
            One image per star, in input order.
        """
        check_is_fitted(self, ("dt_edges_", "dm_edges_"))
        height, width = self._check_shape()
        lcs = check_light_curves(X, min_points=1, max_points=self.max_points)
        dt_edges, dm_edges = self.dt_edges_, self.dm_edges_
        lookup = dm_lookup(dm_edges)
        rows = _resample_matrix(dm_edges.size - 1, height, self.interpolation)
        cols = _resample_matrix(dt_edges.size - 1, width, self.interpolation)
        channels = self.channels

        def chunk(part: list) -> np.ndarray:
            counts = _pair_histograms(part, dt_edges, dm_edges, False, lookup)
            img = np.einsum("hi,nij,wj->nhw", rows, counts, cols, optimize=True)
            img = np.maximum(img, 0.0)
            if channels == "colormap":
                peak = img.max(axis=(1, 2), keepdims=True)
                img = img / np.where(peak > 0, peak, 1.0)
                return np.moveaxis(viridis(img), -1, 1).astype(np.float32)
            if channels == "log":
                img = np.log1p(img)
            elif channels == "density":
                n = np.array([lc[0].shape[0] for lc in part], dtype=np.float64)
                pairs = n * (n - 1) / 2.0
                img = img / np.where(pairs > 0, pairs, 1.0)[:, None, None]
            return np.repeat(img[:, None].astype(np.float32), 3, axis=1)

        return map_chunks(chunk, lcs, n_jobs=self.n_jobs, prefer="threads",
                          verbose=self.verbose)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        return tags

    @classmethod
    def _get_test_params(cls) -> dict:
        return {"shape": (12, 10), "max_bins": 20, "max_pairs": 20_000, "random_state": 0}
