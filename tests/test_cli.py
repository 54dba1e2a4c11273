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


def _model_name() -> str:
    return "rf-features"


@pytest.fixture(scope="module")
def files(crts_small, tmp_path_factory):
    """The 40 stars as a labelled .npz, an unlabelled .npz, a long CSV + labels, a CSV folder."""
    lcs, y, group = crts_small
    root = tmp_path_factory.mktemp("cli")
    ids = np.asarray([f"star{i:02d}" for i in range(len(lcs))])
    lengths = np.asarray([len(t) for t, _, _ in lcs])
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    cat = {k: np.concatenate([lc[j] for lc in lcs]) for j, k in enumerate(("time", "mag", "err"))}
    np.savez(root / "train.npz", offsets=offsets, label=y, id=ids, group=group, **cat)
    np.savez(root / "unlabelled.npz", offsets=offsets, id=ids, **cat)
    long = pd.DataFrame({
        "star": np.repeat(ids, lengths), "mjd": cat["time"], "V": cat["mag"], "eV": cat["err"],
    })
    long.to_csv(root / "long.csv", index=False)
    pd.DataFrame({"star": ids, "label": y}).to_csv(root / "labels.csv", index=False)
    folder = root / "folder"
    folder.mkdir()
    for i in range(8):
        t, m, e = lcs[i]
        pd.DataFrame({"time": t, "mag": m, "err": e}).to_csv(folder / f"{ids[i]}.csv", index=False)
    return {"root": root, "ids": ids, "y": y, "lengths": lengths}


@pytest.fixture(scope="module")
def model_dir(files):
    out = files["root"] / "model"
    cfg = files["root"] / "cfg.json"
    cfg.write_text(json.dumps({"model": _model_name(),
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
    r = run("evaluate", model_dir, files["root"] / "long.csv", "--labels",
            files["root"] / "labels.csv", "--id-col", "star", "--time-col", "mjd",
            "--mag-col", "V", "--err-col", "eV", "-o", rep, "-q")
    assert r.returncode == 0, r.stderr
    assert "accuracy" in r.stdout and "macro-F1" in r.stdout
    metrics = json.loads((rep / "metrics.json").read_text())
    assert metrics["n_stars"] == 40
    assert 0.7 < metrics["accuracy"] <= 1.0
    assert set(metrics["per_class"]) >= {"EA", "EW", "RRab", "RRc", "macro avg"}
    import matplotlib.image as mpimg

    img = mpimg.imread(rep / "confusion_matrix.png")
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img.std() > 0.01  # not a blank picture
    pred = pd.read_csv(rep / "predictions.csv")
    assert len(pred) == 40 and list(pred.columns) == ["id", "label", "predicted"]


def test_features_long_csv_and_folder(files, capsys):
    out = files["root"] / "features.csv"
    r = run("features", files["root"] / "long.csv", "--id-col", "star", "--time-col", "mjd",
            "--mag-col", "V", "--err-col", "eV", "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out, dtype={"id": str})
    assert len(df) == 40 and list(df["id"]) == list(files["ids"])
    n_feat = 16
    assert df.shape[1] == 1 + n_feat
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
    args = ["features", path, "--id-col", "star", "--time-col", "mjd", "--mag-col", "V",
            "--err-col", "eV", "-o", files["root"] / "y.csv"]
    rc, _, err = call(capsys, *args)
    assert rc == 1
    assert "bad.csv" in err and "star07" in err and "non-finite" in err
    assert not (files["root"] / "y.csv").exists()
    with pytest.raises(cli.CLIError, match="star07"):  # --debug: the exception propagates
        cli.main([str(a) for a in args] + ["--debug"])


def test_bad_star_in_folder_is_named(files, tmp_path, capsys):
    folder = tmp_path / "f"
    folder.mkdir()
    pd.DataFrame({"time": [1.0, 2.0, 3.0], "mag": [10.0, 10.1, 10.2]}).to_csv(folder / "ok.csv")
    pd.DataFrame({"time": [1.0, 2.0], "mag": ["a", "b"]}).to_csv(folder / "broken.csv")
    rc, _, err = call(capsys, "features", folder, "-o", tmp_path / "o.csv")
    assert rc == 1 and "broken.csv" in err and "'broken'" in err and "'mag'" in err


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

    recipes = {name: desc for name, (desc, _) in MODEL_RECIPES.items()}
    net = build_model({"model": "transformer"}, random_state=0)[-1]
    assert isinstance(net, TransformerClassifier)
    # CPU-sized for the command line, unlike the estimator's ASTROMER-width default
    assert net.get_params()["module__d_model"] == 64
    assert "d_model 64" in recipes["transformer"]
    net = build_model({"model": "transfer-crts"}, random_state=0)[-1]
    assert isinstance(net, TransferClassifier)
    # full fine-tuning: the frozen encoder did no better than scratch on ASAS
    assert (net.source, net.freeze, net.backbone_lr_factor) == ("crts", "none", 0.3)
