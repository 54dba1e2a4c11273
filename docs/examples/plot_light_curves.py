"""
Light curves, raw and folded
============================

Load a few CRTS stars of four classes, and plot each one as observed (years of
irregular, seasonal sampling) and folded at its Lomb-Scargle period, where the
shape of the variability shows.
"""

# %%
# Load the data
# -------------
# :func:`~sklearn_lc.load_light_curves` finds ``../shared/data`` beside the
# checkout; without it we simulate similar stars.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_lc import load_light_curves, make_light_curves
from sklearn_lc.plot import estimate_period, plot_light_curve

classes = ["RRab", "RRc", "EW", "EA"]
try:
    data = load_light_curves("crts_drake14", classes=classes)
    X, y = data.light_curves, data.target
    source = "CRTS"
except FileNotFoundError:
    X, y = make_light_curves(3, classes=classes, random_state=0)
    source = "simulated"
y = np.asarray(y)
print(f"{source}: {len(X)} stars, median {np.median([len(t) for t, _, _ in X]):.0f} points")

# %%
# One star per class
# ------------------
# The period is estimated with :func:`~sklearn_lc.plot.estimate_period`. A
# sinusoidal periodogram finds half the orbital period of eclipsing binaries,
# so EW and EA stars are folded at twice that period.
fig, axes = plt.subplots(len(classes), 2, figsize=(10, 2.6 * len(classes)))
for row, cls in zip(axes, classes):
    lc = X[int(np.flatnonzero(y == cls)[0])]
    period = estimate_period(lc, min_period=0.1)
    if cls in ("EW", "EA"):
        period *= 2
    plot_light_curve(lc, period=period, ax=row)
    row[0].set_title(f"{cls}: {len(lc[0])} points")
fig.tight_layout()
plt.show()
