"""sklearn_lc.model_io: one format for every saved model, round trips, files of 0.1."""

import hashlib
import json

import numpy as np
import pytest
import sklearn
import skops.io as sio
import torch
from safetensors.torch import save_file
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from sklearn_lc import (
    CNNClassifier,
    DmDtImage,
    EncoderEmbedding,
    FeatureExtractor,
    FeatureMLPClassifier,
    FreedmanDiaconisHist,
    MaskedPretrainer,
    TransferClassifier,
    TransformerClassifier,
    WindowPad,
    make_light_curves,
)
from sklearn_lc._model_files import from_json, to_json
from sklearn_lc.classifiers import BaseLCNet
from sklearn_lc.model_io import FORMAT_VERSION, load_model, read_model_config, save_model
from sklearn_lc.utils.estimator_checks import make_check_input

TRAIN = dict(max_epochs=1, batch_size=8, random_state=0)


class _Tiny(torch.nn.Module):
    """A network outside sklearn_lc.nn: trains, but cannot be rebuilt from a file."""

    def __init__(self, in_channels=1, n_classes=2):
        super().__init__()
        self.flat = torch.nn.Flatten()
        self.out = torch.nn.Linear(in_channels * 144, n_classes)

    def forward(self, x):
        return self.out(self.flat(x))


@pytest.fixture(scope="module")
def lcs():
    return make_light_curves(4, n_points=(40, 80), random_state=0)


def _same_predictions(a, b, X):
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_pipeline_round_trip_and_layout(lcs, tmp_path):
    X, y = lcs
    pipe = make_pipeline(FeatureExtractor(), RandomForestClassifier(10, random_state=0)).fit(X, y)
    path = save_model(pipe, tmp_path / "m", name="rf-features", metadata={"note": "x"})
    config = json.loads((path / "model.json").read_text())
    assert (config["format_version"], config["kind"]) == (FORMAT_VERSION, "pipeline")
    assert [s["store"] for s in config["steps"]] == ["params", "skops"]
    # every parameter is written, defaults included, so that a release with other defaults
    # (period_method, phase_origin...) rebuilds the step exactly as it was fitted
    assert config["steps"][0]["params"] == FeatureExtractor().get_params()
    assert config["classes"] == sorted(set(y.tolist()))
    assert sorted(p.name for p in path.iterdir()) == ["model.json",
                                                       "step1-randomforestclassifier.skops"]
    back = load_model(path)
    assert isinstance(back, Pipeline) and read_model_config(path)["metadata"] == {"note": "x"}
    assert isinstance(load_model(path / "model.json"), Pipeline)  # the file names its folder
    _same_predictions(back, pipe, X)


@pytest.mark.parametrize("make", [
    lambda: make_pipeline(DmDtImage(), CNNClassifier(**CNNClassifier._get_test_params())),
    lambda: make_pipeline(FreedmanDiaconisHist(max_bins=12),
                          CNNClassifier(**CNNClassifier._get_test_params())),
    lambda: make_pipeline(WindowPad(window=40), TransformerClassifier(
        module__d_model=16, module__n_heads=2, module__head="lstm", **TRAIN)),
    lambda: make_pipeline(WindowPad(window=40), TransferClassifier(
        "crts", freeze="encoder", head_hidden=(8,), **TRAIN)),
    lambda: make_pipeline(EncoderEmbedding("crts", window=40), LogisticRegression(max_iter=2000)),
    lambda: make_pipeline(FeatureExtractor(), HistGradientBoostingClassifier(max_iter=5)),
], ids=["dmdt-cnn", "fdhist-cnn", "transformer-lstm", "transfer", "embedding", "hgb"])
def test_every_kind_of_step_round_trips(make, lcs, tmp_path):
    X, y = lcs
    pipe = make().fit(X, y)
    back = load_model(save_model(pipe, tmp_path / "m"))
    _same_predictions(back, pipe, X)
    for (_, a), (_, b) in zip(pipe.steps, back.steps):
        assert type(a) is type(b) and a.get_params(deep=False).keys() == b.get_params(
            deep=False).keys()


