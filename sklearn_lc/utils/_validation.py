"""The single light-curve input contract of sklearn_lc.

Every public transformer and estimator turns user input into the canonical
form with :func:`check_light_curves`; nothing else in the package parses
containers of light curves.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "LightCurveError",
    "LightCurveTypeError",
    "check_light_curves",
    "from_long_frame",
    "to_padded_array",
]

LightCurve = tuple[np.ndarray, np.ndarray, np.ndarray]

_ON_INVALID = ("raise", "drop_points")


class LightCurveError(ValueError):
    """One light curve of a collection is invalid.

    Raised by :func:`check_light_curves` and the readers of :mod:`sklearn_lc.io`
    and :mod:`sklearn_lc.datasets`, so that a caller can name the star at
    fault without parsing the message.

    Parameters
    ----------
    index : int
        Position of the light curve in the collection being validated (or
        read: the order of the returned light curves).
    problem : str
        What is wrong, without the location.
    star : object, optional
        The star's identifier, when known (printed as ``str(star)``).
    source : str or path-like, optional
        The file the star was read from, when known.

    Attributes
    ----------
    index, problem, star, source
        The parameters.

    Examples
    --------
    >>> from sklearn_lc.utils import LightCurveError, check_light_curves
    >>> try:
    ...     check_light_curves([([0.0, 1.0], [1.0, 2.0]), ([0.0], [float("nan")])])
    ... except LightCurveError as exc:
    ...     print(exc.index, "|", exc.problem.split(";")[0])
    1 | 1 non-finite value(s) (first at point 0: mag=nan)
    >>> print(LightCurveError(3, "too short", star="4099", source="lcs.csv"))
    lcs.csv: star 4099: too short
    """

    __module__ = "sklearn_lc.utils"  # its public home, shown in tracebacks

    def __init__(self, index: int, problem: str, *, star: Any = None, source: Any = None):
        self.index = int(index)
        self.problem = str(problem)
        self.star = star
        self.source = None if source is None else str(source)
        super().__init__(self._message())

    def _message(self) -> str:
        if self.source is not None and self.star is not None:
            return f"{self.source}: star {self.star}: {self.problem}"
        if self.star is not None:
            return f"light curve {self.index} (star {self.star}): {self.problem}"
        if self.source is not None:
            return f"{self.source}: light curve {self.index}: {self.problem}"
        return f"light curve {self.index}: {self.problem}"

    def __str__(self) -> str:
        return self._message()

    def __reduce__(self) -> tuple:
        # rebuilt in the parent process when raised in a joblib worker
        return (_rebuild_error, (type(self), self.index, self.problem, self.star, self.source))

    def located(
        self, *, star: Any = None, source: Any = None, index: int | None = None
    ) -> LightCurveError:
        """Return a copy of this error with the star, file or index filled in.

        Parameters
        ----------
        star : object, optional
            The star's identifier.
        source : str or path-like, optional
            The file it comes from.
        index : int, optional
            A new position (for instance in the whole file rather than in one
            chunk of it).

        Returns
        -------
        error : LightCurveError
            An error of the same class; values not given are kept.
        """
        return type(self)(
            self.index if index is None else index,
            self.problem,
            star=self.star if star is None else star,
            source=self.source if source is None else source,
        )


class LightCurveTypeError(LightCurveError, TypeError):
    """A light curve holds data of the wrong type (strings, None, objects).

    A :class:`LightCurveError` (with its ``index``) that is also a ``TypeError``.
    """

    __module__ = "sklearn_lc.utils"


def _rebuild_error(cls: type, index: int, problem: str, star: Any, source: Any) -> Exception:
    return cls(index, problem, star=star, source=source)


class _Canonical(list):
    """A list of canonical light curves, so a second validation is free."""

    __slots__ = ("min_points", "max_points")


def _is_dataframe(X: Any) -> bool:
    return hasattr(X, "iloc") and hasattr(X, "columns")


def _numeric(a: Any, index: int, what: str) -> np.ndarray:
    """Return ``a`` as a float64 array, or raise ``TypeError`` naming the star.

    Masked points of a ``numpy.ma`` array become NaN, so they are never read
    as data: a masked time or magnitude is an invalid point (refused, or
    dropped with ``on_invalid="drop_points"``), a masked error a missing one.
    """
    if type(a) is np.ndarray and a.dtype == np.float64:
        return a
    if a is None:
        raise LightCurveTypeError(index, f"{what} is None")
    if isinstance(a, (str, bytes)):
        raise LightCurveTypeError(index, f"{what} is a string ({a!r:.40}), expected numbers")
    if isinstance(a, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(a)
        arr = _numeric(np.ma.getdata(a), index, what)
        if mask.any():
            arr = arr.copy()
            arr[mask] = np.nan
        return arr
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError) as exc:  # ragged nested input
        raise LightCurveError(index, f"{what} could not be read as an array: {exc}") from exc
    if arr.dtype.kind not in "biuf":
        if arr.dtype.kind == "O":
            try:
                arr = arr.astype(np.float64)
            except (ValueError, TypeError) as exc:
                raise LightCurveTypeError(
                    index, f"{what} holds non-numeric values (dtype object)"
                ) from exc
        else:
            raise LightCurveTypeError(
                index, f"{what} has non-numeric dtype {arr.dtype}, expected numbers"
            )
    return arr.astype(np.float64, copy=False)


def _split_star(star: Any, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Split one star's raw container into time, magnitude and (optional) error."""
    if type(star) is tuple and len(star) in (2, 3):
        parts = star
        return _parts_to_arrays(parts, index)
    if star is None:
        raise LightCurveTypeError(index, "got None instead of a light curve")
    if isinstance(star, (str, bytes)):
        raise LightCurveTypeError(index, "got a string instead of a light curve")
    if isinstance(star, numbers.Number):
        raise LightCurveError(
            index, f"got a scalar ({star!r}); each light curve must be a (t, m[, err]) "
            "sequence or an (n, 2|3) array. Did you pass a single light curve instead of a "
            "list of them?"
        )
    if isinstance(star, dict):
        try:
            parts = [star["time"], star["mag"]] + ([star["err"]] if "err" in star else [])
        except KeyError as exc:
            raise LightCurveError(index, "dict light curves need 'time' and 'mag' keys") from exc
    elif isinstance(star, np.ndarray) and star.dtype.kind != "O":
        arr = _numeric(star, index, "the array")
        if arr.ndim != 2:
            raise LightCurveError(
                index, f"expected a 2-D (n_points, 2|3) array, got {arr.ndim}-D array of "
                f"shape {arr.shape}. Did you pass a single light curve instead of a list of them?"
            )
        rows, cols = arr.shape
        if rows in (2, 3) and cols in (2, 3):
            raise LightCurveError(
                index, f"an array of shape {arr.shape} is ambiguous: {rows} points of "
                f"{cols} columns, or {rows} rows (time, mag[, err]) of {cols} points. Pass "
                "this star as a (t, m, err) tuple of 1-D arrays (or (t, m) without errors)"
            )
        if cols in (2, 3):
            parts = list(arr.T)
        elif rows in (2, 3):
            parts = list(arr)
        else:
            raise LightCurveError(
                index, f"array of shape {arr.shape} has neither 2 nor 3 columns "
                "(time, mag[, err])"
            )
    elif isinstance(star, (Sequence, np.ndarray)) or hasattr(star, "__len__"):
        parts = list(star)
    else:
        raise LightCurveTypeError(
            index, f"unsupported type {type(star).__name__}; expected a (t, m[, err]) tuple "
            "or an (n, 2|3) array"
        )
    if len(parts) not in (2, 3):
        raise LightCurveError(
            index, f"expected (t, m) or (t, m, err), got a sequence of {len(parts)} items. "
            "Did you pass a single light curve instead of a list of them?"
        )
    return _parts_to_arrays(parts, index)


