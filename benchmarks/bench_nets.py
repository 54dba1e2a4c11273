"""Folded-input networks: training throughput, and the period search shared by features and fold.

Part 1, the period search paid once: on ``--n-curves`` real CRTS curves
(random, seeded), the time per curve of ``FeatureExtractor(second_period=True)``,
of ``PhaseFold(period="auto", output="binned")`` (its own search), of both
run separately, of ``FeatureFold`` (features and the same fold from one
search), and of ``PhaseFold`` given the periods (folding and binning only).
Interleaved, median of ``--repeats``; one thread.

Part 2, training throughput: one epoch (``max_epochs=1``, no validation
split) of each new network at its CPU benchmark size, samples per second,
with torch on one thread and on two, and inference (``predict_proba``)
samples per second. Inputs are random arrays of the real shapes (speed does
not depend on their content): FeatureFold rows (21 features + 64 phase bins
x 5 channels) for HybridClassifier, folded WindowPad windows (200 x 4) for
CNNLSTMClassifier and TransformerClassifier (``time_encoding="periodic"``,
d_model 64).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_nets.py`` (``--quick`` for a
smoke run). Writes ``benchmarks/results/nets.{json,md}``.
"""

from __future__ import annotations

import argparse
import time

from _common import environment, single_thread, uptime, write_results

single_thread()

import numpy as np  # noqa: E402
import torch  # noqa: E402

from sklearn_lc import (  # noqa: E402
    CNNLSTMClassifier,
    FeatureExtractor,
    FeatureFold,
    HybridClassifier,
    PhaseFold,
    TransformerClassifier,
    load_light_curves,
    make_light_curves,
)
from sklearn_lc.nn import n_parameters  # noqa: E402

FOLD = dict(multiple=1.0, align="faintest")  # FeatureFold's defaults
N_BINS = 64


