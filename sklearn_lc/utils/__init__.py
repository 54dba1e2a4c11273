"""Utilities: the light-curve input contract and estimator discovery."""

from ._validation import check_light_curves, from_long_frame, to_padded_array

__all__ = ["check_light_curves", "from_long_frame", "to_padded_array"]
