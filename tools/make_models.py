"""Builds the decoder models zwalk is cross-checked against onnxruntime with, and their fixtures.

    .venv/bin/python tools/make_models.py [--out .build/models] [--fixtures Tests/Fixtures/models] [--check]

Needs only onnx, onnxruntime and numpy (the light venv). Each model is written node for node as
the TorchScript exporter (torch.onnx.export, dynamo=False) emits the equivalent PyTorch module:
Gemm with transB=1 for nn.Linear, a Constant shape and Reshape(allowzero=0) for .view, ConvTranspose
without bias followed by BatchNormalization(training_mode=0), Resize(X, "", scales) with the
nearest/asymmetric/floor attributes of nn.Upsample, GroupNorm as Reshape → InstanceNormalization →
Reshape → Mul → Add. Node, value and initializer names follow the exporter's scheme
("/fc1/Gemm", "/fc1/Gemm_output_0", "fc1.weight"); the batch axis is the symbolic dimension "batch".

Weights are seeded (numpy RandomState, whose stream numpy keeps stable across versions) and He-style
so that activations stay O(1); batch-norm running statistics are calibrated on a batch of latents,
as training would leave them. The script is deterministic: two runs write identical bytes.

Outputs:
  --out DIR        every model as <name>.onnx (the benchmark set reads them from here).
  --fixtures DIR   <name>.z.npy (latents: RandomState(7).standard_normal, batch 4, float32) and
                   <name>.expected.npy (onnxruntime's output, float32) for every model, plus the
                   .onnx of the models small enough for git (FIXTURE_MODELS). dcgan64 (~14 MB of
                   weights) and the GroupNormalization variants stay in --out only: regenerate them.
  --check          also runs onnx.reference.ReferenceEvaluator on every model and reports the
                   largest difference from onnxruntime (slow for dcgan64).
"""
from __future__ import annotations

import argparse
import copy
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_OUT = os.path.join(ROOT, ".build", "models")
DEFAULT_FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "models")

PRODUCER = "zwalk tools/make_models.py"
FIXTURE_BATCH = 4
LATENT_SEED = 7
# Models whose .onnx is small enough to keep in git beside the fixtures.
FIXTURE_MODELS = ("mlp_vae_decoder", "resconv_decoder", "mlp_gan")


class GraphBuilder:
    """Accumulates nodes and initializers with the TorchScript exporter's naming scheme."""

    def __init__(self, rng: np.random.RandomState):
        self.rng = rng
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._names: set[str] = set()
        self._onnx_counter = 0

    def _unique(self, name: str) -> str:
        # The exporter numbers repeats of a scope's op: /Relu, /Relu_1, /Relu_2 ...
        base, k = name, 0
        while name in self._names:
            k += 1
            name = f"{base}_{k}"
        self._names.add(name)
        return name

    def node(self, op: str, scope: str, inputs: list[str], **attrs) -> str:
        name = self._unique(f"{scope}/{op}")
        out = f"{name}_output_0"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def constant(self, scope: str, value: np.ndarray) -> str:
        name = self._unique(f"{scope}/Constant")
        out = f"{name}_output_0"
        self.nodes.append(helper.make_node("Constant", [], [out], name=name,
                                           value=numpy_helper.from_array(value, name="")))
        return out

    def weight(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name=name))
        return name

    def folded(self, op: str, value: np.ndarray) -> str:
        """An initializer the exporter's constant folding produced (e.g. Unsqueeze(weight))."""
        self._onnx_counter += 1
        return self.weight(f"onnx::{op}_{self._onnx_counter}", value)

    def normal(self, shape, std: float) -> np.ndarray:
        return (self.rng.standard_normal(shape) * std).astype(np.float32)

    def model(self, name: str, inputs, outputs, opset: int, metadata: dict[str, str],
              check: bool = True) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, f"main_graph", inputs, outputs, self.initializers)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name=PRODUCER,
                              producer_version="1")
        m.ir_version = 8  # what torch.onnx.export writes for opsets 17 and 18
        m.doc_string = f"zwalk test model '{name}' (seeded random weights)"
        for k, v in metadata.items():
            m.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
        if check:
            onnx.checker.check_model(m, full_check=True)
        return m


