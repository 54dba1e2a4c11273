"""Glue between pretraining / transfer and the transformer of TransformerClassifier.

The pretrained object is the :class:`~sklearn_lc.nn.AstromerEncoder`, i.e.
``TransformerClassifier().module_.encoder``: weights move between
:class:`~sklearn_lc.MaskedPretrainer`, :class:`~sklearn_lc.EncoderEmbedding`,
:class:`~sklearn_lc.TransferClassifier` and ``TransformerClassifier`` as the
encoder's own ``state_dict`` (stored under the prefix ``encoder.``, which is
also its prefix inside :class:`~sklearn_lc.nn.TransformerNet`).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from ..nn._modules import AstromerEncoder, TransformerNet, masked_mean, sequence_mask
from ..utils._validation import LightCurveError

__all__ = [
    "build_encoder",
    "check_encoder_range",
    "check_folded",
    "embed_windows",
    "encoder_config",
    "fixed_strategy",
    "transformer_from_encoder",
]


def build_encoder(d_model: int, n_heads: int, n_blocks: int, dim_feedforward: int | None = None,
                  dropout: float = 0.1, base: float = 1000.0,
                  attention_dropout: float = 0.0, time_encoding: str = "time",
                  n_harmonics: int = 8, mag_scale: float = 1.0) -> AstromerEncoder:
    """Build a fresh encoder (the one of ``TransformerClassifier``)."""
    return AstromerEncoder(int(d_model), int(n_heads), int(n_blocks), dim_feedforward,
                           float(dropout), float(base), float(attention_dropout),
                           str(time_encoding), int(n_harmonics), float(mag_scale))


def encoder_config(encoder: AstromerEncoder) -> dict:
    """Return the constructor arguments that rebuild ``encoder`` (read from its layers)."""
    layers = encoder.blocks.layers
    first = layers[0]
    d = int(encoder.d_model)
    time_encoding = str(getattr(encoder, "time_encoding", "time"))
    base = 1000.0
    if time_encoding == "time":
        freq = encoder.pe.freq
        if d >= 4 and float(freq[2]) > 0:
            base = float(round(float(freq[2]) ** (-d / 2.0), 3))
            if not math.isfinite(base):
                base = 1000.0
    config = {
        "d_model": d,
        "n_heads": int(first.self_attn.num_heads),
        "n_blocks": len(layers),
        "dim_feedforward": int(first.linear1.out_features),
        "dropout": float(first.dropout.p),
        "base": base,
        "attention_dropout": float(first.self_attn.dropout),
    }
    # keys beyond the ones of 0.1 / 0.2 only when they differ from the defaults
    if time_encoding != "time":
        config["time_encoding"] = time_encoding
        config["n_harmonics"] = int(encoder.pe.n_harmonics)
    mag_scale = float(getattr(encoder, "mag_scale", 1.0))
    if mag_scale != 1.0:
        config["mag_scale"] = mag_scale
    return config


def transformer_from_encoder(encoder: AstromerEncoder, n_classes: int,
                             head_hidden: Sequence[int] = (128,),
                             head_dropout: float = 0.3) -> TransformerNet:
    """Build a TransformerNet whose encoder is a copy of ``encoder`` and whose MLP head is new."""
    net = TransformerNet(n_classes=n_classes, head="mlp", head_hidden=tuple(head_hidden),
                         head_dropout=head_dropout, **encoder_config(encoder))
    net.encoder.load_state_dict(copy.deepcopy(encoder.state_dict()))
    return net


#: Largest magnitude range and time baseline the encoder accepts for one star.
MAX_MAG_RANGE = 1e3
MAX_TIME_RANGE = 1e7


def check_encoder_range(lcs: list) -> None:
    """Refuse stars whose magnitudes or times are far outside physical ranges.

    The encoder takes magnitudes and days as they are (mean-subtracted, not
    scaled, as in ASTROMER); values such as 1e30 overflow inside attention.

    Parameters
    ----------
    lcs : list of (t, m, err)
        Canonical light curves.

    Raises
    ------
    ValueError
        Naming the first star whose magnitude range exceeds ``MAX_MAG_RANGE``
        or whose baseline exceeds ``MAX_TIME_RANGE`` days.
    """
    for i, (t, m, _) in enumerate(lcs):
        if t.size and (np.ptp(m) > MAX_MAG_RANGE or np.ptp(t) > MAX_TIME_RANGE):
            raise LightCurveError(
                i, f"magnitudes span {np.ptp(m):.3g} mag and times {np.ptp(t):.3g} d; the "
                f"encoder expects magnitudes (range below {MAX_MAG_RANGE:g}) and days "
                f"(baseline below {MAX_TIME_RANGE:g})"
            )


def check_folded(lcs: list) -> None:
    """Refuse curves whose times are not phases in [0, 1] (a periodic encoder reads folds).

    Raises
    ------
    LightCurveError
        Naming the first star with a time outside [0, 1].
    """
    for i, (t, _, _) in enumerate(lcs):
        if t.size and (float(t.min()) < 0.0 or float(t.max()) > 1.0):
            raise LightCurveError(
                i, f"times span {float(t.min()):.4g} to {float(t.max()):.4g}, not phases in "
                "[0, 1]: an encoder with time_encoding='periodic' reads folded light curves; "
                "fold them with PhaseFold first")


def embed_windows(encoder: nn.Module, W: np.ndarray, batch_size: int,
                  device: str = "cpu") -> np.ndarray:
    """Masked mean of the encoder's outputs over the real observations, float32 (n, d)."""
    encoder.eval()
    d = int(encoder.d_model)
    out = [np.zeros((0, d), dtype=np.float32)]
    with torch.no_grad():
        for a in range(0, W.shape[0], batch_size):
            x = torch.as_tensor(W[a:a + batch_size], device=device)
            out.append(masked_mean(encoder(x), sequence_mask(x)).cpu().numpy())
    E = np.concatenate(out).astype(np.float32)
    bad = ~np.isfinite(E).all(axis=1)
    if bad.any():
        raise LightCurveError(int(np.flatnonzero(bad)[0]),
                              "the encoder's output is not finite for this star")
    return E


