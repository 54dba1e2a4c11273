"""Version of sklearn_lc."""

__version__ = "0.2.0"
