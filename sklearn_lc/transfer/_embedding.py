"""EncoderEmbedding: light curves to pretrained transformer embeddings."""

from __future__ import annotations

import os
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils._validation import check_light_curves

__all__ = ["EncoderEmbedding"]


class EncoderEmbedding(TransformerMixin, BaseEstimator):
    """Embed light curves with a pretrained (or fitted) transformer encoder.

    Each star is cut to one window of ``window`` observations (as
    :class:`~sklearn_lc.WindowPad` does, with the given ``strategy``); the
    encoder's per-observation outputs are averaged over the real observations
    (masked mean), giving one ``d_model`` vector per star, ready for any
    scikit-learn estimator (e.g. a random forest).

    Parameters
    ----------
    weights : str, path-like or estimator, default="crts"
        Where the encoder comes from: the name of weights shipped with the
        package (``"crts"``), a model directory written by
        :meth:`MaskedPretrainer.save <sklearn_lc.MaskedPretrainer.save>` or
        :func:`~sklearn_lc.model_io.save_model`, or a fitted
        :class:`~sklearn_lc.MaskedPretrainer` or
        :class:`~sklearn_lc.TransformerClassifier` (its weights are copied at
        ``fit``; the estimator is not modified).
    window : int, default=200
        Observations per window.
    strategy : {"auto", "first", "last", "subsample"}, default="auto"
        How a longer curve is cut (see :class:`~sklearn_lc.WindowPad`).
        ``"auto"``: ``"first"`` for an encoder of observation times (e.g.
        ``"crts"``), ``"subsample"`` (points spread over the cycle, as in its
        pretraining) for an encoder with the periodic encoding (e.g.
        ``"folded"``), which reads curves folded by
        :class:`~sklearn_lc.PhaseFold` (other times are refused).
    batch_size : int, default=256
        Windows per forward pass.
    device : str, default="cpu"
        Torch device.

    Attributes
    ----------
    encoder_ : AstromerEncoder
        The transformer encoder (a private copy, in eval mode).
    n_features_out_ : int
        Embedding width ``d_model``.

    Examples
    --------
    >>> from sklearn_lc import EncoderEmbedding, make_light_curves
    >>> X, y = make_light_curves(3, random_state=0)
    >>> E = EncoderEmbedding("crts").fit_transform(X)
    >>> E.shape[0], E.dtype
    (18, dtype('float32'))
    """

    _parameter_constraints: dict = {
        "weights": [str, os.PathLike, BaseEstimator],
        "window": [Interval(Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"auto", "first", "last", "subsample"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
    }

    # saved by sklearn_lc.model_io: the encoder's tensors and these attributes
    _saved_modules = {"encoder": "encoder_"}
    _saved_attrs = ("n_features_out_",)
    _object_params = ("weights",)  # a fitted estimator given as weights is not saved

    def __init__(
        self,
        weights: Any = "crts",
        window: int = 200,
        strategy: str = "auto",
        batch_size: int = 256,
        device: str = "cpu",
    ):
        self.weights = weights
        self.window = window
        self.strategy = strategy
        self.batch_size = batch_size
        self.device = device

    def fit(self, X: Any = None, y: Any = None) -> EncoderEmbedding:
        """Load the encoder; nothing is learned from ``X``.

        Parameters
        ----------
        X : light curves, optional
            Validated if given.
        y : ignored
            Not used.

        Returns
        -------
        self : EncoderEmbedding
            The transformer.
        """
        from ._classifier import load_source_encoder

        self._validate_params()
        if X is not None:
            check_light_curves(X)
        self.encoder_ = load_source_encoder(self.weights).to(self.device).eval()
        self.n_features_out_ = int(self.encoder_.d_model)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Return the embeddings.

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`.

        Returns
        -------
        E : ndarray of shape (n_stars, d_model), float32
        """
        from ._encoder import embed_light_curves

        check_is_fitted(self, "encoder_")
        return embed_light_curves(
            self.encoder_, X, self.window, self.batch_size, self.device, self.strategy
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Return ``emb_0 ... emb_{d_model-1}``.

        Parameters
        ----------
        input_features : ignored
            Not used.

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self, "encoder_")
        return np.asarray([f"emb_{i}" for i in range(self.n_features_out_)], dtype=object)

    def _module_specs(self) -> dict:
        from ._encoder import encoder_config

        return {"encoder": {"class": "AstromerEncoder", "kwargs": encoder_config(self.encoder_)}}

    @classmethod
    def _from_saved(cls, params: dict, attrs: dict, modules: dict, specs: dict
                    ) -> EncoderEmbedding:
        est = cls(**params)
        est.encoder_ = modules["encoder"].to(est.device).eval()
        est.n_features_out_ = int(attrs.get("n_features_out_", est.encoder_.d_model))
        return est

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.allow_nan = True
        return tags

    @classmethod
    def _get_test_params(cls) -> dict:
        return {"weights": "crts", "window": 30, "batch_size": 16}
