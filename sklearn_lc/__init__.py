"""sklearn_lc: scikit-learn compatible classification of variable-star light curves.

Light curves (irregular time in days, magnitude, magnitude error) go in;
transformers return fixed-shape float32 arrays and estimators predict classes.

The torch-based estimators are imported on first use, so ``import sklearn_lc``
and the light-curve transformers do not pay for importing torch.
"""

from importlib import import_module
from typing import Any

from ._version import __version__
from .datasets import load_light_curves, make_light_curves
from .sampling import RaggedResampler
from .transformers import DmDtImage, FeatureExtractor, FreedmanDiaconisHist, WindowPad
from .utils import check_light_curves, from_long_frame

# public name -> module defining it, imported lazily (they need torch)
_LAZY = {
    "CNNClassifier": ".classifiers._cnn",
    "CNNLSTMClassifier": ".classifiers._cnn_lstm",
    "TransformerClassifier": ".classifiers._transformer",
    "FeatureMLPClassifier": ".classifiers._feature_mlp",
    "MaskedPretrainer": ".transfer._pretrainer",
    "TransferClassifier": ".transfer._classifier",
    "EncoderEmbedding": ".transfer._embedding",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sklearn_lc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CNNClassifier",
    "CNNLSTMClassifier",
    "DmDtImage",
    "EncoderEmbedding",
    "FeatureExtractor",
    "FeatureMLPClassifier",
    "FreedmanDiaconisHist",
    "MaskedPretrainer",
    "RaggedResampler",
    "TransferClassifier",
    "TransformerClassifier",
    "WindowPad",
    "__version__",
    "check_light_curves",
    "from_long_frame",
    "load_light_curves",
    "make_light_curves",
]
