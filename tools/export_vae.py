"""Export a trained checkpoint to its data set's ONNX pair: assets/vae_{encoder,decoder}.onnx for
sprites, assets/faces_{encoder,decoder}.onnx for faces (the checkpoint records its --dataset).

    .venv-model/bin/python tools/export_vae.py [tools/out/vae.pt | tools/out/faces.pt]

TorchScript exporter (dynamo=False), opset 17, dynamic batch, weights inline (float32).
Checks: onnx.checker, the operator allow-list, and onnxruntime vs PyTorch (max abs
diff <= 1e-5). zwalk.dim_names is filled in by tools/eval_vae.py (it is computed by the
evaluation); export writes it empty.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import datasets  # noqa: E402
from train_vae import Decoder, DecoderWithSigmoid, Encoder  # noqa: E402

DEFAULT_CKPT = datasets.get(datasets.DEFAULT).checkpoint

ALLOWED_OPS = {
    "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "Relu", "LeakyRelu", "Elu",
    "Sigmoid", "Tanh", "Reshape", "Flatten", "Shape", "Gather", "Unsqueeze", "Concat",
    "Constant", "Resize", "BatchNormalization", "Identity", "Softplus",
}

OBJECTIVE_NAMES = {"beta": "beta-VAE", "tcvae": "beta-TCVAE", "capacity": "capacity-annealed beta-VAE",
                   "adagvae": "Ada-GVAE (weakly supervised beta-VAE)"}


def base_metadata(ds: datasets.Dataset, role: str, kind: str = "beta-VAE") -> dict:
    md = {
        "zwalk.role": role,
        "zwalk.latent_shape": str(ds.latent),
        "zwalk.prior": "normal",
        "zwalk.image_layout": "NCHW",
        "zwalk.dataset": ds.title,
        "zwalk.dim_names": "",
    }
    if role == "decoder":
        md["zwalk.output_range"] = "0,1"
        md["zwalk.encoder"] = os.path.basename(ds.encoder_path)
        md["zwalk.description"] = f"{kind} decoder: {ds.decoder_text}"
    else:
        md["zwalk.input_range"] = "0,1"
        md["zwalk.decoder"] = os.path.basename(ds.decoder_path)
        md["zwalk.description"] = f"{kind} encoder: {ds.encoder_text}"
    return md


def set_metadata(path: str, updates: dict):
    """Set (replace) metadata_props keys on an ONNX file in place."""
    m = onnx.load(path)
    props = {p.key: p.value for p in m.metadata_props}
    props.update(updates)
    del m.metadata_props[:]
    for k in sorted(props):
        e = m.metadata_props.add()
        e.key, e.value = k, props[k]
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)


def fix_io_shapes(path: str, shapes: dict):
    """Write static shapes (batch stays symbolic) on graph inputs/outputs: the TorchScript
    exporter leaves the decoder's H and W as symbols after the Reshape."""
    m = onnx.load(path)
    for vi in list(m.graph.input) + list(m.graph.output):
        if vi.name in shapes:
            dims = vi.type.tensor_type.shape.dim
            for d, v in zip(dims, shapes[vi.name]):
                if isinstance(v, str):
                    d.dim_param = v
                else:
                    d.dim_value = v
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)


def read_metadata(path: str) -> dict:
    return {p.key: p.value for p in onnx.load(path).metadata_props}


def ops_of(path: str) -> list:
    m = onnx.load(path)
    return sorted({n.op_type for n in m.graph.node})


def check_ops(path: str):
    m = onnx.load(path)
    ops = {n.op_type for n in m.graph.node}
    bad = ops - ALLOWED_OPS
    assert not bad, f"{path}: operators outside the allow-list: {sorted(bad)}"
    for n in m.graph.node:
        if n.op_type == "Resize":
            mode = [a.s for a in n.attribute if a.name == "mode"]
            assert mode in ([], [b"nearest"]), f"{path}: Resize mode {mode}"
    for init in m.graph.initializer:
        assert init.data_type == onnx.TensorProto.FLOAT, f"{init.name} is not float32"
        assert init.data_location != onnx.TensorProto.EXTERNAL, f"{init.name} is external"
    return sorted(ops)


