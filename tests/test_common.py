"""Common checks for every public estimator of sklearn_lc.

Discovers every estimator exported in ``sklearn_lc.__all__`` and runs the
sklearn checks that apply to ragged input plus the project's own checks
(``sklearn_lc.utils.estimator_checks``), with each class's cheap
``_get_test_params()``.
"""

from sklearn.base import clone

from sklearn_lc.utils.discovery import all_estimators
from sklearn_lc.utils.estimator_checks import parametrize_lc_checks


def _instances():
    out = []
    for _, cls in all_estimators():
        params = cls._get_test_params() if hasattr(cls, "_get_test_params") else {}
        out.append(cls(**params))
    return out


def test_discovery_finds_the_public_estimators():
    names = {name for name, _ in all_estimators()}
    assert "WindowPad" in names
    for name, cls in all_estimators():
        assert hasattr(cls, "_get_test_params"), f"{name} has no _get_test_params()"


@parametrize_lc_checks(_instances())
def test_estimator_checks(estimator, check):
    check(clone(estimator))
