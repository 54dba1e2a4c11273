"""Pure-torch networks of the deep light-curve classifiers.

Nothing here knows about scikit-learn or skorch: every architecture knob is a
constructor argument, and the estimators in :mod:`sklearn_lc.classifiers`
expose them as ``module__<name>``.

All three networks share one layout, so that a later transfer step can freeze
the feature extractor and replace the output layer:

* ``encoder``: the backbone (convolutions, LSTM or attention blocks);
* ``head``: the classifier on top, whose last linear layer is ``head.out``;
* ``embed(x)``: the backbone's fixed-size representation, shape ``(n, d)``.

Sequence inputs follow the :class:`~sklearn_lc.WindowPad` layout: float32
``(n, L, 4)`` with channels ``time, mag, err, mask``; ``mask`` is 1 for a real
observation and 0 for padding, and the real observations come first. Padding
never changes an output: padded rows are zeroed on entry, convolution outputs
are re-masked after every layer, the LSTM's output is read after the last
real observation (:func:`last_hidden`), and attention and pooling ignore
padded keys.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from ._augment import SequenceAugment

__all__ = [
    "AstromerEncoder",
    "CNNLSTM",
    "ConvLSTMEncoder",
    "DmDtCNN",
    "LSTMHead",
    "MLPHead",
    "PhasePositionalEncoding",
    "TimePositionalEncoding",
    "TransformerNet",
    "masked_mean",
    "n_parameters",
    "sequence_mask",
]

#: Channel indices of WindowPad windows.
TIME, MAG, ERR, MASK = 0, 1, 2, 3


def sequence_mask(x: torch.Tensor) -> torch.Tensor:
    """Boolean ``(n, L)`` mask of real observations of windows ``(n, L, C)``.

    A window without any real observation keeps its first row (so that
    attention and pooling stay defined); its output is then that of a
    single zero observation.
    """
    mask = x[..., MASK] > 0.5
    empty = ~mask.any(dim=1)
    if bool(empty.any()):
        mask = mask.clone()
        mask[empty, 0] = True
    return mask


def masked_mean(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``h`` ``(n, L, d)`` over the positions where ``mask`` ``(n, L)`` is true."""
    w = mask.to(h.dtype).unsqueeze(-1)
    return (h * w).sum(dim=1) / w.sum(dim=1).clamp_min(1.0)


