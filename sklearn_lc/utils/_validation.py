"""The single light-curve input contract of sklearn_lc.

Every public transformer and estimator turns user input into the canonical
form with :func:`check_light_curves`; nothing else in the package parses
containers of light curves.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["check_light_curves", "from_long_frame", "to_padded_array"]

LightCurve = tuple[np.ndarray, np.ndarray, np.ndarray]

_ON_INVALID = ("raise", "drop_points")


class _Canonical(list):
    """A list of canonical light curves, so a second validation is free."""

    __slots__ = ("min_points", "max_points")


def _is_dataframe(X: Any) -> bool:
    return hasattr(X, "iloc") and hasattr(X, "columns")


def _numeric(a: Any, index: int, what: str) -> np.ndarray:
    """Return ``a`` as a float64 array, or raise ``TypeError`` naming the star."""
    if type(a) is np.ndarray and a.dtype == np.float64:
        return a
    if a is None:
        raise TypeError(f"light curve {index}: {what} is None")
    if isinstance(a, (str, bytes)):
        raise TypeError(
            f"light curve {index}: {what} is a string ({a!r:.40}), expected numbers"
        )
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError) as exc:  # ragged nested input
        raise ValueError(
            f"light curve {index}: {what} could not be read as an array: {exc}"
        ) from exc
    if arr.dtype.kind not in "biuf":
        if arr.dtype.kind == "O":
            try:
                arr = arr.astype(np.float64)
            except (ValueError, TypeError) as exc:
                raise TypeError(
                    f"light curve {index}: {what} holds non-numeric values (dtype object)"
                ) from exc
        else:
            raise TypeError(
                f"light curve {index}: {what} has non-numeric dtype {arr.dtype}, expected numbers"
            )
    return arr.astype(np.float64, copy=False)


def _split_star(star: Any, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Split one star's raw container into time, magnitude and (optional) error."""
    if type(star) is tuple and len(star) in (2, 3):
        parts = star
        return _parts_to_arrays(parts, index)
    if star is None:
        raise TypeError(f"light curve {index}: got None instead of a light curve")
    if isinstance(star, (str, bytes)):
        raise TypeError(f"light curve {index}: got a string instead of a light curve")
    if isinstance(star, numbers.Number):
        raise ValueError(
            f"light curve {index}: got a scalar ({star!r}); each light curve must be a "
            "(t, m[, err]) sequence or an (n, 2|3) array. Did you pass a single light curve "
            "instead of a list of them?"
        )
    if isinstance(star, dict):
        try:
            parts = [star["time"], star["mag"]] + ([star["err"]] if "err" in star else [])
        except KeyError as exc:
            raise ValueError(
                f"light curve {index}: dict light curves need 'time' and 'mag' keys"
            ) from exc
    elif isinstance(star, np.ndarray) and star.dtype.kind != "O":
        arr = _numeric(star, index, "the array")
        if arr.ndim != 2:
            raise ValueError(
                f"light curve {index}: expected a 2-D (n_points, 2|3) array, got "
                f"{arr.ndim}-D array of shape {arr.shape}. Did you pass a single light curve "
                "instead of a list of them?"
            )
        if arr.shape[1] in (2, 3):
            cols = arr.T
        elif arr.shape[0] in (2, 3):
            cols = arr
        else:
            raise ValueError(
                f"light curve {index}: array of shape {arr.shape} has neither 2 nor 3 columns "
                "(time, mag[, err])"
            )
        parts = list(cols)
    elif isinstance(star, (Sequence, np.ndarray)) or hasattr(star, "__len__"):
        parts = list(star)
    else:
        raise TypeError(
            f"light curve {index}: unsupported type {type(star).__name__}; expected a "
            "(t, m[, err]) tuple or an (n, 2|3) array"
        )
    if len(parts) not in (2, 3):
        raise ValueError(
            f"light curve {index}: expected (t, m) or (t, m, err), got a sequence of "
            f"{len(parts)} items. Did you pass a single light curve instead of a list of them?"
        )
    return _parts_to_arrays(parts, index)


def _parts_to_arrays(
    parts: Sequence[Any], index: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    names = ("time", "mag", "err")
    arrays = [_numeric(p, index, names[k]) for k, p in enumerate(parts)]
    for name, a in zip(names, arrays):
        if a.ndim != 1:
            raise ValueError(
                f"light curve {index}: {name} must be 1-D, got an array of shape {a.shape}"
            )
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
        raise ValueError(f"light curve {index}: mismatched array lengths ({lens})")
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
            raise ValueError(
                f"light curve {index}: {int(bad.sum())} non-finite value(s) "
                f"(first at point {k}: {what}={value}); "
                "use on_invalid='drop_points' to drop such points"
            )
        keep = ~bad
        t, m, err = t[keep], m[keep], err[keep]
    if err.size and (np.any(err < 0) if bad is not None else err.min() < 0):
        k = int(np.flatnonzero(err < 0)[0])
        raise ValueError(f"light curve {index}: negative error {err[k]} at point {k}")
    if t.shape[0] < min_points:
        raise ValueError(
            f"light curve {index}: has {t.shape[0]} valid point(s), fewer than "
            f"min_points={min_points}"
        )
    if max_points is not None and t.shape[0] > max_points:
        raise ValueError(
            f"light curve {index}: has {t.shape[0]} points, more than max_points={max_points}"
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
        stars.append(a[~padding].T)
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
          have 2 or 3 columns; a square 3x3 array is read as 3 points);
        - a one-row-per-star ``pandas.DataFrame`` whose cells are arrays, with
          the columns named by ``columns``;
        - a NaN-padded float array of shape ``(n_stars, n_points, 2|3)``, in
          which rows that are entirely NaN are padding.

        A long-format table (one row per observation) is read with
        :func:`from_long_frame`.
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
    TypeError
        If the input or a star holds non-numeric data (strings, None, objects).
    ValueError
        If a star has non-finite time or magnitude (with ``on_invalid="raise"``),
        a negative error, mismatched array lengths, the wrong dimensionality or
        fewer than ``min_points`` points. The message names the star's index.

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
    lcs = check_light_curves(stars, min_points=min_points, on_invalid=on_invalid)
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
