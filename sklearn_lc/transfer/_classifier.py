"""TransferClassifier: fine-tune a pretrained network on another survey's labels."""

from __future__ import annotations

import copy
import os
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.utils._param_validation import Interval, StrOptions
from skorch.callbacks import Unfreezer
from torch import nn

from ..classifiers._base import BaseLCNet, module_spec
from ..nn import AstromerEncoder, TransformerNet
from ._encoder import transformer_from_encoder

__all__ = ["TransferClassifier", "load_source_encoder", "load_source_module"]

_FREEZE = ("none", "encoder", "all-but-head")


def _input_kind_of(source: Any) -> str:
    """Return what the network of ``source`` takes: "sequence", "image" or "features"."""
    from ._embedding import EncoderEmbedding
    from ._pretrainer import MaskedPretrainer
    from ._weights import weights_info

    if isinstance(source, (str, os.PathLike)):
        try:
            return weights_info(source)["input"]
        except (ValueError, OSError):
            return "sequence"
    if isinstance(source, (MaskedPretrainer, EncoderEmbedding)):
        return "sequence"
    if isinstance(source, TransferClassifier):
        return source._input_kind
    kind = getattr(type(source), "_input_kind", "sequence")
    return kind if isinstance(kind, str) else "sequence"


def load_source_encoder(source: Any) -> AstromerEncoder:
    """Return a private copy of the transformer encoder held by ``source``.

    Parameters
    ----------
    source : str, path-like or estimator
        ``"crts"``, a model directory of weights (see
        :func:`~sklearn_lc.transfer.save_weights`), a fitted
        :class:`~sklearn_lc.MaskedPretrainer` or
        :class:`~sklearn_lc.EncoderEmbedding`, or a fitted network estimator
        whose module has an :class:`~sklearn_lc.nn.AstromerEncoder` ``encoder``
        (``TransformerClassifier``, or ``TransferClassifier`` from one).

    Returns
    -------
    encoder : AstromerEncoder
        A deep copy on CPU, in eval mode.
    """
    from ._embedding import EncoderEmbedding
    from ._pretrainer import MaskedPretrainer
    from ._weights import load_weights

    if isinstance(source, (str, os.PathLike)):
        source = load_weights(source)
    if isinstance(source, (MaskedPretrainer, EncoderEmbedding)):
        if not hasattr(source, "encoder_"):
            raise ValueError(f"the {type(source).__name__} given as weights is not fitted")
        enc = source.encoder_
    elif isinstance(source, BaseEstimator) and hasattr(source, "module_"):
        enc = getattr(source.module_, "encoder", None)
        if not isinstance(enc, AstromerEncoder):
            raise ValueError(f"the network of {type(source).__name__} has no transformer "
                             "encoder")
    elif isinstance(source, BaseEstimator):
        raise ValueError(f"{type(source).__name__} given as weights is not fitted or holds "
                         "no transformer encoder")
    else:
        raise TypeError("weights must be a shipped weights name, a weights directory or a "
                        f"fitted estimator, got {type(source).__name__}")
    return copy.deepcopy(enc).cpu().eval()


def _encoder_network(encoder: AstromerEncoder, head_hidden: Any) -> tuple[nn.Module, dict]:
    from ._encoder import encoder_config

    module = transformer_from_encoder(encoder, 2, head_hidden)
    kwargs = dict(n_classes=2, head="mlp", head_hidden=tuple(head_hidden), head_dropout=0.3,
                  **encoder_config(encoder))
    return module, module_spec(TransformerNet, kwargs)


