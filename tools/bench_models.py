"""The benchmark set and onnxruntime's side of `make bench`.

    .venv/bin/python tools/bench_models.py [--out .build/models] [--batch 1,64] [--threads 2] [--runs 20] [--json]

Writes the benchmark models into --out with the builders of make_models.py (dcgan64,
mlp_vae_decoder, mlp_gan, resconv_decoder, taesd_decoder — at batch ≤ 4 — and a copy of the shipped assets/vae_decoder.onnx when it is
there), then times onnxruntime on each: CPU provider, intra_op_num_threads = --threads, the median
of --runs runs after 3 warm-ups, per batch size. Latents are standard normal (RandomState(0)).
tools/bench.py runs this beside `zwalk bench` and prints the ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_models  # noqa: E402

ROOT = make_models.ROOT
DEFAULT_OUT = make_models.DEFAULT_OUT
SHIPPED_DECODER = os.path.join(ROOT, "assets", "vae_decoder.onnx")
BENCHMARK_MODELS = ("dcgan64", "mlp_vae_decoder", "mlp_gan", "resconv_decoder", "taesd_decoder")
# Models timed at smaller batches than asked for: a batch of 64 128×128 TAESD decodes takes
# seconds per run. Each requested batch is capped (and duplicates dropped).
MAX_BATCH = {"taesd_decoder": 4}
WARMUP = 3


def write_benchmark_set(out_dir: str = DEFAULT_OUT) -> list[str]:
    """Writes the benchmark models and returns their paths, in benchmark order. A model already
    there with the same bytes is left alone (the builders are deterministic)."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name in BENCHMARK_MODELS:
        path = os.path.join(out_dir, f"{name}.onnx")
        data = make_models.build(name).SerializeToString()
        if not (os.path.exists(path) and open(path, "rb").read() == data):
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        paths.append(path)
    if os.path.exists(SHIPPED_DECODER):
        path = os.path.join(out_dir, "vae_decoder.onnx")
        shutil.copyfile(SHIPPED_DECODER, path)
        paths.append(path)
    return paths


def batches_for(name: str, batches) -> list[int]:
    """The batch sizes model `name` is timed at, from the requested ones (MAX_BATCH caps them)."""
    cap = MAX_BATCH.get(name)
    return sorted({min(b, cap) for b in batches}) if cap else list(batches)


def input_shape(sess, batch: int) -> tuple[str, list[int]]:
    inputs = sess.get_inputs()
    if len(inputs) != 1:
        raise ValueError(f"expected one input, the model has {len(inputs)}")
    shape = [batch if i == 0 else d for i, d in enumerate(inputs[0].shape)]
    if not all(isinstance(d, int) and d > 0 for d in shape):
        raise ValueError(f"input {inputs[0].name} has dynamic non-batch dimensions {inputs[0].shape}")
    return inputs[0].name, shape


# `zwalk bench`'s rule for how long to time (Sources/ZWalkEngine/Support/Benchmark.swift): at least
# `runs` runs, and more until `seconds` have passed, up to MAX_RUNS. With a fixed 20 runs, a 0.3 ms
# decode was timed over 6 ms (one scheduler phase of this VM) against zwalk's second.
MAX_RUNS = 1000


def time_onnxruntime(model_path: str, batches=(1, 64), threads: int = 2, runs: int = 20,
                     seconds: float = 2.0) -> list[dict]:
    """Median (and spread) wall time of one decode per batch size, in milliseconds, timed by the
    same rule as `zwalk bench` (at least `runs` runs, and more for `seconds`, up to MAX_RUNS)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    results = []
    for batch in batches:
        name, shape = input_shape(sess, batch)
        z = np.random.RandomState(0).standard_normal(shape).astype(np.float32)
        for _ in range(WARMUP):
            sess.run(None, {name: z})
        times = []
        start = time.perf_counter()
        while len(times) < max(runs, 1) or (time.perf_counter() - start < seconds and len(times) < MAX_RUNS):
            t0 = time.perf_counter()
            sess.run(None, {name: z})
            times.append((time.perf_counter() - t0) * 1e3)
        times = np.array(times)
        results.append({"batch": batch, "median_ms": float(np.median(times)), "min_ms": float(times.min()),
                        "p90_ms": float(np.percentile(times, 90)), "runs": len(times)})
    return results


def parse_batches(s: str) -> list[int]:
    try:
        batches = [int(b) for b in s.split(",") if b.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"batch sizes must be integers separated by commas, got {s!r}")
    if not batches or any(b < 1 for b in batches):
        raise argparse.ArgumentTypeError(f"batch sizes must be positive, got {s!r}")
    return batches


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="where the benchmark models go (default: .build/models)")
    ap.add_argument("--batch", type=parse_batches, default=[1, 64], help="batch sizes, e.g. 1,64")
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads (default 2)")
    ap.add_argument("--runs", type=int, default=20, help="at least this many timed runs per batch size (default 20)")
    ap.add_argument("--seconds", type=float, default=2.0, help="and keep timing until S seconds have passed (default 2)")
    ap.add_argument("--json", action="store_true", help="print one JSON object per model")
    args = ap.parse_args(argv)
    for path in write_benchmark_set(args.out):
        name = os.path.splitext(os.path.basename(path))[0]
        results = time_onnxruntime(path, batches_for(name, args.batch), args.threads, args.runs, args.seconds)
        if args.json:
            print(json.dumps({"model": name, "runtime": "onnxruntime", "threads": args.threads, "results": results}))
        else:
            for r in results:
                print(f"{name:18s} batch {r['batch']:4d}  onnxruntime {r['median_ms']:9.3f} ms "
                      f"(min {r['min_ms']:.3f}, p90 {r['p90_ms']:.3f}, {r['runs']} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
