"""Peak memory of one decode, zwalk against onnxruntime, on the benchmark set (issue: "peak memory
during a decode no higher than onnxruntime's at the same batch").

    .venv/bin/python tools/peak_rss.py [--zwalk .build/release/zwalk] [--out .build/models]
                                       [--batch 1,64] [--models taesd_decoder,...]

For each model and batch: the same latents (seed 0, standard normal) in a .npy; then
`zwalk decode MODEL --latents z.npy --out x.npy` and a fresh Python process that opens an
onnxruntime session (2 threads) and decodes them once, each under /usr/bin/time, which reports
the process's peak resident set (ru_maxrss). Each side's baseline is the same process doing no
decode (`zwalk --help`; Python importing numpy and onnxruntime), so the table shows the peak
and the part the decode added. One process at a time.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_models  # noqa: E402

ORT_DECODE = """
import sys, numpy as np, onnxruntime as ort
o = ort.SessionOptions(); o.intra_op_num_threads = 2; o.inter_op_num_threads = 1
s = ort.InferenceSession(sys.argv[1], o, providers=["CPUExecutionProvider"])
z = np.load(sys.argv[2])
np.save(sys.argv[3], s.run(None, {s.get_inputs()[0].name: z})[0])
"""
ORT_IDLE = "import numpy, onnxruntime"


def peak_kb(cmd: list[str]) -> int:
    p = subprocess.run(["/usr/bin/time", "-f", "PEAK %M"] + cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.strip()[-400:]}")
    return int([l for l in p.stderr.splitlines() if l.startswith("PEAK ")][-1].split()[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zwalk", default=os.path.join(bench_models.ROOT, ".build", "release", "zwalk"))
    ap.add_argument("--out", default=bench_models.DEFAULT_OUT)
    ap.add_argument("--batch", type=bench_models.parse_batches, default=[1, 64])
    ap.add_argument("--models", help="comma-separated names from the benchmark set")
    args = ap.parse_args()
    paths = bench_models.write_benchmark_set(args.out)
    if args.models:
        wanted = set(args.models.split(","))
        paths = [p for p in paths if os.path.splitext(os.path.basename(p))[0] in wanted]
    zwalk_idle = peak_kb([args.zwalk, "--help"])
    ort_idle = peak_kb([sys.executable, "-c", ORT_IDLE])
    print(f"idle: zwalk {zwalk_idle / 1024:.1f} MB, python + onnxruntime {ort_idle / 1024:.1f} MB")
    print(f"{'model':28s} {'batch':>5s} {'zwalk MB':>9s} {'ort MB':>8s} {'zwalk +MB':>10s} {'ort +MB':>8s} {'ratio +':>8s}")
    with tempfile.TemporaryDirectory() as work:
        for path in paths:
            name = os.path.splitext(os.path.basename(path))[0]
            sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            for b in bench_models.batches_for(name, args.batch):
                _, shape = bench_models.input_shape(sess, b)
                z = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
                zp = os.path.join(work, "z.npy")
                np.save(zp, z)
                zw = peak_kb([args.zwalk, "decode", path, "--latents", zp, "--out", os.path.join(work, "zw.npy"), "--force"])
                ok = peak_kb([sys.executable, "-c", ORT_DECODE, path, zp, os.path.join(work, "ort.npy")])
                dz, do = zw - zwalk_idle, ok - ort_idle
                print(f"{name:28s} {b:5d} {zw / 1024:9.1f} {ok / 1024:8.1f} {dz / 1024:10.1f} {do / 1024:8.1f} "
                      f"{dz / max(do, 1):8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
