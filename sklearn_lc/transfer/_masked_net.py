"""The skorch network that :class:`~sklearn_lc.MaskedPretrainer` trains.

Masked pretraining goes through skorch like every other network of the
package (optimizer, data loaders, gradient clipping, best-epoch restore,
history, printing): only what differs is written here. Each batch of windows
is masked (:func:`~sklearn_lc.transfer._masking.make_masked_batch`) inside
``infer``, the loss is the masked RMSE, and the pooled RMSE of an epoch
(``sqrt(sum(loss^2 * n) / sum(n))`` over the windows with a chosen
observation) is recorded as ``train_rmse`` / ``valid_rmse``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import EpochTimer, PrintLog
from torch import nn

from ..classifiers._base import RestoreBest
from ._masking import make_masked_batch, masked_rmse

__all__ = ["CropDataset", "MaskedModel", "MaskedNet", "WindowDataset", "pooled_rmse"]


class MaskedModel(nn.Module):
    """The encoder and the reconstruction head as one module (what skorch trains)."""

    def __init__(self, encoder: nn.Module, reconstruction: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.reconstruction = reconstruction

    def forward(self, x: torch.Tensor, attend: torch.Tensor) -> torch.Tensor:
        """Reconstructed magnitudes ``(n, L)`` of masked windows ``x``."""
        return self.reconstruction(self.encoder(x, attend))


class WindowDataset(torch.utils.data.Dataset):
    """Fixed windows ``(n, L, 4)`` (validation); items are ``(window, 0.0)``."""

    def __init__(self, W: np.ndarray):
        self.W = torch.as_tensor(W)

    def __len__(self) -> int:
        return int(self.W.shape[0])

    def __getitem__(self, i: int) -> tuple:
        return self.W[i], 0.0


class CropDataset(WindowDataset):
    """A new random crop of every light curve at each epoch (``recrop``, called by the net)."""

    def __init__(self, lcs: list, crop):
        self.lcs = lcs
        self.crop = crop
        self.W = None

    def __len__(self) -> int:
        return len(self.lcs)

    def recrop(self) -> None:
        """Draw this epoch's windows."""
        self.W = torch.as_tensor(self.crop(self.lcs))


class KeepBest(RestoreBest):
    """:class:`~sklearn_lc.classifiers.RestoreBest` whose first candidate may be the start.

    With ``warm_start``, the weights training starts from compete with the new
    epochs (skorch's callbacks only know the epochs of the current call):
    ``net.start_best_`` = ``(valid_rmse, state_dict)`` seeds the best.
    """

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        super().on_train_begin(net, **kwargs)
        start = getattr(net, "start_best_", None)
        if start is not None and math.isfinite(start[0]):
            self.dynamic_threshold_ = self._calc_new_threshold(start[0])
            self.best_model_weights_ = start[1]
            self.best_epoch_ = 0


class MaskedNet(NeuralNet):
    """skorch net of masked pretraining: masks each batch, loss = masked RMSE.

    Besides skorch's parameters: ``mask_fraction``, ``random_fraction`` and
    ``same_fraction`` (see
    :func:`~sklearn_lc.transfer._masking.make_masked_batch`), ``mask_seed``
    (seed of the training masks) and ``valid_seed`` (seed of the validation
    masks, drawn anew in the same way every epoch, so that epochs compare).
    """

    def __init__(self, *args: Any, mask_fraction: float = 0.5, random_fraction: float = 0.2,
                 same_fraction: float = 0.2, mask_seed: int = 0, valid_seed: int = 1,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.mask_fraction = mask_fraction
        self.random_fraction = random_fraction
        self.same_fraction = same_fraction
        self.mask_seed = mask_seed
        self.valid_seed = valid_seed

    @property
    def _default_callbacks(self) -> list:
        # the pooled train_rmse / valid_rmse replace skorch's mean batch losses in the log
        return [("epoch_timer", EpochTimer()),
                ("print_log", PrintLog(keys_ignored=["train_loss", "valid_loss"]))]

    def initialize(self) -> MaskedNet:  # noqa: D102
        super().initialize()
        self.train_gen_ = torch.Generator(device=self.device).manual_seed(self.mask_seed)
        return self

    def on_epoch_begin(self, net: Any, dataset_train: Any = None, dataset_valid: Any = None,
                       **kwargs: Any) -> None:  # noqa: D102
        super().on_epoch_begin(net, dataset_train=dataset_train, dataset_valid=dataset_valid,
                               **kwargs)
        self.valid_gen_ = torch.Generator(device=self.device).manual_seed(self.valid_seed)
        if isinstance(dataset_train, CropDataset):
            dataset_train.recrop()

    def infer(self, x: Any, **fit_params: Any) -> torch.Tensor:
        """Mask the batch (training or validation masks) and reconstruct its magnitudes."""
        x = torch.as_tensor(x, device=self.device)
        gen = self.train_gen_ if self.module_.training else self.valid_gen_
        b = make_masked_batch(x, self.mask_fraction, self.random_fraction, self.same_fraction,
                              generator=gen)
        self.batch_ = b
        return self.module_(b.x, b.attend)

    def get_loss(self, y_pred: torch.Tensor, y_true: Any, X: Any = None,
                 training: bool = False) -> torch.Tensor:
        """Masked RMSE of the batch masked by the last ``infer``; record its weight."""
        b = self.batch_
        loss = masked_rmse(y_pred, b.target, b.chosen)
        n_ok = int((b.chosen.sum(dim=1) > 0).sum())
        part = "train" if training else "valid"
        self.history.record_batch(f"{part}_sq", float(loss.detach()) ** 2 * n_ok)
        self.history.record_batch(f"{part}_n", n_ok)
        return loss

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        """Record the pooled ``train_rmse`` / ``valid_rmse``; stop if training diverged."""
        batches = self.history[-1]["batches"]
        for part in ("train", "valid"):
            n = sum(b.get(f"{part}_n", 0) for b in batches)
            if any(f"{part}_n" in b for b in batches):
                sq = sum(b.get(f"{part}_sq", 0.0) for b in batches)
                self.history.record(f"{part}_rmse", math.sqrt(sq / n) if n else float("nan"))
        rmse = self.history[-1].get("train_rmse", 0.0)
        if not math.isfinite(rmse):
            raise ValueError(f"MaskedPretrainer: the training RMSE is {rmse} in epoch "
                             f"{len(self.history)}: training diverged. Lower the learning rate "
                             f"(lr={self.lr:g}; try lr={self.lr / 10:g})")
        super().on_epoch_end(net, **kwargs)


def pooled_rmse(model: MaskedModel, W: np.ndarray, seed: int, batch_size: int, fractions: tuple,
                device: Any = "cpu") -> float:
    """Masked RMSE of ``model`` on fixed windows, masks seeded as the net's validation."""
    model.eval()
    gen = torch.Generator(device=device).manual_seed(seed)
    tot, cnt = 0.0, 0
    with torch.no_grad():
        for a in range(0, W.shape[0], batch_size):
            x = torch.as_tensor(W[a:a + batch_size], device=device)
            b = make_masked_batch(x, *fractions, generator=gen)
            loss = masked_rmse(model(b.x, b.attend), b.target, b.chosen)
            n_ok = int((b.chosen.sum(dim=1) > 0).sum())
            tot += float(loss) ** 2 * n_ok
            cnt += n_ok
    return math.sqrt(tot / cnt) if cnt else float("nan")
