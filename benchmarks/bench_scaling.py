"""Scaling of chunked transforms: light curves per second and peak memory vs collection size.

For each transformer and each size n (10k, 100k and 1M synthetic curves of
300 points by default; the slow transformers are capped, see TRANSFORMERS), a
fresh child process generates the curves chunk by chunk (seeded per chunk,
never holding more than one chunk), transforms each chunk and keeps only a
checksum, the streaming pattern of ``iter_long_table`` /
``sklearn_lc.dask.map_transform``. The child reports

- transform time (generation excluded) and light curves per second;
- peak RSS of the child (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) and
  its RSS after imports and a one-chunk warm-up (numba compilation), so the
  growth due to n is visible: a chunked transform should stay flat in n;
- for comparison, the memory the whole output would take if kept.

A reference runs the same way: light-curve's Rust ``DmDt.points_many``
(Mahabal edges, one thread) next to ``DmDtImage(normalize=None)``, which
computes the same counts (ratio = ours / theirs in curves per second).

Also measured: ``iter_long_table`` streaming a long-format Parquet file
(written once per size, 300 rows per star) against ``read_light_curves``
reading it whole, peak RSS of each in its own child.

The machine was shared with other sessions (2 cores, several jobs): absolute
times are noisy; ratios measured in the same run and the RSS figures are the
informative part.

Run: ``OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/bench_scaling.py``
(``--sizes 10000 100000`` to skip 1M, ``--quick`` for a smoke run).
Writes ``benchmarks/results/scaling.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, environment, single_thread  # noqa: E402

single_thread()

#: name -> (description, largest n run by default: FeatureExtractor is ~10 ms a curve with
#: pyFFTW (1M curves would be ~3 h of one core), FreedmanDiaconisHist ~5 ms, the reference
#: ~2.5 ms; the others go to the largest size)
TRANSFORMERS = {
    "DmDtImage": ("DmDtImage() (Mahabal edges, 'mahabal' normalisation)", None),
    "DmDtImage_counts": ("DmDtImage(normalize=None): raw counts", 100_000),
    "lightcurve_DmDt": ("reference: light-curve DmDt.points_many, same edges, n_jobs=1", 100_000),
    "FreedmanDiaconisHist": ("FreedmanDiaconisHist() fitted on the first chunk", 10_000),
    "WindowPad": ("WindowPad(window=200)", None),
    "FeatureExtractor": ("FeatureExtractor() (16 UPSILoN features, period search)", 100_000),
}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def make_chunk(n: int, n_points: int, seed: int, index: int) -> list:
    """``n`` synthetic periodic light curves of ``n_points`` points (seeded per chunk)."""
    rng = np.random.default_rng([seed, index])
    t = np.sort(rng.uniform(0.0, 3000.0, (n, n_points)), axis=1)
    period = np.exp(rng.uniform(np.log(0.2), np.log(300.0), n))[:, None]
    amp = rng.uniform(0.1, 1.5, n)[:, None]
    phase = rng.uniform(0, 2 * np.pi, n)[:, None]
    err = rng.uniform(0.01, 0.2, (n, n_points))
    m = 15.0 + amp * np.sin(2 * np.pi * t / period + phase) + err * rng.standard_normal(t.shape)
    return [(t[i], m[i], err[i]) for i in range(n)]


def _make_transform(name: str, first_chunk: list):
    from sklearn_lc import DmDtImage, FreedmanDiaconisHist, WindowPad

    if name == "DmDtImage":
        return DmDtImage().fit(first_chunk).transform
    if name == "DmDtImage_counts":
        return DmDtImage(normalize=None).fit(first_chunk).transform
    if name == "FreedmanDiaconisHist":
        return FreedmanDiaconisHist().fit(first_chunk).transform
    if name == "WindowPad":
        return WindowPad(window=200).fit(first_chunk).transform
    if name == "FeatureExtractor":
        from sklearn_lc.transformers import FeatureExtractor

        return FeatureExtractor().fit(first_chunk).transform
    if name == "lightcurve_DmDt":
        import light_curve as lc

        from sklearn_lc.transformers._dmdt import MAHABAL_DM_EDGES, MAHABAL_DT_EDGES

        dmdt = lc.DmDt(dt=np.asarray(MAHABAL_DT_EDGES), dm=np.asarray(MAHABAL_DM_EDGES),
                       dt_type="asis", dm_type="asis", n_jobs=1)
        return lambda lcs: dmdt.points_many([(t, m) for t, m, _ in lcs], sorted=True)
    raise ValueError(name)


def child_transform(name: str, n: int, chunk: int, n_points: int, seed: int,
                    shard: int = 0, shards: int = 1, progress: str | None = None) -> dict:
    """Transform the chunks ``k`` of ``n`` curves with ``k % shards == shard``.

    With ``progress`` (a JSON-lines file), each finished chunk is appended to it and
    chunks already there are skipped, so a killed run resumes where it stopped.
    """
    warm = make_chunk(min(chunk, 200), n_points, seed, 2**31)
    transform = _make_transform(name, warm)
    row = np.asarray(transform(warm[:2]))  # compile / warm up
    rss_base = _rss_mb()
    done_chunks: dict[int, dict] = {}
    if progress and os.path.exists(progress):
        with open(progress) as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    done_chunks[rec["k"]] = rec
    n_chunks = -(-n // chunk)
    for k in range(shard, n_chunks, shards):
        if k in done_chunks:
            continue
        c = min(chunk, n - k * chunk)
        t0 = time.perf_counter()
        lcs = make_chunk(c, n_points, seed, k)
        t1 = time.perf_counter()
        out = np.asarray(transform(lcs))
        t2 = time.perf_counter()
        assert out.shape[0] == c and np.all(np.isfinite(out))
        rec = {"k": k, "c": c, "seconds": t2 - t1, "generate_seconds": t1 - t0,
               "checksum": float(out.sum(dtype=np.float64)),
               "rss_base_mb": rss_base, "rss_peak_mb": _rss_mb()}
        done_chunks[k] = rec
        if progress:
            with open(progress, "a") as f:
                f.write(json.dumps(rec) + "\n")
        del lcs, out
    mine = [done_chunks[k] for k in sorted(done_chunks) if k % shards == shard]
    t_tr = sum(r["seconds"] for r in mine)
    m = sum(r["c"] for r in mine)
    return {
        "kind": "transform", "name": name, "n": n, "chunk": chunk, "n_points": n_points,
        "shard": shard, "shards": shards, "curves": m,
        "seconds": t_tr, "curves_per_s": m / t_tr, "generate_seconds":
        sum(r["generate_seconds"] for r in mine),
        "rss_base_mb": max([rss_base] + [r["rss_base_mb"] for r in mine]),
        "rss_peak_mb": max([_rss_mb()] + [r["rss_peak_mb"] for r in mine]),
        "output_row_bytes": int(np.prod(row.shape[1:], dtype=np.int64) * row.dtype.itemsize),
        "whole_output_mb": n * int(np.prod(row.shape[1:], dtype=np.int64))
        * row.dtype.itemsize / 2**20,
        "checksum": sum(r["checksum"] for r in mine),
        "chunk_seconds": {str(r["k"]): r["seconds"] for r in mine},
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "fft_backend": _fft_backend(),
    }


def run_sharded(name: str, n: int, chunk: int, n_points: int, seed: int, workers: int,
                timeout: float, progress_dir: Path | None) -> dict | None:
    """One row from ``workers`` single-thread children, each on every workers-th chunk.

    ``seconds`` is the children's summed transform time (core-seconds), so
    ``curves_per_s`` stays per core and comparable with one-child rows;
    ``wall_seconds`` is the parent's clock. Peak RSS is the largest child's.
    """
    if workers == 1 and progress_dir is None:
        return _spawn(["transform", name, str(n), str(chunk), str(n_points), str(seed)], timeout)
    procs = []
    t0 = time.perf_counter()
    for shard in range(workers):
        args = ["transform", name, str(n), str(chunk), str(n_points), str(seed), str(shard),
                str(workers)]
        if progress_dir is not None:
            progress_dir.mkdir(parents=True, exist_ok=True)
            args.append(str(progress_dir / f"{name}_{n}_{chunk}_{seed}_{shard}of{workers}.jsonl"))
        procs.append(subprocess.Popen([sys.executable, __file__, "--child", *args],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    parts = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=max(1.0, timeout - (time.perf_counter() - t0)))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            print(f"  timed out after {timeout:.0f} s: {name} n={n}", flush=True)
            return None
        if proc.returncode != 0:
            print(f"  failed: {name} n={n}\n{err[-2000:]}", flush=True)
            return None
        parts.append(json.loads(out.strip().splitlines()[-1]))
    wall = time.perf_counter() - t0
    assert sum(r["curves"] for r in parts) == n, "shards did not cover every chunk"
    r = dict(parts[0])
    seconds = sum(q["seconds"] for q in parts)
    r.update(seconds=seconds, curves_per_s=n / seconds, curves=n, shard=None,
             generate_seconds=sum(q["generate_seconds"] for q in parts),
             rss_base_mb=max(q["rss_base_mb"] for q in parts),
             rss_peak_mb=max(q["rss_peak_mb"] for q in parts),
             checksum=sum(q["checksum"] for q in parts), workers=workers,
             wall_seconds=wall,
             chunk_seconds={k: v for q in parts for k, v in q["chunk_seconds"].items()})
    return r


def _fft_backend() -> str:
    from sklearn_lc.periodogram import fft_backend

    return fft_backend()


def write_parquet(path: Path, n: int, chunk: int, n_points: int, seed: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    for k, a in enumerate(range(0, n, chunk)):
        lcs = make_chunk(min(chunk, n - a), n_points, seed, k)
        ids = np.repeat(np.arange(a, a + len(lcs), dtype=np.int64), n_points)
        table = pa.table({
            "id": ids,
            "time": np.concatenate([x[0] for x in lcs]),
            "mag": np.concatenate([x[1] for x in lcs]).astype(np.float32),
            "err": np.concatenate([x[2] for x in lcs]).astype(np.float32),
        })
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=1_000_000)
    writer.close()


def child_io(mode: str, path: str, chunk: int) -> dict:
    from sklearn_lc.io import iter_long_table, read_light_curves

    rss_base = _rss_mb()
    t0 = time.perf_counter()
    n = 0
    points = 0
    if mode == "stream":
        for ids, lcs in iter_long_table(path, chunk_stars=chunk):
            n += len(ids)
            points += sum(x[0].size for x in lcs)
    else:
        data = read_light_curves(path)
        n = len(data.light_curves)
        points = sum(x[0].size for x in data.light_curves)
    dt = time.perf_counter() - t0
    name = f"iter_long_table(chunk_stars={chunk})" if mode == "stream" else "read_light_curves"
    return {"kind": "io", "name": name, "n": n, "points": points, "seconds": dt,
            "curves_per_s": n / dt, "rss_base_mb": rss_base, "rss_peak_mb": _rss_mb(),
            "file_mb": os.path.getsize(path) / 2**20}


def _spawn(args: list[str], timeout: float) -> dict | None:
    cmd = [sys.executable, __file__, "--child", *args]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        print(f"  timed out after {timeout:.0f} s: {args}", flush=True)
        return None
    except subprocess.CalledProcessError as exc:
        print(f"  failed: {args}\n{exc.stderr[-2000:]}", flush=True)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def _md(results: list[dict], meta: dict) -> str:
    lines = [
        "# Scaling of chunked transforms (synthetic curves, 300 points each)",
        "",
        f"One child process per row, one thread, chunks of {meta['chunk']} curves generated "
        "on the fly (never more than one chunk in memory). Peak RSS is the child's "
        "`ru_maxrss`; *base* is after imports and a one-chunk warm-up. The machine "
        "(2 cores) was **shared with other sessions**: absolute times are noisy; compare "
        "rows of one run. `benchmarks/bench_scaling.py`, "
        + (f"{meta['date']}" if meta.get("first_date", meta["date"]) == meta["date"]
           else f"{meta['first_date']}, rows re-run with `--only ... --append` on {meta['date']} "
           "(each row's date is in the JSON)")
        + f", Python {meta['python']}.",
        "",
        "| transformer | n | seconds | curves/s | base RSS MB | peak RSS MB | whole output MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r["kind"] != "transform":
            continue
        lines.append(
            f"| {r['name']} | {r['n']:,} | {r['seconds']:.1f} | {r['curves_per_s']:,.0f} | "
            f"{r['rss_base_mb']:.0f} | {r['rss_peak_mb']:.0f} | {r['whole_output_mb']:,.0f} |"
        )
    for r in results:
        if r["kind"] == "transform" and r.get("workers", 1) > 1:
            lines += ["", f"{r['name']} at n={r['n']:,} ran as {r['workers']} single-thread "
                      "children on alternate chunks (`--workers`, resumable with `--resume`): "
                      "its seconds are their summed core-seconds, so its curves/s is per core "
                      f"like the other rows; wall clock {r['wall_seconds'] / 3600:.2f} h "
                      "(of the last, possibly resumed, launch)."]
        if r["kind"] == "transform" and len(r.get("chunk_seconds", {})) >= 10:
            secs = np.array([v for _, v in sorted(r["chunk_seconds"].items(),
                                                  key=lambda kv: int(kv[0]))])
            tenths = [float(np.median(part)) for part in np.array_split(secs, 10)]
            lines += ["", f"{r['name']} at n={r['n']:,}, seconds per {r['chunk']}-curve chunk, "
                      "median of each tenth of the run in chunk order (which is time order): "
                      + ", ".join(f"{x:.0f}" for x in tenths)
                      + f"; fastest tenth {r['chunk'] / min(tenths):,.0f} curves/s per core, "
                      f"slowest {r['chunk'] / max(tenths):,.0f}. Time per chunk does not grow "
                      "with the number of curves already done; it moves with the load of the "
                      "machine."]
    ours = {(r["name"], r["n"]): r for r in results if r["kind"] == "transform"}
    ratios = [
        (n, ours[("DmDtImage_counts", n)]["curves_per_s"] / ours[("lightcurve_DmDt", n)][
            "curves_per_s"])
        for (name, n) in ours if name == "lightcurve_DmDt" and ("DmDtImage_counts", n) in ours
    ]
    if ratios:
        lines += ["", "DmDtImage(normalize=None) / light-curve DmDt.points_many (same counts), "
                  "curves per second: " + ", ".join(f"n={n:,}: {q:.2f}x" for n, q in ratios)]
    io = [r for r in results if r["kind"] == "io"]
    if io:
        lines += ["", "## Reading a long-format Parquet file (300 rows per star)", "",
                  "| reader | stars | file MB | seconds | stars/s | base RSS MB | peak RSS MB |",
                  "|---|---|---|---|---|---|---|"]
        for r in io:
            lines.append(
                f"| {r['name']} | {r['n']:,} | {r['file_mb']:.0f} | {r['seconds']:.1f} | "
                f"{r['curves_per_s']:,.0f} | {r['rss_base_mb']:.0f} | {r['rss_peak_mb']:.0f} |"
            )
        lines += ["", "`iter_long_table` reads 200k rows a batch (pyarrow `iter_batches`, "
                  "`pre_buffer=False`); its peak RSS is driven by `chunk_stars` (flat for 2000; "
                  "+170 MB from 10k to 100k stars for 10000), while `read_light_curves` "
                  "holds the whole table and all light curves (about 7x the Parquet size). "
                  "With pyarrow's default `pre_buffer=True` the streaming peak was 1.5 GB at "
                  "100k stars, hence the explicit setting."]
    lines += ["", "Chunked transforms keep peak RSS flat from 10k to 1M curves (DmDtImage "
              "556 MB, WindowPad 517 MB, about 65 MB above the post-import base, which is "
              "mostly torch imported by `sklearn_lc`). FreedmanDiaconisHist needs ~800 MB "
              "above base for a 5000-curve chunk (its `(n, 3, H, W)` output and "
              "intermediates); use smaller chunks with it."]
    fe = sorted((r for r in results if r["kind"] == "transform"
                 and r["name"] == "FeatureExtractor"), key=lambda r: r["n"])
    if len(fe) >= 2:
        b = fe[-1]
        steps = ", ".join(
            f"x{p['curves_per_s'] / q['curves_per_s']:.2f} from n={p['n']:,} to n={q['n']:,}"
            for p, q in zip(fe[:-1], fe[1:]))
        text = (f"FeatureExtractor ({b.get('fft_backend', 'scipy')} FFTs): "
                + ", ".join(f"{r['curves_per_s']:,.0f} curves/s at n={r['n']:,}" for r in fe)
                + f"; time per curve changed by {steps} (1.00 is linear); peak RSS "
                + " -> ".join(f"{r['rss_peak_mb']:.0f}" for r in fe) + " MB.")
        if b["n"] < 1_000_000:
            text += (f" At that rate 1M curves take {1e6 / b['curves_per_s'] / 3600:.1f} h "
                     "of one core, hence the cap.")
        lines += ["", text]
    skipped = meta.get("skipped") or []
    if skipped:
        lines += ["", "Not run: " + "; ".join(skipped) + "."]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", nargs="+")
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--chunk", type=int, default=5000)
    p.add_argument("--points", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", nargs="+", default=None, help="transformer names to run")
    p.add_argument("--io-sizes", type=int, nargs="*", default=[10_000, 100_000])
    p.add_argument("--io-chunks", type=int, nargs="+", default=[2000, 10000],
                   help="chunk_stars values of the streaming reader")
    p.add_argument("--no-transform", action="store_true", help="run the readers only")
    p.add_argument("--timeout", type=float, default=1500)
    p.add_argument("--workers", type=int, default=1,
                   help="single-thread children per row, each on every k-th chunk; the row's "
                   "seconds are their summed core-seconds")
    p.add_argument("--resume", action="store_true",
                   help="record finished chunks under <out>/.progress and skip them on re-run")
    p.add_argument("--no-cap", action="store_true", help="ignore the per-transformer size caps")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--append", action="store_true",
                   help="add to the rows already in <out>/scaling.json")
    a = p.parse_args()
    if a.child:
        kind, *rest = a.child
        if kind == "transform":
            name, n, chunk, pts, seed, *shard = rest
            r = child_transform(name, int(n), int(chunk), int(pts), int(seed),
                                *(int(x) for x in shard[:2]), *shard[2:])
        else:
            mode, path, chunk = rest
            r = child_io(mode, path, int(chunk))
        print(json.dumps(r))
        return
    if a.quick:
        a.sizes, a.chunk, a.io_sizes = [2000], 1000, [2000]
    names = a.only or list(TRANSFORMERS)
    results, skipped, first_date = [], [], None
    if a.append and (a.out / "scaling.json").is_file():
        old = json.loads((a.out / "scaling.json").read_text())
        results, skipped = old["results"], old["meta"].get("skipped", [])
        first_date = old["meta"].get("first_date", old["meta"]["date"])
        # the (transformer, n) pairs run now replace their old rows and skip notes
        results = [r for r in results if r["kind"] != "transform"
                   or not (r["name"] in names and r["n"] in a.sizes)]
        skipped = [s for s in skipped
                   if not (s.split(" at n=")[0] in names
                           and any(f"n={n:,} " in s for n in a.sizes))]
        if a.io_sizes:  # re-measured: replace the old reader rows
            results = [r for r in results if r["kind"] != "io"]
            skipped = [s for s in skipped if not s.startswith("read_")]
    if a.no_transform:
        a.sizes = []
    for n in a.sizes:
        for name in names:
            cap = TRANSFORMERS[name][1]
            if cap is not None and n > cap and not a.no_cap:
                skipped.append(f"{name} at n={n:,} (capped at n={cap:,} to keep the run short)")
                continue
            print(f"{name} n={n}", flush=True)
            r = run_sharded(name, n, a.chunk, a.points, a.seed, a.workers, a.timeout,
                            a.out / ".progress" if a.resume else None)
            if r is None:
                skipped.append(f"{name} at n={n:,} (timed out or failed)")
                continue
            print(f"  {r['curves_per_s']:,.0f} curves/s, peak RSS {r['rss_peak_mb']:.0f} MB "
                  f"(base {r['rss_base_mb']:.0f})", flush=True)
            results.append(r)
            _write(a.out, results, skipped, a, first_date)
    for name in names:  # FeatureExtractor at its cap, so it has at least one row
        cap = TRANSFORMERS[name][1]
        if cap is not None and a.sizes and all(n > cap for n in a.sizes) and not a.append:
            r = _spawn(["transform", name, str(cap), str(min(a.chunk, cap)), str(a.points),
                        str(a.seed)], a.timeout)
            if r is not None:
                results.append(r)
                _write(a.out, results, skipped, a, first_date)
    with tempfile.TemporaryDirectory() as tmp:
        for n in a.io_sizes:
            path = Path(tmp) / f"long_{n}.parquet"
            print(f"io n={n}: writing {path.name}", flush=True)
            write_parquet(path, n, a.chunk, a.points, a.seed)
            for mode, chunk in [("stream", c) for c in a.io_chunks] + [("whole", 0)]:
                r = _spawn(["io", mode, str(path), str(chunk)], a.timeout)
                if r is None:
                    skipped.append(f"read_{mode} at n={n:,}")
                    continue
                print(f"  {mode}: {r['curves_per_s']:,.0f} stars/s, peak RSS "
                      f"{r['rss_peak_mb']:.0f} MB", flush=True)
                results.append(r)
                _write(a.out, results, skipped, a, first_date)
    _write(a.out, results, skipped, a, first_date)
    print((a.out / "scaling.md").read_text())


def _write(out: Path, results: list, skipped: list, a: argparse.Namespace,
           first_date: str | None = None) -> None:
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    meta = {**environment(), "date": now, "first_date": first_date or now,
            "chunk": a.chunk, "points": a.points,
            "shared_machine": True, "skipped": skipped}
    out.mkdir(parents=True, exist_ok=True)
    (out / "scaling.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    (out / "scaling.md").write_text(_md(results, meta))


if __name__ == "__main__":
    main()
