"""Train a shipped zwalk model: a convolutional beta-VAE on procedural data with known factors,
--dataset sprites (tools/sprites.py, the default) or faces (tools/faces.py); see tools/datasets.py.

CPU only, seeded and reproducible (bitwise, for a fixed torch build and thread count).
Writes tools/out/<name>.pt (plus a snapshot every 2,000 steps) and, unless --no-export,
exports assets/<stem>_{encoder,decoder}.onnx via tools/export_vae.py (vae_* for sprites,
faces_* for faces).

The defaults are the shipped model: Ada-GVAE (Locatello et al. 2020), a beta-VAE trained on pairs
of images that differ in one generative factor (which one is not told), Gaussian likelihood
(sigma 0.1), beta = 4 with a linear warm-up over 3,000 steps, Adam 5e-4, batch 32 pairs, one thread;
sprites 60,000 pairs and 20,000 steps, faces 40,000 pairs (they take longer to draw) and 10,000
steps (a faces step takes about twice as long, and the hour on a loaded 2-core machine is the budget).
Faces add labels (--labels; Locatello et al. 2020b, "Disentangling factors of variation using few
labels"): the generator knows every image's factors, and the first image of each pair pulls the
encoder's mean on dims 0-9 towards its ten factors (standardised), weight 500, beside the
Ada-GVAE objective. Without labels, 10,000 steps left smile, eye size and mouth opening spread
thinly over several dims (|r| 0.26-0.86); with them every factor has its own dim. Dims 10-15 stay free:

    nice -n 19 .venv-model/bin/python tools/train_vae.py                   # ~25 min on 2 cores
    nice -n 19 .venv-model/bin/python tools/train_vae.py --dataset faces   # ~30 min on 2 cores

Other objectives kept for experiments: --objective tcvae (beta-TCVAE, Chen et al. 2018) and
--objective capacity (annealed capacity, Burgess et al. 2018); --rec bce for a Bernoulli likelihood.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import datasets  # noqa: E402

OUT_DIR = os.path.join(HERE, "out")


# --------------------------------------------------------------------------
# Model (Burgess et al. 2018 architecture, mu and logvar as two heads so the
# exported encoder needs no Split/Slice).
# --------------------------------------------------------------------------

class Encoder(nn.Module):
    def __init__(self, latent: int, ch: int = 32, hidden: int = 256):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(3, ch, 4, 2, 1), nn.ReLU(),            # 32x32
            nn.Conv2d(ch, ch, 4, 2, 1), nn.ReLU(),           # 16x16
            nn.Conv2d(ch, 2 * ch, 4, 2, 1), nn.ReLU(),       # 8x8
            nn.Conv2d(2 * ch, 2 * ch, 4, 2, 1), nn.ReLU(),   # 4x4
        )
        self.fc = nn.Sequential(
            nn.Flatten(),
            nn.Linear(2 * ch * 16, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
        )
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)

    def forward(self, x):
        h = self.fc(self.conv(x))
        return self.mu(h), self.logvar(h)


class Decoder(nn.Module):
    """z -> logits. `DecoderWithSigmoid` (export) maps to [0,1]."""

    def __init__(self, latent: int, ch: int = 32, hidden: int = 256):
        super().__init__()
        self.ch = ch
        self.fc = nn.Sequential(
            nn.Linear(latent, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, 2 * ch * 16), nn.ReLU(),
        )
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(2 * ch, 2 * ch, 4, 2, 1), nn.ReLU(),  # 8x8
            nn.ConvTranspose2d(2 * ch, ch, 4, 2, 1), nn.ReLU(),      # 16x16
            nn.ConvTranspose2d(ch, ch, 4, 2, 1), nn.ReLU(),          # 32x32
            nn.ConvTranspose2d(ch, 3, 4, 2, 1),                      # 64x64
        )

    def forward(self, z):
        h = self.fc(z).reshape(-1, 2 * self.ch, 4, 4)
        return self.deconv(h)


class DecoderWithSigmoid(nn.Module):
    def __init__(self, dec: Decoder):
        super().__init__()
        self.dec = dec

    def forward(self, z):
        return torch.sigmoid(self.dec(z))


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------

LOG2PI = math.log(2 * math.pi)


def gaussian_log_density(z, mu, logvar):
    return -0.5 * (LOG2PI + logvar + (z - mu) ** 2 * torch.exp(-logvar))


def tc_terms(z, mu, logvar, dataset_size: int):
    """beta-TCVAE decomposition (Chen et al. 2018), minibatch-weighted sampling.
    Returns per-batch means of (mutual info, total correlation, dimension-wise KL)."""
    b = z.shape[0]
    log_qz_x = gaussian_log_density(z, mu, logvar).sum(1)
    log_pz = gaussian_log_density(z, torch.zeros_like(z), torch.zeros_like(z)).sum(1)
    # mat[i, j, d] = log q(z_i[d] | x_j)
    mat = gaussian_log_density(z[:, None, :], mu[None, :, :], logvar[None, :, :])
    log_nm = math.log(b * dataset_size)
    log_qz = torch.logsumexp(mat.sum(2), dim=1) - log_nm
    log_prod_qzi = (torch.logsumexp(mat, dim=1) - log_nm).sum(1)
    mi = (log_qz_x - log_qz).mean()
    tc = (log_qz - log_prod_qzi).mean()
    dwkl = (log_prod_qzi - log_pz).mean()
    return mi, tc, dwkl


def ada_average(mu1, lv1, mu2, lv2):
    """Ada-GVAE (Locatello et al. 2020): the two images of a pair differ in few factors, so
    the latent dims whose posteriors barely differ (per-pair KL below the midpoint of the largest
    and smallest) are taken as shared and both posteriors are replaced there by their average
    (mean of means, mean of variances).  The encoder thus learns to move one dim per factor."""
    v1, v2 = lv1.exp(), lv2.exp()
    kl = 0.5 * (lv2 - lv1 + (v1 + (mu1 - mu2) ** 2) / v2 - 1)      # KL(q1 || q2) per dim
    tau = 0.5 * (kl.max(1, keepdim=True).values + kl.min(1, keepdim=True).values)
    shared = (kl < tau).float()
    mu_a, lv_a = 0.5 * (mu1 + mu2), (0.5 * (v1 + v2)).log()
    mix = lambda a, b: shared * b + (1 - shared) * a  # noqa: E731
    return mix(mu1, mu_a), mix(lv1, lv_a), mix(mu2, mu_a), mix(lv2, lv_a)


def standardised_labels(gen, f: dict) -> torch.Tensor:
    """Continuous factors rescaled to zero mean and unit variance under their uniform sampling
    ranges (the prior's scale), in FACTOR_NAMES order: the targets of the label term."""
    cols = []
    for name in gen.CONTINUOUS_FACTORS:
        lo, hi = gen.RANGES[name]
        cols.append((np.asarray(f[name], np.float64) - 0.5 * (lo + hi)) / (hi - lo) * math.sqrt(12.0))
    return torch.from_numpy(np.stack(cols, 1).astype(np.float32))


def to_float(xb: torch.Tensor) -> torch.Tensor:
    return xb.float().div_(255.0)


def render_u8(gen, f: dict) -> torch.Tensor:
    """Images of a factor table as uint8 NCHW (halves memory traffic; quantisation error <= 1/510)."""
    n = len(next(iter(f.values())))
    out = np.empty((n, 3, 64, 64), dtype=np.uint8)
    chunk = 10000
    for s in range(0, n, chunk):
        part = {k: v[s:s + chunk] for k, v in f.items()}
        out[s:s + chunk] = np.round(gen.render(part) * 255.0).astype(np.uint8)
    return torch.from_numpy(out)


def seed_everything(seed: int):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    datasets.add_argument(ap)
    ap.add_argument("--objective", choices=["beta", "tcvae", "capacity", "adagvae"], default="adagvae",
                    help="beta: rec + beta*KL; tcvae: rec + MI + beta*TC + dimKL (Chen et al.); "
                         "capacity: rec + gamma*|KL - C|, C annealed 0 -> --cmax (Burgess et al.); "
                         "adagvae: beta-VAE on image pairs that differ in one factor, shared dims "
                         "averaged (Locatello et al. 2020); --batch counts pairs")
    ap.add_argument("--beta", type=float, default=4.0, help="KL weight (beta-VAE) or TC weight (beta-TCVAE)")
    ap.add_argument("--rec", choices=["bce", "gauss"], default="gauss",
                    help="reconstruction likelihood: Bernoulli (BCE on logits) or Gaussian with std --sigma")
    ap.add_argument("--sigma", type=float, default=0.1, help="Gaussian likelihood std (pixel units)")
    ap.add_argument("--gamma", type=float, default=1000.0, help="capacity objective: weight of |KL - C|")
    ap.add_argument("--cmax", type=float, default=25.0, help="capacity objective: final KL target, nats")
    ap.add_argument("--anneal", type=int, default=0, help="capacity objective: steps to reach cmax "
                    "(0: 70%% of --steps)")
    ap.add_argument("--tc-weight", type=float, default=0.0, help="capacity objective: extra weight on "
                    "the total correlation (minibatch-weighted estimate)")
    ap.add_argument("--dw-weight", type=float, default=1.0, help="tcvae objective: weight of the "
                    "dimension-wise KL (gamma in Chen et al.; 1 is the plain beta-TCVAE)")
    ap.add_argument("--steps", type=int, default=0, help="0: the data set's default (sprites 20,000, "
                    "faces 10,000)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--warmup", type=int, default=3000, help="steps of linear KL/TC warm-up from 0")
    ap.add_argument("--n-train", type=int, default=0, help="training pairs (images for the unpaired "
                    "objectives); 0: the data set's default (sprites 60,000, faces 40,000)")
    ap.add_argument("--labels", type=int, default=-1,
                    help="semi-supervision with few labels (Locatello et al. 2020b): the first N training "
                         "images carry their factors, and the encoder's mean on dim k is pulled towards "
                         "continuous factor k (standardised) for them; -1: the data set's default "
                         "(sprites 0, faces 40,000: every pair), 0: none")
    ap.add_argument("--label-weight", type=float, default=500.0,
                    help="weight of the label term (squared error summed over the labelled dims, "
                         "averaged over the labelled images of a batch)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="1 keeps runs bitwise reproducible and copes best with a busy machine")
    ap.add_argument("--name", default="", help="checkpoint tools/out/<name>.pt (default: the data "
                    "set's file stem, vae or faces)")
    ap.add_argument("--no-export", action="store_true")
    args = ap.parse_args(argv)
    ds = datasets.get(args.dataset)
    gen = ds.module
    args.n_train = args.n_train or ds.n_train
    args.steps = args.steps or ds.steps
    args.name = args.name or ds.stem
    args.latent = ds.latent
    args.labels = ds.labels_n if args.labels < 0 else args.labels

    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    os.makedirs(OUT_DIR, exist_ok=True)

    t0 = time.time()
    paired = args.objective == "adagvae"
    if paired:
        first, second, _ = gen.sample_pairs(args.n_train, gen.TRAIN_SEED)
        data, data2 = render_u8(gen, first), render_u8(gen, second)
    else:
        first = gen.sample_factors(args.n_train, gen.TRAIN_SEED)
        data, data2 = render_u8(gen, first), None
    n = data.shape[0]
    n_labelled = min(args.labels, n)
    labels = standardised_labels(gen, first) if n_labelled else None
    if n_labelled:
        assert len(gen.CONTINUOUS_FACTORS) <= ds.latent
        print(f"labels: the first {n_labelled} images supervise dims 0..{len(gen.CONTINUOUS_FACTORS) - 1} "
              f"({', '.join(gen.CONTINUOUS_FACTORS)}), weight {args.label_weight}", flush=True)
    print(f"data: {ds.title}, {n} {'pairs' if paired else 'images'} (seed {gen.TRAIN_SEED}) "
          f"in {time.time() - t0:.1f}s", flush=True)

    enc, dec = Encoder(ds.latent), Decoder(ds.latent)
    enc = enc.to(memory_format=torch.channels_last)
    dec = dec.to(memory_format=torch.channels_last)
    params = list(enc.parameters()) + list(dec.parameters())
    print(f"parameters: encoder {sum(p.numel() for p in enc.parameters())}, "
          f"decoder {sum(p.numel() for p in dec.parameters())}", flush=True)
    opt = torch.optim.Adam(params, lr=args.lr)
    rng = torch.Generator().manual_seed(args.seed)

    t_train = time.time()
    perm = torch.randperm(n, generator=rng)
    pos = 0
    stats = np.zeros(6)
    log_every = 250 if args.steps >= 2000 else 10
    for step in range(1, args.steps + 1):
        if pos + args.batch > n:
            perm = torch.randperm(n, generator=rng)
            pos = 0
        idx = perm[pos:pos + args.batch]
        pos += args.batch
        x = to_float(data[idx]).contiguous(memory_format=torch.channels_last)
        if paired:
            # one forward pass over both halves; the pair's posteriors are averaged on shared dims
            x = torch.cat([x, to_float(data2[idx]).contiguous(memory_format=torch.channels_last)])

        mu, logvar = enc(x)
        sup = torch.zeros(())
        labelled = idx < n_labelled
        if labelled.any():
            k = labels.shape[1]
            sup = ((mu[:idx.shape[0]][labelled, :k] - labels[idx[labelled]]) ** 2).sum(1).mean()
        if paired:
            b = idx.shape[0]
            m1, l1, m2, l2 = ada_average(mu[:b], logvar[:b], mu[b:], logvar[b:])
            mu, logvar = torch.cat([m1, m2]), torch.cat([l1, l2])
        eps = torch.randn(mu.shape, generator=rng)
        z = mu + eps * torch.exp(0.5 * logvar)
        logits = dec(z)
        if args.rec == "bce":
            rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
        else:
            rec = ((torch.sigmoid(logits) - x) ** 2).sum() / (2 * args.sigma ** 2) / x.shape[0]
        kl = (0.5 * (mu ** 2 + logvar.exp() - 1 - logvar)).sum(1).mean()
        w = min(1.0, step / args.warmup) if args.warmup > 0 else 1.0
        cap = 0.0
        if args.objective in ("beta", "adagvae"):
            reg = args.beta * w * kl
            tc = torch.zeros(())
        elif args.objective == "capacity":
            anneal = args.anneal or int(0.7 * args.steps)
            cap = args.cmax * min(1.0, step / anneal)
            reg = args.gamma * (kl - cap).abs()
            if args.tc_weight > 0:
                _, tc, _ = tc_terms(z, mu, logvar, n)
                reg = reg + args.tc_weight * tc
            else:
                tc = torch.zeros(())
        else:
            mi, tc, dwkl = tc_terms(z, mu, logvar, n)
            # anneal the whole regulariser in; the TC weight is beta
            reg = w * (mi + args.beta * tc + args.dw_weight * dwkl)
        loss = rec + reg + args.label_weight * sup
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

        with torch.no_grad():
            mse = F.mse_loss(torch.sigmoid(logits), x).item()
        stats += np.array([loss.item(), rec.item(), kl.item(), float(tc.detach()), mse, sup.item()])
        if step % log_every == 0 or step == args.steps:
            k = log_every if step % log_every == 0 else step % log_every
            s = stats / k
            el = time.time() - t_train
            kld = (0.5 * (mu ** 2 + logvar.exp() - 1 - logvar)).mean(0).detach()
            active = int((kld > 0.05).sum())
            print(f"step {step:6d}/{args.steps} loss {s[0]:8.2f} rec {s[1]:8.2f} kl {s[2]:6.2f} "
                  f"tc {s[3]:6.2f} mse {s[4]:.5f} label {s[5]:6.3f} active {active} C {cap:5.2f} | {el / 60:5.1f} min, "
                  f"eta {el / step * (args.steps - step) / 60:5.1f} min", flush=True)
            stats[:] = 0
        if step % 2000 == 0 and step < args.steps:   # snapshot for looking at progress
            torch.save({"encoder": enc.state_dict(), "decoder": dec.state_dict(), "step": step, "args": vars(args)},
                       os.path.join(OUT_DIR, f"{args.name}_snapshot.pt"))

    wall = time.time() - t_train
    print(f"training wall time: {wall:.0f} s ({wall / 60:.1f} min); total with data {time.time() - t0:.0f} s",
          flush=True)
    enc = enc.to(memory_format=torch.contiguous_format)
    dec = dec.to(memory_format=torch.contiguous_format)
    ckpt = os.path.join(OUT_DIR, f"{args.name}.pt")
    torch.save({
        "encoder": enc.state_dict(),
        "decoder": dec.state_dict(),
        "args": vars(args),
        "train_wall_seconds": wall,
        "torch": str(torch.__version__),
    }, ckpt)
    print("saved", ckpt, flush=True)

    if not args.no_export:
        import export_vae
        export_vae.export(ckpt)


if __name__ == "__main__":
    main()
