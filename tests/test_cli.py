"""The sklearn-lc command line, run as a subprocess on 40 real CRTS stars."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_lc import cli
from sklearn_lc.utils import LightCurveError

ENV = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1",
           MPLBACKEND="Agg")


def run(*args: str, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "sklearn_lc.cli", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=env or ENV, timeout=300,
    )


def call(capsys, *args: str) -> tuple[int, str, str]:
    """Run the command line in this process (failure cases: no interpreter start-up)."""
    rc = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


COLS = ["--id-col", "star", "--time-col", "mjd", "--mag-col", "V", "--err-col", "eV"]


def _npz(path, lcs, **per_star):
    lengths = np.asarray([len(t) for t, _, _ in lcs])
    cat = {k: np.concatenate([lc[j] for lc in lcs]) for j, k in enumerate(("time", "mag", "err"))}
    np.savez(path, offsets=np.concatenate([[0], np.cumsum(lengths)]), **cat, **per_star)


def _long(lcs, ids):
    lengths = [len(t) for t, _, _ in lcs]
    return pd.DataFrame({
        "star": np.repeat(ids, lengths), "mjd": np.concatenate([lc[0] for lc in lcs]),
        "V": np.concatenate([lc[1] for lc in lcs]), "eV": np.concatenate([lc[2] for lc in lcs]),
    })


def _leftovers(folder: Path) -> list[str]:
    """Temporary files or folders of an output left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".partial", ".old")))


@pytest.fixture(scope="module")
def files(crts, crts_small, tmp_path_factory):
    """The 40 stars as a labelled .npz, an unlabelled .npz, a long CSV + labels, a CSV folder;
    12 other CRTS stars of the same classes (held out from training) as a long CSV + labels."""
    lcs, y, group = crts_small
    root = tmp_path_factory.mktemp("cli")
    ids = np.asarray([f"star{i:02d}" for i in range(len(lcs))])
    lengths = np.asarray([len(t) for t, _, _ in lcs])
    _npz(root / "train.npz", lcs, label=y, id=ids, group=group)
    _npz(root / "unlabelled.npz", lcs, id=ids)
    _long(lcs, ids).to_csv(root / "long.csv", index=False)
    pd.DataFrame({"star": ids, "label": y}).to_csv(root / "labels.csv", index=False)
    used = {tuple(lc[0][:3]) for lc in lcs}
    rng = np.random.RandomState(1)
    held = []
    for cls in ("EW", "EA", "RRab", "RRc"):
        members = [i for i in np.flatnonzero(crts.target == cls)
                   if tuple(crts.light_curves[i][0][:3]) not in used]
        held.extend(rng.choice(members, 3, replace=False))
    held_lcs = [crts.light_curves[i] for i in held]
    held_ids = np.asarray([f"new{i:02d}" for i in range(len(held))])
    _long(held_lcs, held_ids).to_csv(root / "heldout.csv", index=False)
    pd.DataFrame({"star": held_ids, "label": crts.target[held]}).to_csv(
        root / "heldout_labels.csv", index=False)
    folder = root / "folder"
    folder.mkdir()
    for i in range(8):
        t, m, e = lcs[i]
        pd.DataFrame({"time": t, "mag": m, "err": e}).to_csv(folder / f"{ids[i]}.csv", index=False)
    return {"root": root, "ids": ids, "y": y, "lengths": lengths, "held_y": crts.target[held]}