def load_source_module(source: Any, head_hidden: Any = (128,)) -> tuple[nn.Module, dict]:
    """Return a private copy of the whole network held by ``source`` and a description.

    Encoder-only sources (a :class:`~sklearn_lc.MaskedPretrainer`, an
    :class:`~sklearn_lc.EncoderEmbedding` or their weights, e.g. ``"crts"``)
    get a new MLP head of ``head_hidden``.

    Parameters
    ----------
    source : str, path-like or estimator
        Shipped weights name (``"crts"``, ``"folded"``, ``"crts-features"``,
        ``"crts-hybrid"``), a weights directory
        (:func:`~sklearn_lc.transfer.save_weights`,
        :func:`~sklearn_lc.model_io.save_model`), a fitted
        :class:`~sklearn_lc.MaskedPretrainer`, or a fitted network estimator
        (``CNNClassifier``, ``CNNLSTMClassifier``, ``TransformerClassifier``,
        ``FeatureMLPClassifier``, ``HybridClassifier``, ``TransferClassifier``).
    head_hidden : sequence of int, default=(128,)
        Hidden layers of the new head of encoder-only sources.

    Returns
    -------
    module : torch.nn.Module
        A deep copy (the source is never modified), on CPU, with ``head.out``.
    info : dict
        ``input`` (what the network takes), ``new_head`` (True for
        encoder-only sources), ``classes`` of the source when known, and
        ``spec`` (the module class and arguments that rebuild it, or None).
    """
    from ._embedding import EncoderEmbedding
    from ._pretrainer import MaskedPretrainer
    from ._weights import load_weights

    info: dict = {"input": _input_kind_of(source), "new_head": False}
    if isinstance(source, (str, os.PathLike)):
        source = load_weights(source)
    if isinstance(source, (MaskedPretrainer, EncoderEmbedding)):
        module, spec = _encoder_network(load_source_encoder(source), head_hidden)
        info["new_head"] = True
    elif isinstance(source, BaseEstimator) and hasattr(source, "module_"):
        if not getattr(source, "initialized_", False):
            raise ValueError(f"the {type(source).__name__} given as source is not fitted")
        module = copy.deepcopy(source.module_).cpu()
        spec = copy.deepcopy(getattr(source, "module_spec_", None))
        if hasattr(source, "classes_"):
            info["classes"] = np.asarray(source.classes_).tolist()
    elif isinstance(source, BaseEstimator):
        raise ValueError(f"the {type(source).__name__} given as source is not fitted or is "
                         "not a network estimator of sklearn_lc")
    else:
        raise TypeError("source must be a shipped weights name, a weights directory or a "
                        f"fitted network estimator, got {type(source).__name__}")
    if not isinstance(getattr(getattr(module, "head", None), "out", None), nn.Linear):
        raise ValueError(f"{type(module).__name__} has no head.out linear layer to replace")
    for p in module.parameters():
        p.requires_grad_(True)
    info["spec"] = spec
    return module, info


def _rebuilds(spec: dict, module: nn.Module) -> bool:
    """Whether ``spec`` rebuilds a module with exactly the tensors of ``module`` (meta device)."""
    from .._model_files import module_classes

    cls = module_classes().get(spec["class"])
    if cls is None:
        return False
    try:
        with torch.device("meta"):
            meta = cls(**spec["kwargs"])
    except Exception:  # noqa: BLE001
        return False
    want = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    return want == {k: tuple(v.shape) for k, v in meta.state_dict().items()}


class _SourceInputKind:
    """``_input_kind`` of a TransferClassifier, read from its source.

    The class says "sequence"; an instance says what its source network takes
    (windows, images or features).
    """

    def __get__(self, obj: Any, objtype: Any = None) -> str:
        if obj is None:
            return "sequence"
        kind = obj.__dict__.get("source_input_kind_")
        return kind if kind is not None else _input_kind_of(obj.__dict__.get("source"))


