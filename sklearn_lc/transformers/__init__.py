"""Transformers: light curves in, fixed-shape float32 arrays out."""

from importlib import import_module
from typing import Any

from ._dmdt import DmDtImage
from ._features import (
    FEATURE_NAMES,
    PERIOD_DETAIL_NAMES,
    SECOND_PERIOD_NAMES,
    FeatureExtractor,
)
from ._fold import BIN_CHANNELS, FeatureFold, PhaseFold
from ._histogram import FreedmanDiaconisHist
from ._windows import WINDOW_CHANNELS, WindowPad

# defined in sklearn_lc.transfer (it needs torch): resolved on first use
_LAZY = {"EncoderEmbedding": "sklearn_lc.transfer._embedding"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sklearn_lc.transformers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BIN_CHANNELS",
    "FEATURE_NAMES",
    "PERIOD_DETAIL_NAMES",
    "SECOND_PERIOD_NAMES",
    "WINDOW_CHANNELS",
    "DmDtImage",
    "EncoderEmbedding",
    "FeatureExtractor",
    "FeatureFold",
    "FreedmanDiaconisHist",
    "PhaseFold",
    "WindowPad",
]
