"""Loaders for the project's ``.npz`` light-curve format."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from ..utils._validation import LightCurveError, check_light_curves

__all__ = ["get_data_home", "load_light_curves", "KNOWN_DATASETS"]

KNOWN_DATASETS = ("crts_drake14", "asas_richards12", "sdss_s82_rrlyrae")
ENV_VAR = "SKLEARN_LC_DATA"


def _checkout_data_dir() -> Path:
    # <checkout>/sklearn_lc/datasets/_base.py -> <checkout>/../shared/data
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def get_data_home(data_home: str | os.PathLike | None = None) -> list[Path]:
    """Return the folders searched for data sets, in order.

    Parameters
    ----------
    data_home : str or path-like, optional
        A folder given explicitly; searched first.

    Returns
    -------
    folders : list of Path
        ``data_home`` if given, else the ``SKLEARN_LC_DATA`` environment
        variable if set, then ``../shared/data`` next to the source checkout and
        next to the current directory when present.
    """
    if data_home is not None:
        return [Path(data_home).expanduser()]
    candidates = []
    if os.environ.get(ENV_VAR):
        candidates.append(Path(os.environ[ENV_VAR]).expanduser())
    candidates.append(_checkout_data_dir())
    candidates.append(Path.cwd().parent / "shared" / "data")
    candidates.append(Path.cwd() / "shared" / "data")
    seen, out = set(), []
    for c in candidates:
        key = str(c.resolve()) if c.exists() else str(c)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _find_file(name_or_path: str | os.PathLike, data_home: Any) -> Path:
    p = Path(name_or_path).expanduser()
    if p.suffix == ".npz" or p.is_file():
        if p.is_file():
            return p
        raise FileNotFoundError(f"no such light-curve file: {p}")
    name = str(name_or_path)
    looked = []
    for folder in get_data_home(data_home):
        for cand in (folder / name / f"{name}.npz", folder / f"{name}.npz"):
            looked.append(str(cand))
            if cand.is_file():
                return cand
    raise FileNotFoundError(
        f"data set {name!r} not found. Looked in:\n  "
        + "\n  ".join(looked)
        + f"\nPass data_home=<folder holding {name}/{name}.npz>, set the {ENV_VAR} "
        "environment variable to that folder, or give the path of an .npz file. "
        f"Known names: {', '.join(KNOWN_DATASETS)}."
    )


def _load_arrays(path: Path) -> dict:
    """Every array of an ``.npz`` file, or ``ValueError`` naming the file."""
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path}: not a readable .npz file ({exc})") from exc
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(
            f"{path}: holds a single array (.npy format), not an .npz light-curve file with "
            "'time', 'mag', 'err' and 'offsets' arrays"
        )
    with npz:
        arrays = {}
        for key in npz.files:  # materialise each array once
            try:
                arrays[key] = npz[key]
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
                raise ValueError(f"{path}: array {key!r} cannot be read ({exc})") from exc
    return arrays


def _check_point_arrays(arrays: dict, path: Path, band: str = "") -> int:
    """Check a band's ``time``/``mag``/``err``/``offsets`` arrays; return its number of stars."""
    time, mag, err, off = (f"{k}{band}" for k in ("time", "mag", "err", "offsets"))
    for key in (time, mag, off):
        if key not in arrays:
            raise ValueError(f"{path}: not a light-curve file, missing array {key!r}")
    n_points = None
    for key in (time, mag, err):
        if key not in arrays:
            continue
        a = arrays[key]
        if a.ndim != 1 or a.dtype.kind not in "biuf":
            raise ValueError(
                f"{path}: array {key!r} must be 1-D and numeric, got shape {a.shape} and "
                f"dtype {a.dtype}"
            )
        if n_points is None:
            n_points = a.shape[0]
        elif a.shape[0] != n_points:
            raise ValueError(
                f"{path}: array {key!r} has {a.shape[0]} values but {time!r} has {n_points}"
            )
    o = arrays[off]
    if o.ndim != 1 or o.size == 0:
        raise ValueError(
            f"{path}: array {off!r} must be 1-D with one entry per star plus one, got shape "
            f"{o.shape}"
        )
    if o.dtype.kind not in "iu":
        raise ValueError(f"{path}: array {off!r} must hold integers, got dtype {o.dtype}")
    if (o < 0).any():
        k = int(np.flatnonzero(o < 0)[0])
        raise ValueError(f"{path}: array {off!r} has a negative offset {o[k]} at position {k}")
    if o[0] != 0:
        raise ValueError(f"{path}: array {off!r} must start at 0, starts at {o[0]}")
    step = np.diff(o)
    if (step < 0).any():
        k = int(np.flatnonzero(step < 0)[0])
        raise ValueError(
            f"{path}: array {off!r} decreases at position {k + 1} ({o[k]} then {o[k + 1]})"
        )
    if o[-1] != n_points:
        raise ValueError(
            f"{path}: array {off!r} ends at {o[-1]} but {time!r} has {n_points} "
            f"point{'' if n_points == 1 else 's'}"
        )
    return o.size - 1


