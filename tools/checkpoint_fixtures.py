#!/usr/bin/env python3
"""Writes the PyTorch checkpoint fixtures of Tests/Fixtures/checkpoints with torch.save itself,
the ONNX graphs of the decoder they bind onto, and onnxruntime's decode of a fixed latent for each.

Run with PyTorch (the model venv, not make test's light one):
    make checkpoint-fixtures    # = .venv-model/bin/python tools/checkpoint_fixtures.py

A small VAE (encoder + decoder; the decoder has Linear, ConvTranspose, Conv followed by BatchNorm,
and a Sigmoid) is given a different state per checkpoint (its own seed, BatchNorm running
statistics included). `decoder.onnx` is the decoder exported alone, by the TorchScript exporter
in eval mode, from the state of seed 0: that exporter folds the BatchNorm into the convolution
before it (anonymous `onnx::Conv_*` initializers). `decoder_dynamo.onnx` is the same state through
torch.onnx.export(dynamo=True), which folds the BatchNorm too but keeps the name `conv.weight` for
the folded weight. For each checkpoint, `expected/<name>.npy` is onnxruntime's decode of `z.npy`
by a graph exported from that checkpoint's own state: zwalk binds the checkpoint onto decoder.onnx
(another state) and must decode the same.
"""
import os
import sys
import zipfile

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "checkpoints")
LATENT = 4


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc3 = nn.Linear(LATENT, 8 * 4 * 4)
        self.deconv = nn.ConvTranspose2d(8, 6, 4, stride=2, padding=1)  # 4×4 → 8×8
        self.conv = nn.Conv2d(6, 6, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(6)
        self.out = nn.Conv2d(6, 3, 3, padding=1)

    def forward(self, z):
        h = torch.relu(self.fc3(z)).view(-1, 8, 4, 4)
        h = torch.relu(self.deconv(h))
        h = torch.relu(self.bn(self.conv(h)))
        return torch.sigmoid(self.out(h))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 4, stride=2, padding=1)
        self.fc = nn.Linear(4 * 4 * 4, 2 * LATENT)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()


def vae(seed):
    """A VAE in a state of its own: random weights and BatchNorm statistics, eval mode."""
    torch.manual_seed(seed)
    m = VAE()
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.4)
        m.decoder.bn.running_mean.normal_(0, 0.3)
        m.decoder.bn.running_var.uniform_(0.5, 2.0)
        m.decoder.bn.num_batches_tracked.fill_(100 + seed)
    return m.eval()


def export(decoder, path, dynamo=False):
    z = torch.zeros(1, LATENT)
    kw = dict(input_names=["z"], output_names=["image"], dynamic_axes={"z": {0: "batch"}, "image": {0: "batch"}})
    if dynamo:
        torch.onnx.export(decoder, (z,), path, dynamo=True, opset_version=18, input_names=["z"], output_names=["image"],
                          dynamic_shapes={"z": {0: torch.export.Dim("batch", min=1, max=1024)}}, external_data=False)
    else:
        torch.onnx.export(decoder, (z,), path, opset_version=17, dynamo=False, do_constant_folding=True, **kw)


def ort_decode(onnx_path, z):
    s = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: z})[0]


def expected(decoder, name, z):
    """onnxruntime's decode of z by the decoder in this state, exported by itself."""
    tmp = os.path.join(OUT, "_tmp.onnx")
    export(decoder, tmp)
    y = ort_decode(tmp, z)
    os.remove(tmp)
    with torch.no_grad():
        ref = decoder(torch.from_numpy(z)).numpy()
    assert np.abs(ref - y).max() < 1e-5, (name, np.abs(ref - y).max())
    np.save(os.path.join(OUT, "expected", os.path.basename(name) + ".npy"), y.astype(np.float32))


