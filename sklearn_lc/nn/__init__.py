"""Torch networks (pure torch) and the shared skorch base of the deep classifiers."""

from ._base import BaseLCNet, RestoreBest, encoded_accuracy
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

__all__ = [
    "AstromerEncoder",
    "BaseLCNet",
    "CNNLSTM",
    "ConvLSTMEncoder",
    "DmDtCNN",
    "LSTMHead",
    "MLPHead",
    "RestoreBest",
    "TimePositionalEncoding",
    "TransformerNet",
    "encoded_accuracy",
    "masked_mean",
    "n_parameters",
    "sequence_mask",
]