def checkpoint_dataset(ck: dict) -> datasets.Dataset:
    """The data set a checkpoint was trained on (checkpoints from before --dataset are sprites)."""
    return datasets.get(ck.get("args", {}).get("dataset", "sprites"))


def load_models(ckpt_path: str):
    ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)  # our own checkpoint
    latent = checkpoint_dataset(ck).latent
    enc, dec = Encoder(latent), Decoder(latent)
    enc.load_state_dict(ck["encoder"])
    dec.load_state_dict(ck["decoder"])
    enc.eval()
    dec.eval()
    return enc, dec, ck


def export(ckpt_path: str = DEFAULT_CKPT):
    enc, dec, ck = load_models(ckpt_path)
    ds = checkpoint_dataset(ck)
    latent, dec_path, enc_path = ds.latent, ds.decoder_path, ds.encoder_path
    os.makedirs(os.path.dirname(dec_path), exist_ok=True)
    kind = OBJECTIVE_NAMES.get(ck.get("args", {}).get("objective", "beta"), "VAE")
    dec_s = DecoderWithSigmoid(dec).eval()

    z_ex = torch.zeros(2, latent)
    x_ex = torch.zeros(2, 3, 64, 64)
    torch.onnx.export(dec_s, (z_ex,), dec_path, dynamo=False, opset_version=17,
                      input_names=["z"], output_names=["image"],
                      dynamic_axes={"z": {0: "batch"}, "image": {0: "batch"}},
                      do_constant_folding=True, external_data=False)
    torch.onnx.export(enc, (x_ex,), enc_path, dynamo=False, opset_version=17,
                      input_names=["image"], output_names=["mu", "logvar"],
                      dynamic_axes={"image": {0: "batch"}, "mu": {0: "batch"}, "logvar": {0: "batch"}},
                      do_constant_folding=True, external_data=False)
    fix_io_shapes(dec_path, {"z": ["batch", latent], "image": ["batch", 3, 64, 64]})
    fix_io_shapes(enc_path, {"image": ["batch", 3, 64, 64], "mu": ["batch", latent], "logvar": ["batch", latent]})
    set_metadata(dec_path, base_metadata(ds, "decoder", kind))
    set_metadata(enc_path, base_metadata(ds, "encoder", kind))

    for p in (dec_path, enc_path):
        onnx.checker.check_model(onnx.load(p), full_check=True)
        ops = check_ops(p)
        print(f"{os.path.relpath(p, os.path.dirname(HERE))}: {os.path.getsize(p) / 1e6:.2f} MB, ops {ops}")

    # onnxruntime vs PyTorch
    z = np.random.RandomState(7).standard_normal((16, latent)).astype(np.float32)
    x, _ = ds.module.generate(16, 4242)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    dsess = ort.InferenceSession(dec_path, so, providers=["CPUExecutionProvider"])
    esess = ort.InferenceSession(enc_path, so, providers=["CPUExecutionProvider"])
    with torch.no_grad():
        t_img = dec_s(torch.from_numpy(z)).numpy()
        t_mu, t_lv = (a.numpy() for a in enc(torch.from_numpy(x)))
    o_img = dsess.run(["image"], {"z": z})[0]
    o_mu, o_lv = esess.run(["mu", "logvar"], {"image": x})
    d_dec = float(np.abs(o_img - t_img).max())
    d_mu = float(np.abs(o_mu - t_mu).max())
    d_lv = float(np.abs(o_lv - t_lv).max())
    print(f"onnxruntime vs torch max abs diff: decoder {d_dec:.2e}, mu {d_mu:.2e}, logvar {d_lv:.2e}")
    assert o_img.shape == (16, 3, 64, 64) and o_mu.shape == (16, latent) and o_lv.shape == (16, latent)
    assert max(d_dec, d_mu, d_lv) <= 1e-5, "onnxruntime output differs from PyTorch"
    # dynamic batch: batch 1 and 3 give the same rows
    o1 = dsess.run(["image"], {"z": z[:1]})[0]
    o3 = dsess.run(["image"], {"z": z[:3]})[0]
    assert np.abs(o1[0] - o3[0]).max() <= 1e-5 and o3.shape[0] == 3
    print("export ok")


if __name__ == "__main__":
    export(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_CKPT)
