"""Out-of-core and distributed transform / predict with Dask (the ``dask`` extra).

Two tools, both partition by partition and order preserving:

- :func:`map_transform` maps a fitted (or stateless) transformer over a
  ``dask.bag.Bag`` of light curves, or over a long-format ``dask.dataframe``
  (one row per observation) indexed by star id, and returns a lazy
  ``dask.array`` whose ``compute()`` equals ``transformer.transform(list)``.
- :class:`ParallelPostFit` wraps an estimator: ``fit`` is ordinary (serial,
  in memory) and ``predict`` / ``predict_proba`` / ``transform`` run by
  chunks through Dask (a lazy dask array for a bag, an ndarray for in-memory
  input).

Parallelism inside one transformer (its ``n_jobs``) is joblib's; to send those
chunks to a Dask cluster use ``with joblib.parallel_backend("dask"):`` with a
``distributed.Client`` active. That needs nothing from this module.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .utils._validation import check_light_curves, from_long_frame

try:
    import dask
    import dask.array as da
    import dask.bag as db
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "sklearn_lc.dask needs Dask: install the extra with "
        "`pip install 'sklearn_lc[dask]'` (dask[distributed])."
    ) from exc

__all__ = ["ParallelPostFit", "map_transform"]


def _is_bag(obj: Any) -> bool:
    return isinstance(obj, db.Bag)


def _is_dask_frame(obj: Any) -> bool:
    return type(obj).__module__.startswith("dask") and hasattr(obj, "npartitions") and hasattr(
        obj, "columns"
    )


def _apply(est: Any, name: str, part: Any) -> np.ndarray | None:
    """Run ``est.<name>`` on one partition (a list of light curves); None if empty."""
    part = list(part)
    if not part:
        return None
    return np.asarray(getattr(est, name)(part))


def _frame_partition(
    pdf: Any, est: Any, name: str, columns: tuple[str, str, str | None], id_name: str
) -> tuple[np.ndarray, np.ndarray] | None:
    if len(pdf) == 0:
        return None
    time, mag, err = columns
    lcs, ids = from_long_frame(pdf.reset_index(), id=id_name, time=time, mag=mag, err=err)
    return np.asarray(ids, dtype=object), np.asarray(getattr(est, name)(lcs))


def _stack_delayed(parts: list, row_shape: tuple, dtype: Any) -> Any:
    """Concatenate delayed per-partition arrays (None for empty ones) into a dask array."""
    arrays = [
        da.from_delayed(dask.delayed(_or_empty)(p, row_shape, dtype),
                        shape=(np.nan, *row_shape), dtype=dtype)
        for p in parts
    ]
    return da.concatenate(arrays, axis=0)


def _or_empty(x: Any, row_shape: tuple, dtype: Any) -> np.ndarray:
    return np.empty((0, *row_shape), dtype=dtype) if x is None else x


def _bag_map(est: Any, name: str, bag: Any) -> Any:
    first = bag.take(1, npartitions=-1)
    if len(first) == 0:
        raise ValueError("got an empty bag: at least one light curve is required")
    probe = np.asarray(getattr(est, name)([first[0]]))  # row shape and dtype
    est_d = dask.delayed(est, pure=True)  # one key: shipped once per worker
    parts = [dask.delayed(_apply)(est_d, name, p) for p in bag.to_delayed()]
    return _stack_delayed(parts, probe.shape[1:], probe.dtype)


def map_transform(
    transformer: Any,
    light_curves: Any,
    *,
    time: str = "time",
    mag: str = "mag",
    err: str | None = "err",
    return_ids: bool = False,
) -> Any:
    """Map a fitted (or stateless) transformer over light curves, partition by partition.

    Parameters
    ----------
    transformer : transformer
        Fitted, or stateless (``requires_fit=False``, such as
        :class:`~sklearn_lc.DmDtImage`). It is sent once to each worker.
    light_curves : dask.bag.Bag or dask.dataframe.DataFrame
        A bag whose elements are light curves (anything a list element may be
        for :func:`~sklearn_lc.utils.check_light_curves`; make one with
        ``dask.bag.from_sequence(lcs, npartitions=k)``), or a long-format
        frame (one row per observation) whose **index is the star id with
        known divisions** (``ddf.set_index("id")``), so that every star lies
        in exactly one partition.
    time, mag, err : str
        Column names of a long-format frame (``err=None``: no error column).
    return_ids : bool, default=False
        For a frame, also return the star ids (in output order). Ignored for
        a bag (ids are the element positions).

    Returns
    -------
    Xt : dask.array.Array
        Lazy; one row per light curve, in bag order (for a frame: in index
        order, each star once). Chunk lengths along axis 0 are unknown until
        computed (``Xt.compute_chunk_sizes()``). ``Xt.compute()`` equals
        ``transformer.transform(list_of_light_curves)``.
    ids : dask.array.Array
        Only for a frame with ``return_ids=True``.

    Raises
    ------
    ValueError
        If the frame's index is not the star id with known divisions, or the
        bag is empty.
    TypeError
        If ``light_curves`` is neither a dask bag nor a dask DataFrame.

    Examples
    --------
    >>> import dask.bag as db
    >>> from sklearn_lc import DmDtImage, make_light_curves
    >>> from sklearn_lc.dask import map_transform
    >>> X, _ = make_light_curves(2, random_state=0)
    >>> tr = DmDtImage(flatten=True)
    >>> Xt = map_transform(tr, db.from_sequence(X, npartitions=3))
    >>> out = Xt.compute(scheduler="synchronous")
    >>> out.shape, bool((out == tr.transform(X)).all())
    ((12, 506), True)
    """
    _check_ready(transformer)
    if _is_bag(light_curves):
        return _bag_map(transformer, "transform", light_curves)
    if _is_dask_frame(light_curves):
        return _frame_map(transformer, "transform", light_curves, (time, mag, err), return_ids)
    raise TypeError(
        "map_transform expects a dask.bag.Bag of light curves or a long-format "
        f"dask.dataframe.DataFrame, got {type(light_curves).__name__}; for in-memory input "
        "call transformer.transform directly or use ParallelPostFit"
    )


def _frame_map(est: Any, name: str, ddf: Any, columns: tuple, return_ids: bool) -> Any:
    id_name = ddf.index.name
    if id_name is None or not ddf.known_divisions:
        raise ValueError(
            "a long-format dask DataFrame must be indexed by the star id with known divisions, "
            "so that each star lies in one partition: use ddf.set_index('id') first "
            f"(index name: {id_name!r}, known divisions: {ddf.known_divisions})"
        )
    time, mag, err = columns
    missing = [c for c in (time, mag) if c not in ddf.columns]
    if missing:
        raise ValueError(f"long-format frame is missing column(s) {missing}; has "
                         f"{list(ddf.columns)}")
    head = ddf.head(1000, npartitions=-1)
    if len(head) == 0:
        raise ValueError("got an empty frame: at least one light curve is required")
    lcs, _ = from_long_frame(head.reset_index(), id=id_name, time=time, mag=mag, err=err)
    probe = np.asarray(getattr(est, name)(lcs[:1]))
    est_d = dask.delayed(est, pure=True)
    pairs = [dask.delayed(_frame_partition)(p, est_d, name, columns, id_name)
             for p in ddf.to_delayed()]
    Xt = _stack_delayed([dask.delayed(_pick)(p, 1) for p in pairs], probe.shape[1:], probe.dtype)
    if not return_ids:
        return Xt
    ids = _stack_delayed([dask.delayed(_pick)(p, 0) for p in pairs], (), np.dtype(object))
    return ids, Xt


def _pick(pair: Any, k: int) -> Any:
    return None if pair is None else pair[k]


def _check_ready(estimator: Any) -> None:
    if not hasattr(estimator, "__sklearn_tags__") or estimator.__sklearn_tags__().requires_fit:
        check_is_fitted(estimator)


def _apply_chunk(est: Any, name: str, chunk: Any) -> np.ndarray:
    return np.asarray(getattr(est, name)(chunk))


def _chunks(X: Any, chunk_size: int) -> list:
    """Split in-memory light curves into consecutive chunks of the original form."""
    n = len(X)
    if hasattr(X, "iloc"):
        return [X.iloc[i : i + chunk_size] for i in range(0, n, chunk_size)]
    return [X[i : i + chunk_size] for i in range(0, n, chunk_size)]


class ParallelPostFit(MetaEstimatorMixin, BaseEstimator):
    """Meta-estimator: ordinary ``fit``, Dask-parallel ``predict`` / ``transform``.

    Like dask-ml's ``ParallelPostFit``: training happens in memory (on a
    sample that fits), and prediction on a large collection runs chunk by
    chunk on the active Dask scheduler (threads by default, or the cluster of
    an active ``distributed.Client``), the results concatenated in input
    order.

    Parameters
    ----------
    estimator : estimator
        The wrapped estimator (any sklearn_lc transformer or classifier, or a
        pipeline of them). ``fit`` fits a clone of it; if ``ParallelPostFit``
        is not fitted, a wrapped estimator that is already fitted (or
        stateless) is used as it is.
    chunk_size : int, default=1000
        Light curves per task for in-memory input (a bag keeps its own
        partitions). In-memory light curves are validated once, up front
        (errors name the star's index in the whole input); a 2-D numeric
        array (features) is chunked as it is.
    scheduler : str or None, default=None
        Dask scheduler for in-memory input (``"threads"``, ``"processes"``,
        ``"synchronous"``, ``"distributed"``); ``None``: Dask's current
        default, i.e. an active ``distributed.Client`` if there is one.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone (only after :meth:`fit`).
    classes_ : ndarray
        The classes of a fitted classifier (only after :meth:`fit`).

    Examples
    --------
    >>> from sklearn_lc import DmDtImage, make_light_curves
    >>> from sklearn_lc.dask import ParallelPostFit
    >>> X, _ = make_light_curves(2, random_state=0)
    >>> ppf = ParallelPostFit(DmDtImage(flatten=True), chunk_size=5, scheduler="synchronous")
    >>> ppf.transform(X).shape
    (12, 506)
    """

    def __init__(self, estimator: Any, chunk_size: int = 1000, scheduler: str | None = None):
        self.estimator = estimator
        self.chunk_size = chunk_size
        self.scheduler = scheduler

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> ParallelPostFit:
        """Fit a clone of the estimator, in memory.

        Parameters
        ----------
        X : light curves
            Training light curves (in memory).
        y : array-like, optional
            Targets.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : ParallelPostFit
            The fitted meta-estimator.
        """
        if _is_bag(X):
            raise TypeError("fit takes in-memory light curves; compute the bag (or a sample) first")
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        if hasattr(self.estimator_, "classes_"):
            self.classes_ = self.estimator_.classes_
        return self

    def _postfit(self) -> Any:
        if hasattr(self, "estimator_"):
            return self.estimator_
        _check_ready(self.estimator)
        return self.estimator

    def _run(self, name: str, X: Any) -> Any:
        est = self._postfit()
        if _is_bag(X):
            return _bag_map(est, name, X)
        if _is_dask_frame(X):
            return _frame_map(est, name, X, ("time", "mag", "err"), False)
        if not isinstance(self.chunk_size, (int, np.integer)) or self.chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int, got {self.chunk_size!r}")
        if not (isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "biuf"):
            # light curves: validated once, up front, so errors name the star's global
            # index; a 2-D numeric array (features) goes through untouched
            X = check_light_curves(X)
        delayed_est = dask.delayed(est, pure=True)
        parts = [dask.delayed(_apply_chunk)(delayed_est, name, c)
                 for c in _chunks(X, self.chunk_size)]
        results = dask.compute(*parts, scheduler=self.scheduler)
        return np.concatenate([np.asarray(r) for r in results], axis=0)

    def _has(name: str):  # noqa: N805 - decorator factory used in the class body
        def check(self: ParallelPostFit) -> bool:
            est = getattr(self, "estimator_", self.estimator)
            return hasattr(est, name)

        return check

    @available_if(_has("predict"))
    def predict(self, X: Any) -> Any:
        """Predict chunk by chunk.

        Parameters
        ----------
        X : light curves or dask.bag.Bag
            In-memory light curves, or a bag of them.

        Returns
        -------
        y : ndarray or dask.array.Array
            One prediction per light curve, in order (lazy for a bag).
        """
        return self._run("predict", X)

    @available_if(_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """Class probabilities, chunk by chunk.

        Parameters
        ----------
        X : light curves or dask.bag.Bag
            In-memory light curves, or a bag of them.

        Returns
        -------
        proba : ndarray or dask.array.Array
            Shape ``(n_stars, n_classes)``, in order (lazy for a bag).
        """
        return self._run("predict_proba", X)

    @available_if(_has("transform"))
    def transform(self, X: Any) -> Any:
        """Transform chunk by chunk.

        Parameters
        ----------
        X : light curves or dask.bag.Bag
            In-memory light curves, or a bag of them.

        Returns
        -------
        Xt : ndarray or dask.array.Array
            One row per light curve, in order (lazy for a bag).
        """
        return self._run("transform", X)

    @available_if(_has("score"))
    def score(self, X: Any, y: Any) -> float:
        """Score of the fitted estimator (in memory).

        Parameters
        ----------
        X : light curves
            Light curves.
        y : array-like
            Targets.

        Returns
        -------
        score : float
            The estimator's ``score``.
        """
        return self._postfit().score(X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self.estimator.__sklearn_tags__()
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.transformer_tags = inner.transformer_tags
        tags.input_tags = inner.input_tags
        tags.requires_fit = False
        return tags
