"""Deep estimators: skorch overhead and a reduced CRTS 7-class run (CPU).

Part 1, throughput: one training epoch of each estimator (``fit`` with
``max_epochs=1``, no validation split, so every sample is trained on once)
against a plain torch loop over the *same* module class, parameters, data,
batch size, optimizer (AdamW, lr 1e-3) and loss, in the same process,
interleaved, median over repeats. Inputs are random arrays of the real
shapes (DmDtImage images, WindowPad windows of 200 observations): speed does
not depend on their content. Overhead = torch samples/s / skorch samples/s - 1.

Part 2, accuracy: the CRTS 7-class task (EW, EA, RRab, RRc, RRd, RS_CVn, LPV)
with ``StratifiedGroupKFold`` by ``group``, reduced to fit ~10 CPU minutes:
``--per-class`` stars per class (random, seeded), ``--folds`` folds, the
estimators' default architectures, ``max_epochs`` per model as below with
early stopping (patience 5) on a 10% stratified validation split of each
training fold. Reports pooled out-of-fold accuracy and macro-F1.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_deep.py`` (``--quick`` for a
smoke run). Writes ``benchmarks/results/deep.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, environment, single_thread  # noqa: E402

single_thread()

import torch  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import StratifiedGroupKFold  # noqa: E402

from sklearn_lc import (  # noqa: E402
    CNNClassifier,
    CNNLSTMClassifier,
    DmDtImage,
    TransformerClassifier,
    WindowPad,
    load_light_curves,
)
from sklearn_lc.nn import n_parameters  # noqa: E402

CLASSES7 = ("EW", "EA", "RRab", "RRc", "RRd", "RS_CVn", "LPV")


def plain_torch_epoch(make_module, X: np.ndarray, y: np.ndarray,
                      batch_size: int, lr: float) -> float:
    """Build the module, then one epoch of a minimal torch training loop; return seconds."""
    t0 = time.perf_counter()
    module = make_module()
    ds = torch.utils.data.TensorDataset(torch.as_tensor(X), torch.as_tensor(y))
    dl = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True)
    opt = torch.optim.AdamW(module.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    module.train()
    for xb, yb in dl:
        opt.zero_grad()
        loss = loss_fn(module(xb), yb)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


# CPU sizes: the transformer's default width is ASTROMER's 256; these runs use 64
CPU_SIZE = {"TransformerClassifier": {"d_model": 64}}


def cpu_size_params(name: str) -> dict:
    """Return the ``module__*`` parameters of an estimator's CPU size ({} for its defaults)."""
    return {f"module__{k}": v for k, v in CPU_SIZE.get(name, {}).items()}


def throughput(quick: bool) -> list[dict]:
    rng = np.random.RandomState(0)
    cases = [
        ("CNNClassifier", CNNClassifier, (1, 22, 23), 400 if quick else 3000),
        ("CNNLSTMClassifier", CNNLSTMClassifier, (200, 4), 200 if quick else 600),
        ("TransformerClassifier", TransformerClassifier, (200, 4), 100 if quick else 400),
    ]
    repeats = 1 if quick else 3
    rows = []
    for name, cls, shape, n in cases:
        X = rng.rand(n, *shape).astype(np.float32)
        if shape[-1] == 4:  # WindowPad-like: sorted times, real points then padding
            X[..., 0] = np.sort(rng.uniform(-1500, 1500, (n, shape[0])), axis=1)
            lengths = rng.randint(60, shape[0] + 1, n)
            X[..., 3] = (np.arange(shape[0])[None, :] < lengths[:, None])
            X[X[..., 3] == 0] = 0.0
        y = rng.randint(0, 7, n)
        kwargs = {**cls._default_module_params, **CPU_SIZE.get(name, {}), "n_classes": 7,
                  **({"in_channels": 1} if shape[-1] != 4 else {})}
        module_params = cpu_size_params(name)

        def make_module(kwargs=kwargs, cls=cls):
            return cls._default_module(**kwargs)

        t_sk, t_pt = [], []
        # warm-up of both (first-call costs: allocator, kernels, lazy imports), untimed
        cls(max_epochs=1, validation_fraction=None, **module_params).fit(X[:128], y[:128])
        plain_torch_epoch(make_module, X[:128], y[:128].astype(np.int64), 64, 1e-3)
        for r in range(repeats):
            clf = cls(max_epochs=1, validation_fraction=None, random_state=r, **module_params)
            t0 = time.perf_counter()
            clf.fit(X, y)
            t_sk.append(time.perf_counter() - t0)
            torch.manual_seed(r)
            t_pt.append(plain_torch_epoch(make_module, X, y.astype(np.int64), clf.batch_size,
                                          clf.lr))
        sk, pt = float(np.median(t_sk)), float(np.median(t_pt))
        rows.append({
            "estimator": name, "input_shape": list(shape), "n_samples": n,
            "batch_size": clf.batch_size, "n_params": n_parameters(clf.module_),
            "skorch_samples_per_s": n / sk, "torch_samples_per_s": n / pt,
            "overhead": pt and (sk / pt - 1.0), "repeats": repeats,
        })
        print(f"{name:22s} skorch {n / sk:8.1f}/s  torch {n / pt:8.1f}/s  "
              f"overhead {100 * (sk / pt - 1):+.1f}%", flush=True)
    return rows


