"""BaseLCNet: the one skorch base class of the deep light-curve classifiers.

Everything the deep estimators (and the transfer classifier) share lives
here: label encoding, float32 casting at the boundary, seeding, device choice,
class weights, the stratified validation split, the default callbacks
(skorch's early stopping with in-memory restore of the best epoch,
learning-rate schedules, progress display) and the hooks that
:mod:`sklearn_lc.model_io` uses to save and rebuild a fitted network (weights
in safetensors, configuration in JSON).
"""

from __future__ import annotations

import inspect
import math
import os
import warnings
from contextlib import contextmanager
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.multiclass import check_classification_targets
from skorch import NeuralNetClassifier
from skorch.callbacks import (
    EarlyStopping,
    EpochScoring,
    EpochTimer,
    LRScheduler,
    PassthroughScoring,
    PrintLog,
    ProgressBar,
)
from skorch.dataset import ValidSplit
from skorch.utils import is_dataset, to_numpy

__all__ = ["BaseLCNet", "RestoreBest", "encoded_accuracy", "module_spec"]

# validation scores that early stopping, best-epoch restoring and the plateau schedule can
# follow, with whether lower is better
MONITORS = {"valid_loss": True, "valid_acc": False}


def _is_monitor(value: Any) -> bool:
    return isinstance(value, str) and value in MONITORS


def _resolve_device(device: Any) -> Any:
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _as_int(value: Any, default: int) -> int:
    return int(value) if isinstance(value, (int, np.integer)) else default


def _truthy(value: Any) -> bool:
    try:
        return bool(value)
    except (TypeError, ValueError):
        return False


def _is_auto(value: Any) -> bool:
    return isinstance(value, str) and value == "auto"


def _int_seed(random_state: Any) -> int | None:
    if random_state is None:
        return None
    if isinstance(random_state, (int, np.integer)):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextmanager
def _seeded(seed: int | None):
    """Seed torch inside the block and restore the previous RNG state after it."""
    if seed is None:
        yield
        return
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def encoded_accuracy(net: Any, X: Any, y: Any) -> float:
    """Accuracy of ``argmax(predict_proba)`` against *encoded* labels ``y``.

    skorch's stock ``valid_acc`` compares ``predict`` (original labels here)
    with the encoded validation labels; this scorer compares class indices.
    """
    proba = net.predict_proba(X)
    return float(np.mean(np.argmax(proba, axis=1) == to_numpy(y).astype(np.int64)))


class RestoreBest(EarlyStopping):
    """Keep the weights of the best epoch in memory and load them at the end; never stop.

    skorch's :class:`~skorch.callbacks.EarlyStopping` with ``load_best=True``
    restores the best epoch, but only together with stopping, and
    :class:`~skorch.callbacks.Checkpoint` restores from files. This is
    ``EarlyStopping(load_best=True)`` with an infinite patience: what
    ``restore_best=True, early_stopping=False`` needs.

    Parameters
    ----------
    monitor : str, default="valid_loss"
        History key to optimise.
    lower_is_better : bool, default=True
        Minimise (a loss) or maximise (a score) the monitored key.
    threshold : float, default=1e-4
        Relative improvement that makes an epoch the new best (skorch's
        ``EarlyStopping`` rule; 0: any strict improvement).
    """

    def __init__(self, monitor: str = "valid_loss", lower_is_better: bool = True,
                 threshold: float = 1e-4):
        super().__init__(monitor=monitor, lower_is_better=lower_is_better,
                         patience=np.inf, load_best=True, threshold=threshold)
        self.monitor = monitor
        self.lower_is_better = lower_is_better
        self.threshold = threshold