def _curves(n: int, seed: int) -> tuple[list, str]:
    try:
        data = load_light_curves("crts_drake14")
    except (FileNotFoundError, OSError):
        X, _ = make_light_curves(max(1, n // 12), n_points=(200, 400), random_state=seed)
        return list(X)[:n], "simulated"
    idx = np.random.RandomState(seed).choice(len(data.light_curves), n, replace=False)
    return [data.light_curves[i] for i in np.sort(idx)], "CRTS"


def period_cost(n: int, repeats: int, seed: int) -> dict:
    """Seconds per curve of each way of getting features and fold (median of repeats)."""
    lcs, source = _curves(n, seed)
    fe = FeatureExtractor(second_period=True)
    F = fe.fit_transform(lcs[:5])  # warm the numba kernels and FFT plans
    periods = FeatureExtractor().fit_transform(lcs)[:, 3].astype(np.float64)
    runs = {
        "FeatureExtractor(second_period=True)": lambda: fe.fit_transform(lcs),
        "PhaseFold(period='auto', output='binned')": lambda: PhaseFold(
            output="binned", n_bins=N_BINS, **FOLD).fit_transform(lcs),
        "PhaseFold(period=<given>, output='binned')": lambda: PhaseFold(
            period=periods, output="binned", n_bins=N_BINS, **FOLD).fit_transform(lcs),
        "FeatureFold()": lambda: FeatureFold(n_bins=N_BINS, **FOLD).fit_transform(lcs),
    }
    PhaseFold(output="binned", n_bins=N_BINS, **FOLD).fit_transform(lcs[:5])
    FeatureFold(n_bins=N_BINS).fit_transform(lcs[:5])
    times: dict = {k: [] for k in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {k: float(np.median(v)) / len(lcs) for k, v in times.items()}
    separate = (med["FeatureExtractor(second_period=True)"]
                + med["PhaseFold(period='auto', output='binned')"])
    del F
    return {"source": source, "n_curves": len(lcs), "repeats": repeats,
            "median_points": int(np.median([len(t) for t, _, _ in lcs])),
            "seconds_per_curve": med, "separate_seconds_per_curve": separate,
            "saved_fraction": 1.0 - med["FeatureFold()"] / separate}


def _models(quick: bool) -> dict:
    """Name -> (estimator factory, input shape, batch size) at the suite's CPU sizes."""
    n_tab = 21
    hybrid = dict(sequence_shape=(N_BINS, 5), batch_size=128, validation_fraction=None,
                  max_epochs=1, random_state=0)
    return {
        "HybridClassifier(backbone='cnn')": (
            lambda: HybridClassifier(backbone="cnn", **hybrid), (n_tab + N_BINS * 5,), 128),
        "HybridClassifier(backbone='cnn-lstm')": (
            lambda: HybridClassifier(backbone="cnn-lstm", **hybrid), (n_tab + N_BINS * 5,),
            128),
        "HybridClassifier(backbone='transformer')": (
            lambda: HybridClassifier(backbone="transformer", **hybrid),
            (n_tab + N_BINS * 5,), 128),
        "CNNLSTMClassifier (folded windows)": (
            lambda: CNNLSTMClassifier(batch_size=128, validation_fraction=None, max_epochs=1,
                                      random_state=0), (200, 4), 128),
        "TransformerClassifier(time_encoding='periodic', d_model 64)": (
            lambda: TransformerClassifier(batch_size=32, validation_fraction=None,
                                          max_epochs=1, random_state=0, module__d_model=64,
                                          module__time_encoding="periodic"), (200, 4), 32),
    }


def _inputs(shape: tuple, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n,) + shape).astype(np.float32)
    if len(shape) == 2:  # windows: a time channel in phase order and a full mask
        X[..., 0] = np.sort(rng.rand(n, shape[0]), axis=1) - 0.5
        X[..., 2] = np.abs(X[..., 2]) * 0.05
        X[..., 3] = 1.0
    else:  # FeatureFold rows: a mask channel in the bins
        seq = X[:, 21:].reshape(n, N_BINS, 5)
        seq[..., 0] = (np.arange(N_BINS) + 0.5) / N_BINS
        seq[..., 3] = 1.0
        seq[..., 2] = np.abs(seq[..., 2]) * 0.05
    y = np.arange(n) % 7
    return X, y


def throughput(quick: bool, threads: tuple) -> list[dict]:
    n = 256 if quick else 1024
    rows = []
    for name, (make, shape, batch) in _models(quick).items():
        X, y = _inputs(shape, n, 0)
        row = {"model": name, "input": list(shape), "batch": batch}
        for k in threads:
            torch.set_num_threads(k)
            make().fit(X[:64], y[:64])  # warm-up
            fit_s, pred_s = [], []
            for _ in range(1 if quick else 3):
                est = make()
                t0 = time.perf_counter()
                est.fit(X, y)
                fit_s.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                est.predict_proba(X)
                pred_s.append(time.perf_counter() - t0)
            row[f"train_samples_per_s_{k}t"] = n / float(np.median(fit_s))
            row[f"predict_samples_per_s_{k}t"] = n / float(np.median(pred_s))
            row["params"] = n_parameters(est.module_)
        rows.append(row)
        print(row, flush=True)
    torch.set_num_threads(1)
    return rows


def write_md(res: dict) -> str:
    pc = res["period_cost"]
    ms = {k: 1e3 * v for k, v in pc["seconds_per_curve"].items()}
    lines = ["# Folded-input networks: throughput and the shared period search (CPU)", "",
             f"Machine: {res['env']['machine']}; torch {res['env']['torch']}; "
             f"{res['env']['date']}; `uptime` before: {res['env']['uptime']}; after: "
             f"{res['uptime_after']} (2 cores shared with other jobs: absolute times are "
             "noisy, ratios within a table are what count).", "",
             f"## Features and fold from one period search ({pc['n_curves']} {pc['source']} "
             f"curves, median {pc['median_points']} points, one thread, median of "
             f"{pc['repeats']} interleaved repeats)", "",
             "| computation | ms per curve |", "|---|---|"]
    for k, v in ms.items():
        lines.append(f"| `{k}` | {v:.1f} |")
    lines.append(f"| FeatureExtractor + PhaseFold(period='auto'), run separately | "
                 f"{1e3 * pc['separate_seconds_per_curve']:.1f} |")
    lines += ["", f"`FeatureFold` saves **{100 * pc['saved_fraction']:.0f}%** of the separate "
              "runs' time: the fold reuses the features' period (the robust search, "
              "FeatureExtractor's default) instead of searching again. Folding and binning "
              "alone (PhaseFold given the periods) is the small remainder.", "",
              "## Training throughput, one epoch (samples/s)", "",
              "| network | input | params | batch | train, 1 thread | train, 2 threads | "
              "predict, 1 thread | predict, 2 threads |", "|---|---|---|---|---|---|---|---|"]
    for r in res["throughput"]:
        lines.append(
            f"| {r['model']} | {tuple(r['input'])} | {r['params']:,} | {r['batch']} | "
            f"{r.get('train_samples_per_s_1t', float('nan')):.0f} | "
            f"{r.get('train_samples_per_s_2t', float('nan')):.0f} | "
            f"{r.get('predict_samples_per_s_1t', float('nan')):.0f} | "
            f"{r.get('predict_samples_per_s_2t', float('nan')):.0f} |")
    lines += ["", "Hybrid rows are FeatureFold's (21 features + 64 phase bins x 5 channels); "
              "the folded windows are WindowPad(window=200) of PhaseFold curves. Inputs are "
              f"random arrays of these shapes, {res['n_samples']} samples.", ""]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--n-curves", type=int, default=300)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    res = {"env": environment(), "n_samples": 256 if args.quick else 1024}
    res["period_cost"] = period_cost(30 if args.quick else args.n_curves,
                                     1 if args.quick else args.repeats, args.seed)
    print(res["period_cost"], flush=True)
    res["throughput"] = throughput(args.quick, (1, 2))
    res["uptime_after"] = uptime()
    md = write_results("nets_quick" if args.quick else "nets", res, write_md(res))
    print(md.read_text())


if __name__ == "__main__":
    main()
