"""TransferClassifier: fine-tune a pretrained network on another survey's labels."""

from __future__ import annotations

import copy
import os
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from skorch.callbacks import Callback
from torch import nn

from ..nn._base import BaseLCNet
from ..nn._feature_mlp import FeatureMLP
from ..nn._modules import AstromerEncoder
from ._encoder_io import transformer_from_encoder

__all__ = ["TransferClassifier", "load_source_encoder", "load_source_module", "save_weights"]

_FREEZE = ("none", "encoder", "all-but-head")


def _input_kind_of(source: Any) -> str:
    """Return what the network of ``source`` takes: "sequence", "image" or "features"."""
    from ._pretrainer import MaskedPretrainer, read_config

    if isinstance(source, (str, os.PathLike)):
        try:
            kind = read_config(source).get("kind")
        except ValueError:
            return "sequence"
        return "features" if kind == "feature-mlp" else "sequence"
    if isinstance(source, MaskedPretrainer):
        return "sequence"
    if isinstance(source, TransferClassifier):
        return source._input_kind
    return getattr(type(source), "_input_kind", "sequence")


def load_source_encoder(source: Any) -> AstromerEncoder:
    """Return a private copy of the transformer encoder held by ``source``.

    Parameters
    ----------
    source : str, path-like or estimator
        ``"crts"``, a ``transformer-encoder`` weights file, a fitted
        :class:`~sklearn_lc.MaskedPretrainer`, or a fitted network estimator
        whose module has an :class:`~sklearn_lc.nn.AstromerEncoder` ``encoder``
        (``TransformerClassifier``, or ``TransferClassifier`` from one).

    Returns
    -------
    encoder : AstromerEncoder
        A deep copy on CPU, in eval mode.
    """
    from ._pretrainer import MaskedPretrainer, encoder_from_weights, read_weights

    if isinstance(source, (str, os.PathLike)):
        config, tensors = read_weights(source)
        if config.get("kind") != "transformer-encoder":
            raise ValueError(f"{source}: holds {config.get('kind')} weights, not a "
                             "transformer encoder")
        with torch.random.fork_rng(devices=[]):  # loading must not consume the caller's RNG
            enc = encoder_from_weights(config, tensors)
    elif isinstance(source, MaskedPretrainer):
        if not hasattr(source, "encoder_"):
            raise ValueError("the MaskedPretrainer given as weights is not fitted")
        enc = copy.deepcopy(source.encoder_)
    elif isinstance(source, BaseEstimator) and hasattr(source, "module_"):
        enc = getattr(source.module_, "encoder", None)
        if not isinstance(enc, AstromerEncoder):
            raise ValueError(f"the network of {type(source).__name__} has no transformer "
                             "encoder")
        enc = copy.deepcopy(enc)
    elif isinstance(source, BaseEstimator):
        raise ValueError(f"{type(source).__name__} given as weights is not fitted or holds "
                         "no transformer encoder")
    else:
        raise TypeError("weights must be a shipped weights name, a weights file or a fitted "
                        f"estimator, got {type(source).__name__}")
    return enc.cpu().eval()


def load_source_module(source: Any, head_hidden: Any = (128,)) -> tuple[nn.Module, dict]:
    """Return a private copy of the whole network held by ``source`` and a description.

    Encoder-only sources (a :class:`~sklearn_lc.MaskedPretrainer` or its
    weights file, e.g. ``"crts"``) get a new MLP head of ``head_hidden``.

    Parameters
    ----------
    source : str, path-like or estimator
        Shipped weights name (``"crts"``, ``"crts-features"``), a weights file
        (``.safetensors`` + ``.json``), a fitted
        :class:`~sklearn_lc.MaskedPretrainer`, or a fitted network estimator
        (``CNNClassifier``, ``CNNLSTMClassifier``, ``TransformerClassifier``,
        ``FeatureMLPClassifier``, ``TransferClassifier``).
    head_hidden : sequence of int, default=(128,)
        Hidden layers of the new head of encoder-only sources.

    Returns
    -------
    module : torch.nn.Module
        A deep copy (the source is never modified), on CPU, with ``head.out``.
    info : dict
        ``input`` (what the network takes), ``new_head`` (True for
        encoder-only sources), ``classes`` of the source when known.
    """
    from ._pretrainer import MaskedPretrainer, read_weights

    info: dict = {"input": _input_kind_of(source), "new_head": False}
    if isinstance(source, (str, os.PathLike)):
        config, tensors = read_weights(source)
        if config.get("kind") == "feature-mlp":
            module = FeatureMLP(**config["module_params"])
            module.load_state_dict({k[7:]: v for k, v in tensors.items()
                                    if k.startswith("module.")})
            if config.get("classes") is not None:
                info["classes"] = list(config["classes"])
        else:
            module = transformer_from_encoder(load_source_encoder(source), 2, head_hidden)
            info["new_head"] = True
    elif isinstance(source, MaskedPretrainer):
        module = transformer_from_encoder(load_source_encoder(source), 2, head_hidden)
        info["new_head"] = True
    elif isinstance(source, BaseEstimator) and hasattr(source, "module_"):
        if not getattr(source, "initialized_", False):
            raise ValueError(f"the {type(source).__name__} given as source is not fitted")
        module = copy.deepcopy(source.module_).cpu()
        if hasattr(source, "classes_"):
            info["classes"] = np.asarray(source.classes_).tolist()
    elif isinstance(source, BaseEstimator):
        raise ValueError(f"the {type(source).__name__} given as source is not fitted or is "
                         "not a network estimator of sklearn_lc")
    else:
        raise TypeError("source must be a shipped weights name, a weights file or a fitted "
                        f"network estimator, got {type(source).__name__}")
    if not isinstance(getattr(getattr(module, "head", None), "out", None), nn.Linear):
        raise ValueError(f"{type(module).__name__} has no head.out linear layer to replace")
    return module, info


