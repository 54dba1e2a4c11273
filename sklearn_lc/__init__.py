"""sklearn_lc: scikit-learn compatible classification of variable-star light curves.

Light curves (irregular time in days, magnitude, magnitude error) go in;
transformers return fixed-shape float32 arrays and estimators predict classes.
"""

from ._version import __version__
from .classifiers import CNNClassifier, CNNLSTMClassifier, TransformerClassifier
from .datasets import load_light_curves, make_light_curves
from .sampling import RaggedResampler
from .transformers import DmDtImage, FeatureExtractor, FreedmanDiaconisHist, WindowPad
from .utils import check_light_curves, from_long_frame

__all__ = [
    "CNNClassifier",
    "CNNLSTMClassifier",
    "DmDtImage",
    "FeatureExtractor",
    "FreedmanDiaconisHist",
    "RaggedResampler",
    "TransformerClassifier",
    "WindowPad",
    "__version__",
    "check_light_curves",
    "from_long_frame",
    "load_light_curves",
    "make_light_curves",
]