def latent_input(shape: tuple[int, ...]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", *shape])


def image_output(shape: tuple[int, ...]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", *shape])


def rename_output(b: GraphBuilder, value: str, to: str) -> None:
    """The exporter names the last node's output after output_names."""
    for n in b.nodes:
        n.output[:] = [to if o == value else o for o in n.output]


def metadata(latent_shape: tuple[int, ...], output_range: str, description: str) -> dict[str, str]:
    return {
        "zwalk.role": "decoder",
        "zwalk.latent_shape": ",".join(str(d) for d in latent_shape),
        "zwalk.prior": "normal",
        "zwalk.output_range": output_range,
        "zwalk.image_layout": "NCHW",
        "zwalk.description": description,
    }


# ---------------------------------------------------------------------------------------------
# 1. MLP VAE decoder: z (N, 16) → 256 → 512 → 784 → Sigmoid → (N, 1, 28, 28)

def build_mlp_vae_decoder(seed: int = 1) -> onnx.ModelProto:
    b = GraphBuilder(np.random.RandomState(seed))
    x = "z"
    sizes = [16, 256, 512, 784]
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        last = i == len(sizes) - 2
        # He for the ReLU layers; the last layer is scaled so the sigmoid is not saturated.
        std = np.sqrt((1.5 if last else 2.0) / fan_in)
        w = b.weight(f"fc{i + 1}.weight", b.normal((fan_out, fan_in), std))  # nn.Linear: (out, in)
        bias = b.weight(f"fc{i + 1}.bias", b.normal((fan_out,), 0.05))
        x = b.node("Gemm", f"/fc{i + 1}", [x, w, bias], alpha=1.0, beta=1.0, transB=1)
        x = b.node("Sigmoid" if last else "Relu", "" if last else f"/relu{i + 1}", [x])
    shape = b.constant("", np.array([-1, 1, 28, 28], dtype=np.int64))
    x = b.node("Reshape", "", [x, shape], allowzero=0)
    rename_output(b, x, "image")
    return b.model("mlp_vae_decoder", [latent_input((16,))], [image_output((1, 28, 28))], 17,
                   metadata((16,), "0,1", "MLP VAE decoder: a 16-d latent to a 28x28 grey image (seeded random weights)."))


# ---------------------------------------------------------------------------------------------
# 2. DCGAN-64 generator (the PyTorch DCGAN tutorial's, nz=100, ngf=64, nc=3)

def build_dcgan64(seed: int = 2, nz: int = 100, ngf: int = 64, nc: int = 3,
                  calibration: np.ndarray | None = None) -> onnx.ModelProto:
    b = GraphBuilder(np.random.RandomState(seed))
    chans = [nz, ngf * 8, ngf * 4, ngf * 2, ngf, nc]
    x = "z"
    bn_inputs: list[str] = []
    for i, (cin, cout) in enumerate(zip(chans, chans[1:])):
        first, last = i == 0, i == len(chans) - 2
        idx = 3 * i  # nn.Sequential indices: ConvT, BN, ReLU per block
        # Each output of a k4/s2 transposed conv sums cin·(4/2)² inputs; the first (1×1 input) sums cin.
        fan = cin * (1 if first else 4)
        w = b.weight(f"main.{idx}.weight", b.normal((cin, cout, 4, 4), np.sqrt((1.0 if last else 2.0) / fan)))
        x = b.node("ConvTranspose", f"/main/main.{idx}", [x, w], dilations=[1, 1], group=1, kernel_shape=[4, 4],
                   pads=[0, 0, 0, 0] if first else [1, 1, 1, 1], strides=[1, 1] if first else [2, 2])
        if last:
            x = b.node("Tanh", f"/main/main.{idx + 1}", [x])
            break
        p = f"main.{idx + 1}"
        gamma = b.weight(f"{p}.weight", (1 + 0.1 * b.rng.standard_normal(cout)).astype(np.float32))
        beta = b.weight(f"{p}.bias", b.normal((cout,), 0.1))
        mean = b.weight(f"{p}.running_mean", np.zeros(cout, np.float32))
        var = b.weight(f"{p}.running_var", np.ones(cout, np.float32))
        bn_inputs.append(x)
        x = b.node("BatchNormalization", f"/main/{p}", [x, gamma, beta, mean, var], epsilon=1e-5, momentum=0.9,
                   training_mode=0)
        x = b.node("Relu", f"/main/main.{idx + 2}", [x])
    rename_output(b, x, "image")
    m = b.model("dcgan64", [latent_input((nz, 1, 1))], [image_output((nc, 64, 64))], 17,
                metadata((nz, 1, 1), "-1,1", "DCGAN-64 generator (nz=100, ngf=64): seeded random weights, "
                                              "batch-norm statistics calibrated on random latents."))
    if calibration is None:
        calibration = np.random.RandomState(11).standard_normal((128, nz, 1, 1)).astype(np.float32)
    return calibrate_batchnorm(m, calibration)


def calibrate_batchnorm(model: onnx.ModelProto, z: np.ndarray) -> onnx.ModelProto:
    """Sets each BatchNormalization's running mean and variance to the statistics of its input on
    `z`, layer by layer (a trained network's statistics describe its own activations)."""
    inits = {t.name: t for t in model.graph.initializer}
    for node in [n for n in model.graph.node if n.op_type == "BatchNormalization"]:
        probe = copy.deepcopy(model)
        probe.graph.output.append(helper.make_tensor_value_info(node.input[0], TensorProto.FLOAT, None))
        act = run_onnxruntime(probe, z, outputs=[node.input[0]])[0]
        axes = (0,) + tuple(range(2, act.ndim))
        # A little noise, as running averages never match one batch exactly.
        rng = np.random.RandomState(len(node.name))
        mean = act.mean(axis=axes) + 0.02 * rng.standard_normal(act.shape[1])
        var = act.var(axis=axes) * (1 + 0.05 * rng.uniform(-1, 1, act.shape[1]))
        inits[node.input[3]].CopyFrom(numpy_helper.from_array(mean.astype(np.float32), node.input[3]))
        inits[node.input[4]].CopyFrom(numpy_helper.from_array(var.astype(np.float32), node.input[4]))
    onnx.checker.check_model(model, full_check=True)
    return model


# ---------------------------------------------------------------------------------------------
# 3. Residual conv decoder, tiny-autoencoder style (opset 18):
#    z (N, 4, 8, 8) → Conv 3×3 → ReLU → ResBlock → Upsample ×2 → Conv → ResBlock → Upsample ×2
#    → Conv → Conv 3×3 to 3 → Tanh → (N, 3, 32, 32)

GROUP_NORM_STYLES = ("instancenorm", "groupnorm18", "groupnorm21")


def build_resconv_decoder(seed: int = 3, channels: int = 64, groups: int = 8,
                          group_norm: str = "instancenorm") -> onnx.ModelProto:
    """group_norm: "instancenorm" — torch.nn.GroupNorm as the TorchScript exporter writes it at
    opset 18 (it has no GroupNormalization symbolic); "groupnorm18" — the real GroupNormalization-18,
    whose scale and bias are per group, so the per-channel affine follows as Mul/Add;
    "groupnorm21" — GroupNormalization-21 with per-channel scale and bias, at opset 21.
    All three compute the same function from the same weights."""
    if group_norm not in GROUP_NORM_STYLES:
        raise ValueError(f"group_norm must be one of {GROUP_NORM_STYLES}, not {group_norm!r}")
    b = GraphBuilder(np.random.RandomState(seed))
    C = channels

    def conv(scope: str, x: str, cin: int, cout: int, gain: float = 2.0) -> str:
        w = b.weight(f"{scope.strip('/').replace('/', '.')}.weight", b.normal((cout, cin, 3, 3), np.sqrt(gain / (cin * 9))))
        bias = b.weight(f"{scope.strip('/').replace('/', '.')}.bias", b.normal((cout,), 0.02))
        return b.node("Conv", scope, [x, w, bias], dilations=[1, 1], group=1, kernel_shape=[3, 3],
                      pads=[1, 1, 1, 1], strides=[1, 1])

    def group_norm_layer(scope: str, x: str) -> str:
        p = scope.strip("/").replace("/", ".")
        gamma = (1 + 0.1 * b.rng.standard_normal(C)).astype(np.float32)
        beta = (0.1 * b.rng.standard_normal(C)).astype(np.float32)
        if group_norm == "groupnorm21":
            return b.node("GroupNormalization", scope, [x, b.weight(f"{p}.weight", gamma), b.weight(f"{p}.bias", beta)],
                          epsilon=1e-5, num_groups=groups)
        if group_norm == "groupnorm18":
            ones = b.constant(scope, np.ones(groups, np.float32))
            zeros = b.constant(scope, np.zeros(groups, np.float32))
            y = b.node("GroupNormalization", scope, [x, ones, zeros], epsilon=1e-5, num_groups=groups)
        else:
            # symbolic_opset9.group_norm: normalise (N, G, C/G·H·W) per group, reshape back, then
            # the per-channel affine with Unsqueeze(weight, [1, 2]) folded into initializers.
            shape = b.constant(scope, np.array([0, groups, -1], dtype=np.int64))
            r = b.node("Reshape", scope, [x, shape], allowzero=0)
            ones = b.constant(scope, np.ones(groups, np.float32))
            zeros = b.constant(scope, np.zeros(groups, np.float32))
            n = b.node("InstanceNormalization", scope, [r, ones, zeros], epsilon=1e-5)
            s = b.node("Shape", scope, [x])
            y = b.node("Reshape", scope, [n, s], allowzero=0)
        y = b.node("Mul", scope, [y, b.folded("Mul", gamma.reshape(C, 1, 1))])
        return b.node("Add", scope, [y, b.folded("Add", beta.reshape(C, 1, 1))])

    def res_block(scope: str, x: str) -> str:
        h = conv(f"{scope}/conv1", x, C, C)
        h = group_norm_layer(f"{scope}/norm", h)
        h = b.node("Relu", f"{scope}/act", [h])
        h = conv(f"{scope}/conv2", h, C, C, gain=1.0)
        return b.node("Add", scope, [x, h])

    def upsample(scope: str, x: str) -> str:
        # nn.Upsample(scale_factor=2, mode="nearest"): roi omitted (""), scales a Constant.
        scales = b.constant(scope, np.array([1, 1, 2, 2], dtype=np.float32))
        return b.node("Resize", scope, [x, "", scales], coordinate_transformation_mode="asymmetric",
                      cubic_coeff_a=-0.75, mode="nearest", nearest_mode="floor")

    x = conv("/conv_in", "z", 4, C)
    x = b.node("Relu", "/act_in", [x])
    x = res_block("/block1", x)
    x = upsample("/up1", x)
    x = conv("/conv_up1", x, C, C)
    x = res_block("/block2", x)
    x = upsample("/up2", x)
    x = conv("/conv_up2", x, C, C, gain=1.0)
    x = conv("/conv_out", x, C, 3, gain=0.2)
    x = b.node("Tanh", "", [x])
    rename_output(b, x, "image")
    opset = 21 if group_norm == "groupnorm21" else 18
    name = "resconv_decoder" if group_norm == "instancenorm" else f"resconv_decoder_{group_norm}"
    # onnx's checker rejects GroupNormalization-18 as deprecated (opset 21 changed its scale to
    # per channel); onnxruntime still runs it, and models of that era exist.
    return b.model(name, [latent_input((4, 8, 8))], [image_output((3, 32, 32))], opset,
                   metadata((4, 8, 8), "-1,1", f"Residual conv decoder (tiny-autoencoder style, {C} channels, "
                                                f"GroupNorm {groups} groups as {group_norm}): seeded random weights."),
                   check=group_norm != "groupnorm18")


# ---------------------------------------------------------------------------------------------
# 4. TAESD-style decoder: z (N, 4, 16, 16) → 64-channel 3×3 convs with ReLU in residual blocks,
#    three 2× nearest upsamples → RGB 3×3 output conv → (N, 3, 128, 128). The shape of
#    madebyollin's tiny autoencoder decoder (one block per resolution instead of three).

def build_taesd_decoder(seed: int = 4, channels: int = 64) -> onnx.ModelProto:
    b = GraphBuilder(np.random.RandomState(seed))
    C = channels

    def conv(scope: str, x: str, cin: int, cout: int, gain: float = 2.0, bias: bool = True) -> str:
        p = scope.strip("/").replace("/", ".")
        inputs = [x, b.weight(f"{p}.weight", b.normal((cout, cin, 3, 3), np.sqrt(gain / (cin * 9))))]
        if bias:
            inputs.append(b.weight(f"{p}.bias", b.normal((cout,), 0.02)))
        return b.node("Conv", scope, inputs, dilations=[1, 1], group=1, kernel_shape=[3, 3],
                      pads=[1, 1, 1, 1], strides=[1, 1])

    def block(scope: str, x: str) -> str:
        # TAESD's Block: conv-ReLU-conv-ReLU-conv, plus the input, then ReLU.
        h = b.node("Relu", f"{scope}/conv/conv.1", [conv(f"{scope}/conv/conv.0", x, C, C)])
        h = b.node("Relu", f"{scope}/conv/conv.3", [conv(f"{scope}/conv/conv.2", h, C, C)])
        h = conv(f"{scope}/conv/conv.4", h, C, C, gain=0.5)
        return b.node("Relu", f"{scope}/fuse", [b.node("Add", scope, [h, x])])

    def upsample(scope: str, x: str) -> str:
        scales = b.constant(scope, np.array([1, 1, 2, 2], dtype=np.float32))
        return b.node("Resize", scope, [x, "", scales], coordinate_transformation_mode="asymmetric",
                      cubic_coeff_a=-0.75, mode="nearest", nearest_mode="floor")

    x = b.node("Relu", "/decoder/decoder.1", [conv("/decoder/decoder.0", "z", 4, C)])
    x = block("/decoder/decoder.2", x)
    for i, idx in enumerate((3, 6, 9)):
        x = upsample(f"/decoder/decoder.{idx}", x)
        x = conv(f"/decoder/decoder.{idx + 1}", x, C, C, gain=1.0, bias=False)
        x = block(f"/decoder/decoder.{idx + 2}", x)
    x = conv("/decoder/decoder.12", x, C, 3, gain=0.3)
    rename_output(b, x, "image")
    return b.model("taesd_decoder", [latent_input((4, 16, 16))], [image_output((3, 128, 128))], 17,
                   metadata((4, 16, 16), "-1,1", "TAESD-style decoder (64-channel residual blocks, 16×16 latent "
                                                 "to 128×128 RGB): seeded random weights."))


# ---------------------------------------------------------------------------------------------
# 5. MLP GAN generator: z (N, 64) → 256 → 256 → 784, LeakyReLU(0.2), Tanh → (N, 1, 28, 28)

def build_mlp_gan(seed: int = 5) -> onnx.ModelProto:
    b = GraphBuilder(np.random.RandomState(seed))
    x = "z"
    sizes = [64, 256, 256, 784]
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        last = i == len(sizes) - 2
        w = b.weight(f"main.{2 * i}.weight", b.normal((fan_out, fan_in), np.sqrt((1.0 if last else 2.0) / fan_in)))
        bias = b.weight(f"main.{2 * i}.bias", b.normal((fan_out,), 0.05))
        x = b.node("Gemm", f"/main/main.{2 * i}", [x, w, bias], alpha=1.0, beta=1.0, transB=1)
        if last:
            x = b.node("Tanh", f"/main/main.{2 * i + 1}", [x])
        else:
            x = b.node("LeakyRelu", f"/main/main.{2 * i + 1}", [x], alpha=0.2)
    shape = b.constant("", np.array([-1, 1, 28, 28], dtype=np.int64))
    x = b.node("Reshape", "", [x, shape], allowzero=0)
    rename_output(b, x, "image")
    return b.model("mlp_gan", [latent_input((64,))], [image_output((1, 28, 28))], 17,
                   metadata((64,), "-1,1", "MLP GAN generator (64 → 256 → 256 → 784, LeakyReLU, Tanh): "
                                           "seeded random weights."))


# ---------------------------------------------------------------------------------------------

# name → (builder, latent shape)
MODELS = {
    "mlp_vae_decoder": (build_mlp_vae_decoder, (16,)),
    "dcgan64": (build_dcgan64, (100, 1, 1)),
    "resconv_decoder": (build_resconv_decoder, (4, 8, 8)),
    "resconv_decoder_groupnorm18": (lambda: build_resconv_decoder(group_norm="groupnorm18"), (4, 8, 8)),
    "resconv_decoder_groupnorm21": (lambda: build_resconv_decoder(group_norm="groupnorm21"), (4, 8, 8)),
    "taesd_decoder": (build_taesd_decoder, (4, 16, 16)),
    "mlp_gan": (build_mlp_gan, (64,)),
}


def session(model: onnx.ModelProto | str, threads: int = 1) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    data = model if isinstance(model, str) else model.SerializeToString()
    return ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])


