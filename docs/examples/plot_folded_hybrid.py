"""
Folded light curves and the hybrid network
==========================================

A survey like CRTS visits a star a few hundred times over years: a period of
hours shows only once the curve is folded, time replaced by the phase
``(t / P) mod 1``. :class:`~sklearn_lc.PhaseFold` folds each star at its own
period (the package's period search, or periods you give), as folded light
curves or as fixed phase bins. :class:`~sklearn_lc.FeatureFold` returns the
variability features and the binned fold side by side from one period
search, the input of :class:`~sklearn_lc.HybridClassifier`: one network with
a feature branch and a folded-curve branch.

This example trains a small hybrid network for a few seconds, to show the
API; the benchmark suite has the full CRTS results. It takes about half a
minute on a 2-core machine, most of it the period search of 240 stars (twice:
once for the plots, once inside the pipeline).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import make_pipeline

from sklearn_lc import (
    FeatureFold,
    HybridClassifier,
    PhaseFold,
    load_light_curves,
    make_light_curves,
)
from sklearn_lc.periodogram import find_periods

classes = ["RRab", "RRc", "EW", "EA"]
rng = np.random.RandomState(0)
try:
    data = load_light_curves("crts_drake14", classes=classes)
    keep = np.sort(np.concatenate(
        [rng.choice(np.flatnonzero(data.target == c), 60, replace=False) for c in classes]))
    X = [data.light_curves[i] for i in keep]
    y, groups = data.target[keep], data.group[keep]
except FileNotFoundError:
    X, y = make_light_curves(60, classes=classes, random_state=0)
    y, groups = np.asarray(y), np.arange(len(y))

# %%
# Folded curves and phase bins
# ----------------------------
# The period search runs once (:func:`sklearn_lc.periodogram.find_periods`,
# the robust search that ``FeatureExtractor`` uses: eclipsing binaries come
# out at their orbit, so a fold at the period shows both eclipses) and both
# folds reuse its periods. ``align="faintest"`` puts the faintest point of a
# harmonic fit at phase 0, so that the stars of a class line up; the robust
# search's periods are already refined (``refine=False``).
periods = find_periods(X)
fold = dict(align="faintest")
folded = PhaseFold(period=periods, refine=False, **fold).fit_transform(X)
binned = PhaseFold(period=periods, refine=False, output="binned", n_bins=64,
                   **fold).fit_transform(X)

fig, axes = plt.subplots(1, len(classes), figsize=(12, 3), sharey=True)
for ax, c in zip(axes, classes):
    i = int(np.flatnonzero(y == c)[0])
    phase, mag, err = folded[i]
    centre, scale = np.median(mag), np.subtract(*np.percentile(mag, [95, 5])) / 2
    ax.plot(phase, (mag - centre) / scale, ".", ms=3, alpha=0.5, label="folded points")
    ax.plot(binned[i, :, 0], binned[i, :, 1], "-", label="bin medians")
    ax.set_title(c)
    ax.set_xlabel("phase")
axes[0].invert_yaxis()
axes[0].set_ylabel("normalised magnitude")
axes[0].legend(fontsize=7)
fig.tight_layout()

# %%
# The hybrid network
# ------------------
# ``FeatureFold`` writes one float32 row per star, ``[21 features | 64 bins x
# 5 channels]``; ``sequence_shape`` tells the network where the sequence
# starts. The features are normalised inside the network (quantiles learned
# in ``fit``); training-time augmentation resamples the bins within their
# errors, drops bins and shifts the phase a little.
train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
                   .split(X, y, groups))
clf = make_pipeline(
    FeatureFold(n_bins=64, **fold),
    HybridClassifier(sequence_shape=(64, 5), max_epochs=15, lr=2e-3, batch_size=32,
                     class_weight="balanced", lr_schedule="cosine", early_stopping=False,
                     module__augment_noise=1.0, module__augment_drop=0.1,
                     module__augment_phase_shift=0.05, module__dropout=0.3,
                     random_state=0),
)
clf.fit([X[i] for i in train], y[train])
print(f"test accuracy: {clf.score([X[i] for i in test], y[test]):.3f} (chance: 0.25)")
plt.show()
