"""Tests of FreedmanDiaconisHist (dm-dt histograms with Freedman-Diaconis bins)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklearn_lc import FreedmanDiaconisHist
from sklearn_lc.transformers._histogram import _resample_matrix, viridis


def _pairs(lcs):
    dts, dms = [], []
    for t, m, *_ in lcs:
        t, m = np.asarray(t, float), np.asarray(m, float)
        i, j = np.triu_indices(len(t), 1)
        dts.append(t[j] - t[i])
        dms.append(m[j] - m[i])
    return np.concatenate(dts), np.concatenate(dms)


def _fd_rule(x):
    q75, q25 = np.percentile(x, [75, 25])
    width = 2 * (q75 - q25) / len(x) ** (1 / 3)
    n_bins = int(np.ceil((x.max() - x.min()) / width))
    return np.linspace(x.min(), x.max(), n_bins + 1), n_bins


@pytest.fixture(scope="module")
def small_lcs():
    rng = np.random.RandomState(0)
    out = []
    for _ in range(6):
        n = 25
        t = np.sort(rng.uniform(0, 100, n))
        m = 15 + 0.3 * np.sin(t) + 0.05 * rng.randn(n)
        out.append((t, m, np.full(n, 0.05)))
    return out


@pytest.mark.parametrize("log_dt", [False, True])
def test_edges_follow_freedman_diaconis_rule(small_lcs, log_dt):
    est = FreedmanDiaconisHist(log_dt=log_dt, max_bins=10_000).fit(small_lcs)
    dt, dm = _pairs(small_lcs)
    assert est.n_pairs_fit_ == dt.size == 6 * 25 * 24 // 2
    dm_edges, n_dm = _fd_rule(dm)
    assert 2 < n_dm < 10_000
    np.testing.assert_allclose(est.dm_edges_, dm_edges, rtol=0, atol=1e-12)
    if log_dt:
        dt_edges, _ = _fd_rule(np.log10(dt))
        np.testing.assert_allclose(np.log10(est.dt_edges_), dt_edges, rtol=0, atol=1e-12)
    else:
        dt_edges, _ = _fd_rule(dt)
        np.testing.assert_allclose(est.dt_edges_, dt_edges, rtol=0, atol=1e-12)
    np.testing.assert_allclose(est.dm_edges_, np.histogram_bin_edges(dm, bins="fd"))


def test_max_bins_widens_bins_evenly(small_lcs):
    est = FreedmanDiaconisHist(log_dt=False, max_bins=5).fit(small_lcs)
    dt, dm = _pairs(small_lcs)
    assert _fd_rule(dm)[1] > 5 and _fd_rule(dt)[1] > 5
    np.testing.assert_allclose(est.dm_edges_, np.linspace(dm.min(), dm.max(), 6))
    np.testing.assert_allclose(est.dt_edges_, np.linspace(dt.min(), dt.max(), 6))


def test_pair_subsampling_is_seeded_and_close(crts_small):
    X, _, _ = crts_small
    a = FreedmanDiaconisHist(max_pairs=50_000, random_state=0).fit(X)
    b = FreedmanDiaconisHist(max_pairs=50_000, random_state=0).fit(X)
    c = FreedmanDiaconisHist(max_pairs=50_000, random_state=1).fit(X)
    assert a.n_pairs_fit_ <= 50_000
    np.testing.assert_array_equal(a.dm_edges_, b.dm_edges_)
    np.testing.assert_array_equal(a.dt_edges_, b.dt_edges_)
    assert not np.array_equal(a.dm_edges_, c.dm_edges_)
    # a uniform subsample gives nearly the same IQR as all pairs
    _, dm = _pairs(X)
    q_all = np.subtract(*np.percentile(dm, [75, 25]))
    width_sub = np.diff(a.dm_edges_)[0]
    n_sub = a.n_pairs_fit_
    rule_sub = 2 * q_all / n_sub ** (1 / 3)
    assert width_sub >= 0.8 * rule_sub  # same rule, possibly widened by max_bins


@pytest.mark.parametrize("channels", ["colormap", "counts", "log", "density"])
def test_shapes_and_channels(small_lcs, channels):
    est = FreedmanDiaconisHist(channels=channels, shape=(30, 20)).fit(small_lcs)
    img = est.transform(small_lcs)
    assert img.shape == (6, 3, 30, 20) and img.dtype == np.float32
    assert np.isfinite(img).all() and img.min() >= 0
    if channels == "colormap":
        assert img.max() <= 1.0
        # every pixel is (close to) a viridis colour
        table = viridis(np.linspace(0, 1, 1024))
        px = img.transpose(0, 2, 3, 1).reshape(-1, 3)
        for a in range(0, len(px), 500):
            d = ((px[a : a + 500, None, :] - table[None]) ** 2).sum(-1).min(axis=1)
            assert np.sqrt(d).max() < 0.005
        assert not np.allclose(px, px[0])  # not a constant image
        # the brightest pixel of each image is viridis(1)
        for k in range(6):
            assert np.allclose(
                img[k, :, :, :].max(axis=(1, 2))[1], viridis(np.array(1.0))[1], atol=1e-6
            )
    else:
        np.testing.assert_array_equal(img[:, 0], img[:, 1])
        np.testing.assert_array_equal(img[:, 0], img[:, 2])
        if channels == "density":
            assert img.max() <= 1.0


def test_default_shape_is_the_studys(small_lcs):
    img = FreedmanDiaconisHist().fit(small_lcs).transform(small_lcs[:2])
    assert img.shape == (2, 3, 90, 53)


def test_viridis_matches_matplotlib():
    mpl = pytest.importorskip("matplotlib")
    v = np.linspace(0, 1, 1001)
    ref = mpl.colormaps["viridis"](v)[:, :3]
    # matplotlib picks the nearest of its 256 entries, we interpolate: within one step
    np.testing.assert_allclose(viridis(v), ref, atol=0.015)
    np.testing.assert_allclose(
        viridis(np.arange(256) / 255), mpl.colormaps["viridis"].colors, atol=0.5 / 255 + 1e-9
    )


def test_resampling_identity_and_nearest():
    # same size: identity; bilinear rows sum to 1; nearest picks one bin per pixel
    np.testing.assert_allclose(_resample_matrix(7, 7, "bilinear"), np.eye(7))
    np.testing.assert_allclose(_resample_matrix(7, 7, "nearest"), np.eye(7))
    for how in ("bilinear", "nearest"):
        mat = _resample_matrix(13, 40, how)
        np.testing.assert_allclose(mat.sum(axis=1), 1.0)
    near = _resample_matrix(2, 4, "nearest")
    np.testing.assert_array_equal(near.argmax(axis=1), [0, 0, 1, 1])


def test_counts_on_native_grid_equal_histogram2d(small_lcs):
    # with shape equal to the bin grid, "counts" is the plain histogram on the learned edges
    est = FreedmanDiaconisHist(log_dt=False, max_bins=12, channels="counts").fit(small_lcs)
    shape = (est.dm_edges_.size - 1, est.dt_edges_.size - 1)
    est.set_params(shape=shape)
    img = est.transform(small_lcs)
    for k, lc in enumerate(small_lcs):
        dt, dm = _pairs([lc])
        h = np.histogram2d(dt, dm, bins=[est.dt_edges_, est.dm_edges_])[0].T
        np.testing.assert_array_equal(img[k, 0], h)


def test_fit_on_train_transform_on_test_uses_train_edges(small_lcs):
    train, test = small_lcs[:3], small_lcs[3:]
    est = FreedmanDiaconisHist(channels="counts", random_state=0).fit(train)
    other = FreedmanDiaconisHist(channels="counts", random_state=0).fit(test)
    assert not np.array_equal(est.dm_edges_, other.dm_edges_)
    edges = est.dm_edges_.copy(), est.dt_edges_.copy()
    out = est.transform(test)
    np.testing.assert_array_equal(est.dm_edges_, edges[0])  # transform learns nothing
    np.testing.assert_array_equal(est.dt_edges_, edges[1])
    assert not np.array_equal(out, other.transform(test))
    # a test star with a much larger amplitude: its pairs beyond the train dm range are lost
    t, m, e = test[0]
    big = [(t, 15 + 10 * (m - 15), e)]
    assert est.transform(big).sum() < 0.5 * est.transform([test[0]]).sum()


def test_transform_before_fit_raises(small_lcs):
    with pytest.raises(NotFittedError):
        FreedmanDiaconisHist().transform(small_lcs)


def test_batch_equals_per_star_and_order(small_lcs):
    est = FreedmanDiaconisHist(shape=(20, 15), random_state=0).fit(small_lcs)
    batch = est.transform(small_lcs)
    per_star = np.concatenate([est.transform([lc]) for lc in small_lcs])
    np.testing.assert_array_equal(batch, per_star)
    np.testing.assert_array_equal(est.transform(small_lcs[::-1]), batch[::-1])
    np.testing.assert_array_equal(
        clone(est).set_params(n_jobs=2).fit(small_lcs).transform(small_lcs), batch
    )


def test_one_point_star_and_pickle(small_lcs):
    est = FreedmanDiaconisHist(shape=(10, 8), channels="counts").fit(small_lcs)
    out = est.transform([([1.0], [15.0])] + small_lcs[:1])
    assert out.shape == (2, 3, 10, 8) and not out[0].any() and out[1].any()
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform(small_lcs), est.transform(small_lcs))


@pytest.mark.parametrize(
    "params",
    [
        {"shape": (0, 5)},
        {"shape": (5,)},
        {"shape": (5.5, 3)},
        {"channels": "rgb"},
        {"max_bins": 0},
        {"max_pairs": 0},
        {"interpolation": "cubic"},
    ],
)
def test_bad_params_raise(small_lcs, params):
    with pytest.raises(ValueError):
        FreedmanDiaconisHist(**params).fit(small_lcs)


def test_no_pairs_raises():
    with pytest.raises(ValueError, match="at least one pair"):
        FreedmanDiaconisHist().fit([([1.0], [2.0]), ([3.0], [4.0])])


def test_real_crts_smoke(crts_small):
    X, y, _ = crts_small
    est = FreedmanDiaconisHist(random_state=0, max_pairs=200_000).fit(X[:30])
    assert 2 < est.dt_edges_.size <= 101 and 2 < est.dm_edges_.size <= 101
    assert est.dt_edges_[0] < 0.1 and est.dt_edges_[-1] > 1000  # log dt covers hours to years
    img = est.transform(X[30:])
    assert img.shape == (len(X) - 30, 3, 90, 53)
    assert np.isfinite(img).all() and 0 <= img.min() and img.max() <= 1
    # images differ between stars
    assert np.abs(img[0] - img[1]).max() > 0.05
