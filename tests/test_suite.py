"""The benchmark suite runs end to end in --quick mode, resumes, and reports."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _suite():
    spec = importlib.util.spec_from_file_location("run_suite", ROOT / "benchmarks" / "run_suite.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow  # the suite twice and the transfer benchmark: minutes on 2 cores
def test_quick_suite_runs_resumes_and_reports(tmp_path, crts, asas):
    suite = _suite()
    args = ["--quick", "--tasks", "crts7", "--pipelines", "rf-features,cnn-dmdt,stacking",
            "--votes", "rf-features+cnn-dmdt", "--benchmarks", "transfer",
            "--out", str(tmp_path)]
    suite.main(args)
    res = json.loads((tmp_path / "results.json").read_text())
    pipes = res["crts7"]["pipelines"]
    assert set(pipes) == {"rf-features", "cnn-dmdt", "stacking", "vote(rf-features+cnn-dmdt)"}
    for folds in pipes.values():
        assert len(folds) == 2
        for f in folds:
            assert 0 <= f["accuracy"] <= 1 and 0 <= f["macro_f1"] <= 1
            assert f["n_train"] + f["n_test"] == res["crts7"]["n_stars"]
    assert res["crts7"]["n_stars"] == 7 * 30
    # the feature forest learns something even on 30 stars per class
    assert min(f["macro_f1"] for f in pipes["rf-features"]) > 0.4
    assert "members" in pipes["stacking"][0]
    assert "history" in pipes["cnn-dmdt"][0]
    report = (tmp_path / "report.md").read_text()
    assert "| rf-features |" in report and "Mahabal" in report
    assert "Ensemble **stacking**" in report
    assert "Ensemble **vote(rf-features+cnn-dmdt)**" in report
    vote = res["crts7"]["pipelines"]["vote(rf-features+cnn-dmdt)"]
    assert len(vote) == 2 and set(vote[0]["members"]) == {"rf-features", "cnn-dmdt"}
    for png in ("crts7_confusion.png", "crts7_learning_curves.png"):
        assert (tmp_path / png).stat().st_size > 5000
    assert (tmp_path / "report.html").read_text().startswith("<html>")
    # the ASAS transfer benchmark ran in its smoke mode into <out>/benchmarks (not over
    # the committed benchmarks/results) and its table is part of the report
    transfer = json.loads((tmp_path / "benchmarks" / "transfer.json").read_text())
    assert transfer["seeds"] == 1 and transfer["epochs"] == 1
    assert {"rf-features", "transfer-finetune"} <= set(transfer["summary"])
    assert "## From `transfer.md`" in report and "Transfer CRTS -> ASAS" in report
    # resumable: a finished fold is read back, not recomputed
    fold0 = tmp_path / "runs" / "crts7" / "rf-features" / "fold0.json"
    mark = json.loads(fold0.read_text())
    mark["accuracy"] = 0.123456
    fold0.write_text(json.dumps(mark))
    # ... and a benchmark whose results exist is not run again
    (tmp_path / "benchmarks" / "transfer.md").write_text("# Transfer CRTS -> ASAS\n\nkept\n")
    suite.main(args)
    res2 = json.loads((tmp_path / "results.json").read_text())
    assert res2["crts7"]["pipelines"]["rf-features"][0]["accuracy"] == pytest.approx(0.123456)
    assert (tmp_path / "benchmarks" / "transfer.md").read_text().endswith("kept\n")
    assert "kept" in (tmp_path / "report.md").read_text()


def test_unknown_benchmark_is_an_error(tmp_path):
    with pytest.raises(SystemExit):
        _suite().main(["--quick", "--benchmarks", "transfer,nope", "--out", str(tmp_path)])


def test_report_only_computes_nothing(tmp_path, crts):
    suite = _suite()
    suite.main(["--quick", "--tasks", "crts7", "--pipelines", "rf-features", "--votes", "",
                "--benchmarks", "", "--out", str(tmp_path)])
    (tmp_path / "runs" / "crts7" / "rf-features" / "fold1.json").unlink()
    suite.main(["--quick", "--report-only", "--tasks", "crts7", "--pipelines", "rf-features",
                "--votes", "", "--out", str(tmp_path)])
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["crts7"]["pipelines"] == {}
    assert not (tmp_path / "runs" / "crts7" / "rf-features" / "fold1.json").exists()


def test_report_only_rebuilds_the_report_from_a_results_folder(tmp_path, crts):
    suite = _suite()
    run = tmp_path / "run"
    suite.main(["--quick", "--tasks", "crts7", "--pipelines", "rf-features", "--votes", "",
                "--benchmarks", "", "--out", str(run)])
    first = json.loads((run / "results.json").read_text())["crts7"]["pipelines"]
    # the user copies the per-fold files elsewhere and rebuilds the report there
    copy = tmp_path / "copy"
    for src in (run / "runs").rglob("fold*.json"):
        dst = copy / src.relative_to(run)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(src.read_text())
    suite.main(["--quick", "--report-only", "--tasks", "crts7", "--pipelines", "rf-features",
                "--votes", "", "--out", str(copy)])
    again = json.loads((copy / "results.json").read_text())["crts7"]["pipelines"]
    assert [f["macro_f1"] for f in again["rf-features"]] == \
        [f["macro_f1"] for f in first["rf-features"]]
    assert "| rf-features |" in (copy / "report.md").read_text()
    assert not (copy / "cache").exists()  # nothing was computed
    # a folder without per-fold results is refused, and nothing is written there
    empty = tmp_path / "empty"
    with pytest.raises(SystemExit):
        suite.main(["--quick", "--report-only", "--out", str(empty)])
    assert not empty.exists()


def test_mix_accuracy_restates_recalls_at_another_class_mix():
    mix_accuracy = _suite().mix_accuracy
    # recalls: a 8/10, b 5/10; at a 3:1 mix the accuracy is 0.75 * 0.8 + 0.25 * 0.5
    fold = {"labels": ["a", "b"], "confusion": [[8, 2], [5, 5]]}
    assert mix_accuracy(fold, {"a": 3, "b": 1}) == pytest.approx(0.725)
    assert mix_accuracy(fold, {"a": 1, "b": 1}) == pytest.approx(0.65)  # balanced accuracy
    # told the mix: probabilities times the shares. Star 0 (a, p_a 0.45) flips to a at 3:1;
    # star 2 (b, p_b 0.9) stays b
    y = np.array(["a", "a", "b"])
    fold = {"labels": ["a", "b"], "test_index": [0, 1, 2],
            "proba": [[0.45, 0.55], [0.9, 0.1], [0.1, 0.9]]}
    assert mix_accuracy(fold, {"a": 1, "b": 1}, y) == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)
    assert mix_accuracy(fold, {"a": 3, "b": 1}, y) == pytest.approx(1.0)
    # at 19:1 star 2 flips to a too: recall of b drops to 0
    assert mix_accuracy(fold, {"a": 19, "b": 1}, y) == pytest.approx(0.95)


def test_single_class_folds_counts_folds_with_one_predicted_class():
    single_class_folds = _suite().single_class_folds
    stuck = {"confusion": [[0, 4, 0], [0, 3, 0], [0, 5, 0]]}  # everything predicted as class 1
    trained = {"confusion": [[4, 0, 0], [1, 2, 0], [0, 5, 0]]}  # two classes predicted
    assert single_class_folds([stuck, trained, stuck]) == 2
    assert single_class_folds([trained]) == 0
