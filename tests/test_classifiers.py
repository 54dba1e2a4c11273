"""Tests of the deep estimators (BaseLCNet and its three subclasses)."""

import json
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback

from sklearn_lc import CNNClassifier, CNNLSTMClassifier, TransformerClassifier
from sklearn_lc.classifiers import BaseLCNet
from sklearn_lc.nn import DmDtCNN

ALL = (CNNClassifier, CNNLSTMClassifier, TransformerClassifier)
SEQ = (CNNLSTMClassifier, TransformerClassifier)


def _images(n_per_class=12, labels=("EW", "RRab", "LPV"), seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat(np.asarray(labels), n_per_class)
    X = rng.rand(y.size, 1, 12, 12).astype(np.float32)
    for k, c in enumerate(labels):
        X[y == c, 0, 3 * k, 3 * k] += 4.0
    return X, y


def _windows(n_per_class=12, labels=("EW", "RRab", "LPV"), L=40, seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat(np.asarray(labels), n_per_class)
    X = np.zeros((y.size, L, 4), dtype=np.float32)
    for i, c in enumerate(y):
        k = rng.randint(8, L + 1)
        code = list(labels).index(c)
        t = np.sort(rng.uniform(0, 60, k))
        X[i, :k, 0] = t - t.mean()
        X[i, :k, 1] = (code + 1) * np.sin(t * (code + 1)) + rng.normal(0, 0.1, k)
        X[i, :k, 2] = 0.05
        X[i, :k, 3] = 1.0
    return X, y


def _data(cls, **kw):
    return _images(**kw) if cls is CNNClassifier else _windows(**kw)


def _make(cls, **params):
    p = cls._get_test_params()
    p.update(params)
    return cls(**p)


@pytest.mark.parametrize("cls", ALL)
def test_labels_in_labels_out_and_proba(cls):
    X, y = _data(cls)
    clf = _make(cls).fit(X, y)
    assert clf.classes_.tolist() == ["EW", "LPV", "RRab"]
    pred = clf.predict(X)
    assert pred.dtype.kind == "U" and set(pred) <= set(y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    # integer labels (not 0..k-1) come back as they went in
    yi = np.where(y == "EW", 7, np.where(y == "LPV", 3, 11))
    clf2 = _make(cls).fit(X, yi)
    assert clf2.classes_.tolist() == [3, 7, 11]
    assert set(clf2.predict(X).tolist()) <= {3, 7, 11}
    # valid_acc is scored on encoded labels (the stock scorer fails on strings)
    acc = clf.history[-1, "valid_acc"]
    assert 0.0 <= acc <= 1.0


def test_learns_something():
    X, y = _images(n_per_class=20)
    clf = CNNClassifier(module__n_filters=8, max_epochs=25, lr=3e-3, random_state=0,
                        validation_fraction=None)
    assert clf.fit(X, y).score(X, y) > 0.9


@pytest.mark.parametrize("cls", ALL)
def test_float64_and_tensor_input(cls):
    X, y = _data(cls)
    clf = _make(cls).fit(X.astype(np.float64), y)
    a = clf.predict_proba(X)
    b = clf.predict_proba(X.astype(np.float64))
    c = clf.predict_proba(torch.as_tensor(X, dtype=torch.float64))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, c, atol=1e-6)


@pytest.mark.parametrize("cls", ALL)
def test_seeded_fits_are_identical_and_global_rng_untouched(cls):
    X, y = _data(cls)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    clf = _make(cls, random_state=3).fit(X, y)
    assert torch.equal(torch.get_rng_state(), state)  # fit forks torch's RNG
    a = clf.predict_proba(X)
    b = _make(cls, random_state=3).fit(X, y).predict_proba(X)
    c = _make(cls, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_device_auto_keeps_param_and_resolves():
    clf = CNNClassifier(device="auto")
    assert clf.get_params()["device"] == "auto"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert clf.device == expected
    assert clone(clf).get_params()["device"] == "auto"
    X, y = _images()
    clf.set_params(**CNNClassifier._get_test_params()).set_params(device="auto").fit(X, y)
    assert next(clf.module_.parameters()).device.type == expected
    clf2 = pickle.loads(pickle.dumps(clf))
    assert clf2.get_params()["device"] == "auto"
    np.testing.assert_allclose(clf2.predict_proba(X), clf.predict_proba(X), atol=1e-6)


def test_class_weight_balanced_and_dict():
    X, y = _images()
    keep = np.r_[np.arange(12), np.arange(12, 18), np.arange(24, 36)]
    X, y = X[keep], y[keep]  # EW 12, LPV 12, RRab 6
    clf = _make(CNNClassifier, class_weight="balanced").fit(X, y)
    w = clf.criterion_.weight.cpu().numpy()
    np.testing.assert_allclose(w, [30 / 36, 30 / 36, 30 / 18], rtol=1e-6)
    clf = _make(CNNClassifier, class_weight={"RRab": 5.0}).fit(X, y)
    np.testing.assert_allclose(clf.criterion_.weight.cpu().numpy(), [1, 1, 5])
    assert _make(CNNClassifier).fit(X, y).criterion_.weight is None
    with pytest.raises(ValueError, match="class_weight"):
        _make(CNNClassifier, class_weight="bogus").fit(X, y)


def test_validation_split_is_stratified_and_optional():
    X, y = _images(n_per_class=20)
    clf = _make(CNNClassifier, max_epochs=1)
    train, valid = clf.fit(X, y).get_split_datasets(X, y)
    yv = valid.dataset.y[valid.indices]
    assert len(valid) == 6 and np.bincount(yv).tolist() == [2, 2, 2]
    # same seed, same split
    _, valid2 = clf.get_split_datasets(X, y)
    assert valid.indices.tolist() == valid2.indices.tolist()
    names = dict(clf.callbacks_)
    assert names["early_stopping"].load_best and "restore_best" not in names
    cbs = dict(_make(CNNClassifier, early_stopping=False).fit(X, y).callbacks_)
    assert "early_stopping" not in cbs and cbs["restore_best"].load_best
    clf = _make(CNNClassifier, validation_fraction=None).fit(X, y)
    assert "valid_loss" not in clf.history[-1]
    assert "early_stopping" not in dict(clf.callbacks_)


def test_too_small_for_validation_warns_and_trains():
    X, y = _images(n_per_class=2)
    X, y = X[1:], y[1:]  # one EW only: no stratified split possible
    with pytest.warns(UserWarning, match="stratified validation"):
        clf = _make(CNNClassifier).fit(X, y)
    assert "valid_loss" not in clf.history[-1]


class Snap(Callback):
    """Keep a copy of the module's weights at the end of every epoch."""

    def initialize(self):
        self.states = []
        return self

    def on_epoch_end(self, net, **kw):
        self.states.append({k: v.clone() for k, v in net.module_.state_dict().items()})


def test_early_stopping_and_restore_best():
    X, y = _images(n_per_class=20)
    # lr=0 freezes the weights; batch norm off, since its running statistics would
    # still move (and with them the validation loss)
    clf = _make(CNNClassifier, lr=0.0, max_epochs=40, patience=2, module__batch_norm=False)
    clf.fit(X, y)
    assert len(clf.history) == 3  # no improvement after the first epoch

    snap = Snap()
    clf = _make(CNNClassifier, lr=0.05, max_epochs=8, early_stopping=False,
                callbacks=[("snap", snap)]).fit(X, y)
    losses = np.array(clf.history[:, "valid_loss"])
    best = int(np.argmin(losses))
    final = clf.module_.state_dict()
    for k, v in snap.states[best].items():
        torch.testing.assert_close(final[k], v)
    assert best == len(losses) - 1 or not torch.equal(
        final["head.out.weight"], snap.states[-1]["head.out.weight"])


def test_monitor_valid_acc_restores_the_most_accurate_epoch():
    X, y = _images(n_per_class=20)
    snap = Snap()
    clf = _make(CNNClassifier, lr=0.05, max_epochs=8, early_stopping=False, monitor="valid_acc",
                callbacks=[("snap", snap)]).fit(X, y)
    acc = np.array(clf.history[:, "valid_acc"])
    best = int(np.argmax(acc))  # the first of equally accurate epochs
    final = clf.module_.state_dict()
    for k, v in snap.states[best].items():
        torch.testing.assert_close(final[k], v)
    cbs = dict(clf.callbacks_)
    assert cbs["restore_best"].monitor == "valid_acc" and not cbs["restore_best"].lower_is_better
    assert cbs["restore_best"].best_epoch_ == best + 1
    # early stopping follows the same score, highest best
    clf = _make(CNNClassifier, lr=0.0, max_epochs=40, patience=2, monitor="valid_acc",
                module__batch_norm=False).fit(X, y)
    es = dict(clf.callbacks_)["early_stopping"]
    assert es.monitor == "valid_acc" and es.lower_is_better is False
    assert len(clf.history) == 3  # frozen weights: no better accuracy after epoch 1
    clf = _make(CNNClassifier, max_epochs=2, lr_schedule="plateau", monitor="valid_acc").fit(X, y)
    sched = dict(clf.callbacks_)["lr_scheduler"]
    assert sched.monitor == "valid_acc" and sched.mode == "max"
    with pytest.raises(ValueError, match="'monitor' parameter of CNNClassifier"):
        _make(CNNClassifier, monitor="valid_f1").fit(X, y)


@pytest.mark.parametrize("schedule", ["plateau", "cosine"])
def test_lr_schedule(schedule):
    X, y = _images()
    clf = _make(CNNClassifier, lr_schedule=schedule, max_epochs=4, early_stopping=False,
                validation_fraction=None, patience=1).fit(X, y)
    assert "lr_scheduler" in dict(clf.callbacks_)
    if schedule == "cosine":
        assert clf.optimizer_.param_groups[0]["lr"] < clf.lr
    with pytest.raises(ValueError, match="lr_schedule"):
        _make(CNNClassifier, lr_schedule="linear").fit(X, y)


def test_verbose_prints_only_when_asked(capsys):
    X, y = _images()
    _make(CNNClassifier).fit(X, y)
    out = capsys.readouterr()
    assert out.out == ""
    _make(CNNClassifier, verbose=1).fit(X, y)
    out = capsys.readouterr()
    assert "train_loss" in out.out and "valid_acc" in out.out


def test_module_params_reach_the_module_and_set_params_reinitializes():
    X, y = _images()
    clf = _make(CNNClassifier, module__n_filters=6).fit(X, y)
    assert isinstance(clf.module_, DmDtCNN)
    assert clf.module_.encoder[0].out_channels == 6
    assert clf.module_.encoder[0].in_channels == 1
    assert clf.module_.head.out.out_features == 3
    clf.set_params(module__n_filters=5)
    assert clf.module_.encoder[0].out_channels == 5
    c = clone(clf)
    assert c.get_params()["module__n_filters"] == 5 and not hasattr(c, "module_")
    # channels read from the data
    X3 = np.repeat(X, 3, axis=1)
    assert clone(clf).fit(X3, y).module_.encoder[0].in_channels == 3
    with pytest.raises(ValueError, match="channels"):
        clf.predict(X3)


def test_transformer_defaults_and_heads():
    X, y = _windows()
    clf = TransformerClassifier(max_epochs=1, random_state=0).fit(X, y)
    assert clf.module_.encoder.d_model == 256  # ASTROMER width, as #4 asks
    clf = _make(TransformerClassifier, module__head="lstm").fit(X, y)
    assert isinstance(clf.module_.head.lstm, torch.nn.LSTM)
    assert clf.transform(X).shape == (len(X), 16)


@pytest.mark.parametrize("cls", SEQ)
def test_estimator_padding_invariance(cls):
    X, y = _windows(L=200)
    X300 = np.zeros((X.shape[0], 300, 4), dtype=np.float32)
    X300[:, :200] = X
    clf = _make(cls).fit(X300, y)
    Xg = X300.copy()
    pad = Xg[..., 3] == 0
    assert pad.any()
    Xg[pad, 0] = np.nan  # garbage (even NaN) in padded rows is ignored
    Xg[pad, 1] = 99.0
    np.testing.assert_allclose(clf.predict_proba(Xg), clf.predict_proba(X300), atol=1e-6)


@pytest.mark.parametrize("cls", ALL)
def test_pickle_and_safetensors_round_trip(cls, tmp_path):
    X, y = _data(cls)
    clf = _make(cls).fit(X, y)
    a = clf.predict_proba(X)
    clf2 = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clf2.predict_proba(X), a)
    path = clf.save(tmp_path / "net")
    cfg = json.loads((path / "model.json").read_text())
    assert cfg["kind"] == "network" and cfg["classes"] == ["EW", "LPV", "RRab"]
    assert [p.suffix for p in sorted(path.iterdir())] == [".json", ".safetensors"]
    clf3 = cls.load(path)
    assert type(clf3) is cls and clf3.module_spec_ == clf.module_spec_
    np.testing.assert_array_equal(clf3.predict_proba(X), a)
    np.testing.assert_array_equal(clf3.predict(X), clf.predict(X))
    # saving again replaces the directory
    assert clf3.save(path) == path
    with pytest.raises(ValueError, match="not a"):
        (CNNLSTMClassifier if cls is CNNClassifier else CNNClassifier).load(path)


@pytest.mark.parametrize("cls", ALL)
def test_bad_input(cls):
    X, y = _data(cls)
    clf = _make(cls)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    with pytest.raises(ValueError, match="expects"):
        clf.fit(X[:, 0], y)
    Xb = X.copy()
    Xb[4].flat[0] = np.nan
    if cls is not CNNClassifier:
        Xb[4, 0, 3] = 1.0
    with pytest.raises(ValueError, match="sample 4"):
        clf.fit(Xb, y)
    with pytest.raises(ValueError, match="labels"):
        clf.fit(X, y[:-1])
    clf.fit(X, y)
    with pytest.raises(ValueError, match="not seen in fit"):
        clf.partial_fit(X, np.full(len(y), "Cep"))


def test_partial_fit_continues():
    X, y = _images()
    clf = _make(CNNClassifier, validation_fraction=None)
    clf.partial_fit(X, y)
    assert len(clf.history) == 2
    clf.partial_fit(X[:10], y[:10])
    assert len(clf.history) == 4
    assert clf.classes_.tolist() == ["EW", "LPV", "RRab"]


def test_base_is_shared():
    for cls in ALL:
        assert issubclass(cls, BaseLCNet)
        assert "fit" not in vars(cls) and "predict_proba" not in vars(cls)


def test_transformer_head_parameter_selects_the_head(tmp_path):
    from sklearn.base import clone

    from sklearn_lc import TransformerClassifier
    from sklearn_lc.nn._modules import LSTMHead, MLPHead
    from sklearn_lc.utils.estimator_checks import make_check_input

    X, y = make_check_input("sequence", n_per_class=5)
    params = TransformerClassifier._get_test_params()
    lstm = TransformerClassifier(head="lstm", **params).fit(X, y)
    assert isinstance(lstm.module_.head, LSTMHead)
    assert lstm.get_params()["head"] == "lstm"
    assert clone(lstm).head == "lstm"
    mlp = TransformerClassifier(**params).fit(X, y)
    assert isinstance(mlp.module_.head, MLPHead)
    # module__head is an alias and wins when both are given
    both = TransformerClassifier(head="mlp", module__head="lstm", **params).fit(X, y)
    assert isinstance(both.module_.head, LSTMHead)
    path = lstm.save(tmp_path / "lstm")
    back = TransformerClassifier.load(path)
    assert back.head == "lstm"
    np.testing.assert_allclose(back.predict_proba(X), lstm.predict_proba(X), atol=1e-6)
    with pytest.raises(ValueError, match="'head' parameter of TransformerClassifier"):
        TransformerClassifier(head="cnn", **params).fit(X, y)


# ------------------------------------------------------- refusing what cannot be used

def test_images_of_another_size_are_refused_at_predict():
    rng = np.random.RandomState(0)
    y = np.repeat(["EW", "RRab"], 10)
    X = rng.rand(20, 1, 22, 23).astype(np.float32)
    clf = _make(CNNClassifier).fit(X, y)
    for shape in ((20, 1, 5, 5), (20, 1, 200, 200), (20, 1, 23, 22)):
        with pytest.raises(ValueError, match="fitted on images of 22x23 pixels"):
            clf.predict(rng.rand(*shape).astype(np.float32))
    with pytest.raises(ValueError, match="fitted on images of 22x23 pixels"):
        clf.transform(rng.rand(3, 1, 5, 5).astype(np.float32))
    with pytest.raises(ValueError, match="fitted on 1 channels, got 3"):
        clf.predict_proba(torch.rand(4, 3, 22, 23))  # tensors are checked too
    assert clf.predict(X[:3]).shape == (3,)


@pytest.mark.parametrize("cls", SEQ)
def test_windows_need_the_shape_of_the_fit(cls):
    X, y = _windows()
    clf = _make(cls).fit(X, y)
    L = X.shape[1]
    assert clf.predict(X[:2]).shape == (2,)
    for other in (7, 2 * L):
        with pytest.raises(ValueError, match=f"fitted on windows of {L} observations, "
                                             f"got {other}.*WindowPad\\(window={L}\\)"):
            clf.predict(np.zeros((2, other, 4), np.float32))
    with pytest.raises(ValueError, match="4 channels"):
        clf.predict(np.zeros((2, 40, 3), np.float32))


def test_diverging_training_stops_with_a_value_error():
    X, y = _images()
    with pytest.raises(ValueError, match=r"in epoch \d+: training diverged.*lr=1e\+12"):
        _make(CNNClassifier, lr=1e12, max_epochs=10, validation_fraction=None).fit(X, y)


@pytest.mark.parametrize("weights, match", [
    ({"EW": float("nan")}, "must be a finite number >= 0"),
    ({"EW": -1.0}, "must be a finite number >= 0"),
    ({"EW": "2"}, "must be a finite number >= 0"),
    ({"Cep": 2.0}, "not among the classes"),
    ({"EW": 0, "LPV": 0, "RRab": 0}, "weight of 0"),
])
def test_bad_class_weights_are_refused(weights, match):
    X, y = _images()
    with pytest.raises(ValueError, match=match):
        _make(CNNClassifier, class_weight=weights).fit(X, y)


def test_missing_or_continuous_labels_are_refused():
    X, y = _images()
    yo = y.astype(object)
    yo[5] = None
    with pytest.raises(ValueError, match="missing label .* at index 5"):
        _make(CNNClassifier).fit(X, yo)
    yf = np.where(y == "EW", 1.0, 2.0)
    yf[7] = np.nan
    with pytest.raises(ValueError, match="missing label .* at index 7"):
        _make(CNNClassifier).fit(X, yf)
    with pytest.raises(ValueError, match="Unknown label type"):
        _make(CNNClassifier).fit(X, np.linspace(0, 1, len(y)))
    clf = _make(CNNClassifier).fit(X, y)
    with pytest.raises(ValueError, match="missing label"):
        clf.partial_fit(X, yo)


@pytest.mark.parametrize("params", [
    {"lr": "abc"}, {"lr": -1.0}, {"max_epochs": 2.5}, {"max_epochs": 0}, {"batch_size": 0},
    {"early_stopping": "yes"}, {"patience": 0}, {"validation_fraction": 1.5},
    {"class_weight": [1, 2, 3]}, {"lr_schedule": "linear"}, {"classes": 3},
])
def test_wrong_parameters_are_refused_as_scikit_learn_does(params):
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = _images()
    name = next(iter(params))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of CNNClassifier"):
        _make(CNNClassifier).set_params(**params).fit(X, y)


def test_classes_given_unsorted_work():
    X, y = _images()
    order = ["RRab", "EW", "LPV"]
    a = _make(CNNClassifier, classes=order).fit(X, y)
    b = _make(CNNClassifier, classes=sorted(order)).fit(X, y)
    assert a.classes_.tolist() == ["EW", "LPV", "RRab"]
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(a.predict(X), a.classes_[a.predict_proba(X).argmax(1)])
    # a class absent from y is still a column
    c = _make(CNNClassifier, classes=["Cep", "RRab", "EW", "LPV"]).fit(X, y)
    assert c.classes_.tolist() == ["Cep", "EW", "LPV", "RRab"]
    assert c.predict_proba(X).shape == (len(X), 4)


def test_input_is_validated_once_per_call(monkeypatch):
    X, y = _images()
    clf = _make(CNNClassifier, max_epochs=2)
    calls = []
    original = BaseLCNet._check_X

    def counting(self, X, reset=False):
        if isinstance(X, np.ndarray):  # skorch Datasets (validation scoring) pass through
            calls.append(reset)
        return original(self, X, reset)

    monkeypatch.setattr(BaseLCNet, "_check_X", counting)
    clf.fit(X, y)
    assert calls == [True]
    calls.clear()
    clf.predict(X)
    assert calls == [False]
    calls.clear()
    clf.partial_fit(X, y)
    assert calls == [False]
