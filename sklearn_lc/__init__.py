"""sklearn_lc: scikit-learn compatible classification of variable-star light curves.

Light curves (irregular time in days, magnitude, magnitude error) go in;
transformers return fixed-shape float32 arrays and estimators predict classes.
"""

from ._version import __version__
from .classifiers import CNNClassifier, CNNLSTMClassifier, TransformerClassifier
from .classifiers._feature_mlp import FeatureMLPClassifier
from .classifiers._pretrainer import MaskedPretrainer
from .classifiers._transfer import TransferClassifier
from .datasets import load_light_curves, make_light_curves
from .sampling import RaggedResampler
from .transformers import DmDtImage, FeatureExtractor, FreedmanDiaconisHist, WindowPad
from .transformers._embedding import EncoderEmbedding
from .utils import check_light_curves, from_long_frame

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