class MLPHead(nn.Module):
    """Dense classifier head: hidden ``Linear + ReLU + Dropout`` layers, then ``out``.

    Parameters
    ----------
    in_features : int
        Input width.
    n_classes : int
        Output width (logits).
    hidden : sequence of int, default=(128, 128)
        Widths of the hidden layers (empty: a linear classifier).
    dropout : float, default=0.5
        Dropout after each hidden layer.
    """

    def __init__(self, in_features: int, n_classes: int, hidden: Sequence[int] = (128, 128),
                 dropout: float = 0.5):
        super().__init__()
        layers: list[nn.Module] = []
        width = in_features
        for h in hidden:
            layers += [nn.Linear(width, int(h)), nn.ReLU(), nn.Dropout(dropout)]
            width = int(h)
        self.hidden = nn.Sequential(*layers)
        self.out = nn.Linear(width, n_classes)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Return logits ``(n, n_classes)`` of features ``(n, in_features)``."""
        return self.out(self.hidden(z))


# ----------------------------------------------------------------------------- 2-D CNN


class DmDtCNN(nn.Module):
    """2-D CNN on images ``(n, C, H, W)`` (dm-dt images, histograms).

    After Mahabal et al. (2017): ``n_conv`` blocks of 3x3 convolution (+ batch
    normalisation) + ReLU + 2x2 max-pooling (``ceil_mode``, so small images
    work), an adaptive max-pool to ``pool_size x pool_size`` (any ``H, W``),
    then two dense layers of ``n_dense`` units with dropout, and the output
    layer.

    Parameters
    ----------
    in_channels : int, default=1
        Image channels (set from the data by :class:`~sklearn_lc.CNNClassifier`).
    n_classes : int, default=2
        Number of classes (set from the data by the estimator).
    n_filters : int, default=32
        Filters of the first convolution; block ``i`` has ``n_filters * 2**i``.
    n_conv : int, default=2
        Convolution blocks.
    kernel_size : int, default=3
        Convolution kernel size (odd; "same" padding).
    pool_size : int, default=4
        Side of the adaptive max-pool output.
    n_dense : int, default=128
        Units of each of the two dense layers.
    n_dense_layers : int, default=2
        Number of dense hidden layers.
    dropout : float, default=0.5
        Dropout after each dense layer (and ``dropout / 2`` after the
        convolutions).
    batch_norm : bool, default=True
        Batch normalisation after each convolution. dm-dt images are mostly
        small values (a few bins hold most pairs); without it training
        often sat at chance level for several epochs, or for good (CRTS
        7-class: loss stuck at 1.84 for 6 epochs without, learning from the
        first epoch with).

    Attributes
    ----------
    encoder : nn.Sequential
        Convolutions, pooling and flattening: the image embedding.
    head : MLPHead
        Dense layers; ``head.out`` is the output layer.
    """

    def __init__(self, in_channels: int = 1, n_classes: int = 2, n_filters: int = 32,
                 n_conv: int = 2, kernel_size: int = 3, pool_size: int = 4,
                 n_dense: int = 128, n_dense_layers: int = 2, dropout: float = 0.5,
                 batch_norm: bool = True):
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        for i in range(n_conv):
            width = int(n_filters) * 2**i
            layers.append(nn.Conv2d(c, width, kernel_size, padding=kernel_size // 2))
            if batch_norm:
                layers.append(nn.BatchNorm2d(width))
            layers += [nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
            c = width
        layers += [nn.AdaptiveMaxPool2d(pool_size), nn.Flatten(), nn.Dropout(dropout / 2)]
        self.encoder = nn.Sequential(*layers)
        self.embedding_dim = c * pool_size * pool_size
        self.head = MLPHead(self.embedding_dim, n_classes, (n_dense,) * n_dense_layers, dropout)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Return the flattened convolutional features ``(n, embedding_dim)``."""
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return logits ``(n, n_classes)`` of images ``(n, C, H, W)``."""
        return self.head(self.encoder(x))


# ----------------------------------------------------------------------------- CNN-LSTM


def _lengths(mask: torch.Tensor) -> torch.Tensor:
    return mask.sum(dim=1).clamp_min(1).to("cpu", torch.int64)


def last_hidden(lstm: nn.LSTM, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Top-layer LSTM state after each sequence's real observations, ``(n, hidden * dirs)``.

    The real observations are the first ``mask.sum(1)`` positions (WindowPad
    pads at the end). A unidirectional LSTM runs over the whole padded batch
    and the output at the last real position is taken: it depends on the real
    positions only (the LSTM is causal), as with packed sequences, but the
    fused kernels are used (packed sequences were ~10x slower to train on
    CPU). A bidirectional LSTM runs on packed sequences, so that the backward
    direction starts at the last real observation.
    """
    lengths = _lengths(mask)
    if not lstm.bidirectional:
        out, _ = lstm(h)
        rows = torch.arange(h.shape[0], device=h.device)
        return out[rows, lengths.to(h.device) - 1]
    packed = pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
    _, (hn, _) = lstm(packed)
    return torch.cat([hn[-2], hn[-1]], dim=1)


