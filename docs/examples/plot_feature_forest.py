"""
A random forest on variability features
=======================================

The classical approach, and the one of ``sklearn-lc demo``: 16 UPSILoN
features per star from :class:`~sklearn_lc.FeatureExtractor` (period,
Fourier amplitude ratios and phases, folded-curve statistics, moments), then
a random forest. Here on 100 CRTS stars of each of the seven classes of
Mahabal et al. (2017), with a group-aware held-out quarter.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline

from sklearn_lc import FeatureExtractor, load_light_curves, make_light_curves
from sklearn_lc.plot import plot_confusion_matrix, plot_f1_bars

classes = ["EW", "EA", "RRab", "RRc", "RRd", "RS_CVn", "LPV"]
rng = np.random.RandomState(0)
try:
    data = load_light_curves("crts_drake14", classes=classes)
    keep = np.sort(np.concatenate(
        [rng.choice(np.flatnonzero(data.target == c), 100, replace=False) for c in classes]))
    X = [data.light_curves[i] for i in keep]
    y, groups = data.target[keep], data.group[keep]
except FileNotFoundError:  # the simulator has five of these classes
    X, y = make_light_curves(100, classes=["EW", "EA", "RRab", "RRc", "LPV"], random_state=0)
    y, groups = np.asarray(y), np.arange(len(y))

train, test = next(StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=0)
                   .split(X, y, groups))
X_train, X_test = [X[i] for i in train], [X[i] for i in test]

# %%
# Fit and score
# -------------
forest = make_pipeline(
    FeatureExtractor(n_jobs=-1),
    RandomForestClassifier(n_estimators=300, class_weight="balanced", random_state=0),
)
forest.fit(X_train, y[train])
# forest.predict(X_test) would do; the features are kept here for the plots below
F_test = forest[0].transform(X_test)
y_pred = forest[-1].predict(F_test)
print(f"accuracy {np.mean(y_pred == y[test]):.3f} on {len(test)} held-out stars")

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
plot_confusion_matrix(y[test], y_pred, ax=axes[0])
plot_f1_bars(y[test], y_pred, ax=axes[1])
fig.tight_layout()

# %%
# Which features matter
# ---------------------
# The forest's impurity importances, by the feature names of the extractor.
names = forest[0].get_feature_names_out()
importance = forest[-1].feature_importances_
order = np.argsort(importance)
fig, ax = plt.subplots(figsize=(5, 4.5))
ax.barh(np.asarray(names)[order], importance[order])
ax.set_xlabel("mean decrease in impurity")
fig.tight_layout()

# %%
# Periods recovered
# -----------------
# RR Lyrae pulsate in about half a day; contact binaries (EW) show two
# minima per orbit, so the periodogram finds half their orbital period.
period = F_test[:, list(names).index("period")]
fig, ax = plt.subplots(figsize=(7, 3.5))
for cls in np.unique(y):
    p = period[y[test] == cls]
    ax.hist(np.log10(p[p > 0]), bins=30, histtype="step", label=cls)
ax.set_xlabel("log10(period / d)")
ax.legend(ncol=2, fontsize=8)
plt.show()
