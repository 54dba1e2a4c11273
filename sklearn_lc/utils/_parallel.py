"""Chunked map over light curves, shared by the per-star transformers.

Parallel work is only started when it pays: the first stars are processed
in-process while their cost is timed, and the rest goes to joblib workers
only when the time it would take serially is well above the cost of the
workers (threads: almost nothing; processes: starting interpreters that
import the package, and copying every chunk to them and back), and only
as many workers as there are free cores.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from joblib import Parallel, cpu_count, delayed, effective_n_jobs
from joblib.parallel import get_active_backend

from ._validation import LightCurveError

__all__ = ["map_chunks", "MAX_CHUNK", "PROBE_SECONDS", "MIN_THREAD_SECONDS", "MIN_PROCESS_SECONDS",
           "MAX_TRANSFER_FRACTION", "COPY_FACTOR", "COPY_REPEATS"]

#: Most items per task: the dm-dt histograms of 1000 stars (80 MB of
#: counts) ran 1.3-1.5 times slower than in chunks of 100-250.
MAX_CHUNK = 256
#: Work timed in-process before deciding (seconds, at least one item); the
#: idle cores are counted over the same time.
PROBE_SECONDS = 0.1
#: Least estimated serial time of the remaining items for which threads are
#: used (prefer="threads": the work releases the GIL, threads start in ~1 ms).
MIN_THREAD_SECONDS = 0.2
#: Least estimated serial time of the remaining items for which worker
#: processes are started. A cold start (interpreters that import NumPy,
#: SciPy, scikit-learn, numba and this package) took 10-12 s on a busy
#: 2-core machine; 60 s keeps that under ~10% of the work there, and
#: under 20% anywhere it exceeds 10 s.
MIN_PROCESS_SECONDS = 60.0
#: Processes are also refused when copying an item to a worker and its
#: result back costs more than this fraction of computing it.
MAX_TRANSFER_FRACTION = 0.1
#: Cost of that round trip through joblib's process workers, in units of the
#: time ``pickle.dumps`` takes on the item and its result: measured ~15 for
#: CRTS light curves (about 150 us of parent time per 300-point star).
COPY_FACTOR = 15.0
#: Timings of that copy taken; the fastest counts.
COPY_REPEATS = 3


def _cpu_sample() -> tuple[int, int] | None:
    """Idle and total CPU time of the machine (clock ticks, ``/proc/stat``), or None."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if len(fields) < 5 or fields[0] != "cpu":
        return None
    ticks = [int(x) for x in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return ticks[3] + ticks[4], sum(ticks)


def _free_cores(before: tuple[int, int] | None = None) -> float:
    """Cores free for workers: those idle since ``before``, plus the one this process uses.

    From ``/proc/stat`` (Linux) when at least 5 ticks per CPU passed since
    ``before``; otherwise the number of CPUs minus the one-minute load average,
    plus one; ``inf`` where neither is known.
    """
    after = _cpu_sample() if before is not None else None
    n_cpu = os.cpu_count() or 1
    if after is not None and after[1] - before[1] >= 5 * n_cpu:
        return 1.0 + n_cpu * (after[0] - before[0]) / (after[1] - before[1])
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return float("inf")
    return cpu_count() - load + 1.0


# what the last map_chunks call that timed its items chose (read by the benchmarks)
_last_plan: dict = {}

# joblib backends whose workers run on this machine: the cost rule applies.
# Any other backend (Dask, Ray...) was chosen by the user to distribute the
# chunks, so every chunk goes through it.
_LOCAL_BACKENDS = ("LokyBackend", "ThreadingBackend", "MultiprocessingBackend",
                   "SequentialBackend")


def _progress(verbose: Any, total: int, desc: str):
    if not verbose or total == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="star", file=sys.stderr, leave=False)