def test_network_kind_returns_the_estimator(tmp_path):
    X, y = make_check_input("features", n_per_class=8)
    clf = FeatureMLPClassifier(module__hidden=(8,), **TRAIN).fit(X, y)
    path = save_model(clf, tmp_path / "net")
    assert read_model_config(path)["kind"] == "network"
    back = load_model(path, kind="network")
    assert isinstance(back, FeatureMLPClassifier)
    np.testing.assert_array_equal(back.feature_mean_, clf.feature_mean_)
    _same_predictions(back, clf, X)
    with pytest.raises(ValueError, match="holds a network, not a pipeline"):
        load_model(path, kind="pipeline")
    # a loaded network trains on (warm start keeps its weights as the starting point)
    back.set_params(warm_start=True, max_epochs=1).fit(X, y)
    assert len(back.history) == 1


def test_transfer_from_an_estimator_source_saves_without_it(lcs, tmp_path):
    X, y = lcs
    pre = MaskedPretrainer(d_model=16, n_heads=2, n_blocks=1, window=40, max_epochs=1,
                           random_state=0).fit(X)
    pipe = make_pipeline(WindowPad(window=40), TransferClassifier(pre, **TRAIN)).fit(X, y)
    back = load_model(save_model(pipe, tmp_path / "m"))
    assert back[-1].source is None  # the estimator source is not stored (not needed)
    _same_predictions(back, pipe, X)


def test_encoder_kind_and_pretrainer_save(lcs, tmp_path):
    X, _ = lcs
    pre = MaskedPretrainer(d_model=16, n_heads=2, n_blocks=1, window=40, max_epochs=1,
                           random_state=0).fit(X)
    path = pre.save(tmp_path / "enc.safetensors")  # the 0.1 file name: its stem is used
    assert path == tmp_path / "enc" and read_model_config(path)["kind"] == "encoder"
    back = load_model(path)
    assert isinstance(back, MaskedPretrainer) and back.history_ == pre.history_
    np.testing.assert_allclose(back.transform(X), pre.transform(X), rtol=1e-5, atol=1e-6)


