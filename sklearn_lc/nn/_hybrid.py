"""HybridNet: one network reading tabular features and a folded light curve, pure torch.

After ATAT (Cabrera-Vives et al. 2024): a tabular branch (the light-curve
features) and a sequence branch (the phase-folded curve, or an image) each
make an embedding; the two are concatenated and a dense head classifies
them. The input is one flat float32 row per star, ``[features | sequence
flattened]`` (the output of :class:`~sklearn_lc.FeatureFold`), split inside
:meth:`HybridNet.forward`, so that scikit-learn can index it by rows.

The tabular branch starts with :class:`QuantileNormalizer`: per-feature
quantiles learned on the training data (buffers, saved with the weights)
map each feature to a standard normal score, which makes the branch
indifferent to units and heavy tails (periods of 0.05 to 1000 days) and to
monotone transformations such as the logarithm of the period.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from ._augment import BinnedAugment
from ._modules import AstromerEncoder, DmDtCNN, MLPHead, masked_mean

__all__ = [
    "BACKBONES",
    "HybridNet",
    "PeriodicEmbedding",
    "PhaseCNNEncoder",
    "PhaseLSTMEncoder",
    "PhaseTransformerEncoder",
    "QuantileNormalizer",
    "TabularEncoder",
]

#: Sequence (or image) branches of :class:`HybridNet`.
BACKBONES = ("cnn", "cnn-lstm", "transformer")

TIME, MAG, ERR, MASK = 0, 1, 2, 3


class _BatchNorm1d(nn.BatchNorm1d):
    """Batch norm that uses its running statistics for a one-sample training batch."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        if self.training and x.shape[0] == 1:
            return nn.functional.batch_norm(x, self.running_mean, self.running_var, self.weight,
                                            self.bias, training=False, eps=self.eps)
        return super().forward(x)


class QuantileNormalizer(nn.Module):
    """Map each feature to a normal score through its learned quantiles.

    ``x -> sqrt(2) erfinv(2 u - 1)`` with ``u`` the piecewise-linear
    interpolation of ``x`` between the feature's ``n_quantiles`` quantiles
    (set by :meth:`set_quantiles`, stored as a buffer), clipped to ``u`` in
    ``[1e-3, 1 - 1e-3]`` (scores within about +-3.1). NaN (a missing
    feature) becomes 0, the median. A constant feature maps to 0.

    Parameters
    ----------
    n_features : int
        Input width.
    n_quantiles : int, default=64
        Quantiles per feature.
    """

    def __init__(self, n_features: int, n_quantiles: int = 64):
        super().__init__()
        grid = torch.linspace(-3.0, 3.0, int(n_quantiles))
        self.register_buffer("quantiles", grid.repeat(int(n_features), 1))

    @torch.no_grad()
    def set_quantiles(self, quantiles) -> None:
        """Store per-feature quantiles ``(n_features, n_quantiles)``, each row non-decreasing."""
        q = torch.as_tensor(np.asarray(quantiles), dtype=self.quantiles.dtype)
        if q.shape != self.quantiles.shape:
            raise ValueError(f"quantiles of shape {tuple(q.shape)}, expected "
                             f"{tuple(self.quantiles.shape)}")
        self.quantiles.copy_(torch.cummax(q, dim=1).values)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return normal scores ``(n, n_features)`` of features ``(n, n_features)``."""
        q = self.quantiles
        k = q.shape[1]
        missing = torch.isnan(x)
        xt = torch.where(missing, torch.zeros_like(x), x).t().contiguous()  # (F, n)
        hi_i = torch.searchsorted(q, xt).clamp(1, k - 1)
        lo = torch.gather(q, 1, hi_i - 1)
        hi = torch.gather(q, 1, hi_i)
        width = hi - lo
        frac = torch.where(width > 0, (xt - lo) / torch.where(width > 0, width, 1.0),
                           torch.full_like(xt, 0.5))
        u = ((hi_i - 1).to(x.dtype) + frac.clamp(0.0, 1.0)) / (k - 1)
        const = (q[:, -1] - q[:, 0] <= 0).unsqueeze(1)
        u = torch.where(const, torch.full_like(u, 0.5), u).clamp(1e-3, 1.0 - 1e-3)
        z = (2.0 ** 0.5) * torch.erfinv(2.0 * u - 1.0)
        return torch.where(missing, torch.zeros_like(x), z.t())


class PeriodicEmbedding(nn.Module):
    """Per-feature periodic embedding of numbers ("PLR", Gorishniy et al. 2022).

    Feature ``x_j`` becomes ``ReLU(W_j [sin(2 pi c_j x_j), cos(2 pi c_j x_j)] + b_j)``
    with ``k`` trainable frequencies ``c_j`` (initialised from ``N(0, sigma^2)``)
    and a per-feature linear map to ``d`` dimensions; the ``n_features * d``
    outputs are concatenated. It lets an MLP draw sharp, non-monotone
    boundaries on single features, as trees do.

    Parameters
    ----------
    n_features : int
        Input width.
    n_frequencies : int, default=16
        Frequencies ``k`` per feature.
    dim : int, default=16
        Output dimensions ``d`` per feature.
    sigma : float, default=0.5
        Standard deviation of the initial frequencies (inputs are normal scores).
    """

    def __init__(self, n_features: int, n_frequencies: int = 16, dim: int = 16,
                 sigma: float = 0.5):
        super().__init__()
        self.freq = nn.Parameter(torch.randn(n_features, n_frequencies) * sigma)
        bound = 1.0 / (2 * n_frequencies) ** 0.5
        self.weight = nn.Parameter(torch.empty(n_features, 2 * n_frequencies, dim)
                                   .uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_features, dim).uniform_(-bound, bound))
        self.out_features = n_features * dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``(n, n_features * dim)`` from ``(n, n_features)``."""
        ang = 2.0 * torch.pi * x.unsqueeze(-1) * self.freq
        h = torch.cat([torch.sin(ang), torch.cos(ang)], dim=-1)
        h = torch.einsum("nfk,fkd->nfd", h, self.weight) + self.bias
        return torch.relu(h).flatten(1)


