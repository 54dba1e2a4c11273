"""DmDtImage: dm-dt images of light curves (Mahabal et al. 2017)."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ..utils._parallel import map_chunks
from ..utils._validation import check_light_curves
from ._kernels import CDF_TABLE, dm_lookup, dmdt_counts, dmdt_gausses

__all__ = ["DmDtImage", "MAHABAL_DM_EDGES", "MAHABAL_DT_EDGES"]


_DM_POS = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 8.0)
#: Mahabal et al. (2017) dm edges in magnitudes: 23 edges, symmetric about 0.
MAHABAL_DM_EDGES: tuple[float, ...] = tuple(-x for x in _DM_POS[:0:-1]) + _DM_POS
#: Mahabal et al. (2017) dt edges in days: 24 edges.
MAHABAL_DT_EDGES: tuple[float, ...] = (
    1 / 145, 2 / 145, 3 / 145, 4 / 145, 1 / 25, 2 / 25, 3 / 25,
    1.5, 2.5, 3.5, 4.5, 5.5, 7.0, 10.0, 20.0, 30.0, 60.0, 90.0, 120.0,
    240.0, 600.0, 960.0, 2000.0, 4000.0,
)  # fmt: skip

_NORMALIZE = ("mahabal", "density", "max")


def _check_edges(edges: Any, default: tuple[float, ...], name: str) -> np.ndarray:
    if edges is None:
        return np.asarray(default, dtype=np.float64)
    if isinstance(edges, (str, bytes)) or np.ndim(edges) != 1:
        raise ValueError(f"{name} must be a 1-D sequence of bin edges or None, got {edges!r}")
    try:
        arr = np.asarray(edges, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold numbers, got {edges!r}") from exc
    if arr.size < 2:
        raise ValueError(f"{name} needs at least 2 edges, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {edges!r}")
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"{name} must be strictly increasing, got {edges!r}")
    return arr


def _concat(lcs: list, with_err: bool) -> tuple[np.ndarray, ...]:
    offsets = np.zeros(len(lcs) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([lc[0].shape[0] for lc in lcs])
    t = np.concatenate([lc[0] for lc in lcs])
    m = np.concatenate([lc[1] for lc in lcs])
    if not with_err:
        return t, m, offsets
    e = np.concatenate([lc[2] for lc in lcs])
    return t, m, e * e, offsets


def _pair_histograms(
    lcs: list,
    dt_edges: np.ndarray,
    dm_edges: np.ndarray,
    smear_errors: bool = False,
    lookup: tuple | None = None,
) -> np.ndarray:
    """Raw (smeared) pair counts of each star, shape ``(n, n_dm_bins, n_dt_bins)``, float64."""
    if lookup is None:
        lookup = dm_lookup(dm_edges)
    out = np.zeros((len(lcs), dm_edges.size - 1, dt_edges.size - 1), dtype=np.float64)
    if smear_errors:
        t, m, e2, offsets = _concat(lcs, True)
        dmdt_gausses(t, m, e2, offsets, dt_edges, dm_edges, *lookup, *CDF_TABLE, out)
    else:
        t, m, offsets = _concat(lcs, False)
        dmdt_counts(t, m, offsets, dt_edges, dm_edges, *lookup, out)
    return out


class DmDtImage(TransformerMixin, BaseEstimator):
    """dm-dt images: 2-D histograms of all pairs of observations of each star.

    Every pair of points ``i < j`` of a time-sorted light curve gives
    ``dt = t_j - t_i >= 0`` (days) and ``dm = m_j - m_i`` (magnitudes); the
    image is the histogram of these pairs over ``dm_bins`` (rows, increasing
    dm) and ``dt_bins`` (columns, increasing dt), as in Mahabal et al. (2017).
    ``dm`` is **signed**: a star that brightens (magnitude decreases) gives
    negative dm, so rising and falling branches of a light curve land in
    mirrored rows (a time-reversed curve gives the image flipped upside
    down).

    Bin membership is exactly that of :func:`numpy.histogram2d`: bins are
    left-closed, the last bin of each axis is also right-closed, and pairs
    outside the edges (for example ``dt`` below the first dt edge, or
    ``|dm| > 8`` with the default edges) are not counted. With
    ``normalize=None`` the image equals ``np.histogram2d(dt, dm,
    bins=[dt_bins, dm_bins])[0].T``.

    A light curve with a single point has no pair: its image is all zeros
    (whatever ``normalize``).

    Stateless: nothing is learned, ``fit`` only validates the parameters and
    the input, and ``transform`` works without ``fit``.

    Parameters
    ----------
    dt_bins : array-like of float or None, default=None
        Strictly increasing dt edges in days. ``None`` means Mahabal's 24
        edges from 1/145 d to 4000 d (:data:`MAHABAL_DT_EDGES`), i.e. 23
        columns.
    dm_bins : array-like of float or None, default=None
        Strictly increasing dm edges in magnitudes. ``None`` means Mahabal's
        23 edges ``±[0, 0.1, 0.2, 0.3, 0.5, 1, 1.5, 2, 2.5, 3, 5, 8]``
        (:data:`MAHABAL_DM_EDGES`), i.e. 22 rows.
    normalize : {None, "mahabal", "density", "max"}, default="mahabal"
        ``None``: raw pair counts. ``"mahabal"``: ``floor(255 * count / p +
        0.99999)`` with ``p = n (n - 1) / 2`` the number of pairs of the star
        (Mahabal et al. 2017; values 0..255). ``"density"``: ``count / p``.
        ``"max"``: ``count / max(count)``. An image without any counted pair
        stays all zeros.
    smear_errors : bool, default=False
        Spread each pair over the dm axis as a Gaussian of mean ``dm`` and
        variance ``err_i**2 + err_j**2``: the pair adds the Gaussian's
        probability mass in each dm bin (its dt bin is still a point), as
        light-curve's ``DmDt.gausses``. Mass falling outside the dm edges is
        lost, so an image sums to less than the number of pairs; each
        Gaussian is cut at 7 standard deviations (lost tail mass < 3e-12) and
        its CDF is tabulated (accurate to ~1e-11). A pair whose variance is
        zero (both errors 0) or NaN (a missing error on either point; light
        curves given without errors) counts as a point, as without smearing.
        About 10-25 times slower than points (still ~3 times faster than
        light-curve's ``gausses``).
    flatten : bool, default=False
        Return ``(n_stars, H * W)`` (row-major over dm, then dt) with feature
        names ``"dm{i}_dt{j}"``, for tabular models such as random forests;
        otherwise ``(n_stars, 1, H, W)`` images.
    max_points : int or None, default=50_000
        Most points a star may have: the cost grows as n(n-1)/2 pairs
        (50,000 points are 1.25e9 pairs, a few seconds). A longer star raises
        a ``ValueError`` naming it; thin it first (for example
        ``WindowPad(strategy="subsample")``-like selection) or raise the limit.
        ``None``: no limit.
    n_jobs : int, default=None
        Joblib workers, at most; stars are processed in chunks (one task per
        chunk). The kernels release the GIL, so the workers are threads, used
        only when the stars left after the first ~0.05 s of work would take
        at least 0.2 s more (see :doc:`/user_guide/scale`); a Dask (or other)
        ``parallel_backend`` context distributes the chunks instead.
    verbose : int or bool, default=0
        Show a progress bar over the stars (tqdm, on stderr).

    Attributes
    ----------
    There are no fitted attributes (the transformer is stateless).

    See Also
    --------
    FreedmanDiaconisHist : dm-dt histograms with bins learned from the data.

    References
    ----------
    .. [1] Mahabal, A. et al. (2017), "Deep-learnt classification of light
       curves", IEEE SSCI, arXiv:1709.06257.

    Examples
    --------
    >>> from sklearn_lc import DmDtImage, make_light_curves
    >>> X, y = make_light_curves(2, random_state=0)
    >>> img = DmDtImage().fit_transform(X)
    >>> img.shape, img.dtype
    ((12, 1, 22, 23), dtype('float32'))
    >>> t = [0.0, 1.0, 3.0]
    >>> DmDtImage(dt_bins=[0.5, 1.5, 2.5, 3.5], dm_bins=[-1, 0, 1],
    ...           normalize=None).transform([(t, [10.0, 10.5, 9.5])])[0, 0]
    array([[0., 1., 1.],
           [1., 0., 0.]], dtype=float32)
    """

    _parameter_constraints: dict = {
        "dt_bins": ["array-like", None],
        "dm_bins": ["array-like", None],
        "normalize": [StrOptions(set(_NORMALIZE)), None],
        "smear_errors": ["boolean"],
        "flatten": ["boolean"],
        "max_points": [Interval(Integral, 2, None, closed="left"), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        dt_bins: Any = None,
        dm_bins: Any = None,
        normalize: str | None = "mahabal",
        smear_errors: bool = False,
        flatten: bool = False,
        max_points: int | None = 50_000,
        n_jobs: int | None = None,
        verbose: int | bool = 0,
    ):
        self.dt_bins = dt_bins
        self.dm_bins = dm_bins
        self.normalize = normalize
        self.smear_errors = smear_errors
        self.flatten = flatten
        self.max_points = max_points
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _edges(self) -> tuple[np.ndarray, np.ndarray]:
        self._validate_params()
        return (
            _check_edges(self.dt_bins, MAHABAL_DT_EDGES, "dt_bins"),
            _check_edges(self.dm_bins, MAHABAL_DM_EDGES, "dm_bins"),
        )

    def fit(self, X: Any, y: Any = None) -> DmDtImage:
        """Validate the parameters and the input; nothing is learned.

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`.
        y : ignored
            Not used.

        Returns
        -------
        self : DmDtImage
            The transformer.
        """
        self._edges()
        check_light_curves(X, min_points=1, max_points=self.max_points)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Return the dm-dt image of each light curve.

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`.

        Returns
        -------
        images : ndarray of float32
            Shape ``(n_stars, 1, H, W)``, or ``(n_stars, H * W)`` when
            ``flatten=True``, with ``H = len(dm_bins) - 1`` dm rows and
            ``W = len(dt_bins) - 1`` dt columns; one row per star, in input
            order.
        """
        dt_edges, dm_edges = self._edges()
        lcs = check_light_curves(X, min_points=1, max_points=self.max_points)
        lookup = dm_lookup(dm_edges)
        normalize, smear = self.normalize, bool(self.smear_errors)

        def chunk(part: list) -> np.ndarray:
            counts = _pair_histograms(part, dt_edges, dm_edges, smear, lookup)
            return _normalise(counts, part, normalize)

        images = map_chunks(chunk, lcs, n_jobs=self.n_jobs, prefer="threads",
                            verbose=self.verbose)
        if self.flatten:
            return images.reshape(len(lcs), -1)
        return images[:, None, :, :]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the flattened pixels, ``"dm{i}_dt{j}"`` (row-major).

        Parameters
        ----------
        input_features : ignored
            Not used (the input is light curves, not features).

        Returns
        -------
        names : ndarray of str
            ``H * W`` names; pixel ``(i, j)`` is dm bin ``i``, dt bin ``j``.

        Raises
        ------
        ValueError
            If ``flatten=False`` (images have no feature names).
        """
        if not self.flatten:
            raise ValueError("feature names exist only with flatten=True")
        dt_edges, dm_edges = self._edges()
        return np.asarray(
            [f"dm{i}_dt{j}" for i in range(dm_edges.size - 1) for j in range(dt_edges.size - 1)],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        return tags

    @classmethod
    def _get_test_params(cls) -> dict:
        return {"normalize": "mahabal", "flatten": True}


def _normalise(counts: np.ndarray, lcs: list, normalize: str | None) -> np.ndarray:
    """Apply ``normalize`` to float64 counts of shape (n, H, W); return float32."""
    if normalize is None:
        return counts.astype(np.float32)
    n = np.array([lc[0].shape[0] for lc in lcs], dtype=np.float64)
    if normalize == "max":
        denom = counts.max(axis=(1, 2))
    else:
        denom = n * (n - 1) / 2.0
    denom = np.where(denom > 0, denom, 1.0)[:, None, None]
    out = counts / denom
    if normalize == "mahabal":
        out = np.floor(255.0 * out + 0.99999)
    return out.astype(np.float32)