class TransferClassifier(BaseLCNet):
    """Fine-tune a network trained elsewhere (another survey, or self-supervised).

    The network of ``source`` is copied, its output layer (``head.out``) is
    replaced by a new one for the target's classes, and the copy is trained
    on the target's labelled stars (with everything the deep estimators share:
    label encoding, seeding, class weights, validation split, early stopping,
    restoring the best epoch; see :class:`~sklearn_lc.classifiers.BaseLCNet`). Parts of
    it can be frozen, unfrozen after some epochs, and trained with a lower
    learning rate than the head.

    ``source`` is a parameter like any other: ``fit`` copies its weights and
    never modifies it, and :func:`sklearn.base.clone` keeps the *same* source
    object (it is not cloned, so a fitted source stays fitted in clones, in
    cross-validation and in grid searches). Do not refit the source while a
    TransferClassifier that points to it is in use.

    Parameters
    ----------
    source : str, path-like or estimator, default="crts"
        Where the pretrained network comes from:

        - ``"crts"``: the transformer encoder shipped with the package,
          pretrained with :class:`~sklearn_lc.MaskedPretrainer` on CRTS (input:
          :class:`~sklearn_lc.WindowPad` windows); it gets a new MLP head of
          ``head_hidden``;
        - ``"folded"``: the transformer encoder with the periodic phase
          encoding shipped with the package, pretrained with
          :class:`~sklearn_lc.MaskedPretrainer` on the folded light curves of
          every CRTS, ASAS and SDSS Stripe 82 star (input:
          :class:`~sklearn_lc.PhaseFold` curves, then
          ``WindowPad(window=64, strategy="subsample")``); a new MLP head;
        - ``"crts-features"``: the :class:`~sklearn_lc.FeatureMLPClassifier`
          shipped with the package, trained on CRTS labels (input: the 16
          features of ``FeatureExtractor()`` with its defaults, recorded in
          its ``model.json``), with its CRTS feature scaling;
        - ``"crts-hybrid"``: the :class:`~sklearn_lc.HybridClassifier`
          shipped with the package (feature branch and circular CNN on the
          folded curve), trained on the labels of every CRTS star (input:
          :class:`~sklearn_lc.FeatureFold` rows with the parameters recorded in
          its ``model.json``); both branches are copied, the output layer is
          new;
        - a model directory written by
          :meth:`MaskedPretrainer.save <sklearn_lc.MaskedPretrainer.save>`,
          :func:`~sklearn_lc.transfer.save_weights` or
          :func:`~sklearn_lc.model_io.save_model` (a network or an encoder;
          the weight files of sklearn_lc 0.1 are read too);
        - a fitted :class:`~sklearn_lc.MaskedPretrainer`,
          :class:`~sklearn_lc.EncoderEmbedding`,
          :class:`~sklearn_lc.TransformerClassifier`,
          :class:`~sklearn_lc.CNNClassifier`,
          :class:`~sklearn_lc.CNNLSTMClassifier`,
          :class:`~sklearn_lc.FeatureMLPClassifier` or TransferClassifier.

        ``fit``/``predict`` take what the source network takes (windows,
        images or a feature array).
    freeze : {"none", "encoder", "all-but-head"}, default="none"
        ``"encoder"`` freezes the backbone (every parameter outside
        ``head.*``); ``"all-but-head"`` freezes everything but the new output
        layer ``head.out`` (for encoder-only sources, whose head is new, it
        acts as ``"encoder"``). Frozen batch-norm layers keep their statistics.
    unfreeze_after : int or None, default=None
        Make every parameter trainable after this many epochs.
    backbone_lr_factor : float, default=0.1
        Learning rate of the parameters outside the head, relative to ``lr``
        (optimizer parameter groups).
    head_hidden : tuple of int, default=(128,)
        Hidden layers of the new head of encoder-only sources.
    **kwargs
        Training parameters of the deep estimators (``max_epochs``, ``lr``,
        ``batch_size``, ``class_weight``, ``random_state``, ``device``,
        ``validation_fraction``, ``early_stopping``, ``patience``...).

    Attributes
    ----------
    module_ : torch.nn.Module
        The fine-tuned copy of the source network.
    classes_ : ndarray
        Target classes.
    source_info_ : dict
        What the source was (input kind, its classes when known, whether
        the head is new).
    source_input_kind_ : str
        ``"sequence"``, ``"image"`` or ``"features"``.
    frozen_ : list of str
        Names of the parameters frozen at the end of training.
    input_shape_ : tuple of int
        Shape of one input sample seen in ``fit``.
    class_weight_ : ndarray or None
        Loss weights of the classes.
    seed_ : int or None
        Torch seed of ``fit``.
    history_ : skorch History
        Per-epoch losses and scores.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_lc import TransferClassifier, WindowPad, make_light_curves
    >>> X, y = make_light_curves(4, random_state=0)
    >>> clf = make_pipeline(WindowPad(window=50),
    ...                     TransferClassifier("crts", freeze="encoder", max_epochs=2,
    ...                                        random_state=0))
    >>> clf.fit(X, y).predict(X[:2]).shape
    (2,)
    """

    _input_kind = _SourceInputKind()
    _parameter_constraints: dict = {
        **BaseLCNet._parameter_constraints,
        "source": [str, os.PathLike, BaseEstimator],
        "freeze": [StrOptions(set(_FREEZE))],
        "unfreeze_after": [Interval(Integral, 1, None, closed="left"), None],
        "backbone_lr_factor": [Interval(Real, 0, None, closed="left")],
        "head_hidden": ["array-like"],
    }
    _object_params = ("source",)  # a fitted estimator as source is not saved (not needed)
    _saved_attrs = BaseLCNet._saved_attrs + ("source_info_", "source_input_kind_", "frozen_")

    def __init__(
        self,
        source: Any = "crts",
        *,
        freeze: str = "none",
        unfreeze_after: int | None = None,
        backbone_lr_factor: float = 0.1,
        head_hidden: tuple = (128,),
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.source = source
        self.freeze = freeze
        self.unfreeze_after = unfreeze_after
        self.backbone_lr_factor = backbone_lr_factor
        self.head_hidden = head_hidden

    # ------------------------------------------------------------------ cloning
    def __sklearn_clone__(self):
        """Clone every parameter except ``source``, which is shared (never modified)."""
        params = self.get_params(deep=False)
        source = params.pop("source")
        new = {k: clone(v, safe=False) for k, v in params.items()}
        return type(self)(source=source, **new)

    # -------------------------------------------------------------------- data
    def fit(self, X: Any, y: Any, **fit_params: Any) -> TransferClassifier:
        """Copy the source network and fine-tune it on ``X``, ``y``.

        Parameters
        ----------
        X : ndarray
            What the source network takes: WindowPad windows ``(n, L, 4)``,
            images ``(n, C, H, W)`` or features ``(n, n_features)``.
        y : array-like of shape (n,)
            Target labels.
        **fit_params : dict
            Passed to skorch's ``fit``.

        Returns
        -------
        self : TransferClassifier
            The fitted classifier.
        """
        self._check_params()
        self.source_input_kind_ = _input_kind_of(self.source)
        return super().fit(X, y, **fit_params)

    # -------------------------------------------------------------- components
    def _frozen_names(self, module: nn.Module, new_head: bool) -> list[str]:
        names = [n for n, _ in module.named_parameters()]
        if self.freeze == "encoder" or (self.freeze == "all-but-head" and new_head):
            return [n for n in names if not n.startswith("head.")]
        if self.freeze == "all-but-head":
            return [n for n in names if not n.startswith("head.out.")]
        return []

    def _build_module(self) -> tuple[nn.Module, dict | None]:
        """Copy the source network, replace its output layer, freeze what is asked.

        Freezing is done here (``requires_grad``) rather than with skorch's
        ``Freezer``: which parameters to freeze depends on the source network,
        known only now; ``unfreeze_after`` uses skorch's ``Unfreezer``.
        """
        self._check_params()
        module, info = load_source_module(self.source, self.head_hidden)
        classes = self._fitted_classes()
        if classes is None:
            raise ValueError("TransferClassifier needs the target classes: call fit")
        old = module.head.out
        module.head.out = nn.Linear(old.in_features, len(classes))
        spec = info.pop("spec", None)
        if spec is not None:
            spec = {"class": spec["class"],
                    "kwargs": dict(spec["kwargs"], n_classes=len(classes))}
            if not _rebuilds(spec, module):
                spec = None  # this network cannot be saved (its head is not `n_classes` wide)
        frozen = self._frozen_names(module, info["new_head"])
        for name, p in module.named_parameters():
            p.requires_grad_(name not in frozen)
        self.source_info_ = info
        self.frozen_ = frozen
        return module, spec

    def initialize_module(self) -> TransferClassifier:
        """Build (or take the loaded) network; a loaded one gets its frozen parameters back."""
        loaded = "_loaded_module_" in self.__dict__
        super().initialize_module()
        if loaded:
            frozen = set(getattr(self, "frozen_", None) or [])
            for name, p in self.module_.named_parameters():
                p.requires_grad_(name not in frozen)
        return self

    def on_train_end(self, net: Any, **kwargs: Any) -> None:
        """Record which parameters are still frozen (``frozen_``)."""
        super().on_train_end(net, **kwargs)
        self.frozen_ = [n for n, p in self.module_.named_parameters() if not p.requires_grad]

    def initialize_optimizer(self, *args: Any, **kwargs: Any) -> TransferClassifier:
        """Build the optimizer with two groups: the head at ``lr``, the rest lower.

        Frozen parameters are in the optimizer too (they get no gradient, so
        they do not move) so that ``unfreeze_after`` can release them.
        """
        named = list(self.module_.named_parameters())
        head = [p for n, p in named if n.startswith("head.")]
        body = [p for n, p in named if not n.startswith("head.")]
        kw = self.get_params_for("optimizer")
        kw.pop("param_groups", None)
        lr = kw.pop("lr", self.lr)
        groups = [{"params": head, "lr": lr}]
        if body:
            groups.append({"params": body, "lr": lr * self.backbone_lr_factor})
        self.optimizer_ = self.optimizer(groups, lr=lr, **kw)
        return self

    def _set_training(self, training: bool = True) -> None:
        """Switch train/eval mode; batch-norm layers whose parameters are frozen stay in eval.

        (Freezing only stops gradients: in training mode a frozen batch-norm
        layer would still update its running statistics.)
        """
        super()._set_training(training)
        if not training:
            return
        for m in self.module_.modules():
            if not isinstance(m, nn.modules.batchnorm._BatchNorm):
                continue
            own = list(m.parameters(recurse=False))
            if own and not any(p.requires_grad for p in own):
                m.eval()

    @property
    def _default_callbacks(self) -> list:
        cbs = list(super()._default_callbacks)
        k = self.unfreeze_after
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 1:
            cbs.append(("unfreezer", Unfreezer("*", at=int(k) + 1)))
        return cbs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        features = self._input_kind == "features"
        tags.input_tags.two_d_array = features
        tags.input_tags.three_d_array = not features
        return tags

    @classmethod
    def _get_test_params(cls) -> dict:
        return {"source": "crts", "freeze": "encoder", "head_hidden": (16,), "max_epochs": 2,
                "batch_size": 8, "random_state": 0}
