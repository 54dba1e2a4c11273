"""Readers of light-curve files: the project's ``.npz``, long-format CSV / Parquet, folders.

A *long-format* table has one row per observation, with a star-id column and
time, magnitude (and error) columns. :func:`read_light_curves` reads a whole
file into memory; :func:`iter_long_table` streams a large table star-chunk by
star-chunk, without ever holding the whole file; :func:`read_input` reads
light curves and labels the way the ``sklearn-lc`` command line does.

Star ids are text: ``012``, ``12``, ``1.0`` and ``1`` are four different
stars, and ``00004099`` stays ``00004099``. Every conversion to light curves
goes through :func:`~sklearn_lc.utils.from_long_frame` (hence
:func:`~sklearn_lc.utils.check_light_curves`), once; an invalid star raises
:class:`~sklearn_lc.utils.LightCurveError` (a ``ValueError``) naming the file
and the star id, with the star's position as its ``index``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .utils._validation import LightCurveError, from_long_frame

__all__ = ["iter_long_table", "light_curve_digests", "read_input", "read_light_curves"]

_FORMATS = ("npz", "csv", "parquet", "folder")


def _infer_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in _FORMATS:
            raise ValueError(f"format must be one of {_FORMATS} or None, got {fmt!r}")
        return fmt
    if path.is_dir():
        return "folder"
    suffixes = [s.lower() for s in path.suffixes]
    if ".npz" in suffixes:
        return "npz"
    if ".parquet" in suffixes or ".pq" in suffixes:
        return "parquet"
    if ".csv" in suffixes or ".txt" in suffixes:
        return "csv"
    raise ValueError(
        f"{path}: cannot tell the format from the name; pass format= one of {_FORMATS}"
    )


def _check_columns(df: pd.DataFrame, needed: list[str], where: Any) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"{where}: missing column(s) {missing}; has {list(df.columns)}")


def _numeric_columns(
    df: pd.DataFrame, columns: list[str], where: Any, ids: Any, row0: int = 0
) -> pd.DataFrame:
    """Make ``columns`` float; a non-numeric cell raises, naming file, star and row.

    ``ids`` gives the star of each row (an array, or one id for the whole frame).
    """
    for c in columns:
        col = df[c]
        if col.dtype.kind in "biuf":
            continue
        num = pd.to_numeric(col, errors="coerce")
        bad = np.flatnonzero(num.isna().to_numpy() & col.notna().to_numpy())
        if bad.size:
            k = int(bad[0])
            star = ids if np.ndim(ids) == 0 else np.asarray(ids)[k]
            raise ValueError(
                f"{where}: star {star}: column {c!r} holds a non-numeric value "
                f"{col.iloc[k]!r} (data row {row0 + k}, 0-based, header excluded)"
            )
        df = df.assign(**{c: num.astype(np.float64)})
    return df


def _to_light_curves(
    frame: pd.DataFrame, where: Any, *, id: str, time: str, mag: str, err: str | None,  # noqa: A002
    min_points: int, on_invalid: str, first_index: int = 0,
) -> tuple[list, np.ndarray]:
    """``from_long_frame`` with errors located: file and star id (and index in the file)."""
    try:
        return from_long_frame(frame, id=id, time=time, mag=mag, err=err,
                               min_points=min_points, on_invalid=on_invalid)
    except LightCurveError as exc:
        raise exc.located(source=where, index=first_index + exc.index) from exc
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{where}: {exc}") from exc


_COMPRESSION = (".gz", ".bz2", ".zip", ".xz", ".zst", ".tar")
_TABLE_SUFFIXES = (".csv", ".txt", ".parquet", ".pq")


def _star_name(path: Path) -> str:
    """Return the id of a one-star file: its name without table and compression suffixes."""
    name = path.name
    for suffixes in (_COMPRESSION, _TABLE_SUFFIXES):
        for suffix in suffixes:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                break
    return name


def _text_ids(df: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """Make the id column text (Parquet keeps its types); missing ids stay missing."""
    col = df[id_col]
    if col.dtype == object and all(isinstance(v, str) for v in col.dropna()):
        return df
    text = col.astype(str).where(col.notna(), None)
    return df.assign(**{id_col: text})


def _extra_columns(df: pd.DataFrame, id_col: str, used: set, ids: np.ndarray) -> dict:
    """Columns constant within every star, as per-star arrays (e.g. a label column)."""
    out = {}
    others = [c for c in df.columns if c not in used]
    if not others:
        return out
    grouped = df.groupby(id_col, sort=False)[others]
    nunique = grouped.nunique(dropna=False)
    first = grouped.first()
    for c in others:
        if (nunique[c] <= 1).all():
            out[c] = first[c].reindex(ids).to_numpy()
    return out


def _read_table(path: Path, fmt: str, id_col: str | None = None) -> pd.DataFrame:
    """Read a whole CSV or Parquet table, ids as text; ``ValueError`` naming the file."""
    if fmt == "csv":
        try:
            df = pd.read_csv(path, dtype=None if id_col is None else {id_col: str})
        except pd.errors.EmptyDataError as exc:
            raise ValueError(f"{path}: empty file (no header, no rows)") from exc
        except (ValueError, UnicodeError) as exc:  # parser errors, binary files
            raise ValueError(f"{path}: not a readable CSV table ({exc})") from exc
    else:
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:  # pragma: no cover - the parquet extra is missing
            raise ImportError(
                "reading Parquet needs pyarrow: pip install 'sklearn_lc[parquet]'"
            ) from exc
        try:
            df = pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: not a readable Parquet table ({exc})") from exc
        if id_col is not None and id_col in df.columns:
            df = _text_ids(df, id_col)
    if len(df) == 0:
        raise ValueError(f"{path}: the table has no rows (columns {list(df.columns)})")
    return df


def read_light_curves(
    path: str | os.PathLike,
    *,
    id: str = "id",  # noqa: A002 - the column name users expect
    time: str = "time",
    mag: str = "mag",
    err: str | None = "err",
    format: str | None = None,  # noqa: A002
    min_points: int = 1,
    on_invalid: str = "raise",
) -> Bunch:
    """Read light curves from a file or a folder.

    Parameters
    ----------
    path : str or path-like
        An ``.npz`` file in the project's format (read by
        :func:`~sklearn_lc.datasets.load_light_curves`), a long-format
        ``.csv`` (may be compressed, ``.csv.gz``) or ``.parquet`` table (one
        row per observation), or a folder holding one ``.csv`` per star (the
        file stem is the star id, files read in name order).
    id, time, mag : str
        Column names of the star id, time and magnitude. Ids are read as
        text. The id column is not needed in a folder's files (the file name
        is the id), and a table without an ``id`` column (the default name) is
        read as one star, named after the file (``lc_42.csv`` is star
        ``lc_42``); an id column given another name must exist.
    err : str or None, default="err"
        Error column; ``None`` or absent: NaN errors.
    format : {"npz", "csv", "parquet", "folder"} or None, default=None
        ``None``: from the suffix (or ``"folder"`` for a directory).
    min_points : int, default=1
        Passed to :func:`~sklearn_lc.utils.check_light_curves`.
    on_invalid : {"raise", "drop_points"}, default="raise"
        Passed to :func:`~sklearn_lc.utils.check_light_curves`.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``light_curves`` (canonical list of ``(t, m, err)``), ``ids`` (str,
        one per star, in order of first appearance in the table, or file-name
        order),
        ``filename``; for a table, every other column that is constant within
        each star (a label, a period...) as a per-star array. For ``.npz``:
        the Bunch of :func:`~sklearn_lc.datasets.load_light_curves`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist or a folder holds no ``.csv`` file.
    ValueError
        If the file is empty or unreadable, a column is missing or holds a
        non-numeric value, or an id is missing; the message names the file
        (and the star and row).
    LightCurveError
        If a star is invalid (:class:`~sklearn_lc.utils.LightCurveError`, a
        ``ValueError``; a ``TypeError`` too for non-numeric data); the message
        names the file and the star id, ``index`` is its position.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> from sklearn_lc.io import read_light_curves
    >>> df = pd.DataFrame({"id": ["a", "a", "b"], "time": [1.0, 0.0, 5.0],
    ...                    "mag": [10.0, 10.5, 12.0], "err": [0.1, 0.1, 0.2],
    ...                    "label": ["RRab", "RRab", "EA"]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     df.to_csv(os.path.join(d, "lcs.csv"), index=False)
    ...     data = read_light_curves(os.path.join(d, "lcs.csv"))
    >>> data.ids.tolist(), data.label.tolist(), data.light_curves[0][0]
    (['a', 'b'], ['RRab', 'EA'], array([0., 1.]))

    Ids are text, so ``012`` and ``12`` are two stars:

    >>> df = pd.DataFrame({"id": ["012", "012", "12"], "time": [0.0, 1.0, 0.0],
    ...                    "mag": [10.0, 10.5, 12.0]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     df.to_csv(os.path.join(d, "lcs.csv"), index=False)
    ...     read_light_curves(os.path.join(d, "lcs.csv")).ids.tolist()
    ['012', '12']
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    fmt = _infer_format(path, format)
    if fmt == "npz":
        from .datasets import load_light_curves

        return load_light_curves(path)
    kw = dict(time=time, mag=mag, err=err, min_points=min_points, on_invalid=on_invalid)
    if fmt == "folder":
        return _read_folder(path, **kw)
    df = _read_table(path, fmt, id)
    if id == "id" and id not in df.columns and time in df.columns and mag in df.columns:
        df = df.assign(**{id: _star_name(path)})  # one star, named after the file
    _check_columns(df, [id, time, mag], path)
    has_err = err is not None and err in df.columns
    num_cols = [time, mag] + ([err] if has_err else [])
    df = _numeric_columns(df, num_cols, path, df[id].to_numpy())
    if df[id].isna().any():
        k = int(np.flatnonzero(df[id].isna().to_numpy())[0])
        raise ValueError(f"{path}: missing star id (column {id!r}) at data row {k}")
    lcs, ids = _to_light_curves(df, path, id=id, **kw)
    bunch = Bunch(light_curves=lcs, ids=ids.astype(str), filename=str(path))
    used = {id, time, mag} | ({err} if has_err else set())
    bunch.update(_extra_columns(df, id, used, ids))
    return bunch


def _read_folder(
    folder: Path, *, time: str, mag: str, err: str | None, min_points: int, on_invalid: str
) -> Bunch:
    files = sorted(p for p in folder.iterdir() if p.is_file() and ".csv" in p.suffixes)
    if not files:
        raise FileNotFoundError(f"{folder}: no .csv file (one per star) in this folder")
    frames = []
    for f in files:
        star = f.name.split(".csv")[0]
        df = _read_table(f, "csv")
        _check_columns(df, [time, mag], f)
        has_err = err is not None and err in df.columns
        cols = [time, mag] + ([err] if has_err else [])
        df = _numeric_columns(df[cols], cols, f, star)
        frames.append(df.assign(_star_id=star))
    long = pd.concat(frames, ignore_index=True)
    stems = {f.name.split(".csv")[0]: f for f in files}
    try:
        lcs, ids = from_long_frame(long, id="_star_id", time=time, mag=mag,
                                   err=err if err in long.columns else None,
                                   min_points=min_points, on_invalid=on_invalid)
    except LightCurveError as exc:
        raise exc.located(source=stems[exc.star]) from exc
    return Bunch(light_curves=lcs, ids=np.asarray(ids, dtype=object).astype(str),
                 filename=str(folder))


def _iter_batches(
    path: Path, fmt: str, columns: list[str], batch_rows: int, id_col: str
) -> Iterator:
    if fmt == "csv":
        yield from pd.read_csv(path, usecols=columns, chunksize=batch_rows,
                               dtype={id_col: str})
        return
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover
        raise ImportError("reading Parquet needs pyarrow: pip install 'sklearn_lc[parquet]'") \
            from exc
    # pre_buffer=False: pyarrow's default pre-buffering holds far more than one batch
    # (about the whole file for a 500 MB table), which defeats streaming
    pf = pq.ParquetFile(path, pre_buffer=False)
    try:
        for batch in pf.iter_batches(batch_size=batch_rows, columns=columns):
            yield _text_ids(batch.to_pandas(), id_col)
    finally:
        pf.close()


def _table_columns(path: Path, fmt: str) -> list[str]:
    if fmt == "csv":
        try:
            return list(pd.read_csv(path, nrows=0).columns)
        except pd.errors.EmptyDataError as exc:
            raise ValueError(f"{path}: empty file (no header, no rows)") from exc
    import pyarrow.parquet as pq

    return list(pq.ParquetFile(path).schema_arrow.names)


def iter_long_table(
    path: str | os.PathLike,
    chunk_stars: int = 10000,
    *,
    id: str = "id",  # noqa: A002
    time: str = "time",
    mag: str = "mag",
    err: str | None = "err",
    format: str | None = None,  # noqa: A002
    batch_rows: int = 200_000,
    min_points: int = 1,
    on_invalid: str = "raise",
) -> Iterator[tuple[np.ndarray, list]]:
    """Stream a long-format CSV or Parquet table as chunks of whole light curves.

    The file is read ``batch_rows`` rows at a time (pandas ``read_csv``
    chunks, pyarrow ``ParquetFile.iter_batches``), never whole. The rows of a
    star must be **contiguous** (the file sorted or grouped by id); a star
    cut by a batch boundary is carried over to the next batch, so every
    yielded light curve is complete. Memory holds about one batch plus one
    chunk of stars.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` (possibly compressed) or ``.parquet`` file.
    chunk_stars : int, default=10000
        Stars per yielded chunk (the last chunk may be smaller).
    id, time, mag : str
        Column names.
    err : str or None, default="err"
        Error column; ``None`` or absent: NaN errors.
    format : {"csv", "parquet"} or None, default=None
        ``None``: from the suffix.
    batch_rows : int, default=200000
        Rows read per batch.
    min_points : int, default=1
        Passed to :func:`~sklearn_lc.utils.check_light_curves`.
    on_invalid : {"raise", "drop_points"}, default="raise"
        Passed to :func:`~sklearn_lc.utils.check_light_curves`.

    Yields
    ------
    ids : ndarray
        The star ids of the chunk (text), in file order.
    light_curves : list of tuple of ndarray
        Their canonical ``(t, m, err)`` light curves.

    Raises
    ------
    ValueError
        If a star's rows are not contiguous (it reappears after another
        star), an id is missing, a column is missing or non-numeric, or a
        star is invalid; the message names the file and the star id.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> from sklearn_lc.io import iter_long_table
    >>> df = pd.DataFrame({"id": [1, 1, 2, 3, 3, 3], "time": [0.0, 1, 0, 0, 1, 2],
    ...                    "mag": [10.0, 11, 12, 13, 14, 15]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     df.to_csv(os.path.join(d, "lc.csv"), index=False)
    ...     chunks = list(iter_long_table(os.path.join(d, "lc.csv"), chunk_stars=2,
    ...                                   batch_rows=4))
    >>> [ids.tolist() for ids, _ in chunks]
    [['1', '2'], ['3']]
    >>> chunks[1][1][0][1]
    array([13., 14., 15.])
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    fmt = _infer_format(path, format)
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"{path}: iter_long_table streams CSV or Parquet tables, not {fmt!r}")
    for name, v in (("chunk_stars", chunk_stars), ("batch_rows", batch_rows)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    header = _table_columns(path, fmt)
    _check_columns(pd.DataFrame(columns=header), [id, time, mag], path)
    has_err = err is not None and err in header
    columns = [id, time, mag] + ([err] if has_err else [])
    num_cols = columns[1:]
    kw = dict(id=id, time=time, mag=mag, err=err if has_err else None,
              min_points=min_points, on_invalid=on_invalid)

    seen: set = set()  # ids of stars already complete
    carry = None  # rows of the last (maybe incomplete) star of the previous batch
    buffer: list[pd.DataFrame] = []  # complete stars not yet yielded
    n_buffered = 0
    row0 = 0
    n_yielded = 0
    for batch in _iter_batches(path, fmt, columns, int(batch_rows), id):
        batch = batch[columns]
        keys = batch[id].to_numpy()
        if pd.isna(keys).any():
            k = int(np.flatnonzero(pd.isna(keys))[0])
            raise ValueError(f"{path}: missing star id (column {id!r}) at data row {row0 + k}")
        batch = _numeric_columns(batch, num_cols, path, keys, row0)
        row0 += len(batch)
        if carry is not None:
            batch = pd.concat([carry, batch], ignore_index=True)
            keys = batch[id].to_numpy()
        if len(batch) == 0:
            continue
        starts = np.r_[0, np.flatnonzero(keys[1:] != keys[:-1]) + 1]
        run_ids = keys[starts]
        dup = pd.Index(run_ids).duplicated()
        if dup.any():
            star = run_ids[np.flatnonzero(dup)[0]]
            raise ValueError(
                f"{path}: star {star} appears in two separate runs of rows; "
                "iter_long_table needs the rows of each star contiguous (sort the file by id)"
            )
        for star in run_ids:
            if star in seen:
                raise ValueError(
                    f"{path}: star {star} reappears after other stars; iter_long_table "
                    "needs the rows of each star contiguous (sort the file by id)"
                )
        last = int(starts[-1])
        seen.update(run_ids[:-1].tolist())
        carry = batch.iloc[last:]
        if last:
            buffer.append(batch.iloc[:last])
            n_buffered += len(starts) - 1
        while n_buffered >= chunk_stars:
            frame = pd.concat(buffer, ignore_index=True) if len(buffer) > 1 else buffer[0]
            k = frame[id].to_numpy()
            bounds = np.r_[0, np.flatnonzero(k[1:] != k[:-1]) + 1, len(k)]
            cut = int(bounds[chunk_stars])
            lcs, ids = _to_light_curves(frame.iloc[:cut], path, first_index=n_yielded, **kw)
            n_yielded += len(ids)
            yield ids, lcs
            rest = frame.iloc[cut:]
            buffer = [rest] if len(rest) else []
            n_buffered -= chunk_stars
    if carry is not None and len(carry):
        buffer.append(carry)
        n_buffered += 1
    if n_buffered:
        frame = pd.concat(buffer, ignore_index=True) if len(buffer) > 1 else buffer[0]
        k = frame[id].to_numpy()
        bounds = np.r_[0, np.flatnonzero(k[1:] != k[:-1]) + 1, len(k)]
        for a in range(0, n_buffered, chunk_stars):
            part = frame.iloc[int(bounds[a]) : int(bounds[min(a + chunk_stars, n_buffered)])]
            lcs, ids = _to_light_curves(part, path, first_index=n_yielded, **kw)
            n_yielded += len(ids)
            yield ids, lcs


# ----------------------------------------------------------------------------- read_input

def _source_path(source: str | os.PathLike) -> Path | None:
    """Return what :func:`read_input` would read (a data-set name resolved), or None."""
    path = Path(source).expanduser()
    if path.exists():
        return path
    from .datasets._base import KNOWN_DATASETS, _find_file

    if str(source) in KNOWN_DATASETS:
        try:
            return _find_file(str(source), None)
        except FileNotFoundError:
            return None
    return None


def read_input(
    source: str | os.PathLike,
    *,
    id_col: str = "id",
    time_col: str = "time",
    mag_col: str = "mag",
    err_col: str = "err",
    label_col: str = "label",
    labels: str | os.PathLike | None = None,
    need_labels: bool = False,
    on_invalid: str = "raise",
) -> Bunch:
    """Read light curves (and labels when present) the way the command line does.

    Parameters
    ----------
    source : str or path-like
        An ``.npz`` file in the project's format (labelled or not, read by
        :func:`~sklearn_lc.datasets.load_light_curves`), a long-format
        ``.csv`` / ``.parquet`` table (one row per observation), a folder of
        one ``.csv`` per star (the file name is the id), or the name of a
        known data set (``crts_drake14``...). Tables and folders are read by
        :func:`read_light_curves`.
    id_col, time_col, mag_col, err_col, label_col : str
        Column names in tables.
    labels : str or path-like, optional
        A ``.csv`` or ``.parquet`` table with columns ``id_col`` and
        ``label_col`` giving each star's label (ids and labels read as text);
        overrides labels found in ``source``. An id may repeat with the same
        label, never with two different labels.
    need_labels : bool, default=False
        Raise when no labels are found.
    on_invalid : {"raise", "drop_points"}, default="raise"
        Passed to :func:`~sklearn_lc.utils.check_light_curves`.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``light_curves`` (canonical list), ``ids`` (str array), ``target``
        (str array: an ``.npz`` ``label`` array, a ``label_col`` column
        constant within each star, or ``labels``; ``None`` when unlabelled),
        ``group`` (when the data have one) and ``source`` (the path read).

    Raises
    ------
    FileNotFoundError
        If ``source`` is neither a file, a folder nor a known data set, or
        ``labels`` does not exist.
    ValueError
        For an unreadable or malformed file, a missing column, a star without
        a label, an id with two labels, or no labels when ``need_labels``;
        the message names the file. An invalid star raises
        :class:`~sklearn_lc.utils.LightCurveError`, naming the file and the
        star id.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> from sklearn_lc.io import read_input
    >>> df = pd.DataFrame({"id": ["007", "007", "7"], "time": [0.0, 1.0, 0.0],
    ...                    "mag": [10.0, 10.5, 12.0]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     df.to_csv(os.path.join(d, "lcs.csv"), index=False)
    ...     pd.DataFrame({"id": ["7", "007"], "label": ["EA", "EW"]}).to_csv(
    ...         os.path.join(d, "labels.csv"), index=False)
    ...     data = read_input(os.path.join(d, "lcs.csv"), labels=os.path.join(d, "labels.csv"))
    >>> data.ids.tolist(), data.target.tolist()
    (['007', '7'], ['EW', 'EA'])
    """
    from .datasets import KNOWN_DATASETS, load_light_curves

    path = Path(source).expanduser()
    data = Bunch(target=None)
    if path.is_file() and path.suffix.lower() in (".npz", ".npy"):
        bunch = load_light_curves(path, on_invalid=on_invalid)
    elif path.exists():
        bunch = read_light_curves(path, id=id_col, time=time_col, mag=mag_col, err=err_col,
                                  on_invalid=on_invalid)
        if label_col in bunch:
            bunch["target"] = bunch[label_col]
    elif str(source) in KNOWN_DATASETS:
        bunch = load_light_curves(str(source), on_invalid=on_invalid)
        path = Path(bunch.filename)
    else:
        raise FileNotFoundError(
            f"{source}: no such file or directory, and not a known data set "
            f"({', '.join(KNOWN_DATASETS)})"
        )
    data.light_curves = bunch.light_curves
    data.ids = np.asarray(bunch.ids).astype(str)
    if bunch.get("target") is not None:
        data.target = np.asarray(bunch["target"]).astype(str)
    if bunch.get("group") is not None:
        data.group = np.asarray(bunch["group"])
    if labels is not None:
        data.target = _read_labels(Path(labels).expanduser(), data.ids, id_col, label_col)
    if need_labels and data.target is None:
        raise ValueError(
            f"{path}: no labels found (give an .npz with a 'label' array, a table with a "
            f"{label_col!r} column, or a labels file with columns {id_col!r} and {label_col!r})"
        )
    data.source = str(path)
    return data


def _read_labels(path: Path, ids: np.ndarray, id_col: str, label_col: str) -> np.ndarray:
    """Return the label of each of ``ids`` from a two-column table (text ids, labels)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such labels file")
    fmt = _infer_format(path, None)
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"{path}: labels must be a .csv or .parquet table")
    if fmt == "csv":
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError as exc:
            raise ValueError(f"{path}: empty file (no header, no rows)") from exc
        except (ValueError, UnicodeError) as exc:
            raise ValueError(f"{path}: not a readable CSV table ({exc})") from exc
    else:
        df = _read_table(path, fmt)
    _check_columns(df, [id_col, label_col], path)
    df = _text_ids(_text_ids(df, id_col), label_col)
    for col in (id_col, label_col):
        empty = df[col].isna() | (df[col] == "")
        if empty.any():
            k = int(np.flatnonzero(empty.to_numpy())[0])
            raise ValueError(f"{path}: empty {col!r} at data row {k} (0-based, header excluded)")
    pairs = df[[id_col, label_col]].drop_duplicates()
    twice = pairs[id_col].duplicated(keep=False)
    if twice.any():
        star = pairs[id_col][twice].iloc[0]
        both = sorted(pairs[label_col][pairs[id_col] == star])
        raise ValueError(
            f"{path}: star {star} has {len(both)} different labels "
            f"({', '.join(map(repr, both))}); give each star one label"
        )
    mapping = dict(zip(pairs[id_col], pairs[label_col]))
    absent = [i for i in ids if i not in mapping]
    if absent:
        more = f" (and {len(absent) - 1} more)" if len(absent) > 1 else ""
        raise ValueError(f"{path}: no label for star {absent[0]}{more}")
    return np.asarray([mapping[i] for i in ids])


def light_curve_digests(light_curves: Any) -> np.ndarray:
    """Return a short digest of each light curve's times and magnitudes.

    Two light curves have the same digest when their times agree to 1e-6 day
    and their magnitudes to 1e-4 mag (after the canonical sorting by time),
    whatever the file format they were read from; errors are left out. The
    command line records these digests of the training stars in a model
    directory so that ``sklearn-lc evaluate`` can tell when it is given
    stars the model was trained on.

    Parameters
    ----------
    light_curves : any input accepted by :func:`~sklearn_lc.utils.check_light_curves`
        The light curves.

    Returns
    -------
    digests : ndarray of str
        One 16-character hexadecimal string (64 bits of BLAKE2b) per star, in
        order.

    Examples
    --------
    >>> from sklearn_lc.io import light_curve_digests
    >>> a = ([0.0, 1.0, 2.0], [15.0, 15.2, 15.1])
    >>> b = ([2.0, 0.0, 1.0], [15.1, 15.0, 15.2000000001], [0.1, 0.1, 0.1])
    >>> d = light_curve_digests([a, b, ([0.0], [15.0])])
    >>> d[0] == d[1], d[0] == d[2], len(d[0])
    (True, False, 16)
    """
    import hashlib

    from .utils._validation import check_light_curves

    out = []
    for t, m, _ in check_light_curves(light_curves, min_points=0):
        h = hashlib.blake2b(digest_size=8)
        h.update(np.ascontiguousarray(np.round(t, 6) + 0.0).tobytes())  # + 0.0: no -0.0
        h.update(b"|")
        h.update(np.ascontiguousarray(np.round(m, 4) + 0.0).tobytes())
        out.append(h.hexdigest())
    return np.asarray(out)
