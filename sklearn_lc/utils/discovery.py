"""Discovery of the public estimators of sklearn_lc, for the common tests."""

from __future__ import annotations

import inspect

from sklearn.base import BaseEstimator

__all__ = ["all_estimators"]


def all_estimators() -> list[tuple[str, type]]:
    """Return every public estimator class exported by :mod:`sklearn_lc`.

    Returns
    -------
    estimators : list of (name, class)
        Sorted by name; abstract classes and private names are excluded.

    Examples
    --------
    >>> from sklearn_lc.utils.discovery import all_estimators
    >>> all(isinstance(name, str) for name, _ in all_estimators())
    True
    """
    import sklearn_lc

    out = []
    for name in sklearn_lc.__all__:
        obj = getattr(sklearn_lc, name)
        if (
            inspect.isclass(obj)
            and issubclass(obj, BaseEstimator)
            and not inspect.isabstract(obj)
            and not name.startswith("_")
        ):
            out.append((name, obj))
    return sorted(out, key=lambda p: p[0])
