"""Torch networks (pure torch: no skorch, no scikit-learn)."""

from importlib import import_module
from typing import Any

from ._feature_mlp import FeatureMLP
from ._modules import (
    CNNLSTM,
    AstromerEncoder,
    ConvLSTMEncoder,
    DmDtCNN,
    LSTMHead,
    MLPHead,
    TimePositionalEncoding,
    TransformerNet,
    masked_mean,
    n_parameters,
    sequence_mask,
)

# the skorch base of the estimators lives in sklearn_lc.classifiers; these
# names still resolve here (imported on first use, so that this package stays pure torch)
_MOVED = {"BaseLCNet": "sklearn_lc.classifiers._base",
          "RestoreBest": "sklearn_lc.classifiers._base",
          "encoded_accuracy": "sklearn_lc.classifiers._base"}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        return getattr(import_module(_MOVED[name]), name)
    raise AttributeError(f"module 'sklearn_lc.nn' has no attribute {name!r}")


__all__ = [
    "AstromerEncoder",
    "CNNLSTM",
    "ConvLSTMEncoder",
    "DmDtCNN",
    "FeatureMLP",
    "LSTMHead",
    "MLPHead",
    "TimePositionalEncoding",
    "TransformerNet",
    "masked_mean",
    "n_parameters",
    "sequence_mask",
]