def _split(arrays: dict, prefix_t: str, prefix_m: str, prefix_e: str, off_key: str) -> list:
    t = np.asarray(arrays[prefix_t], dtype=np.float64)
    m = np.asarray(arrays[prefix_m], dtype=np.float64)
    e = np.asarray(arrays[prefix_e], dtype=np.float64) if prefix_e in arrays else None
    o = np.asarray(arrays[off_key], dtype=np.int64)
    if e is None:
        return [(t[a:b], m[a:b]) for a, b in zip(o[:-1], o[1:])]
    return [(t[a:b], m[a:b], e[a:b]) for a, b in zip(o[:-1], o[1:])]


def _per_star(arrays: dict, key: str, n: int, path: Path) -> np.ndarray | None:
    if key not in arrays:
        return None
    a = np.asarray(arrays[key])
    if a.ndim != 1 or a.shape[0] != n:
        raise ValueError(
            f"{path}: array {key!r} has shape {a.shape}, expected one entry per star ({n}, "
            "the length of 'offsets' minus one)"
        )
    return a


def _validated(
    stars: list, path: Path, ids: np.ndarray, band: str = "", **kwargs: Any
) -> list:
    try:
        return check_light_curves(stars, **kwargs)
    except LightCurveError as exc:
        where = f"{path} (band {band})" if band else path
        raise exc.located(star=ids[exc.index], source=where) from exc
    except ValueError as exc:  # the collection as a whole (empty...)
        raise ValueError(f"{path}: {exc}") from exc


