"""scikit-learn compatible classifiers of light curves (skorch networks and others)."""

from ._cnn import CNNClassifier
from ._cnn_lstm import CNNLSTMClassifier
from ._hybrid import HybridClassifier
from ._transformer import TransformerClassifier

__all__ = ["CNNClassifier", "CNNLSTMClassifier", "HybridClassifier", "TransformerClassifier"]
