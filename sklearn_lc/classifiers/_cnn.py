"""CNNClassifier: a 2-D CNN on dm-dt images or histograms."""

from __future__ import annotations

from ..nn._modules import DmDtCNN
from ._base import BaseLCNet

__all__ = ["CNNClassifier"]


class CNNClassifier(BaseLCNet):
    """2-D convolutional network on light-curve images ``(n, C, H, W)``.

    The input is an image per star, e.g. :class:`~sklearn_lc.DmDtImage`
    (``(n, 1, 23, 24)``) or :class:`~sklearn_lc.FreedmanDiaconisHist`
    (``(n, 3, 90, 53)``). The default network (:class:`~sklearn_lc.nn.DmDtCNN`)
    follows Mahabal et al. (2017): two blocks of 3x3 convolution + batch norm + ReLU + 2x2
    max-pooling (32 and 64 filters), adaptive max-pooling to 4x4 (any image
    size works), two dense layers of 128 with dropout 0.5, and the output
    layer ``module_.head.out``. The number of channels and of classes are
    read from the data in ``fit``.

    Parameters
    ----------
    module : torch module class or None, default=None
        ``None``: :class:`~sklearn_lc.nn.DmDtCNN`.
    module__n_filters, module__n_conv, module__kernel_size, module__pool_size, \
module__n_dense, module__n_dense_layers, module__dropout, module__batch_norm
        Architecture (see :class:`~sklearn_lc.nn.DmDtCNN`); all tunable in a
        grid search.
    lr, max_epochs, batch_size, validation_fraction, early_stopping, patience, \
restore_best, monitor, lr_schedule, class_weight, random_state, device, verbose, **kwargs
        Training, as described in :class:`~sklearn_lc.nn.BaseLCNet`
        (AdamW, lr 1e-3, up to 30 epochs, batch 64, early stopping on a 10%
        stratified validation split).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    input_shape_ : tuple of int
        ``(C, H, W)`` seen in ``fit``.
    class_weight_ : ndarray or None
        Loss weights of the classes.
    seed_ : int or None
        Torch seed of ``fit``.
    module_ : DmDtCNN
        The trained network (``module_.encoder``, ``module_.head.out``).
    history_ : skorch History
        Per-epoch losses and scores.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lc import CNNClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(40, 1, 23, 24).astype(np.float32)
    >>> y = np.repeat(["EW", "RRab"], 20)
    >>> X[y == "EW", 0, 5, 5] += 3
    >>> clf = CNNClassifier(max_epochs=3, module__n_filters=4, random_state=0)
    >>> clf.fit(X, y).predict(X[:3]).tolist()
    ['EW', 'EW', 'EW']
    """

    _default_module = DmDtCNN
    _input_kind = "image"

    @classmethod
    def _get_test_params(cls) -> dict:
        return {"module__n_filters": 4, "module__n_dense": 16, "max_epochs": 2,
                "batch_size": 16, "device": "cpu", "random_state": 0}
