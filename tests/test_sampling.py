"""Tests of RaggedResampler: every input form, pipelines, search, duplicate leaks."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, GroupShuffleSplit, StratifiedGroupKFold
from sklearn.preprocessing import StandardScaler
from skorch.dataset import ValidSplit

from sklearn_lc import DmDtImage, RaggedResampler, make_light_curves
from sklearn_lc.sampling import leaked_duplicates
from sklearn_lc.utils import check_light_curves, to_padded_array


def _imbalanced(n_major=12, n_minor=4, seed=0):
    """Binary, imbalanced light curves: n_major RRab, n_minor EA (list of tuples)."""
    X, y = make_light_curves(n_major, classes=("RRab", "EA"), n_points=(20, 50),
                             random_state=seed)
    keep = np.r_[np.flatnonzero(y == "RRab"), np.flatnonzero(y == "EA")[:n_minor]]
    return [X[i] for i in keep], y[keep]


def _as_form(X, form):
    if form == "list":
        return list(X)
    if form == "frame":
        lcs = check_light_curves(X)
        return pd.DataFrame({"time": [t for t, _, _ in lcs], "mag": [m for _, m, _ in lcs],
                             "err": [e for _, _, e in lcs]}, index=[f"s{i}" for i in range(len(X))])
    if form == "padded":
        return to_padded_array(X)
    if form == "object":
        out = np.empty(len(X), dtype=object)
        for i, lc in enumerate(X):
            out[i] = np.vstack(lc)
        return out
    raise ValueError(form)


FORMS = ["list", "frame", "padded", "object"]
TYPES = {"list": list, "frame": pd.DataFrame, "padded": np.ndarray, "object": np.ndarray}


def _same_star(a, b):
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("form", FORMS)
def test_oversampling_balances_and_keeps_form(form):
    X, y = _imbalanced()
    Xf = _as_form(X, form)
    rs = RaggedResampler(random_state=0)
    X_res, y_res = rs.fit_resample(Xf, y)
    assert type(X_res) is TYPES[form]
    assert Counter(y_res.tolist()) == {"RRab": 12, "EA": 12}
    assert len(X_res) == 24 == rs.sample_indices_.size
    if form == "padded":
        assert X_res.shape[1:] == Xf.shape[1:]
    if form == "frame":
        # index labels travel with the rows: copies keep the label of their star
        assert list(X_res.index) == [f"s{i}" for i in rs.sample_indices_]
    # every returned light curve is the input star named by sample_indices_
    orig, res = check_light_curves(Xf), check_light_curves(X_res)
    for k, i in enumerate(rs.sample_indices_):
        _same_star(res[k], orig[i])
        assert y_res[k] == y[i]
    # the 8 added rows are copies of the 4 minority stars
    assert set(rs.duplicated_indices_) <= set(np.flatnonzero(y == "EA"))
    assert rs.duplicated_indices_.size >= 1
    assert isinstance(rs.sampler_, RandomOverSampler)


@pytest.mark.parametrize("form", FORMS)
def test_undersampling_each_form(form):
    X, y = _imbalanced()
    Xf = _as_form(X, form)
    rs = RaggedResampler(RandomUnderSampler(random_state=1))
    X_res, y_res = rs.fit_resample(Xf, y)
    assert type(X_res) is TYPES[form]
    assert Counter(y_res.tolist()) == {"RRab": 4, "EA": 4}
    assert len(X_res) == 8
    assert rs.duplicated_indices_.size == 0
    assert np.unique(rs.sample_indices_).size == 8
    orig, res = check_light_curves(Xf), check_light_curves(X_res)
    for k, i in enumerate(rs.sample_indices_):
        _same_star(res[k], orig[i])


def test_parameters_override_the_given_sampler_and_seed_is_reproducible():
    X, y = _imbalanced()
    rs = RaggedResampler(RandomUnderSampler(), sampling_strategy=0.5, random_state=3)
    _, y_res = rs.fit_resample(X, y)
    assert Counter(y_res.tolist()) == {"RRab": 8, "EA": 4}
    assert rs.sampler_.random_state == 3
    again = RaggedResampler(RandomUnderSampler(), sampling_strategy=0.5, random_state=3)
    again.fit_resample(X, y)
    np.testing.assert_array_equal(rs.sample_indices_, again.sample_indices_)
    # the wrapped sampler itself is not modified (it is cloned)
    assert rs.sampler.sampling_strategy == "auto"


def test_y_series_stays_series():
    X, y = _imbalanced()
    X_res, y_res = RaggedResampler(random_state=0).fit_resample(X, pd.Series(y, name="cls"))
    assert isinstance(y_res, pd.Series) and y_res.name == "cls" and len(y_res) == len(X_res)


def test_errors_name_the_star_and_reject_generators():
    X, y = _imbalanced()
    t, m, e = X[3]
    m = m.copy()
    m[2] = np.nan
    bad = list(X)
    bad[3] = (t, m, e)
    with pytest.raises(ValueError, match="light curve 3"):
        RaggedResampler().fit_resample(bad, y)
    with pytest.raises(ValueError, match="one label per light curve"):
        RaggedResampler().fit_resample(X, y[:-1])
    with pytest.raises(TypeError, match="sample_indices_"):
        RaggedResampler(SMOTE(k_neighbors=1)).fit_resample(X, y)
    with pytest.raises(TypeError, match="imbalanced-learn sampler"):
        RaggedResampler(sampler="ros").fit_resample(X, y)


@pytest.mark.parametrize("form", FORMS)
def test_pipeline_resamples_only_in_fit(form):
    X, y = _imbalanced()
    Xf = _as_form(X, form)
    pipe = make_pipeline(RaggedResampler(random_state=0), DmDtImage(flatten=True),
                         DummyClassifier(strategy="prior"))
    pipe.fit(Xf, y)
    # the classifier was trained on the balanced, resampled set ...
    np.testing.assert_allclose(pipe[-1].class_prior_, [0.5, 0.5])
    # ... but prediction and transform see every star exactly once, in order
    assert pipe.predict(Xf).shape == (16,)
    assert pipe.predict_proba(Xf).shape == (16, 2)
    features = pipe[:-1].transform(Xf)
    np.testing.assert_array_equal(features, DmDtImage(flatten=True).transform(Xf))


def test_smote_after_a_feature_transformer():
    from sklearn_lc.transformers import FeatureExtractor

    X, y = _imbalanced()
    F = FeatureExtractor().fit_transform(X)
    pipe = make_pipeline(FeatureExtractor(), SMOTE(k_neighbors=2, random_state=0),
                         DummyClassifier(strategy="prior"))
    pipe.fit(X, y)
    np.testing.assert_allclose(pipe[-1].class_prior_, [0.5, 0.5])
    assert pipe.predict(X).shape == (16,)
    # SMOTE runs in fit only: fit_transform has the 8 synthetic rows, transform has none
    scaled = make_pipeline(FeatureExtractor(), SMOTE(k_neighbors=2, random_state=0),
                           StandardScaler())
    assert scaled.fit_transform(X, y).shape == (24, F.shape[1])
    np.testing.assert_allclose(scaled.transform(X), scaled[-1].transform(F), rtol=1e-6)
    # SMOTE's synthetic rows are interpolations of the minority features
    X_s, y_s = SMOTE(k_neighbors=2, random_state=0).fit_resample(F, y)
    assert X_s.shape == (24, F.shape[1]) and np.all(np.isfinite(X_s))
    lo, hi = F[y == "EA"].min(axis=0), F[y == "EA"].max(axis=0)
    new = X_s[16:]
    assert np.all((new >= lo - 1e-5 * np.abs(lo) - 1e-6) & (new <= hi + 1e-5 * np.abs(hi) + 1e-6))
    # and both samplers together: index-based before, SMOTE after the features
    pipe2 = make_pipeline(RaggedResampler(RandomUnderSampler(sampling_strategy=0.5),
                                          random_state=0),
                          DmDtImage(flatten=True), SMOTE(k_neighbors=2, random_state=0),
                          DummyClassifier(strategy="prior"))
    pipe2.fit(X, y)
    np.testing.assert_allclose(pipe2[-1].class_prior_, [0.5, 0.5])
    assert pipe2[0].sample_indices_.size == 12  # 8 RRab kept + 4 EA


def test_grid_search_over_sampling_strategy_with_groups():
    X, y = _imbalanced(n_major=12, n_minor=6)
    groups = np.arange(len(X)) // 2  # pairs of stars share a group (as CRTS duplicates do)
    pipe = make_pipeline(RaggedResampler(random_state=0), DmDtImage(flatten=True),
                         RandomForestClassifier(n_estimators=10, random_state=0))
    grid = GridSearchCV(pipe, {"raggedresampler__sampling_strategy": [0.75, 1.0]},
                        cv=StratifiedGroupKFold(n_splits=3), error_score="raise")
    grid.fit(X, y, groups=groups)
    assert set(grid.cv_results_["param_raggedresampler__sampling_strategy"]) == {0.75, 1.0}
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    rs = grid.best_estimator_.named_steps["raggedresampler"]
    n_minor = int(12 * grid.best_params_["raggedresampler__sampling_strategy"])
    assert Counter(y[rs.sample_indices_].tolist()) == {"RRab": 12, "EA": n_minor}
    assert grid.predict(X).shape == (len(X),)


def _valid_split_positions(split, n, y, groups=None):
    """Positions chosen by a skorch ValidSplit (as a net's internal split would)."""
    ds_train, ds_valid = split(np.arange(n).reshape(-1, 1), y, groups=groups)
    return np.asarray(ds_train.indices), np.asarray(ds_valid.indices)


def test_oversampling_leaks_duplicates_into_a_stratified_validation_split():
    X, y = _imbalanced(n_major=20, n_minor=5)
    rs = RaggedResampler(random_state=0)
    X_res, y_res = rs.fit_resample(X, y)
    # the deep estimators' internal split: skorch ValidSplit, stratified, 20 %
    split = ValidSplit(cv=0.2, stratified=True, random_state=0)
    train, valid = _valid_split_positions(split, len(X_res), y_res)
    leaked = leaked_duplicates(rs.sample_indices_, train, valid)
    assert leaked.size > 0  # copies of one star on both sides: the leak is real
    assert set(leaked) <= set(rs.duplicated_indices_)
    assert np.all(y[leaked] == "EA")
    # documented alternative 1: no resampling (class weights do the balancing)
    # -> every star once, so the same split cannot share a star
    ident = np.arange(len(X))
    train, valid = _valid_split_positions(split, len(X), y)
    assert leaked_duplicates(ident, train, valid).size == 0
    # documented alternative 3: resample, but split by original star (groups)
    gsplit = ValidSplit(GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=0))
    train, valid = _valid_split_positions(gsplit, len(X_res), y_res, groups=rs.sample_indices_)
    assert leaked_duplicates(rs.sample_indices_, train, valid).size == 0
    assert valid.size > 0 and train.size > 0