def _parts_to_arrays(
    parts: Sequence[Any], index: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    names = ("time", "mag", "err")
    arrays = [_numeric(p, index, names[k]) for k, p in enumerate(parts)]
    for name, a in zip(names, arrays):
        if a.ndim != 1:
            raise LightCurveError(index, f"{name} must be 1-D, got an array of shape {a.shape}")
    err = arrays[2] if len(arrays) == 3 else None
    return arrays[0], arrays[1], err


def _canonical_star(
    t: np.ndarray,
    m: np.ndarray,
    err: np.ndarray | None,
    index: int,
    min_points: int,
    on_invalid: str,
    max_points: int | None = None,
) -> LightCurve:
    n = t.shape[0]
    if m.shape[0] != n or (err is not None and err.shape[0] != n):
        lens = f"time {n}, mag {m.shape[0]}" + ("" if err is None else f", err {err.shape[0]}")
        raise LightCurveError(index, f"mismatched array lengths ({lens})")
    if err is None:
        err = np.full(n, np.nan)
    # fast path: one sum per array tells whether any value is NaN or infinite
    tm_sum = float(np.add.reduce(t)) + float(np.add.reduce(m))
    err_sum = float(np.add.reduce(err))
    if not math.isfinite(tm_sum) or math.isinf(err_sum) or math.isnan(err_sum):
        bad = ~(np.isfinite(t) & np.isfinite(m)) | np.isinf(err)
    else:
        bad = None
    if bad is not None and bad.any():
        if on_invalid == "raise":
            k = int(np.flatnonzero(bad)[0])
            what, value = (
                ("time", t[k]) if not np.isfinite(t[k])
                else ("mag", m[k]) if not np.isfinite(m[k])
                else ("err", err[k])
            )
            raise LightCurveError(
                index, f"{int(bad.sum())} non-finite value(s) (first at point {k}: "
                f"{what}={value}); use on_invalid='drop_points' to drop such points"
            )
        keep = ~bad
        t, m, err = t[keep], m[keep], err[keep]
    if err.size and (np.any(err < 0) if bad is not None else err.min() < 0):
        k = int(np.flatnonzero(err < 0)[0])
        raise LightCurveError(index, f"negative error {err[k]} at point {k}")
    if t.shape[0] < min_points:
        raise LightCurveError(
            index, f"has {t.shape[0]} valid point(s), fewer than min_points={min_points}"
        )
    if max_points is not None and t.shape[0] > max_points:
        raise LightCurveError(
            index, f"has {t.shape[0]} points, more than max_points={max_points}"
        )
    if t.shape[0] > 1 and np.any(t[1:] < t[:-1]):
        order = np.argsort(t, kind="stable")
        t, m, err = t[order], m[order], err[order]
    return (
        np.ascontiguousarray(t, dtype=np.float64),
        np.ascontiguousarray(m, dtype=np.float64),
        np.ascontiguousarray(err, dtype=np.float64),
    )


def _stars_from_frame(X: Any, columns: Sequence[str]) -> list:
    tcol, mcol = columns[0], columns[1]
    ecol = columns[2] if len(columns) > 2 else None
    missing = [c for c in (tcol, mcol) if c not in X.columns]
    if missing:
        raise ValueError(
            f"DataFrame input needs one row per light curve with array cells in columns "
            f"{list(columns)}; missing {missing} (got columns {list(X.columns)}). For a "
            "long-format frame (one row per observation) use sklearn_lc.utils.from_long_frame."
        )
    has_err = ecol is not None and ecol in X.columns
    tv, mv = X[tcol].to_numpy(), X[mcol].to_numpy()
    ev = X[ecol].to_numpy() if has_err else None
    if len(tv) and np.ndim(tv[0]) == 0:
        raise ValueError(
            f"DataFrame column {tcol!r} holds scalars, not arrays: this looks like a long-format "
            "frame (one row per observation); use sklearn_lc.utils.from_long_frame(df, id=...)"
        )
    return [(tv[i], mv[i]) + ((ev[i],) if has_err else ()) for i in range(len(tv))]


def _stars_from_padded(X: np.ndarray) -> list:
    if X.shape[2] not in (2, 3):
        raise ValueError(
            f"3-D input must have shape (n_stars, n_points, 2|3), got {X.shape}"
        )
    stars = []
    for i in range(X.shape[0]):
        a = X[i]
        padding = np.isnan(a).all(axis=1)
        stars.append(tuple(a[~padding].T))
    return stars


def check_light_curves(
    X: Any,
    *,
    min_points: int = 1,
    on_invalid: str = "raise",
    columns: Sequence[str] = ("time", "mag", "err"),
    max_points: int | None = None,
) -> list[LightCurve]:
    """Validate light curves and return them in the canonical form.

    This is the only function that turns user input into light curves; every
    transformer and estimator of sklearn_lc calls it.

    Parameters
    ----------
    X : list, tuple, pandas.DataFrame or ndarray
        The light curves, in one of these forms:

        - a list (or tuple, or 1-D object array) with one entry per star, each a
          ``(t, m)`` / ``(t, m, err)`` sequence of 1-D arrays, a dict with
          ``time``, ``mag`` (and ``err``) keys, or an ``(n_i, 2|3)`` array
          (``(2|3, n_i)`` is also read, channels first, when the array does not
          have 2 or 3 columns; an array whose both sides are 2 or 3, such as
          ``(3, 2)`` or ``(3, 3)``, is ambiguous and refused: pass such a star
          as a ``(t, m, err)`` tuple);
        - a one-row-per-star ``pandas.DataFrame`` whose cells are arrays, with
          the columns named by ``columns``;
        - a NaN-padded float array of shape ``(n_stars, n_points, 2|3)``, in
          which rows that are entirely NaN are padding.

        A long-format table (one row per observation) is read with
        :func:`from_long_frame`. A mapping (``dict``) is not a collection:
        pass ``list(d.values())``.

        ``numpy.ma`` masked arrays are accepted anywhere an array is: masked
        points are never used as data. A masked time or magnitude makes the
        point invalid, like NaN (refused, or dropped with
        ``on_invalid="drop_points"``); a masked error is a missing error (NaN).
    min_points : int, default=1
        Fewest valid points a star may have.
    on_invalid : {"raise", "drop_points"}, default="raise"
        What to do with points whose time or magnitude is not finite, or whose
        error is infinite: raise a ``ValueError`` naming the star, or drop those
        points (never the star).
    columns : sequence of str, default=("time", "mag", "err")
        Column names used for DataFrame input; the error column is optional.
    max_points : int, optional
        Most points a star may have (for quadratic-cost consumers such as
        dm-dt images); ``None`` means no limit.

    Returns
    -------
    light_curves : list of tuple of ndarray
        One ``(t, m, err)`` triple of float64 1-D arrays per input star, in input
        order, each sorted by time (stable, so duplicated times keep their
        order). A missing error is NaN.

    Raises
    ------
    LightCurveTypeError
        If a star holds non-numeric data (strings, None, objects); a
        ``TypeError``. ``TypeError`` if the collection itself is of the wrong
        type (None, a string, a dict).
    LightCurveError
        If a star has non-finite time or magnitude (with ``on_invalid="raise"``),
        a negative error, mismatched array lengths, the wrong dimensionality or
        fewer than ``min_points`` points; a ``ValueError`` whose ``index``
        attribute is the star's position (the message names it too).
        ``ValueError`` for problems of the whole collection (empty, bad shape).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lc.utils import check_light_curves
    >>> lcs = check_light_curves([([2.0, 1.0, 3.0], [10.1, 10.0, 10.2])])
    >>> lcs[0][0]
    array([1., 2., 3.])
    >>> lcs[0][2]
    array([nan, nan, nan])
    """
    if on_invalid not in _ON_INVALID:
        raise ValueError(f"on_invalid must be one of {_ON_INVALID}, got {on_invalid!r}")
    if not isinstance(min_points, numbers.Integral) or min_points < 0:
        raise ValueError(f"min_points must be a non-negative integer, got {min_points!r}")
    if max_points is not None and (not isinstance(max_points, numbers.Integral) or max_points < 1):
        raise ValueError(f"max_points must be a positive integer or None, got {max_points!r}")
    if (
        isinstance(X, _Canonical)
        and X.min_points >= min_points
        and (max_points is None or (X.max_points is not None and X.max_points <= max_points))
    ):
        return X
    if X is None:
        raise TypeError("expected a collection of light curves, got None")
    if isinstance(X, (str, bytes)):
        raise TypeError("expected a collection of light curves, got a string")
    if isinstance(X, Mapping):
        if "time" in X and "mag" in X:
            hint = ("it looks like one light curve: pass a list of light curves, here "
                    "[your_dict] (or [(time, mag, err)])")
        else:
            hint = ("pass a list of light curves, e.g. list(d.values()), and keep the keys "
                    "(list(d)) as the star ids")
        raise TypeError(f"expected a collection of light curves, got a {type(X).__name__}: {hint}")
    if _is_dataframe(X):
        stars = _stars_from_frame(X, columns)
    elif isinstance(X, np.ndarray) and X.dtype.kind != "O":
        if X.dtype.kind not in "biuf":
            raise TypeError(f"expected numeric light curves, got an array of dtype {X.dtype}")
        if X.ndim != 3:
            raise ValueError(
                f"a numeric array of light curves must be 3-D (n_stars, n_points, 2|3) and "
                f"NaN-padded; got a {X.ndim}-D array of shape {X.shape}"
            )
        if isinstance(X, np.ma.MaskedArray):  # masked points are never data
            X = np.ma.filled(X.astype(np.float64), np.nan)
        stars = _stars_from_padded(X.astype(np.float64, copy=False))
    elif isinstance(X, (list, tuple, np.ndarray)) or (
        hasattr(X, "__len__") and hasattr(X, "__getitem__")
    ):
        stars = X
    else:
        raise TypeError(
            f"expected a list of light curves, a DataFrame or a 3-D array, got {type(X).__name__}"
        )
    if len(stars) == 0:
        raise ValueError("got an empty collection: at least one light curve is required")
    out = _Canonical()
    out.min_points = min_points
    out.max_points = max_points
    for i, star in enumerate(stars):
        t, m, err = _split_star(star, i)
        out.append(_canonical_star(t, m, err, i, min_points, on_invalid, max_points))
    return out


def from_long_frame(
    df: Any,
    *,
    id: str = "id",  # noqa: A002 - the column name users expect
    time: str = "time",
    mag: str = "mag",
    err: str | None = "err",
    min_points: int = 1,
    on_invalid: str = "raise",
) -> tuple[list[LightCurve], np.ndarray]:
    """Read a long-format table (one row per observation) into light curves.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per observation.
    id, time, mag : str
        Names of the star-identifier, time and magnitude columns.
    err : str or None, default="err"
        Name of the error column; ``None`` or a missing column gives NaN errors.
    min_points : int, default=1
        Passed to :func:`check_light_curves`.
    on_invalid : {"raise", "drop_points"}, default="raise"
        Passed to :func:`check_light_curves`.

    Returns
    -------
    light_curves : list of tuple of ndarray
        Canonical light curves, in the order in which each id first appears.
    ids : ndarray
        The id of each light curve, same order.

    Raises
    ------
    LightCurveError
        For an invalid star; its ``index`` is the position in ``light_curves``
        and its ``star`` the id.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_lc.utils import from_long_frame
    >>> df = pd.DataFrame({"id": ["b", "a", "b"], "time": [1.0, 0.0, 0.5],
    ...                    "mag": [10.0, 12.0, 10.5], "err": [0.1, 0.1, 0.1]})
    >>> lcs, ids = from_long_frame(df)
    >>> ids.tolist()
    ['b', 'a']
    >>> lcs[0][0]
    array([0.5, 1. ])
    """
    if not _is_dataframe(df):
        raise TypeError(f"from_long_frame expects a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in (id, time, mag) if c not in df.columns]
    if missing:
        raise ValueError(
            f"long-format frame is missing column(s) {missing}; has {list(df.columns)}"
        )
    keys = df[id].to_numpy()
    codes, uniques = _first_seen_codes(keys)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    tv = df[time].to_numpy()[order]
    mv = df[mag].to_numpy()[order]
    has_err = err is not None and err in df.columns
    ev = df[err].to_numpy()[order] if has_err else None
    stars = []
    for k in range(len(uniques)):
        a, b = bounds[k], bounds[k + 1]
        stars.append((tv[a:b], mv[a:b]) + ((ev[a:b],) if has_err else ()))
    try:
        lcs = check_light_curves(stars, min_points=min_points, on_invalid=on_invalid)
    except LightCurveError as exc:
        raise exc.located(star=uniques[exc.index]) from exc
    return lcs, np.asarray(uniques)


def _first_seen_codes(keys: np.ndarray) -> tuple[np.ndarray, list]:
    import pandas as pd

    codes, uniques = pd.factorize(keys, sort=False)
    return codes, list(uniques)


def to_padded_array(light_curves: Any, *, fill_value: float = np.nan) -> np.ndarray:
    """Stack light curves into a NaN-padded ``(n_stars, max_points, 3)`` array.

    The inverse of the 3-D input form of :func:`check_light_curves`.

    Parameters
    ----------
    light_curves : any input accepted by :func:`check_light_curves`
        The light curves.
    fill_value : float, default=nan
        Value of the padding.

    Returns
    -------
    X : ndarray of shape (n_stars, max_points, 3)
        Time, magnitude and error of each star, padded after its last point.

    Examples
    --------
    >>> from sklearn_lc.utils import to_padded_array
    >>> to_padded_array([([0.0, 1.0], [5.0, 6.0], [0.1, 0.1]), ([0.0], [7.0], [0.2])]).shape
    (2, 2, 3)
    """
    lcs = check_light_curves(light_curves)
    width = max(len(t) for t, _, _ in lcs)
    out = np.full((len(lcs), width, 3), fill_value, dtype=np.float64)
    for i, lc in enumerate(lcs):
        n = len(lc[0])
        out[i, :n] = np.column_stack(lc)
    return out
