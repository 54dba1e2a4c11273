"""RaggedResampler: index-based resampling of light curves, before any transformer."""

from __future__ import annotations

from typing import Any

import numpy as np
from imblearn.base import SamplerMixin
from imblearn.over_sampling import RandomOverSampler
from sklearn.base import BaseEstimator, clone
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import check_classification_targets

from ..utils._validation import check_light_curves

__all__ = ["RaggedResampler", "leaked_duplicates"]


class RaggedResampler(SamplerMixin, BaseEstimator):
    """Over- or under-sample light curves of any accepted form, by index.

    imbalanced-learn samplers validate ``X`` as a 2-D numeric array, so a list
    of ``(t, m, err)`` tuples or a NaN-padded 3-D array cannot go through
    ``RandomOverSampler`` directly. This sampler fits the wrapped,
    index-selecting sampler on the star indices ``np.arange(n).reshape(-1, 1)``
    and returns the selected light curves themselves, in the form they came
    in: a list stays a list, a one-row-per-star DataFrame stays a DataFrame
    (index labels kept, so duplicated stars keep their original label), a
    3-D or object ndarray stays an ndarray. Place it as the first step of an
    :class:`imblearn.pipeline.Pipeline`, before any transformer; like every
    imbalanced-learn sampler it runs only in ``fit``: ``predict``,
    ``transform`` and ``score`` of the pipeline see every star exactly once.

    Synthetic-sample generators (SMOTE and friends) need numeric features:
    put them *after* a feature transformer instead
    (``make_pipeline(DmDtImage(flatten=True), SMOTE(), clf)``).

    **Duplicates and validation splits.** Over-sampling copies minority stars.
    If the resampled set then reaches an estimator that holds out its own
    validation split (the deep estimators' ``validation_fraction``, skorch's
    ``ValidSplit``), copies of one star can land on both sides of that split,
    and early stopping / best-epoch selection is then judged on stars the net
    was trained on. sklearn_lc's recommendations, in order:

    1. do not resample for the deep estimators; use ``class_weight="balanced"``
       (cost-sensitive loss, every star once, so no copy can leak);
    2. or resample, but set ``validation_fraction=None`` and evaluate with an
       outer (group-aware) cross-validation instead of the internal split;
    3. or, when resampling by hand, keep the copies of a star together:
       ``sample_indices_`` names the original star of every output row, so
       passing it as ``groups`` to a group splitter (for example
       ``train_split=ValidSplit(GroupShuffleSplit(n_splits=1, test_size=0.2))``
       and ``net.fit(X_res, y_res, groups=resampler.sample_indices_)``) gives
       a leak-free split. :func:`leaked_duplicates` lists the stars that
       appear on both sides of any given split, to check.

    Parameters
    ----------
    sampler : imbalanced-learn sampler or None, default=None
        An index-selecting sampler, i.e. one exposing ``sample_indices_`` after
        ``fit_resample`` and not looking at feature values
        (``RandomOverSampler``, ``RandomUnderSampler``). ``None`` means
        ``RandomOverSampler(sampling_strategy=sampling_strategy,
        random_state=random_state)``. It is cloned, never modified.
    sampling_strategy : float, str, dict or callable, default="auto"
        imbalanced-learn's ``sampling_strategy``. With an explicit
        ``sampler``, a value other than ``"auto"`` overrides the sampler's own.
    random_state : int, RandomState instance or None, default=None
        Seed of the sampler. With an explicit ``sampler``, a value other than
        ``None`` overrides the sampler's own.

    Attributes
    ----------
    sampler_ : imbalanced-learn sampler
        The fitted clone of the wrapped sampler.
    sample_indices_ : ndarray of shape (n_resampled,)
        For each output row, the index of the input star it is (a copy of).
    duplicated_indices_ : ndarray of int
        Input stars that appear more than once in the output (sorted).
    sampling_strategy_ : dict
        The fitted sampler's ``sampling_strategy_`` (class -> number of
        samples to add or keep).

    See Also
    --------
    leaked_duplicates : stars shared by the two sides of a split of the
        resampled set.

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn_lc import RaggedResampler, make_light_curves
    >>> X, y = make_light_curves(4, classes=("RRab", "EA"), random_state=0)
    >>> X, y = X[:6], y[:6]
    >>> sorted(Counter(y.tolist()).items())
    [('EA', 2), ('RRab', 4)]
    >>> X_res, y_res = RaggedResampler(random_state=0).fit_resample(X, y)
    >>> type(X_res).__name__, sorted(Counter(y_res.tolist()).items())
    ('list', [('EA', 4), ('RRab', 4)])
    >>> resampler = RaggedResampler(random_state=0).fit(X, y)
    >>> resampler.duplicated_indices_.size  # stars copied to balance the classes
    2
    """

    _sampling_type = "bypass"

    def __init__(
        self,
        sampler: Any = None,
        sampling_strategy: Any = "auto",
        random_state: int | np.random.RandomState | None = None,
    ):
        self.sampler = sampler
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state

    def _make_sampler(self) -> Any:
        if self.sampler is None:
            return RandomOverSampler(
                sampling_strategy=self.sampling_strategy, random_state=self.random_state
            )
        if not hasattr(self.sampler, "fit_resample"):
            raise TypeError(
                f"sampler must be an imbalanced-learn sampler (with fit_resample), got "
                f"{type(self.sampler).__name__}"
            )
        sampler = clone(self.sampler)
        params = sampler.get_params(deep=False)
        if not (isinstance(self.sampling_strategy, str) and self.sampling_strategy == "auto"):
            if "sampling_strategy" not in params:
                raise ValueError(
                    f"{type(sampler).__name__} has no sampling_strategy parameter to override"
                )
            sampler.set_params(sampling_strategy=self.sampling_strategy)
        if self.random_state is not None and "random_state" in params:
            sampler.set_params(random_state=self.random_state)
        return sampler

    def fit_resample(self, X: Any, y: Any, **params: Any) -> tuple[Any, Any]:
        """Resample the light curves; return them in their input form.

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`
            (list of tuples, one-row-per-star DataFrame, NaN-padded 3-D array).
            It is validated (errors name the star) but returned unconverted.
        y : array-like of shape (n_stars,)
            Class labels.
        **params : dict
            Passed to the wrapped sampler's ``fit_resample``.

        Returns
        -------
        X_resampled : same type as X
            The selected light curves (copies for over-sampled stars).
        y_resampled : same type as y
            Their labels.
        """
        lcs = check_light_curves(X)
        n = len(lcs)
        if y is None:
            raise ValueError("RaggedResampler needs class labels y")
        y_arr = np.asarray(y)
        if y_arr.ndim != 1 or y_arr.shape[0] != n:
            raise ValueError(
                f"y must be 1-D with one label per light curve: got shape {y_arr.shape} "
                f"for {n} light curves"
            )
        check_classification_targets(y_arr)
        sampler = self._make_sampler()
        sampler.fit_resample(np.arange(n).reshape(-1, 1), y_arr, **params)
        if not hasattr(sampler, "sample_indices_"):
            raise TypeError(
                f"{type(sampler).__name__} does not expose sample_indices_: RaggedResampler "
                "needs an index-selecting sampler (RandomOverSampler, RandomUnderSampler). "
                "Synthetic generators such as SMOTE need numeric features: put them after a "
                "feature transformer."
            )
        idx = np.asarray(sampler.sample_indices_, dtype=np.intp)
        self.sampler_ = sampler
        self.sample_indices_ = idx
        counts = np.bincount(idx, minlength=n)
        self.duplicated_indices_ = np.flatnonzero(counts > 1)
        self.sampling_strategy_ = getattr(sampler, "sampling_strategy_", {})
        X_res = list(_safe_indexing(list(X), idx)) if isinstance(X, tuple) else _safe_indexing(
            X, idx
        )
        return X_res, _safe_indexing(y, idx)

    def fit(self, X: Any, y: Any, **params: Any) -> RaggedResampler:
        """Fit the sampler (prefer :meth:`fit_resample`).

        Parameters
        ----------
        X : light curves
            Any input accepted by :func:`~sklearn_lc.utils.check_light_curves`.
        y : array-like of shape (n_stars,)
            Class labels.
        **params : dict
            Passed to the wrapped sampler's ``fit_resample``.

        Returns
        -------
        self : RaggedResampler
            The fitted sampler.
        """
        self.fit_resample(X, y, **params)
        return self

    def _fit_resample(self, X: Any, y: Any, **params: Any) -> tuple[Any, Any]:
        # SamplerMixin's abstract hook; fit_resample above does all the work.
        return self.fit_resample(X, y, **params)

    def __sklearn_tags__(self):
        from imblearn.utils._tags import InputTags, SamplerTags, Tags
        from sklearn.utils import TargetTags

        tags = Tags(
            estimator_type="sampler",
            target_tags=TargetTags(required=True),
            transformer_tags=None,
            regressor_tags=None,
            classifier_tags=None,
            sampler_tags=SamplerTags(),
        )
        tags.input_tags = InputTags()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.dataframe = True
        tags.input_tags.allow_nan = True
        return tags

    @classmethod
    def _get_test_params(cls) -> dict:
        return {"random_state": 0}


def leaked_duplicates(
    sample_indices: Any, train_positions: Any, valid_positions: Any
) -> np.ndarray:
    """Return the original stars that appear on both sides of a split of a resampled set.

    Parameters
    ----------
    sample_indices : array-like of int, shape (n_resampled,)
        Original star of each resampled row (``RaggedResampler.sample_indices_``).
    train_positions, valid_positions : array-like of int
        Row positions, in the resampled set, of the training and validation
        parts (for example the indices of skorch's ``ValidSplit`` subsets).

    Returns
    -------
    leaked : ndarray of int
        Sorted original star indices present in both parts; empty when the
        split is leak-free.

    Examples
    --------
    >>> from sklearn_lc.sampling import leaked_duplicates
    >>> leaked_duplicates([0, 1, 2, 2], train_positions=[0, 2], valid_positions=[1, 3])
    array([2])
    """
    s = np.asarray(sample_indices)
    return np.intersect1d(s[np.asarray(train_positions, dtype=np.intp)],
                          s[np.asarray(valid_positions, dtype=np.intp)])
