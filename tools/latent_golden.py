"""Write the golden fixtures the ZWalkLatent tests compare against (Tests/Fixtures/latent/).

    .venv/bin/python tools/latent_golden.py        # needs only numpy

randomstate_golden.json
    For each seed in SEEDS, one numpy.random.RandomState(seed) drawn in this order (the stream
    continues from call to call, so the Box-Muller cache and the MT19937 position carry over):
      standard_normal(20), standard_normal((3, 10)), random_sample(10),
      standard_normal(3)   (odd: leaves the second polar value cached),
      random_sample(2)     (uses fresh words; the cached gaussian survives),
      standard_normal(2)   (the first value is the cached one),
      uniform(-1, 1, 5), randint(0, 10, 5), randint(-3, 1000, 4), randint(0, 2**40, 3)
    and, from fresh states of the same seed, the latents zwalk's priors must reproduce:
      normal_3x10_f32      = RandomState(s).standard_normal((3, 10)).astype(float32)
      psi_0.7_3x10_f32     = (0.7 * RandomState(s).standard_normal((3, 10))).astype(float32)
      uniform_3x10_f32     = RandomState(s).uniform(-1, 1, (3, 10)).astype(float32)
      resampled_2.0_3x10_f32 = elementwise redraw while |z| > 2 (see resampled_normal below)
    Doubles are stored as the hex of their IEEE-754 bits ("bits") beside a decimal for reading,
    so that the Swift test compares them exactly without trusting any JSON float parser.

sefa_golden.json
    A = RandomState(7).standard_normal((32, 12)).astype(float32)   (out x in, like a Gemm with
    transB=1); the top-3 eigenvalues and unit eigenvectors of A^T A (float64 numpy.linalg.eigh),
    each eigenvector's sign fixed so that its largest-magnitude component is positive.
    Also the same for a ConvTranspose kernel W = RandomState(8).standard_normal((6, 4, 3, 3))
    (Cin=6 latent channels): the Gram matrix of W reshaped to (Cin, Cout*kH*kW).
"""
from __future__ import annotations

import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "Tests", "Fixtures", "latent")
SEEDS = [0, 1, 42, 2**32 - 1, 123456789]


def bits(x: float) -> str:
    return "%016x" % struct.unpack("<Q", struct.pack("<d", float(x)))[0]


def doubles(a) -> dict:
    flat = np.asarray(a, dtype=np.float64).ravel()
    return {"bits": [bits(v) for v in flat], "values": [float(v) for v in flat]}


def float32s(a) -> dict:
    flat = np.asarray(a, dtype=np.float32).ravel()
    return {"bits": ["%08x" % struct.unpack("<I", struct.pack("<f", v))[0] for v in flat],
            "values": [float(v) for v in flat]}


def resampled_normal(seed: int, shape, threshold: float) -> np.ndarray:
    """zwalk's truncation by resampling: each element in C order is drawn, and redrawn from the same
    stream while its magnitude exceeds the threshold."""
    rs = np.random.RandomState(seed)
    out = np.empty(int(np.prod(shape)))
    for i in range(out.size):
        v = rs.standard_normal()
        while abs(v) > threshold:
            v = rs.standard_normal()
        out[i] = v
    return out.reshape(shape)


def random_state_golden() -> dict:
    cases = []
    for seed in SEEDS:
        rs = np.random.RandomState(seed)
        stream = {
            "standard_normal_20": doubles(rs.standard_normal(20)),
            "standard_normal_3x10": doubles(rs.standard_normal((3, 10))),
            "random_sample_10": doubles(rs.random_sample(10)),
            "standard_normal_3": doubles(rs.standard_normal(3)),
            "random_sample_2": doubles(rs.random_sample(2)),
            "standard_normal_2": doubles(rs.standard_normal(2)),
            "uniform_m1_1_5": doubles(rs.uniform(-1, 1, 5)),
            "randint_0_10_5": [int(v) for v in rs.randint(0, 10, 5)],
            "randint_m3_1000_4": [int(v) for v in rs.randint(-3, 1000, 4)],
            "randint_0_2p40_3": [int(v) for v in rs.randint(0, 2**40, 3, dtype=np.int64)],
        }
        latents = {
            "normal_3x10_f32": float32s(np.random.RandomState(seed).standard_normal((3, 10)).astype(np.float32)),
            "psi_0.7_3x10_f32": float32s((0.7 * np.random.RandomState(seed).standard_normal((3, 10))).astype(np.float32)),
            "uniform_3x10_f32": float32s(np.random.RandomState(seed).uniform(-1, 1, (3, 10)).astype(np.float32)),
            "resampled_2.0_3x10_f32": float32s(resampled_normal(seed, (3, 10), 2.0).astype(np.float32)),
        }
        cases.append({"seed": seed, "stream": stream, "latents": latents})
    return {"numpy_version": np.__version__, "cases": cases}


def top_eigen(gram: np.ndarray, k: int):
    w, v = np.linalg.eigh(gram)
    order = np.argsort(w)[::-1][:k]
    vecs = []
    for j in order:
        u = v[:, j]
        if u[np.argmax(np.abs(u))] < 0:
            u = -u
        vecs.append([float(x) for x in u])
    return [float(w[j]) for j in order], vecs


def sefa_golden() -> dict:
    a = np.random.RandomState(7).standard_normal((32, 12)).astype(np.float32)
    a64 = a.astype(np.float64)
    values, vectors = top_eigen(a64.T @ a64, 3)
    w = np.random.RandomState(8).standard_normal((6, 4, 3, 3)).astype(np.float32)
    w2 = w.astype(np.float64).reshape(6, -1)
    cvalues, cvectors = top_eigen(w2 @ w2.T, 3)
    return {
        "numpy_version": np.__version__,
        "gemm": {"seed": 7, "shape": [32, 12], "weight": [float(x) for x in a.ravel()],
                 "eigenvalues": values, "eigenvectors": vectors},
        "conv_transpose": {"seed": 8, "shape": [6, 4, 3, 3], "weight": [float(x) for x in w.ravel()],
                           "eigenvalues": cvalues, "eigenvectors": cvectors},
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in [("randomstate_golden.json", random_state_golden()), ("sefa_golden.json", sefa_golden())]:
        path = os.path.join(OUT, name)
        with open(path, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        print("wrote", path)


if __name__ == "__main__":
    main()