def load_light_curves(
    name_or_path: str | os.PathLike,
    data_home: str | os.PathLike | None = None,
    *,
    classes: Sequence[str] | None = None,
    as_frame: bool = False,
    on_invalid: str = "raise",
) -> Bunch:
    """Load a light-curve data set in the project's ``.npz`` format.

    Parameters
    ----------
    name_or_path : str or path-like
        A data-set name (``"crts_drake14"``, ``"asas_richards12"``,
        ``"sdss_s82_rrlyrae"``), looked up as ``<folder>/<name>/<name>.npz`` or
        ``<folder>/<name>.npz``, or the path of an ``.npz`` file.
    data_home : str or path-like, optional
        Folder holding the data sets. Defaults to the ``SKLEARN_LC_DATA``
        environment variable, else ``../shared/data`` beside the checkout.
    classes : sequence of str, optional
        Keep only stars with these labels (in file order).
    as_frame : bool, default=False
        If True, ``frame`` is a one-row-per-star DataFrame with array cells
        ``time``, ``mag``, ``err`` plus ``target``, ``id`` and the other
        per-star columns; it is accepted by every transformer.
    on_invalid : {"raise", "drop_points"}, default="raise"
        Passed to :func:`~sklearn_lc.utils.check_light_curves`: refuse a star
        with a non-finite time or magnitude, or drop those points.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``light_curves`` (canonical list of ``(t, m, err)``), ``target`` (str
        labels; ``None`` for a file without a ``label`` array), ``ids`` (str;
        ``"0"``, ``"1"``... when the file has no ``id`` array), every other
        per-star array of the file (``group``, ``period``, ``ra``, ``dec``,
        ``split``...), ``light_curves_<band>`` for extra bands
        (``light_curves_r``), ``target_names`` (``None`` without labels),
        ``filename``, ``DESCR`` and ``frame`` (None unless ``as_frame``).

    Raises
    ------
    FileNotFoundError
        If the file cannot be found; the message lists where it looked.
    ValueError
        If the file is not an ``.npz`` light-curve file: unreadable, a single
        ``.npy`` array, a missing ``time``/``mag``/``offsets`` array, offsets
        that do not start at 0, do not end at the number of points, decrease,
        are negative or are not integers, or ``label``/``id`` arrays whose
        length is not the number of stars. The message names the file and the
        array. An invalid star raises
        :class:`~sklearn_lc.utils.LightCurveError` naming the file and the
        star id.

    Examples
    --------
    >>> from sklearn_lc.datasets import load_light_curves
    >>> data = load_light_curves("sdss_s82_rrlyrae")  # doctest: +SKIP
    >>> len(data.light_curves), sorted(set(data.target))  # doctest: +SKIP
    (483, ['RRab', 'RRc'])
    """
    path = _find_file(name_or_path, data_home)
    arrays = _load_arrays(path)
    n = _check_point_arrays(arrays, path)
    labels = _per_star(arrays, "label", n, path)
    target = None if labels is None else labels.astype(str)
    id_array = _per_star(arrays, "id", n, path)
    all_ids = np.arange(n).astype(str) if id_array is None else id_array.astype(str)
    select = np.arange(n)
    if classes is not None:
        if target is None:
            raise ValueError(f"{path}: has no 'label' array, so classes= cannot select stars")
        classes = [str(c) for c in classes]
        unknown = sorted(set(classes) - set(target))
        if unknown:
            raise ValueError(f"{path.name}: unknown classes {unknown}; has {sorted(set(target))}")
        select = np.flatnonzero(np.isin(target, classes))
    lcs = _split(arrays, "time", "mag", "err", "offsets")
    bunch = Bunch(filename=str(path))
    bunch.ids = all_ids[select]
    bunch.light_curves = _validated(
        [lcs[i] for i in select], path, bunch.ids, on_invalid=on_invalid
    )
    bunch.target = None if target is None else target[select]
    extra_bands = sorted(k[len("offsets_"):] for k in arrays if k.startswith("offsets_"))
    for band in extra_bands:
        n_band = _check_point_arrays(arrays, path, f"_{band}")
        if n_band != n:
            raise ValueError(
                f"{path}: array 'offsets_{band}' describes {n_band} star"
                f"{'' if n_band == 1 else 's'}, 'offsets' {n}"
            )
        lb = _split(arrays, f"time_{band}", f"mag_{band}", f"err_{band}", f"offsets_{band}")
        # a star may have no points in an extra band: keep its slot, as empty arrays
        bunch[f"light_curves_{band}"] = _validated(
            [lb[i] for i in select], path, bunch.ids, band, min_points=0, on_invalid=on_invalid
        )
    used = {"time", "mag", "err", "offsets", "label", "id"}
    for band in extra_bands:
        used |= {f"time_{band}", f"mag_{band}", f"err_{band}", f"offsets_{band}"}
    for key, value in arrays.items():
        if key in used:
            continue
        value = np.asarray(value)
        if value.ndim >= 1 and value.shape[0] == n:
            bunch[key] = value[select]
    bunch.target_names = None if bunch.target is None else np.unique(bunch.target)
    readme = path.parent / "README.md"
    bunch.DESCR = readme.read_text() if readme.is_file() else f"Light curves from {path.name}"
    bunch.frame = None
    if as_frame:
        import pandas as pd

        frame = pd.DataFrame(
            {
                "id": bunch.ids,
                "time": [lc[0] for lc in bunch.light_curves],
                "mag": [lc[1] for lc in bunch.light_curves],
                "err": [lc[2] for lc in bunch.light_curves],
            }
        )
        if bunch.target is not None:
            frame["target"] = bunch.target
        for key, value in bunch.items():
            if (
                key not in frame.columns
                and key not in ("light_curves", "target_names", "ids")
                and isinstance(value, np.ndarray)
                and value.shape[:1] == (len(select),)
                and value.ndim == 1
            ):
                frame[key] = value
        bunch.frame = frame
    return bunch
