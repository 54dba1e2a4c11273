"""FeatureMLPClassifier: the Kim et al. (2021) MLP on the 16 UPSILoN features."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..nn._feature_mlp import FeatureMLP
from ._base import BaseLCNet

__all__ = ["FeatureMLPClassifier"]


class FeatureMLPClassifier(BaseLCNet):
    """Multilayer perceptron on tabular light-curve features (Kim et al. 2021).

    16 -> 64 -> 128 -> 256 -> n_classes, with batch norm, ReLU and dropout in
    every hidden layer. The feature standardisation (mean and standard
    deviation) is learned at ``fit`` and stored *inside the network* as
    buffers, so that :class:`~sklearn_lc.TransferClassifier` carries the
    source survey's scaling to the target survey with the weights, as in the
    paper. Missing (NaN) features become the source mean.

    Parameters
    ----------
    module__hidden : tuple of int, default=(64, 128, 256)
        Hidden layer widths.
    module__dropout : float, default=0.1
        Dropout after each hidden layer.
    lr, max_epochs, batch_size, validation_fraction, early_stopping, patience, \
restore_best, monitor, lr_schedule, class_weight, random_state, device, verbose, **kwargs
        Training, as described in :class:`~sklearn_lc.nn.BaseLCNet`.

    Attributes
    ----------
    module_ : FeatureMLP
        The network (``module_.feature_mean`` / ``feature_scale`` hold the scaling).
    classes_ : ndarray
        Class labels.
    feature_mean_, feature_scale_ : ndarray of shape (n_features,)
        The standardisation learned at ``fit``, on the training split only
        (the stars held out for validation are left out).
    input_shape_ : tuple of int
        ``(n_features,)``.
    class_weight_ : ndarray or None
        Loss weights of the classes.
    seed_ : int or None
        Torch seed of ``fit``.
    history_ : skorch History
        Per-epoch losses and scores.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lc import FeatureMLPClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(40, 16)).astype(np.float32)
    >>> y = np.where(X[:, 0] > 0, "a", "b")
    >>> clf = FeatureMLPClassifier(max_epochs=3, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _default_module = FeatureMLP
    _default_module_params = {"hidden": (64, 128, 256), "dropout": 0.1}
    _input_kind = "features"

    def _inferred_module_params(self) -> dict:
        out = super()._inferred_module_params()
        shape = getattr(self, "input_shape_", None)
        if shape is not None:
            out["n_features"] = int(shape[0])
        return out

    _saved_attrs = BaseLCNet._saved_attrs + ("feature_mean_", "feature_scale_")

    def fit(self, X: Any, y: Any, **fit_params: Any) -> FeatureMLPClassifier:
        """Train the network; the feature scaling is learned on the training split only.

        Parameters
        ----------
        X : array-like of shape (n_stars, n_features)
            Features (e.g. from ``FeatureExtractor``).
        y : array-like of shape (n_stars,)
            Labels.
        **fit_params : dict
            Passed to skorch's ``fit``.

        Returns
        -------
        self : FeatureMLPClassifier
            The fitted classifier.
        """
        if not (self.warm_start and self.initialized_):
            self.__dict__.pop("feature_mean_", None)
            self.__dict__.pop("feature_scale_", None)
        return super().fit(X, y, **fit_params)

    def _learn_from_training_rows(self, X_train: np.ndarray) -> None:
        """Learn the feature scaling on the stars that train the network and install it."""
        self._learn_scaling(np.asarray(X_train, dtype=np.float64))
        self.module_.set_scaling(self.feature_mean_, self.feature_scale_)

    def _learn_scaling(self, Xa: np.ndarray) -> None:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            mean = np.nanmean(Xa, axis=0)
            scale = np.nanstd(Xa, axis=0)
        self.feature_mean_ = np.nan_to_num(mean).astype(np.float32)
        self.feature_scale_ = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0).astype(
            np.float32)

    def initialize_module(self) -> FeatureMLPClassifier:
        """Build the MLP for the data's width and classes; install the scaling."""
        super().initialize_module()
        mean = getattr(self, "feature_mean_", None)
        if mean is not None and self.module_.feature_mean.shape[0] == mean.shape[0]:
            self.module_.set_scaling(mean, self.feature_scale_)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = False
        tags.input_tags.allow_nan = True
        return tags

    @classmethod
    def _get_test_params(cls) -> dict:
        return {"module__hidden": (8, 8), "max_epochs": 2, "batch_size": 8, "random_state": 0}

