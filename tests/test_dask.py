"""sklearn_lc.dask on a real 2-process distributed.LocalCluster: results equal the serial ones."""

import importlib
import sys

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
import dask.bag as db  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import joblib  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_lc import DmDtImage, WindowPad, make_light_curves  # noqa: E402
from sklearn_lc.dask import ParallelPostFit, map_transform  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        worker_dashboard_address=None,
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def data():
    X, y = make_light_curves(4, n_points=(20, 60), random_state=1)
    return X, y


def _long_frame(X):
    rows = []
    for i, (t, m, e) in enumerate(X):
        rows.append(pd.DataFrame({"id": f"s{i:03d}", "time": t, "mag": m, "err": e}))
    df = pd.concat(rows, ignore_index=True)
    return df.sample(frac=1.0, random_state=0)  # rows shuffled: per-star order comes from time


@pytest.mark.parametrize("transformer", [DmDtImage(flatten=True), WindowPad(window=30)],
                         ids=["dmdt", "windowpad"])
def test_map_transform_bag_equals_serial(client, data, transformer):
    X, _ = data
    bag = db.from_sequence(X, npartitions=5)
    with distributed.get_task_stream(client) as ts:
        Xt = map_transform(transformer, bag)
        out = Xt.compute()
    expected = transformer.transform(X)
    assert out.dtype == expected.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    workers = {t["worker"] for t in ts.data}
    assert len(workers) >= 1 and len(ts.data) >= 5  # the partitions ran on the cluster


def test_map_transform_fitted_transformer_and_empty_partition(client, data):
    from sklearn_lc import FreedmanDiaconisHist

    X, _ = data
    tr = FreedmanDiaconisHist().fit(X)
    bag = db.concat([db.from_sequence(X[:7], npartitions=2),
                     db.from_sequence(X[7:], npartitions=3).filter(lambda lc: True)])
    empty_part = db.from_sequence(X[:2], npartitions=1).filter(lambda lc: False)
    bag = db.concat([bag, empty_part])
    out = map_transform(tr, bag).compute()
    np.testing.assert_array_equal(out, tr.transform(X))
    with pytest.raises(NotFittedError):
        map_transform(FreedmanDiaconisHist(), bag)


def test_map_transform_long_dask_frame(client, data):
    X, _ = data
    df = _long_frame(X)
    ddf = dd.from_pandas(df, npartitions=4).set_index("id")
    ids, Xt = map_transform(DmDtImage(flatten=True), ddf, return_ids=True)
    ids, out = dask.compute(ids, Xt)
    assert ids.tolist() == [f"s{i:03d}" for i in range(len(X))]  # each star once, index order
    np.testing.assert_array_equal(out, DmDtImage(flatten=True).transform(X))
    with pytest.raises(ValueError, match="set_index"):
        map_transform(DmDtImage(), dd.from_pandas(df, npartitions=2))


def test_map_transform_rejects_in_memory_input(data):
    with pytest.raises(TypeError, match="dask.bag"):
        map_transform(DmDtImage(), data[0])


def test_parallel_post_fit_on_cluster(client, data):
    X, y = data
    pipe = make_pipeline(DmDtImage(flatten=True),
                         RandomForestClassifier(n_estimators=10, random_state=0))
    ppf = ParallelPostFit(pipe, chunk_size=5).fit(X, y)
    serial = ppf.estimator_
    np.testing.assert_array_equal(ppf.classes_, serial.classes_)
    # in-memory input: chunks of 5 on the cluster, concatenated in order
    with distributed.get_task_stream(client) as ts:
        pred = ppf.predict(X)
    assert len(ts.data) >= 5
    np.testing.assert_array_equal(pred, serial.predict(X))
    np.testing.assert_array_equal(ppf.predict_proba(X), serial.predict_proba(X))
    # a bag: lazy dask array, same values
    bag = db.from_sequence(X, npartitions=3)
    lazy = ppf.predict_proba(bag)
    assert isinstance(lazy, dask.array.Array)
    np.testing.assert_array_equal(lazy.compute(), serial.predict_proba(X))
    np.testing.assert_array_equal(ppf.predict(bag).compute(), serial.predict(X))
    # a bad star is named by its global index
    bad = list(X)
    t, m, e = bad[13]
    bad[13] = (t, np.where(np.arange(m.size) == 2, np.nan, m), e)
    with pytest.raises(ValueError, match="light curve 13"):
        ppf.predict(bad)


def test_parallel_post_fit_stateless_and_unfitted():
    X, _ = make_light_curves(2, random_state=0)
    ppf = ParallelPostFit(DmDtImage(flatten=True), chunk_size=4, scheduler="threads")
    np.testing.assert_array_equal(ppf.transform(X), DmDtImage(flatten=True).transform(X))
    assert not hasattr(ppf, "predict")
    # every in-memory form: one-row-per-star DataFrame, NaN-padded 3-D array
    from sklearn_lc.utils import check_light_curves, to_padded_array

    lcs = check_light_curves(X)
    frame = pd.DataFrame({"time": [t for t, _, _ in lcs], "mag": [m for _, m, _ in lcs],
                          "err": [e for _, _, e in lcs]})
    np.testing.assert_array_equal(ppf.transform(frame), ppf.transform(lcs))
    np.testing.assert_array_equal(ppf.transform(to_padded_array(lcs)), ppf.transform(lcs))
    # a 2-D feature matrix is chunked untouched (a classifier on features)
    F = ppf.transform(X)
    y = np.arange(len(X)) % 2
    rf = ParallelPostFit(RandomForestClassifier(n_estimators=5, random_state=0), chunk_size=5,
                         scheduler="synchronous").fit(F, y)
    np.testing.assert_array_equal(rf.predict(F), rf.estimator_.predict(F))
    clf = ParallelPostFit(RandomForestClassifier())
    with pytest.raises(NotFittedError):
        clf.predict(np.zeros((3, 4, 3)))
    with pytest.raises(ValueError, match="chunk_size"):
        ParallelPostFit(DmDtImage(), chunk_size=0).transform(X)


def test_joblib_dask_backend_through_n_jobs(client, data):
    X, _ = data
    serial = DmDtImage(flatten=True, n_jobs=1).transform(X)
    with distributed.get_task_stream(client) as ts:
        with joblib.parallel_backend("dask"):
            out = DmDtImage(flatten=True, n_jobs=2).transform(X)
    np.testing.assert_array_equal(out, serial)
    assert len(ts.data) >= 2  # joblib's chunks ran as tasks on the cluster
    with joblib.parallel_backend("dask"):
        w = WindowPad(window=30, n_jobs=2).transform(X)
    np.testing.assert_array_equal(w, WindowPad(window=30).transform(X))


def test_clear_import_error_without_dask(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.delitem(sys.modules, "sklearn_lc.dask")
    with pytest.raises(ImportError, match=r"sklearn_lc\[dask\]"):
        importlib.import_module("sklearn_lc.dask")
