"""MaskedPretrainer: self-supervised pretraining of the transformer encoder (ASTROMER)."""

from __future__ import annotations

import copy
import os
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import GradientNormClipping
from skorch.helper import predefined_split

from ..classifiers._base import _seeded
from ..transformers import WindowPad
from ..utils._validation import check_light_curves
from ._encoder import (
    build_encoder,
    check_encoder_range,
    check_folded,
    embed_light_curves,
    encoder_config,
    fixed_strategy,
)
from ._masked_net import (
    CropDataset,
    KeepBest,
    MaskedModel,
    MaskedNet,
    WindowDataset,
    pooled_rmse,
)
from ._masking import ReconstructionHead

__all__ = ["MaskedPretrainer"]


def _windows(lcs: list, window: int, rng: np.random.RandomState | None,
             periodic: bool = False) -> np.ndarray:
    """Windows of ``window`` points of each curve, random (seeded by ``rng``) or fixed.

    Unfolded curves: ``window`` consecutive points, a random crop or the first
    ones. Folded curves (``periodic``): points spread over the whole cycle, a
    random subset (kept in phase order) or evenly spaced ones.
    """
    if rng is None:
        return WindowPad(window=window, strategy=fixed_strategy(periodic)).fit_transform(lcs)
    if periodic:
        picked = []
        for lc in lcs:
            n = lc[0].shape[0]
            if n > window:
                idx = np.sort(rng.choice(n, window, replace=False))
                lc = tuple(a[idx] for a in lc)
            picked.append(lc)
        return WindowPad(window=window, strategy="first").fit_transform(picked)
    seed = int(rng.randint(2**31 - 1))
    return WindowPad(window=window, strategy="random", random_state=seed).fit_transform(lcs)


