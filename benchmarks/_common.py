"""Helpers shared by the benchmark scripts: results folder, environment, timing, output.

Every script in ``benchmarks/`` is run as ``python benchmarks/bench_<name>.py``
(so this folder is on ``sys.path``) and writes ``<name>.json`` and
``<name>.md`` into :data:`RESULTS`. ``run_suite.py`` points
``SKLEARN_LC_BENCH_RESULTS`` elsewhere for its ``--quick`` smoke runs, so the
committed results are never overwritten by a smoke run.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: Folder of the committed results (``SKLEARN_LC_BENCH_RESULTS`` overrides it).
RESULTS = Path(os.environ.get("SKLEARN_LC_BENCH_RESULTS") or HERE / "results")


def single_thread() -> None:
    """Pin the math libraries to one thread (call before importing numpy's users)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def uptime() -> str:
    """Return the ``uptime`` line (load averages): the machine is shared, so record it."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:  # no uptime binary
        load = os.getloadavg() if hasattr(os, "getloadavg") else ()
        return "load average: " + ", ".join(f"{v:.2f}" for v in load)


def environment(**extra: Any) -> dict:
    """Versions, machine, load and date, plus ``extra``, for a results file."""
    import numpy as np

    import sklearn_lc

    env = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sklearn_lc": sklearn_lc.__version__,
        "uptime": uptime(),
    }
    for name in ("scipy", "sklearn", "torch", "skorch"):
        module = sys.modules.get(name)
        if module is not None:
            env[name] = getattr(module, "__version__", "?")
    env.update(extra)
    return env


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """Call ``fn`` and return ``(seconds, result)``."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


@contextmanager
def stopwatch() -> Iterator[dict]:
    """Time a block: ``with stopwatch() as t: ...`` then ``t["seconds"]``."""
    box: dict = {}
    t0 = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - t0


def write_results(name: str, data: Mapping[str, Any], markdown: str,
                  folder: Path | None = None) -> Path:
    """Write ``<name>.json`` and ``<name>.md`` into ``folder`` (default :data:`RESULTS`).

    Returns the Markdown path.
    """
    folder = RESULTS if folder is None else Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data, indent=2, default=_plain) + "\n")
    md = folder / f"{name}.md"
    md.write_text(markdown if markdown.endswith("\n") else markdown + "\n")
    print(f"wrote {folder / name}.{{json,md}}")
    return md


def _plain(value: Any) -> Any:
    """JSON fallback for NumPy scalars and arrays."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