class Evil:
    """What a hostile checkpoint carries: unpickling it calls os.system."""

    def __reduce__(self):
        return (os.system, ("echo this checkpoint ran a command",))


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(os.path.join(OUT, "run"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "expected"), exist_ok=True)
    z = np.random.RandomState(0).standard_normal((2, LATENT)).astype(np.float32)
    np.save(os.path.join(OUT, "z.npy"), z)

    base = vae(0)
    export(base.decoder, os.path.join(OUT, "decoder.onnx"))
    try:
        export(base.decoder, os.path.join(OUT, "decoder_dynamo.onnx"), dynamo=True)
    except Exception as e:  # the dynamo exporter needs onnxscript
        print("dynamo export skipped:", e, file=sys.stderr)

    def save(obj, name, legacy=False):
        torch.save(obj, os.path.join(OUT, name), _use_new_zipfile_serialization=not legacy)

    # The decoder's own state dict, zip and legacy formats: names as in the graph.
    m = vae(1)
    save(m.decoder.state_dict(), "decoder_zip.pt")
    expected(m.decoder, "decoder_zip.pt", z)
    # The same archive with its entries deflated (torch writes them stored; torch.load reads both).
    with zipfile.ZipFile(os.path.join(OUT, "decoder_zip.pt")) as src, \
            zipfile.ZipFile(os.path.join(OUT, "decoder_deflated.pt"), "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename.replace("decoder_zip/", "decoder_deflated/"), src.read(info.filename))
    check = torch.load(os.path.join(OUT, "decoder_deflated.pt"))
    assert all(torch.equal(check[k], v) for k, v in m.decoder.state_dict().items())
    expected(m.decoder, "decoder_deflated.pt", z)
    m = vae(2)
    save(m.decoder.state_dict(), "decoder_legacy.pt", legacy=True)
    expected(m.decoder, "decoder_legacy.pt", z)

    # A full VAE's state dict onto the decoder-only graph: decoder.fc3.weight for fc3.weight, the
    # encoder's entries skipped.
    m = vae(3)
    save(m.state_dict(), "vae_full.pth")
    expected(m.decoder, "vae_full.pth", z)

    # Lightning: the state dict nested with the epoch, the optimizer's state and more.
    m = vae(4)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    m.train()
    loss = m.decoder(torch.randn(3, LATENT)).mean()
    loss.backward()
    opt.step()
    opt.zero_grad()
    m = vae(4)  # the state the checkpoint saves (the optimizer's step changed the weights above)
    save({"epoch": 7, "global_step": 420, "pytorch-lightning_version": "2.4.0",
          "state_dict": m.state_dict(), "optimizer_states": [opt.state_dict()], "lr_schedulers": [],
          "callbacks": {"ModelCheckpoint{'monitor': 'val_loss'}": {"best_model_score": torch.tensor(0.25)}}},
         "vae_lightning.ckpt")
    expected(m.decoder, "vae_lightning.ckpt", z)

    # DataParallel: every name under module.
    m = vae(5)
    save(nn.DataParallel(m).state_dict(), "vae_dataparallel.pth")
    expected(m.decoder, "vae_dataparallel.pth", z)

    # float16 weights; the expected decode uses the same rounded weights in float32.
    m = vae(6)
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in m.decoder.state_dict().items()}
    save(half, "decoder_fp16.pt")
    m.decoder.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in half.items()})
    expected(m.decoder, "decoder_fp16.pt", z)

    # Non-contiguous tensors: fc3.weight stored transposed (strides (1, 128)), the bias a slice at
    # a storage offset, out.weight a permuted view.
    m = vae(7)
    sd = m.decoder.state_dict()
    w = sd["fc3.weight"]
    sd["fc3.weight"] = w.t().contiguous().t()
    assert not sd["fc3.weight"].is_contiguous()
    big = torch.zeros(200)
    big[37:37 + 128] = sd["fc3.bias"]
    sd["fc3.bias"] = big[37:37 + 128]
    ow = sd["out.weight"]
    sd["out.weight"] = ow.permute(2, 3, 0, 1).contiguous().permute(2, 3, 0, 1)
    assert not sd["out.weight"].is_contiguous() and sd["fc3.bias"].storage_offset() == 37
    save(sd, "decoder_strided.pt")
    save(sd, "decoder_strided_legacy.pt", legacy=True)
    expected(m.decoder, "decoder_strided.pt", z)
    expected(m.decoder, "decoder_strided_legacy.pt", z)

    # A checkpoint carrying a forbidden global: refused with its name, never run.
    m = vae(8)
    sd = dict(m.decoder.state_dict())
    sd["payload"] = Evil()
    save(sd, "evil.pt")

    # A training run: epoch_1, epoch_2, epoch_10 (natural order is not the string order).
    for epoch in (1, 2, 10):
        m = vae(100 + epoch)
        save(m.state_dict(), os.path.join("run", f"epoch_{epoch}.pth"))
        expected(m.decoder, os.path.join("run", f"epoch_{epoch}.pth"), z)

    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT}: {total} bytes")


if __name__ == "__main__":
    main()