class MaskedPretrainer(TransformerMixin, BaseEstimator):
    """Self-supervised pretraining of the transformer encoder on unlabelled light curves.

    ASTROMER's objective (Donoso-Oliva et al. 2023): in every window of
    ``window`` consecutive observations (a new random crop of each longer
    curve every epoch), ``mask_fraction`` of the real observations are chosen;
    of those, ``random_fraction`` get a random magnitude from the same window,
    ``same_fraction`` are left unchanged, and the rest are hidden (zeroed and
    excluded from the attention keys). A linear head reconstructs the
    magnitudes from the encoder's outputs; the loss is the RMSE over the chosen
    observations. A held-out fraction of the curves (fixed windows and masks)
    gives the validation RMSE each epoch, and the weights of the best epoch are
    kept. Training goes through skorch like the other networks of the package
    (Adam, gradient norm clipped at 5, skorch's best-epoch restore).

    The encoder is the one of :class:`~sklearn_lc.TransformerClassifier`, so
    its weights move between the two without conversion (see
    :class:`~sklearn_lc.TransferClassifier` and
    :class:`~sklearn_lc.EncoderEmbedding`). ``transform`` returns the
    masked-mean embedding of each star.

    Parameters
    ----------
    d_model : int, default=64
        Width of the encoder.
    n_heads : int, default=4
        Attention heads.
    n_blocks : int, default=2
        Encoder blocks.
    dropout : float, default=0.1
        Dropout inside the attention blocks.
    window : int, default=200
        Observations per window.
    time_encoding : {"time", "periodic"}, default="time"
        ``"time"``: ASTROMER's encoding of observation times in days, for
        unfolded curves; the windows are ``window`` consecutive observations
        (a random crop every epoch). ``"periodic"``: the encoding of phases
        (:class:`~sklearn_lc.nn.PhasePositionalEncoding`), for curves folded
        at their period by :class:`~sklearn_lc.PhaseFold` (times are phases
        in [0, 1]; other times are refused); the windows are ``window``
        observations spread over the whole cycle (a random subset every epoch,
        evenly spaced ones for validation and ``transform``).
    n_harmonics : int, default=8
        Harmonics of the ``"periodic"`` encoding.
    mag_scale : float, default=1.0
        Factor on the (mean-subtracted) magnitudes before the encoder's input
        projection, part of the encoder (it travels with the weights). A
        tenth of a magnitude is small beside the unit-sized positional
        encoding, and Adam grows the projection slowly: a periodic
        transformer trained from scratch on folded CRTS curves reached
        macro-F1 0.66 after 5 epochs with 10, 0.17 with 1 (7 classes, one
        fold; 0.51 with each window scaled to unit deviation, which loses the
        amplitude).
    max_epochs : int, default=20
        Training epochs.
    lr : float, default=1e-3
        Adam learning rate.
    batch_size : int, default=64
        Windows per step.
    mask_fraction : float, default=0.5
        Fraction of the real observations in the loss.
    random_fraction : float, default=0.2
        Fraction of the chosen observations given a random magnitude (visible).
    same_fraction : float, default=0.2
        Fraction of the chosen observations left unchanged (visible).
    valid_fraction : float, default=0.1
        Fraction of the stars held out for the validation RMSE (0: none; the
        last epoch's weights are then kept).
    warm_start : bool, default=False
        When fitted already (by ``fit`` or :meth:`load`, e.g. the shipped
        ``"crts"`` weights), go on training the same encoder and
        reconstruction head for ``max_epochs`` more epochs instead of starting
        afresh, e.g. to adapt the shipped encoder to another survey's curves.
        The history continues; the kept weights are the best of the starting
        ones and the new epochs on the validation split; the optimizer starts
        anew. ``d_model``, ``n_heads`` and ``n_blocks`` must match the fitted
        encoder.
    device : str, default="cpu"
        Torch device.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, the split, crops and masks.
    verbose : int, default=0
        Print one line per epoch when > 0.

    Attributes
    ----------
    encoder_ : AstromerEncoder
        The pretrained encoder, the same class as
        ``TransformerClassifier().module_.encoder`` (load its ``state_dict``
        there directly).
    reconstruction_ : ReconstructionHead
        The magnitude reconstruction head.
    history_ : list of dict
        Per epoch: ``epoch``, ``train_rmse``, ``valid_rmse`` (NaN without a
        validation split) and ``dur`` (seconds).
    best_epoch_ : int
        Epoch whose weights were kept (1-based).
    d_model_ : int
        Embedding width.

    Examples
    --------
    >>> from sklearn_lc import MaskedPretrainer, make_light_curves
    >>> X, _ = make_light_curves(4, n_points=(30, 60), random_state=0)
    >>> pre = MaskedPretrainer(d_model=16, n_heads=2, n_blocks=1, window=40,
    ...                        max_epochs=2, random_state=0).fit(X)
    >>> len(pre.history_), pre.transform(X).shape
    (2, (24, 16))
    """

    _parameter_constraints: dict = {
        "d_model": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "n_blocks": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "window": [Interval(Integral, 2, None, closed="left")],
        "time_encoding": [StrOptions({"time", "periodic"})],
        "n_harmonics": [Interval(Integral, 1, None, closed="left")],
        "mag_scale": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "mask_fraction": [Interval(Real, 0, 1, closed="right")],
        "random_fraction": [Interval(Real, 0, 1, closed="both")],
        "same_fraction": [Interval(Real, 0, 1, closed="both")],
        "valid_fraction": [Interval(Real, 0, 1, closed="left")],
        "warm_start": ["boolean"],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        d_model: int = 64,
        n_heads: int = 4,
        n_blocks: int = 2,
        dropout: float = 0.1,
        window: int = 200,
        time_encoding: str = "time",
        n_harmonics: int = 8,
        mag_scale: float = 1.0,
        max_epochs: int = 20,
        lr: float = 1e-3,
        batch_size: int = 64,
        mask_fraction: float = 0.5,
        random_fraction: float = 0.2,
        same_fraction: float = 0.2,
        valid_fraction: float = 0.1,
        warm_start: bool = False,
        device: str = "cpu",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ):
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_blocks = n_blocks
        self.dropout = dropout
        self.window = window
        self.time_encoding = time_encoding
        self.n_harmonics = n_harmonics
        self.mag_scale = mag_scale
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.mask_fraction = mask_fraction
        self.random_fraction = random_fraction
        self.same_fraction = same_fraction
        self.valid_fraction = valid_fraction
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting
    def _periodic(self) -> bool:
        return self.time_encoding == "periodic"

    def _check_input(self, X: Any) -> list:
        """Validate light curves, check their ranges (and that folded ones are folded)."""
        lcs = check_light_curves(X, min_points=2)
        check_encoder_range(lcs)
        if self._periodic():
            check_folded(lcs)
        return lcs

    def _fractions(self) -> tuple:
        return (self.mask_fraction, self.random_fraction, self.same_fraction)

    def fit(self, X: Any, y: Any = None) -> MaskedPretrainer:
        """Pretrain the encoder on light curves (labels are ignored).

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`.
        y : ignored
            Not used.

        Returns
        -------
        self : MaskedPretrainer
            The fitted pretrainer.
        """
        self._validate_params()
        if self.random_fraction + self.same_fraction > 1:
            raise ValueError("random_fraction + same_fraction must be <= 1")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not a multiple of n_heads={self.n_heads}")
        lcs = self._check_input(X)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(2**31 - 1))
        # torch's global RNG is seeded inside a fork (as for every network of the package):
        # the caller's state is left as it was
        with _seeded(seed):
            self._fit_seeded(lcs, rng, seed)
        return self

    def _fit_seeded(self, lcs: list, rng: np.random.RandomState, seed: int) -> None:
        """Train through skorch (:class:`~sklearn_lc.transfer._masked_net.MaskedNet`)."""
        n = len(lcs)
        perm = rng.permutation(n)
        n_valid = int(round(self.valid_fraction * n)) if n >= 4 else 0
        valid_idx, train_idx = np.sort(perm[:n_valid]), np.sort(perm[n_valid:])
        train = [lcs[i] for i in train_idx]
        periodic = self._periodic()
        W_valid = (_windows([lcs[i] for i in valid_idx], self.window, None, periodic)
                   if n_valid else None)
        warm = self.warm_start and hasattr(self, "encoder_")
        if warm:
            encoder, head, start = self._warm_modules()
            # new crops and masks, not a replay of the first run's epochs
            crop_rng = np.random.RandomState((seed + start) % (2**31 - 1))
            mask_seed = seed + start
        else:
            encoder = build_encoder(self.d_model, self.n_heads, self.n_blocks,
                                    dropout=self.dropout, time_encoding=self.time_encoding,
                                    n_harmonics=self.n_harmonics, mag_scale=self.mag_scale)
            head = ReconstructionHead(self.d_model)
            start, crop_rng, mask_seed = 0, rng, seed
        model = MaskedModel(encoder, head).to(self.device)
        callbacks: list = [("clip", GradientNormClipping(gradient_clip_value=5.0))]
        if W_valid is not None:
            callbacks.append(("keep_best", KeepBest("valid_rmse", threshold=0.0)))
        net = MaskedNet(
            model, criterion=torch.nn.MSELoss, optimizer=torch.optim.Adam, lr=self.lr,
            max_epochs=self.max_epochs, batch_size=self.batch_size,
            iterator_train__shuffle=True, callbacks=callbacks, device=self.device,
            train_split=None if W_valid is None else predefined_split(WindowDataset(W_valid)),
            verbose=self.verbose, mask_fraction=self.mask_fraction,
            random_fraction=self.random_fraction, same_fraction=self.same_fraction,
            mask_seed=mask_seed, valid_seed=seed + 1)
        if warm and W_valid is not None:  # the starting weights compete with the new epochs
            net.start_best_ = (pooled_rmse(model, W_valid, seed + 1, self.batch_size,
                                           self._fractions(), self.device),
                               copy.deepcopy(model.state_dict()))
        net.fit(CropDataset(train, lambda part: _windows(part, self.window, crop_rng, periodic)),
                None)
        history = list(getattr(self, "history_", [])) if warm else []
        for row in net.history:
            history.append({"epoch": start + int(row["epoch"]),
                            "train_rmse": float(row["train_rmse"]),
                            "valid_rmse": float(row.get("valid_rmse", float("nan"))),
                            "dur": float(row["dur"])})
        self.history_ = history
        best = dict(net.callbacks_).get("keep_best")
        if best is None:
            self.best_epoch_ = start + self.max_epochs
        elif best.best_epoch_ == 0:
            self.best_epoch_ = start if warm else start + self.max_epochs
        else:
            self.best_epoch_ = start + int(best.best_epoch_)
        model.eval()
        self.encoder_ = model.encoder
        self.reconstruction_ = model.reconstruction
        self.d_model_ = self.d_model

    def _warm_modules(self) -> tuple:
        """Return the fitted encoder and head to go on training, and the last epoch."""
        cfg = encoder_config(self.encoder_)
        cfg.setdefault("time_encoding", "time")
        cfg.setdefault("n_harmonics", self.n_harmonics)
        cfg.setdefault("mag_scale", 1.0)
        for name in ("d_model", "n_heads", "n_blocks", "time_encoding", "n_harmonics",
                     "mag_scale"):
            if cfg[name] != getattr(self, name):
                raise ValueError(
                    f"warm_start=True: {name}={getattr(self, name)} does not match the fitted "
                    f"encoder ({name}={cfg[name]}); set it to {cfg[name]} or warm_start=False")
        history = list(getattr(self, "history_", []))
        start = int(history[-1]["epoch"]) if history else 0
        return self.encoder_, self.reconstruction_, start

    # ---------------------------------------------------------------- transform
    def transform(self, X: Any) -> np.ndarray:
        """Return the masked-mean encoder embedding of each star.

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`
            (folded curves with ``time_encoding="periodic"``); each star is cut
            to its first ``window`` observations (``window`` evenly spaced ones
            of a folded curve).

        Returns
        -------
        E : ndarray of shape (n_stars, d_model), float32
        """
        check_is_fitted(self, "encoder_")
        return embed_light_curves(self.encoder_, X, self.window, self.batch_size, self.device)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Return ``emb_0 ... emb_{d_model-1}``."""
        check_is_fitted(self, "encoder_")
        return np.asarray([f"emb_{i}" for i in range(self.d_model_)], dtype=object)

    def score(self, X: Any, y: Any = None) -> float:
        """Return minus the masked RMSE on the first windows of ``X`` (seeded masks)."""
        check_is_fitted(self, "encoder_")
        lcs = self._check_input(X)
        W = _windows(lcs, self.window, None, self._periodic())
        model = MaskedModel(self.encoder_, self.reconstruction_)
        return -pooled_rmse(model, W, 12345, self.batch_size, self._fractions(), self.device)

    # --------------------------------------------------------------- save/load
    # saved by sklearn_lc.model_io: module prefix -> attribute, and fitted attributes
    _saved_modules = {"encoder": "encoder_", "reconstruction": "reconstruction_"}
    _saved_attrs = ("history_", "best_epoch_", "d_model_")

    def _module_specs(self) -> dict:
        return {"encoder": {"class": "AstromerEncoder", "kwargs": encoder_config(self.encoder_)},
                "reconstruction": {"class": "ReconstructionHead",
                                   "kwargs": self.reconstruction_.config()}}

    @classmethod
    def _from_saved(cls, params: dict, attrs: dict, modules: dict, specs: dict
                    ) -> MaskedPretrainer:
        est = cls(**params)
        est.set_params(warm_start=False)
        for key, value in attrs.items():
            setattr(est, key, value)
        est.history_ = list(getattr(est, "history_", []))
        est.encoder_ = modules["encoder"].to(est.device).eval()
        est.reconstruction_ = modules["reconstruction"].to(est.device).eval()
        est.d_model_ = int(est.encoder_.d_model)
        est.best_epoch_ = int(getattr(est, "best_epoch_", len(est.history_)))
        return est

    def save(self, path: str | os.PathLike, metadata: dict | None = None) -> Path:
        """Save the encoder, the reconstruction head and the configuration (no pickle).

        The same as :func:`sklearn_lc.model_io.save_model` (kind
        ``"encoder"``), replacing an existing model directory at ``path``.

        Parameters
        ----------
        path : str or path-like
            Destination directory (a trailing ``.safetensors`` or ``.json``, the
            file names of sklearn_lc 0.1, is dropped).
        metadata : dict, optional
            Extra JSON-serialisable information.

        Returns
        -------
        path : Path
            The model directory.
        """
        from ._weights import save_weights

        check_is_fitted(self, "encoder_")
        return save_weights(self, path, metadata=metadata)

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu") -> MaskedPretrainer:
        """Load a pretrainer saved by :meth:`save` (or shipped weights by name).

        Parameters
        ----------
        path : str or path-like
            A model directory, a shipped name (``"crts"``), or the weight
            files of sklearn_lc 0.1 (``name.safetensors`` / ``name.json``).
        device : str, default="cpu"
            Torch device.

        Returns
        -------
        pretrainer : MaskedPretrainer
            A fitted pretrainer, with ``warm_start=False`` (set it to go on
            training the loaded encoder).
        """
        from ._weights import load_weights

        est = load_weights(path, kind="encoder")
        if not isinstance(est, cls):
            raise ValueError(f"{path}: holds a {type(est).__name__}, not a {cls.__name__}")
        est.set_params(device=device)
        est.encoder_.to(device)
        est.reconstruction_.to(device)
        return est

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.allow_nan = True
        tags.non_deterministic = self.device != "cpu"
        return tags

    @classmethod
    def _get_test_params(cls) -> dict:
        return {"d_model": 8, "n_heads": 2, "n_blocks": 1, "window": 30, "max_epochs": 2,
                "batch_size": 16, "random_state": 0}
