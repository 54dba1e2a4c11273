"""Shared fixtures: real survey data (skipped only when ../shared/data is absent)."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

from sklearn_lc.datasets import get_data_home, load_light_curves, make_light_curves  # noqa: E402


def _have(name: str) -> bool:
    return any((d / name / f"{name}.npz").is_file() for d in get_data_home())


def _load_or_skip(name: str, **kwargs):
    if not _have(name):
        pytest.skip(f"real data set {name!r} not found (../shared/data absent)")
    return load_light_curves(name, **kwargs)


_REAL_DATA_FIXTURES = {"crts", "crts_small", "asas", "sdss"}


def pytest_collection_modifyitems(config, items):
    """Mark every test that reads ../shared/data as ``realdata`` (``-m "not realdata"``)."""
    for item in items:
        if _REAL_DATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.realdata)


@pytest.fixture(scope="session")
def crts():
    """The full CRTS set (9,213 stars), loaded once per session."""
    return _load_or_skip("crts_drake14")


@pytest.fixture(scope="session")
def crts_small(crts):
    """40 CRTS stars of 4 classes (10 each), with labels and groups."""
    rng = np.random.RandomState(0)
    idx = []
    for cls in ("EW", "EA", "RRab", "RRc"):
        members = np.flatnonzero(crts.target == cls)
        idx.extend(rng.choice(members, 10, replace=False))
    idx = np.sort(np.asarray(idx))
    return (
        [crts.light_curves[i] for i in idx],
        crts.target[idx],
        crts.group[idx],
    )


@pytest.fixture(scope="session")
def asas():
    return _load_or_skip("asas_richards12")


@pytest.fixture(scope="session")
def sdss():
    return _load_or_skip("sdss_s82_rrlyrae")


@pytest.fixture(scope="session")
def synthetic():
    """60 simulated stars, 10 per class."""
    return make_light_curves(10, random_state=0)
