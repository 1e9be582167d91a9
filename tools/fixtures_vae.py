"""Write the VAE fixtures the Swift tests compare against (Tests/Fixtures/vae/).

    .venv/bin/python tools/fixtures_vae.py        # needs only numpy + onnxruntime

  z.npy           float32 [8,10]       numpy.random.RandomState(1234).standard_normal((8, 10))
  decoded.npy     float32 [8,3,64,64]  onnxruntime output `image` of assets/vae_decoder.onnx for z
  images.npy      float32 [8,3,64,64]  8 held-out sprites (sprites.generate(8, FIXTURE_SEED))
  encoded_mu.npy  float32 [8,10]       onnxruntime output `mu` of assets/vae_encoder.onnx for images
  encoded_logvar.npy float32 [8,10]    onnxruntime output `logvar` for images
All plain .npy (numpy.save), C order, little-endian float32.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sprites  # noqa: E402

ROOT = os.path.dirname(HERE)
ASSETS = os.path.join(ROOT, "assets")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "vae")
FIXTURE_SEED = 777  # neither the training seed (0) nor the evaluation seeds (1000, 1001)


def main():
    os.makedirs(OUT, exist_ok=True)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    dec = ort.InferenceSession(os.path.join(ASSETS, "vae_decoder.onnx"), so, providers=["CPUExecutionProvider"])
    enc = ort.InferenceSession(os.path.join(ASSETS, "vae_encoder.onnx"), so, providers=["CPUExecutionProvider"])

    z = np.random.RandomState(1234).standard_normal((8, 10)).astype(np.float32)
    decoded = dec.run(["image"], {"z": z})[0].astype(np.float32)
    images, _ = sprites.generate(8, FIXTURE_SEED)
    images = np.ascontiguousarray(images, dtype=np.float32)
    mu, logvar = enc.run(["mu", "logvar"], {"image": images})

    arrays = {"z": z, "decoded": decoded, "images": images,
              "encoded_mu": mu.astype(np.float32), "encoded_logvar": logvar.astype(np.float32)}
    for name, a in arrays.items():
        a = np.ascontiguousarray(a, dtype="<f4")
        np.save(os.path.join(OUT, f"{name}.npy"), a)
        print(f"Tests/Fixtures/vae/{name}.npy {a.shape} [{a.min():.4f}, {a.max():.4f}]")


if __name__ == "__main__":
    main()
