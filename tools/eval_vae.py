"""Evaluate a shipped VAE on held-out images of its data set (--dataset sprites, the default:
assets/vae_{encoder,decoder}.onnx; --dataset faces: assets/faces_{encoder,decoder}.onnx).

    .venv-model/bin/python tools/eval_vae.py [--dataset faces]
                                                             # shipped ONNX files: writes
                                                             # assets/eval.json (faces_eval.json),
                                                             # PNGs in tools/out/ and
                                                             # zwalk.dim_names in both files
    .venv-model/bin/python tools/eval_vae.py --ckpt tools/out/pilot.pt --tag pilot
                                                             # a checkpoint via PyTorch; writes only
                                                             # tools/out/<tag>_* (for pilot runs)

Figures, on 1,000 held-out images (seed HELDOUT_SEED of the generator, not the training seed):
  * reconstruction (decoder(mu)) mean per-pixel absolute error and MSE, over all 3x64x64 values;
  * for each factor the latent dimension (of mu) with the largest |Pearson correlation|;
    hue is sampled on [0, 0.75] (red..blue, the wrap-around through magenta is left out)
    so it is a linear factor; rotation is sampled on [-30, 30] deg, less than half of the
    smallest symmetry period (the star's 72 deg), so it is linear too, and it is measured
    on the non-circle images only (a circle's rotation is invisible);
  * the Mutual Information Gap (Chen et al. 2018): histogram MI between each mu dimension
    (equal-width bins) and each factor (shape: its 5 classes; continuous factors:
    equal-width bins), the gap between the two most informative dims divided by the
    factor's entropy, averaged over the factors (7 for sprites, 10 for faces).  10 bins on 1,000 images (histogram
    MI is biased upward by ~(bins-1)^2 / (2 n) nats, so few bins for few samples); the
    same with 20 bins on 10,000 held-out images is reported as a check.
A dimension is given a name when it is the best dim of a continuous factor with
|corr| >= the data set's name_corr (sprites 0.75, faces 0.9; tools/datasets.py), or (for shape) when its normalised MI with shape is >= NAME_SHAPE_MI
and leads the next dim by >= NAME_SHAPE_GAP; each dim gets at most one name (strongest wins).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import datasets  # noqa: E402

ROOT = os.path.dirname(HERE)
OUT_DIR = os.path.join(HERE, "out")

N_HELDOUT = 1000
N_HELDOUT_BIG = 10000
NAME_SHAPE_MI = 0.25
NAME_SHAPE_GAP = 0.10


# --------------------------------------------------------------------------
# Model back-ends
# --------------------------------------------------------------------------

class OnnxModel:
    def __init__(self, enc_path, dec_path):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = 2
        self.enc = ort.InferenceSession(enc_path, so, providers=["CPUExecutionProvider"])
        self.dec = ort.InferenceSession(dec_path, so, providers=["CPUExecutionProvider"])

    def encode(self, x):
        mus, lvs = [], []
        for s in range(0, len(x), 500):
            mu, lv = self.enc.run(["mu", "logvar"], {"image": np.ascontiguousarray(x[s:s + 500])})
            mus.append(mu)
            lvs.append(lv)
        return np.concatenate(mus), np.concatenate(lvs)

    def decode(self, z):
        return np.concatenate([self.dec.run(["image"], {"z": np.ascontiguousarray(z[s:s + 500], np.float32)})[0]
                               for s in range(0, len(z), 500)])


class TorchModel:
    def __init__(self, ckpt):
        import torch
        from export_vae import load_models
        from train_vae import DecoderWithSigmoid
        torch.set_num_threads(2)
        self.torch = torch
        enc, dec, _ = load_models(ckpt)
        self.e, self.d = enc, DecoderWithSigmoid(dec).eval()

    def encode(self, x):
        with self.torch.no_grad():
            mu, lv = self.e(self.torch.from_numpy(x))
        return mu.numpy(), lv.numpy()

    def decode(self, z):
        with self.torch.no_grad():
            return self.d(self.torch.from_numpy(np.asarray(z, np.float32))).numpy()


# --------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------

def discretize(v, bins):
    v = np.asarray(v, np.float64)
    lo, hi = v.min(), v.max()
    if hi <= lo:
        return np.zeros(len(v), np.int64)
    return np.minimum(((v - lo) / (hi - lo) * bins).astype(np.int64), bins - 1)


def entropy(a):
    p = np.bincount(a) / len(a)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def mutual_info(a, b):
    ka, kb = a.max() + 1, b.max() + 1
    joint = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb) / len(a)
    pa, pb = joint.sum(1, keepdims=True), joint.sum(0, keepdims=True)
    nz = joint > 0
    return float((joint[nz] * np.log(joint[nz] / (pa @ pb)[nz])).sum())


def factor_mask(name, f):
    """Which samples a factor is measured on (sprites' rotation: not on circles)."""
    if name == "rotation" and "shape" in f:
        return f["shape"] != 0
    return np.ones(len(next(iter(f.values()))), bool)


def mig(ds, mu, f, bins):
    """Returns (MIG, per-factor dict, normalised MI matrix [factor][dim])."""
    per, mat = {}, {}
    for name in ds.module.FACTOR_NAMES:
        m = factor_mask(name, f)
        v = f[name][m]
        vd = v.astype(np.int64) if name in ds.categorical else discretize(v, bins)
        h = entropy(vd)
        mis = np.array([mutual_info(discretize(mu[m, j], bins), vd) for j in range(mu.shape[1])]) / h
        order = np.argsort(-mis)
        per[name] = {"gap": float(mis[order[0]] - mis[order[1]]), "best_dim": int(order[0]),
                     "best_nmi": float(mis[order[0]]), "second_dim": int(order[1]),
                     "second_nmi": float(mis[order[1]])}
        mat[name] = [round(float(x), 4) for x in mis]
    return float(np.mean([p["gap"] for p in per.values()])), per, mat


def correlations(ds, mu, f):
    out, mat = {}, {}
    for name in ds.module.CONTINUOUS_FACTORS:
        m = factor_mask(name, f)
        v = f[name][m]
        c = np.array([np.corrcoef(mu[m, j], v)[0, 1] if mu[m, j].std() > 1e-8 else 0.0
                      for j in range(mu.shape[1])])
        order = np.argsort(-np.abs(c))
        out[name] = {"best_dim": int(order[0]), "abs_corr": float(abs(c[order[0]])),
                     "sign": int(np.sign(c[order[0]])),
                     "second_dim": int(order[1]), "second_abs_corr": float(abs(c[order[1]]))}
        mat[name] = [round(float(x), 4) for x in c]
    return out, mat


def name_dims(ds, corr_mat, mig_per):
    """Assign each clearly-explained dim one factor name (strongest association first)."""
    cands = []
    for name, cs in corr_mat.items():
        for j, c in enumerate(cs):
            if abs(c) >= ds.name_corr:
                cands.append((abs(c), j, name))
    for name in ds.categorical:
        s = mig_per[name]
        if s["best_nmi"] >= NAME_SHAPE_MI and s["gap"] >= NAME_SHAPE_GAP:
            cands.append((s["best_nmi"], s["best_dim"], name))
    cands.sort(reverse=True)
    names, used_f = {}, set()
    for strength, j, name in cands:
        if j in names or name in used_f:
            continue
        names[j] = name
        used_f.add(name)
    return dict(sorted(names.items()))


# --------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------

def to_u8(img_chw):
    return (np.clip(img_chw.transpose(1, 2, 0), 0, 1) * 255 + 0.5).astype(np.uint8)


def grid(images, cols, pad=2, bg=255, left=0, labels=None):
    n = len(images)
    rows = (n + cols - 1) // cols
    s = images.shape[-1]
    canvas = np.full((rows * (s + pad) + pad, left + cols * (s + pad) + pad, 3), bg, np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = pad + r * (s + pad), left + pad + c * (s + pad)
        canvas[y:y + s, x:x + s] = to_u8(images[i])
    im = Image.fromarray(canvas)
    if labels:
        d = ImageDraw.Draw(im)
        for r, text in enumerate(labels):
            for k, line in enumerate(text.split("\n")):
                d.text((3, pad + r * (s + pad) + 18 + 12 * k), line, fill=(0, 0, 0))
    return im


def save_pictures(model, x, mu, kl, dim_names, prefix):
    paths = {}
    k = 12
    rec = model.decode(mu[:k])
    p = os.path.join(OUT_DIR, f"{prefix}recon.png")
    grid(np.concatenate([x[:k], rec]), cols=k).save(p)
    paths["recon"] = p

    latent = mu.shape[1]
    z = np.random.RandomState(99).standard_normal((64, latent)).astype(np.float32)
    p = os.path.join(OUT_DIR, f"{prefix}samples.png")
    grid(model.decode(z), cols=8).save(p)
    paths["samples"] = p

    # traversals: every dim from -2.5 to 2.5 around the posterior mean of one held-out image
    steps = np.linspace(-2.5, 2.5, 9).astype(np.float32)
    rows, labels = [], []
    base = mu[3].copy()
    for j in range(latent):
        zz = np.repeat(base[None], len(steps), 0)
        zz[:, j] = steps
        strip = model.decode(zz)
        grid(strip, cols=len(steps)).save(os.path.join(OUT_DIR, f"{prefix}traverse_dim{j}.png"))
        rows.append(strip)
        labels.append(f"dim {j}\nkl {kl[j]:.2f}\n{dim_names.get(j, '')[:14]}")
    p = os.path.join(OUT_DIR, f"{prefix}traversals.png")
    grid(np.concatenate(rows), cols=len(steps), left=100, labels=labels).save(p)
    paths["traversals"] = p
    return paths


# --------------------------------------------------------------------------

def evaluate(ds, model, prefix=""):
    gen = ds.module
    x, f = gen.generate(N_HELDOUT, gen.HELDOUT_SEED)
    mu, logvar = model.encode(x)
    rec = model.decode(mu)
    mae = float(np.abs(rec - x).mean())
    mse = float(((rec - x) ** 2).mean())
    kl = (0.5 * (mu ** 2 + np.exp(logvar) - 1 - logvar)).mean(0)

    corr, corr_mat = correlations(ds, mu, f)
    mig10, mig_per, mig_mat = mig(ds, mu, f, bins=10)

    xb, fb = gen.generate(N_HELDOUT_BIG, gen.HELDOUT_SEED + 1)
    mub, _ = model.encode(xb)
    mig20, mig_per20, _ = mig(ds, mub, fb, bins=20)

    dim_names = name_dims(ds, corr_mat, mig_per)
    dim_names_str = ";".join(f"{j}:{ds.labels[n]}" for j, n in dim_names.items())
    pics = save_pictures(model, x, mu, kl, {j: ds.labels[n] for j, n in dim_names.items()}, prefix)

    res = {
        "dataset": ds.title,
        "heldout": {"n": N_HELDOUT, "seed": gen.HELDOUT_SEED},
        "reconstruction": {"mean_abs_error": round(mae, 6), "mse": round(mse, 6),
                           "note": "decoder(mu) vs input, mean over all 3x64x64 values in [0,1]"},
        "kl_per_dim": [round(float(v), 4) for v in kl],
        "active_dims": [int(j) for j in np.nonzero(kl > 0.05)[0]],
        "correlation": corr,
        "correlation_matrix": corr_mat,
        "mig": round(mig10, 4),
        "mig_bins": 10,
        "mig_per_factor": mig_per,
        "normalised_mi_matrix": mig_mat,
        "mig_check_10k_images_20_bins": round(mig20, 4),
        "mig_check_per_factor_gap": {k: round(v["gap"], 4) for k, v in mig_per20.items()},
        "dim_names": dim_names_str,
        "naming_rule": f"continuous factor |corr| >= {ds.name_corr}"
                       + (f"; shape normalised MI >= {NAME_SHAPE_MI} with gap >= {NAME_SHAPE_GAP}"
                          if ds.categorical else "") + "; one name per dim, strongest first",
    }
    if ds.name == "sprites":
        res["factor_treatment"] = {
            "hue": "sampled on [0, 0.75] of the HSV circle (red..blue, no wrap), treated as linear",
            "rotation": "sampled on [-30, 30] deg (< half the star's 72 deg period), treated as linear; "
                        "measured on non-circle images only",
        }
    return res, pics


def print_summary(res):
    r = res["reconstruction"]
    print(f"reconstruction: MAE {r['mean_abs_error']:.4f}  MSE {r['mse']:.5f}")
    print("KL per dim:", " ".join(f"{v:.2f}" for v in res["kl_per_dim"]))
    for k, v in res["correlation"].items():
        print(f"  {k:10s} best dim {v['best_dim']}  |corr| {v['abs_corr']:.3f}   "
              f"(next dim {v['second_dim']} {v['second_abs_corr']:.3f})")
    for name, s in res["mig_per_factor"].items():
        if name not in res["correlation"]:
            print(f"  {name:10s} best dim {s['best_dim']}  nMI {s['best_nmi']:.3f} (next {s['second_dim']} "
                  f"{s['second_nmi']:.3f})")
    print(f"MIG (1k, 10 bins) {res['mig']:.3f}; per factor gap "
          + ", ".join(f"{k} {v['gap']:.2f}" for k, v in res["mig_per_factor"].items()))
    print(f"MIG check (10k, 20 bins) {res['mig_check_10k_images_20_bins']:.3f}")
    print("dim_names:", res["dim_names"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    datasets.add_argument(ap)
    ap.add_argument("--ckpt", help="evaluate a PyTorch checkpoint instead of the ONNX files (no writes to assets/)")
    ap.add_argument("--tag", default="", help="prefix for the PNG/JSON names in tools/out/")
    args = ap.parse_args(argv)
    os.makedirs(OUT_DIR, exist_ok=True)
    ds = datasets.get(args.dataset)
    prefix = f"{args.tag}_" if args.tag else ("" if ds.name == "sprites" else f"{ds.stem}_")

    enc_path, dec_path = ds.encoder_path, ds.decoder_path
    model = TorchModel(args.ckpt) if args.ckpt else OnnxModel(enc_path, dec_path)
    res, pics = evaluate(ds, model, prefix)
    print_summary(res)

    if args.ckpt:
        p = os.path.join(OUT_DIR, f"{prefix}eval.json")
    else:
        from export_vae import set_metadata
        for path in (enc_path, dec_path):
            set_metadata(path, {"zwalk.dim_names": res["dim_names"]})
        res["files"] = {os.path.basename(q): os.path.getsize(q) for q in (enc_path, dec_path)}
        p = ds.eval_path
    with open(p, "w") as fh:
        json.dump(res, fh, indent=1)
        fh.write("\n")
    print("wrote", os.path.relpath(p, ROOT), "and", ", ".join(os.path.relpath(q, ROOT) for q in pics.values()))


if __name__ == "__main__":
    main()
