"""zwalk against onnxruntime, side by side in one run: the table behind `make bench`.

    .venv/bin/python tools/bench.py [--zwalk .build/release/zwalk] [--out .build/models]
                                    [--batch 1,64] [--threads 2] [--runs 20] [--seconds 1]
                                    [--rounds 3] [--models a,b] [--json]

Writes the benchmark set (tools/bench_models.py), then for each model, --rounds times in turn, runs
`zwalk bench MODEL --batch … --threads … --runs … --seconds … --json` and times onnxruntime with
the same batch sizes, thread count and timing rule (at least --runs runs, more until --seconds have
passed, up to 1000), one after the other (never both at once: they would share the cores).
Each engine's figure is the median of its per-round medians: this VM's speed changes from one
stretch of seconds to the next (by up to 1.5x), and alternating puts both engines in the same
stretches. onnxruntime runs in a fresh Python process per round: run in this one, it left the next
zwalk measurement up to 1.6x slower (its thread pools outlive the sessions). Prints model, batch,
zwalk ms, onnxruntime ms and the ratio zwalk/onnxruntime (below 1 means zwalk is faster). Without a
zwalk binary, or with one that has no bench command yet, it says so and prints onnxruntime's column
alone.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_models  # noqa: E402

ROOT = bench_models.ROOT
DEFAULT_ZWALK = os.path.join(ROOT, ".build", "release", "zwalk")
ZWALK_TIMEOUT_S = 900


class ZwalkUnavailable(Exception):
    """zwalk cannot be benchmarked at all (no binary, no bench command): skip it for every model."""


def check_zwalk(zwalk: str) -> None:
    """Raises ZwalkUnavailable unless `zwalk --help` lists a bench command."""
    if not os.path.exists(zwalk):
        raise ZwalkUnavailable(f"no zwalk binary at {zwalk}: build it with "
                               f"`swift build -c release --product zwalk`")
    try:
        p = subprocess.run([zwalk, "--help"], capture_output=True, text=True, timeout=60)
    except OSError as e:
        raise ZwalkUnavailable(f"cannot run {zwalk}: {e}")
    except subprocess.TimeoutExpired:
        raise ZwalkUnavailable(f"`{zwalk} --help` did not answer within 60 s")
    if p.returncode == 0 and not re.search(r"^\s+bench\s", p.stdout, re.MULTILINE):
        raise ZwalkUnavailable(f"{zwalk} has no bench command yet (`zwalk --help` does not list it)")


def run_zwalk(zwalk: str, model: str, batches: list[int], threads: int, runs: int,
              seconds: float) -> dict[int, float]:
    """Median ms per batch size from `zwalk bench --json`."""
    cmd = [zwalk, "bench", model, "--batch", ",".join(map(str, batches)), "--threads", str(threads),
           "--runs", str(runs), "--seconds", str(seconds), "--json"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=ZWALK_TIMEOUT_S)
    except FileNotFoundError:
        raise ZwalkUnavailable(f"no zwalk binary at {zwalk}")
    except PermissionError:
        raise ZwalkUnavailable(f"{zwalk} is not executable")
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"`{' '.join(cmd)}` took more than {ZWALK_TIMEOUT_S} s")
    if p.returncode != 0:
        err = (p.stderr or p.stdout).strip()
        first = err.splitlines()[0] if err else f"exit status {p.returncode}"
        if "bench" in first and ("unknown" in first.lower() or "no such command" in first.lower()):
            raise ZwalkUnavailable(f"{zwalk} has no bench command yet ({first})")
        raise RuntimeError(f"`{' '.join(cmd)}` failed: {err[:600]}")
    for line in reversed(p.stdout.strip().splitlines()):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("results"), list):
            return {int(r["batch"]): float(r["median_ms"]) for r in obj["results"]}
    raise RuntimeError(f"`{' '.join(cmd)}` printed no JSON object with \"results\":\n{p.stdout[:600]}")


def time_onnxruntime_isolated(path: str, batches: list[int], threads: int, runs: int,
                              seconds: float) -> list[dict]:
    """bench_models.time_onnxruntime in a child process, so nothing of onnxruntime stays behind."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import bench_models; "
            "print(json.dumps(bench_models.time_onnxruntime(sys.argv[2], json.loads(sys.argv[3]), "
            "int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))))")
    p = subprocess.run([sys.executable, "-c", code, HERE, path, json.dumps(batches), str(threads), str(runs),
                        str(seconds)], capture_output=True, text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zwalk", default=DEFAULT_ZWALK, help="the zwalk binary (default: .build/release/zwalk)")
    ap.add_argument("--out", default=bench_models.DEFAULT_OUT, help="where the benchmark models go")
    ap.add_argument("--batch", type=bench_models.parse_batches, default=[1, 64], help="batch sizes, e.g. 1,64")
    ap.add_argument("--threads", type=int, default=2, help="threads for both runtimes (default 2)")
    ap.add_argument("--runs", type=int, default=20, help="at least this many timed runs per batch size and round")
    ap.add_argument("--seconds", type=float, default=1.0,
                    help="and keep timing until S seconds have passed (per batch size and round; default 1)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="measure both engines this many times in turn; each figure is the median of its rounds")
    ap.add_argument("--models", default="", help="comma-separated subset of the benchmark set, by file stem")
    ap.add_argument("--json", action="store_true", help="also print the rows as one JSON object at the end")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")

    paths = bench_models.write_benchmark_set(args.out)
    if args.models:
        wanted = set(args.models.split(","))
        paths = [p for p in paths if os.path.splitext(os.path.basename(p))[0] in wanted]
        if not paths:
            ap.error(f"none of {sorted(wanted)} is in the benchmark set")

    zwalk_note = None
    try:
        check_zwalk(args.zwalk)
    except ZwalkUnavailable as e:
        zwalk_note = f"{e}; showing onnxruntime alone."
    rows = []
    failures = []
    for path in paths:
        name = os.path.splitext(os.path.basename(path))[0]
        batches = bench_models.batches_for(name, args.batch)
        zw_rounds: dict[int, list[float]] = {b: [] for b in batches}
        ort_rounds: dict[int, list[float]] = {b: [] for b in batches}
        zwalk_failed = False
        for _ in range(args.rounds):
            if zwalk_note is None and not zwalk_failed:
                try:
                    for b, ms in run_zwalk(args.zwalk, path, batches, args.threads, args.runs, args.seconds).items():
                        zw_rounds[b].append(ms)
                except ZwalkUnavailable as e:
                    zwalk_note = f"{e}; showing onnxruntime alone."
                except RuntimeError as e:
                    failures.append(f"{name}: {e}")
                    zwalk_failed = True
            for r in time_onnxruntime_isolated(path, batches, args.threads, args.runs, args.seconds):
                ort_rounds[r["batch"]].append(r["median_ms"])
        zw = {b: statistics.median(v) for b, v in zw_rounds.items() if v}
        ort = {b: statistics.median(v) for b, v in ort_rounds.items() if v}
        for b in batches:
            z, o = zw.get(b), ort.get(b)
            rows.append({"model": name, "batch": b, "zwalk_ms": z, "onnxruntime_ms": o,
                         "ratio": (z / o) if z is not None and o else None})

    if zwalk_note:
        print(f"note: {zwalk_note}\n")
    print(f"{'model':<20} {'batch':>5} {'zwalk ms':>10} {'onnxruntime ms':>15} {'zwalk/ORT':>10}")
    for r in rows:
        z = f"{r['zwalk_ms']:.3f}" if r["zwalk_ms"] is not None else "—"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "—"
        print(f"{r['model']:<20} {r['batch']:>5} {z:>10} {r['onnxruntime_ms']:>15.3f} {ratio:>10}")
    ratios = [r["ratio"] for r in rows if r["ratio"] is not None]
    if ratios:
        geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        print(f"\ngeometric mean zwalk/ORT over {len(ratios)} rows: {geo:.2f} (threads {args.threads}; per engine "
              f"the median of {args.rounds} rounds in turn, each the median of ≥ {args.runs} runs and ≥ {args.seconds:g} s)")
    for f in failures:
        print(f"error: {f}", file=sys.stderr)
    if args.json:
        print(json.dumps({"threads": args.threads, "rounds": args.rounds, "rows": rows}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