def crts_run(per_class: int, folds: int, epochs: dict, quick: bool,
             fit_params: dict | None = None) -> dict:
    b = load_light_curves("crts_drake14", classes=CLASSES7)
    y_all = np.asarray(b.target)
    rng = np.random.RandomState(0)
    idx = np.concatenate([
        rng.choice(np.flatnonzero(y_all == c), min(per_class, int((y_all == c).sum())),
                   replace=False) for c in CLASSES7])
    X = [b.light_curves[i] for i in idx]
    y = y_all[idx]
    groups = np.asarray(b.group)[idx]
    t0 = time.perf_counter()
    images = DmDtImage().fit_transform(X)
    t_img = time.perf_counter() - t0
    t0 = time.perf_counter()
    windows = WindowPad(window=200).fit_transform(X)
    t_win = time.perf_counter() - t0
    models = {
        "CNNClassifier": (CNNClassifier, images),
        "CNNLSTMClassifier": (CNNLSTMClassifier, windows),
        "TransformerClassifier": (TransformerClassifier, windows),
    }
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    splits = list(cv.split(X, y, groups))
    out = {"n_stars": int(len(y)), "class_counts": {c: int((y == c).sum()) for c in CLASSES7},
           "fit_params": dict(fit_params or {}),
           "folds": folds, "dmdt_seconds": t_img, "windowpad_seconds": t_win, "models": {}}
    for name, (cls, Z) in models.items():
        pred = np.empty(len(y), dtype=y.dtype)
        t0 = time.perf_counter()
        n_epochs = []
        for k, (tr, te) in enumerate(splits):
            clf = cls(max_epochs=epochs[name], patience=5, random_state=k,
                      **cpu_size_params(name),
                      **(fit_params or {}))
            clf.fit(Z[tr], y[tr])
            pred[te] = clf.predict(Z[te])
            n_epochs.append(len(clf.history))
        secs = time.perf_counter() - t0
        acc = accuracy_score(y, pred)
        f1 = f1_score(y, pred, average="macro")
        out["models"][name] = {"accuracy": acc, "macro_f1": f1, "seconds": secs,
                               "max_epochs": epochs[name], "epochs_run": n_epochs,
                               "per_class_f1": dict(zip(CLASSES7, f1_score(
                                   y, pred, labels=list(CLASSES7), average=None).tolist()))}
        print(f"{name:22s} acc {acc:.3f}  macro-F1 {f1:.3f}  {secs:.0f} s  epochs {n_epochs}",
              flush=True)
    return out