def run_onnxruntime(model: onnx.ModelProto, z: np.ndarray, outputs: list[str] | None = None) -> list[np.ndarray]:
    # One thread: the fixtures must not depend on how a reduction was split.
    return session(model, threads=1).run(outputs, {"z": z})


def fixture_latents(latent_shape: tuple[int, ...], batch: int = FIXTURE_BATCH) -> np.ndarray:
    return np.random.RandomState(LATENT_SEED).standard_normal((batch, *latent_shape)).astype(np.float32)


def parameter_count(model: onnx.ModelProto) -> int:
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer)


def save_model(model: onnx.ModelProto, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(model.SerializeToString())
    os.replace(tmp, path)


def save_npy(array: np.ndarray, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp.npy"
    np.save(tmp, np.ascontiguousarray(array, dtype=np.float32))
    os.replace(tmp, path)


def build(name: str) -> onnx.ModelProto:
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[name][0]()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="directory for every .onnx (default: .build/models)")
    ap.add_argument("--fixtures", default=DEFAULT_FIXTURES,
                    help="directory for .npy fixtures and the small models (default: Tests/Fixtures/models)")
    ap.add_argument("--only", default="", help="comma-separated model names (default: all)")
    ap.add_argument("--check", action="store_true", help="cross-check onnxruntime against onnx.reference")
    args = ap.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(MODELS)
    for n in names:
        if n not in MODELS:
            ap.error(f"unknown model {n!r}; known: {', '.join(MODELS)}")

    reference_outputs: dict[str, np.ndarray] = {}
    for name in names:
        model = build(name)
        latent_shape = MODELS[name][1]
        z = fixture_latents(latent_shape)
        y = run_onnxruntime(model, z)[0]
        onnx_path = os.path.join(args.out, f"{name}.onnx")
        save_model(model, onnx_path)
        written = [onnx_path]
        if name in FIXTURE_MODELS:
            save_model(model, os.path.join(args.fixtures, f"{name}.onnx"))
            written.append(os.path.join(args.fixtures, f"{name}.onnx"))
        save_npy(z, os.path.join(args.fixtures, f"{name}.z.npy"))
        save_npy(y, os.path.join(args.fixtures, f"{name}.expected.npy"))
        size = os.path.getsize(onnx_path)
        print(f"{name}: opset {model.opset_import[0].version}, {len(model.graph.node)} nodes, "
              f"{parameter_count(model):,} parameters, {size / 1e6:.2f} MB; output {list(y.shape)} "
              f"mean {y.mean():+.3f} std {y.std():.3f} range [{y.min():+.3f}, {y.max():+.3f}]")
        for p in written:
            print(f"  wrote {os.path.relpath(p, ROOT)}")
        if name.startswith("resconv_decoder"):
            reference_outputs[name] = y
        if args.check:
            from onnx.reference import ReferenceEvaluator
            r = ReferenceEvaluator(model).run(None, {"z": z})[0]
            print(f"  onnx.reference vs onnxruntime: max |diff| = {np.abs(r - y).max():.2e}")

    # The GroupNormalization variants compute the same function as the exporter's decomposition.
    base = reference_outputs.get("resconv_decoder")
    for name, y in reference_outputs.items():
        if base is not None and name != "resconv_decoder":
            d = float(np.abs(y - base).max())
            print(f"{name} vs resconv_decoder: max |diff| = {d:.2e}")
            if d > 1e-4:
                print(f"error: {name} should compute the same function as resconv_decoder", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
