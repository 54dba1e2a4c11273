"""Torch networks (pure torch: no skorch, no scikit-learn)."""

from importlib import import_module
from typing import Any

from ._augment import BinnedAugment, SequenceAugment
from ._feature_mlp import FeatureMLP
from ._hybrid import HybridNet, QuantileNormalizer
from ._modules import (
    CNNLSTM,
    AstromerEncoder,
    ConvLSTMEncoder,
    DmDtCNN,
    LSTMHead,
    MLPHead,
    PhasePositionalEncoding,
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
    "BinnedAugment",
    "CNNLSTM",
    "ConvLSTMEncoder",
    "DmDtCNN",
    "FeatureMLP",
    "HybridNet",
    "LSTMHead",
    "MLPHead",
    "PhasePositionalEncoding",
    "QuantileNormalizer",
    "SequenceAugment",
    "TimePositionalEncoding",
    "TransformerNet",
    "masked_mean",
    "n_parameters",
    "sequence_mask",
]