def save_weights(estimator: Any, path: str | os.PathLike, metadata: dict | None = None) -> Any:
    """Save a fitted FeatureMLPClassifier's network as a transferable weights file.

    (Transformer encoders are saved with :meth:`MaskedPretrainer.save`.)

    Parameters
    ----------
    estimator : FeatureMLPClassifier
        Fitted.
    path : str or path-like
        Destination stem (``.safetensors`` and ``.json`` are written).
    metadata : dict, optional
        Extra JSON-serialisable information.

    Returns
    -------
    path : Path
        The ``.safetensors`` file.
    """
    import json

    from safetensors.torch import save_file

    from .._version import __version__
    from ._pretrainer import WEIGHTS_FORMAT, _stem

    module = estimator.module_
    if not isinstance(module, FeatureMLP):
        raise TypeError("save_weights handles FeatureMLP networks; use MaskedPretrainer.save "
                        "for transformer encoders")
    stem = _stem(path)
    save_file({f"module.{k}": v.detach().cpu().contiguous()
               for k, v in module.state_dict().items()}, str(stem) + ".safetensors")
    config = {
        "format": WEIGHTS_FORMAT,
        "kind": "feature-mlp",
        "sklearn_lc_version": __version__,
        "module_params": {"n_features": int(module.feature_mean.shape[0]),
                          "n_classes": int(module.head.out.out_features),
                          "hidden": [int(m.out_features) for m in module.encoder
                                     if isinstance(m, nn.Linear)],
                          "dropout": float(next((m.p for m in module.encoder
                                                 if isinstance(m, nn.Dropout)), 0.0))},
        "classes": [str(c) for c in estimator.classes_],
        "metadata": dict(metadata or {}),
    }
    with open(str(stem) + ".json", "w") as f:
        json.dump(config, f, indent=1)
    return stem.with_suffix(".safetensors")


class _Unfreeze(Callback):
    """Make every parameter trainable after ``net.unfreeze_after`` epochs."""

    def on_epoch_end(self, net, **kwargs):  # noqa: D102
        k = net.unfreeze_after
        if k is not None and len(net.history) == k:
            for p in net.module_.parameters():
                p.requires_grad_(True)
            net.frozen_ = []


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
    restoring the best epoch; see :class:`~sklearn_lc.nn.BaseLCNet`). Parts of
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
        - ``"crts-features"``: the :class:`~sklearn_lc.FeatureMLPClassifier`
          shipped with the package, trained on CRTS labels (input: the 16
          features of ``FeatureExtractor(phase_origin="upsilon")``, as it was
          trained), with its CRTS feature scaling;
        - a weights file (``.safetensors`` with its ``.json``) written by
          :meth:`MaskedPretrainer.save <sklearn_lc.MaskedPretrainer.save>` or
          :func:`~sklearn_lc.classifiers._transfer.save_weights`;
        - a fitted :class:`~sklearn_lc.MaskedPretrainer`,
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
        self._check_transfer_params()
        self.source_input_kind_ = _input_kind_of(self.source)
        return super().fit(X, y, **fit_params)

    # -------------------------------------------------------------- components
    def _check_transfer_params(self) -> None:
        if self.freeze not in _FREEZE:
            raise ValueError(f"freeze must be one of {_FREEZE}, got {self.freeze!r}")
        k = self.unfreeze_after
        if k is not None and (not isinstance(k, (int, np.integer)) or k < 1):
            raise ValueError(f"unfreeze_after must be None or an int >= 1, got {k!r}")
        f = self.backbone_lr_factor
        if isinstance(f, bool) or not isinstance(f, (int, float)) or f < 0:
            raise ValueError(f"backbone_lr_factor must be a number >= 0, got {f!r}")

    def _frozen_names(self, module: nn.Module, new_head: bool) -> list[str]:
        names = [n for n, _ in module.named_parameters()]
        if self.freeze == "encoder" or (self.freeze == "all-but-head" and new_head):
            return [n for n in names if not n.startswith("head.")]
        if self.freeze == "all-but-head":
            return [n for n in names if not n.startswith("head.out.")]
        return []

    def initialize_module(self) -> TransferClassifier:
        """Copy the source network, replace its output layer, freeze what is asked."""
        self._check_transfer_params()
        module, info = load_source_module(self.source, self.head_hidden)
        classes = self._fitted_classes()
        if classes is None:
            raise ValueError("TransferClassifier needs the target classes: call fit")
        old = module.head.out
        module.head.out = nn.Linear(old.in_features, len(classes))
        frozen = self._frozen_names(module, info["new_head"])
        for name, p in module.named_parameters():
            p.requires_grad_(name not in frozen)
        self.module_ = module.to(self.device)
        self.source_info_ = info
        self.frozen_ = frozen
        return self

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
        super()._set_training(training)
        frozen = set(getattr(self, "frozen_", []) or [])
        if training and frozen:
            # frozen batch-norm layers keep their running statistics
            for mname, m in self.module_.named_modules():
                if not isinstance(m, nn.modules.batchnorm._BatchNorm):
                    continue
                own = [f"{mname}.{n}" for n, _ in m.named_parameters(recurse=False)]
                if own and all(n in frozen for n in own):
                    m.eval()

    @property
    def _default_callbacks(self) -> list:
        return list(super()._default_callbacks) + [("unfreeze", _Unfreeze())]

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