def _plan(items: Sequence[Any], parts: list, elapsed: float, n_rest: int,
          prefer: str | None) -> str:
    """Return "serial", "threads" or "processes" for the ``n_rest`` items left."""
    n_items = max(len(items), 1)
    per_item = elapsed / n_items
    rest = per_item * n_rest
    if prefer == "threads":
        return "threads" if rest >= MIN_THREAD_SECONDS else "serial"
    if rest < MIN_PROCESS_SECONDS:
        return "serial"
    # copying: pickle the timed items and their results; the fastest of a few tries, so that
    # one scheduling hiccup in a sub-millisecond timing does not decide the plan
    timings = []
    for _ in range(COPY_REPEATS):
        t0 = time.perf_counter()
        pickle.dumps(list(items), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL)
        timings.append(time.perf_counter() - t0)
    copy = COPY_FACTOR * min(timings) / n_items
    return "processes" if copy <= MAX_TRANSFER_FRACTION * per_item else "serial"


def _probe(func: Callable, items: Sequence[Any], limit: int) -> Iterator[tuple]:
    """Process growing runs (1, 2, 4... up to MAX_CHUNK items) in-process.

    Yields ``(end, part, seconds)`` for each run.
    """
    start, size = 0, 1
    while start < limit:
        end = min(start + size, limit)
        t0 = time.perf_counter()
        part = _located_call(func, items[start:end], start)
        yield end, part, time.perf_counter() - t0
        start, size = end, min(2 * size, MAX_CHUNK)


def map_chunks(
    func: Callable[[Sequence[Any]], np.ndarray],
    items: Sequence[Any],
    *,
    n_jobs: int | None = None,
    chunk_size: int | None = None,
    prefer: str | None = None,
    verbose: int | bool = 0,
    desc: str = "stars",
) -> np.ndarray:
    """Apply ``func`` to consecutive chunks of ``items`` and stack the results.

    ``func`` maps a list of items to an array with one row per item. Chunks
    keep the input order, so the output has one row per item, in order,
    whatever ``n_jobs`` is.

    With ``n_jobs`` other than 1, the first items are processed in-process
    (growing runs of 1, 2, 4... items, until :data:`PROBE_SECONDS` of work),
    and their time per item estimates what the rest would cost serially.
    The rest then runs

    - in threads (``prefer="threads"``: ``func`` releases the GIL, as the
      numba and FFTW kernels do) when that estimate is at least
      :data:`MIN_THREAD_SECONDS`;
    - in joblib worker processes (otherwise) when it is at least
      :data:`MIN_PROCESS_SECONDS` and copying an item to a worker and back
      costs at most :data:`MAX_TRANSFER_FRACTION` of computing it;
    - in-process otherwise: worker start-up would cost more than it saves.

    Never more workers are used than there are free cores: the core this
    process uses plus those that stayed idle while the first items were
    timed (``/proc/stat``; elsewhere the number of CPUs minus the one-minute
    load average, plus one). On a machine whose cores are all busy, workers
    only add their overhead, so the work stays in-process.

    While workers run, the BLAS libraries (NumPy's linear algebra) are held
    to one thread per worker, so the workers do not oversubscribe the cores
    (joblib's process workers do this themselves). Inside a joblib
    ``parallel_backend`` / ``parallel_config`` context that names a
    non-local backend (Dask, say), every chunk goes through that backend,
    whatever its cost: the user asked for the distribution.

    Parameters
    ----------
    func : callable
        Function of a list of items returning an array with ``len(items)`` rows.
    items : sequence
        The items (light curves, usually).
    n_jobs : int, optional
        Number of joblib workers; ``None`` means 1 unless in a
        ``parallel_backend`` context, ``-1`` all cores. An upper bound: fewer
        (or none) are used when the work is too cheap for them or the cores
        are busy.
    chunk_size : int, optional
        Items per task; by default about four tasks per worker, at most
        :data:`MAX_CHUNK` items per task (in-process: :data:`MAX_CHUNK`).
    prefer : {"threads", "processes"}, optional
        ``"threads"`` when ``func`` releases the GIL (numba ``nogil``,
        FFTW): no worker start-up, no copies. Anything else means
        processes (the GIL would serialise threads).
    verbose : int or bool, default=0
        Show a progress bar (tqdm, on stderr) over the items.
    desc : str, default="stars"
        Label of the progress bar.

    Returns
    -------
    out : ndarray
        The row-wise concatenation of ``func`` over the chunks.

    Raises
    ------
    LightCurveError
        As raised by ``func``, which counts the stars of its chunk from 0:
        the index (and message) are those of the star in ``items``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lc.utils._parallel import map_chunks
    >>> map_chunks(lambda xs: np.asarray(xs)[:, None] * 2, list(range(5)), n_jobs=1)[:, 0]
    array([0, 2, 4, 6, 8])
    """
    n = len(items)
    workers = effective_n_jobs(n_jobs)
    local = type(get_active_backend()[0]).__name__ in _LOCAL_BACKENDS
    bar = _progress(verbose, n, desc)
    try:
        if n == 0:
            return np.asarray(func(items))
        if workers == 1:
            return np.concatenate(_serial(func, items, 0, chunk_size, bar), axis=0)
        if not local:
            parts = _joblib(func, items, 0, n_jobs, workers, chunk_size, prefer, bar)
            return np.concatenate(parts, axis=0)
        parts, done, elapsed = [], 0, 0.0
        before = _cpu_sample()
        for end, part, seconds in _probe(func, items, n):
            parts.append(part)
            if bar is not None:
                bar.update(end - done)
            done, elapsed = end, elapsed + seconds
            if elapsed >= PROBE_SECONDS:
                break
        if done < n:
            how = _plan(items[:done], parts, elapsed, n - done, prefer)
            # no more workers than idle cores: on a busy machine they only add overhead
            workers = max(1, int(min(float(workers), _free_cores(before)) + 0.5))
            if workers == 1:
                how = "serial"
            _last_plan.update(how=how, workers=workers, probed=done, probe_seconds=elapsed)
            if how == "serial":
                parts += _serial(func, items, done, chunk_size, bar)
            else:
                parts += _joblib(func, items, done, workers, workers, chunk_size, how, bar)
        return np.concatenate(parts, axis=0)
    finally:
        if bar is not None:
            bar.close()


