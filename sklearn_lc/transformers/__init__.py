"""Transformers: light curves in, fixed-shape float32 arrays out."""

from ._dmdt import DmDtImage
from ._features import FEATURE_NAMES, SECOND_PERIOD_NAMES, FeatureExtractor
from ._fold import BIN_CHANNELS, FeatureFold, PhaseFold
from ._histogram import FreedmanDiaconisHist
from ._windows import WINDOW_CHANNELS, WindowPad

__all__ = [
    "BIN_CHANNELS",
    "FEATURE_NAMES",
    "SECOND_PERIOD_NAMES",
    "WINDOW_CHANNELS",
    "DmDtImage",
    "FeatureExtractor",
    "FeatureFold",
    "FreedmanDiaconisHist",
    "PhaseFold",
    "WindowPad",
]
