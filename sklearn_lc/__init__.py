"""sklearn_lc: scikit-learn compatible classification of variable-star light curves.

Light curves (irregular time in days, magnitude, magnitude error) go in;
transformers return fixed-shape float32 arrays and estimators predict classes.

Every public name is imported on first use, so ``import sklearn_lc`` (and the
``sklearn-lc`` command line) pays only for what it uses: the torch estimators
do not load torch until touched, ``sklearn-lc --help`` imports no
scikit-learn.
"""

from importlib import import_module
from typing import Any

from ._version import __version__

# public name -> module defining it, imported lazily
_LAZY = {
    "load_light_curves": ".datasets",
    "make_light_curves": ".datasets",
    "RaggedResampler": ".sampling",
    "DmDtImage": ".transformers",
    "FeatureExtractor": ".transformers",
    "FreedmanDiaconisHist": ".transformers",
    "WindowPad": ".transformers",
    "FeatureFold": ".transformers",
    "PhaseFold": ".transformers",
    "check_light_curves": ".utils",
    "from_long_frame": ".utils",
    "CNNClassifier": ".classifiers._cnn",
    "CNNLSTMClassifier": ".classifiers._cnn_lstm",
    "TransformerClassifier": ".classifiers._transformer",
    "FeatureMLPClassifier": ".classifiers._feature_mlp",
    "HybridClassifier": ".classifiers._hybrid",
    "MaskedPretrainer": ".transfer._pretrainer",
    "TransferClassifier": ".transfer._classifier",
    "EncoderEmbedding": ".transfer._embedding",
}
# subpackages that ``import sklearn_lc`` used to import eagerly: still reachable as attributes
_SUBMODULES = ("datasets", "sampling", "transformers", "utils")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'sklearn_lc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))


__all__ = [
    "CNNClassifier",
    "CNNLSTMClassifier",
    "DmDtImage",
    "EncoderEmbedding",
    "FeatureExtractor",
    "FeatureFold",
    "FeatureMLPClassifier",
    "FreedmanDiaconisHist",
    "HybridClassifier",
    "MaskedPretrainer",
    "PhaseFold",
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
