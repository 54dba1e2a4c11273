"""TransferClassifier (all source kinds, freezing, unfreezing) and FeatureMLPClassifier."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

import sklearn_lc
from sklearn_lc import (
    CNNClassifier,
    CNNLSTMClassifier,
    FeatureMLPClassifier,
    MaskedPretrainer,
    TransferClassifier,
    TransformerClassifier,
    WindowPad,
    make_light_curves,
)
from sklearn_lc.transfer import load_source_module, save_weights
from sklearn_lc.utils.estimator_checks import make_check_input

TRAIN = dict(max_epochs=2, batch_size=8, random_state=0)


@pytest.fixture(scope="module")
def seq():
    X, y = make_check_input("sequence", n_per_class=8, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def source_transformer(seq):
    X, _ = seq
    y = np.repeat(["p", "q"], len(X) // 2)  # different classes than the target
    return TransformerClassifier(module__d_model=16, module__n_heads=2, module__n_blocks=1,
                                 module__head_hidden=(16,), **TRAIN).fit(X, y)


def _params(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def test_from_fitted_transformer_source_unchanged_and_head_replaced(seq, source_transformer):
    X, y = seq
    before = source_transformer.predict_proba(X)
    src_params = _params(source_transformer.module_)
    clf = TransferClassifier(source_transformer, **TRAIN).fit(X, y)
    assert list(clf.classes_) == ["a", "b", "c"]
    assert clf.module_.head.out.out_features == 3
    assert clf.predict_proba(X).shape == (len(X), 3)
    assert set(clf.predict(X)) <= {"a", "b", "c"}
    # the source is neither modified nor shared
    np.testing.assert_array_equal(source_transformer.predict_proba(X), before)
    for k, v in _params(source_transformer.module_).items():
        assert torch.equal(v, src_params[k]), k
    assert clf.module_ is not source_transformer.module_
    assert source_transformer.module_.head.out.out_features == 2


@pytest.mark.parametrize("cls, kind", [(CNNClassifier, "image"),
                                       (CNNLSTMClassifier, "sequence")])
def test_from_cnn_and_cnn_lstm_sources(cls, kind):
    X, y = make_check_input(kind, n_per_class=6, random_state=1)
    src = cls(**cls._get_test_params()).fit(X, np.repeat(["p", "q", "r"], 6))
    before = src.predict_proba(X)
    clf = TransferClassifier(src, freeze="encoder", **TRAIN).fit(X, y)
    assert clf._input_kind == kind and clf.predict(X).shape == (len(X),)
    assert clf.module_.head.out.out_features == 3
    np.testing.assert_array_equal(src.predict_proba(X), before)
    assert all(n.startswith("encoder.") for n in clf.frozen_) and clf.frozen_


def test_clone_keeps_the_fitted_source(seq, source_transformer):
    X, y = seq
    clf = TransferClassifier(source_transformer, freeze="encoder", **TRAIN)
    c = clone(clf)
    assert c.source is source_transformer and c.freeze == "encoder"
    c.fit(X, y)
    assert c.predict(X).shape == (len(X),)


@pytest.mark.parametrize("freeze", ["none", "encoder", "all-but-head"])
def test_freeze_modes(seq, freeze):
    X, y = seq
    clf = TransferClassifier("crts", freeze=freeze, lr=1e-2, head_hidden=(16,), **TRAIN)
    clf.fit(X, y)
    # compare with the shipped weights: frozen parts must be unchanged
    ref_module, info = load_source_module("crts", head_hidden=(16,))
    assert info["new_head"]
    ref_params = _params(ref_module)
    after = _params(clf.module_)
    body = [n for n in after if n.startswith("encoder.")]
    # a new head (encoder-only source): "all-but-head" also leaves the whole head trainable
    frozen_expected = set() if freeze == "none" else set(body)
    assert set(clf.frozen_) == frozen_expected
    for name in body:
        same = torch.equal(after[name], ref_params[name])
        if name in frozen_expected:
            assert same, f"{name} changed although frozen ({freeze})"
    if freeze == "none":
        assert any(not torch.equal(after[n], ref_params[n]) for n in body)
    # the head always trains
    assert clf.module_.head.out.weight.requires_grad


def test_all_but_head_with_a_trained_head(seq, source_transformer):
    X, y = seq
    src = _params(source_transformer.module_)
    clf = TransferClassifier(source_transformer, freeze="all-but-head", lr=1e-2,
                             **TRAIN).fit(X, y)
    after = _params(clf.module_)
    assert set(clf.frozen_) == {n for n in after if not n.startswith("head.out.")}
    for n in clf.frozen_:
        assert torch.equal(after[n], src[n]), n
    assert not torch.equal(after["head.out.bias"][:2], torch.zeros(2))
    # "encoder": the head's hidden layer trains too
    clf = TransferClassifier(source_transformer, freeze="encoder", lr=1e-2, **TRAIN).fit(X, y)
    after = _params(clf.module_)
    assert all(torch.equal(after[n], src[n]) for n in after if n.startswith("encoder."))
    assert any(not torch.equal(after[n], src[n]) for n in after if n.startswith("head.hidden."))


def test_unfreeze_after_k_epochs(seq):
    X, y = seq
    clf = TransferClassifier("crts", freeze="encoder", unfreeze_after=1, lr=1e-2,
                             max_epochs=3, batch_size=8, random_state=0,
                             early_stopping=False, restore_best=False).fit(X, y)
    assert len(clf.history) == 3
    ref_module, _ = load_source_module("crts")
    ref = _params(ref_module)
    after = _params(clf.module_)
    body = [n for n in after if not n.startswith("head.")]
    assert any(not torch.equal(after[n], ref[n]) for n in body)
    assert all(p.requires_grad for p in clf.module_.parameters())
    assert clf.frozen_ == []


def test_backbone_lr_factor_param_groups(seq):
    X, y = seq
    clf = TransferClassifier("crts", backbone_lr_factor=0.25, lr=0.01, **TRAIN).fit(X, y)
    lrs = sorted(g["lr"] for g in clf.optimizer_.param_groups)
    assert lrs == pytest.approx([0.0025, 0.01])


def test_from_pretrainer_and_weights_file(tmp_path):
    X, y = make_light_curves(6, n_points=(30, 50), random_state=3)
    pre = MaskedPretrainer(d_model=16, n_heads=2, n_blocks=1, window=40, max_epochs=1,
                           random_state=0).fit(X)
    pipe = make_pipeline(WindowPad(window=40), TransferClassifier(pre, **TRAIN)).fit(X, y)
    assert pipe.predict(X).shape == (len(X),)
    assert pipe[-1].module_.encoder is not pre.encoder_
    pre.save(tmp_path / "w")
    clf = TransferClassifier(str(tmp_path / "w"), freeze="encoder", **TRAIN)
    pipe2 = make_pipeline(WindowPad(window=40), clf).fit(X, y)
    assert set(pipe2.predict(X)) <= set(y)
    # encoder weights came from the file (frozen: still equal to the pretrainer's)
    ref = _params(pre.encoder_)
    got = _params(pipe2[-1].module_.encoder)
    assert set(got) == set(ref)
    for n, v in got.items():
        assert torch.equal(v, ref[n]), n
    # and they load into a TransformerClassifier's network without conversion
    tc = TransformerClassifier(module__d_model=16, module__n_heads=2, module__n_blocks=1,
                               module__dim_feedforward=32, **TRAIN)
    tc.fit(WindowPad(window=40).fit_transform(X), y)
    tc.module_.encoder.load_state_dict(pre.encoder_.state_dict())


def test_bad_parameters(seq):
    X, y = seq
    with pytest.raises(ValueError, match="freeze"):
        TransferClassifier("crts", freeze="everything", **TRAIN).fit(X, y)
    with pytest.raises(ValueError, match="no weights"):
        TransferClassifier("no-such-weights", **TRAIN).fit(X, y)
    with pytest.raises(ValueError, match="not fitted"):
        TransferClassifier(TransformerClassifier(), **TRAIN).fit(X, y)


def test_feature_mlp_scaling_transfers(tmp_path):
    rng = np.random.RandomState(0)
    Xs = (rng.normal(size=(60, 16)) * 10 + 5).astype(np.float32)
    ys = np.where(Xs[:, 0] > 5, "s1", "s2")
    src = FeatureMLPClassifier(module__hidden=(8, 8), validation_fraction=None,
                               **TRAIN).fit(Xs, ys)
    np.testing.assert_allclose(src.module_.feature_mean.numpy(), Xs.mean(0), rtol=1e-4)
    np.testing.assert_allclose(src.module_.feature_scale.numpy(), Xs.std(0), rtol=1e-4)
    before = src.predict_proba(Xs)
    Xt = rng.normal(size=(30, 16)).astype(np.float32)
    yt = np.repeat(["x", "y", "z"], 10)
    clf = TransferClassifier(src, freeze="all-but-head", **TRAIN).fit(Xt, yt)
    # scaling (buffers) learned on the source travels with the weights, unchanged
    assert torch.equal(clf.module_.feature_mean, src.module_.feature_mean)
    assert clf.module_.head.out.out_features == 3
    np.testing.assert_array_equal(src.predict_proba(Xs), before)
    # frozen batch-norm statistics are not updated
    for (n1, b1), (_, b2) in zip(clf.module_.named_buffers(), src.module_.named_buffers()):
        if "running" in n1:
            assert torch.equal(b1, b2), n1
    # file round trip
    save_weights(src, tmp_path / "mlp")
    clf2 = TransferClassifier(str(tmp_path / "mlp"), **TRAIN).fit(Xt, yt)
    assert torch.equal(clf2.module_.feature_scale, src.module_.feature_scale)


def test_feature_mlp_scaling_is_learned_on_the_training_split_only():
    rng = np.random.RandomState(0)
    X = (rng.normal(size=(80, 16)) * 10 + 5).astype(np.float32)
    y = np.repeat(["s1", "s2"], 40)
    X[np.arange(80) % 4 == 0] += 100.0  # loud stars: some land in the validation split
    clf = FeatureMLPClassifier(module__hidden=(8,), validation_fraction=0.25, **TRAIN).fit(X, y)
    train, valid = clf.get_split_datasets(X, y)  # the same seeded split as in fit
    idx = np.asarray(train.indices)
    assert len(idx) == 60 and len(valid) == 20
    np.testing.assert_allclose(clf.feature_mean_, X[idx].mean(0), rtol=1e-4)
    np.testing.assert_allclose(clf.feature_scale_, X[idx].std(0), rtol=1e-4)
    np.testing.assert_array_equal(clf.module_.feature_mean.numpy(), clf.feature_mean_)
    assert np.abs(clf.feature_mean_ - X.mean(0)).max() > 1.0  # not the mean of all stars
    # warm start goes on with the scaling of the first fit
    mean = clf.feature_mean_.copy()
    clf.set_params(warm_start=True).fit(X[:40] + 50, y[:40])
    np.testing.assert_array_equal(clf.module_.feature_mean.numpy(), mean)


def test_shipped_feature_weights_by_name():
    rng = np.random.RandomState(1)
    Xt = rng.normal(size=(24, 16)).astype(np.float32)
    yt = np.repeat(["u", "v"], 12)
    clf = TransferClassifier("crts-features", freeze="encoder", **TRAIN).fit(Xt, yt)
    assert clf.module_.head.out.out_features == 2
    assert len(clf.source_info_["classes"]) >= 7
    # trained on the features of today's FeatureExtractor defaults, which it records
    from sklearn_lc import FeatureExtractor
    from sklearn_lc.model_io import read_model_config

    path = Path(sklearn_lc.__file__).parent / "transfer" / "weights" / "crts-features"
    recorded = read_model_config(path)["metadata"]["feature_extractor_params"]
    assert recorded == {k: v for k, v in FeatureExtractor().get_params().items()
                        if k not in ("n_jobs", "verbose")}


def test_shipped_hybrid_weights_by_name():
    from sklearn_lc import FeatureFold
    from sklearn_lc.model_io import load_model, read_model_config

    X, y = sklearn_lc.make_light_curves(3, classes=["RRab", "EW", "EA"], random_state=0)
    Z = FeatureFold().fit_transform(X)
    clf = TransferClassifier("crts-hybrid", freeze="encoder", **TRAIN).fit(Z, y)
    assert list(clf.classes_) == ["EA", "EW", "RRab"]
    assert clf.predict_proba(Z).shape == (len(y), 3)
    assert len(clf.source_info_["classes"]) >= 7
    # the shipped network reads the rows of today's FeatureFold defaults, which it records
    path = Path(sklearn_lc.__file__).parent / "transfer" / "weights" / "crts-hybrid"
    recorded = read_model_config(path)["metadata"]["feature_fold_params"]
    assert recorded == {k: v for k, v in FeatureFold().get_params().items() if k != "n_jobs"}
    shipped = load_model(path)
    assert set(shipped.predict(Z)) <= set(shipped.classes_)


def test_shipped_folded_encoder_by_name():
    from sklearn_lc import EncoderEmbedding, PhaseFold
    from sklearn_lc.model_io import read_model_config
    from sklearn_lc.transfer import shipped_weights

    assert "folded" in shipped_weights()
    pre = MaskedPretrainer.load("folded")
    enc = pre.encoder_
    assert enc.time_encoding == "periodic" and enc.mag_scale == 10.0 and pre.window == 64
    meta = read_model_config(Path(sklearn_lc.__file__).parent / "transfer" / "weights"
                             / "folded")["metadata"]
    # pretrained on every star of the three surveys
    assert set(meta["n_stars"]) == {"crts_drake14", "asas_richards12", "sdss_s82_rrlyrae"}
    assert sum(meta["n_stars"].values()) > 10_000
    assert 1 <= pre.best_epoch_ <= len(pre.history_)
    X, y = make_light_curves(3, classes=["RRab", "EW", "EA"], random_state=0)
    F = PhaseFold().fit_transform(X)
    E = EncoderEmbedding("folded", window=64, strategy="subsample").fit_transform(F)
    assert E.shape == (len(X), enc.d_model) and np.isfinite(E).all()
    with pytest.raises(ValueError, match="PhaseFold"):
        EncoderEmbedding("folded").fit_transform(X)  # unfolded curves are refused
    clf = make_pipeline(PhaseFold(), WindowPad(64, strategy="subsample"),
                        TransferClassifier("folded", **TRAIN)).fit(X, y)
    assert clf[-1].module_.encoder.time_encoding == "periodic"
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_shipped_weights_load_offline_in_fresh_environment(tmp_path):
    # a copy of the package alone (no checkout, no ../shared/data), sockets disabled
    pkg = Path(sklearn_lc.__file__).resolve().parent
    shutil.copytree(pkg, tmp_path / "site" / "sklearn_lc",
                    ignore=shutil.ignore_patterns("__pycache__"))
    code = (
        "import socket\n"
        "def _no(*a, **k): raise OSError('network disabled')\n"
        "socket.socket.connect = _no; socket.create_connection = _no\n"
        "import sklearn_lc, numpy as np\n"
        "assert sklearn_lc.__file__.startswith(SITE), sklearn_lc.__file__\n"
        "from sklearn_lc.transfer import load_source_module\n"
        "m, info = load_source_module('crts'); assert info['input'] == 'sequence'\n"
        "m, info = load_source_module('crts-features'); assert info['input'] == 'features'\n"
        "m, info = load_source_module('crts-hybrid'); assert len(info['classes']) == 14\n"
        "m, info = load_source_module('folded'); assert m.encoder.time_encoding == 'periodic'\n"
        "X, y = sklearn_lc.make_light_curves(2, random_state=0)\n"
        "E = sklearn_lc.EncoderEmbedding('crts').fit_transform(X)\n"
        "assert E.shape[0] == len(X) and np.isfinite(E).all()\n"
        "print('ok')\n"
    ).replace("SITE", repr(str(tmp_path / "site")))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(tmp_path / "site"), SKLEARN_LC_DATA=str(tmp_path / "none"),
               OMP_NUM_THREADS="1")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().endswith("ok")


def test_feature_mlp_trains_when_a_batch_holds_one_sample():
    import torch

    from sklearn_lc.nn._feature_mlp import FeatureMLP

    net = FeatureMLP(n_features=4, n_classes=2, hidden=(8,)).train()
    out = net(torch.randn(1, 4))
    assert out.shape == (1, 2) and torch.isfinite(out).all()
    rng = np.random.RandomState(0)
    X = rng.normal(size=(9, 16)).astype(np.float32)
    y = np.array(["a", "b", "c"] * 3)
    from sklearn_lc import FeatureMLPClassifier

    clf = FeatureMLPClassifier(batch_size=8, max_epochs=2, validation_fraction=None,
                               module__hidden=(8,), random_state=0).fit(X, y)
    assert clf.predict(X).shape == (9,)
