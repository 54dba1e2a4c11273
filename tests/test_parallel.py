"""map_chunks: order, cost-based choice of serial / threads / processes, progress."""

import os
import threading
import time

import numpy as np
import pytest
from joblib import parallel_config

from sklearn_lc import DmDtImage, FeatureExtractor, FreedmanDiaconisHist, WindowPad
from sklearn_lc.utils import LightCurveError, _parallel
from sklearn_lc.utils._parallel import map_chunks


def _where(items):
    """One row per item: the item, the process id and the thread id that computed it."""
    return np.array([[x, os.getpid(), threading.get_ident()] for x in items], dtype=np.int64)


def _slow_where(items, seconds=0.004):
    time.sleep(seconds * len(items))  # releases the GIL, as the nogil kernels do
    return _where(items)


def _ran_in(out):
    return {(int(p), int(t)) for p, t in out[:, 1:]}


HERE = (os.getpid(), threading.get_ident())


@pytest.fixture
def idle(monkeypatch):
    """Two idle cores, whatever else this machine is running (its load average decides)."""
    monkeypatch.setattr(_parallel, "_free_cores", lambda before=None: 2.0)


@pytest.mark.parametrize("n_jobs", [1, 2, -1])
def test_cheap_work_stays_in_this_thread(n_jobs):
    out = map_chunks(_where, list(range(5000)), n_jobs=n_jobs, prefer="threads")
    np.testing.assert_array_equal(out[:, 0], np.arange(5000))
    assert _ran_in(out) == {HERE}
    out = map_chunks(_where, list(range(5000)), n_jobs=n_jobs)
    assert _ran_in(out) == {HERE}


def test_costly_nogil_work_goes_to_threads_in_order(idle):
    # 300 items x 4 ms = 1.2 s serial: above MIN_THREAD_SECONDS after the probe
    items = list(range(300))
    out = map_chunks(_slow_where, items, n_jobs=2, prefer="threads")
    np.testing.assert_array_equal(out[:, 0], items)
    ran = _ran_in(out)
    assert {p for p, _ in ran} == {os.getpid()}
    assert len({t for _, t in ran} - {HERE[1]}) >= 1  # worker threads did part of it
    # the probe ran in-process first: the first item in this thread
    assert tuple(out[0, 1:]) == HERE


def test_busy_cores_keep_costly_work_in_process(monkeypatch):
    monkeypatch.setattr(_parallel, "_free_cores", lambda before=None: 0.4)
    out = map_chunks(_slow_where, list(range(300)), n_jobs=-1, prefer="threads")
    np.testing.assert_array_equal(out[:, 0], np.arange(300))
    assert _ran_in(out) == {HERE}


def test_unknown_load_leaves_n_jobs_as_given(monkeypatch):
    # where the load average is unknown (Windows) _free_cores is inf
    monkeypatch.setattr(_parallel, "_free_cores", lambda before=None: float("inf"))
    out = map_chunks(_slow_where, list(range(300)), n_jobs=2, prefer="threads")
    assert _parallel._last_plan["how"] == "threads" and _parallel._last_plan["workers"] == 2
    np.testing.assert_array_equal(out[:, 0], np.arange(300))


def test_free_cores_count_idle_ticks_and_this_process():
    from joblib import cpu_count

    before = _parallel._cpu_sample()
    if before is None:  # no /proc/stat: the load average decides
        free = _parallel._free_cores(None)
        if hasattr(os, "getloadavg"):
            assert free == pytest.approx(cpu_count() - os.getloadavg()[0] + 1.0, abs=0.5)
        return
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.2:  # keep this core busy, as the probe does
        pass
    free = _parallel._free_cores(before)
    n_cpu = os.cpu_count()
    assert 1.0 <= free <= n_cpu + 1e-9  # this core is busy: at most the others are idle
    idle, total = _parallel._cpu_sample()
    assert 0 <= idle <= total


def test_costly_work_below_process_threshold_stays_in_process(idle):
    items = list(range(300))  # 1.2 s: far below MIN_PROCESS_SECONDS
    out = map_chunks(_slow_where, items, n_jobs=2)
    assert _ran_in(out) == {HERE}


def test_processes_when_work_exceeds_the_threshold(monkeypatch, idle):
    # the threshold is a module constant; lowered here instead of running a minute of work
    monkeypatch.setattr(_parallel, "MIN_PROCESS_SECONDS", 0.2)
    items = list(range(300))
    out = map_chunks(_slow_where, items, n_jobs=2)
    np.testing.assert_array_equal(out[:, 0], items)
    assert _parallel._last_plan["how"] == "processes", _parallel._last_plan
    assert len({int(p) for p in out[:, 1]} - {os.getpid()}) >= 1


