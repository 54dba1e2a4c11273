"""``n_jobs`` of the per-star transformers on CRTS: 1 against 2 against -1 (all cores).

Run: ``OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_parallel.py``
(``--quick``: fewer stars and repeats, for a smoke run; ``--readme``: also
time the README's Python example and its parts). Writes
benchmarks/results/parallel.{json,md}.

Each transformer transforms the same CRTS stars with ``n_jobs`` 1, 2 and -1,
round-robin, repeated; the table gives the median wall time of each setting
and its ratio to ``n_jobs=1`` measured in the same run, with the load
average (``os.getloadavg``) before and after each row. A ``forced`` column
runs ``n_jobs=2`` with the cost thresholds of
:mod:`sklearn_lc.utils._parallel` set to zero, so workers start whatever the
work costs (the behaviour before the thresholds existed, with the first
processes' start-up in its first repeat).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import RESULTS

import sklearn_lc
from sklearn_lc import (
    DmDtImage,
    FeatureExtractor,
    FreedmanDiaconisHist,
    WindowPad,
    load_light_curves,
)
from sklearn_lc.utils import _parallel

ROOT = Path(__file__).resolve().parent.parent
SEVEN = ["EW", "EA", "RRab", "RRc", "RRd", "RS_CVn", "LPV"]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class _Forced:
    """Context: map_chunks starts workers whatever the work costs."""

    names = ("MIN_THREAD_SECONDS", "MIN_PROCESS_SECONDS", "MAX_TRANSFER_FRACTION",
             "_free_cores")

    def __enter__(self):
        self.saved = {n: getattr(_parallel, n) for n in self.names}
        _parallel._free_cores = lambda before=None: float("inf")  # whatever the load
        _parallel.MIN_THREAD_SECONDS = 0.0
        _parallel.MIN_PROCESS_SECONDS = 0.0
        _parallel.MAX_TRANSFER_FRACTION = float("inf")

    def __exit__(self, *exc):
        for n, v in self.saved.items():
            setattr(_parallel, n, v)


def _time(est, X, setting) -> tuple[float, str]:
    """Wall time of one transform, and how map_chunks ran it (path x workers)."""
    n_jobs = 2 if setting == "forced" else setting
    est = est.set_params(n_jobs=n_jobs)
    _parallel._last_plan.clear()
    t0 = time.perf_counter()
    if setting == "forced":
        with _Forced():
            est.transform(X)
    else:
        est.transform(X)
    seconds = time.perf_counter() - t0
    plan = _parallel._last_plan
    how = "serial" if not plan or plan["how"] == "serial" else f"{plan['how']} x{plan['workers']}"
    return seconds, how


def bench_transformer(name, est, X, repeats: int, forced: bool) -> dict:
    settings = [1, 2, -1] + (["forced"] if forced else [])
    times = {s: [] for s in settings}
    paths = {s: [] for s in settings}
    load_before = _load()
    est.set_params(n_jobs=1).transform(X[:20])  # compile / load kernels once
    for r in range(repeats):
        # each repeat starts at another setting, so a load that drifts during a
        # repeat does not always favour the same one
        order = settings[r % len(settings):] + settings[:r % len(settings)]
        for s in order:
            sec, how = _time(est, X, s)
            times[s].append(sec)
            paths[s].append(how)
        print(f"  {name} repeat {r}: " + ", ".join(f"{s}: {times[s][-1]:.2f} s ({paths[s][-1]})"
                                                    for s in settings)
              + f" (load {_load()})", flush=True)
    med = {str(s): statistics.median(v) for s, v in times.items()}
    return {"transformer": name, "n_stars": len(X), "repeats": repeats,
            "times": {str(s): v for s, v in times.items()}, "median": med,
            "paths": {str(s): v for s, v in paths.items()},
            "ratio_2": med["2"] / med["1"], "ratio_all": med["-1"] / med["1"],
            "ratio_forced": med["forced"] / med["1"] if forced else None,
            "load_before": load_before, "load_after": _load()}


def _demo(n_jobs: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sklearn_lc.cli", "demo", "--n-jobs", str(n_jobs),
                    "-q"], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def bench_demo(repeats: int) -> dict:
    times = {1: [], -1: []}
    load_before = _load()
    for r in range(repeats):
        for nj in ((1, -1) if r % 2 == 0 else (-1, 1)):
            times[nj].append(_demo(nj))
        print(f"  demo repeat {r}: n_jobs=1 {times[1][-1]:.1f} s, n_jobs=-1 {times[-1][-1]:.1f} s"
              f" (load {_load()})", flush=True)
    med = {str(k): statistics.median(v) for k, v in times.items()}
    return {"times": {str(k): v for k, v in times.items()}, "median": med,
            "ratio_all": med["-1"] / med["1"], "load_before": load_before,
            "load_after": _load()}


_README_CV = '''
import sys, time, json, os
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedGroupKFold, cross_val_score
from sklearn_lc import load_light_curves
data = load_light_curves("crts_drake14", classes={classes!r})
X = np.load({features!r})
variant = {variant!r}
t0 = time.perf_counter()
hgb = HistGradientBoostingClassifier(class_weight="balanced")
kw = dict(groups=data.group, cv=StratifiedGroupKFold(5), scoring="f1_macro")
if variant == "threads_default":
    s = cross_val_score(hgb, X, data.target, **kw)
elif variant == "one_thread":
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1):
        s = cross_val_score(hgb, X, data.target, **kw)
else:
    s = cross_val_score(hgb, X, data.target, n_jobs=-1, **kw)
print(json.dumps({{"seconds": time.perf_counter() - t0, "score": float(s.mean())}}))
'''


def bench_readme(cache: Path, cv_variants: list) -> dict:
    """Time the README's Python example: its feature step, then its CV step in variants."""
    data = load_light_curves("crts_drake14", classes=SEVEN)
    out = {"n_stars": len(data.target), "load_before": _load()}
    t0 = time.perf_counter()
    F = FeatureExtractor(n_jobs=-1).fit_transform(data.light_curves)
    out["features_seconds"] = time.perf_counter() - t0
    out["features_load_after"] = _load()
    print(f"  README features (n_jobs=-1): {out['features_seconds']:.1f} s (load {_load()})",
          flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / "readme_features.npy"
    np.save(path, F)
    out["cv"] = {}
    for variant in cv_variants:
        # a fresh interpreter each: OpenMP and joblib start as they would in the README
        code = _README_CV.format(classes=SEVEN, features=str(path), variant=variant)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        env.pop("OMP_NUM_THREADS", None)  # as a new user runs it
        load = _load()
        res = subprocess.run([sys.executable, "-c", code], check=True, env=env,
                             capture_output=True, text=True)
        r = json.loads(res.stdout.strip().splitlines()[-1])
        r.update(load_before=load, load_after=_load())
        out["cv"][variant] = r
        print(f"  README CV {variant}: {r['seconds']:.1f} s, macro-F1 {r['score']:.3f} "
              f"(load {_load()})", flush=True)
    out["load_after"] = _load()
    return out


def bench_examples() -> list:
    """Wall time of each gallery example, in a fresh interpreter (non-interactive plots)."""
    rows = []
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    env.pop("OMP_NUM_THREADS", None)  # as a reader runs them
    for script in sorted((ROOT / "docs" / "examples").glob("plot_*.py")):
        load = _load()
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], env=env, cwd=script.parent,
                              capture_output=True, text=True)
        rows.append({"example": script.name, "seconds": time.perf_counter() - t0,
                     "ok": proc.returncode == 0, "load_before": load, "load_after": _load()})
        print(f"  example {script.name}: {rows[-1]['seconds']:.1f} s "
              f"({'ok' if proc.returncode == 0 else 'FAILED'}; load {_load()})", flush=True)
    return rows


