"""
One star, every representation
==============================

The transformers of sklearn_lc turn a ragged light curve into a fixed-shape
``float32`` array. This example shows what each makes of the same CRTS RR
Lyrae star.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import sklearn_lc
from sklearn_lc import (
    DmDtImage,
    FreedmanDiaconisHist,
    WindowPad,
    load_light_curves,
    make_light_curves,
)
from sklearn_lc.plot import plot_dmdt, plot_light_curve

try:
    data = load_light_curves("crts_drake14", classes=["RRab", "EW", "EA", "RRc"])
    X, y = data.light_curves[:400], data.target[:400]
except FileNotFoundError:
    X, y = make_light_curves(100, classes=["RRab", "EW", "EA", "RRc"], random_state=0)
y = np.asarray(y)
star = X[int(np.flatnonzero(y == "RRab")[0])]
print(f"{len(star[0])} observations over {star[0][-1] - star[0][0]:.0f} days")
plot_light_curve(star, title="the star")

# %%
# dm-dt image (Mahabal et al. 2017)
# ---------------------------------
# All pairs of observations binned on fixed edges: 22 dm rows by 23 dt
# columns, ``(n_stars, 1, 22, 23)``. Nothing is learned.
dmdt = DmDtImage()
print(dmdt.fit_transform([star]).shape)
plot_dmdt(star, transformer=dmdt)

# %%
# Freedman-Diaconis histogram (the 2024 CRTS study)
# -------------------------------------------------
# The same pairs on bins learned from the training stars by the
# Freedman-Diaconis rule (log dt), resampled to 90 x 53 and coloured with
# viridis: ``(n_stars, 3, 90, 53)``, for CNNs made for RGB images. ``fit``
# pools the pairs of the training stars.
fd = FreedmanDiaconisHist(random_state=0).fit(X)
print(fd.transform([star]).shape, f"{len(fd.dt_edges_) - 1} dt x {len(fd.dm_edges_) - 1} dm bins")
plot_dmdt(fd.transform([star])[0], transformer=fd, channel="rgb")

# %%
# Window of observations (ASTROMER)
# ---------------------------------
# The first ``window`` observations with time and magnitude centred, the
# error, and a mask (1 = real observation, 0 = padding): ``(n_stars, window,
# 4)``, the input of the sequence models.
W = WindowPad(window=300).fit_transform([star])
print(W.shape, "real observations:", int(W[0, :, 3].sum()))
fig, axes = plt.subplots(4, 1, figsize=(8, 5), sharex=True)
for ax, k, name in zip(axes, range(4), ["time", "mag", "err", "mask"]):
    ax.plot(W[0, :, k], lw=0.8)
    ax.set_ylabel(name)
axes[-1].set_xlabel("position in the window")

# %%
# Variability features (UPSILoN)
# ------------------------------
# :class:`~sklearn_lc.FeatureExtractor`, when installed, gives 16 named
# features per star for tabular models.
if "FeatureExtractor" in sklearn_lc.__all__:
    fe = sklearn_lc.FeatureExtractor()
    values = fe.fit_transform([star])[0]
    for name, value in zip(fe.get_feature_names_out(), values):
        print(f"{name:>20s} {value: .4g}")
plt.show()
