"""Transfer learning: self-supervised pretraining, fine-tuning and embeddings.

:class:`MaskedPretrainer` pretrains the transformer encoder on unlabelled
light curves (ASTROMER's masked-magnitude objective);
:class:`TransferClassifier` fine-tunes a network trained elsewhere (the shipped
``"crts"`` encoder, ``"crts-features"`` MLP, or any fitted network) on new
labels; :class:`EncoderEmbedding` turns light curves into encoder embeddings
for any scikit-learn estimator. Weights are model directories of
:mod:`sklearn_lc.model_io`; :func:`save_weights` writes them and
:func:`shipped_weights` lists those shipped with the package.
"""

from ._classifier import TransferClassifier, load_source_encoder, load_source_module
from ._embedding import EncoderEmbedding
from ._pretrainer import MaskedPretrainer
from ._weights import load_weights, save_weights, shipped_weights

__all__ = [
    "EncoderEmbedding",
    "MaskedPretrainer",
    "TransferClassifier",
    "load_source_encoder",
    "load_source_module",
    "load_weights",
    "save_weights",
    "shipped_weights",
]