def write_md(res: dict) -> None:
    m = res["meta"]
    L = ["# n_jobs of the per-star transformers (CRTS)", "",
         f"Generated by `benchmarks/bench_parallel.py` ({m['date']}; {m['cpu']}; load average "
         f"(1, 5, 15 min) at start {m['load_start']}, at end {m['load_end']}). The machine "
         "was shared with other jobs throughout: read the ratios, measured side by side in "
         "one run, rather than the absolute times.", "",
         "Median wall time of `transform` over the repeats (settings interleaved, each repeat "
         "starting at the next setting). *forced*: "
         "`n_jobs=2` with the cost thresholds at zero and the idle-core limit off, so that "
         "workers start whatever the work costs and the load (the behaviour before them).", "",
         "| transformer | stars | n_jobs=1 | n_jobs=2 | n_jobs=-1 | forced | 2 / 1 | -1 / 1 | "
         "forced / 1 | load before -> after |",
         "|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["transformers"]:
        md = r["median"]
        forced = f"{md['forced']:.2f} s" if "forced" in md else "-"
        rf = f"{r['ratio_forced']:.2f}" if r["ratio_forced"] is not None else "-"
        L.append(f"| {r['transformer']} | {r['n_stars']} | {md['1']:.2f} s | {md['2']:.2f} s | "
                 f"{md['-1']:.2f} s | {forced} | {r['ratio_2']:.2f} | {r['ratio_all']:.2f} | "
                 f"{rf} | {r['load_before']} -> {r['load_after']} |")
    L += ["", "How each `n_jobs=2` / `n_jobs=-1` run went (in-process, or threads / processes "
          "times workers), repeat by repeat. A run that stayed in-process ran exactly the code "
          "of `n_jobs=1`: the spread between such runs is the shared machine's noise.", ""]
    for r in res["transformers"]:
        if "paths" in r:
            L.append(f"- {r['transformer']}: n_jobs=2 {', '.join(r['paths']['2'])}; n_jobs=-1 "
                     f"{', '.join(r['paths']['-1'])}")
    if res.get("demo"):
        d = res["demo"]
        L += ["", "`sklearn-lc demo -q` (a fresh process each; FeatureExtractor and a random "
              "forest, both with the given `--n-jobs`): median "
              f"{d['median']['1']:.1f} s with `--n-jobs 1`, {d['median']['-1']:.1f} s with "
              f"`--n-jobs -1` (ratio {d['ratio_all']:.2f}; load {d['load_before']} -> "
              f"{d['load_after']})."]
    if res.get("readme"):
        r = res["readme"]
        when = res["meta"].get("readme_from")
        L += ["", "## The README's Python example", "",
              *([f"(Run of {when}.)", ""] if when else []),
              f"Feature step, `FeatureExtractor(n_jobs=-1)` on the {r['n_stars']} CRTS 7-class "
              f"stars: {r['features_seconds']:.0f} s (load {r['load_before']} -> "
              f"{r['features_load_after']}).", "",
              "Cross-validation step, 5 folds of `HistGradientBoostingClassifier`, each in a "
              "fresh interpreter without `OMP_NUM_THREADS`:", "",
              "| variant | seconds | macro-F1 | load before -> after |", "|---|---|---|---|"]
        names = {"threads_default": "serial folds, OpenMP threads on every core (sklearn "
                                    "default)",
                 "one_thread": "serial folds, `threadpool_limits(1)`",
                 "folds_in_processes": "`cross_val_score(n_jobs=-1)` (one thread per worker)"}
        for k in [k for k in names if k in r["cv"]] + [k for k in r["cv"] if k not in names]:
            v = r["cv"][k]
            when = f" (run of {v['carried_from']})" if "carried_from" in v else ""
            L.append(f"| {names.get(k, k)}{when} | {v['seconds']:.1f} | {v['score']:.3f} | "
                     f"{v['load_before']} -> {v['load_after']} |")
    if res.get("examples"):
        when = res["meta"].get("examples_from")
        L += ["", "## Gallery examples (`docs/examples`)", "",
              *([f"(Run of {when}.)", ""] if when else []),
              "Each in a fresh interpreter, as a reader runs it (no `OMP_NUM_THREADS`):", "",
              "| example | seconds | load before -> after |", "|---|---|---|"]
        for r in res["examples"]:
            ok = "" if r["ok"] else " (failed)"
            L.append(f"| {r['example']} | {r['seconds']:.0f}{ok} | {r['load_before']} -> "
                     f"{r['load_after']} |")
    L += ["", "Thresholds in force: " + ", ".join(f"`{k} = {v}`"
                                                  for k, v in res["meta"]["thresholds"].items())
          + "."]
    (RESULTS / "parallel.md").write_text("\n".join(L) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--readme", action="store_true",
                    help="also time the README example (minutes; its default CV variant "
                         "can take ten minutes on a busy machine)")
    ap.add_argument("--readme-variants", default="threads_default,one_thread,folds_in_processes")
    ap.add_argument("--no-demo", action="store_true")
    ap.add_argument("--examples", action="store_true", help="also time the gallery examples")
    ap.add_argument("--only-extras", action="store_true",
                    help="skip the transformer rows (keep those of the last results file)")
    ap.add_argument("--feature-stars", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=8, help="repeats of the cheaper rows")
    ap.add_argument("--demo-repeats", type=int, default=4)
    ap.add_argument("--carry-readme-variants", default="",
                    help="README CV variants copied from the last results file, not rerun "
                         "(comma-separated), e.g. threads_default (minutes of spinning threads)")
    args = ap.parse_args()
    old = (json.loads((RESULTS / "parallel.json").read_text())
           if (RESULTS / "parallel.json").is_file() else {})
    if args.only_extras:
        res = old
    else:
        res = bench_transformers(args)
    if not args.no_demo:
        res["demo"] = bench_demo(1 if args.quick else args.demo_repeats)
    if args.examples:
        res["examples"] = bench_examples()
    elif old.get("examples") and not args.only_extras:
        res["examples"] = old["examples"]
        res["meta"]["examples_from"] = old["meta"]["date"]
    if args.readme:
        carry = [v for v in args.carry_readme_variants.split(",") if v]
        res["readme"] = bench_readme(Path(__file__).resolve().parent / ".cache" / "parallel",
                                     [v for v in args.readme_variants.split(",")
                                      if v not in carry])
        for v in carry:
            res["readme"]["cv"][v] = dict(old["readme"]["cv"][v],
                                          carried_from=old["readme"]["cv"][v].get(
                                              "carried_from", old["meta"]["date"]))
    elif old.get("readme") and not args.only_extras:
        res["readme"] = old["readme"]
        res["meta"]["readme_from"] = old["meta"]["date"]
    res["meta"]["load_end"] = _load()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "parallel.json").write_text(json.dumps(res, indent=1) + "\n")
    write_md(res)