def fixed_strategy(periodic: bool) -> str:
    """WindowPad strategy of the deterministic windows an encoder reads.

    The first observations of an unfolded curve (``"first"``); points spread
    over the whole cycle of a folded one (``"subsample"``), for an encoder
    with the periodic encoding.
    """
    return "subsample" if periodic else "first"


def embed_light_curves(encoder: AstromerEncoder, X, window: int, batch_size: int,
                       device: str = "cpu", strategy: str = "auto") -> np.ndarray:
    """Embed light curves: validate, check ranges, one window per star, masked-mean embedding.

    The path shared by :class:`~sklearn_lc.EncoderEmbedding` and
    :meth:`MaskedPretrainer.transform <sklearn_lc.MaskedPretrainer.transform>`:
    :func:`~sklearn_lc.utils.check_light_curves`, :func:`check_encoder_range`
    (and :func:`check_folded` for an encoder with the periodic encoding), a
    :class:`~sklearn_lc.WindowPad` window (``strategy`` "first", "last",
    "subsample", or "auto": :func:`fixed_strategy` of the encoder), then
    :func:`embed_windows`. Returns float32 ``(n_stars, d_model)``.
    """
    from ..transformers._windows import WindowPad
    from ..utils._validation import check_light_curves

    if strategy == "random":
        raise ValueError("embed_light_curves needs a deterministic strategy, not 'random'")
    periodic = encoder.time_encoding == "periodic"
    if strategy == "auto":
        strategy = fixed_strategy(periodic)
    lcs = check_light_curves(X)
    check_encoder_range(lcs)
    if periodic:
        check_folded(lcs)
    W = WindowPad(window=window, strategy=strategy).fit_transform(lcs)
    return embed_windows(encoder, W, batch_size, device)
