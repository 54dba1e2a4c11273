"""FeatureExtractor's ``phase_origin``: which folded features survive a change of time origin.

Run: ``OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_time_origin.py``
(``--recompute`` ignores the feature cache in ``benchmarks/.cache/time_origin``;
``--period-method upsilon`` measures with UPSILoN's period instead of the
extractor's default).
Writes benchmarks/results/time_origin.{json,md} (``time_origin_upsilon_period``
with ``--period-method upsilon``).

Surveys count time from different origins: CRTS gives MJD, ASAS HJD - 2450000,
others JD. Features that fold ``t mod 2P`` or take Fourier phases with
``arctan`` change when a constant is added to every time; features with
``phase_origin="brightest"`` do not. Measured here, for both modes:

1. invariance: how many CRTS stars change a feature (beyond 1e-6, phases
   modulo 2 pi) when every time moves by +0.123 d or +2400000.5 d (MJD -> JD);
2. CRTS 7-class cross-validation (StratifiedGroupKFold(5) on ``group``),
   random forest and HistGradientBoosting on the 16 features: trained and
   tested at the same origin (MJD, MJD + 0.123, JD), and trained on MJD but
   tested on shifted copies of the held-out stars (a new survey's origin);
3. CRTS -> ASAS transfer: trained on all CRTS stars of the classes the two
   surveys share (``class_map.json``, fine and super classes), tested on
   the ASAS stars of those classes, with ASAS times as distributed
   (HJD - 2450000) and converted to MJD (+ 49999.5 d).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from _common import RESULTS
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold

from sklearn_lc import FeatureExtractor, load_light_curves
from sklearn_lc.datasets import get_data_home
from sklearn_lc.transformers import FEATURE_NAMES

CACHE = Path(__file__).resolve().parent / ".cache" / "time_origin"

MODES = ("upsilon", "brightest")
SEVEN = ["EW", "EA", "RRab", "RRc", "RRd", "RS_CVn", "LPV"]
#: time shifts (days) applied to every CRTS time
SHIFTS = {"MJD": 0.0, "MJD+0.123": 0.123, "JD": 2400000.5}
#: ASAS times are HJD - 2450000; + 49999.5 d gives (H)MJD
ASAS_SHIFTS = {"HJD-2450000": 0.0, "MJD": 49999.5}
FOLDED = ("phi21", "phi31", "phase_cusum", "phase_eta", "slope_per10", "slope_per90")
PHASES = ("phi21", "phi31")


def _uptime() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def features(name: str, lcs: list, mode: str, shift: float, recompute: bool,
             period_method: str) -> np.ndarray:
    """FeatureExtractor(phase_origin=mode) of ``lcs`` with ``shift`` added to every time."""
    tag = "" if period_method == "upsilon" else f"_{period_method}"
    path = CACHE / f"{name}_{mode}_{shift!r}{tag}.npy"
    if path.is_file() and not recompute:
        return np.load(path)
    shifted = [(t + shift, m, e) for t, m, e in lcs]
    t0 = time.perf_counter()
    F = FeatureExtractor(phase_origin=mode, period_method=period_method,
                         n_jobs=1).fit_transform(shifted)
    print(f"  features {name} {mode} {period_method} shift={shift}: {len(lcs)} stars, "
          f"{time.perf_counter() - t0:.0f} s (load {_uptime()})", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, F)
    return F


def changed(F0: np.ndarray, F1: np.ndarray) -> dict:
    """Count the stars whose feature changed beyond 1e-6 (phases modulo 2 pi)."""
    out = {}
    for j, nm in enumerate(FEATURE_NAMES):
        a, b = F0[:, j].astype(np.float64), F1[:, j].astype(np.float64)
        if nm in PHASES:
            d = np.abs(np.angle(np.exp(1j * (b - a))))
        else:
            d = np.abs(b - a) / np.maximum(1.0, np.abs(a))
        out[nm] = int((d > 1e-6).sum())
    return out


def models(seed: int) -> dict:
    return {
        "rf": RandomForestClassifier(n_estimators=300, class_weight="balanced",
                                     n_jobs=1, random_state=seed),
        "hgb": HistGradientBoostingClassifier(class_weight="balanced", random_state=seed),
    }


def scores(y: np.ndarray, pred: np.ndarray) -> dict:
    return {"accuracy": float(accuracy_score(y, pred)),
            "macro_f1": float(f1_score(y, pred, average="macro", labels=np.unique(y)))}


def crts_cv(F: dict, y: np.ndarray, group: np.ndarray, seed: int) -> list:
    """Fold scores for every mode, model, training origin and test origin."""
    rows = []
    cv = StratifiedGroupKFold(5, shuffle=True, random_state=seed)
    for fold, (tr, te) in enumerate(cv.split(F[MODES[0], "MJD"], y, group)):
        for mode in MODES:
            for mname in ("rf", "hgb"):
                for train_origin in SHIFTS:
                    clf = models(seed)[mname].fit(F[mode, train_origin][tr], y[tr])
                    tests = SHIFTS if train_origin == "MJD" else (train_origin,)
                    for test_origin in tests:
                        pred = clf.predict(F[mode, test_origin][te])
                        rows.append({"fold": fold, "mode": mode, "model": mname,
                                     "train_origin": train_origin,
                                     "test_origin": test_origin, **scores(y[te], pred)})
            print(f"  fold {fold} {mode} done (load {_uptime()})", flush=True)
    return rows


def transfer(Fc: dict, yc: dict, Fa: dict, ya: dict, seeds: list) -> list:
    """Scores on ASAS of models trained on CRTS; the forest once per seed.

    HistGradientBoosting does not use its seed here (no early stopping below
    10,000 training stars), so it runs once.
    """
    rows = []
    for level in ("fine", "super"):
        shared = sorted(set(yc[level]) & set(ya[level]) - {"other"})
        tr = np.isin(yc[level], shared)
        te = np.isin(ya[level], shared)
        for mode in MODES:
            for mname in ("rf", "hgb"):
                for seed in (seeds if mname == "rf" else seeds[:1]):
                    clf = models(seed)[mname].fit(Fc[mode][tr], yc[level][tr])
                    for origin in ASAS_SHIFTS:
                        pred = clf.predict(Fa[mode, origin][te])
                        rows.append({"level": level, "classes": shared,
                                     "n_train": int(tr.sum()), "n_test": int(te.sum()),
                                     "mode": mode, "model": mname, "seed": seed,
                                     "asas_origin": origin, **scores(ya[level][te], pred)})
        print(f"  transfer {level} done (load {_uptime()})", flush=True)
    return rows


def _mean_std(sel: list) -> dict:
    """Mean and standard deviation of the accuracy and macro-F1 of some result rows."""
    acc = np.array([r["accuracy"] for r in sel])
    f1 = np.array([r["macro_f1"] for r in sel])
    return {"accuracy": float(acc.mean()), "accuracy_std": float(acc.std()),
            "macro_f1": float(f1.mean()), "macro_f1_std": float(f1.std())}


def summarise_transfer(rows: list) -> list:
    out = []
    keys = []
    for r in rows:
        k = (r["level"], r["model"], r["mode"], r["asas_origin"])
        if k not in keys:
            keys.append(k)
    for level, model, mode, origin in keys:
        sel = [r for r in rows if (r["level"], r["model"], r["mode"], r["asas_origin"])
               == (level, model, mode, origin)]
        out.append({"level": level, "model": model, "mode": mode, "asas_origin": origin,
                    "classes": sel[0]["classes"], "n_train": sel[0]["n_train"],
                    "n_test": sel[0]["n_test"], "n_seeds": len(sel), **_mean_std(sel)})
    return out


def summarise_cv(rows: list) -> list:
    out = []
    keys = sorted({(r["mode"], r["model"], r["train_origin"], r["test_origin"]) for r in rows},
                  key=lambda k: (k[1], k[0], list(SHIFTS).index(k[2]), list(SHIFTS).index(k[3])))
    for mode, model, tr, te in keys:
        sel = [r for r in rows if (r["mode"], r["model"], r["train_origin"], r["test_origin"])
               == (mode, model, tr, te)]
        out.append({"mode": mode, "model": model, "train_origin": tr, "test_origin": te,
                    **_mean_std(sel), "n_folds": len(sel)})
    return out


def paired(rows: list) -> list:
    """Per model and origin pair: fold-paired difference brightest - upsilon (macro-F1)."""
    out = []
    for model in ("rf", "hgb"):
        for tr in SHIFTS:
            for te in SHIFTS:
                a = {r["fold"]: r["macro_f1"] for r in rows if r["model"] == model
                     and r["mode"] == "brightest" and r["train_origin"] == tr
                     and r["test_origin"] == te}
                b = {r["fold"]: r["macro_f1"] for r in rows if r["model"] == model
                     and r["mode"] == "upsilon" and r["train_origin"] == tr
                     and r["test_origin"] == te}
                if not a:
                    continue
                d = np.array([a[k] - b[k] for k in sorted(a)])
                out.append({"model": model, "train_origin": tr, "test_origin": te,
                            "delta_macro_f1": float(d.mean()), "delta_std": float(d.std()),
                            "folds_brightest_better": int((d > 0).sum()), "n_folds": len(d)})
    return out


def write_md(res: dict, name: str = "time_origin") -> None:
    meta = res["meta"]
    pm = meta.get("period_method", "upsilon")
    L = ["# FeatureExtractor `phase_origin`: time-origin invariance, CRTS CV and CRTS -> ASAS "
         f"({pm} period)",
         "",
         "Generated by `benchmarks/bench_time_origin.py` "
         f"({meta['date']}, load average at start {meta['load_start']}, at end "
         f"{meta['load_end']}; {meta['cpu']}). Features of every star computed with "
         f"`FeatureExtractor(phase_origin=mode, period_method=\"{pm}\")` on the times "
         "shifted as named (CRTS as distributed is MJD).",
         "",
         "## 1. Stars whose feature changes with the time origin",
         "",
         f"CRTS 7-class, {meta['n_crts7']} stars; a change is beyond 1e-6 (relative to "
         "max(1, |value|); phi21, phi31 modulo 2 pi). Features not listed never change.",
         "",
         "| mode | shift | " + " | ".join(FOLDED) + " | other 10 |",
         "|---|---|" + "---|" * (len(FOLDED) + 1)]
    for r in res["invariance"]:
        other = sum(v for k, v in r["changed"].items() if k not in FOLDED)
        L.append(f"| {r['mode']} | {r['shift']} | "
                 + " | ".join(str(r["changed"][k]) for k in FOLDED) + f" | {other} |")
    L += ["", "## 2. CRTS 7-class, 5-fold StratifiedGroupKFold (groups = `group`)", "",
          "Mean over folds (std). *train / test origin*: the times the model was trained on / "
          "the times of the held-out stars.", "",
          "| model | mode | train origin | test origin | accuracy | macro-F1 |",
          "|---|---|---|---|---|---|"]
    for r in res["cv_summary"]:
        L.append(f"| {r['model']} | {r['mode']} | {r['train_origin']} | {r['test_origin']} | "
                 f"{r['accuracy']:.3f} ({r['accuracy_std']:.3f}) | "
                 f"{r['macro_f1']:.3f} ({r['macro_f1_std']:.3f}) |")
    L += ["", "Paired by fold, macro-F1 of `brightest` minus `upsilon`:", "",
          "| model | train origin | test origin | difference (std) | folds where brightest "
          "is better |", "|---|---|---|---|---|"]
    for r in res["cv_paired"]:
        L.append(f"| {r['model']} | {r['train_origin']} | {r['test_origin']} | "
                 f"{r['delta_macro_f1']:+.3f} ({r['delta_std']:.3f}) | "
                 f"{r['folds_brightest_better']} / {r['n_folds']} |")
    L += ["", "## 3. CRTS -> ASAS (trained on CRTS, tested on ASAS)", "",
          "Classes both surveys have after `class_map.json` (fine or super level; `other` "
          "left out); ASAS times as distributed (HJD - 2450000) or converted to MJD.", ""]
    for level in ("fine", "super"):
        sel = [r for r in res["transfer_summary"] if r["level"] == level]
        if not sel:
            continue
        L += [f"{level} classes {', '.join(sel[0]['classes'])}: {sel[0]['n_train']} CRTS "
              f"training stars, {sel[0]['n_test']} ASAS test stars. Forest: mean (std) over "
              f"{max(r['n_seeds'] for r in sel)} seeds; gradient boosting: one run "
              "(deterministic here).", "",
              "| model | mode | ASAS times | accuracy | macro-F1 |", "|---|---|---|---|---|"]
        for r in sel:
            L.append(f"| {r['model']} | {r['mode']} | {r['asas_origin']} | "
                     f"{r['accuracy']:.3f} ({r['accuracy_std']:.3f}) | "
                     f"{r['macro_f1']:.3f} ({r['macro_f1_std']:.3f}) |")
        L.append("")
    L += ["## Choice", "", res["choice"], ""]
    (RESULTS / f"{name}.md").write_text("\n".join(L))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recompute", action="store_true", help="ignore cached features")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rf-seeds", type=int, default=5,
                    help="forest seeds of the transfer runs (from --seed)")
    ap.add_argument("--period-method", default=FeatureExtractor().period_method,
                    help="FeatureExtractor's period_method (default: its default)")
    ap.add_argument("--out", default=None,
                    help="results name (default time_origin, or time_origin_<method>_period "
                         "when --period-method is not the extractor's default)")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite the .md (and the choice) from the .json")
    args = ap.parse_args()
    name = args.out or ("time_origin" if args.period_method == FeatureExtractor().period_method
                        else f"time_origin_{args.period_method}_period")
    if args.report_only:
        res = json.loads((RESULTS / f"{name}.json").read_text())
        res["choice"] = choose(res)
        (RESULTS / f"{name}.json").write_text(json.dumps(res, indent=1) + "\n")
        write_md(res, name)
        print(res["choice"])
        return
    load_start = _uptime()
    t_start = time.perf_counter()

    crts = load_light_curves("crts_drake14")
    asas = load_light_curves("asas_richards12")
    cmap = json.loads(next(d / "class_map.json" for d in get_data_home()
                           if (d / "class_map.json").is_file()).read_text())
    lc_c = [(np.asarray(t, np.float64), m, e) for t, m, e in crts.light_curves]
    lc_a = [(np.asarray(t, np.float64), m, e) for t, m, e in asas.light_curves]
    y_all = np.asarray(crts.target)
    seven = np.isin(y_all, SEVEN)
    idx7 = np.flatnonzero(seven)

    pm = args.period_method
    F_all = {mode: features("crts", lc_c, mode, 0.0, args.recompute, pm) for mode in MODES}
    F7 = {}
    for mode in MODES:
        for origin, shift in SHIFTS.items():
            if shift == 0.0:
                F7[mode, origin] = F_all[mode][idx7]
            else:
                F7[mode, origin] = features("crts7", [lc_c[i] for i in idx7], mode, shift,
                                            args.recompute, pm)
    Fa = {(mode, origin): features("asas", lc_a, mode, shift, args.recompute, pm)
          for mode in MODES for origin, shift in ASAS_SHIFTS.items()}

    invariance = [{"mode": mode, "shift": origin,
                   "changed": changed(F7[mode, "MJD"], F7[mode, origin])}
                  for mode in MODES for origin in SHIFTS if origin != "MJD"]
    print("invariance", json.dumps(invariance), flush=True)

    y7, g7 = y_all[idx7], np.asarray(crts.group)[idx7]
    cv_rows = crts_cv(F7, y7, g7, args.seed)

    yc = {"fine": np.array([cmap["crts_drake14"][c][0] for c in y_all]),
          "super": np.array([cmap["crts_drake14"][c][1] for c in y_all])}
    ya = {"fine": np.array([cmap["asas_richards12"][c][0] for c in asas.target]),
          "super": np.array([cmap["asas_richards12"][c][1] for c in asas.target])}
    tr_rows = transfer(F_all, yc, Fa, ya, list(range(args.seed, args.seed + args.rf_seeds)))

    res = {
        "meta": {"date": time.strftime("%Y-%m-%d %H:%M"), "load_start": load_start,
                 "load_end": _uptime(), "cpu": f"{os.cpu_count()} cores, {platform.machine()}",
                 "python": sys.version.split()[0], "n_crts7": int(seven.sum()),
                 "n_asas": len(lc_a), "seed": args.seed, "period_method": pm,
                 "minutes": (time.perf_counter() - t_start) / 60},
        "invariance": invariance,
        "cv": cv_rows,
        "cv_summary": summarise_cv(cv_rows),
        "cv_paired": paired(cv_rows),
        "transfer": tr_rows,
        "transfer_summary": summarise_transfer(tr_rows),
    }
    res["choice"] = choose(res)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(res, indent=1) + "\n")
    write_md(res, name)
    print(res["choice"])


def choose(res: dict) -> str:
    """State the measured comparison that decides the default."""
    def cv(model, mode, tr="MJD", te="MJD"):
        return next(r["macro_f1"] for r in res["cv_summary"] if r["model"] == model
                    and r["mode"] == mode and r["train_origin"] == tr and r["test_origin"] == te)

    def tf(model, mode, level, origin="HJD-2450000"):
        return next(r["macro_f1"] for r in res["transfer_summary"] if r["model"] == model
                    and r["mode"] == mode and r["level"] == level and r["asas_origin"] == origin)

    parts = []
    wins = total = 0
    for model in ("rf", "hgb"):
        pairs = [(cv(model, "brightest"), cv(model, "upsilon")),
                 (cv(model, "brightest", te="JD"), cv(model, "upsilon", te="JD"))]
        pairs += [(tf(model, "brightest", lv), tf(model, "upsilon", lv))
                  for lv in ("fine", "super")]
        wins += sum(b > u for b, u in pairs)
        total += len(pairs)
    for model in ("rf", "hgb"):
        parts.append(
            f"{model}: CRTS CV macro-F1 upsilon {cv(model, 'upsilon'):.3f} vs brightest "
            f"{cv(model, 'brightest'):.3f}; trained on MJD, tested on JD: upsilon "
            f"{cv(model, 'upsilon', te='JD'):.3f} vs brightest "
            f"{cv(model, 'brightest', te='JD'):.3f}; CRTS -> ASAS fine classes upsilon "
            f"{tf(model, 'upsilon', 'fine'):.3f} vs brightest "
            f"{tf(model, 'brightest', 'fine'):.3f}, "
            f"super classes upsilon {tf(model, 'upsilon', 'super'):.3f} vs brightest "
            f"{tf(model, 'brightest', 'super'):.3f}.")
    best = "brightest" if 2 * wins > total else "upsilon"
    return (f"Default `phase_origin=\"{best}\"`: the origin-free features score higher in "
            f"{wins} of {total} comparisons (macro-F1; CRTS CV at its own origin and with the "
            "held-out stars in JD, CRTS -> ASAS on fine and super classes, forest and "
            "gradient boosting), and only they give the same features whatever the "
            "survey's time origin. " + " ".join(parts))


if __name__ == "__main__":
    main()
