"""The feature MLP of Kim et al. (2021), pure torch.

A multilayer perceptron on the 16 UPSILoN variability features: 16 -> 64 ->
128 -> 256 -> n_classes, each hidden layer linear + batch norm + ReLU (+
dropout). The feature standardisation (mean and standard deviation learned on
the *source* survey) lives in the module as buffers, so it travels with the
weights when the network is transferred to another survey.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["FeatureMLP"]


class _BatchNorm1d(nn.BatchNorm1d):
    """Batch norm that uses its running statistics for a one-sample batch.

    A lone sample has no batch variance; torch raises on it in training mode.
    The last mini-batch of an epoch can hold one sample, so such a batch is
    normalised with the running statistics (and does not update them).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        if self.training and x.shape[0] == 1:
            return nn.functional.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias,
                training=False, eps=self.eps,
            )
        return super().forward(x)


class FeatureMLP(nn.Module):
    """MLP on tabular light-curve features with built-in standardisation.

    Parameters
    ----------
    n_features : int, default=16
        Input width.
    n_classes : int, default=2
        Output width (logits).
    hidden : sequence of int, default=(64, 128, 256)
        Widths of the hidden layers.
    dropout : float, default=0.1
        Dropout after each hidden layer.

    Attributes
    ----------
    feature_mean, feature_scale : buffers of shape (n_features,)
        Standardisation ``(x - mean) / scale`` applied first; set them with
        :meth:`set_scaling` (identity by default).
    encoder : nn.Sequential
        The hidden layers (the transferable backbone).
    head : nn.Sequential
        ``head.out`` is the final :class:`torch.nn.Linear`.
    """

    def __init__(
        self,
        n_features: int = 16,
        n_classes: int = 2,
        hidden: Sequence[int] = (64, 128, 256),
        dropout: float = 0.1,
    ):
        super().__init__()
        self.register_buffer("feature_mean", torch.zeros(n_features))
        self.register_buffer("feature_scale", torch.ones(n_features))
        layers: list[nn.Module] = []
        width = n_features
        for h in hidden:
            layers += [nn.Linear(width, h), _BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        self.encoder = nn.Sequential(*layers)
        self.head = nn.Sequential()
        self.head.add_module("out", nn.Linear(width, n_classes))

    @torch.no_grad()
    def set_scaling(self, mean, scale) -> None:
        """Store the feature mean and scale (zero scales are replaced by 1)."""
        mean = torch.as_tensor(mean, dtype=self.feature_mean.dtype)
        scale = torch.as_tensor(scale, dtype=self.feature_scale.dtype).clone()
        scale[~torch.isfinite(scale) | (scale <= 0)] = 1.0
        self.feature_mean.copy_(mean)
        self.feature_scale.copy_(scale)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Return the last hidden layer's activations, shape (n, hidden[-1])."""
        z = (x - self.feature_mean) / self.feature_scale
        return self.encoder(torch.nan_to_num(z))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return class logits of shape (n, n_classes)."""
        return self.head(self.embed(x))
