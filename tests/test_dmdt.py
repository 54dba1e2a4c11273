"""Tests of DmDtImage (dm-dt images, Mahabal et al. 2017) and its numba kernels."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline

from sklearn_lc import DmDtImage
from sklearn_lc.transformers._dmdt import MAHABAL_DM_EDGES, MAHABAL_DT_EDGES
from sklearn_lc.transformers._kernels import dm_lookup

DT = np.asarray(MAHABAL_DT_EDGES)
DM = np.asarray(MAHABAL_DM_EDGES)


def _hist2d(t, m, dt_edges=DT, dm_edges=DM):
    i, j = np.triu_indices(len(t), 1)
    h, _, _ = np.histogram2d(t[j] - t[i], m[j] - m[i], bins=[dt_edges, dm_edges])
    return h.T


def test_mahabal_default_edges():
    assert DM.size == 23 and DT.size == 24
    assert np.all(np.diff(DM) > 0) and np.all(np.diff(DT) > 0)
    np.testing.assert_array_equal(DM, -DM[::-1])
    assert DT[0] == 1 / 145 and DT[-1] == 4000


def test_equals_histogram2d_exactly_on_crts(crts):
    lcs = crts.light_curves[:40]
    img = DmDtImage(normalize=None).fit_transform(lcs)
    assert img.shape == (40, 1, 22, 23) and img.dtype == np.float32
    for k, (t, m, _) in enumerate(lcs):
        np.testing.assert_array_equal(img[k, 0], _hist2d(t, m))
        assert img[k].sum() > 0


def test_equals_histogram2d_with_values_on_edges():
    # dt and dm landing exactly on (and one ulp around) bin edges, including the last,
    # right-closed edges and values just outside the range.
    dt_edges = np.array([0.0, 0.5, 1.0, 2.0, 4.0])
    dm_edges = np.array([-1.0, -0.25, 0.0, 0.25, 1.0])
    t = np.array([0.0, 0.5, 1.0, 2.0, 4.0, 4.0 + 1e-9, 6.0])
    m = np.array([0.0, 0.25, -0.25, 1.0, -1.0, 0.0, np.nextafter(1.0, 2.0)])
    img = DmDtImage(dt_bins=dt_edges, dm_bins=dm_edges, normalize=None).transform([(t, m)])
    np.testing.assert_array_equal(img[0, 0], _hist2d(t, m, dt_edges, dm_edges))
    rng = np.random.RandomState(0)
    for _ in range(20):
        t = np.sort(rng.choice(np.arange(0, 8, 0.25), 30))
        m = rng.choice(np.arange(-1.25, 1.3, 0.125), 30)
        img = DmDtImage(dt_bins=dt_edges, dm_bins=dm_edges, normalize=None).transform([(t, m)])
        np.testing.assert_array_equal(img[0, 0], _hist2d(t, m, dt_edges, dm_edges))


@pytest.mark.parametrize("max_cells", [1, 3, 1 << 16])
def test_dm_lookup_is_exact_even_when_coarse(max_cells):
    edges = np.array([-3.0, -1e-3, 0.0, 1e-3, 0.1, 0.7, 2.5])
    first, nxt, lo, inv, one_step = dm_lookup(edges, max_cells=max_cells)
    rng = np.random.RandomState(1)
    x = np.concatenate([rng.uniform(-3, 2.5, 5000), edges, np.nextafter(edges, 0)])
    x = x[(x >= edges[0]) & (x <= edges[-1])]
    c = np.floor((x - lo) * inv).astype(int)
    b = first[c] + (x >= nxt[c])
    if not one_step:
        for k in range(x.size):
            while b[k] < edges.size - 2 and x[k] >= edges[b[k] + 1]:
                b[k] += 1
    expected = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, edges.size - 2)
    np.testing.assert_array_equal(b, expected)
    assert np.all(
        first
        <= np.clip(
            np.searchsorted(edges, lo + np.arange(first.size) / inv, side="right") - 1,
            0,
            edges.size - 2,
        )
    )


def test_coarse_lookup_matches_histogram2d_inside_the_kernel():
    # dm edges 1e-6 apart next to a wide range force a table that is not one-step
    dm_edges = np.array([-5.0, 0.0, 1e-6, 2e-6, 5.0])
    _, _, _, _, one_step = dm_lookup(dm_edges)
    assert not one_step
    rng = np.random.RandomState(2)
    t = np.sort(rng.uniform(0, 10, 60))
    m = rng.choice([0.0, 1e-6, 2e-6, 1.5e-6, -1.0, 3.0], 60)
    img = DmDtImage(dt_bins=[0, 1, 5, 10], dm_bins=dm_edges, normalize=None).transform([(t, m)])
    np.testing.assert_array_equal(img[0, 0], _hist2d(t, m, np.array([0, 1, 5, 10.0]), dm_edges))


HAND_DT = [0.5, 1.5, 2.5, 3.5]
HAND_DM = [-1.0, 0.0, 1.0]


def _hand(normalize, t, m):
    est = DmDtImage(dt_bins=HAND_DT, dm_bins=HAND_DM, normalize=normalize)
    return est.fit_transform([(np.asarray(t, float), np.asarray(m, float))])[0, 0]


def test_normalisations_on_hand_computed_case():
    # 4 points, 6 pairs: (0,1) dt=1 dm=+0.5 ; (0,2) dt=3 dm=-0.5 ; (1,2) dt=2 dm=-1.0 ;
    # the 3 pairs with the point at t=10 have dt >= 7, outside the dt edges.
    t, m = [0.0, 1.0, 3.0, 10.0], [10.0, 10.5, 9.5, 12.0]
    counts = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])  # rows: dm [-1,0), [0,1]
    np.testing.assert_array_equal(_hand(None, t, m), counts)
    np.testing.assert_allclose(_hand("density", t, m), counts / 6, rtol=1e-6)
    np.testing.assert_array_equal(_hand("max", t, m), counts)
    # floor(255 * 1/6 + 0.99999) = floor(43.49999) = 43
    np.testing.assert_array_equal(_hand("mahabal", t, m), counts * 43)


def test_normalisations_with_two_pairs_in_one_bin():
    # pairs (0,1) and (1,2): dt=1, dm=+0.5 ; (0,2): dt=2, dm=+1.0 (last dm edge: right-closed)
    t, m = [0.0, 1.0, 2.0], [10.0, 10.5, 11.0]
    counts = np.array([[0.0, 0.0, 0.0], [2.0, 1.0, 0.0]])
    np.testing.assert_array_equal(_hand(None, t, m), counts)
    np.testing.assert_allclose(_hand("density", t, m), counts / 3, rtol=1e-6)
    np.testing.assert_array_equal(_hand("max", t, m), counts / 2)
    # floor(255 * 2/3 + 0.99999) = 170, floor(255 * 1/3 + 0.99999) = 85
    np.testing.assert_array_equal(_hand("mahabal", t, m), [[0, 0, 0], [170, 85, 0]])


@pytest.mark.parametrize("normalize", [None, "mahabal", "density", "max"])
def test_one_point_and_pairless_stars_give_zero_images(normalize):
    X = [([1.0], [10.0]), ([0.0, 1e4], [10.0, 11.0]), ([0.0, 1.0], [10.0, 10.2])]
    img = DmDtImage(normalize=normalize).fit_transform(X)
    assert img.shape == (3, 1, 22, 23)
    assert not img[0].any() and not img[1].any() and img[2].any()
    assert np.isfinite(img).all()


def test_signed_dm_rising_vs_falling_mirror():
    t = np.linspace(0, 50, 40)
    m = 15 + 0.8 * np.sin(t / 3.0) + 0.02 * t
    rising = DmDtImage(normalize=None).transform([(t, m)])[0, 0]
    falling = DmDtImage(normalize=None).transform([(t, 30 - m)])[0, 0]
    np.testing.assert_array_equal(rising, falling[::-1])
    assert not np.array_equal(rising, rising[::-1])  # the image is not symmetric itself
    # a strictly fading star (magnitude increasing) only fills dm > 0 rows
    fading = DmDtImage(normalize=None).transform([(t, 15 + 0.01 * t)])[0, 0]
    assert fading[: DM.size // 2].sum() == 0 and fading.sum() == 40 * 39 / 2


def _smear_reference(t, m, e, dt_edges, dm_edges):
    from scipy.stats import norm

    i, j = np.triu_indices(len(t), 1)
    dt, dm, sd = t[j] - t[i], m[j] - m[i], np.hypot(e[i], e[j])
    col = np.searchsorted(dt_edges, dt, side="right") - 1
    col[dt == dt_edges[-1]] = dt_edges.size - 2
    ok = (col >= 0) & (col < dt_edges.size - 1)
    out = np.zeros((dm_edges.size - 1, dt_edges.size - 1))
    cdf = norm.cdf(dm_edges[None, :], loc=dm[ok, None], scale=sd[ok, None])
    np.add.at(out.T, col[ok], np.diff(cdf, axis=1))
    return out


def test_smear_errors_matches_scipy_reference(crts):
    for t, m, e in crts.light_curves[:3]:
        t, m, e = t[:120], m[:120], e[:120]
        got = DmDtImage(normalize=None, smear_errors=True).transform([(t, m, e)])[0, 0]
        ref = _smear_reference(t, m, e, DT, DM)
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
        assert got.sum() > 0


def test_smear_errors_mass_conservation():
    rng = np.random.RandomState(3)
    t = np.sort(rng.uniform(0, 3000, 150))
    m = 15 + 0.5 * rng.randn(150)
    e = rng.uniform(0.02, 0.2, 150)
    img = DmDtImage(normalize=None, smear_errors=True).transform([(t, m, e)])[0, 0]
    i, j = np.triu_indices(150, 1)
    dt, dm, sd = t[j] - t[i], m[j] - m[i], np.hypot(e[i], e[j])
    inside = (dt >= DT[0]) & (dt <= DT[-1]) & (np.abs(dm) + 8 * sd < DM[-1])
    assert inside.mean() > 0.9
    np.testing.assert_allclose(img.sum(), inside.sum(), rtol=1e-6)
    # per dt column too: each pair stays in its dt bin
    cols = np.searchsorted(DT, dt[inside], side="right") - 1
    np.testing.assert_allclose(
        img.sum(axis=0), np.bincount(cols, minlength=DT.size - 1), rtol=1e-5, atol=1e-4
    )


def test_smear_errors_with_nan_or_zero_errors_falls_back_to_points():
    rng = np.random.RandomState(4)
    t = np.sort(rng.uniform(0, 100, 50))
    m = 15 + rng.randn(50)
    points = DmDtImage(normalize=None).transform([(t, m)])
    for err in (None, np.zeros(50), np.full(50, np.nan)):
        X = [(t, m)] if err is None else [(t, m, err)]
        np.testing.assert_array_equal(
            DmDtImage(normalize=None, smear_errors=True).transform(X), points
        )
    # one NaN error: only the pairs with that point become points
    err = np.full(50, 0.05)
    err[7] = np.nan
    half = DmDtImage(normalize=None, smear_errors=True).transform([(t, m, err)])
    assert not np.allclose(half, points)


def test_flatten_shape_and_feature_names(synthetic):
    X, _ = synthetic
    est = DmDtImage(flatten=True).fit(X)
    out = est.transform(X)
    assert out.shape == (len(X), 22 * 23) and out.dtype == np.float32
    names = est.get_feature_names_out()
    assert names.shape == (22 * 23,)
    assert names[0] == "dm0_dt0" and names[1] == "dm0_dt1" and names[23] == "dm1_dt0"
    assert names[-1] == "dm21_dt22" and len(set(names)) == names.size
    np.testing.assert_array_equal(out.reshape(len(X), 22, 23), DmDtImage().transform(X)[:, 0])
    with pytest.raises(ValueError, match="flatten"):
        DmDtImage().get_feature_names_out()


def test_custom_edges_shape():
    img = DmDtImage(dt_bins=[0.1, 1, 10, 100, 1000], dm_bins=np.linspace(-2, 2, 9))
    out = img.transform([([0, 1.0, 2.0], [1.0, 2.0, 3.0])])
    assert out.shape == (1, 1, 8, 4)


@pytest.mark.parametrize(
    "params",
    [
        {"dt_bins": [1.0]},
        {"dt_bins": [1.0, 1.0, 2.0]},
        {"dm_bins": [0.0, -1.0]},
        {"dm_bins": [0.0, np.nan, 1.0]},
        {"dm_bins": [[0.0, 1.0]]},
        {"dt_bins": "mahabal"},
        {"normalize": "sum"},
        {"smear_errors": "yes"},
        {"flatten": 2},
    ],
)
def test_bad_params_raise_value_error(params):
    X = [([0.0, 1.0, 2.0], [1.0, 2.0, 3.0])]
    with pytest.raises(ValueError):
        DmDtImage(**params).fit(X)
    with pytest.raises(ValueError):
        DmDtImage(**params).transform(X)


def test_bad_input_names_the_star():
    with pytest.raises(ValueError, match="light curve 1"):
        DmDtImage().fit_transform([([0.0, 1.0], [1.0, 2.0]), ([0.0, np.nan], [1.0, 2.0])])


@pytest.mark.parametrize("smear_errors", [False, True])
def test_batch_equals_per_star_and_order(synthetic, smear_errors):
    X, _ = synthetic
    X = X[:20]
    est = DmDtImage(smear_errors=smear_errors, normalize="density")
    batch = est.fit_transform(X)
    per_star = np.concatenate([est.transform([lc]) for lc in X])
    np.testing.assert_array_equal(batch, per_star)
    rev = est.transform(X[::-1])
    np.testing.assert_array_equal(rev, batch[::-1])
    par = clone(est).set_params(n_jobs=2).transform(X)
    np.testing.assert_array_equal(par, batch)


def test_dask_parallel_backend(synthetic):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_backend

    X, _ = synthetic
    est = DmDtImage(normalize=None, n_jobs=2)
    expected = est.transform(X)
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ):
        with parallel_backend("dask"):
            got = est.transform(X)
    np.testing.assert_array_equal(got, expected)


def test_stateless_pickle_clone_and_tags(synthetic):
    X, _ = synthetic
    est = DmDtImage(normalize="max", dt_bins=[0.01, 1, 100, 4000])
    out = est.transform(X)  # no fit needed
    again = pickle.loads(pickle.dumps(est)).transform(X)
    np.testing.assert_array_equal(out, again)
    np.testing.assert_array_equal(clone(est).fit(X).transform(X), out)
    assert est.__sklearn_tags__().requires_fit is False
    assert DmDtImage._get_test_params()


def test_pipeline_with_random_forest_on_crts(crts_small):
    X, y, _ = crts_small
    pipe = make_pipeline(
        DmDtImage(flatten=True), RandomForestClassifier(n_estimators=30, random_state=0)
    )
    pipe.fit(X[::2], y[::2])
    pred = pipe.predict(X[1::2])
    assert pred.shape == (len(X[1::2]),)
    assert (pred == y[1::2]).mean() > 0.4  # 4 balanced classes: chance is 0.25


def test_grid_search_over_parameters(crts_small):
    X, y, _ = crts_small
    pipe = make_pipeline(
        DmDtImage(flatten=True), RandomForestClassifier(n_estimators=10, random_state=0)
    )
    grid = GridSearchCV(
        pipe,
        {
            "dmdtimage__normalize": ["mahabal", "density"],
            "dmdtimage__dm_bins": [None, np.linspace(-2, 2, 11)],
        },
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        error_score="raise",
    )
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()


def test_max_points_guards_quadratic_cost():
    from sklearn_lc import DmDtImage, FreedmanDiaconisHist

    t = np.arange(200.0)
    X = [(t[:50], np.sin(t[:50])), (t, np.sin(t))]
    with pytest.raises(ValueError, match="light curve 1: has 200 points, more than max_points=100"):
        DmDtImage(max_points=100).fit_transform(X)
    assert DmDtImage(max_points=None).fit_transform(X).shape[0] == 2
    with pytest.raises(ValueError, match="light curve 1"):
        FreedmanDiaconisHist(max_points=100).fit(X)
