"""
Sequence models on windows of observations
==========================================

:class:`~sklearn_lc.WindowPad` cuts each light curve to a fixed window of
observations, with a channel that marks real observations (1) and padding
(0). :class:`~sklearn_lc.CNNLSTMClassifier` and
:class:`~sklearn_lc.TransformerClassifier` read such windows as sequences.

This example trains a small CNN-LSTM for a few seconds only, to show the
API, the training curves and saving without pickle. Sequence models need far
more data and epochs than this to be competitive on CRTS (the published
CNN-LSTM reaches 67% accuracy on seven classes).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import make_pipeline

from sklearn_lc import CNNLSTMClassifier, WindowPad, load_light_curves, make_light_curves
from sklearn_lc.plot import plot_history

classes = ["RRab", "RRc", "EW", "EA"]
rng = np.random.RandomState(0)
try:
    data = load_light_curves("crts_drake14", classes=classes)
    keep = np.sort(np.concatenate(
        [rng.choice(np.flatnonzero(data.target == c), 100, replace=False) for c in classes]))
    X = [data.light_curves[i] for i in keep]
    y, groups = data.target[keep], data.group[keep]
except FileNotFoundError:
    X, y = make_light_curves(100, classes=classes, random_state=0)
    y, groups = np.asarray(y), np.arange(len(y))

# %%
# What a window holds
# -------------------
# Time and magnitude have their mean over the real points subtracted; a star
# with fewer points than ``window`` is zero-padded after its last point.
windows = WindowPad(window=400).fit_transform(X)
short = int(np.argmin([len(t) for t, _, _ in X]))
fig, ax = plt.subplots(figsize=(8, 3))
for k, name in enumerate(["time", "mag", "err", "mask"]):
    values = windows[short, :, k]
    ax.plot(values / (np.abs(values).max() or 1), label=name)
ax.set_xlabel("position in the window")
ax.set_ylabel("channel / max |channel|")
ax.set_title(f"star with {len(X[short][0])} points, window of 400")
ax.legend(ncol=4)

# %%
# Train, look at the curves
# -------------------------
train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
                   .split(X, y, groups))
clf = make_pipeline(
    WindowPad(window=200),
    CNNLSTMClassifier(max_epochs=10, lr=3e-3, module__n_filters=16, module__hidden_size=32,
                      class_weight="balanced", random_state=0),
)
clf.fit([X[i] for i in train], y[train])
print(f"test accuracy after {len(clf[-1].history_)} epochs: "
      f"{clf.score([X[i] for i in test], y[test]):.3f} (chance: 0.25)")
plot_history(clf)

# %%
# Save and load without pickle
# ----------------------------
# The network's weights go to a safetensors file, its parameters to JSON.
import tempfile  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    clf[-1].save(tmp)
    again = CNNLSTMClassifier.load(tmp)
    Xw = clf[0].transform([X[i] for i in test])
    print("same probabilities after loading:",
          np.allclose(again.predict_proba(Xw), clf[-1].predict_proba(Xw)))
plt.show()