def test_leaked_duplicates_helper():
    assert leaked_duplicates([0, 0, 1], [0], [1]).tolist() == [0]
    assert leaked_duplicates([0, 0, 1], [0, 1], [2]).tolist() == []


def test_deep_estimator_after_resampling_and_the_class_weight_alternative():
    from sklearn_lc import CNNClassifier

    X, y = _imbalanced()
    params = dict(CNNClassifier._get_test_params(), batch_size=16)
    # resampling before a net: its internal split is switched off (outer CV instead)
    pipe = make_pipeline(RaggedResampler(random_state=0), DmDtImage(),
                         CNNClassifier(**params, validation_fraction=None))
    pipe.fit(X, y)
    net = pipe[-1]
    assert net.history_[-1]["train_batch_count"] == 2  # 24 resampled images, batches of 16
    assert "valid_loss" not in net.history_[-1]
    assert pipe.predict(X).shape == (16,)
    # the recommended alternative: no resampling, a balanced loss (every star once)
    net2 = make_pipeline(DmDtImage(), CNNClassifier(**params, class_weight="balanced"))
    net2.fit(X, y)
    np.testing.assert_allclose(net2[-1].class_weight_, [16 / (2 * 4), 16 / (2 * 12)])
    assert list(net2[-1].classes_) == ["EA", "RRab"]
