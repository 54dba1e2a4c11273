"""The deep estimators inside scikit-learn pipelines and meta-estimators.

Real CRTS curves (with their ``group`` array) when the shared data folder is
present, else simulated curves with synthetic groups. Tiny nets, 2 epochs.
"""

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier, StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_lc import (
    CNNClassifier,
    CNNLSTMClassifier,
    DmDtImage,
    FreedmanDiaconisHist,
    TransformerClassifier,
    WindowPad,
    load_light_curves,
    make_light_curves,
)

CLASSES = ("EW", "RRab", "LPV")
N_PER_CLASS = 30


@pytest.fixture(scope="module")
def data():
    """``(X, y, groups, source)``: 90 curves of three classes."""
    try:
        b = load_light_curves("crts_drake14", classes=CLASSES)
    except (FileNotFoundError, OSError):
        X, y = make_light_curves(N_PER_CLASS, classes=CLASSES, n_points=(60, 200),
                                 random_state=0)
        groups = np.arange(len(y)) // 2  # pairs of "duplicate" stars
        return list(X), np.asarray(y), groups, "synthetic"
    rng = np.random.RandomState(0)
    y_all = np.asarray(b.target)
    idx = np.concatenate([rng.choice(np.flatnonzero(y_all == c), N_PER_CLASS, replace=False)
                          for c in CLASSES])
    X = [b.light_curves[i] for i in idx]
    return X, y_all[idx], np.asarray(b.group)[idx], "crts"


def _net(cls, **kw):
    p = cls._get_test_params()
    p.update(kw)
    return cls(**p)


PIPES = {
    "cnn": lambda: make_pipeline(DmDtImage(), _net(CNNClassifier)),
    "cnn_lstm": lambda: make_pipeline(WindowPad(window=100), _net(CNNLSTMClassifier)),
    "transformer": lambda: make_pipeline(WindowPad(window=100), _net(TransformerClassifier)),
}


@pytest.mark.parametrize("name", sorted(PIPES))
def test_cross_val_score_group_aware(data, name):
    X, y, groups, _ = data
    cv = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_val_score(PIPES[name](), X, y, groups=groups, cv=cv, error_score="raise")
    assert scores.shape == (3,)
    assert np.all((scores >= 0) & (scores <= 1))


def test_cnn_on_freedman_diaconis_histograms(data):
    X, y, _, _ = data
    pipe = make_pipeline(FreedmanDiaconisHist(), _net(CNNClassifier)).fit(X[::2], y[::2])
    clf = pipe[-1]
    assert clf.input_shape_ == (3, 90, 53)
    assert clf.module_.encoder[0].in_channels == 3
    proba = pipe.predict_proba(X[1::2])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_grid_search_over_module_params_and_lr(data):
    X, y, groups, _ = data
    pipe = PIPES["cnn"]()
    grid = {"cnnclassifier__module__n_filters": [2, 4], "cnnclassifier__lr": [1e-3, 1e-2]}
    gs = GridSearchCV(pipe, grid, cv=StratifiedGroupKFold(n_splits=2), error_score="raise")
    gs.fit(X, y, groups=groups)
    assert len(gs.cv_results_["params"]) == 4
    assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))
    best = gs.best_estimator_[-1]
    assert best.module_.encoder[0].out_channels == gs.best_params_[
        "cnnclassifier__module__n_filters"]
    assert set(gs.predict(X[:5])) <= set(CLASSES)


def test_calibrated_classifier(data):
    X, y, _, _ = data
    cal = CalibratedClassifierCV(PIPES["transformer"](), cv=2).fit(X, y)
    proba = cal.predict_proba(X[:10])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert cal.classes_.tolist() == sorted(CLASSES)


def test_stacking_with_feature_forest(data):
    fe = pytest.importorskip("sklearn_lc.transformers._features")
    X, y, groups, _ = data
    forest = make_pipeline(fe.FeatureExtractor(min_period=0.1),
                           RandomForestClassifier(n_estimators=20, random_state=0))
    # grouped inner folds: the stack's out-of-fold member predictions never
    # come from a model that saw the same star under its other id
    inner = list(StratifiedGroupKFold(2, shuffle=True, random_state=0).split(X, y, groups))
    for train, test in inner:
        assert not set(groups[train]) & set(groups[test])
    stack = StackingClassifier(
        [("cnn", PIPES["cnn"]()), ("forest", forest)],
        final_estimator=LogisticRegression(max_iter=200), cv=inner,
    )
    stack.fit(X, y)
    assert [name for name, _ in stack.named_estimators_.items()] == ["cnn", "forest"]
    pred = stack.predict(X)
    assert set(pred) <= set(CLASSES)
    # the forest on 16 features fits its own training curves well, so the stack does too
    assert np.mean(pred == y) > 0.6