def _located_call(func: Callable, chunk: Sequence[Any], start: int) -> Any:
    """``func(chunk)``; a :class:`LightCurveError` it raises names the star in all ``items``.

    ``func`` counts the stars of its chunk from 0: the chunk's ``start`` is
    added to the index of any :class:`LightCurveError` (and so to its
    message). Done where the chunk runs (joblib may raise a later chunk's
    error first).
    """
    try:
        return func(chunk)
    except LightCurveError as exc:
        if start == 0:
            raise
        raise exc.located(index=exc.index + start) from None


def _serial(func: Callable, items: Sequence[Any], start: int, chunk_size: int | None,
            bar: Any) -> list:
    """Run ``func`` over ``items[start:]`` in-process, in chunks of ``MAX_CHUNK``."""
    step = chunk_size or MAX_CHUNK
    parts = []
    for a in range(start, len(items), step):
        parts.append(_located_call(func, items[a : a + step], a))
        if bar is not None:
            bar.update(min(step, len(items) - a))
    return parts


def _joblib(func: Callable, items: Sequence[Any], start: int, n_jobs: int | None,
            workers: int, chunk_size: int | None, prefer: str | None, bar: Any) -> list:
    """Run ``func`` over ``items[start:]`` in joblib tasks, in order."""
    from threadpoolctl import threadpool_limits

    n = len(items) - start
    if chunk_size is None:
        chunk_size = max(1, min(MAX_CHUNK, -(-n // (4 * workers))))
    starts = list(range(start, len(items), chunk_size))
    chunks = [items[a : a + chunk_size] for a in starts]
    parts = []
    limits = threadpool_limits(1, user_api="blas") if prefer == "threads" else None
    try:
        run = Parallel(n_jobs=n_jobs, prefer=prefer, return_as="generator")
        for c, part in zip(chunks, run(delayed(_located_call)(func, c, a)
                                       for a, c in zip(starts, chunks))):
            parts.append(part)
            if bar is not None:
                bar.update(len(c))
    finally:
        if limits is not None:
            limits.restore_original_limits()
    return parts
