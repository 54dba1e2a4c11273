import numpy as np
import pytest

from sklearn_lc.datasets import load_light_curves, make_light_curves
from sklearn_lc.io import read_input
from sklearn_lc.utils import LightCurveError, check_light_curves


def test_crts_counts(crts):
    assert len(crts.light_curves) == 9213
    assert len(np.unique(crts.target)) == 16
    assert crts.target.dtype.kind == "U"
    assert len(crts.ids) == len(crts.group) == 9213
    counts = dict(zip(*np.unique(crts.target, return_counts=True)))
    assert counts["EA"] == 1594 and counts["LADS"] == 5
    lengths = [len(lc[0]) for lc in crts.light_curves]
    assert min(lengths) == 60 and max(lengths) == 546
    t, m, e = crts.light_curves[0]
    assert t.dtype == m.dtype == e.dtype == np.float64
    assert np.all(np.diff(t) >= 0)
    assert np.all(e >= 0)


def test_loader_matches_raw_file(crts):
    raw = np.load(crts.filename)
    o = raw["offsets"]
    for i in (0, 17, 9212):
        np.testing.assert_array_equal(crts.light_curves[i][0], raw["time"][o[i] : o[i + 1]])
        np.testing.assert_array_equal(
            crts.light_curves[i][1], raw["mag"][o[i] : o[i + 1]].astype(np.float64)
        )
    assert crts.ids[5] == raw["id"][5]


def test_select_classes(crts):
    sub = load_light_curves("crts_drake14", classes=["RRd", "LPV"])
    assert set(sub.target) == {"RRd", "LPV"}
    assert len(sub.light_curves) == 400 + 409
    assert len(sub.group) == len(sub.light_curves)
    # file order is kept
    full_idx = np.flatnonzero(np.isin(crts.target, ["RRd", "LPV"]))
    assert list(sub.ids) == list(crts.ids[full_idx])
    with pytest.raises(ValueError, match="unknown classes"):
        load_light_curves("crts_drake14", classes=["Nope"])


def test_as_frame_round_trips(sdss):
    b = load_light_curves("sdss_s82_rrlyrae", as_frame=True)
    assert len(b.frame) == 483
    assert {"time", "mag", "err", "target", "id", "period"} <= set(b.frame.columns)
    lcs = check_light_curves(b.frame)
    for a, c in zip(lcs[:10], b.light_curves[:10]):
        np.testing.assert_array_equal(a[1], c[1])


def test_sdss_extra_band_and_period(sdss):
    assert len(sdss.light_curves_r) == 483
    assert sdss.period.shape == (483,)
    assert 0.2 < np.median(sdss.period) < 0.7


def test_asas(asas):
    assert len(asas.light_curves) == 810
    assert len(np.unique(asas.target)) == 28


def test_by_path_and_data_home(crts, tmp_path, monkeypatch):
    b = load_light_curves(crts.filename)
    assert len(b.light_curves) == 9213
    folder = str(__import__("pathlib").Path(crts.filename).parent.parent)
    b2 = load_light_curves("sdss_s82_rrlyrae", data_home=folder)
    assert len(b2.light_curves) == 483
    monkeypatch.setenv("SKLEARN_LC_DATA", folder)
    assert len(load_light_curves("sdss_s82_rrlyrae").light_curves) == 483


def test_missing_file_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError) as exc:
        load_light_curves("crts_drake14", data_home=tmp_path)
    msg = str(exc.value)
    assert str(tmp_path) in msg and "SKLEARN_LC_DATA" in msg and "data_home" in msg
    with pytest.raises(FileNotFoundError, match="no such"):
        load_light_curves(tmp_path / "nope.npz")


def test_not_a_light_curve_file(tmp_path):
    p = tmp_path / "x.npz"
    np.savez(p, a=np.arange(3))
    with pytest.raises(ValueError, match="missing array"):
        load_light_curves(p)


def test_small_custom_file_without_errors(tmp_path):
    p = tmp_path / "tiny.npz"
    np.savez(
        p,
        time=np.array([2.0, 1.0, 5.0]),
        mag=np.array([1.0, 2.0, 3.0], dtype=np.float32),
        offsets=np.array([0, 2, 3]),
        label=np.array(["A", "B"]),
        id=np.array(["x", "y"]),
        period=np.array([1.0, 2.0]),
    )
    b = load_light_curves(p)
    np.testing.assert_array_equal(b.light_curves[0][0], [1.0, 2.0])
    assert np.isnan(b.light_curves[0][2]).all()
    assert b.period.tolist() == [1.0, 2.0]


def test_make_light_curves_is_seeded_and_survey_like():
    X1, y1, p1 = make_light_curves(5, random_state=3, return_periods=True)
    X2, y2 = make_light_curves(5, random_state=3)
    assert len(X1) == 30 and list(y1) == list(y2)
    for a, b in zip(X1, X2):
        np.testing.assert_array_equal(a[1], b[1])
    X3, _ = make_light_curves(5, random_state=4)
    assert not np.array_equal(X1[0][1], X3[0][1])
    for (t, _m, e), cls, period in zip(X1, y1, p1):
        assert 60 <= len(t) <= 300
        assert np.all(np.diff(t) >= 0) and np.all(e > 0)
        assert np.isnan(period) == (cls == "IRR")
        # seasonal gaps: some gap longer than 100 days
        assert np.diff(t).max() > 100
    with pytest.raises(ValueError, match="unknown classes"):
        make_light_curves(2, classes=["XX"])