def test_save_refuses_what_it_cannot_store_and_overwrites_only_models(lcs, tmp_path):
    X, y = lcs
    pipe = make_pipeline(FeatureExtractor(), RandomForestClassifier(5, random_state=0)).fit(X, y)
    path = save_model(pipe, tmp_path / "m")
    with pytest.raises(ValueError, match="not empty"):
        save_model(pipe, path)
    save_model(pipe, path, overwrite=True)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dirs left
    other = tmp_path / "notes"
    other.mkdir()
    (other / "a.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a sklearn_lc model directory"):
        save_model(pipe, other, overwrite=True)
    assert (other / "a.txt").read_text() == "keep me"
    # parameters that JSON cannot hold are refused, not dropped
    bad = make_pipeline(FeatureExtractor(), RandomForestClassifier(5)).fit(X, y)
    bad[0].n_jobs = object()
    with pytest.raises(ValueError, match="n_jobs"):
        save_model(bad, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    with pytest.raises(ValueError, match="not a fitted classifier"):
        save_model(make_pipeline(WindowPad()).fit(X), tmp_path / "w")
    Xi, yi = make_check_input("image", n_per_class=4)
    net = CNNClassifier(module=_Tiny, **TRAIN).fit(Xi, yi)
    with pytest.raises(ValueError, match="module"):
        save_model(net, tmp_path / "n")


def test_json_cleaner_is_exact_and_raises():
    value = {"t": (1, (2.5, "a")), "a": np.arange(6, dtype=np.float32).reshape(2, 3),
             "s": np.asarray(["x", "yy"]), "o": np.asarray(["EW", 3], dtype=object),
             "n": float("nan"), "i": np.int64(7), "b": np.bool_(True), "l": [None, True]}
    back = from_json(json.loads(json.dumps(to_json(value, "v"))), "v")
    assert back["t"] == (1, (2.5, "a")) and back["i"] == 7 and back["b"] is True
    assert back["a"].dtype == np.float32 and back["a"].shape == (2, 3)
    np.testing.assert_array_equal(back["a"], value["a"])
    assert back["s"].dtype == value["s"].dtype and back["o"].tolist() == ["EW", 3]
    assert np.isnan(back["n"]) and back["l"] == [None, True]
    for bad in (object(), {1: 2}, [print], np.zeros(2, dtype=complex), {"__tuple__": 1}):
        with pytest.raises(ValueError, match="what"):
            to_json(bad, "what")


# ----------------------------------------------------------------- files of 0.1

def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _lists(v):
    if isinstance(v, (list, tuple)):
        return [_lists(x) for x in v]
    if isinstance(v, dict):
        return {k: _lists(x) for k, x in v.items()}
    return v


def _v01_state(net):
    return {"format": "sklearn_lc-net", "class": type(net).__name__,
            "classes": np.asarray(net.classes_).tolist(), "input_shape": list(net.input_shape_),
            "class_weight": None, "module_kwargs": _lists(net._module_kwargs())}


def _write_v01_pipeline(pipe, path, params):
    """The model directory layout of sklearn_lc 0.1 (format version 1)."""
    path.mkdir()
    entries = []
    for k, (name, est) in enumerate(pipe.steps):
        if isinstance(est, BaseLCNet):
            file = f"step{k}-{name}.safetensors"
            save_file({n: v.contiguous() for n, v in est.module_.state_dict().items()},
                      str(path / file))
            entry = {"name": name, "class": type(est).__name__, "kind": "skorch",
                     "params": _lists(params), "file": file, "state": _v01_state(est)}
        else:
            file = f"step{k}-{name}.skops"
            sio.dump(est, path / file)
            entry = {"name": name, "class": type(est).__name__, "kind": "skops", "file": file}
        entry["sha256"] = _sha(path / file)
        entries.append(entry)
    config = {"format": "sklearn_lc-model", "format_version": 1, "sklearn_lc_version": "0.1.0",
              "sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
              "name": None, "classes": np.asarray(pipe.classes_).tolist(), "steps": entries,
              "metadata": {}}
    (path / "model.json").write_text(json.dumps(config))


def test_format_1_directories_still_load(lcs, tmp_path):
    X, y = lcs
    params = CNNClassifier._get_test_params()
    pipe = make_pipeline(DmDtImage(), CNNClassifier(**params)).fit(X, y)
    _write_v01_pipeline(pipe, tmp_path / "v1", params)
    back = load_model(tmp_path / "v1")
    _same_predictions(back, pipe, X)
    rf = make_pipeline(FeatureExtractor(), RandomForestClassifier(5, random_state=0)).fit(X, y)
    _write_v01_pipeline(rf, tmp_path / "v1rf", {})
    _same_predictions(load_model(tmp_path / "v1rf"), rf, X)
    # the transfer-crts recipe of 0.1: the network is rebuilt from the shipped source
    tparams = dict(head_hidden=(8,), **TRAIN)
    tc = make_pipeline(WindowPad(window=40), TransferClassifier(**tparams)).fit(X, y)
    _write_v01_pipeline(tc, tmp_path / "v1tc", tparams)
    _same_predictions(load_model(tmp_path / "v1tc"), tc, X)
    # saving again converts to the current format
    again = save_model(back, tmp_path / "v2")
    assert read_model_config(again)["format_version"] == FORMAT_VERSION


def test_v01_network_directory_and_weight_files_still_load(lcs, tmp_path):
    X, y = make_check_input("image", n_per_class=6)
    params = CNNClassifier._get_test_params()
    net = CNNClassifier(**params).fit(X, y)
    d = tmp_path / "net"
    d.mkdir()
    save_file({n: v.contiguous() for n, v in net.module_.state_dict().items()},
              str(d / "weights.safetensors"))
    (d / "config.json").write_text(json.dumps({"params": _lists(params),
                                               "state": _v01_state(net)}))
    back = CNNClassifier.load(d)
    _same_predictions(back, net, X)
    # MaskedPretrainer.save of 0.1: name.json + name.safetensors
    Xl, _ = lcs
    pre = MaskedPretrainer(d_model=16, n_heads=2, n_blocks=1, window=40, max_epochs=1,
                           random_state=0).fit(Xl)
    tensors = {f"encoder.{k}": v for k, v in pre.encoder_.state_dict().items()}
    tensors.update({f"reconstruction.{k}": v for k, v in pre.reconstruction_.state_dict().items()})
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp_path / "w.safetensors"))
    from sklearn_lc.transfer._encoder import encoder_config

    (tmp_path / "w.json").write_text(json.dumps({
        "format": "sklearn_lc-weights", "kind": "transformer-encoder",
        "encoder_config": encoder_config(pre.encoder_), "window": 40,
        "pretrainer_params": {"d_model": 16, "n_heads": 2, "n_blocks": 1, "window": 40},
        "best_epoch": 1, "history": pre.history_}))
    old = MaskedPretrainer.load(tmp_path / "w.json")
    np.testing.assert_allclose(old.transform(Xl), pre.transform(Xl), rtol=1e-5, atol=1e-6)
    emb = EncoderEmbedding(str(tmp_path / "w.safetensors"), window=40).fit(Xl)
    np.testing.assert_allclose(emb.transform(Xl), pre.transform(Xl), rtol=1e-5, atol=1e-6)