@pytest.fixture(scope="module")
def model_dir(files):
    out = files["root"] / "model"
    cfg = files["root"] / "cfg.json"
    cfg.write_text(json.dumps({"model": "rf-features",
                               "params": {"randomforestclassifier__n_estimators": 25}}))
    r = run("train", files["root"] / "train.npz", "--config", cfg, "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    return out


def test_help_for_every_command():
    r = run("--help")
    assert r.returncode == 0
    for command in ("demo", "features", "train", "predict", "evaluate", "models"):
        assert command in r.stdout
        with pytest.raises(SystemExit) as exc:
            cli.main([command, "--help"])
        assert exc.value.code == 0


def test_no_command_is_usage_error(capsys):
    assert call(capsys)[0] == 2


def test_demo_on_crts_subset(files):
    r = run("demo", "--data", files["root"] / "train.npz", "--classes", "EW,EA,RRab,RRc",
            "--max-per-class", "10", "--n-estimators", "20", "--n-jobs", "1", "-q")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "StratifiedGroupKFold" in out  # the file has a group array
    acc = float(out.split("accuracy  ")[1].split()[0])
    f1 = float(out.split("macro-F1  ")[1].split()[0])
    assert 0.0 <= acc <= 1.0 and 0.0 <= f1 <= 1.0
    for cls in ("EW", "EA", "RRab", "RRc"):
        assert f"\n{cls:>12s} " in out or f" {cls} " in out
    assert "macro avg" in out


def test_demo_falls_back_to_simulated_data(monkeypatch, tmp_path, capsys):
    # no data anywhere: point every data location at an empty folder
    from sklearn_lc.datasets import _base

    monkeypatch.setattr(_base, "_checkout_data_dir", lambda: tmp_path / "none")
    monkeypatch.setenv("SKLEARN_LC_DATA", str(tmp_path / "none"))
    monkeypatch.chdir(tmp_path)
    rc = cli.main(["demo", "--max-per-class", "12", "--n-estimators", "10", "--n-jobs", "1", "-q"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "make_light_curves" in out and "simulated" in out
    assert "stratified random split" in out  # no group array in simulated data
    assert "macro-F1" in out


def test_models_lists_recipes(capsys):
    rc, out, _ = call(capsys, "models")
    assert rc == 0
    assert "rf-features" in out and "cnn-dmdt" in out


def test_model_directory_has_no_pickle(model_dir):
    config = json.loads((model_dir / "model.json").read_text())
    assert config["format"] == "sklearn_lc-model"
    assert sorted(config["classes"]) == ["EA", "EW", "RRab", "RRc"]
    files = sorted(p.name for p in model_dir.iterdir())
    assert "model.json" in files
    assert not any(f.endswith((".pkl", ".pickle", ".joblib")) for f in files)
    for step in config["steps"]:
        assert step["store"] == "params" or (model_dir / step["file"]).is_file()


def test_predict_unlabelled_npz(files, model_dir):
    out = files["root"] / "pred.csv"
    r = run("predict", model_dir, files["root"] / "unlabelled.npz", "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out, dtype={"id": str})
    assert list(df["id"]) == list(files["ids"])  # one row per star, in order
    proba = df[[c for c in df.columns if c.startswith("proba_")]]
    assert sorted(proba.columns) == ["proba_EA", "proba_EW", "proba_RRab", "proba_RRc"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert ((proba >= 0) & (proba <= 1)).all().all()
    # the label is the most probable class
    assert (df["label"] == proba.idxmax(axis=1).str.replace("proba_", "")).all()
    # training stars of a forest: most are predicted right
    assert (df["label"].to_numpy() == files["y"]).mean() > 0.7


def test_predict_to_stdout_from_long_csv(files, model_dir, capsys):
    rc, out, err = call(capsys, "predict", model_dir, files["root"] / "long.csv", "--id-col",
                        "star", "--time-col", "mjd", "--mag-col", "V", "--err-col", "eV", "-q")
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("id,label,proba_")
    assert len(lines) == 41


def test_evaluate_writes_report(files, model_dir):
    rep = files["root"] / "report"
    r = run("evaluate", model_dir, files["root"] / "heldout.csv", "--labels",
            files["root"] / "heldout_labels.csv", *COLS, "-o", rep, "-q")
    assert r.returncode == 0, r.stderr
    assert "accuracy" in r.stdout and "macro-F1" in r.stdout
    assert "12 stars, 4 classes" in r.stdout
    metrics = json.loads((rep / "metrics.json").read_text())
    assert metrics["n_stars"] == 12 and "n_training_stars" not in metrics
    assert set(metrics["per_class"]) >= {"EA", "EW", "RRab", "RRc", "macro avg"}
    import matplotlib.image as mpimg

    img = mpimg.imread(rep / "confusion_matrix.png")
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img.std() > 0.01  # not a blank picture
    pred = pd.read_csv(rep / "predictions.csv", dtype=str)
    assert len(pred) == 12 and list(pred.columns) == ["id", "label", "predicted"]
    assert list(pred["label"]) == list(files["held_y"])
    assert metrics["accuracy"] == pytest.approx((pred["label"] == pred["predicted"]).mean())
    assert "wrote" in r.stdout and "confusion_matrix.png" in r.stdout
    assert _leftovers(files["root"]) == []


def test_features_long_csv_and_folder(files, capsys):
    out = files["root"] / "features.csv"
    r = run("features", files["root"] / "long.csv", "--id-col", "star", "--time-col", "mjd",
            "--mag-col", "V", "--err-col", "eV", "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out, dtype={"id": str})
    assert len(df) == 40 and list(df["id"]) == list(files["ids"])
    assert df.shape[1] == 1 + 16
    assert "40 stars x 16 features" in r.stdout
    assert np.isfinite(df.drop(columns="id").to_numpy()).all()

    out2 = files["root"] / "features_folder.parquet"
    rc, _, err = call(capsys, "features", files["root"] / "folder", "-o", out2, "-q")
    assert rc == 0, err
    df2 = pd.read_parquet(out2)
    assert list(df2["id"]) == list(files["ids"][:8])
    # same stars, same features whichever format they came in
    np.testing.assert_allclose(df2.drop(columns="id").to_numpy(),
                               df.drop(columns="id").to_numpy()[:8], rtol=1e-5)


def test_missing_input_file_fails_cleanly(files, model_dir, capsys):
    r = run("features", files["root"] / "nope.csv", "-o", files["root"] / "out.csv")
    assert r.returncode == 1
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "nope.csv" in err and "Traceback" not in err
    rc, _, err = call(capsys, "predict", model_dir, files["root"] / "nope.csv")
    assert rc == 1 and "nope.csv" in err
    rc, _, err = call(capsys, "predict", files["root"] / "no_model", files["root"] / "long.csv")
    assert rc == 1 and "no_model" in err and "no such model directory" in err


def test_bad_column_names_the_file_and_column(files, capsys):
    rc, _, err = call(capsys, "features", files["root"] / "long.csv", "-o", files["root"] / "x.csv")
    assert rc == 1
    assert "long.csv" in err and "missing column" in err and "'id'" in err


def test_bad_star_is_named(files, capsys):
    bad = pd.read_csv(files["root"] / "long.csv", dtype={"star": str})
    bad.loc[bad.index[bad["star"] == "star07"][3], "V"] = np.nan
    path = files["root"] / "bad.csv"
    bad.to_csv(path, index=False)
    args = ["features", path, *COLS, "-o", files["root"] / "y.csv"]
    rc, _, err = call(capsys, *args)
    assert rc == 1
    assert "bad.csv: star star07: 1 non-finite" in err
    # the advice is the command-line option, not the Python argument
    assert "--on-invalid drop_points" in err and "on_invalid=" not in err
    assert not (files["root"] / "y.csv").exists() and _leftovers(files["root"]) == []
    with pytest.raises(LightCurveError) as exc:  # --debug: the exception propagates
        cli.main([str(a) for a in args] + ["--debug"])
    assert (exc.value.star, exc.value.index) == ("star07", 7)
    # --on-invalid drop_points drops that point (not the star) and goes on
    rc, out, err = call(capsys, *args, "--on-invalid", "drop_points", "-q")
    assert rc == 0, err
    df = pd.read_csv(files["root"] / "y.csv", dtype={"id": str})
    assert len(df) == 40 and df["id"][7] == "star07"


def test_bad_star_in_folder_is_named(files, tmp_path, capsys):
    folder = tmp_path / "f"
    folder.mkdir()
    pd.DataFrame({"time": [1.0, 2.0, 3.0], "mag": [10.0, 10.1, 10.2]}).to_csv(folder / "ok.csv")
    pd.DataFrame({"time": [1.0, 2.0], "mag": ["a", "b"]}).to_csv(folder / "broken.csv")
    rc, _, err = call(capsys, "features", folder, "-o", tmp_path / "o.csv")
    assert rc == 1 and "broken.csv: star broken: column 'mag'" in err


def test_too_few_points_names_file_and_star(files, model_dir, tmp_path, capsys):
    # FeatureExtractor needs 5 points: the model step's error names the file and the star id
    long = pd.read_csv(files["root"] / "long.csv", dtype={"star": str})
    short = long[long["star"] != "star03"]
    three = long[long["star"] == "star03"].head(3).assign(star="shortie")
    path = tmp_path / "short.csv"
    pd.concat([short, three]).to_csv(path, index=False)
    rc, _, err = call(capsys, "predict", model_dir, path, *COLS, "-o", tmp_path / "p.csv", "-q")
    assert rc == 1
    assert "short.csv: star shortie: has 3 valid point(s), fewer than the 5 the model needs" in err
    assert not (tmp_path / "p.csv").exists() and _leftovers(tmp_path) == []


def test_train_needs_labels_and_a_known_model(files, capsys):
    rc, _, err = call(capsys, "train", files["root"] / "unlabelled.npz", "--model", "rf-basic",
                      "-o", files["root"] / "m1")
    assert rc == 1 and "no labels" in err
    rc, _, err = call(capsys, "train", files["root"] / "train.npz", "--model", "nope", "-o",
                      files["root"] / "m2")
    assert rc == 1 and "unknown model 'nope'" in err
    labels = files["root"] / "some_labels.csv"
    pd.DataFrame({"star": files["ids"][:5], "label": files["y"][:5]}).to_csv(labels, index=False)
    rc, _, err = call(capsys, "train", files["root"] / "long.csv", "--labels", labels,
                      "--id-col", "star", "--time-col", "mjd", "--mag-col", "V",
                      "--model", "rf-basic", "-o", files["root"] / "m3")
    assert rc == 1 and "some_labels.csv" in err and "no label for star star05" in err


def test_tampered_or_foreign_model_is_refused(files, model_dir, tmp_path, capsys):
    import shutil

    bad = tmp_path / "tampered"
    shutil.copytree(model_dir, bad)
    step = json.loads((bad / "model.json").read_text())["steps"][-1]["file"]
    with open(bad / step, "ab") as f:
        f.write(b"\0")
    rc, _, err = call(capsys, "predict", bad, files["root"] / "unlabelled.npz")
    assert rc == 1 and "SHA-256" in err

    foreign = tmp_path / "foreign"
    shutil.copytree(model_dir, foreign)
    cfg = json.loads((foreign / "model.json").read_text())
    cfg["steps"][0]["class"] = "os.system"
    (foreign / "model.json").write_text(json.dumps(cfg))
    rc, _, err = call(capsys, "predict", foreign, files["root"] / "unlabelled.npz")
    assert rc == 1 and "not allowed" in err


def test_version_mismatch_warns(files, model_dir, tmp_path, capsys):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(model_dir, old)
    cfg = json.loads((old / "model.json").read_text())
    cfg["sklearn_lc_version"] = "0.0.1"
    (old / "model.json").write_text(json.dumps(cfg))
    rc, _, err = call(capsys, "predict", old, files["root"] / "unlabelled.npz", "-o",
                      tmp_path / "p.csv", "-q")
    assert rc == 0, err
    assert "warning" in err and "0.0.1" in err
    assert len(pd.read_csv(tmp_path / "p.csv")) == 40


def test_train_and_predict_a_network(files, tmp_path, capsys):
    from sklearn_lc import CNNLSTMClassifier

    params = {k: v for k, v in CNNLSTMClassifier._get_test_params().items()}
    cfg = tmp_path / "net.json"
    cfg.write_text(json.dumps({"steps": [
        {"class": "WindowPad", "params": {"window": 60}},
        {"class": "CNNLSTMClassifier", "params": params},
    ]}))
    out = tmp_path / "net_model"
    rc, _, err = call(capsys, "train", files["root"] / "train.npz", "--config", cfg, "-o", out,
                      "-q")
    assert rc == 0, err
    config = json.loads((out / "model.json").read_text())
    stores = [s["store"] for s in config["steps"]]
    assert stores == ["params", "safetensors"]
    assert (out / config["steps"][1]["file"]).suffix == ".safetensors"
    rc, _, err = call(capsys, "predict", out, files["root"] / "unlabelled.npz", "-o",
                      tmp_path / "p.csv", "-q")
    assert rc == 0, err
    df = pd.read_csv(tmp_path / "p.csv", dtype={"id": str})
    assert len(df) == 40 and set(df["label"]) <= {"EA", "EW", "RRab", "RRc"}
    proba = df.filter(like="proba_").to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    # the loaded network reproduces the in-process one: same weights, same outputs
    from sklearn_lc.model_io import load_model

    loaded = load_model(out)
    lcs = cli.read_input(files["root"] / "unlabelled.npz")["light_curves"]
    np.testing.assert_allclose(loaded.predict_proba(lcs), proba, rtol=1e-4, atol=1e-6)


def test_yaml_config_and_label_column(files, tmp_path, capsys):
    pytest.importorskip("yaml")
    long = pd.read_csv(files["root"] / "long.csv", dtype={"star": str})
    labels = dict(zip(files["ids"], files["y"]))
    long["cls"] = long["star"].map(labels)
    path = tmp_path / "labelled.parquet"
    long.to_parquet(path)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("steps:\n  - class: _BasicStats\n  - class: ExtraTreesClassifier\n"
                   "    params: {n_estimators: 15, random_state: 0}\n")
    out = tmp_path / "yaml_model"
    rc, stdout, err = call(capsys, "train", path, "--config", cfg, "-o", out, "--id-col", "star",
                           "--time-col", "mjd", "--mag-col", "V", "--err-col", "eV",
                           "--label-col", "cls", "-q")
    assert rc == 0, err
    assert "40 stars, 4 classes" in stdout
    config = json.loads((out / "model.json").read_text())
    assert [s["class"] for s in config["steps"]] == ["_BasicStats", "ExtraTreesClassifier"]
    # a class off the allow-list is refused before any training
    cfg.write_text("steps:\n  - class: _BasicStats\n  - class: SVC\n")
    rc, _, err = call(capsys, "train", path, "--config", cfg, "-o", tmp_path / "m", "--id-col",
                      "star", "--time-col", "mjd", "--mag-col", "V", "--label-col", "cls")
    assert rc == 1 and "SVC" in err and "allowed" in err


def test_predict_streaming_matches_in_memory(files, model_dir, tmp_path, capsys):
    common = ["--id-col", "star", "--time-col", "mjd", "--mag-col", "V", "--err-col", "eV", "-q"]
    rc, _, err = call(capsys, "predict", model_dir, files["root"] / "long.csv", "-o",
                      tmp_path / "all.csv", *common)
    assert rc == 0, err
    rc, _, err = call(capsys, "predict", model_dir, files["root"] / "long.csv", "-o",
                      tmp_path / "stream.csv", "--chunk-stars", "7", *common)
    assert rc == 0, err
    whole = pd.read_csv(tmp_path / "all.csv", dtype={"id": str})
    streamed = pd.read_csv(tmp_path / "stream.csv", dtype={"id": str})
    assert len(streamed) == 40  # 6 chunks, one header
    pd.testing.assert_frame_equal(whole, streamed)
    # rows of a star must be contiguous: a shuffled table is refused, naming the star
    shuffled = pd.read_csv(files["root"] / "long.csv").sample(frac=1.0, random_state=0)
    shuffled.to_csv(tmp_path / "shuffled.csv", index=False)
    rc, _, err = call(capsys, "predict", model_dir, tmp_path / "shuffled.csv", "--chunk-stars",
                      "7", "-o", tmp_path / "x.csv", *common)
    assert rc == 1 and "shuffled.csv" in err and "star" in err


def test_deep_recipes_build_what_they_describe():
    from sklearn_lc import TransferClassifier, TransformerClassifier
    from sklearn_lc.model_io import MODEL_RECIPES, build_model

    net = build_model({"model": "transformer"}, random_state=0)[-1]
    assert isinstance(net, TransformerClassifier)
    # CPU-sized for the command line, unlike the estimator's ASTROMER-width default
    assert net.get_params()["module__d_model"] == 64
    assert "d_model 64" in MODEL_RECIPES["transformer"][0]
    net = build_model({"model": "transfer-crts"}, random_state=0)[-1]
    assert isinstance(net, TransferClassifier)
    # full fine-tuning: the frozen encoder did no better than scratch on ASAS
    assert (net.source, net.freeze, net.backbone_lr_factor) == ("crts", "none", 0.3)


def test_help_imports_only_the_parser():
    # --help must start fast: no scikit-learn, pandas, torch or numba behind it
    code = ("import sys\nfrom sklearn_lc.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\nheavy = [m for m in ('sklearn', 'pandas', 'torch', "
            "'numba', 'scipy', 'matplotlib') if m in sys.modules]\nprint('HEAVY', heavy)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "HEAVY []" in r.stdout and "evaluate" in r.stdout
    # the public names are still there, imported on first use
    import sklearn_lc

    assert {"FeatureExtractor", "load_light_curves", "CNNClassifier"} <= set(sklearn_lc.__all__)
    assert sklearn_lc.transformers.FeatureExtractor is sklearn_lc.FeatureExtractor
    assert cli.read_input is __import__("sklearn_lc.io").io.read_input


@pytest.mark.parametrize("how", ["same", "symlink", "hardlink", "relative"])
def test_output_naming_an_input_is_refused_before_reading(files, model_dir, tmp_path, how,
                                                          capsys, monkeypatch):
    src = tmp_path / "in.csv"
    src.write_text("this is not a light-curve table \x00\x01\n")  # never read: refused first
    before = src.read_bytes()
    out = {"same": src, "symlink": tmp_path / "link.csv", "hardlink": tmp_path / "hard.csv",
           "relative": Path("sub") / ".." / "in.csv"}[how]
    if how == "symlink":
        out.symlink_to(src)
    elif how == "hardlink":
        os.link(src, out)
    elif how == "relative":
        (tmp_path / "sub").mkdir()
        monkeypatch.chdir(tmp_path)
    for args in (["predict", model_dir, src, "-o", out],
                 ["features", src, "-o", out, "--overwrite"],
                 ["predict", model_dir, src, "-o", out, "--overwrite", "--chunk-stars", "3"]):
        rc, _, err = call(capsys, *args)
        assert rc == 1 and "is the input" in err, err
        assert src.read_bytes() == before
    # the labels file and the model directory are inputs too
    labels = tmp_path / "labels.csv"
    labels.write_text("id,label\n")
    rc, _, err = call(capsys, "features", files["root"] / "long.csv", "--labels", labels,
                      "-o", labels, "--overwrite")
    assert rc == 1 and "is the labels file" in err and labels.read_text() == "id,label\n"
    rc, _, err = call(capsys, "evaluate", model_dir, files["root"] / "train.npz", "-o",
                      model_dir, "--overwrite")
    assert rc == 1 and "is the model directory" in err
    assert (model_dir / "model.json").is_file()


def test_output_inside_an_input_folder_is_refused(files, capsys):
    folder = files["root"] / "folder"
    rc, _, err = call(capsys, "features", folder, "-o", folder / "features.csv")
    assert rc == 1 and "inside the input folder" in err
    assert not (folder / "features.csv").exists()


def test_existing_output_needs_overwrite(files, model_dir, tmp_path, capsys):
    out = tmp_path / "pred.csv"
    out.write_text("precious\n")
    args = ["predict", model_dir, files["root"] / "unlabelled.npz", "-o", out, "-q"]
    rc, _, err = call(capsys, *args)
    assert rc == 1 and "exists (use --overwrite" in err and out.read_text() == "precious\n"
    rc, _, err = call(capsys, *args, "--overwrite")
    assert rc == 0, err
    assert len(pd.read_csv(out)) == 40 and _leftovers(tmp_path) == []
    # a report folder: replaced whole with --overwrite, but never a folder of other files
    rep = tmp_path / "rep"
    common = ["evaluate", model_dir, files["root"] / "heldout.csv", "--labels",
              files["root"] / "heldout_labels.csv", *COLS, "-o", rep, "-q"]
    assert call(capsys, *common)[0] == 0
    (rep / "confusion_matrix.png").unlink()
    rc, _, err = call(capsys, *common)
    assert rc == 1 and "exists and is not empty (use --overwrite" in err
    rc, _, err = call(capsys, *common, "--overwrite")
    assert rc == 0, err
    assert sorted(p.name for p in rep.iterdir()) == sorted(
        ["confusion_matrix.png", "metrics.json", "predictions.csv", "report.txt"])
    (rep / "notes.txt").write_text("mine")
    rc, _, err = call(capsys, *common, "--overwrite")
    assert rc == 1 and "notes.txt" in err and (rep / "notes.txt").read_text() == "mine"
    assert _leftovers(tmp_path) == []


def test_streaming_bad_star_in_third_chunk_leaves_no_output(files, model_dir, tmp_path, capsys):
    long = pd.read_csv(files["root"] / "long.csv", dtype={"star": str})
    long.loc[long.index[long["star"] == "star12"][0], "V"] = np.inf
    path = tmp_path / "bad12.csv"
    long.to_csv(path, index=False)
    out = tmp_path / "stream.csv"
    rc, _, err = call(capsys, "predict", model_dir, path, *COLS, "--chunk-stars", "5", "-o", out)
    assert rc == 1
    assert "predicted 10 stars" in err  # two chunks were done before the bad one
    assert "bad12.csv: star star12: 1 non-finite" in err
    assert not out.exists() and _leftovers(tmp_path) == []
    # the same run with --on-invalid drop_points writes every star
    rc, _, err = call(capsys, "predict", model_dir, path, *COLS, "--chunk-stars", "5", "-o", out,
                      "--on-invalid", "drop_points", "-q")
    assert rc == 0, err
    assert len(pd.read_csv(out)) == 40


def test_streaming_interrupted_leaves_no_output(files, model_dir, tmp_path):
    import signal

    long = pd.read_csv(files["root"] / "long.csv", dtype={"star": str})
    # 4,000 stars in chunks of one: thousands of chunks, so that the run is still going when
    # the signal arrives even if this process is descheduled for seconds on a busy machine
    copies = [long.assign(star=long["star"] + f"_{k}") for k in range(100)]
    path = tmp_path / "big.csv"
    pd.concat(copies).to_csv(path, index=False)
    out = tmp_path / "stream.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sklearn_lc.cli", "predict", str(model_dir), str(path), *COLS,
         "--chunk-stars", "1", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        line = proc.stderr.readline()  # the first chunk is written
        assert "predicted 1 star" in line, line + proc.stderr.read()
        assert _leftovers(tmp_path)  # the temporary file exists while streaming
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert not out.exists() and _leftovers(tmp_path) == []


def test_evaluate_refuses_training_stars(files, model_dir, tmp_path, capsys):
    rc, _, err = call(capsys, "evaluate", model_dir, files["root"] / "train.npz")
    assert rc == 1
    assert "40 of the 40 stars evaluated were used to train the model" in err
    assert "--cv" in err and "--allow-train-overlap" in err
    # the digests do not depend on the file format: a long CSV of 5 training stars + 12 new
    long = pd.read_csv(files["root"] / "long.csv", dtype={"star": str})
    mixed = pd.concat([long[long["star"].isin(files["ids"][:5])],
                       pd.read_csv(files["root"] / "heldout.csv", dtype={"star": str})])
    mixed.to_csv(tmp_path / "mixed.csv", index=False)
    labels = pd.concat([pd.read_csv(files["root"] / "labels.csv", dtype=str),
                        pd.read_csv(files["root"] / "heldout_labels.csv", dtype=str)])
    labels.to_csv(tmp_path / "mixed_labels.csv", index=False)
    args = ["evaluate", model_dir, tmp_path / "mixed.csv", "--labels",
            tmp_path / "mixed_labels.csv", *COLS, "-q"]
    rc, _, err = call(capsys, *args)
    assert rc == 1 and "5 of the 17 stars evaluated were used" in err
    rc, out, err = call(capsys, *args, "--allow-train-overlap", "-o", tmp_path / "rep")
    assert rc == 0, err
    assert "warning: 5 of the 17 stars" in err and "accuracy" in out
    assert json.loads((tmp_path / "rep" / "metrics.json").read_text())["n_training_stars"] == 5


def test_evaluate_cv_refits_the_recipe_by_group(files, model_dir, tmp_path, capsys):
    rep = tmp_path / "cv"
    rc, out, err = call(capsys, "evaluate", model_dir, files["root"] / "train.npz", "--cv", "3",
                        "-o", rep, "-q")
    assert rc == 0, err  # training stars are fine here: every fold refits on the others
    assert "StratifiedGroupKFold(3) by 'group'" in out and "per fold: accuracy" in out
    metrics = json.loads((rep / "metrics.json").read_text())
    cv = metrics["cv"]
    assert cv["n_splits"] == 3 and len(cv["folds"]) == 3
    assert sum(f["n_test"] for f in cv["folds"]) == 40
    pred = pd.read_csv(rep / "predictions.csv", dtype=str)
    assert list(pred["id"]) == list(files["ids"])
    assert metrics["accuracy"] == pytest.approx((pred["label"] == pred["predicted"]).mean())
    assert cv["accuracy_mean"] == pytest.approx(np.mean([f["accuracy"] for f in cv["folds"]]))
    # out-of-fold: worse than the forest's score on its own training stars, but above chance
    assert 0.3 < metrics["accuracy"] < 1.0
    # no group array: plain stratified folds
    rc, out, err = call(capsys, "evaluate", model_dir, files["root"] / "long.csv", "--labels",
                        files["root"] / "labels.csv", *COLS, "--cv", "2", "-q")
    assert rc == 0, err
    assert "StratifiedKFold(2) (no 'group' in the data)" in out


def _class_map_file(path):
    path.write_text(json.dumps({
        "_doc": "label -> [fine, super]",
        "crts": {"EW": ["EW", "BIN"], "EA": ["EA", "BIN"], "RRab": ["RRab", "RRL"],
                 "RRc": ["RRc", "RRL"]},
        "asas": {"W_Ursae_Maj": ["EW", "BIN"], "Beta_Persei": ["EA", "BIN"],
                 "RR_Lyrae_FM": ["RRab", "RRL"], "RR_Lyrae_FO": ["RRc", "RRL"]},
    }))
    return path


def test_class_map_for_another_survey(files, model_dir, tmp_path, capsys):
    # the held-out stars under ASAS names: the model's CRTS names never match them
    asas = {"EW": "W_Ursae_Maj", "EA": "Beta_Persei", "RRab": "RR_Lyrae_FM", "RRc": "RR_Lyrae_FO"}
    labels = pd.read_csv(files["root"] / "heldout_labels.csv", dtype=str)
    labels["label"] = labels["label"].map(asas)
    labels.to_csv(tmp_path / "asas_labels.csv", index=False)
    common = ["evaluate", model_dir, files["root"] / "heldout.csv", "--labels",
              tmp_path / "asas_labels.csv", *COLS, "-q"]
    rc, out, err = call(capsys, *common)
    assert rc == 0, err
    assert "warning: no predicted label is a true label" in err and "--class-map" in err
    assert "accuracy  0.000" in out
    cmap = _class_map_file(tmp_path / "map.json")
    rc, out, err = call(capsys, *common, "--class-map", cmap, "-o", tmp_path / "fine")
    assert rc == 0, err
    assert "no predicted label" not in err
    fine = pd.read_csv(tmp_path / "fine" / "predictions.csv", dtype=str)
    assert set(fine["label_mapped"]) <= {"EW", "EA", "RRab", "RRc"}
    acc = float(out.split("accuracy  ")[1].split()[0])
    assert acc == pytest.approx((fine["label_mapped"] == fine["predicted_mapped"]).mean(),
                                abs=1e-3)
    assert acc == pytest.approx((fine["label"].map({v: k for k, v in asas.items()})
                                 == fine["predicted"]).mean(), abs=1e-3)
    rc, out, err = call(capsys, *common, "--class-map", cmap, "--class-level", "super", "-o",
                        tmp_path / "super")
    assert rc == 0, err
    sup = pd.read_csv(tmp_path / "super" / "predictions.csv", dtype=str)
    assert set(sup["label_mapped"]) == {"BIN", "RRL"}
    assert json.loads((tmp_path / "super" / "metrics.json").read_text())["accuracy"] >= acc
    # predict: the mapped label, and the model's own class beside it
    rc, out, err = call(capsys, "predict", model_dir, files["root"] / "unlabelled.npz",
                        "--class-map", cmap, "--class-level", "super", "-q")
    assert rc == 0, err
    df = pd.read_csv(__import__("io").StringIO(out))
    assert set(df["label"]) <= {"BIN", "RRL"}
    assert (df["label"] == df["model_label"].map({"EW": "BIN", "EA": "BIN", "RRab": "RRL",
                                                  "RRc": "RRL"})).all()


def test_bad_class_maps_are_refused(files, model_dir, tmp_path, capsys):
    base = ["predict", model_dir, files["root"] / "unlabelled.npz", "-q", "--class-map"]
    clash = tmp_path / "clash.json"
    clash.write_text(json.dumps({"a": {"EW": "BIN"}, "b": {"EW": "ROT"}}))
    rc, _, err = call(capsys, *base, clash)
    assert rc == 1 and "label 'EW' maps to 'BIN' in section 'a'" in err and "'ROT'" in err
    (tmp_path / "list.json").write_text("[1, 2]")
    rc, _, err = call(capsys, *base, tmp_path / "list.json")
    assert rc == 1 and "JSON object" in err
    rc, _, err = call(capsys, *base, _class_map_file(tmp_path / "m.json"), "--class-level", "7")
    assert rc == 1 and "no --class-level 7" in err


def test_confusion_matrix_skipped_without_matplotlib(files, model_dir, tmp_path, capsys,
                                                     monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # "import matplotlib" now fails
    with pytest.raises(ImportError):
        import matplotlib  # noqa: F401
    rep = tmp_path / "rep"
    rc, out, err = call(capsys, "evaluate", model_dir, files["root"] / "heldout.csv", "--labels",
                        files["root"] / "heldout_labels.csv", *COLS, "-o", rep, "-q")
    assert rc == 0, err
    assert "metrics.json, report.txt, predictions.csv" in out
    assert "confusion_matrix.png" not in out
    assert "confusion_matrix.png skipped: matplotlib is not installed" in err
    assert sorted(p.name for p in rep.iterdir()) == ["metrics.json", "predictions.csv",
                                                      "report.txt"]


def test_one_star_file_text_ids_and_plurals(files, tmp_path, capsys):
    t, m, e = (np.linspace(0, 100, 30), 15 + np.sin(np.linspace(0, 20, 30)), np.full(30, 0.05))
    one = tmp_path / "lc_0042.csv"
    pd.DataFrame({"time": t, "mag": m, "err": e}).to_csv(one, index=False)
    rc, out, err = call(capsys, "features", one, "-o", tmp_path / "one.csv", "-q")
    assert rc == 0, err
    assert "data: " in out and ": 1 star\n" in out and "1 star x 16 features" in out
    assert "1 stars" not in out
    assert pd.read_csv(tmp_path / "one.csv", dtype=str)["id"].tolist() == ["lc_0042"]
    # ids are text: four different stars, and leading zeros stay
    ids = ["012", "12", "1.0", "00004099"]
    long = pd.concat([pd.DataFrame({"id": i, "time": t + k, "mag": m, "err": e})
                      for k, i in enumerate(ids)])
    long.to_csv(tmp_path / "ids.csv", index=False)
    rc, out, err = call(capsys, "features", tmp_path / "ids.csv", "-o", tmp_path / "ids_f.csv",
                        "-q")
    assert rc == 0, err
    assert pd.read_csv(tmp_path / "ids_f.csv", dtype=str)["id"].tolist() == ids


def test_labels_file_with_two_labels_for_one_star(files, tmp_path, capsys):
    labels = pd.read_csv(files["root"] / "labels.csv", dtype=str)
    twice = pd.concat([labels, labels.iloc[[3]],  # the same label again is fine
                       labels.iloc[[5]].assign(label="Cep_II")])
    twice.to_csv(tmp_path / "twice.csv", index=False)
    rc, _, err = call(capsys, "train", files["root"] / "long.csv", "--labels",
                      tmp_path / "twice.csv", *COLS, "--model", "rf-basic", "-o", tmp_path / "m")
    assert rc == 1
    assert f"twice.csv: star {files['ids'][5]} has 2 different labels" in err
    assert not (tmp_path / "m").exists()