def write_md(res: dict, path: Path) -> None:
    lines = [
        "# Deep estimators (CPU)",
        "",
        f"Machine: {res['machine']}; torch {res['torch']}, {res['threads']} thread(s); shared "
        "with other jobs, so absolute times are noisy (ratios within a row are what count).",
        "",
        "## Training throughput, one epoch (skorch estimator vs plain torch loop)",
        "",
        "| estimator | input | params | batch | skorch samples/s | torch samples/s | overhead |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in res["throughput"]:
        lines.append(
            f"| {r['estimator']} | {tuple(r['input_shape'])} | {r['n_params']:,} | "
            f"{r['batch_size']} | {r['skorch_samples_per_s']:.0f} | "
            f"{r['torch_samples_per_s']:.0f} | {100 * r['overhead']:+.1f}% |")
    c = res.get("crts")
    if c:
        lines += [
            "",
            "## CRTS 7-class (EW, EA, RRab, RRc, RRd, RS_CVn, LPV), reduced",
            "",
            f"Reduced to fit ~10 CPU minutes: {c['n_stars']} stars (at most "
            f"{res['per_class']} per class, random, seed 0: {c['class_counts']}), "
            f"StratifiedGroupKFold by `group`, {c['folds']} folds, pooled out-of-fold "
            "predictions; default architectures (CNN 32/64 filters + 2x128 dense; CNN-LSTM "
            "conv 64 + LSTM 128; transformer d_model 64, 4 heads, 2 blocks, MLP 128 — not "
            "ASTROMER's 256), AdamW lr "
            f"{c.get('fit_params', {}).get('lr', 1e-3):g}, batch "
            f"{c.get('fit_params', {}).get('batch_size', 64)}, early stopping (patience 5) "
            "on a 10% stratified validation split. Inputs: DmDtImage() (1x22x23) and "
            "WindowPad(window=200, strategy='first'). The published figures use all stars "
            "(imbalanced classes) and full training; this balanced subset is not directly "
            "comparable.",
            "",
            "| model | accuracy | macro-F1 | max epochs | epochs run per fold | seconds |",
            "|---|---|---|---|---|---|",
        ]
        for name, m in c["models"].items():
            lines.append(f"| {name} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | "
                         f"{m['max_epochs']} | {m['epochs_run']} | {m['seconds']:.0f} |")
        total = res.get("total_seconds")
        lines += [
            "",
            (f"The whole script took {total / 60:.0f} min on a machine shared with other jobs. "
             if total else "")
            + "A fold that ran fewer epochs than the maximum stopped early (patience 5); one "
            "that ran them all had improved on its validation split within its last 5 epochs, "
            "so its number reflects the CPU budget more than the architecture.",
            "",
        ]
    prev = res.get("previous")
    if prev:
        lines += ["", f"## Previous committed run ({prev['label']})", "",
                  "| estimator | skorch samples/s then | now | speed-up |", "|---|---|---|---|"]
        now = {r["estimator"]: r["skorch_samples_per_s"] for r in res["throughput"]}
        for r in prev["throughput"]:
            if r["estimator"] in now:
                lines.append(f"| {r['estimator']} | {r['skorch_samples_per_s']:.0f} | "
                             f"{now[r['estimator']]:.0f} | "
                             f"{now[r['estimator']] / r['skorch_samples_per_s']:.1f}x |")
        if prev.get("crts") and c:
            lines += ["", "| model | accuracy then | now | macro-F1 then | now |",
                      "|---|---|---|---|---|"]
            for name, m in prev["crts"]["models"].items():
                if name in c["models"]:
                    n = c["models"][name]
                    lines.append(f"| {name} | {m['accuracy']:.3f} | {n['accuracy']:.3f} | "
                                 f"{m['macro_f1']:.3f} | {n['macro_f1']:.3f} |")
    if c:
        lines += [
            "",
            "Published bars: Mahabal et al. 2017 dm-dt CNN 83% accuracy (7 CRTS classes); "
            "2024 study: 2-D CNN 74.5% / macro-F1 0.54, CNN-LSTM 66.6% / 0.49.",
        ]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--per-class", type=int, default=120)
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--skip-crts", action="store_true")
    ap.add_argument("--md-only", action="store_true", help="rewrite deep.md from deep.json")
    ap.add_argument("--epochs", type=int, nargs=3, default=[30, 12, 10],
                    metavar=("CNN", "CNNLSTM", "TRANSFORMER"),
                    help="max_epochs of the three estimators in the CRTS run")
    ap.add_argument("--batch-size", type=int, default=None, help="CRTS run: batch_size")
    ap.add_argument("--lr", type=float, default=None, help="CRTS run: learning rate")
    ap.add_argument("--crts-only", action="store_true",
                    help="re-run the CRTS part only; keep the committed throughput rows")
    ap.add_argument("--previous-label", default=None,
                    help="keep the committed results as 'previous' (this label says what "
                    "changed) and show them beside the new ones")
    args = ap.parse_args()
    if args.md_only:
        write_md(json.loads((RESULTS / "deep.json").read_text()), RESULTS / "deep.md")
        return
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    res = {**environment(threads=torch.get_num_threads()),
           "quick": args.quick, "per_class": args.per_class}
    t_start = time.perf_counter()
    name = "deep_quick" if args.quick else "deep"
    if args.crts_only:
        kept = json.loads((RESULTS / f"{name}.json").read_text())
        res["throughput"] = kept["throughput"]
        if "previous" in kept and not args.previous_label:
            res["previous"] = kept["previous"]
    else:
        res["throughput"] = throughput(args.quick)
    if not args.skip_crts:
        epochs = dict(zip(("CNNClassifier", "CNNLSTMClassifier", "TransformerClassifier"),
                          args.epochs))
        if args.quick:
            epochs = dict.fromkeys(epochs, 2)
        fit_params = {k: v for k, v in (("batch_size", args.batch_size), ("lr", args.lr))
                      if v is not None}
        res["crts"] = crts_run(30 if args.quick else args.per_class,
                               2 if args.quick else args.folds, epochs, args.quick, fit_params)
    res["total_seconds"] = time.perf_counter() - t_start
    RESULTS.mkdir(exist_ok=True)
    if args.previous_label and (RESULTS / f"{name}.json").is_file():
        old = json.loads((RESULTS / f"{name}.json").read_text())
        old.pop("previous", None)
        res["previous"] = {"label": args.previous_label, **old}
    (RESULTS / f"{name}.json").write_text(json.dumps(res, indent=2) + "\n")
    write_md(res, RESULTS / f"{name}.md")
    print(f"wrote {RESULTS / name}.{{json,md}}")


if __name__ == "__main__":
    main()
