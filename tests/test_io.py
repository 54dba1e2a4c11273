"""Readers of light-curve files: npz, long CSV / Parquet, folders, streaming."""

import numpy as np
import pandas as pd
import pytest

from sklearn_lc import make_light_curves
from sklearn_lc.io import iter_long_table, read_input, read_light_curves
from sklearn_lc.utils import LightCurveError, check_light_curves

pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def stars():
    X, y = make_light_curves(3, n_points=(5, 30), random_state=3)  # 18 stars
    ids = np.array([f"star{i:02d}" for i in range(len(X))])
    return check_light_curves(X), y, ids


def _long(lcs, y, ids, shuffle_within=False, seed=0):
    rng = np.random.RandomState(seed)
    rows = []
    for lc, label, sid in zip(lcs, y, ids):
        t, m, e = lc
        order = rng.permutation(t.size) if shuffle_within else np.arange(t.size)
        rows.append(pd.DataFrame({"id": sid, "time": t[order], "mag": m[order],
                                  "err": e[order], "label": label}))
    return pd.concat(rows, ignore_index=True)


def _assert_same(a, b):
    assert len(a) == len(b)
    for (t1, m1, e1), (t2, m2, e2) in zip(a, b):
        np.testing.assert_array_equal(t1, t2)
        np.testing.assert_array_equal(m1, m2)
        np.testing.assert_array_equal(e1, e2)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "csv.gz"])
def test_read_long_table(tmp_path, stars, fmt):
    lcs, y, ids = stars
    df = _long(lcs, y, ids, shuffle_within=True)
    path = tmp_path / f"lcs.{fmt}"
    if fmt == "parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False, float_format="%.17g")
    data = read_light_curves(path)
    assert data.ids.tolist() == ids.tolist()
    _assert_same(data.light_curves, lcs)  # sorted by time again, values exact
    assert data.label.tolist() == y.tolist()  # per-star constant column kept
    assert data.filename == str(path)


def test_interleaved_table_is_read_whole_but_not_streamed(tmp_path, stars):
    lcs, y, ids = stars
    df = _long(lcs, y, ids).sample(frac=1.0, random_state=1)  # stars interleaved
    path = tmp_path / "mixed.csv"
    df.to_csv(path, index=False, float_format="%.17g")
    data = read_light_curves(path)
    order = np.argsort(data.ids)
    _assert_same([data.light_curves[i] for i in order], lcs)
    with pytest.raises(ValueError, match=r"mixed\.csv: star star\d\d (reappears|appears in two)"):
        list(iter_long_table(path, chunk_stars=4, batch_rows=7))


def test_custom_column_names_and_no_error_column(tmp_path, stars):
    lcs, y, ids = stars
    df = _long(lcs, y, ids).rename(columns={"id": "oid", "time": "mjd", "mag": "g"})
    df = df.drop(columns=["err"])
    path = tmp_path / "renamed.parquet"
    df.to_parquet(path, index=False)
    data = read_light_curves(path, id="oid", time="mjd", mag="g", err="sigma")
    assert np.isnan(data.light_curves[0][2]).all()
    np.testing.assert_array_equal(data.light_curves[5][1], lcs[5][1])
    pattern = r"renamed\.parquet: missing column\(s\) \['id', 'time', 'mag'\]"
    with pytest.raises(ValueError, match=pattern):
        read_light_curves(path)


def test_read_folder_one_csv_per_star(tmp_path, stars):
    lcs, _, ids = stars
    folder = tmp_path / "stars"
    folder.mkdir()
    for (t, m, e), sid in zip(lcs[:5], ids[:5]):
        pd.DataFrame({"time": t, "mag": m, "err": e}).to_csv(
            folder / f"{sid}.csv", index=False, float_format="%.17g")
    (folder / "README.txt").write_text("not a light curve")
    data = read_light_curves(folder)
    assert data.ids.tolist() == ids[:5].tolist()
    _assert_same(data.light_curves, lcs[:5])
    with pytest.raises(FileNotFoundError, match="no .csv file"):
        read_light_curves(_empty(tmp_path))


def _empty(tmp_path):
    d = tmp_path / "empty"
    d.mkdir()
    return d


