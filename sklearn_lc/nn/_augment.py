"""Training-time augmentation of light-curve tensors, pure torch.

Modules that change their input only in training mode (``module.train()``)
and are the identity in evaluation mode, so that a network that contains one
augments every training batch and predicts on the data as given. They draw
from torch's global random generator, which the estimators seed from
``random_state`` for the duration of ``fit`` (as they do for dropout), so
two fits with the same seed see the same augmented batches.

- :class:`SequenceAugment`: WindowPad windows ``(n, L, 4+)`` (channels time,
  mag, err, mask; real observations first): magnitudes resampled within
  their errors, observations dropped at random (the rest moved up, so that
  real points stay first), and, for folded windows whose time is a phase, a
  random phase shift.
- :class:`BinnedAugment`: phase-binned folds ``(n, n_bins, 5)``
  (:data:`~sklearn_lc.transformers.BIN_CHANNELS`): bin medians resampled
  within their errors, filled bins dropped (emptied and interpolated from
  their neighbours) and a random circular shift of the bins.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["BinnedAugment", "SequenceAugment"]

TIME, MAG, ERR, MASK, SCATTER = 0, 1, 2, 3, 4


class _Augment(nn.Module):
    """What the augmentations share: their three strengths, and the identity in eval mode."""

    def __init__(self, noise: float = 0.0, drop: float = 0.0, phase_shift: float = 0.0):
        super().__init__()
        self.noise = float(noise)
        self.drop = float(drop)
        self.phase_shift = float(phase_shift)

    def active(self) -> bool:
        """Whether any augmentation is configured."""
        return self.noise > 0 or self.drop > 0 or self.phase_shift > 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the augmented input (a new tensor) in training mode, ``x`` otherwise."""
        if not self.training or not self.active():
            return x
        return self._augment(x.clone())

    def _augment(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def extra_repr(self) -> str:  # noqa: D102
        return f"noise={self.noise}, drop={self.drop}, phase_shift={self.phase_shift}"


class SequenceAugment(_Augment):
    """Augment WindowPad windows in training mode (identity in evaluation mode).

    Parameters
    ----------
    noise : float, default=0.0
        Each real magnitude gets ``noise * err * N(0, 1)`` added (1: resampled
        within its error bar).
    drop : float, default=0.0
        Probability that a real observation is dropped (at least one is
        kept). Dropped rows are removed and the others moved up, so real
        observations stay first; freed rows become padding (all zeros).
    phase_shift : float, default=0.0
        For folded windows (time = phase, e.g. ``PhaseFold`` then
        ``WindowPad``): shift every phase by one ``U(-phase_shift,
        phase_shift)`` draw per window, wrap it into ``[0, 1)``, re-sort the
        real observations by phase and re-centre the time channel on its
        mean (WindowPad's convention). 0: no shift; 0.5: any shift.
    """

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        """Augment a copy of the windows in place and return it."""
        real = x[..., MASK] > 0.5
        n, L = real.shape
        if self.noise > 0:
            eps = torch.randn(n, L, device=x.device, dtype=x.dtype)
            x[..., MAG] = torch.where(real, x[..., MAG] + self.noise * x[..., ERR] * eps,
                                      x[..., MAG])
        keep = real
        if self.drop > 0:
            keep = real & (torch.rand(n, L, device=x.device) >= self.drop)
            # keep at least the first real observation of every window
            none = ~keep.any(dim=1) & real.any(dim=1)
            if bool(none.any()):
                first = torch.argmax(real.to(torch.int8), dim=1)
                keep[none, first[none]] = True
        t = x[..., TIME]
        if self.phase_shift > 0:
            u = (torch.rand(n, 1, device=x.device, dtype=x.dtype) * 2 - 1) * self.phase_shift
            t = torch.remainder(t + u, 1.0)
        if self.drop > 0 or self.phase_shift > 0:
            # kept observations first, in (shifted) time order; the rest become padding
            big = torch.finfo(x.dtype).max
            key = torch.where(keep, t, torch.full_like(t, big))
            order = torch.sort(key, dim=1, stable=True).indices
            x = torch.gather(x, 1, order.unsqueeze(-1).expand_as(x))
            t = torch.gather(t, 1, order)
            keep = torch.gather(keep, 1, order)
            x[..., TIME] = t
            x = x * keep.unsqueeze(-1).to(x.dtype)
            if self.phase_shift > 0:
                w = keep.to(x.dtype)
                mean = (x[..., TIME] * w).sum(1, keepdim=True) / w.sum(1, keepdim=True).clamp_min(1)
                x[..., TIME] = (x[..., TIME] - mean) * w
            x[..., MASK] = keep.to(x.dtype)
        return x


class BinnedAugment(_Augment):
    """Augment phase-binned folds ``(n, n_bins, C)`` in training mode.

    Channels follow :data:`~sklearn_lc.transformers.BIN_CHANNELS` (phase,
    mag, err, mask, scatter; ``C >= 4``).

    Parameters
    ----------
    noise : float, default=0.0
        Each bin's magnitude gets ``noise * err * N(0, 1)`` added (the err
        channel is the error of the bin's median).
    drop : float, default=0.0
        Probability that a filled bin is emptied: its mask (and scatter)
        set to 0 and its magnitude replaced by the mean of its two circular
        neighbours.
    phase_shift : float, default=0.0
        Roll every fold by a random whole number of bins, up to
        ``phase_shift`` of a cycle either way (0.5: any shift). The phase
        channel (the bin centres) is left in place.
    """

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        """Augment a copy of the folds in place and return it."""
        n, L, C = x.shape
        if self.noise > 0:
            x[..., MAG] = x[..., MAG] + self.noise * x[..., ERR] * torch.randn(
                n, L, device=x.device, dtype=x.dtype)
        if self.drop > 0:
            filled = x[..., MASK] > 0.5
            gone = filled & (torch.rand(n, L, device=x.device) < self.drop)
            neigh = 0.5 * (torch.roll(x[..., MAG], 1, dims=1) + torch.roll(x[..., MAG], -1, dims=1))
            x[..., MAG] = torch.where(gone, neigh, x[..., MAG])
            x[..., MASK] = torch.where(gone, torch.zeros_like(x[..., MASK]), x[..., MASK])
            if C > SCATTER:
                x[..., SCATTER] = torch.where(gone, torch.zeros_like(x[..., SCATTER]),
                                              x[..., SCATTER])
        if self.phase_shift > 0:
            most = int(round(self.phase_shift * L))
            if most > 0:
                shift = torch.randint(-most, most + 1, (n, 1), device=x.device)
                idx = torch.remainder(torch.arange(L, device=x.device).unsqueeze(0) - shift, L)
                phase = x[..., TIME].clone()
                x = torch.gather(x, 1, idx.unsqueeze(-1).expand(n, L, C))
                x[..., TIME] = phase
        return x