def module_spec(module_cls: type, kwargs: dict) -> dict | None:
    """Return ``{"class", "kwargs"}`` (every constructor argument) that rebuilds a module.

    ``None`` for a class that is not exported by :mod:`sklearn_lc.nn` (it
    could not be rebuilt safely from a file).
    """
    from .. import nn

    if getattr(nn, getattr(module_cls, "__name__", ""), None) is not module_cls:
        return None
    sig = inspect.signature(module_cls)
    bound = sig.bind(**kwargs)
    bound.apply_defaults()
    out = {}
    for name, value in bound.arguments.items():
        if sig.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        else:
            out[name] = value
    return {"class": module_cls.__name__, "kwargs": out}


class BaseLCNet(NeuralNetClassifier):
    """skorch classifier base of the deep light-curve models (not used directly).

    Subclasses set ``_default_module`` (the torch module class),
    ``_input_kind`` (``"image"`` for ``(n, C, H, W)``, ``"features"`` for
    ``(n, n_features)`` or ``"sequence"`` for
    WindowPad windows ``(n, L, 4)``) and optionally
    ``_default_module_params`` (module defaults of the estimator, overridden
    by ``module__*`` parameters).

    What a network cannot use is refused with a ``ValueError``: parameters
    of the wrong type or range (checked in ``fit``, as scikit-learn does),
    missing (None / NaN) or continuous labels, negative or non-finite class
    weights, non-finite inputs, and at ``predict`` images or features of
    another shape than in ``fit`` (images, feature rows and windows alike:
    windows of another length come from another WindowPad). A training loss that becomes
    infinite or NaN stops ``fit`` with the epoch and a lower ``lr`` to try.

    Parameters
    ----------
    module : torch module class, instance or None, default=None
        The network. ``None``: the estimator's default architecture.
    criterion : torch loss class, default=torch.nn.CrossEntropyLoss
        Loss on logits.
    optimizer : torch optimizer class, default=torch.optim.AdamW
        Optimizer (tune its parameters with ``optimizer__*``).
    lr : float, default=1e-3
        Learning rate.
    max_epochs : int, default=30
        Maximum number of epochs.
    batch_size : int, default=64
        Mini-batch size.
    validation_fraction : float or None, default=0.1
        Fraction of the training data held out (stratified, seeded by
        ``random_state``) for early stopping, best-epoch restoring and
        ``valid_*`` scores. ``None``: no validation split. With too few
        samples for a stratified split (fewer than two per class), training
        goes on without one and a warning is issued.
    early_stopping : bool, default=True
        Stop when the ``monitor`` score has not improved for ``patience``
        epochs (needs a validation split).
    patience : int, default=5
        Epochs without improvement before stopping.
    restore_best : bool, default=True
        Reload, at the end of training, the weights of the epoch with the
        best ``monitor`` score (kept in memory by skorch's
        ``EarlyStopping(load_best=True)``; nothing is written to disk).
    monitor : {"valid_loss", "valid_acc"}, default="valid_loss"
        Validation score that early stopping, ``restore_best`` and the
        ``"plateau"`` schedule follow: the (class-weighted) loss, lowest
        best, or the accuracy, highest best. ``"valid_acc"`` suits a network
        whose loss rises from overconfidence while its accuracy still
        improves.
    lr_schedule : {None, "plateau", "cosine"}, default=None
        ``"plateau"``: halve the learning rate when the monitored score
        stalls for ``max(1, patience // 2)`` epochs (the training loss
        without a validation split); ``"cosine"``: cosine annealing over
        ``max_epochs``.
    class_weight : None, "balanced" or dict, default=None
        Weights of the classes in the cross-entropy loss; ``"balanced"``:
        ``n_samples / (n_classes * count)``; a dict maps labels to finite
        weights >= 0 (missing labels get 1; a label that is not a class is
        refused).
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, dropout (torch's RNG, forked
        so that the global state is left as it was) and the validation split.
        Two fits on CPU with the same int give identical models.
    device : {"cpu", "cuda", "auto"} or torch device string, default="cpu"
        Where to train; ``"auto"``: CUDA when available, else CPU.
    verbose : int, default=0
        0: silent; 1 or more: a progress bar and the epoch table.
    train_split : "auto", None or callable, default="auto"
        ``"auto"``: the stratified split of ``validation_fraction``; anything
        else is used as skorch's ``train_split``.
    **kwargs
        Further skorch parameters: ``module__*`` (architecture),
        ``optimizer__*``, ``iterator_train__*``, ``classes`` (the labels, in
        any order; ``classes_`` is sorted), ``callbacks`` (extra
        ``(name, callback)`` pairs, added to the defaults), ...

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit`` (or the ``classes`` parameter).
    input_shape_ : tuple of int
        Shape of one input sample seen in ``fit``.
    class_weight_ : ndarray of shape (n_classes,) or None
        Loss weights of the classes.
    seed_ : int or None
        The torch seed used in ``fit``.
    module_ : torch.nn.Module
        The trained network.
    history_ : skorch History
        Per-epoch losses and scores.
    """

    _default_module: Any = None
    _default_module_params: dict = {}
    _input_kind = "image"

    _parameter_constraints: dict = {
        "module": [None, callable, torch.nn.Module],
        "criterion": [callable],
        "optimizer": [callable],
        "lr": [Interval(Real, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), Options(Integral, {-1})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "early_stopping": ["boolean"],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "restore_best": ["boolean"],
        "monitor": [StrOptions(set(MONITORS))],
        "lr_schedule": [StrOptions({"plateau", "cosine"}), None],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "random_state": ["random_state"],
        "device": [str, torch.device, None],
        "verbose": ["verbose"],
        "train_split": [StrOptions({"auto"}), None, callable],
        "warm_start": ["boolean"],
        "classes": ["array-like", None],
    }

    def __init__(
        self,
        module: Any = None,
        *,
        criterion: Any = torch.nn.CrossEntropyLoss,
        optimizer: Any = torch.optim.AdamW,
        lr: float = 1e-3,
        max_epochs: int = 30,
        batch_size: int = 64,
        validation_fraction: float | None = 0.1,
        early_stopping: bool = True,
        patience: int = 5,
        restore_best: bool = True,
        monitor: str = "valid_loss",
        lr_schedule: str | None = None,
        class_weight: Any = None,
        random_state: Any = None,
        device: str = "cpu",
        verbose: int = 0,
        train_split: Any = "auto",
        **kwargs: Any,
    ):
        kwargs.setdefault("iterator_train__shuffle", True)
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            verbose=verbose,
            device=device,
            **kwargs,
        )
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.restore_best = restore_best
        self.monitor = monitor
        self.lr_schedule = lr_schedule
        self.class_weight = class_weight
        self.random_state = random_state

    # ------------------------------------------------------------------ device
    @property
    def device(self) -> Any:
        """The torch device in use (``"auto"`` resolved); ``get_params`` shows the raw value."""
        return _resolve_device(self.__dict__.get("device", "cpu"))

    @device.setter
    def device(self, value: Any) -> None:
        self.__dict__["device"] = value

    def get_params(self, deep: bool = True, **kwargs: Any) -> dict:
        """Get parameters (skorch's, with ``device`` as given, not as resolved)."""
        params = super().get_params(deep=deep, **kwargs)
        if "device" in params:
            params["device"] = self.__dict__.get("device", "cpu")
        return params

    def __setstate__(self, state: dict) -> None:
        raw = state.get("device", "cpu")
        state["device"] = _resolve_device(raw)
        if state["device"] == "cuda" and not torch.cuda.is_available():
            state["device"] = "cpu"
        super().__setstate__(state)
        if _is_auto(raw):
            self.__dict__["device"] = "auto"

    # ------------------------------------------------------------- components
    @property
    def _default_callbacks(self) -> list:
        # read by get_params() too, so it must not raise on odd parameter values
        valid = self._uses_validation()
        schedule = self.lr_schedule if isinstance(self.lr_schedule, str) else None
        cbs: list = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
        ]
        monitor = self.monitor if _is_monitor(self.monitor) else "valid_loss"
        lower = MONITORS[monitor]
        if valid:
            cbs.append(("valid_acc", EpochScoring(encoded_accuracy, name="valid_acc",
                                                  lower_is_better=False)))
            if _truthy(self.early_stopping):
                # skorch's early stopping also restores the best epoch (in memory)
                cbs.append(("early_stopping", EarlyStopping(
                    monitor=monitor, lower_is_better=lower,
                    patience=_as_int(self.patience, 5),
                    load_best=_truthy(self.restore_best))))
            elif _truthy(self.restore_best):
                cbs.append(("restore_best", RestoreBest(monitor, lower_is_better=lower)))
        if schedule == "plateau":
            cbs.append(("lr_scheduler", LRScheduler(
                policy="ReduceLROnPlateau", monitor=monitor if valid else "train_loss",
                mode="min" if (lower or not valid) else "max",
                patience=max(1, _as_int(self.patience, 2) // 2), factor=0.5)))
        elif schedule == "cosine":
            cbs.append(("lr_scheduler", LRScheduler(
                policy="CosineAnnealingLR", T_max=max(1, _as_int(self.max_epochs, 1)))))
        if _truthy(self.verbose):
            cbs.append(("progress_bar", ProgressBar()))
        cbs.append(("print_log", PrintLog()))
        return cbs

    def _uses_validation(self) -> bool:
        if not _is_auto(self.train_split):
            return self.train_split is not None and _truthy(self.train_split)
        if self.validation_fraction is None:
            return False
        return bool(getattr(self, "valid_possible_", True))

    def _train_split(self) -> Any:
        if not _is_auto(self.train_split):
            return self.train_split
        if self.validation_fraction is None or not getattr(self, "valid_possible_", True):
            return None
        return ValidSplit(cv=float(self.valid_fraction_), stratified=True,
                          random_state=getattr(self, "seed_", None))

    def get_split_datasets(self, X: Any, y: Any = None, **fit_params: Any) -> tuple:
        """Split into training and validation datasets (stratified, seeded).

        On a new ``fit``, the rows of the training part are then given to
        :meth:`_learn_from_training_rows` (not those held out for validation).
        """
        dataset = self.get_dataset(X, y)
        split = self._train_split()
        if not split:
            train, valid = dataset, None
        elif y is None:
            train, valid = split(dataset, **fit_params)
        else:
            train, valid = split(dataset, y, **fit_params)
        learns = type(self)._learn_from_training_rows is not BaseLCNet._learn_from_training_rows
        if self.__dict__.pop("_rows_pending_", False) and learns and not is_dataset(X):
            rows = np.asarray(X)
            idx = getattr(train, "indices", None)
            self._learn_from_training_rows(rows if idx is None else rows[np.asarray(idx)])
        return train, valid

    def _learn_from_training_rows(self, X_train: np.ndarray) -> None:
        """Learn statistics of the input on the stars that train the network (a hook).

        Called once per new ``fit`` (not on a warm start), after the module is
        built, with the training rows only: statistics learned on the
        validation stars too would leak them into early stopping. Nothing by
        default; FeatureMLPClassifier learns its feature scaling here and
        HybridClassifier its feature quantiles.
        """

    def initialize(self) -> BaseLCNet:
        """Initialize module, criterion, optimizer and callbacks (seeded)."""
        seed = getattr(self, "seed_", None)
        if seed is None:
            seed = self.random_state if isinstance(self.random_state, (int, np.integer)) else None
        with _seeded(seed):
            return super().initialize()

    def _module_kwargs(self) -> dict:
        kwargs = dict(self._default_module_params)
        kwargs.update(self.get_params_for("module"))
        kwargs.update(self._inferred_module_params())
        return kwargs

    def _inferred_module_params(self) -> dict:
        """Return the module arguments read from the data (``n_classes``, channels)."""
        out = {}
        classes = self._fitted_classes()
        if classes is not None:
            out["n_classes"] = len(classes)
        shape = getattr(self, "input_shape_", None)
        if shape is not None and self._input_kind == "image":
            out["in_channels"] = int(shape[0])
        return out

    def _fitted_classes(self) -> np.ndarray | None:
        if self.classes is not None and len(self.classes):
            return np.unique(np.asarray(self.classes))
        return getattr(self, "classes_inferred_", None)

    @property
    def classes_(self) -> np.ndarray:
        """Class labels, sorted (also when the ``classes`` parameter is not)."""
        classes = self._fitted_classes()
        if classes is None:
            raise AttributeError(f"{type(self).__name__} has no classes_ before fit")
        return classes

    def initialize_module(self) -> BaseLCNet:
        """Build the module with ``module__*`` params plus those read from the data.

        A network being loaded by :mod:`sklearn_lc.model_io` arrives already
        built (and checked against its file) and is used as it is.
        """
        loaded = self.__dict__.pop("_loaded_module_", None)
        if loaded is not None:
            self.module_ = loaded
            return self
        self.module_, self.module_spec_ = self._build_module()
        return self

    def _build_module(self) -> tuple[torch.nn.Module, dict | None]:
        """Return the new network and its :func:`module_spec` (None: cannot be saved)."""
        module = self.module if self.module is not None else self._default_module
        if isinstance(module, torch.nn.Module):
            return module, None
        kwargs = self._module_kwargs()
        return module(**kwargs), module_spec(module, kwargs)

    def initialize_criterion(self) -> BaseLCNet:
        """Build the loss, with the class weights of ``class_weight``."""
        kwargs = self.get_params_for("criterion")
        w = getattr(self, "class_weight_", None)
        if w is not None and "weight" not in kwargs:
            kwargs["weight"] = torch.as_tensor(w, dtype=torch.float32)
        self.criterion_ = self.initialized_instance(self.criterion, kwargs)
        return self

    # -------------------------------------------------------------------- data
    def _check_X(self, X: Any, reset: bool = False) -> Any:
        """Validate X once per call and cast it to float32 (skorch Datasets pass through).

        Images, features and windows must have the shape seen in ``fit``.
        """
        if is_dataset(X):
            return X
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        name = type(self).__name__
        kind = self._input_kind
        try:
            X = np.asarray(X, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            what = "feature array" if kind == "features" else "array"
            raise TypeError(f"{name} takes a numeric {what}, got "
                            f"{type(X).__name__}: {exc}") from exc
        ndim = {"image": 4, "sequence": 3, "features": 2}[kind]
        if X.ndim != ndim:
            if kind == "features":
                raise ValueError(f"{name} expects features (n, n_features), e.g. from "
                                 f"FeatureExtractor; got an array of shape {X.shape}")
            what = "images (n, C, H, W)" if ndim == 4 else "windows (n, L, C) from WindowPad"
            raise ValueError(f"{name} expects {what}; got an array of shape {X.shape}")
        if kind == "sequence":
            if X.shape[2] != 4:
                raise ValueError(f"{name} expects WindowPad windows with 4 "
                                 f"channels (time, mag, err, mask); got {X.shape[2]}")
            real = X[..., 3] > 0.5
            bad = ~np.all(np.isfinite(X) | ~real[..., None], axis=(1, 2))
            X = np.where(real[..., None], X, np.float32(0.0))
        elif kind == "features":
            # NaN is a missing feature (the network imputes the source mean); inf is refused
            bad = np.isinf(X).any(axis=1)
            if bad.any():
                raise ValueError(f"{name}: sample {int(np.flatnonzero(bad)[0])} has "
                                 "infinite values")
        else:
            bad = ~np.all(np.isfinite(X), axis=tuple(range(1, X.ndim)))
        if bad.any():
            raise ValueError(f"{name}: sample {int(np.flatnonzero(bad)[0])} "
                             "has non-finite values")
        if reset:
            self.input_shape_ = tuple(int(s) for s in X.shape[1:])
            return X
        shape = getattr(self, "input_shape_", None)
        if shape is None:
            return X
        got = tuple(int(s) for s in X.shape[1:])
        if kind == "features" and got != tuple(shape):
            raise ValueError(f"{name} was fitted on {shape[0]} features, got {got[0]}")
        if kind == "sequence" and got != tuple(shape):
            if got[1] != shape[1]:
                raise ValueError(f"{name} was fitted on {shape[1]} channels, got {got[1]}")
            raise ValueError(f"{name} was fitted on windows of {shape[0]} observations, got "
                             f"{got[0]}: use the WindowPad(window={shape[0]}) of the fit")
        if kind == "image" and got != tuple(shape):
            if got[0] != shape[0]:
                raise ValueError(f"{name} was fitted on {shape[0]} channels, got {got[0]}")
            raise ValueError(f"{name} was fitted on images of {shape[1]}x{shape[2]} pixels, got "
                             f"{got[1]}x{got[2]}: make them as in fit (same transformer "
                             "parameters)")
        return X

    def _encode_y(self, y: Any) -> np.ndarray:
        classes = self.classes_  # sorted
        y = np.asarray(y)
        idx = np.searchsorted(classes, y)
        idx = np.clip(idx, 0, len(classes) - 1)
        unknown = classes[idx] != y
        if np.any(unknown):
            raise ValueError(f"y contains labels not seen in fit: "
                             f"{np.unique(y[unknown])[:5].tolist()}")
        return idx.astype(np.int64)

    def get_dataset(self, X: Any, y: Any = None) -> Any:
        """Dataset of float32 X and encoded labels (Datasets pass through).

        ``X`` was validated by the public method that got it (``fit``,
        ``predict_proba``...); it is only cast here, not checked again.
        """
        if is_dataset(X):
            return super().get_dataset(X, y)
        if isinstance(X, np.ndarray) and X.dtype != np.float32:
            X = X.astype(np.float32)
        if y is not None:
            y = self._encode_y(y)
        return super().get_dataset(X, y)

    def check_data(self, X: Any, y: Any) -> None:
        """Check that ``y`` has no labels outside ``classes_`` (set in ``fit``)."""
        if y is None:
            return super().check_data(X, y)
        if self._fitted_classes() is None:
            self.classes_inferred_ = np.unique(np.asarray(y))
        self._encode_y(y)

    # --------------------------------------------------------------- fit etc.
    def fit(self, X: Any, y: Any, **fit_params: Any) -> BaseLCNet:
        """Train the network on ``X`` (images or windows) and labels ``y``.

        Parameters
        ----------
        X : ndarray
            float32 images ``(n, C, H, W)`` or WindowPad windows ``(n, L, 4)``.
        y : array-like of shape (n,)
            Labels (strings or integers).
        **fit_params : dict
            Passed to skorch's ``fit``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._check_params()
        warm = self.warm_start and self.initialized_
        X = self._check_X(X, reset=not warm)
        y = self._check_y(y, X)
        if not warm:
            self.__dict__.pop("classes_inferred_", None)
            if self.classes is None or not len(self.classes):
                self.classes_inferred_ = np.unique(y)
            self.seed_ = _int_seed(self.random_state)
            self._set_validation(y)
            self.class_weight_ = self._compute_class_weight(y)
            self._rows_pending_ = True  # see get_split_datasets
        with _seeded(self.seed_):
            if not warm:
                self.initialize()
            # skorch's fit is initialize() + partial_fit(); its partial_fit is called
            # directly so that X is not validated a second time by ours
            NeuralNetClassifier.partial_fit(self, X, y, **fit_params)
        return self

    def _check_y(self, y: Any, X: Any) -> np.ndarray:
        """Refuse missing, continuous or misshapen labels (as scikit-learn classifiers do)."""
        name = type(self).__name__
        if y is None:
            raise ValueError(f"{name}.fit needs labels y")
        y = np.asarray(y)
        n = len(X)
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"{name}: y must be 1-D with {n} labels, got shape {y.shape}")
        if y.dtype.kind == "f":
            missing = np.isnan(y)
        elif y.dtype.kind == "O":
            missing = np.fromiter((v is None or (isinstance(v, float) and math.isnan(v))
                                   for v in y), dtype=bool, count=n)
        else:
            missing = np.zeros(n, dtype=bool)
        if missing.any():
            raise ValueError(f"{name}: y has a missing label (None or NaN) at index "
                             f"{int(np.flatnonzero(missing)[0])}; every star needs a label")
        check_classification_targets(y)
        return y

    def partial_fit(self, X: Any, y: Any = None, classes: Any = None,
                    **fit_params: Any) -> BaseLCNet:
        """Train for more epochs without re-initializing (initializes on first use).

        Parameters
        ----------
        X : ndarray
            Inputs as in ``fit``.
        y : array-like of shape (n,)
            Labels, a subset of ``classes_`` once fitted.
        classes : array-like or None
            Unused (skorch/sklearn signature); use the ``classes`` parameter.
        **fit_params : dict
            Passed to skorch's ``partial_fit``.

        Returns
        -------
        self : object
        """
        if not self.initialized_:
            return self.fit(X, y, **fit_params)
        X = self._check_X(X)
        y = self._check_y(y, X)
        with _seeded(getattr(self, "seed_", None)):
            return super().partial_fit(X, y, classes, **fit_params)

    def _check_params(self) -> None:
        """Validate the parameters (``_parameter_constraints``), as scikit-learn does in fit."""
        params = self.get_params(deep=False)
        validate_parameter_constraints(self._parameter_constraints, params,
                                       caller_name=type(self).__name__)

    def _set_validation(self, y: np.ndarray) -> None:
        frac = self.validation_fraction
        self.valid_possible_ = True
        self.valid_fraction_ = frac
        if frac is None or not _is_auto(self.train_split):
            return
        if not 0.0 < float(frac) < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1) or None, got {frac!r}")
        _, counts = np.unique(y, return_counts=True)
        n, k = y.shape[0], counts.size
        need = max(float(frac), k / n)
        if counts.min() < 2 or n - int(np.ceil(need * n)) < k:
            warnings.warn(f"{type(self).__name__}: too few samples per class for a stratified "
                          "validation split; training without early stopping",
                          UserWarning, stacklevel=3)
            self.valid_possible_ = False
            return
        self.valid_fraction_ = need

    def _balanced_weights(self, y: np.ndarray) -> np.ndarray:
        """scikit-learn's "balanced" weights of ``classes_``: n / (n_classes * count), float64."""
        counts = np.array([(y == c).sum() for c in self.classes_], dtype=np.float64)
        return y.shape[0] / (len(self.classes_) * np.maximum(counts, 1.0))

    def _compute_class_weight(self, y: np.ndarray) -> np.ndarray | None:
        cw = self.class_weight
        if cw is None:
            return None
        classes = self.classes_
        if isinstance(cw, str):
            if cw != "balanced":
                raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {cw!r}")
            w = self._balanced_weights(y)
        elif isinstance(cw, dict):
            name = type(self).__name__
            keys = {str(c) for c in classes} | set(classes.tolist())
            unknown = [k for k in cw if k not in keys]
            if unknown:
                raise ValueError(f"{name}: class_weight names label(s) {unknown[:5]} that are "
                                 f"not among the classes {classes.tolist()}")
            w = []
            for c in classes:
                v = cw.get(c, cw.get(str(c), 1.0))
                if (isinstance(v, bool) or not isinstance(v, (int, float, np.number))
                        or not np.isfinite(v) or v < 0):
                    raise ValueError(f"{name}: class_weight[{c!r}] must be a finite number "
                                     f">= 0, got {v!r}")
                w.append(float(v))
            w = np.asarray(w)
            if not (w > 0).any():
                raise ValueError(f"{name}: class_weight gives every class a weight of 0")
        else:
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {cw!r}")
        return w.astype(np.float32)

    def on_batch_end(self, net: Any, batch: Any = None, training: bool = False,
                     **kwargs: Any) -> None:
        """Stop with a ValueError as soon as a training loss is not finite."""
        super().on_batch_end(net, batch=batch, training=training, **kwargs)
        loss = kwargs.get("loss")
        if training and loss is not None and not bool(torch.isfinite(loss).all()):
            lr = self.lr
            raise ValueError(
                f"{type(self).__name__}: the training loss is {float(loss.detach())} in epoch "
                f"{len(self.history)}: training diverged. Lower the learning rate (lr={lr:g}; "
                f"try lr={lr / 10:g}) or check class_weight and the inputs' scale")

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, rows summing to 1, columns in the order of ``classes_``.

        Parameters
        ----------
        X : ndarray or skorch Dataset
            Inputs as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n, n_classes), float32
        """
        self.check_is_fitted()
        return super().predict_proba(self._check_X(X))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (the original labels of ``fit``).

        Parameters
        ----------
        X : ndarray or skorch Dataset
            Inputs as in ``fit``.

        Returns
        -------
        y : ndarray of shape (n,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def transform(self, X: Any) -> np.ndarray:
        """Backbone embeddings ``module_.embed(x)`` (for stacking or inspection).

        Parameters
        ----------
        X : ndarray
            Inputs as in ``fit``.

        Returns
        -------
        Z : ndarray of shape (n, embedding_dim), float32
        """
        self.check_is_fitted()
        X = self._check_X(X)
        self.module_.eval()
        out = []
        with torch.no_grad():
            for a in range(0, len(X), int(self.batch_size)):
                xb = torch.as_tensor(X[a:a + int(self.batch_size)], device=self.device)
                out.append(self.module_.embed(xb).cpu().numpy())
        return np.concatenate(out).astype(np.float32)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.non_deterministic = _resolve_device(self.__dict__.get("device", "cpu")) != "cpu"
        return tags

    # -------------------------------------------------------------- save/load
    #: what sklearn_lc.model_io stores: module prefix -> attribute, fitted attributes
    _saved_modules = {"module": "module_"}
    _saved_attrs: tuple = ("classes_inferred_", "input_shape_", "class_weight_")

    def _module_specs(self) -> dict:
        return {"module": getattr(self, "module_spec_", None)}

    @classmethod
    def _from_saved(cls, params: dict, attrs: dict, modules: dict, specs: dict) -> BaseLCNet:
        """Rebuild a fitted estimator around a loaded, checked module (see model_io)."""
        est = cls(**params)
        for key, value in attrs.items():
            setattr(est, key, value)
        if isinstance(getattr(est, "input_shape_", None), list):
            est.input_shape_ = tuple(est.input_shape_)
        est.module_spec_ = specs["module"]
        est.seed_ = None
        est.valid_possible_ = True
        est.valid_fraction_ = est.validation_fraction
        est.__dict__["_loaded_module_"] = modules["module"]  # taken by initialize_module
        est.initialize()
        return est

    def save(self, path: str | os.PathLike) -> Path:
        """Save the fitted network to a model directory (no pickle).

        The same as :func:`sklearn_lc.model_io.save_model` (kind
        ``"network"``), replacing an existing model directory at ``path``.

        Parameters
        ----------
        path : path-like
            Directory (created if needed).

        Returns
        -------
        path : Path
        """
        from ..model_io import save_model

        return save_model(self, path, overwrite=True)

    @classmethod
    def load(cls, path: str | os.PathLike) -> BaseLCNet:
        """Load a network saved by :meth:`save` or :func:`~sklearn_lc.model_io.save_model`.

        Parameters
        ----------
        path : path-like
            The model directory (also the ``config.json`` +
            ``weights.safetensors`` directories of sklearn_lc 0.1).

        Returns
        -------
        est : estimator
            Fitted, ready to predict.
        """
        from ..model_io import load_model

        est = load_model(path, kind="network")
        if not isinstance(est, cls):
            raise ValueError(f"{path}: holds a {type(est).__name__}, not a {cls.__name__}")
        return est
