"""Former home of the period search, now :mod:`sklearn_lc.periodogram` (kept for old imports)."""

from ..periodogram import (  # noqa: F401
    MAX_N_FREQUENCIES,
    fft_backend,
    ls_best_frequency,
    ls_grid,
    ls_power,
)
from ..periodogram import _fftw_length, _FFTW_ODD, _MAX_PLANS, _PLANS  # noqa: F401
