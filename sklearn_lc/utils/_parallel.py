"""Chunked joblib map over light curves, shared by the per-star transformers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

__all__ = ["map_chunks"]


def map_chunks(
    func: Callable[[Sequence[Any]], np.ndarray],
    items: Sequence[Any],
    *,
    n_jobs: int | None = None,
    chunk_size: int | None = None,
    prefer: str | None = None,
) -> np.ndarray:
    """Apply ``func`` to consecutive chunks of ``items`` and stack the results.

    ``func`` maps a list of items to an array with one row per item. Chunks
    keep the input order, so the output has one row per item, in order,
    whatever ``n_jobs`` is. Runs through joblib, so a Dask
    ``parallel_backend`` distributes the chunks.

    Parameters
    ----------
    func : callable
        Function of a list of items returning an array with ``len(items)`` rows.
    items : sequence
        The items (light curves, usually).
    n_jobs : int, optional
        Number of joblib workers; ``None`` means 1 unless in a
        ``parallel_backend`` context, ``-1`` all cores.
    chunk_size : int, optional
        Items per task; by default about four tasks per worker, at most 1000
        items per task.
    prefer : {"threads", "processes"}, optional
        Joblib's soft hint: kernels that release the GIL (numba ``nogil``)
        prefer threads (no worker start-up, no copies). A ``parallel_backend``
        context (Dask, say) still decides where chunks run.

    Returns
    -------
    out : ndarray
        The row-wise concatenation of ``func`` over the chunks.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lc.utils._parallel import map_chunks
    >>> map_chunks(lambda xs: np.asarray(xs)[:, None] * 2, list(range(5)), n_jobs=1)[:, 0]
    array([0, 2, 4, 6, 8])
    """
    n = len(items)
    workers = effective_n_jobs(n_jobs)
    if chunk_size is None:
        chunk_size = max(1, min(1000, -(-n // (4 * workers)) if workers > 1 else 1000))
    chunks = [items[i : i + chunk_size] for i in range(0, n, chunk_size)]
    if workers == 1 or len(chunks) == 1:
        parts = [func(c) for c in chunks]
    else:
        parts = Parallel(n_jobs=n_jobs, prefer=prefer)(delayed(func)(c) for c in chunks)
    return np.concatenate(parts, axis=0)
