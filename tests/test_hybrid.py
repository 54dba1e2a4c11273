"""HybridClassifier, HybridNet, the periodic encoding and the training-time augmentation."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_lc import (
    FeatureFold,
    HybridClassifier,
    PhaseFold,
    TransformerClassifier,
    WindowPad,
    make_light_curves,
)
from sklearn_lc.classifiers._hybrid import _quantiles
from sklearn_lc.model_io import load_model, save_model
from sklearn_lc.nn import (
    BinnedAugment,
    HybridNet,
    PhasePositionalEncoding,
    QuantileNormalizer,
    SequenceAugment,
    TransformerNet,
)

TINY = dict(module__n_filters=4, module__n_conv=1, module__tabular_hidden=(8,),
            module__head_hidden=(8,), module__hidden_size=4, module__d_model=8,
            module__n_heads=2, module__n_blocks=1, batch_size=16, random_state=0,
            device="cpu")


@pytest.fixture(scope="module")
def curves():
    X, y = make_light_curves(8, classes=("RRab", "EA", "LPV"), n_points=(40, 120),
                             random_state=0)
    return list(X), np.asarray(y)


@pytest.fixture(scope="module")
def rows(curves):
    X, y = curves
    ff = FeatureFold(n_bins=8).fit(X)
    return ff.transform(X), y


def _hybrid(**kw):
    p = dict(TINY, sequence_shape=(8, 5), max_epochs=2)
    p.update(kw)
    return HybridClassifier(**p)


@pytest.mark.parametrize("backbone", ["cnn", "cnn-lstm", "transformer"])
def test_each_backbone_fits_and_predicts(rows, backbone):
    Z, y = rows
    clf = _hybrid(backbone=backbone).fit(Z, y)
    proba = clf.predict_proba(Z[:5])
    assert proba.shape == (5, 3)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    assert clf.n_tabular_ == 21 and clf.quantiles_.shape == (21, 64)
    assert clf.transform(Z[:3]).shape == (3, clf.module_.embedding_dim)


def test_layout_is_checked_in_fit(rows):
    Z, y = rows
    with pytest.raises(ValueError, match="sequence_shape"):
        _hybrid(sequence_shape=(30, 5)).fit(Z, y)  # 150 > 61 columns
    with pytest.raises(ValueError, match="sequence_shape"):
        _hybrid(sequence_shape=(8.5, 5)).fit(Z, y)
    with pytest.raises(ValueError, match="backbone"):
        _hybrid(backbone="rnn").fit(Z, y)
    clf = _hybrid().fit(Z, y)
    with pytest.raises(ValueError, match="61"):
        clf.predict(Z[:, :-5])


def test_quantiles_learned_on_the_training_rows_only(rows):
    Z, y = rows
    clf = _hybrid(max_epochs=1, validation_fraction=None).fit(Z[:12], y[:12])
    period = Z[:12, 3]
    np.testing.assert_allclose(clf.quantiles_[3, [0, -1]], [period.min(), period.max()],
                               rtol=1e-6)
    q = clf.module_.tabular.normalizer.quantiles.numpy()
    np.testing.assert_allclose(q, clf.quantiles_)
    # with a validation split, the held-out stars do not enter the quantiles
    held = _hybrid(max_epochs=1, validation_fraction=0.25).fit(Z, y)
    train, valid = held.get_split_datasets(Z, y)  # the same seeded split as in fit
    assert len(valid) > 0
    np.testing.assert_allclose(held.quantiles_, _quantiles(Z[train.indices, :21], 64))
    assert not np.allclose(held.quantiles_, _quantiles(Z[:, :21], 64))


def test_quantile_normalizer_ignores_monotone_rescaling():
    rng = np.random.RandomState(0)
    x = rng.lognormal(0, 2, (500, 1))
    a, b = QuantileNormalizer(1, 32), QuantileNormalizer(1, 32)
    a.set_quantiles(np.quantile(x, np.linspace(0, 1, 32), axis=0).T)
    b.set_quantiles(np.quantile(np.log(x), np.linspace(0, 1, 32), axis=0).T)
    za = a(torch.as_tensor(x, dtype=torch.float32))
    zb = b(torch.as_tensor(np.log(x), dtype=torch.float32))
    # the same scores up to the interpolation between quantiles
    assert torch.corrcoef(torch.cat([za, zb], 1).T)[0, 1] > 0.999
    assert abs(float(za.mean())) < 0.1 and 0.8 < float(za.std()) < 1.2
    nan = a(torch.tensor([[float("nan")]]))
    assert float(nan) == 0.0


def test_learns_from_the_sequence_branch_alone():
    # classes differ only in the shape of the folded curve; the features are noise
    rng = np.random.RandomState(0)
    n, L = 120, 16
    y = np.repeat(["sine", "box"], n // 2)
    seq = np.zeros((n, L, 5), dtype=np.float32)
    ph = (np.arange(L) + 0.5) / L
    seq[:, :, 0] = ph
    seq[: n // 2, :, 1] = np.sin(2 * np.pi * ph)
    seq[n // 2:, :, 1] = np.where(ph < 0.25, 1.0, -0.3)
    seq[:, :, 1] = np.roll(seq[:, :, 1], 0, axis=1) + rng.normal(0, 0.3, (n, L))
    seq[:, :, 3] = 1.0
    X = np.hstack([rng.normal(size=(n, 4)), seq.reshape(n, -1)]).astype(np.float32)
    idx = rng.permutation(n)
    clf = _hybrid(sequence_shape=(L, 5), max_epochs=15, lr=5e-3, validation_fraction=None)
    clf.fit(X[idx[:80]], y[idx[:80]])
    assert (clf.predict(X[idx[80:]]) == y[idx[80:]]).mean() > 0.85


def test_pipeline_in_grid_search_and_grouped_cross_validation(curves):
    X, y = curves
    groups = np.arange(len(y)) // 2
    pipe = make_pipeline(FeatureFold(n_bins=8), _hybrid(max_epochs=1))
    scores = cross_val_score(pipe, X, y, groups=groups, cv=StratifiedGroupKFold(2),
                             error_score="raise")
    assert scores.shape == (2,) and np.all(np.isfinite(scores))
    gs = GridSearchCV(pipe, {"hybridclassifier__backbone": ["cnn", "cnn-lstm"]},
                      cv=StratifiedGroupKFold(2), error_score="raise")
    gs.fit(X, y, groups=groups)
    assert gs.best_params_["hybridclassifier__backbone"] in ("cnn", "cnn-lstm")


def test_save_and_load_model_round_trip(curves, tmp_path):
    X, y = curves
    pipe = make_pipeline(FeatureFold(n_bins=8), _hybrid(backbone="cnn-lstm")).fit(X, y)
    save_model(pipe, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(X), pipe.predict_proba(X), rtol=1e-5,
                               atol=1e-6)
    net = loaded[-1]
    assert net.backbone == "cnn-lstm" and net.sequence_shape == (8, 5)


def test_images_take_the_2d_cnn():
    rng = np.random.RandomState(0)
    n = 24
    y = np.repeat(["a", "b"], n // 2)
    img = rng.rand(n, 1, 6, 7).astype(np.float32)
    X = np.hstack([rng.normal(size=(n, 3)), img.reshape(n, -1)]).astype(np.float32)
    clf = _hybrid(sequence_shape=(1, 6, 7)).fit(X, y)
    assert clf.predict(X).shape == (n,)
    with pytest.raises(ValueError, match="backbone='cnn'"):
        _hybrid(sequence_shape=(1, 6, 7), backbone="transformer").fit(X, y)


def test_clone_and_seeded_fits_agree(rows):
    Z, y = rows
    clf = _hybrid(module__augment_noise=1.0, module__augment_drop=0.2,
                  module__augment_phase_shift=0.5)
    a = clone(clf).fit(Z, y).predict_proba(Z)
    b = clone(clf).fit(Z, y).predict_proba(Z)
    np.testing.assert_array_equal(a, b)
    c = clone(clf).set_params(random_state=1).fit(Z, y).predict_proba(Z)
    assert not np.allclose(a, c)


# ----------------------------------------------------------------------------- modules


def test_periodic_encoding_has_period_one():
    pe = PhasePositionalEncoding(16, n_harmonics=4)
    t = torch.rand(3, 10)
    torch.testing.assert_close(pe(t), pe(t + 1.0), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(pe(t), pe(t - 3.0), rtol=1e-4, atol=1e-4)
    assert not torch.allclose(pe(t), pe(t + 0.25))


def test_transformer_periodic_encoding_selectable(curves):
    X, y = curves
    net = TransformerNet(n_classes=3, d_model=16, n_heads=2, head_hidden=(8,),
                         time_encoding="periodic")
    assert isinstance(net.encoder.pe, PhasePositionalEncoding)
    assert isinstance(TransformerNet(d_model=16).encoder.pe, torch.nn.Module)
    with pytest.raises(ValueError, match="time_encoding"):
        TransformerNet(d_model=16, time_encoding="phase")
    pipe = make_pipeline(PhaseFold(), WindowPad(window=40), TransformerClassifier(
        module__time_encoding="periodic", **TransformerClassifier._get_test_params()))
    assert pipe.fit(X, y).predict(X).shape == (len(y),)


def test_hybrid_net_shapes_and_split():
    net = HybridNet(n_tabular=3, sequence_shape=(8, 5), n_classes=4, n_filters=4,
                    tabular_hidden=(8,), head_hidden=(8,)).eval()
    x = torch.randn(6, 3 + 40)
    assert net(x).shape == (6, 4)
    tab, seq = net.split(x)
    torch.testing.assert_close(seq[2, 1], x[2, 3 + 5:3 + 10])
    with pytest.raises(ValueError, match="columns"):
        net(torch.randn(6, 42))
    no_tab = HybridNet(n_tabular=0, sequence_shape=(8, 5), n_classes=2, n_filters=4).eval()
    assert no_tab.tabular is None and no_tab(torch.randn(2, 40)).shape == (2, 2)


def _windows(n=5, L=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, L, 4)
    for i in range(n):
        k = min(8 + i, L)
        ph = torch.sort(torch.rand(k, generator=g)).values
        x[i, :k, 0] = ph - ph.mean()
        x[i, :k, 1] = torch.randn(k, generator=g)
        x[i, :k, 2] = 0.1
        x[i, :k, 3] = 1
    return x


def test_sequence_augment_only_in_training_and_keeps_layout():
    x = _windows()
    aug = SequenceAugment(noise=1.0, drop=0.3, phase_shift=0.5)
    assert aug.eval()(x) is x
    torch.manual_seed(0)
    out = aug.train()(x)
    real = out[..., 3] > 0.5
    # real observations first, padding all zeros, at least one kept per window
    for i in range(len(out)):
        k = int(real[i].sum())
        assert k >= 1 and real[i, :k].all() and not real[i, k:].any()
        assert torch.all(out[i, k:] == 0)
        assert torch.all(torch.diff(out[i, :k, 0]) >= 0)  # sorted by (shifted) phase
        assert abs(float(out[i, :k, 0].mean())) < 1e-5  # re-centred
    assert int(real.sum()) < int((x[..., 3] > 0).sum())  # some dropped
    torch.manual_seed(0)
    torch.testing.assert_close(aug(x), out)  # seeded


def test_sequence_augment_noise_follows_the_errors():
    x = _windows(n=200, L=30)
    x[..., 2] = torch.where(x[..., 3] > 0, torch.tensor(0.5), torch.tensor(0.0))
    torch.manual_seed(1)
    d = SequenceAugment(noise=1.0).train()(x)[..., 1] - x[..., 1]
    real = x[..., 3] > 0
    assert abs(float(d[real].std()) - 0.5) < 0.03
    assert torch.all(d[~real] == 0)


def test_binned_augment_rolls_bins_and_keeps_phase_channel():
    L = 16
    x = torch.zeros(4, L, 5)
    x[..., 0] = (torch.arange(L) + 0.5) / L
    x[..., 1] = torch.arange(L, dtype=torch.float32)
    x[..., 3] = 1
    torch.manual_seed(0)
    out = BinnedAugment(phase_shift=0.5).train()(x)
    torch.testing.assert_close(out[..., 0], x[..., 0])
    for i in range(4):
        shift = -int(out[i, 0, 1])  # the mag sequence is a rotation of 0..L-1
        torch.testing.assert_close(out[i, :, 1], torch.roll(x[i, :, 1], shift))
    dropped = BinnedAugment(drop=0.5).train()(x)
    gone = dropped[..., 3] == 0
    assert gone.any() and (~gone).any()
    assert BinnedAugment(noise=1, drop=0.5, phase_shift=0.5).eval()(x) is x


def test_transfer_classifier_fine_tunes_a_hybrid_network(rows):
    from sklearn_lc import TransferClassifier

    Z, y = rows
    src = _hybrid(max_epochs=1).fit(Z, y)
    y2 = np.where(y == "LPV", "long", "short")  # a new label set: a new output layer
    for freeze in ("none", "encoder"):
        clf = TransferClassifier(source=src, freeze=freeze, max_epochs=2, lr=1e-2,
                                 random_state=0).fit(Z, y2)
        assert type(clf.module_).__name__ == "HybridNet"
        assert clf.module_.head.out.out_features == 2
        assert set(clf.predict(Z)) <= {"long", "short"}
        # both branches come from the source; frozen with freeze="encoder"
        torch.testing.assert_close(clf.module_.tabular.normalizer.quantiles,
                                   src.module_.tabular.normalizer.quantiles)
        same = torch.equal(clf.module_.sequence.convs[0].weight,
                           src.module_.sequence.convs[0].weight)
        assert same == (freeze == "encoder")


def test_cli_trains_the_hybrid_recipe(curves, tmp_path):
    from sklearn_lc import cli
    from sklearn_lc.recipes import MODEL_RECIPES, build_model

    pipe = build_model("hybrid")
    assert [type(s).__name__ for _, s in pipe.steps] == ["FeatureFold", "HybridClassifier"]
    # the recipe's two steps agree on the layout of a row
    ff, net = pipe[0], pipe[-1]
    assert tuple(net.sequence_shape) == (ff.n_bins, 5)
    assert "FeatureFold" in MODEL_RECIPES["hybrid"][0]
    X, y = curves
    lengths = np.array([len(t) for t, _, _ in X])
    np.savez(tmp_path / "train.npz", offsets=np.concatenate([[0], np.cumsum(lengths)]),
             time=np.concatenate([lc[0] for lc in X]), mag=np.concatenate([lc[1] for lc in X]),
             err=np.concatenate([lc[2] for lc in X]), label=y)
    out = tmp_path / "model"
    assert cli.main(["train", str(tmp_path / "train.npz"), "--model", "hybrid", "-o", str(out),
                     "--random-state", "0", "-q"]) == 0
    loaded = load_model(out)
    assert type(loaded[-1]).__name__ == "HybridClassifier"
    assert loaded.predict_proba(X).shape == (len(X), 3)