def _slow_size(xs):
    time.sleep(0.0005 * len(xs))
    return np.array([[x.size, os.getpid()] for x in xs])


def test_processes_refused_when_copying_costs_more_than_computing(monkeypatch, idle):
    monkeypatch.setattr(_parallel, "MIN_PROCESS_SECONDS", 0.0)
    monkeypatch.setattr(_parallel, "PROBE_SECONDS", 0.005)
    # 200 kB per item against 0.5 ms of work: copying costs more than 10% of the work
    big = [np.full(25_000, float(i)) for i in range(100)]
    out = map_chunks(_slow_size, big, n_jobs=2)
    assert set(out[:, 1].tolist()) == {os.getpid()}


def test_a_non_local_backend_gets_every_chunk():
    # a user-chosen backend that is not one of joblib's local ones (Dask here) gets the chunks
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster):
        with parallel_config(backend="dask"):
            out = map_chunks(_where, list(range(50)), n_jobs=2, chunk_size=10)
    np.testing.assert_array_equal(out[:, 0], np.arange(50))
    assert HERE not in _ran_in(out)


def test_empty_and_single_item():
    assert map_chunks(lambda xs: np.zeros((len(xs), 2)), [], n_jobs=2).shape == (0, 2)
    assert map_chunks(_where, [7], n_jobs=-1)[0, 0] == 7


def test_progress_bar_on_stderr(capsys):
    out = map_chunks(_slow_where, list(range(120)), n_jobs=2, prefer="threads", verbose=1,
                     desc="stars")
    assert out.shape == (120, 3)
    err = capsys.readouterr().err
    assert "stars:" in err and "/120" in err
    map_chunks(_slow_where, list(range(120)), n_jobs=2, prefer="threads")
    assert capsys.readouterr().err == ""  # silent by default


@pytest.mark.parametrize("make", [
    lambda: WindowPad(window=50),
    lambda: DmDtImage(),
    lambda: FreedmanDiaconisHist(shape=(12, 10), max_bins=20, random_state=0),
    lambda: FeatureExtractor(),
])
def test_transformers_same_output_whatever_n_jobs_and_verbose(make, crts_small, capsys):
    X = crts_small[0]
    ref = make().fit(X).transform(X)
    for n_jobs in (2, -1):
        for verbose in (0, 1):
            est = make().set_params(n_jobs=n_jobs, verbose=verbose).fit(X)
            np.testing.assert_array_equal(est.transform(X), ref)
    assert f"/{len(X)}" in capsys.readouterr().err


def test_transformers_in_worker_processes(monkeypatch, crts, idle):
    # the process path (forced: tiny thresholds) pickles each task's own stars
    monkeypatch.setattr(_parallel, "MIN_PROCESS_SECONDS", 0.0)
    monkeypatch.setattr(_parallel, "MAX_TRANSFER_FRACTION", np.inf)
    X = crts.light_curves[:3000]
    a = WindowPad(strategy="random", random_state=3).transform(X)
    b = WindowPad(strategy="random", random_state=3, n_jobs=2).transform(X)
    np.testing.assert_array_equal(a, b)


def _fails_on_item_123(items):
    """Raise a LightCurveError counted from the chunk's first item, as the transformers do."""
    for i, x in enumerate(items):
        if x == 123:
            raise LightCurveError(i, "bad star", star=f"id{x}")
    return _slow_where(items, seconds=0.001)


@pytest.mark.parametrize("how", ["serial", "threads", "processes"])
def test_errors_name_the_star_of_the_whole_input(monkeypatch, idle, how):
    if how == "processes":
        monkeypatch.setattr(_parallel, "MIN_PROCESS_SECONDS", 0.0)
    monkeypatch.setattr(_parallel, "PROBE_SECONDS", 0.001)  # item 123 is past the probe
    n_jobs = 1 if how == "serial" else 2
    with pytest.raises(LightCurveError) as info:
        map_chunks(_fails_on_item_123, list(range(300)), n_jobs=n_jobs, chunk_size=50,
                   prefer="threads" if how == "threads" else None)
    assert info.value.index == 123 and info.value.star == "id123"
    assert str(info.value).startswith("light curve 123 (star id123): bad star")