class TabularEncoder(nn.Module):
    """Quantile normalisation (+ optional periodic embedding), then dense layers.

    Parameters
    ----------
    n_features : int
        Input width.
    hidden : sequence of int, default=(128, 128)
        Widths of the dense layers (linear, batch norm, ReLU, dropout); the
        last is the embedding width.
    dropout : float, default=0.1
        Dropout after each layer.
    n_quantiles : int, default=64
        Quantiles of :class:`QuantileNormalizer`.
    embedding : {"none", "periodic"}, default="none"
        ``"periodic"``: a :class:`PeriodicEmbedding` of the normal scores
        before the dense layers.
    """

    def __init__(self, n_features: int, hidden: Sequence[int] = (128, 128),
                 dropout: float = 0.1, n_quantiles: int = 64, embedding: str = "none"):
        super().__init__()
        if embedding not in ("none", "periodic"):
            raise ValueError(f"embedding must be 'none' or 'periodic', got {embedding!r}")
        self.normalizer = QuantileNormalizer(n_features, n_quantiles)
        self.embedding = PeriodicEmbedding(n_features) if embedding == "periodic" else None
        layers: list[nn.Module] = []
        width = self.embedding.out_features if self.embedding is not None else n_features
        for h in hidden:
            layers += [nn.Linear(width, int(h)), _BatchNorm1d(int(h)), nn.ReLU(),
                       nn.Dropout(dropout)]
            width = int(h)
        self.layers = nn.Sequential(*layers)
        self.embedding_dim = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the embedding ``(n, embedding_dim)`` of features ``(n, n_features)``."""
        z = self.normalizer(x)
        if self.embedding is not None:
            z = self.embedding(z)
        return self.layers(z)


class CircularConv1d(nn.Conv1d):
    """1-D "same" convolution over a circle (phase wraps), for any sequence length.

    torch's ``padding_mode="circular"`` refuses sequences shorter than the
    padding; here the wrap-around indices are taken modulo the length.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__(in_channels, out_channels, kernel_size, padding=0)
        self.pad = kernel_size // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        L = x.shape[-1]
        idx = torch.remainder(torch.arange(-self.pad, L + self.pad, device=x.device), L)
        return super().forward(x.index_select(-1, idx))


def _circular_conv_block(c_in: int, c_out: int, kernel_size: int) -> list[nn.Module]:
    return [CircularConv1d(c_in, c_out, kernel_size), nn.BatchNorm1d(c_out), nn.ReLU()]


