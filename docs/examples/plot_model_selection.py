"""
Grid search, resampling and stacking
====================================

Every sklearn_lc pipeline takes light curves in ``fit`` and ``predict``, so
scikit-learn's model selection and ensembles, and imbalanced-learn's
samplers, work on stars directly. Here on 5 CRTS classes, with the
catalogue's ``group`` array so that a star listed twice never sits on both
sides of a split.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline as make_imblearn_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.ensemble import RandomForestClassifier, StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_lc import (
    CNNClassifier,
    DmDtImage,
    RaggedResampler,
    load_light_curves,
    make_light_curves,
)
from sklearn_lc.plot import plot_f1_bars

classes = ["RRab", "RRc", "EW", "EA", "LPV"]
rng = np.random.RandomState(0)
try:
    data = load_light_curves("crts_drake14", classes=classes)
    # an imbalanced sample: 100 stars of each class but 30 LPV
    keep = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(data.target == c), 30 if c == "LPV" else 100, replace=False)
        for c in classes]))
    X = [data.light_curves[i] for i in keep]
    y, groups = data.target[keep], data.group[keep]
except FileNotFoundError:
    X, y = make_light_curves(60, classes=classes, random_state=0)
    y, groups = np.asarray(y), np.arange(len(y))
print({str(c): int(n) for c, n in zip(*np.unique(y, return_counts=True))})
cv = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)

# %%
# Grid search over a transformer and a classifier parameter
# ---------------------------------------------------------
# ``DmDtImage(flatten=True)`` gives one row of 506 pixels per star for the
# forest. Parameter names follow the pipeline's step names; ``groups`` goes to
# the splitter.
pipe = make_pipeline(DmDtImage(flatten=True),
                     RandomForestClassifier(n_estimators=60, random_state=0))
grid = GridSearchCV(
    pipe,
    {"dmdtimage__normalize": ["mahabal", "density"],
     "randomforestclassifier__min_samples_leaf": [1, 3]},
    cv=cv, scoring="f1_macro", error_score="raise",
)
grid.fit(X, y, groups=groups)
print("best:", grid.best_params_, f"macro-F1 {grid.best_score_:.3f}")

# %%
# Oversampling the rare class
# ---------------------------
# imbalanced-learn samplers go in an imbalanced-learn pipeline, after the step
# that makes a table (SMOTE interpolates between rows); they run during
# ``fit`` only.
smote = make_imblearn_pipeline(DmDtImage(flatten=True), SMOTE(random_state=0),
                               RandomForestClassifier(n_estimators=60, random_state=0))
# :class:`~sklearn_lc.RaggedResampler` resamples the light curves themselves,
# before any transformer (here: random under-sampling to the rarest class).
under = make_imblearn_pipeline(
    RaggedResampler(RandomUnderSampler(random_state=0)), DmDtImage(flatten=True),
    RandomForestClassifier(n_estimators=60, random_state=0))
for name, model in [("forest", pipe), ("SMOTE + forest", smote),
                    ("under-sampled", under)]:
    scores = cross_val_score(model, X, y, groups=groups, cv=cv, scoring="f1_macro",
                             error_score="raise")
    print(f"{name:>15s}: macro-F1 {scores.mean():.3f} +- {scores.std():.3f}")

# %%
# Stacking a forest and a CNN
# ---------------------------
# Both members read light curves; the logistic regression on top learns
# from their cross-validated probabilities.
train, test = next(cv.split(X, y, groups))
X_train, X_test = [X[i] for i in train], [X[i] for i in test]
stack = StackingClassifier(
    [("forest", make_pipeline(DmDtImage(flatten=True),
                              RandomForestClassifier(n_estimators=60, random_state=0))),
     ("cnn", make_pipeline(DmDtImage(), CNNClassifier(max_epochs=8, random_state=0)))],
    final_estimator=LogisticRegression(max_iter=1000), cv=3,
)
stack.fit(X_train, y[train])
print(f"stacked test accuracy: {stack.score(X_test, y[test]):.3f}")
plot_f1_bars(stack, X_test, y[test])
plt.show()