def test_make_light_curves_periods_are_in_the_signal():
    from scipy.signal import lombscargle

    X, y, p = make_light_curves(3, classes=["RRc"], random_state=0, n_points=(250, 300),
                                return_periods=True)
    for (t, m, _), period in zip(X, p):
        f = np.arange(0.05, 5.0, 1 / (10 * (t[-1] - t[0])))
        power = lombscargle(t, m - m.mean(), 2 * np.pi * f)
        best = 1 / f[np.argmax(power)]
        assert abs(best - period) / period < 0.01


def _write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


GOOD_NPZ = dict(time=np.arange(6.0), mag=np.arange(6.0) + 10, err=np.full(6, 0.1),
                offsets=np.array([0, 2, 6]), label=np.array(["A", "B"]), id=np.array(["x", "y"]))


@pytest.mark.parametrize("change, match", [
    ({"offsets": np.array([1, 2, 6])}, "'offsets' must start at 0, starts at 1"),
    ({"offsets": np.array([0, 2, 5])}, "'offsets' ends at 5 but 'time' has 6 points"),
    ({"offsets": np.array([0, 2, 7])}, "'offsets' ends at 7 but 'time' has 6 points"),
    ({"offsets": np.array([0, 4, 2, 6])}, "'offsets' decreases at position 2 \\(4 then 2\\)"),
    ({"offsets": np.array([0, -1, 6])}, "'offsets' has a negative offset -1 at position 1"),
    ({"offsets": np.array([0.0, 2.0, 6.0])}, "'offsets' must hold integers, got dtype float64"),
    ({"offsets": np.array([[0, 2, 6]])}, "'offsets' must be 1-D"),
    ({"label": np.array(["A", "B", "C"])}, "'label' has shape \\(3,\\), expected one entry per "
                                           "star \\(2"),
    ({"id": np.array(["x"])}, "'id' has shape \\(1,\\), expected one entry per star"),
    ({"mag": np.arange(5.0)}, "'mag' has 5 values but 'time' has 6"),
    ({"time": np.array(["a"] * 6)}, "'time' must be 1-D and numeric"),
])
def test_malformed_npz_names_file_and_key(tmp_path, change, match):
    path = _write_npz(tmp_path / "bad.npz", **{**GOOD_NPZ, **change})
    with pytest.raises(ValueError, match=rf"bad\.npz: array {match}"):
        load_light_curves(path)
    with pytest.raises(ValueError, match=r"bad\.npz: array"):
        read_input(path)


def test_npz_extra_band_offsets_are_checked(tmp_path):
    band = dict(time_r=np.arange(3.0), mag_r=np.ones(3), offsets_r=np.array([0, 3, 2]))
    path = _write_npz(tmp_path / "band.npz", **GOOD_NPZ, **band)
    with pytest.raises(ValueError, match=r"band\.npz: array 'offsets_r' decreases"):
        load_light_curves(path)
    band["offsets_r"] = np.array([0, 0, 3])  # a star without points in a band is fine
    b = load_light_curves(_write_npz(tmp_path / "band2.npz", **GOOD_NPZ, **band))
    assert [lc[0].size for lc in b.light_curves_r] == [0, 3]


def test_not_an_npz_file_names_the_file(tmp_path):
    np.save(tmp_path / "single.npy", np.arange(5.0))
    with pytest.raises(ValueError, match=r"single\.npy: holds a single array \(\.npy format\)"):
        load_light_curves(tmp_path / "single.npy")
    with pytest.raises(ValueError, match=r"single\.npy: holds a single array"):
        read_input(tmp_path / "single.npy")
    (tmp_path / "text.npz").write_text("not a zip file at all")
    with pytest.raises(ValueError, match=r"text\.npz: not a readable \.npz file"):
        load_light_curves(tmp_path / "text.npz")
    # an object array would need pickle: refused, never unpickled
    np.savez(tmp_path / "obj.npz", time=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match=r"obj\.npz: array 'time' cannot be read"):
        load_light_curves(tmp_path / "obj.npz")


def test_unlabelled_npz_and_invalid_points(tmp_path):
    arrays = {k: v for k, v in GOOD_NPZ.items() if k != "label"}
    arrays["mag"] = np.r_[10.0, np.nan, 12, 13, 14, 15]
    path = _write_npz(tmp_path / "u.npz", **arrays)
    with pytest.raises(LightCurveError, match=r"u\.npz: star x: 1 non-finite") as exc:
        load_light_curves(path)
    assert exc.value.index == 0
    b = load_light_curves(path, on_invalid="drop_points")
    assert b.target is None and b.target_names is None and b.ids.tolist() == ["x", "y"]
    assert [lc[0].size for lc in b.light_curves] == [1, 4]
    with pytest.raises(ValueError, match="no 'label' array"):
        load_light_curves(path, classes=["A"])
    data = read_input(path, on_invalid="drop_points")
    assert data.target is None and data.ids.tolist() == ["x", "y"]
    with pytest.raises(ValueError, match="no labels found"):
        read_input(path, on_invalid="drop_points", need_labels=True)
