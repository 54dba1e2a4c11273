"""Utilities: the light-curve input contract and estimator discovery."""

from ._validation import (
    LightCurveError,
    LightCurveTypeError,
    check_light_curves,
    from_long_frame,
    to_padded_array,
)

__all__ = [
    "LightCurveError",
    "LightCurveTypeError",
    "check_light_curves",
    "from_long_frame",
    "to_padded_array",
]
