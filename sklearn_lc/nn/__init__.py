"""Torch networks (pure torch) and the shared skorch base of the deep classifiers."""

from ._augment import BinnedAugment, SequenceAugment
from ._base import BaseLCNet, RestoreBest, encoded_accuracy
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

__all__ = [
    "AstromerEncoder",
    "BaseLCNet",
    "BinnedAugment",
    "CNNLSTM",
    "ConvLSTMEncoder",
    "DmDtCNN",
    "HybridNet",
    "LSTMHead",
    "MLPHead",
    "PhasePositionalEncoding",
    "QuantileNormalizer",
    "RestoreBest",
    "SequenceAugment",
    "TimePositionalEncoding",
    "TransformerNet",
    "encoded_accuracy",
    "masked_mean",
    "n_parameters",
    "sequence_mask",
]
