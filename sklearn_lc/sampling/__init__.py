"""Resampling of ragged light-curve collections (imbalanced-learn compatible)."""

from ._ragged import RaggedResampler, leaked_duplicates

__all__ = ["RaggedResampler", "leaked_duplicates"]
