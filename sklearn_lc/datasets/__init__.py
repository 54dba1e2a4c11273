"""Loaders for real survey light curves and a seeded simulator."""

from ._base import KNOWN_DATASETS, get_data_home, load_light_curves
from ._synthetic import SYNTHETIC_CLASSES, make_light_curves

__all__ = [
    "KNOWN_DATASETS",
    "SYNTHETIC_CLASSES",
    "get_data_home",
    "load_light_curves",
    "make_light_curves",
]