class PhaseCNNEncoder(nn.Module):
    """1-D CNN over phase bins ``(n, L, C)`` with circular padding (phase wraps).

    ``n_conv`` blocks of circular convolution + batch norm + ReLU + max-pool
    by 2, then the mean and the maximum over the bins, concatenated. Every
    channel is an input (the mask tells interpolated bins apart).

    Parameters
    ----------
    in_channels : int
        Channels per bin.
    n_filters : int, default=32
        Filters of the first block; block ``i`` has ``n_filters * 2**min(i, 2)``.
    n_conv : int, default=3
        Convolution blocks.
    kernel_size : int, default=5
        Kernel size (odd).
    """

    def __init__(self, in_channels: int, n_filters: int = 32, n_conv: int = 3,
                 kernel_size: int = 5):
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        for i in range(n_conv):
            w = int(n_filters) * 2 ** min(i, 2)
            layers += _circular_conv_block(c, w, kernel_size)
            layers.append(nn.MaxPool1d(2, ceil_mode=True))
            c = w
        self.convs = nn.Sequential(*layers)
        self.embedding_dim = 2 * c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the embedding ``(n, embedding_dim)`` of bins ``(n, L, C)``."""
        h = self.convs(x.transpose(1, 2))
        return torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)


class PhaseLSTMEncoder(nn.Module):
    """Circular 1-D convolution, then a bidirectional LSTM over the phase bins.

    Parameters
    ----------
    in_channels : int
        Channels per bin.
    n_filters : int, default=32
        Filters of the convolution.
    kernel_size : int, default=5
        Kernel size (odd).
    hidden_size : int, default=64
        LSTM units per direction.
    pool : int, default=2
        Max-pooling factor after the convolution.
    """

    def __init__(self, in_channels: int, n_filters: int = 32, kernel_size: int = 5,
                 hidden_size: int = 64, pool: int = 2):
        super().__init__()
        self.conv = nn.Sequential(*_circular_conv_block(in_channels, n_filters, kernel_size))
        self.pool = int(pool)
        self.lstm = nn.LSTM(n_filters, hidden_size, batch_first=True, bidirectional=True)
        self.embedding_dim = 4 * hidden_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the embedding ``(n, embedding_dim)``: last states and mean of the outputs."""
        h = self.conv(x.transpose(1, 2))
        if self.pool > 1:
            h = nn.functional.max_pool1d(h, self.pool, ceil_mode=True)
        out, (hn, _) = self.lstm(h.transpose(1, 2))
        return torch.cat([hn[-2], hn[-1], out.mean(dim=1)], dim=1)


