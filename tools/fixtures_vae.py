"""Write the fixtures the Swift tests compare a shipped model against: Tests/Fixtures/vae/ for
sprites (the default), Tests/Fixtures/faces/ for --dataset faces.

    .venv/bin/python tools/fixtures_vae.py [--dataset faces]   # needs only numpy + onnxruntime

With L the latent size (10 sprites, 16 faces) and <stem> vae or faces:
  z.npy           float32 [8,L]        numpy.random.RandomState(1234).standard_normal((8, L))
  decoded.npy     float32 [8,3,64,64]  onnxruntime output `image` of assets/<stem>_decoder.onnx for z
  images.npy      float32 [8,3,64,64]  8 held-out images (generate(8, FIXTURE_SEED) of the data set)
  encoded_mu.npy  float32 [8,L]        onnxruntime output `mu` of assets/<stem>_encoder.onnx for images
  encoded_logvar.npy float32 [8,L]     onnxruntime output `logvar` for images
All plain .npy (numpy.save), C order, little-endian float32.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import datasets  # noqa: E402

ROOT = os.path.dirname(HERE)
FIXTURE_SEED = 777  # neither the training seed (0) nor the evaluation seeds (1000, 1001)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    datasets.add_argument(ap)
    ds = datasets.get(ap.parse_args(argv).dataset)
    out = os.path.join(ROOT, "Tests", "Fixtures", ds.fixtures)
    os.makedirs(out, exist_ok=True)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    dec = ort.InferenceSession(ds.decoder_path, so, providers=["CPUExecutionProvider"])
    enc = ort.InferenceSession(ds.encoder_path, so, providers=["CPUExecutionProvider"])

    z = np.random.RandomState(1234).standard_normal((8, ds.latent)).astype(np.float32)
    decoded = dec.run(["image"], {"z": z})[0].astype(np.float32)
    images, _ = ds.module.generate(8, FIXTURE_SEED)
    images = np.ascontiguousarray(images, dtype=np.float32)
    mu, logvar = enc.run(["mu", "logvar"], {"image": images})

    arrays = {"z": z, "decoded": decoded, "images": images,
              "encoded_mu": mu.astype(np.float32), "encoded_logvar": logvar.astype(np.float32)}
    for name, a in arrays.items():
        a = np.ascontiguousarray(a, dtype="<f4")
        np.save(os.path.join(out, f"{name}.npy"), a)
        print(f"{os.path.relpath(out, ROOT)}/{name}.npy {a.shape} [{a.min():.4f}, {a.max():.4f}]")


if __name__ == "__main__":
    main()
