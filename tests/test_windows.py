import pickle

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_lc import WindowPad


def test_shape_padding_and_mask(synthetic):
    X, _ = synthetic
    W = WindowPad(window=150).fit_transform(X)
    assert W.shape == (len(X), 150, 4) and W.dtype == np.float32
    for (t, m, e), w in zip(X, W):
        k = min(len(t), 150)
        np.testing.assert_array_equal(w[:, 3], np.r_[np.ones(k), np.zeros(150 - k)])
        assert np.all(w[k:] == 0)
        np.testing.assert_allclose(w[:k, 0], t[:k] - t[:k].mean(), rtol=1e-6, atol=1e-3)
        np.testing.assert_allclose(w[:k, 1], m[:k] - m[:k].mean(), atol=1e-5)
        np.testing.assert_allclose(w[:k, 2], e[:k], rtol=1e-6)
        assert abs(w[:k, 1].mean()) < 1e-4


@pytest.mark.parametrize("strategy", ["first", "last", "random", "subsample"])
def test_strategies_pick_the_right_points(strategy):
    t = np.arange(500.0)
    m = np.sin(t / 7.0) + 10
    W = WindowPad(window=100, strategy=strategy, random_state=0).fit_transform([(t, m)])
    times = W[0, :, 0]
    # recover absolute times: spacing tells which points were taken
    d = np.diff(times)
    if strategy in ("first", "last", "random"):
        np.testing.assert_allclose(d, 1.0, atol=1e-4)
        mags = W[0, :, 1]
        if strategy == "first":
            np.testing.assert_allclose(mags, m[:100] - m[:100].mean(), atol=1e-5)
        if strategy == "last":
            np.testing.assert_allclose(mags, m[-100:] - m[-100:].mean(), atol=1e-5)
    else:
        assert times[-1] - times[0] == pytest.approx(499.0, abs=1e-3)


def test_random_strategy_seeded_and_independent_of_n_jobs(crts_small):
    X, _, _ = crts_small
    a = WindowPad(window=50, strategy="random", random_state=1).fit_transform(X)
    b = WindowPad(window=50, strategy="random", random_state=1, n_jobs=2).transform(X)
    c = WindowPad(window=50, strategy="random", random_state=2).transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_batch_equals_per_star(crts_small):
    X, _, _ = crts_small
    wp = WindowPad(window=64, strategy="subsample")
    batch = wp.fit_transform(X)
    for i in range(0, len(X), 7):
        np.testing.assert_array_equal(batch[i], wp.transform([X[i]])[0])


def test_scale_and_missing_errors():
    t = np.arange(10.0)
    W = WindowPad(window=12, scale=True).fit_transform([(t, 2 * np.sin(t) + 5)])
    assert W[0, :10, 1].std() == pytest.approx(1.0, rel=1e-5)
    assert np.all(W[0, :, 2] == 0)  # missing errors are written as 0


def test_params_pickle_clone_and_channels():
    wp = WindowPad(window=10).fit([([0.0, 1.0], [1.0, 2.0])])
    assert wp.channels_ == ("time", "mag", "err", "mask") == wp.get_channel_names()
    wp2 = pickle.loads(pickle.dumps(wp))
    assert wp2.window == 10 and clone(wp).get_params() == wp.get_params()
    with pytest.raises(ValueError, match="window"):
        WindowPad(window=0).fit([([0.0], [1.0])])
    with pytest.raises(ValueError, match="strategy"):
        WindowPad(strategy="middle").fit([([0.0], [1.0])])
    with pytest.raises(ValueError, match="light curve 1"):
        WindowPad().fit_transform([([0.0], [1.0]), ([np.nan], [1.0])])
