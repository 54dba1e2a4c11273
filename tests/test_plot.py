"""sklearn_lc.plot: render to PNG with Agg and check the files and the drawn content."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

import sklearn_lc  # noqa: E402
from sklearn_lc import plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _save(fig, path, min_kb=5):
    fig.savefig(path, dpi=80)
    assert path.is_file() and path.stat().st_size > min_kb * 1024
    img = mpimg.imread(path)
    w, h = fig.get_size_inches() * 80
    assert img.shape[:2] == (round(h), round(w))
    assert img[..., :3].std() > 0.02  # something was drawn
    return img


def test_estimate_period_recovers_an_rr_lyrae_like_period():
    rng = np.random.RandomState(1)
    t = np.sort(rng.uniform(0, 2000, 300))
    m = 15 + 0.4 * np.sin(2 * np.pi * t / 0.5734) + rng.normal(0, 0.02, t.size)
    assert abs(plot.estimate_period((t, m)) - 0.5734) < 1e-3


def test_plot_light_curve_raw_and_folded(crts_small, tmp_path):
    lcs, y, _ = crts_small
    lc = lcs[0]
    raw, folded = plot.plot_light_curve(lc, period=0.61, title=str(y[0]))
    n = len(lc[0])
    assert raw.lines[0].get_xdata().size == n
    np.testing.assert_allclose(raw.lines[0].get_xdata(), lc[0])
    assert folded.lines[0].get_xdata().size == 2 * n  # two cycles
    x = folded.lines[0].get_xdata()
    assert x.min() >= 0 and x.max() < 2
    assert raw.yaxis_inverted() and folded.yaxis_inverted()  # magnitudes
    assert "0.61" in folded.get_xlabel()
    _save(raw.figure, tmp_path / "lc.png")


def test_plot_light_curve_estimates_period_and_accepts_ax(crts_small):
    lcs, _, _ = crts_small
    fig, ax = plt.subplots()
    out = plot.plot_light_curve(lcs[1], ax=ax, fold=False)
    assert out is ax and len(ax.lines[0].get_xdata()) == len(lcs[1][0])
    _, folded = plot.plot_light_curve(lcs[1])
    assert "P = " in folded.get_xlabel()
    with pytest.raises(ValueError, match="2 Axes"):
        plot.plot_light_curve(lcs[1], ax=ax)
    with pytest.raises(ValueError, match="one light curve"):
        plot.plot_light_curve([1.0, 2.0, 3.0])


def test_plot_dmdt_from_image(tmp_path):
    img = np.random.RandomState(0).rand(1, 23, 24).astype(np.float32)
    ax = plot.plot_dmdt(img)
    shown = ax.images[0].get_array()
    assert shown.shape == (23, 24)  # rows dm (y), columns dt (x)
    np.testing.assert_allclose(shown, img[0])
    _save(ax.figure, tmp_path / "dmdt.png")
    axes = plot.plot_dmdt(np.random.rand(3, 8, 9), channel="all", colorbar=False)
    assert len(axes) == 3 and all(a.images for a in axes)
    with pytest.raises(ValueError, match="channel"):
        plot.plot_dmdt(np.random.rand(3, 8, 9), channel=5)


@pytest.mark.skipif("DmDtImage" not in sklearn_lc.__all__, reason="DmDtImage not available")
def test_plot_dmdt_from_light_curve(crts_small, tmp_path):
    lcs, _, _ = crts_small
    tr = sklearn_lc.DmDtImage()
    expected = np.asarray(tr.fit_transform(lcs[:1]))[0]
    ax = plot.plot_dmdt(lcs[0], transformer=tr)
    np.testing.assert_allclose(ax.images[0].get_array(), expected[0], rtol=1e-6)
    assert ax.get_xlabel() == "dt [d]" and ax.get_ylabel() == "dm [mag]"
    # first x tick sits on the first dt edge (1/145 d)
    assert float(ax.get_xticklabels()[0].get_text()) == pytest.approx(1 / 145, rel=0.05)
    _save(ax.figure, tmp_path / "dmdt_lc.png")


def test_plot_class_medians(tmp_path):
    rng = np.random.RandomState(0)
    images = rng.rand(30, 1, 10, 12)
    y = np.repeat(["EA", "EW", "RRab", "RRc", "LPV"], 6)
    images[y == "EA"] += 5  # its median must stand out
    fig = plot.plot_class_medians(images, y)
    visible = [a for a in fig.axes if a.get_visible()]
    assert [a.get_title() for a in visible] == [
        "EA (n=6)", "EW (n=6)", "LPV (n=6)", "RRab (n=6)", "RRc (n=6)"
    ]
    np.testing.assert_allclose(visible[0].images[0].get_array(),
                               np.median(images[y == "EA", 0], axis=0))
    _save(fig, tmp_path / "medians.png")
    with pytest.raises(ValueError, match="different lengths"):
        plot.plot_class_medians(images, y[:-1])


def test_confusion_matrix_and_f1_from_a_fitted_pipeline(crts_small, tmp_path):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline

    from sklearn_lc.recipes import _BasicStats

    lcs, y, _ = crts_small
    pipe = make_pipeline(_BasicStats(), RandomForestClassifier(20, random_state=0))
    pipe.fit(lcs, y)
    ax = plot.plot_confusion_matrix(pipe, lcs, y)
    cm = ax.images[0].get_array()
    assert cm.shape == (4, 4)
    np.testing.assert_allclose(cm.sum(axis=1), 1.0)  # normalised by true class
    _save(ax.figure, tmp_path / "cm.png")

    pred = pipe.predict(lcs)
    ax = plot.plot_f1_bars(y, pred)
    assert len(ax.patches) == 4
    from sklearn.metrics import f1_score

    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, f1_score(y, pred, average=None, labels=np.unique(y)))
    _save(ax.figure, tmp_path / "f1.png", min_kb=3)


def test_plot_history_of_a_skorch_net(tmp_path):
    torch = pytest.importorskip("torch")
    from skorch import NeuralNetClassifier

    torch.manual_seed(0)
    X = np.random.RandomState(0).rand(60, 4).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(np.int64)
    net = NeuralNetClassifier(
        torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)),
        criterion=torch.nn.CrossEntropyLoss, max_epochs=3, lr=0.1, verbose=0,
    ).fit(X, y)
    ax = plot.plot_history(net)
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["train_loss", "valid_loss"]
    for line, key in zip(ax.lines, labels):
        assert line.get_xdata().size == 3
        np.testing.assert_allclose(line.get_ydata(), net.history[:, key])
    _save(ax.figure, tmp_path / "history.png", min_kb=3)
    with pytest.raises(ValueError, match="none of"):
        plot.plot_history(net, keys=("nope",))


def test_plot_dmdt_freedman_diaconis_channels(crts_small, tmp_path):
    lcs, _, _ = crts_small
    fd = sklearn_lc.FreedmanDiaconisHist(random_state=0).fit(lcs)
    img = fd.transform(lcs[:1])[0]
    axes = plot.plot_dmdt(img, transformer=fd, channel="all", colorbar=False)
    assert len(axes) == 3
    for k, a in enumerate(axes):
        np.testing.assert_allclose(a.images[0].get_array(), img[k])
        assert a.get_xlabel() == "dt [d]"
    # tick labels run from the first to the last fitted dt edge
    first = float(axes[0].get_xticklabels()[0].get_text())
    last = float(axes[0].get_xticklabels()[-1].get_text())
    assert first == pytest.approx(fd.dt_edges_[0], rel=0.05)
    assert last == pytest.approx(fd.dt_edges_[-1], rel=0.05)
    _save(axes[0].figure, tmp_path / "fd.png")
    ax = plot.plot_dmdt(img, transformer=fd, channel="rgb")
    np.testing.assert_allclose(ax.images[0].get_array(), np.moveaxis(img, 0, -1), atol=1e-6)
    with pytest.raises(ValueError, match="3-channel"):
        plot.plot_dmdt(img[:1], channel="rgb")


def test_plot_history_of_a_pretraining_record():
    # MaskedPretrainer.history_ is a list of dicts with RMSEs instead of losses
    history = [{"epoch": k + 1, "train_rmse": 1.0 / (k + 1), "valid_rmse": 1.2 / (k + 1),
                "dur": 0.1} for k in range(4)]
    ax = plot.plot_history(history)
    assert [line.get_label() for line in ax.lines] == ["train_rmse", "valid_rmse"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [1.2, 0.6, 0.4, 0.3])
    assert ax.get_ylabel() == "RMSE"
    with pytest.raises(ValueError, match="empty"):
        plot.plot_history([])
