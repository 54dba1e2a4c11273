"""TransformerClassifier: the ASTROMER encoder with an MLP or LSTM head."""

from __future__ import annotations

from typing import Any

from sklearn.utils._param_validation import StrOptions

from ..nn._modules import TransformerNet
from ._base import BaseLCNet

__all__ = ["TransformerClassifier"]


class TransformerClassifier(BaseLCNet):
    """ASTROMER-style transformer on :class:`~sklearn_lc.WindowPad` windows ``(n, L, 4)``.

    The encoder (Donoso-Oliva et al. 2023) adds a sinusoidal encoding of the
    observation *times* (``sin``/``cos`` of ``w_j t``, ``w_j = 1000**(-2j/d)``)
    to a linear projection of the magnitudes, then runs ``n_blocks``
    self-attention blocks of ``n_heads`` heads with padding removed from the
    attention keys. The head is ``"mlp"`` (dense layers on the masked mean of
    the embeddings, "MLP+ATT") or ``"lstm"`` (an LSTM over them,
    "LSTM+ATT"), ending in ``module_.head.out``; ``module_.encoder`` is the
    part that :class:`~sklearn_lc.MaskedPretrainer` pretrains.

    The encoder defaults to ASTROMER's width, ``d_model=256``; the MLP head
    defaults to one layer of 128 (ASTROMER: 1024-512-256, set
    ``module__head_hidden=(1024, 512, 256)``). At full width the network
    trains about 70x slower than the 2-D CNN on CPU; for CPU work a smaller
    ``module__d_model=64`` is the size the benchmark suite uses.

    Parameters
    ----------
    module : torch module class or None, default=None
        ``None``: :class:`~sklearn_lc.nn.TransformerNet`.
    module__d_model : int, default=256
        Embedding width (a multiple of ``module__n_heads``).
    module__n_heads : int, default=4
        Attention heads.
    module__n_blocks : int, default=2
        Self-attention blocks.
    head : {"mlp", "lstm"}, default="mlp"
        Classifier head: ``"mlp"`` (dense layers on the masked mean of the
        embeddings, ASTROMER's "MLP+ATT") or ``"lstm"`` (an LSTM over the
        embeddings, "LSTM+ATT"). ``module__head`` is an alias; when both are
        given, ``module__head`` wins.
    module__head_hidden : tuple of int, default=(128,)
        Dense widths of the MLP head (first entry: LSTM width of the LSTM head).
    module__time_encoding : {"time", "periodic"}, default="time"
        ``"periodic"`` encodes phases instead of times, for curves folded by
        :class:`~sklearn_lc.PhaseFold` (then ``WindowPad(strategy="subsample")``,
        points spread over the cycle).
    module__mag_scale : float, default=1.0
        Factor on the magnitudes before their projection; 10 for folded
        curves (see :class:`~sklearn_lc.nn.AstromerEncoder`).
    module__dim_feedforward, module__dropout, module__attention_dropout, module__base, \
module__n_harmonics, module__head_layers, module__head_dropout, module__augment_noise, \
module__augment_drop, module__augment_phase_shift
        See :class:`~sklearn_lc.nn.TransformerNet`.
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
    module_ : TransformerNet
        The trained network (``module_.encoder``, ``module_.head.out``,
        ``module_.embed(x)``).
    history_ : skorch History
        Per-epoch losses and scores.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_lc import TransformerClassifier, WindowPad, make_light_curves
    >>> X, y = make_light_curves(6, random_state=0)
    >>> clf = make_pipeline(WindowPad(window=50), TransformerClassifier(
    ...     max_epochs=2, module__d_model=16, random_state=0))
    >>> clf.fit(X, y).predict(X[:2]).shape
    (2,)
    """

    _default_module = TransformerNet
    _default_module_params = {"d_model": 256, "head_hidden": (128,)}
    _input_kind = "sequence"
    _parameter_constraints: dict = {**BaseLCNet._parameter_constraints,
                                    "head": [StrOptions({"mlp", "lstm"})]}

    def __init__(self, module: Any = None, *, head: str = "mlp", **kwargs: Any):
        super().__init__(module, **kwargs)
        self.head = head

    def _module_kwargs(self) -> dict:
        if self.head not in ("mlp", "lstm"):
            raise ValueError(f"head must be 'mlp' or 'lstm', got {self.head!r}")
        kwargs = {"head": self.head}
        kwargs.update(super()._module_kwargs())
        return kwargs

    @classmethod
    def _get_test_params(cls) -> dict:
        return {"module__d_model": 16, "module__n_heads": 2, "module__head_hidden": (16,),
                "max_epochs": 2, "batch_size": 16, "device": "cpu", "random_state": 0}