class ConvLSTMEncoder(nn.Module):
    """1-D convolutions then an LSTM over WindowPad windows, padding-exact.

    Per observation the inputs are ``log1p(dt)`` (time since the previous
    observation, 0 for the first), the magnitude and the error. Each of the
    ``n_conv`` blocks is a "same" 1-D convolution + ReLU, re-masked to zero on
    padding, then max-pooling by ``pool`` (``ceil_mode``; the mask is pooled
    alike). The embedding is the LSTM's state after the last real
    observation (both directions if bidirectional; see :func:`last_hidden`).

    Parameters
    ----------
    n_filters : int, default=64
        Filters of each convolution.
    kernel_size : int, default=5
        Convolution kernel size (odd).
    n_conv : int, default=1
        Convolution blocks.
    pool : int, default=2
        Max-pooling factor after each block (1: none).
    hidden_size : int, default=128
        LSTM units.
    num_layers : int, default=1
        LSTM layers.
    bidirectional : bool, default=False
        Bidirectional LSTM.
    dropout : float, default=0.2
        Dropout between LSTM layers (when ``num_layers > 1``).
    """

    n_inputs = 3

    def __init__(self, n_filters: int = 64, kernel_size: int = 5, n_conv: int = 1,
                 pool: int = 2, hidden_size: int = 128, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.2):
        super().__init__()
        self.convs = nn.ModuleList()
        c = self.n_inputs
        for _ in range(n_conv):
            self.convs.append(nn.Conv1d(c, n_filters, kernel_size, padding=kernel_size // 2))
            c = n_filters
        self.pool = int(pool)
        self.lstm = nn.LSTM(c, hidden_size, num_layers=num_layers, batch_first=True,
                            bidirectional=bidirectional,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.embedding_dim = hidden_size * (2 if bidirectional else 1)

    def features(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Per-observation inputs ``(n, L, 3)``: log1p(dt), mag, err; zero on padding."""
        t = x[..., TIME]
        dt = torch.zeros_like(t)
        dt[:, 1:] = (t[:, 1:] - t[:, :-1]).clamp_min(0.0)
        f = torch.stack([torch.log1p(dt), x[..., MAG], x[..., ERR]], dim=-1)
        m = mask.unsqueeze(-1)
        return torch.where(m, f, torch.zeros_like(f))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the embedding ``(n, embedding_dim)`` of windows ``(n, L, 4)``."""
        mask = sequence_mask(x)
        h = self.features(x, mask).transpose(1, 2)  # (n, C, L)
        m = mask.unsqueeze(1).to(h.dtype)  # (n, 1, L)
        for conv in self.convs:
            h = torch.relu(conv(h)) * m
            if self.pool > 1:
                h = nn.functional.max_pool1d(h, self.pool, ceil_mode=True)
                m = nn.functional.max_pool1d(m, self.pool, ceil_mode=True)
        return last_hidden(self.lstm, h.transpose(1, 2), m[:, 0] > 0.5)


class CNNLSTM(nn.Module):
    """CNN-LSTM classifier of WindowPad windows ``(n, L, 4)``.

    Parameters
    ----------
    n_classes : int, default=2
        Number of classes (set from the data by the estimator).
    n_filters, kernel_size, n_conv, pool, hidden_size, num_layers, bidirectional : see
        :class:`ConvLSTMEncoder`.
    n_dense : int, default=64
        Units of the dense hidden layer of the head (0: none).
    dropout : float, default=0.3
        Dropout of the head (and between LSTM layers).
    augment_noise, augment_drop, augment_phase_shift : float, default=0.0
        Training-time augmentation of the windows (see
        :class:`~sklearn_lc.nn.SequenceAugment`); off by default.

    Attributes
    ----------
    encoder : ConvLSTMEncoder
        The backbone.
    head : MLPHead
        Dense head; ``head.out`` is the output layer.
    """

    def __init__(self, n_classes: int = 2, n_filters: int = 64, kernel_size: int = 5,
                 n_conv: int = 1, pool: int = 2, hidden_size: int = 128, num_layers: int = 1,
                 bidirectional: bool = False, n_dense: int = 64, dropout: float = 0.3,
                 augment_noise: float = 0.0, augment_drop: float = 0.0,
                 augment_phase_shift: float = 0.0):
        super().__init__()
        self.augment = SequenceAugment(augment_noise, augment_drop, augment_phase_shift)
        self.encoder = ConvLSTMEncoder(n_filters, kernel_size, n_conv, pool, hidden_size,
                                       num_layers, bidirectional, dropout)
        hidden = (n_dense,) if n_dense else ()
        self.head = MLPHead(self.encoder.embedding_dim, n_classes, hidden, dropout)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Return the LSTM embedding ``(n, embedding_dim)``."""
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return logits ``(n, n_classes)``."""
        return self.head(self.encoder(self.augment(x)))


# ----------------------------------------------------------------------------- transformer


class TimePositionalEncoding(nn.Module):
    """Sinusoidal encoding of observation *times* (ASTROMER, Donoso-Oliva et al. 2023).

    Dimension ``k`` of the encoding of time ``t`` (days) is ``sin(w_j t)`` for
    even ``k = 2j`` and ``cos(w_j t)`` for odd ``k = 2j + 1``, with angular
    frequency ``w_j = 1 / base**(2j / d_model)`` (``base=1000`` as in the
    paper): the low dimensions carry the high frequencies. Not trainable.

    Parameters
    ----------
    d_model : int
        Encoding width (even).
    base : float, default=1000.0
        Base of the geometric frequency ladder.
    """

    def __init__(self, d_model: int, base: float = 1000.0):
        super().__init__()
        j = torch.arange(d_model) // 2
        freq = 1.0 / torch.pow(torch.tensor(float(base)), 2.0 * j.double() / d_model)
        self.register_buffer("freq", freq.float(), persistent=False)
        self.register_buffer("is_sin", (torch.arange(d_model) % 2 == 0), persistent=False)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        """Return the encoding ``(n, L, d_model)`` of times ``(n, L)``."""
        ang = t.unsqueeze(-1) * self.freq
        return torch.where(self.is_sin, torch.sin(ang), torch.cos(ang))


class PhasePositionalEncoding(nn.Module):
    """Periodic encoding of folded phases: ``sin``/``cos`` of ``2 pi k phase``, projected.

    For folded light curves (time = phase, as written by
    :class:`~sklearn_lc.PhaseFold`), whose time axis is a circle: the
    features ``sin(2 pi k phi), cos(2 pi k phi)`` for harmonics ``k = 1 ..
    n_harmonics`` are periodic with period 1 (phases ``phi`` and ``phi + 1``
    encode alike, so a window re-centred by WindowPad or a shifted fold
    changes nothing but the phase origin), and a learned linear map (no
    bias) takes them to ``d_model``.

    Parameters
    ----------
    d_model : int
        Encoding width.
    n_harmonics : int, default=8
        Harmonics of the phase.
    """

    def __init__(self, d_model: int, n_harmonics: int = 8):
        super().__init__()
        self.n_harmonics = int(n_harmonics)
        k = torch.arange(1, self.n_harmonics + 1, dtype=torch.float32)
        self.register_buffer("angular", 2.0 * torch.pi * k, persistent=False)
        self.proj = nn.Linear(2 * self.n_harmonics, d_model, bias=False)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        """Return the encoding ``(n, L, d_model)`` of phases ``(n, L)``."""
        ang = t.unsqueeze(-1) * self.angular
        return self.proj(torch.cat([torch.sin(ang), torch.cos(ang)], dim=-1))


TIME_ENCODINGS = ("time", "periodic")


class AstromerEncoder(nn.Module):
    """ASTROMER encoder: time encoding + projected magnitudes, then self-attention blocks.

    The input of each observation is ``PE(t) + W m + b`` (a linear projection
    of the magnitude added to the time encoding), followed by ``n_blocks``
    post-norm transformer blocks of ``n_heads`` heads. Padded positions (and
    any position the caller excludes through ``attend``) are removed from
    the attention keys; their own outputs are returned as zeros.

    Parameters
    ----------
    d_model : int, default=256
        Embedding width (ASTROMER: 256).
    n_heads : int, default=4
        Attention heads.
    n_blocks : int, default=2
        Self-attention blocks.
    dim_feedforward : int or None, default=None
        Width of the blocks' feed-forward layer; ``None``: ``2 * d_model``.
    dropout : float, default=0.1
        Dropout of the blocks' attention output and feed-forward layer.
    base : float, default=1000.0
        Base of the positional encoding frequencies.
    attention_dropout : float, default=0.0
        Dropout of the attention weights themselves. ASTROMER has none; on
        CPU it was also the most expensive operation of a training step
        (drawing a ``(n, heads, L, L)`` mask per block: 2.5x slower steps
        at d_model 64).
    time_encoding : {"time", "periodic"}, default="time"
        ``"time"``: :class:`TimePositionalEncoding` of times in days
        (unfolded windows); ``"periodic"``: :class:`PhasePositionalEncoding`
        of phases, for folded windows (``PhaseFold`` then ``WindowPad``).
    n_harmonics : int, default=8
        Harmonics of the ``"periodic"`` encoding.
    mag_scale : float, default=1.0
        Factor on the magnitudes before their projection. Magnitudes enter
        mean-subtracted, not scaled (ASTROMER): a tenth of a magnitude is small
        beside the unit-sized positional encoding, and Adam grows the
        projection slowly; 10 lets a folded-curve transformer learn in a few
        epochs while keeping the amplitude.
    """

    def __init__(self, d_model: int = 256, n_heads: int = 4, n_blocks: int = 2,
                 dim_feedforward: int | None = None, dropout: float = 0.1,
                 base: float = 1000.0, attention_dropout: float = 0.0,
                 time_encoding: str = "time", n_harmonics: int = 8, mag_scale: float = 1.0):
        super().__init__()
        if time_encoding not in TIME_ENCODINGS:
            raise ValueError(f"time_encoding must be one of {TIME_ENCODINGS}, "
                             f"got {time_encoding!r}")
        if not (math.isfinite(float(mag_scale)) and float(mag_scale) > 0):
            raise ValueError(f"mag_scale must be a positive number, got {mag_scale!r}")
        self.d_model = d_model
        self.time_encoding = time_encoding
        self.mag_scale = float(mag_scale)
        if time_encoding == "periodic":
            self.pe = PhasePositionalEncoding(d_model, n_harmonics)
        else:
            self.pe = TimePositionalEncoding(d_model, base)
        self.mag_proj = nn.Linear(1, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, dim_feedforward or 2 * d_model, dropout, batch_first=True)
        layer.self_attn.dropout = float(attention_dropout)  # copied into every block
        self.blocks = nn.TransformerEncoder(layer, n_blocks, enable_nested_tensor=False)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, x: torch.Tensor, attend: torch.Tensor | None = None) -> torch.Tensor:
        """Return per-observation embeddings ``(n, L, d_model)``.

        Parameters
        ----------
        x : Tensor of shape (n, L, 4)
            WindowPad windows.
        attend : bool Tensor of shape (n, L) or None
            Positions that may be attended to (keys). ``None``: the real
            observations (mask channel).
        """
        if attend is None:
            attend = sequence_mask(x)
        real = sequence_mask(x)
        t = torch.where(real, x[..., TIME], torch.zeros_like(x[..., TIME]))
        m = torch.where(real, x[..., MAG], torch.zeros_like(x[..., MAG]))
        h = self.pe(t) + self.mag_proj(self.mag_scale * m.unsqueeze(-1))
        h = self.blocks(h, src_key_padding_mask=~attend)
        return h * real.unsqueeze(-1).to(h.dtype)


class LSTMHead(nn.Module):
    """LSTM over the encoder's per-observation embeddings ("LSTM+ATT"), then ``out``.

    Parameters
    ----------
    in_features : int
        Embedding width.
    n_classes : int
        Output width.
    hidden_size : int, default=256
        LSTM units (ASTROMER: two layers of 256 with layer norm and dropout 0.3).
    num_layers : int, default=2
        LSTM layers.
    dropout : float, default=0.3
        Dropout after the LSTM (and between its layers).
    """

    def __init__(self, in_features: int, n_classes: int, hidden_size: int = 256,
                 num_layers: int = 2, dropout: float = 0.3):
        super().__init__()
        self.lstm = nn.LSTM(in_features, hidden_size, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.norm = nn.LayerNorm(hidden_size)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size, n_classes)

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Return logits from embeddings ``(n, L, d)`` and the real-point mask ``(n, L)``."""
        return self.out(self.drop(self.norm(last_hidden(self.lstm, h, mask))))


class TransformerNet(nn.Module):
    """ASTROMER encoder with an MLP ("MLP+ATT") or LSTM ("LSTM+ATT") classifier head.

    Parameters
    ----------
    n_classes : int, default=2
        Number of classes (set from the data by the estimator).
    d_model, n_heads, n_blocks, dim_feedforward, base : see :class:`AstromerEncoder`.
    dropout : float, default=0.1
        Dropout inside the attention blocks (see :class:`AstromerEncoder`).
    attention_dropout : float, default=0.0
        Dropout of the attention weights (see :class:`AstromerEncoder`).
    head : {"mlp", "lstm"}, default="mlp"
        ``"mlp"``: dense layers on the masked mean of the embeddings;
        ``"lstm"``: an LSTM over the embeddings.
    head_hidden : sequence of int, default=(1024, 512, 256)
        ``"mlp"``: widths of the dense layers (ASTROMER's MLP+ATT);
        ``"lstm"``: the first entry is the LSTM width.
    head_layers : int, default=2
        LSTM layers of the ``"lstm"`` head.
    head_dropout : float, default=0.3
        Dropout of the head.
    time_encoding : {"time", "periodic"}, default="time"
        Positional encoding of the encoder (see :class:`AstromerEncoder`):
        ``"periodic"`` for folded windows.
    n_harmonics : int, default=8
        Harmonics of the ``"periodic"`` encoding.
    mag_scale : float, default=1.0
        Factor on the magnitudes before their projection (see
        :class:`AstromerEncoder`).
    augment_noise, augment_drop, augment_phase_shift : float, default=0.0
        Training-time augmentation of the windows (see
        :class:`~sklearn_lc.nn.SequenceAugment`); off by default.

    Attributes
    ----------
    encoder : AstromerEncoder
        The (pre-trainable) backbone.
    head : MLPHead or LSTMHead
        The classifier; ``head.out`` is the output layer.
    """

    def __init__(self, n_classes: int = 2, d_model: int = 256, n_heads: int = 4,
                 n_blocks: int = 2, dim_feedforward: int | None = None, dropout: float = 0.1,
                 base: float = 1000.0, head: str = "mlp",
                 head_hidden: Sequence[int] = (1024, 512, 256), head_layers: int = 2,
                 head_dropout: float = 0.3, attention_dropout: float = 0.0,
                 time_encoding: str = "time", n_harmonics: int = 8, mag_scale: float = 1.0,
                 augment_noise: float = 0.0, augment_drop: float = 0.0,
                 augment_phase_shift: float = 0.0):
        super().__init__()
        if head not in ("mlp", "lstm"):
            raise ValueError(f"head must be 'mlp' or 'lstm', got {head!r}")
        self.augment = SequenceAugment(augment_noise, augment_drop, augment_phase_shift)
        self.encoder = AstromerEncoder(d_model, n_heads, n_blocks, dim_feedforward, dropout,
                                       base, attention_dropout, time_encoding, n_harmonics,
                                       mag_scale)
        self.head_kind = head
        if head == "mlp":
            self.head = MLPHead(d_model, n_classes, tuple(head_hidden), head_dropout)
        else:
            width = int(head_hidden[0]) if len(head_hidden) else d_model
            self.head = LSTMHead(d_model, n_classes, width, head_layers, head_dropout)

    def encode(self, x: torch.Tensor, attend: torch.Tensor | None = None) -> torch.Tensor:
        """Return per-observation embeddings ``(n, L, d_model)`` (see :class:`AstromerEncoder`)."""
        return self.encoder(x, attend)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Return the masked mean of the encoder's embeddings, ``(n, d_model)``."""
        return masked_mean(self.encoder(x), sequence_mask(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return logits ``(n, n_classes)`` of windows ``(n, L, 4)``."""
        x = self.augment(x)
        mask = sequence_mask(x)
        h = self.encoder(x)
        if self.head_kind == "mlp":
            return self.head(masked_mean(h, mask))
        return self.head(h, mask)


def n_parameters(module: nn.Module) -> int:
    """Return the number of trainable parameters of ``module``."""
    return int(sum(p.numel() for p in module.parameters() if p.requires_grad))

