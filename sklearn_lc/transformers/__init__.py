"""Transformers: light curves in, fixed-shape float32 arrays out."""

from ._dmdt import DmDtImage
from ._histogram import FreedmanDiaconisHist
from ._windows import WINDOW_CHANNELS, WindowPad

__all__ = ["WINDOW_CHANNELS", "DmDtImage", "FreedmanDiaconisHist", "WindowPad"]
