"""
dm-dt images and a 2-D CNN
==========================

:class:`~sklearn_lc.DmDtImage` turns each light curve into the 2-D histogram
of the magnitude differences (dm) and time differences (dt) of all its pairs
of points (Mahabal et al. 2017); a :class:`~sklearn_lc.CNNClassifier` learns
from these images. Here: 200 CRTS stars of each of four classes, a
group-aware split and 25 epochs on a CPU.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import make_pipeline

from sklearn_lc import CNNClassifier, DmDtImage, load_light_curves, make_light_curves
from sklearn_lc.plot import (
    plot_class_medians,
    plot_confusion_matrix,
    plot_dmdt,
    plot_f1_bars,
    plot_history,
)

classes = ["RRab", "RRc", "EW", "EA"]
rng = np.random.RandomState(0)
try:
    data = load_light_curves("crts_drake14", classes=classes)
    keep = np.sort(np.concatenate(
        [rng.choice(np.flatnonzero(data.target == c), 200, replace=False) for c in classes]))
    X = [data.light_curves[i] for i in keep]
    y, groups = data.target[keep], data.group[keep]
except FileNotFoundError:
    X, y = make_light_curves(200, classes=classes, random_state=0)
    y, groups = np.asarray(y), np.arange(len(y))

# %%
# The image of one star
# ---------------------
# Rows are dm bins (signed: a brightening gives negative dm), columns are dt
# bins from minutes to years. With the default ``normalize="mahabal"`` each
# pixel holds ``255 * count / n_pairs``, rounded up.
dmdt = DmDtImage()
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for ax, cls in zip(axes, ["RRab", "EA"]):
    plot_dmdt(X[int(np.flatnonzero(y == cls)[0])], transformer=dmdt, ax=ax)
    ax.set_title(cls)
fig.tight_layout()

# %%
# Median image of each class
# --------------------------
images = dmdt.fit_transform(X)
print(images.shape, images.dtype)
plot_class_medians(images, y)

# %%
# A CNN on the images
# -------------------
# The pipeline takes light curves; the image step runs inside it, so
# cross-validation and grid search see light curves too.
train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
                   .split(X, y, groups))
X_train, X_test = [X[i] for i in train], [X[i] for i in test]
clf = make_pipeline(DmDtImage(),
                    CNNClassifier(max_epochs=25, class_weight="balanced", random_state=0))
clf.fit(X_train, y[train])
print(f"test accuracy: {clf.score(X_test, y[test]):.3f}")

# %%
# Training curves, confusion matrix and per-class F1
# --------------------------------------------------
y_pred = clf.predict(X_test)
fig, axes = plt.subplots(1, 3, figsize=(14, 4))
plot_history(clf, ax=axes[0])
plot_confusion_matrix(y[test], y_pred, ax=axes[1])
plot_f1_bars(y[test], y_pred, ax=axes[2])
fig.tight_layout()
plt.show()
