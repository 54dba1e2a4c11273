"""ASTROMER-style masked-magnitude pretraining: masking, reconstruction head, loss.

Pure torch; knows nothing of scikit-learn. Windows follow the
:class:`~sklearn_lc.WindowPad` layout: float32 ``(n, L, 4)`` with channels
``time, mag, err, mask`` (mask 1 for a real observation, padding rows zero).

The objective (Donoso-Oliva et al. 2023, Sect. 4.1-4.3): in every window a
fraction ``mask_fraction`` (50%) of the *real* observations is chosen; of the
chosen ones, ``random_fraction`` (20%) get the magnitude of another random
real observation of the same window and stay visible, ``same_fraction`` (20%)
keep their magnitude and stay visible, and the rest (60%) are hidden: their
magnitude and error are zeroed and they are removed from the attention keys.
Random magnitudes are drawn from the visible observations only, so a hidden
magnitude never reaches the encoder.
The loss is the RMSE of the reconstructed magnitudes over all chosen
observations.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "MaskedBatch",
    "ReconstructionHead",
    "make_masked_batch",
    "masked_rmse",
]


class MaskedBatch:
    """Inputs and targets of one masked-pretraining batch (plain container).

    Attributes
    ----------
    x : Tensor of shape (n, L, 4)
        Corrupted windows: hidden observations have magnitude and error set to
        zero; their time is kept (the model must know *where* to reconstruct).
        The mask channel is left as in the input (1 = real observation).
    attend : Tensor of shape (n, L), bool
        Observations that may be attended to (keys): real and not hidden.
    target : Tensor of shape (n, L)
        The true magnitudes.
    chosen : Tensor of shape (n, L), bool
        Observations the loss is computed on (hidden, randomised and kept).
    hidden, randomized, kept : Tensor of shape (n, L), bool
        The three disjoint parts of ``chosen``.
    """

    def __init__(self, x, attend, target, chosen, hidden, randomized, kept):
        self.x = x
        self.attend = attend
        self.target = target
        self.chosen = chosen
        self.hidden = hidden
        self.randomized = randomized
        self.kept = kept

    def to(self, device) -> MaskedBatch:
        """Return a copy with every tensor moved to ``device``."""
        return MaskedBatch(*(getattr(self, k).to(device) for k in (
            "x", "attend", "target", "chosen", "hidden", "randomized", "kept")))


def _ranks(scores: torch.Tensor) -> torch.Tensor:
    """Rank of every entry along the last axis (0 = smallest)."""
    order = torch.argsort(scores, dim=-1)
    ranks = torch.empty_like(order)
    ranks.scatter_(-1, order, torch.arange(scores.shape[-1], device=scores.device)
                   .expand_as(order).contiguous())
    return ranks


def make_masked_batch(
    x: torch.Tensor,
    mask_fraction: float = 0.5,
    random_fraction: float = 0.2,
    same_fraction: float = 0.2,
    generator: torch.Generator | None = None,
) -> MaskedBatch:
    """Choose, randomise and hide observations of a batch of windows.

    Per window with ``n_real`` real observations, exactly
    ``round(mask_fraction * n_real)`` of them (at least one when
    ``n_real >= 2``) are chosen uniformly at random; of those,
    ``round(random_fraction * k)`` get the magnitude of a random visible (not
    hidden) real observation of the same window, ``round(same_fraction * k)`` are kept as
    they are, and the rest are hidden. Padding is never chosen.

    Parameters
    ----------
    x : Tensor of shape (n, L, 4)
        Windows (``time, mag, err, mask``).
    mask_fraction, random_fraction, same_fraction : float
        See the module docstring.
    generator : torch.Generator, optional
        Source of randomness (on the device of ``x``).

    Returns
    -------
    batch : MaskedBatch
        Corrupted inputs, attention mask, targets and the chosen sets.
    """
    if x.ndim != 3 or x.shape[-1] < 4:
        raise ValueError(f"expected windows of shape (n, L, 4), got {tuple(x.shape)}")
    if not (0.0 < mask_fraction <= 1.0):
        raise ValueError(f"mask_fraction must be in (0, 1], got {mask_fraction}")
    if random_fraction < 0 or same_fraction < 0 or random_fraction + same_fraction > 1:
        raise ValueError("random_fraction and same_fraction must be >= 0 and sum to <= 1")
    n, length = x.shape[0], x.shape[1]
    dev = x.device
    real = x[..., 3] > 0.5
    n_real = real.sum(dim=1)  # (n,)
    k = torch.round(n_real.to(torch.float64) * mask_fraction).to(torch.long)
    k = torch.where((k == 0) & (n_real >= 2), torch.ones_like(k), k)
    k = torch.minimum(k, n_real)
    # Keep at least one visible observation for attention: never hide them all.
    k_rand = torch.round(k.to(torch.float64) * random_fraction).to(torch.long)
    k_same = torch.round(k.to(torch.float64) * same_fraction).to(torch.long)
    k_hide = (k - k_rand - k_same).clamp(min=0)
    k_hide = torch.minimum(k_hide, (n_real - 1).clamp(min=0))
    k_same = k - k_rand - k_hide

    scores = torch.rand((n, length), generator=generator, device=dev)
    scores = torch.where(real, scores, torch.full_like(scores, 2.0))  # padding ranked last
    rank = _ranks(scores)
    hidden = rank < k_hide[:, None]
    randomized = (rank >= k_hide[:, None]) & (rank < (k_hide + k_rand)[:, None])
    kept = (rank >= (k_hide + k_rand)[:, None]) & (rank < k[:, None])
    chosen = hidden | randomized | kept

    target = x[..., 1].clone()
    xin = x.clone()
    # Random magnitudes drawn from the visible real observations of the same window
    # (never from a hidden one, whose value must not leak into the input).
    pool = real & ~hidden
    n_pool = pool.sum(dim=1)
    pool_first = torch.argsort((~pool).to(torch.int8), dim=1, stable=True)
    u = torch.rand((n, length), generator=generator, device=dev)
    pick = torch.floor(u * n_pool.clamp(min=1)[:, None].to(u.dtype)).to(torch.long)
    pick = pick.clamp(max=length - 1)
    src = torch.gather(pool_first, 1, pick)
    rand_mag = torch.gather(x[..., 1], 1, src)
    xin[..., 1] = torch.where(randomized, rand_mag, xin[..., 1])
    xin[..., 1] = torch.where(hidden, torch.zeros_like(target), xin[..., 1])
    xin[..., 2] = torch.where(hidden, torch.zeros_like(target), xin[..., 2])
    attend = real & ~hidden
    return MaskedBatch(xin, attend, target, chosen, hidden, randomized, kept)


def masked_rmse(
    pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor
) -> torch.Tensor:
    """ASTROMER's loss: square root of the mean over windows of the masked MSE.

    ``sqrt(mean_i(sum_l w_il (y_il - p_il)^2 / sum_l w_il))``, averaged over the
    windows that have at least one weighted observation.

    Parameters
    ----------
    pred, target : Tensor of shape (n, L)
        Reconstructed and true magnitudes.
    weight : Tensor of shape (n, L)
        1 (or True) on the observations in the loss.

    Returns
    -------
    loss : Tensor, scalar
    """
    w = weight.to(pred.dtype)
    per = (w * (pred - target) ** 2).sum(dim=1)
    cnt = w.sum(dim=1)
    ok = cnt > 0
    if not bool(ok.any()):
        return pred.sum() * 0.0
    return torch.sqrt((per[ok] / cnt[ok]).mean())


class ReconstructionHead(nn.Module):
    """Per-observation magnitude regressor on top of the encoder's outputs.

    Parameters
    ----------
    d_model : int
        Width of the encoder's outputs.
    hidden : int, default=0
        Width of an optional hidden layer (0: a single linear layer, as
        ASTROMER's decoder).
    """

    def __init__(self, d_model: int, hidden: int = 0):
        super().__init__()
        self.d_model = int(d_model)
        self.hidden = int(hidden)
        if hidden:
            self.net = nn.Sequential(nn.Linear(d_model, hidden), nn.GELU(), nn.Linear(hidden, 1))
        else:
            self.net = nn.Linear(d_model, 1)

    def config(self) -> dict:
        """Return the constructor arguments (``d_model``, ``hidden``)."""
        return {"d_model": self.d_model, "hidden": self.hidden}

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """Map ``(n, L, d_model)`` encoder outputs to ``(n, L)`` magnitudes."""
        return self.net(h).squeeze(-1)
