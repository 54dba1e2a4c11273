"""Masked pretraining (ASTROMER objective), MaskedPretrainer and EncoderEmbedding."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline

from sklearn_lc import EncoderEmbedding, MaskedPretrainer, make_light_curves
from sklearn_lc.transfer._masking import ReconstructionHead, make_masked_batch, masked_rmse

TINY = dict(d_model=16, n_heads=2, n_blocks=1, window=40, batch_size=16)


def _windows(n=400, L=60, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, L, 4)
    n_real = torch.randint(5, L + 1, (n,), generator=g)
    for i in range(n):
        k = int(n_real[i])
        x[i, :k, 0] = torch.sort(torch.rand(k, generator=g) * 100).values
        x[i, :k, 1] = torch.randn(k, generator=g)
        x[i, :k, 2] = 0.05
        x[i, :k, 3] = 1.0
    return x, n_real


def test_masking_proportions_and_only_real_points():
    x, n_real = _windows()
    b = make_masked_batch(x, generator=torch.Generator().manual_seed(1))
    real = x[..., 3] > 0
    assert not (b.chosen & ~real).any()
    # exactly round(50%) of each window's real points are chosen
    np.testing.assert_array_equal(b.chosen.sum(1).numpy(),
                                  np.maximum(np.round(n_real.numpy() * 0.5), 1))
    # hidden / randomised / kept partition the chosen ones, ~60/20/20 overall
    assert not (b.hidden & b.randomized).any() and not (b.hidden & b.kept).any()
    assert not (b.randomized & b.kept).any()
    assert torch.equal(b.hidden | b.randomized | b.kept, b.chosen)
    tot = b.chosen.sum().item()
    assert b.hidden.sum().item() / tot == pytest.approx(0.6, abs=0.03)
    assert b.randomized.sum().item() / tot == pytest.approx(0.2, abs=0.03)
    assert b.kept.sum().item() / tot == pytest.approx(0.2, abs=0.03)
    # hidden: zeroed and not attended; kept: unchanged; untouched points unchanged
    assert (b.x[..., 1][b.hidden] == 0).all() and not (b.attend & b.hidden).any()
    assert torch.equal(b.attend, real & ~b.hidden)
    assert torch.equal(b.x[..., 1][~b.hidden & ~b.randomized], x[..., 1][~b.hidden & ~b.randomized])
    assert torch.equal(b.target, x[..., 1])
    # randomised magnitudes come from visible real points of the same window
    for i in range(20):
        vals = set(x[i][b.attend[i], 1].tolist())
        assert all(v in vals for v in b.x[i, :, 1][b.randomized[i]].tolist())
    # different windows get different choices; the same seed gives the same choice
    b2 = make_masked_batch(x, generator=torch.Generator().manual_seed(1))
    assert torch.equal(b.chosen, b2.chosen) and torch.equal(b.x, b2.x)
    assert not torch.equal(b.chosen[0, :5], b.chosen[1, :5]) or not torch.equal(
        b.chosen[2, :5], b.chosen[3, :5])


def test_masked_rmse_hand_computed():
    pred = torch.tensor([[1.0, 2.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    target = torch.tensor([[0.0, 2.0, 5.0, 9.0], [1.0, 1.0, 0.0, 0.0]])
    w = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0]], dtype=torch.bool)
    # window 0: (1 + 0 + 4) / 3; window 1: 1 / 1 -> sqrt(mean)
    expected = np.sqrt(((5 / 3) + 1.0) / 2)
    assert masked_rmse(pred, target, w).item() == pytest.approx(expected, rel=1e-6)
    # unweighted points (index 3 of window 0) do not matter
    pred2 = pred.clone()
    pred2[0, 3] = 100.0
    assert masked_rmse(pred2, target, w).item() == pytest.approx(expected, rel=1e-6)


def test_hidden_points_are_invisible_to_the_encoder():
    torch.manual_seed(0)
    pre = MaskedPretrainer(**TINY, max_epochs=1, random_state=0)
    X, _ = make_light_curves(3, n_points=(30, 40), random_state=0)
    pre.fit(X)
    module = pre.encoder_.eval()
    x, _ = _windows(n=8, L=40, seed=3)
    b = make_masked_batch(x, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        h1 = module(b.x, b.attend)
        # change the *original* magnitude of hidden points and re-mask the same way
        x2 = x.clone()
        x2[..., 1] = torch.where(b.hidden, x2[..., 1] + 5.0, x2[..., 1])
        b2 = make_masked_batch(x2, generator=torch.Generator().manual_seed(0))
        assert torch.equal(b2.hidden, b.hidden) and torch.equal(b2.x, b.x)
        h2 = module(b2.x, b2.attend)
        assert torch.allclose(h1, h2)
        # changing a hidden point's corrupted input (its value in the encoder input)
        # does not change the outputs of the other observations either
        x3 = b.x.clone()
        x3[..., 1] = torch.where(b.hidden, torch.full_like(x3[..., 1], 7.0), x3[..., 1])
        h3 = module(x3, b.attend)
        other = b.attend
        assert torch.allclose(h1[other], h3[other], atol=1e-5)
        # while changing a visible point does change the others
        x4 = b.x.clone()
        j = int(torch.nonzero(b.attend[0])[0])
        x4[0, j, 1] += 3.0
        h4 = module(x4, b.attend)
        assert not torch.allclose(h1[0][b.attend[0]], h4[0][b.attend[0]], atol=1e-4)


def test_reconstruction_head_shape():
    h = torch.randn(3, 7, 16)
    assert ReconstructionHead(16)(h).shape == (3, 7)


def test_pretraining_reduces_heldout_rmse_and_roundtrips(tmp_path):
    X, _ = make_light_curves(12, n_points=(40, 80), random_state=1)
    pre = MaskedPretrainer(**TINY, max_epochs=6, lr=3e-3, random_state=0).fit(X)
    v = [h["valid_rmse"] for h in pre.history_]
    assert len(v) == 6 and np.all(np.isfinite(v))
    assert min(v[1:]) < v[0]
    E = pre.transform(X)
    assert E.shape == (len(X), 16) and E.dtype == np.float32 and np.isfinite(E).all()
    assert list(pre.get_feature_names_out()[:2]) == ["emb_0", "emb_1"]
    # save / load round trip
    path = pre.save(tmp_path / "enc")
    assert path == tmp_path / "enc" and (path / "model.json").is_file()
    pre2 = MaskedPretrainer.load(path)
    np.testing.assert_allclose(pre2.transform(X), E, rtol=1e-5, atol=1e-6)
    assert pre2.history_ == pre.history_
    assert pre2.score(X) == pytest.approx(pre.score(X))
    # same seed, same result
    pre3 = clone(pre).fit(X)
    np.testing.assert_allclose(pre3.transform(X), E, rtol=1e-6)


def test_encoder_embedding_from_pretrainer_and_in_pipeline():
    X, y = make_light_curves(6, n_points=(30, 60), random_state=2)
    pre = MaskedPretrainer(**TINY, max_epochs=1, random_state=0).fit(X)
    emb = EncoderEmbedding(pre, window=40).fit(X)
    E = emb.transform(X)
    assert E.shape == (len(X), 16) and E.dtype == np.float32
    np.testing.assert_allclose(E, pre.transform(X), rtol=1e-5, atol=1e-6)
    assert list(emb.get_feature_names_out()) == [f"emb_{i}" for i in range(16)]
    # the embedding is a copy: the pretrainer's encoder is not shared
    assert emb.encoder_ is not pre.encoder_
    pipe = make_pipeline(EncoderEmbedding(pre, window=40),
                         RandomForestClassifier(n_estimators=20, random_state=0))
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (len(X),)
    assert set(pipe.predict(X)) <= set(y)


def test_shipped_encoder_loads_by_name_offline(monkeypatch, tmp_path):
    # no data folder and no network are needed: weights come from the package
    monkeypatch.setenv("SKLEARN_LC_DATA", str(tmp_path / "nowhere"))
    pre = MaskedPretrainer.load("crts")
    assert pre.d_model_ <= 64 and len(pre.history_) >= 1
    X, _ = make_light_curves(2, random_state=0)
    E = EncoderEmbedding("crts").fit_transform(X)
    assert E.shape == (len(X), pre.d_model_) and np.isfinite(E).all()


def test_warm_start_goes_on_training_the_loaded_encoder(tmp_path):
    X, _ = make_light_curves(12, n_points=(40, 80), random_state=1)
    pre = MaskedPretrainer(**TINY, max_epochs=2, lr=3e-3, random_state=0).fit(X)
    pre.save(tmp_path / "enc")
    loaded = MaskedPretrainer.load(tmp_path / "enc")
    assert loaded.warm_start is False  # loading never turns it on
    start = loaded.score(X)
    before = {k: v.clone() for k, v in loaded.encoder_.state_dict().items()}
    encoder = loaded.encoder_
    loaded.set_params(warm_start=True, max_epochs=3).fit(X)
    assert loaded.encoder_ is encoder  # the same network, trained further
    assert [h["epoch"] for h in loaded.history_] == [1, 2, 3, 4, 5]
    assert loaded.history_[:2] == pre.history_
    assert any(not torch.equal(before[k], v) for k, v in loaded.encoder_.state_dict().items())
    # the kept weights are the best of the start and the new epochs on the held-out split
    assert loaded.best_epoch_ >= 2
    assert np.isfinite(loaded.score(X)) and np.isfinite(start)
    # without warm_start, fit starts afresh: same seed, same result as the first fit
    fresh = clone(loaded).set_params(warm_start=False, max_epochs=2).fit(X)
    assert fresh.history_ == [dict(h, dur=f["dur"]) for h, f in
                              zip(pre.history_, fresh.history_)]


def test_warm_start_with_another_architecture_is_an_error():
    X, _ = make_light_curves(6, n_points=(30, 60), random_state=2)
    pre = MaskedPretrainer(**TINY, max_epochs=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="d_model=32 does not match"):
        pre.set_params(warm_start=True, d_model=32).fit(X)


def test_pretraining_goes_through_skorch_and_keeps_the_best_epoch(capsys):
    X, _ = make_light_curves(12, n_points=(40, 80), random_state=1)
    pre = MaskedPretrainer(**TINY, max_epochs=4, lr=3e-2, random_state=0, verbose=1).fit(X)
    out = capsys.readouterr().out
    assert "train_rmse" in out and "valid_rmse" in out and "dur" in out  # skorch's PrintLog
    v = [h["valid_rmse"] for h in pre.history_]
    assert pre.best_epoch_ == int(np.argmin(v)) + 1
    # the kept weights are those of the best epoch: its validation RMSE comes back
    from sklearn_lc.transfer._masked_net import MaskedModel, pooled_rmse
    from sklearn_lc.transfer._pretrainer import _windows

    rng = np.random.RandomState(0)
    seed = int(rng.randint(2**31 - 1))
    perm = rng.permutation(len(X))
    valid = [X[i] for i in np.sort(perm[:int(round(0.1 * len(X)))])]
    W = _windows(valid, pre.window, None)
    model = MaskedModel(pre.encoder_, pre.reconstruction_)
    got = pooled_rmse(model, W, seed + 1, pre.batch_size, pre._fractions())
    assert got == pytest.approx(min(v), rel=1e-5)


def test_diverging_pretraining_stops_with_a_value_error():
    X, _ = make_light_curves(4, n_points=(40, 80), random_state=1)
    with pytest.raises(ValueError, match="training diverged.*lr="):
        MaskedPretrainer(**TINY, max_epochs=5, lr=1e20, random_state=0).fit(X)


# ------------------------------------------------------------------ folded curves (periodic)
PERIODIC = dict(TINY, window=32, time_encoding="periodic", mag_scale=10.0)


def _folded(n=8, seed=0):
    from sklearn_lc import PhaseFold

    X, y = make_light_curves(n, n_points=(40, 80), random_state=seed)
    return PhaseFold().fit_transform(X), X, y


def test_periodic_pretraining_on_folded_curves_roundtrips(tmp_path):
    F, X, _ = _folded()
    pre = MaskedPretrainer(**PERIODIC, max_epochs=2, random_state=0).fit(F)
    assert pre.encoder_.time_encoding == "periodic" and pre.encoder_.mag_scale == 10.0
    E = pre.transform(F)
    assert E.shape == (len(F), 16) and np.isfinite(E).all()
    pre.save(tmp_path / "enc")
    loaded = MaskedPretrainer.load(tmp_path / "enc")
    assert loaded.encoder_.time_encoding == "periodic" and loaded.encoder_.mag_scale == 10.0
    assert loaded.encoder_.pe.n_harmonics == 8
    np.testing.assert_allclose(loaded.transform(F), E, atol=1e-6)
    # EncoderEmbedding's "auto" windows of a periodic encoder: points spread over the cycle
    np.testing.assert_allclose(EncoderEmbedding(loaded, window=32).fit_transform(F), E,
                               atol=1e-6)
    first = EncoderEmbedding(loaded, window=32, strategy="first").fit_transform(F)
    assert not np.allclose(first, E, atol=1e-4)


def test_embedding_auto_strategy_of_a_time_encoder_is_first():
    X, _ = make_light_curves(4, n_points=(60, 90), random_state=3)
    pre = MaskedPretrainer(**TINY, max_epochs=1, random_state=0).fit(X)
    np.testing.assert_array_equal(
        EncoderEmbedding(pre, window=30).fit_transform(X),
        EncoderEmbedding(pre, window=30, strategy="first").fit_transform(X))


def test_periodic_encoder_refuses_unfolded_curves_naming_the_star():
    F, X, _ = _folded()
    with pytest.raises(ValueError, match=r"light curve 0\b.*not phases.*PhaseFold"):
        MaskedPretrainer(**PERIODIC, max_epochs=1, random_state=0).fit(X)
    bad = list(F)
    bad[3] = X[3]
    pre = MaskedPretrainer(**PERIODIC, max_epochs=1, random_state=0).fit(F)
    with pytest.raises(ValueError, match=r"light curve 3\b.*PhaseFold"):
        pre.transform(bad)
    with pytest.raises(ValueError, match=r"light curve 3\b.*PhaseFold"):
        EncoderEmbedding(pre, window=32).fit(F).transform(bad)
    # a time encoder reads both: nothing is checked there
    assert MaskedPretrainer(**TINY, max_epochs=1, random_state=0).fit(X).transform(F).shape[0]


def test_periodic_windows_spread_over_the_cycle():
    from sklearn_lc.transfer._pretrainer import _windows

    rng = np.random.RandomState(0)
    t = np.sort(rng.rand(300))
    lc = (t, np.sin(2 * np.pi * t), np.full(300, 0.01))
    a = _windows([lc], 64, np.random.RandomState(1), periodic=True)[0]
    b = _windows([lc], 64, np.random.RandomState(2), periodic=True)[0]
    fixed = _windows([lc], 64, None, periodic=True)[0]
    for w in (a, b, fixed):
        assert w[:, 3].sum() == 64 and np.all(np.diff(w[:, 0]) > 0)  # in phase order
        assert np.ptp(w[:, 0]) > 0.9  # the whole cycle, not an arc of it
    assert not np.array_equal(a, b)  # a new subset each draw
    np.testing.assert_array_equal(fixed, _windows([lc], 64, None, periodic=True)[0])
    crop = _windows([lc], 64, np.random.RandomState(1))[0]  # unfolded: consecutive points
    assert np.ptp(crop[:, 0]) < 0.5


def test_warm_start_with_another_time_encoding_is_an_error():
    F, _, _ = _folded(6)
    pre = MaskedPretrainer(**PERIODIC, max_epochs=1, random_state=0).fit(F)
    with pytest.raises(ValueError, match="mag_scale=1.0 does not match"):
        pre.set_params(warm_start=True, mag_scale=1.0).fit(F)
    with pytest.raises(ValueError, match="time_encoding=time does not match"):
        pre.set_params(mag_scale=10.0, time_encoding="time").fit(F)


def test_transfer_from_a_folded_encoder_keeps_its_encoding(tmp_path):
    from sklearn_lc import PhaseFold, TransferClassifier, WindowPad
    from sklearn_lc.model_io import load_model, save_model

    F, X, y = _folded(8)
    pre = MaskedPretrainer(**PERIODIC, max_epochs=1, random_state=0).fit(F)
    clf = make_pipeline(PhaseFold(), WindowPad(32, strategy="subsample"),
                        TransferClassifier(pre, max_epochs=2, random_state=0)).fit(X, y)
    enc = clf[-1].module_.encoder
    assert enc.time_encoding == "periodic" and enc.mag_scale == 10.0
    save_model(clf, tmp_path / "m")
    np.testing.assert_allclose(load_model(tmp_path / "m").predict_proba(X),
                               clf.predict_proba(X), atol=1e-6)