def test_corrupt_files_name_file_and_star(tmp_path, stars):
    lcs, y, ids = stars
    df = _long(lcs, y, ids)
    df["mag"] = df["mag"].astype(object)
    row = int(np.flatnonzero(df["id"].to_numpy() == "star07")[2])
    df.loc[row, "mag"] = "12.3x"
    path = tmp_path / "corrupt.csv"
    df.to_csv(path, index=False)
    pattern = r"corrupt\.csv: star star07: column 'mag' holds a non-numeric value '12\.3x'"
    with pytest.raises(ValueError, match=pattern) as info:
        read_light_curves(path)
    assert f"data row {row}" in str(info.value)
    with pytest.raises(ValueError, match=pattern) as info:
        list(iter_long_table(path, chunk_stars=3, batch_rows=10))
    assert f"data row {row}" in str(info.value)
    # folder: the file is named, its stem is the star
    folder = tmp_path / "folder"
    folder.mkdir()
    t, m, e = lcs[0]
    pd.DataFrame({"time": t, "mag": m, "err": e}).to_csv(folder / "good.csv", index=False)
    bad = pd.DataFrame({"time": t, "mag": m.astype(object), "err": e})
    bad.loc[1, "mag"] = "n/a?"
    bad.to_csv(folder / "bad.csv", index=False)
    with pytest.raises(ValueError, match=r"bad\.csv: star bad: column 'mag'"):
        read_light_curves(folder)
    # a negative error is caught by check_light_curves; the star id replaces the index
    df2 = _long(lcs, y, ids)
    df2.loc[int(np.flatnonzero(df2["id"].to_numpy() == "star11")[0]), "err"] = -1.0
    path2 = tmp_path / "negerr.parquet"
    df2.to_parquet(path2, index=False)
    with pytest.raises(ValueError, match=r"negerr\.parquet: star star11: negative error"):
        read_light_curves(path2)
    with pytest.raises(ValueError, match=r"negerr\.parquet: star star11: negative error"):
        list(iter_long_table(path2, chunk_stars=5, batch_rows=16))
    with pytest.raises(ValueError, match="cannot tell the format"):
        read_light_curves(_touch(tmp_path / "x.dat"))


def _touch(p):
    p.write_text("")
    return p


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("chunk_stars, batch_rows", [(4, 7), (5, 1000), (1, 3), (100, 50)])
def test_iter_long_table_streams_whole_stars_in_order(tmp_path, stars, fmt, chunk_stars,
                                                      batch_rows):
    lcs, y, ids = stars
    df = _long(lcs, y, ids, shuffle_within=True)
    path = tmp_path / f"sorted.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False, float_format="%.17g")
    else:
        df.to_parquet(path, index=False, row_group_size=40)
    chunks = list(iter_long_table(path, chunk_stars=chunk_stars, batch_rows=batch_rows))
    sizes = [len(c[0]) for c in chunks]
    n = len(lcs)
    assert sizes == [chunk_stars] * (n // chunk_stars) + ([n % chunk_stars] if n % chunk_stars
                                                            else [])
    got_ids = np.concatenate([c[0] for c in chunks])
    assert got_ids.tolist() == ids.tolist()
    _assert_same([lc for c in chunks for lc in c[1]], lcs)


def test_iter_long_table_star_longer_than_a_batch(tmp_path):
    t = np.arange(50.0)
    df = pd.DataFrame({"id": [7] * 50 + [8] * 3, "time": np.r_[t, 0, 1, 2],
                       "mag": np.r_[t / 10, 1, 2, 3]})
    path = tmp_path / "long.csv"
    df.to_csv(path, index=False)
    (ids, lcs), = list(iter_long_table(path, chunk_stars=10, batch_rows=4))
    assert ids.tolist() == ["7", "8"]
    np.testing.assert_array_equal(lcs[0][0], t)
    assert np.isnan(lcs[1][2]).all()  # no err column: NaN errors


def test_read_npz_delegates_to_load_light_curves(tmp_path, stars):
    lcs, y, ids = stars
    offsets = np.r_[0, np.cumsum([lc[0].size for lc in lcs])]
    path = tmp_path / "set.npz"
    np.savez(path, time=np.concatenate([lc[0] for lc in lcs]),
             mag=np.concatenate([lc[1] for lc in lcs]).astype(np.float32),
             err=np.concatenate([lc[2] for lc in lcs]).astype(np.float32),
             offsets=offsets, label=y, id=ids)
    data = read_light_curves(path)
    assert data.ids.tolist() == ids.tolist() and data.target.tolist() == y.tolist()
    np.testing.assert_array_equal(data.light_curves[3][0], lcs[3][0])
    np.testing.assert_allclose(data.light_curves[3][1], lcs[3][1], rtol=1e-6)


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_light_curves(tmp_path / "nope.csv")
    p = tmp_path / "a.csv"
    pd.DataFrame({"id": [1], "time": [0.0], "mag": [1.0]}).to_csv(p, index=False)
    with pytest.raises(ValueError, match="chunk_stars"):
        next(iter_long_table(p, chunk_stars=0))
    with pytest.raises(ValueError, match="format must be one of"):
        read_light_curves(p, format="hdf5")


# ----------------------------------------------------------------------------- exact readers

def _table(ids, n=4):
    rows = [pd.DataFrame({"id": i, "time": np.arange(n) + k, "mag": 10.0 + k + np.arange(n) / 10,
                          "err": 0.1}) for k, i in enumerate(ids)]
    return pd.concat(rows, ignore_index=True)