class PhaseTransformerEncoder(nn.Module):
    """ASTROMER encoder with the periodic phase encoding, over phase bins.

    The bins are the tokens: :class:`~sklearn_lc.nn.AstromerEncoder`
    (``time_encoding="periodic"``) reads channels phase, mag and mask (empty
    bins are left out of attention), and the embedding is the masked mean
    of its outputs.

    Parameters
    ----------
    d_model, n_heads, n_blocks, dropout, n_harmonics : see :class:`~sklearn_lc.nn.AstromerEncoder`.
    """

    def __init__(self, d_model: int = 64, n_heads: int = 4, n_blocks: int = 2,
                 dropout: float = 0.1, n_harmonics: int = 8):
        super().__init__()
        self.encoder = AstromerEncoder(d_model, n_heads, n_blocks, None, dropout,
                                       time_encoding="periodic", n_harmonics=n_harmonics)
        self.embedding_dim = int(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the embedding ``(n, d_model)`` of bins ``(n, L, C >= 4)``."""
        real = x[..., MASK] > 0.5
        empty = ~real.any(dim=1)
        if bool(empty.any()):
            real = real.clone()
            real[empty, 0] = True
        return masked_mean(self.encoder(x[..., :4], real), real)


class _ImageEncoder(nn.Module):
    def __init__(self, in_channels: int, n_filters: int):
        super().__init__()
        cnn = DmDtCNN(in_channels, 2, n_filters=n_filters)
        self.encoder = cnn.encoder
        self.embedding_dim = cnn.embedding_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)


class HybridNet(nn.Module):
    """Tabular branch + sequence (or image) branch, fused before a dense head.

    Parameters
    ----------
    n_tabular : int, default=21
        Leading feature columns of a row.
    sequence_shape : sequence of int, default=(64, 5)
        Shape of the rest of the row: ``(L, C)`` phase bins (channels
        :data:`~sklearn_lc.transformers.BIN_CHANNELS`; the transformer needs
        the first four) or ``(C, H, W)`` images (``backbone="cnn"`` only).
    n_classes : int, default=2
        Number of classes.
    backbone : {"cnn", "cnn-lstm", "transformer"}, default="cnn"
        Sequence branch: :class:`PhaseCNNEncoder` (a 2-D CNN, the dm-dt CNN's
        convolutions, for images), :class:`PhaseLSTMEncoder` or
        :class:`PhaseTransformerEncoder`.
    tabular_hidden : sequence of int, default=(128, 128)
        Dense widths of the tabular branch.
    tabular_embedding : {"none", "periodic"}, default="none"
        Periodic embedding of the features before the tabular branch's dense
        layers (:class:`PeriodicEmbedding`).
    n_filters : int, default=32
        Filters of the convolutional backbones.
    n_conv : int, default=3
        Blocks of the ``"cnn"`` backbone.
    hidden_size : int, default=64
        LSTM units per direction (``"cnn-lstm"``).
    d_model, n_heads, n_blocks, n_harmonics : int
        Transformer backbone (defaults 64, 4, 2, 8).
    head_hidden : sequence of int, default=(128,)
        Dense widths of the head.
    dropout : float, default=0.2
        Dropout of the head and of the branches' embeddings.
    n_quantiles : int, default=64
        Quantiles of the tabular normalisation.
    augment_noise, augment_drop, augment_phase_shift : float, default=0.0
        Training-time augmentation of the phase bins
        (:class:`~sklearn_lc.nn.BinnedAugment`); ignored for images.

    Attributes
    ----------
    tabular : TabularEncoder
        The feature branch (``tabular.normalizer`` holds the quantiles).
    sequence : nn.Module
        The sequence (or image) branch.
    head : MLPHead
        The fused classifier; ``head.out`` is the output layer.
    """

    def __init__(self, n_tabular: int = 21, sequence_shape: Sequence[int] = (64, 5),
                 n_classes: int = 2, backbone: str = "cnn",
                 tabular_hidden: Sequence[int] = (128, 128), tabular_embedding: str = "none",
                 n_filters: int = 32,
                 n_conv: int = 3, hidden_size: int = 64, d_model: int = 64, n_heads: int = 4,
                 n_blocks: int = 2, n_harmonics: int = 8, head_hidden: Sequence[int] = (128,),
                 dropout: float = 0.2, n_quantiles: int = 64, augment_noise: float = 0.0,
                 augment_drop: float = 0.0, augment_phase_shift: float = 0.0):
        super().__init__()
        if backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {BACKBONES}, got {backbone!r}")
        shape = tuple(int(s) for s in sequence_shape)
        if len(shape) not in (2, 3) or min(shape) < 1:
            raise ValueError(f"sequence_shape must be (L, C) or (C, H, W), got {sequence_shape!r}")
        if len(shape) == 3 and backbone != "cnn":
            raise ValueError(f"images (sequence_shape {shape}) need backbone='cnn', "
                             f"got {backbone!r}")
        if backbone == "transformer" and shape[1] < 4:
            raise ValueError("the transformer backbone reads channels phase, mag, err and mask: "
                             f"sequence_shape needs C >= 4, got {shape}")
        self.n_tabular = int(n_tabular)
        self.sequence_shape = shape
        self.n_sequence = int(np.prod(shape))
        self.tabular = TabularEncoder(self.n_tabular, tabular_hidden, dropout / 2, n_quantiles,
                                      tabular_embedding) if self.n_tabular > 0 else None
        self.augment = BinnedAugment(augment_noise, augment_drop, augment_phase_shift)
        if len(shape) == 3:
            self.sequence = _ImageEncoder(shape[0], n_filters)
        elif backbone == "cnn":
            self.sequence = PhaseCNNEncoder(shape[1], n_filters, n_conv)
        elif backbone == "cnn-lstm":
            self.sequence = PhaseLSTMEncoder(shape[1], n_filters, hidden_size=hidden_size)
        else:
            self.sequence = PhaseTransformerEncoder(d_model, n_heads, n_blocks, dropout / 2,
                                                    n_harmonics)
        width = self.sequence.embedding_dim + (self.tabular.embedding_dim if self.tabular else 0)
        self.embedding_dim = width
        self.drop = nn.Dropout(dropout)
        self.head = MLPHead(width, n_classes, tuple(head_hidden), dropout)

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Split rows ``(n, n_tabular + n_sequence)`` into features and sequences."""
        if x.shape[1] != self.n_tabular + self.n_sequence:
            raise ValueError(f"HybridNet expects rows of {self.n_tabular} features + "
                             f"{self.n_sequence} sequence values, got {x.shape[1]} columns")
        tab = x[:, :self.n_tabular]
        seq = torch.nan_to_num(x[:, self.n_tabular:]).reshape((x.shape[0],) + self.sequence_shape)
        return tab, seq

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Return the fused embedding ``(n, embedding_dim)`` (no augmentation)."""
        tab, seq = self.split(x)
        return self._fuse(tab, seq)

    def _fuse(self, tab: torch.Tensor, seq: torch.Tensor) -> torch.Tensor:
        parts = [self.sequence(seq)]
        if self.tabular is not None:
            parts.insert(0, self.tabular(tab))
        return torch.cat(parts, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return logits ``(n, n_classes)`` of rows ``[features | flattened sequence]``."""
        tab, seq = self.split(x)
        if len(self.sequence_shape) == 2:
            seq = self.augment(seq)
        return self.head(self.drop(self._fuse(tab, seq)))
