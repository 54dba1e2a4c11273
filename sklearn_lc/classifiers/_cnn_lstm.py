"""CNNLSTMClassifier: 1-D convolutions and an LSTM over windows of observations."""

from __future__ import annotations

from ..nn._modules import CNNLSTM
from ._base import BaseLCNet

__all__ = ["CNNLSTMClassifier"]


class CNNLSTMClassifier(BaseLCNet):
    """CNN-LSTM on :class:`~sklearn_lc.WindowPad` windows ``(n, L, 4)``.

    Each observation contributes ``log1p(dt)``, magnitude and error; a 1-D
    convolution (64 filters, kernel 5, ReLU, max-pool 2) feeds an LSTM of 128
    units read after each star's last real observation, and a dense
    head (64 units, dropout) ends in ``module_.head.out``
    (:class:`~sklearn_lc.nn.CNNLSTM`). The mask channel is honoured
    throughout: padding rows (whatever they hold) never change a prediction,
    so a star padded to 200 or to 300 observations gets the same
    probabilities.

    Parameters
    ----------
    module : torch module class or None, default=None
        ``None``: :class:`~sklearn_lc.nn.CNNLSTM`.
    module__n_filters, module__kernel_size, module__n_conv, module__pool, \
module__hidden_size, module__num_layers, module__bidirectional, module__n_dense, \
module__dropout
        Architecture (see :class:`~sklearn_lc.nn.CNNLSTM`).
    lr, max_epochs, batch_size, validation_fraction, early_stopping, patience, \
restore_best, monitor, lr_schedule, class_weight, random_state, device, verbose, **kwargs
        Training, as described in :class:`~sklearn_lc.nn.BaseLCNet`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    input_shape_ : tuple of int
        ``(L, 4)`` seen in ``fit`` (any ``L`` is accepted later).
    class_weight_ : ndarray or None
        Loss weights of the classes.
    seed_ : int or None
        Torch seed of ``fit``.
    module_ : CNNLSTM
        The trained network (``module_.encoder``, ``module_.head.out``).
    history_ : skorch History
        Per-epoch losses and scores.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_lc import CNNLSTMClassifier, WindowPad, make_light_curves
    >>> X, y = make_light_curves(6, random_state=0)
    >>> clf = make_pipeline(WindowPad(window=50), CNNLSTMClassifier(
    ...     max_epochs=2, module__n_filters=8, module__hidden_size=8, random_state=0))
    >>> clf.fit(X, y).predict_proba(X[:2]).shape[0]
    2
    """

    _default_module = CNNLSTM
    _input_kind = "sequence"

    @classmethod
    def _get_test_params(cls) -> dict:
        return {"module__n_filters": 4, "module__hidden_size": 8, "module__n_dense": 8,
                "max_epochs": 2, "batch_size": 16, "device": "cpu", "random_state": 0}
