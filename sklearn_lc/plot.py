"""Plots of light curves, dm-dt images, scores and training histories.

Needs matplotlib (the ``plot`` extra: ``pip install "sklearn_lc[plot]"``); it is
imported only when a function is called. Every function draws into the given
``ax`` (or a new figure) and returns what it drew on, so figures can be
composed and saved by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "estimate_period",
    "plot_class_medians",
    "plot_confusion_matrix",
    "plot_dmdt",
    "plot_f1_bars",
    "plot_history",
    "plot_light_curve",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is in the test extra
        raise ImportError(
            "sklearn_lc.plot needs matplotlib; install it with "
            "pip install 'sklearn_lc[plot]' (or pip install matplotlib)"
        ) from exc
    return plt


def _one_light_curve(lc: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from .utils import check_light_curves

    try:
        return check_light_curves([lc], min_points=2)[0]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expected one light curve (t, m[, err]): {exc}") from exc


def estimate_period(
    lc: Any,
    *,
    min_period: float = 0.05,
    max_period: float | None = None,
    oversampling: int = 3,
    method: str = "robust",
) -> float:
    """Return the period of one light curve, in days.

    The package's period search (:func:`sklearn_lc.periodogram.best_period`):
    by default the error-weighted, multi-harmonic, alias-aware ``"robust"``
    search, which finds eclipsing binaries at their orbital period and is
    not led astray by a few outlying points; ``method="upsilon"`` gives the
    highest classical Lomb-Scargle peak instead. Used by
    :func:`plot_light_curve` when no period is given.

    Parameters
    ----------
    lc : (t, m) or (t, m, err)
        One light curve.
    min_period : float, default=0.05
        Shortest period searched, in days.
    max_period : float, optional
        Longest period searched (``"robust"``); default the time baseline.
    oversampling : int, default=3
        Grid points per natural frequency resolution ``1 / baseline``
        (``"robust"``; the UPSILoN grid has 3).
    method : {"robust", "upsilon"}, default="robust"
        The search.

    Returns
    -------
    period : float
        The period found.

    Raises
    ------
    ValueError
        When the light curve has no period (all points at one time, constant
        magnitudes) or the parameters are invalid.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lc.plot import estimate_period
    >>> t = np.sort(np.random.RandomState(0).uniform(0, 100, 300))
    >>> round(estimate_period((t, np.sin(2 * np.pi * t / 0.7))), 3)
    0.7
    """
    from .periodogram import (
        _ROBUST,
        _check_method,
        _check_search,
        _robust_search,
        best_period,
    )

    t, m, e = _one_light_curve(lc)
    if float(t[-1] - t[0]) <= 0:
        raise ValueError("cannot estimate a period: all points have the same time")
    _check_method(method)
    _check_search(min_period, max_period, 3)
    if not (isinstance(oversampling, (int, np.integer)) and oversampling >= 1):
        raise ValueError(f"oversampling must be a positive integer, got {oversampling!r}")
    if method == "upsilon":
        period = best_period(t, m, e, method="upsilon", min_period=min_period).period
    else:
        period = _robust_search([(t, m, e)], min_period=float(min_period),
                                max_period=max_period, max_harmonics=3,
                                ofac=float(oversampling), **_ROBUST).period
    if not period > 0:
        raise ValueError("cannot estimate a period: no periodic signal (constant magnitudes?)")
    return float(period)


def plot_light_curve(
    lc: Any,
    period: float | None = None,
    ax: Any = None,
    *,
    fold: bool = True,
    title: str | None = None,
) -> Any:
    """Plot one light curve, raw and phase-folded.

    Parameters
    ----------
    lc : (t, m) or (t, m, err)
        One light curve (magnitudes; the magnitude axis is inverted).
    period : float, optional
        Folding period in days; estimated with :func:`estimate_period` when
        None and ``fold`` is True.
    ax : Axes or pair of Axes, optional
        Where to draw: one Axes when ``fold=False``, two (raw, folded)
        otherwise. A new figure when None.
    fold : bool, default=True
        Also draw the curve folded at ``period`` (two cycles, phases 0-2).
    title : str, optional
        Title of the figure.

    Returns
    -------
    ax : Axes or ndarray of Axes
        The raw-curve Axes, or ``[raw, folded]``. On each, ``lines[0]`` holds
        the points (the folded panel shows each point twice).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_lc.datasets import make_light_curves
    >>> from sklearn_lc.plot import plot_light_curve
    >>> X, y = make_light_curves(1, classes=["RRab"], random_state=0)
    >>> raw, folded = plot_light_curve(X[0], period=0.6)
    >>> raw.lines[0].get_xdata().size == len(X[0][0])
    True
    """
    plt = _pyplot()
    t, m, e = _one_light_curve(lc)
    if fold and period is None:
        period = estimate_period((t, m, e))
    if fold and (not np.isfinite(period) or period <= 0):
        raise ValueError(f"period must be a positive number, got {period}")
    n_panels = 2 if fold else 1
    if ax is None:
        fig, axes = plt.subplots(1, n_panels, figsize=(5 * n_panels, 3.2), squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object))
        if axes.size != n_panels:
            raise ValueError(f"ax must hold {n_panels} Axes (raw{', folded' if fold else ''}), "
                             f"got {axes.size}")
        fig = axes[0].figure
    has_err = bool(np.isfinite(e).any())

    def _draw(a, x, y, err):
        a.plot(x, y, ".", ms=3, color="C0")
        if has_err:
            a.errorbar(x, y, yerr=np.nan_to_num(err), fmt="none", ecolor="C0", alpha=0.3, lw=0.6)
        if not a.yaxis_inverted():
            a.invert_yaxis()
        a.set_ylabel("magnitude")

    _draw(axes[0], t, m, e)
    axes[0].set_xlabel("time [d]")
    if fold:
        phase = ((t - t[0]) / period) % 1.0
        _draw(axes[1], np.concatenate([phase, phase + 1]), np.concatenate([m, m]),
              np.concatenate([e, e]))
        axes[1].set_xlabel(f"phase (P = {period:.5g} d)")
        axes[1].set_xlim(0, 2)
    if title:
        fig.suptitle(title)
    return axes if fold else axes[0]


def _image_of(X: Any, transformer: Any) -> tuple[np.ndarray, Any]:
    arr = None
    is_array = isinstance(X, np.ndarray) and X.dtype.kind in "fiu"
    if is_array and (X.ndim == 3 or (X.ndim == 2 and (
            transformer is None or not (X.shape[1] in (2, 3) or X.shape[0] in (2, 3))))):
        arr = X  # an image; a 2-D array with a transformer may be one light curve
    if arr is None:
        if transformer is None:
            from . import __all__ as exported

            if "DmDtImage" not in exported:
                raise ValueError("pass an image or a transformer: DmDtImage is not available")
            from . import DmDtImage  # type: ignore[attr-defined]

            transformer = DmDtImage()
        lc = _one_light_curve(X)
        try:
            arr = transformer.transform([lc])
        except Exception:  # noqa: BLE001 - needs fitting (e.g. learnt bins)
            arr = transformer.fit_transform([lc])
        arr = np.asarray(arr)[0]
    arr = np.asarray(arr, dtype=float)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise ValueError(f"expected an image of shape (H, W) or (C, H, W), got {arr.shape}")
    return arr, transformer


def _edges(transformer: Any) -> tuple[Any, Any]:
    """Return the (dt, dm) bin edges a transformer used, when it tells."""
    if transformer is None:
        return None, None
    if hasattr(transformer, "dt_edges_") and hasattr(transformer, "dm_edges_"):
        return np.asarray(transformer.dt_edges_), np.asarray(transformer.dm_edges_)
    edges = getattr(transformer, "_edges", None)  # DmDtImage: fixed bins
    if callable(edges):
        try:
            dt, dm = edges()
            return np.asarray(dt, dtype=float), np.asarray(dm, dtype=float)
        except Exception:  # noqa: BLE001 - labels are a nicety
            return None, None
    return None, None


def _edge_ticks(axis: Any, edges: np.ndarray, n_pixels: int, fmt: str, n_ticks: int) -> None:
    """Label pixel positions with the edge values they fall on (bins may be resampled)."""
    pos = np.linspace(-0.5, n_pixels - 0.5, min(n_ticks, n_pixels + 1))
    idx = (pos + 0.5) * (len(edges) - 1) / n_pixels
    values = np.interp(idx, np.arange(len(edges)), edges)
    axis.set_ticks(pos)
    axis.set_ticklabels([format(v, fmt) if abs(v) < 10 else f"{v:.0f}" for v in values])


def plot_dmdt(
    X: Any,
    transformer: Any = None,
    ax: Any = None,
    *,
    channel: int | str = 0,
    cmap: str = "viridis",
    colorbar: bool = True,
) -> Any:
    """Show the dm-dt image of one star.

    Parameters
    ----------
    X : light curve or ndarray
        One light curve ``(t, m[, err])``, turned into an image by
        ``transformer``, or an image of shape ``(H, W)`` or ``(C, H, W)`` (a
        row of :class:`~sklearn_lc.DmDtImage` or
        :class:`~sklearn_lc.FreedmanDiaconisHist` output). A 3-D array is
        always an image; a 2-D array is an image unless a ``transformer`` is
        given and it has 2 or 3 columns (then it is one light curve).
    transformer : transformer, optional
        Makes the image from a light curve (default ``DmDtImage()``); a
        transformer that needs fitting is fitted on this one star. Its bin
        edges, when it exposes them, label the axes.
    ax : Axes or sequence of Axes, optional
        Where to draw; one Axes per channel shown. A new figure when None.
    channel : int, "all" or "rgb", default=0
        Channel of a multi-channel image, ``"all"`` for one panel each, or
        ``"rgb"`` to show a 3-channel image in [0, 1] (such as
        :class:`~sklearn_lc.FreedmanDiaconisHist`'s viridis colours) as one
        colour picture.
    cmap : str, default="viridis"
        Colour map.
    colorbar : bool, default=True
        Add a colour bar to each panel.

    Returns
    -------
    ax : Axes or ndarray of Axes
        One Axes, or one per channel when ``channel="all"``; ``images[0]``
        holds the image array, shown with dt along x and dm along y (the
        ``(dm rows, dt columns)`` layout of :class:`~sklearn_lc.DmDtImage`
        and :class:`~sklearn_lc.FreedmanDiaconisHist`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_lc.plot import plot_dmdt
    >>> ax = plot_dmdt(np.eye(4))
    >>> ax.images[0].get_array().shape
    (4, 4)
    """
    plt = _pyplot()
    img, transformer = _image_of(X, transformer)
    if channel == "rgb":
        if img.shape[0] != 3:
            raise ValueError(f"channel='rgb' needs a 3-channel image, got {img.shape[0]}")
        chans = ["rgb"]
    elif channel == "all":
        chans = list(range(img.shape[0]))
    else:
        if not isinstance(channel, (int, np.integer)) or not 0 <= channel < img.shape[0]:
            raise ValueError(f"channel must be 'all', 'rgb' or an integer below {img.shape[0]}, "
                             f"got {channel!r}")
        chans = [int(channel)]
    own_figure = ax is None
    if ax is None:
        fig, axes = plt.subplots(1, len(chans), figsize=(4.2 * len(chans), 3.4), squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object))
        if axes.size != len(chans):
            raise ValueError(f"ax must hold {len(chans)} Axes, got {axes.size}")
    dt, dm = _edges(transformer)
    n_ticks = 5 if len(chans) == 1 else 4
    for k, (a, c) in enumerate(zip(axes, chans)):
        # images are (dm rows, dt columns): dt along x, dm along y
        if c == "rgb":
            rgb = np.clip(np.moveaxis(img, 0, -1), 0, 1)
            im = a.imshow(rgb, origin="lower", aspect="auto", interpolation="nearest")
        else:
            im = a.imshow(img[c], origin="lower", aspect="auto", cmap=cmap,
                          interpolation="nearest")
        a.set_xlabel("dt bin")
        a.set_ylabel("dm bin" if k == 0 else "")
        if dt is not None and dt.size >= 2:
            _edge_ticks(a.xaxis, dt, img.shape[2], ".2g", n_ticks)
            a.set_xlabel("dt [d]")
        if dm is not None and dm.size >= 2:
            _edge_ticks(a.yaxis, dm, img.shape[1], ".2g", n_ticks)
            a.set_ylabel("dm [mag]" if k == 0 else "")
        if len(chans) > 1:
            a.set_title(f"channel {c}")
        if colorbar and c != "rgb":
            a.figure.colorbar(im, ax=a)
    if own_figure:
        axes[0].figure.tight_layout()
    return axes if channel == "all" else axes[0]


def plot_class_medians(
    images: Any,
    y: Any,
    *,
    channel: int = 0,
    ncols: int | None = None,
    cmap: str = "viridis",
) -> Any:
    """Show the median image of each class in a grid.

    Parameters
    ----------
    images : ndarray of shape (n_stars, H, W) or (n_stars, C, H, W)
        Images, e.g. the output of :class:`~sklearn_lc.DmDtImage` (rows dm,
        columns dt; shown with dt along x).
    y : array-like of shape (n_stars,)
        Class labels.
    channel : int, default=0
        Channel shown for multi-channel images.
    ncols : int, optional
        Panels per row (default: up to 4).
    cmap : str, default="viridis"
        Colour map.

    Returns
    -------
    fig : Figure
        One panel per class (titled with the class and its count), in sorted
        class order; unused panels of the grid are hidden.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_lc.plot import plot_class_medians
    >>> fig = plot_class_medians(np.random.rand(6, 5, 5), ["a", "b"] * 3)
    >>> [ax.get_title() for ax in fig.axes if ax.get_visible()]
    ['a (n=3)', 'b (n=3)']
    """
    plt = _pyplot()
    images = np.asarray(images, dtype=float)
    y = np.asarray(y)
    if images.ndim == 4:
        images = images[:, channel]
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, H, W) or (n, C, H, W), got {images.shape}")
    if y.shape[0] != images.shape[0]:
        raise ValueError(f"images and y have different lengths ({images.shape[0]} vs {len(y)})")
    classes = np.unique(y)
    ncols = ncols or min(4, len(classes))
    nrows = -(-len(classes) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3 * ncols, 2.8 * nrows), squeeze=False)
    flat = axes.ravel()
    vmax = None
    medians = [np.median(images[y == c], axis=0) for c in classes]
    vmax = max(float(np.max(med)) for med in medians)
    for a, c, med in zip(flat, classes, medians):
        a.imshow(med, origin="lower", aspect="auto", cmap=cmap, vmin=0, vmax=vmax or None,
                 interpolation="nearest")
        a.set_title(f"{c} (n={int(np.sum(y == c))})")
        a.set_xticks([])
        a.set_yticks([])
    for a in flat[len(classes):]:
        a.set_visible(False)
    fig.tight_layout()
    return fig


def _true_pred(estimator_or_y_true: Any, X_or_y_pred: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(estimator_or_y_true, "predict"):
        if X_or_y_pred is None or y is None:
            raise ValueError("with an estimator, pass X and y: f(estimator, X, y)")
        return np.asarray(y), np.asarray(estimator_or_y_true.predict(X_or_y_pred))
    if X_or_y_pred is None:
        raise ValueError("pass (y_true, y_pred) or (estimator, X, y)")
    return np.asarray(estimator_or_y_true), np.asarray(X_or_y_pred)


def plot_confusion_matrix(
    estimator_or_y_true: Any,
    X_or_y_pred: Any = None,
    y: Any = None,
    *,
    labels: Sequence[Any] | None = None,
    normalize: str | None = "true",
    ax: Any = None,
    cmap: str = "Blues",
) -> Any:
    """Draw a confusion matrix from a fitted estimator or from predictions.

    Parameters
    ----------
    estimator_or_y_true : estimator or array-like
        A fitted classifier (then pass ``X`` and ``y``), or the true labels
        (then pass the predicted labels).
    X_or_y_pred : light curves or array-like
        The light curves to predict, or the predicted labels.
    y : array-like, optional
        True labels, with an estimator.
    labels : sequence, optional
        Class order (default: sorted union of true and predicted labels).
    normalize : {"true", "pred", "all"} or None, default="true"
        Normalisation of the counts, as in
        :func:`sklearn.metrics.confusion_matrix`; with "true" each row shows
        recalls.
    ax : Axes, optional
        Where to draw.
    cmap : str, default="Blues"
        Colour map.

    Returns
    -------
    ax : Axes
        The Axes; ``images[0].get_array()`` is the matrix.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_lc.plot import plot_confusion_matrix
    >>> ax = plot_confusion_matrix(["a", "b", "b"], ["a", "b", "a"])
    >>> ax.images[0].get_array().shape
    (2, 2)
    """
    plt = _pyplot()
    from sklearn.metrics import ConfusionMatrixDisplay

    y_true, y_pred = _true_pred(estimator_or_y_true, X_or_y_pred, y)
    if labels is None:
        labels = np.unique(np.concatenate([y_true.astype(str), y_pred.astype(str)]))
        y_true, y_pred = y_true.astype(str), y_pred.astype(str)
    if ax is None:
        n = len(labels)
        _, ax = plt.subplots(figsize=(1.2 + 0.6 * n, 1.0 + 0.55 * n))
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, normalize=normalize, ax=ax, cmap=cmap, colorbar=False,
        values_format=".2f" if normalize else "d", xticks_rotation=45,
    )
    return ax


def plot_f1_bars(
    estimator_or_y_true: Any,
    X_or_y_pred: Any = None,
    y: Any = None,
    *,
    labels: Sequence[Any] | None = None,
    ax: Any = None,
) -> Any:
    """Draw per-class F1 scores as horizontal bars, with the macro average.

    Parameters
    ----------
    estimator_or_y_true : estimator or array-like
        A fitted classifier (then pass ``X`` and ``y``), or the true labels.
    X_or_y_pred : light curves or array-like
        The light curves to predict, or the predicted labels.
    y : array-like, optional
        True labels, with an estimator.
    labels : sequence, optional
        Classes shown (default: the sorted true labels).
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    ax : Axes
        One bar per class (``ax.patches``), annotated with the class support;
        a dashed line marks the macro-F1.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_lc.plot import plot_f1_bars
    >>> ax = plot_f1_bars(["a", "b", "b", "c"], ["a", "b", "a", "c"])
    >>> len(ax.patches)
    3
    """
    plt = _pyplot()
    from sklearn.metrics import precision_recall_fscore_support

    y_true, y_pred = _true_pred(estimator_or_y_true, X_or_y_pred, y)
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    _, _, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 0.9 + 0.35 * len(labels)))
    pos = np.arange(len(labels))
    ax.barh(pos, f1, color="C0")
    ax.set_yticks(pos)
    ax.set_yticklabels([str(c) for c in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("F1 score")
    for p, v, s in zip(pos, f1, support):
        ax.text(min(v + 0.01, 1.0), p, f"{v:.2f} (n={s})", va="center", fontsize=8)
    macro = float(np.mean(f1))
    ax.axvline(macro, ls="--", color="k", lw=1)
    ax.set_title(f"macro-F1 = {macro:.3f}")
    return ax


def plot_history(
    net: Any,
    ax: Any = None,
    *,
    keys: Sequence[str] | None = None,
) -> Any:
    """Plot training and validation loss per epoch from a skorch history.

    Parameters
    ----------
    net : estimator, Pipeline ending in one, skorch History or list of dict
        A fitted network (its ``history_`` / ``history`` is read: skorch nets,
        :class:`~sklearn_lc.MaskedPretrainer`), or the history itself (one
        dict per epoch).
    ax : Axes, optional
        Where to draw.
    keys : sequence of str, optional
        History entries to draw; entries absent from every epoch are skipped.
        Default: ``("train_loss", "valid_loss")``, or ``("train_rmse",
        "valid_rmse")`` for a history without losses (a pretrainer's).

    Returns
    -------
    ax : Axes
        One line per key found, with ``len(history)`` points each.
    """
    plt = _pyplot()
    if hasattr(net, "steps"):  # a Pipeline: its last step
        net = net.steps[-1][1]
    history = getattr(net, "history_", None)
    if history is None:
        history = getattr(net, "history", net)
    epochs = list(history)
    if not epochs:
        raise ValueError("the history is empty: fit the network first")
    if keys is None:
        seen = set().union(*[set(ep) for ep in epochs])
        keys = ("train_loss", "valid_loss")
        if not seen & set(keys) and seen & {"train_rmse", "valid_rmse"}:
            keys = ("train_rmse", "valid_rmse")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    drawn = 0
    for key in keys:
        values = [ep.get(key, np.nan) for ep in epochs]
        if all(v is None or not np.isfinite(v) for v in values):
            continue
        x = [ep.get("epoch", k + 1) for k, ep in enumerate(epochs)]
        ax.plot(x, np.asarray(values, dtype=float), marker="o", ms=3, label=key)
        drawn += 1
    if not drawn:
        raise ValueError(f"none of {list(keys)} is in the history "
                         f"(has {sorted(set().union(*[set(ep) for ep in epochs]))})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("RMSE" if all(k.endswith("rmse") for k in keys) else "loss")
    ax.legend()
    return ax
