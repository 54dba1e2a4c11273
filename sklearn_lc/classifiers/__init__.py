"""scikit-learn compatible classifiers of light curves (skorch networks on top of torch)."""

from importlib import import_module
from typing import Any

from ._base import BaseLCNet
from ._cnn import CNNClassifier
from ._cnn_lstm import CNNLSTMClassifier
from ._feature_mlp import FeatureMLPClassifier
from ._hybrid import HybridClassifier
from ._transformer import TransformerClassifier

# defined in sklearn_lc.transfer, which imports this package: resolved on first use
_LAZY = {"TransferClassifier": "sklearn_lc.transfer._classifier"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sklearn_lc.classifiers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BaseLCNet",
    "CNNClassifier",
    "CNNLSTMClassifier",
    "FeatureMLPClassifier",
    "HybridClassifier",
    "TransferClassifier",
    "TransformerClassifier",
]