def bench_transformers(args) -> dict:
    load_start = _load()
    crts = load_light_curves("crts_drake14")
    X = crts.light_curves
    rng = np.random.RandomState(0)
    n_fe = 200 if args.quick else args.feature_stars
    fe_idx = np.sort(rng.choice(len(X), n_fe, replace=False))
    X_fe = [X[i] for i in fe_idx]
    if args.quick:
        X = X[:1500]
    rep = 1 if args.quick else args.repeats
    rows = []
    print(f"load {load_start}", flush=True)
    runs = [("WindowPad", WindowPad(), X, rep),
            ("DmDtImage", DmDtImage(), X, rep),
            ("FreedmanDiaconisHist", FreedmanDiaconisHist(random_state=0).fit(X[:2000]), X, rep),
            ("PhaseFold", sklearn_lc.PhaseFold().fit(X[:200]), X, rep)]
    runs += [(f"FeatureExtractor ({min(400, n_fe)} stars)", FeatureExtractor(), X_fe[:400],
              rep),
             (f"FeatureExtractor ({n_fe} stars)", FeatureExtractor(), X_fe, 1 if args.quick
              else 4)]
    for name, est, XX, r in runs:
        rows.append(bench_transformer(name, est, XX, r, forced=True))
    return {"meta": {"date": time.strftime("%Y-%m-%d %H:%M"), "load_start": load_start,
                     "cpu": f"{os.cpu_count()} cores, {platform.machine()}",
                     "python": sys.version.split()[0], "quick": args.quick,
                     "feature_subset": "FeatureExtractor rows: stars drawn at random "
                                       "(RandomState(0)) from all 9,213; the others use all",
                     "thresholds": {n: getattr(_parallel, n) for n in
                                    ("PROBE_SECONDS", "MIN_THREAD_SECONDS",
                                     "MIN_PROCESS_SECONDS", "MAX_TRANSFER_FRACTION",
                                     "COPY_FACTOR", "MAX_CHUNK")}},
            "transformers": rows}


if __name__ == "__main__":
    main()