def test_ids_are_text(tmp_path):
    # 012, 12, 1.0 and 1 are four stars; leading zeros stay
    ids = ["012", "12", "1.0", "1", "00004099"]
    path = tmp_path / "ids.csv"
    _table(ids).to_csv(path, index=False)
    data = read_light_curves(path)
    assert data.ids.tolist() == ids
    assert [lc[1][0] for lc in data.light_curves] == [10.0, 11.0, 12.0, 13.0, 14.0]
    streamed = list(iter_long_table(path, chunk_stars=2, batch_rows=3))
    assert np.concatenate([c[0] for c in streamed]).tolist() == ids
    # Parquet keeps its column types; integer ids come out as their text
    df = _table([4099, 12, 7])
    df.to_parquet(tmp_path / "int.parquet", index=False)
    assert read_light_curves(tmp_path / "int.parquet").ids.tolist() == ["4099", "12", "7"]
    ((ids_chunk, _),) = list(iter_long_table(tmp_path / "int.parquet"))
    assert ids_chunk.tolist() == ["4099", "12", "7"]


def test_messages_print_ids_plainly(tmp_path):
    df = _table([4099, 12])
    df.loc[5, "mag"] = np.nan
    df.to_parquet(tmp_path / "int.parquet", index=False)
    with pytest.raises(LightCurveError) as exc:
        read_light_curves(tmp_path / "int.parquet")
    msg = str(exc.value)
    assert "int.parquet: star 12: 1 non-finite" in msg and "np.int64" not in msg
    assert (exc.value.index, exc.value.star) == (1, "12")
    assert exc.value.source == str(tmp_path / "int.parquet")


def test_streamed_error_carries_the_index_in_the_file(tmp_path):
    ids = [f"s{k}" for k in range(7)]
    df = _table(ids)
    df.loc[df["id"] == "s5", "err"] = -1.0
    df.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(LightCurveError, match=r"t\.csv: star s5: negative error") as exc:
        list(iter_long_table(tmp_path / "t.csv", chunk_stars=2, batch_rows=5))
    assert exc.value.index == 5  # position in the file, not in the third chunk


def test_one_star_table_without_id_column(tmp_path):
    path = tmp_path / "lc_0042.csv.gz"
    pd.DataFrame({"time": [2.0, 1.0, 3.0], "mag": [10.0, 11.0, 12.0]}).to_csv(path, index=False)
    data = read_light_curves(path)
    assert data.ids.tolist() == ["lc_0042"]
    np.testing.assert_array_equal(data.light_curves[0][0], [1.0, 2.0, 3.0])
    # an id column the user named otherwise is still required
    with pytest.raises(ValueError, match=r"missing column\(s\) \['oid'\]"):
        read_light_curves(path, id="oid")


@pytest.mark.parametrize("content, match", [
    ("", "empty file"),
    ("id,time,mag\n", "no rows"),
])
def test_empty_tables_name_the_file(tmp_path, content, match):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=rf"empty\.csv: .*{match}"):
        read_light_curves(path)
    if not content:
        with pytest.raises(ValueError, match=r"empty\.csv: empty file"):
            list(iter_long_table(path))


def test_read_input_labels_file(tmp_path):
    _table(["007", "7", "x"]).to_csv(tmp_path / "lc.csv", index=False)
    labels = pd.DataFrame({"id": ["7", "007", "x", "x"], "label": ["EA", "EW", "RRab", "RRab"]})
    labels.to_csv(tmp_path / "labels.csv", index=False)
    data = read_input(tmp_path / "lc.csv", labels=tmp_path / "labels.csv")
    assert data.ids.tolist() == ["007", "7", "x"] and data.target.tolist() == ["EW", "EA", "RRab"]
    labels.loc[3, "label"] = "RRc"
    labels.to_csv(tmp_path / "labels.csv", index=False)
    with pytest.raises(ValueError, match=r"labels\.csv: star x has 2 different labels "
                                         r"\('RRab', 'RRc'\)"):
        read_input(tmp_path / "lc.csv", labels=tmp_path / "labels.csv")
    labels.iloc[:2].to_csv(tmp_path / "few.csv", index=False)
    with pytest.raises(ValueError, match=r"few\.csv: no label for star x"):
        read_input(tmp_path / "lc.csv", labels=tmp_path / "few.csv")
    with pytest.raises(FileNotFoundError, match="no such labels file"):
        read_input(tmp_path / "lc.csv", labels=tmp_path / "nope.csv")
    with pytest.raises(FileNotFoundError, match="not a known data set"):
        read_input(tmp_path / "nope.csv")


def test_light_curve_digests_survive_file_formats(tmp_path, stars):
    from sklearn_lc.io import light_curve_digests

    lcs, y, ids = stars
    ref = light_curve_digests(lcs)
    assert len(set(ref)) == len(ref)
    df = _long(lcs, y, ids, shuffle_within=True)
    df.to_csv(tmp_path / "d.csv", index=False)  # pandas' shortest round-trip text
    assert (light_curve_digests(read_light_curves(tmp_path / "d.csv").light_curves) == ref).all()
    f32 = [(t, m.astype(np.float32), e) for t, m, e in lcs]  # magnitudes stored as float32
    assert (light_curve_digests(f32) == ref).all()
    moved = [(t + 0.01, m, e) for t, m, e in lcs]
    assert not (light_curve_digests(moved) == ref).any()
