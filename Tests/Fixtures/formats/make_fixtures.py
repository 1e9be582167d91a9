#!/usr/bin/env python3
"""Regenerates the small fixture files of Tests/ZWalkFormatsTests from independent writers:
onnx's helper/numpy_helper for ONNX, numpy.save / numpy.lib.format for .npy, and the safetensors
layout written by hand from its specification (the safetensors package is not in the venv).

Run: /work/main/.venv/bin/python Tests/Fixtures/formats/make_fixtures.py   (writes next to itself)
The Swift tests state the expected values as formulas (arange and friends), not by reading these
files back with zwalk.
"""
import json
import os
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def path(*p):
    return os.path.join(HERE, *p)


def tiny_model():
    """z (N, 4) → Gemm(W (3, 4), transB) + b → Relu → y (N, 3), with metadata and a dynamic batch."""
    w = (np.arange(12, dtype=np.float32).reshape(3, 4) - 6) / 8
    b = np.array([0.5, -0.25, 0.0], dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["z", "W", "b"], ["h"], name="fc", transB=1, alpha=1.0),
            helper.make_node("Relu", ["h"], ["y"], name="act"),
        ],
        "tiny",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
        initializer=[numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, producer_name="fixture", producer_version="1.0",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"zwalk.latent": "normal", "note": "tiny"})
    onnx.checker.check_model(model)
    onnx.save(model, path("tiny.onnx"))


# Values whose float16/bfloat16 forms are exact: zero, signed zero, subnormal, smallest normal,
# the largest float16, ±inf. NaN is checked separately.
F16_VALUES = [0.0, -0.0, 1.0, -2.5, 2.0**-24, 2.0**-14, 65504.0, float("inf"), float("-inf"), float("nan")]
BF16_VALUES = [0.0, -0.0, 1.0, -2.5, 2.0**-133, 2.0**-126, 3.3895313892515355e38, float("inf"), float("-inf"), float("nan")]


def typed_model():
    """Initializers in every storage ONNX allows: raw_data and the typed fields."""
    inits = []
    for raw in (False, True):
        s = "_raw" if raw else "_typed"
        inits += [
            helper.make_tensor("float" + s, TensorProto.FLOAT, [2, 3], [0.5, -1, 2, 3.25, 4, -5], raw=False)
            if not raw else numpy_helper.from_array(np.array([[0.5, -1, 2], [3.25, 4, -5]], np.float32), "float" + s),
            helper.make_tensor("float16" + s, TensorProto.FLOAT16, [len(F16_VALUES)],
                               np.array(F16_VALUES, np.float16).view(np.uint16).tobytes() if raw else np.array(F16_VALUES, np.float16),
                               raw=raw),
            helper.make_tensor("bfloat16" + s, TensorProto.BFLOAT16, [len(BF16_VALUES)],
                               (np.array(BF16_VALUES, np.float32).view(np.uint32) >> 16).astype(np.uint16).tobytes() if raw
                               else np.array(BF16_VALUES, np.float32), raw=raw),
            helper.make_tensor("double" + s, TensorProto.DOUBLE, [3],
                               np.array([1.5, -2.25, 1e10], np.float64).tobytes() if raw else [1.5, -2.25, 1e10], raw=raw),
            helper.make_tensor("int64" + s, TensorProto.INT64, [4],
                               np.array([1, -2, 2**40, -(2**62)], np.int64).tobytes() if raw else [1, -2, 2**40, -(2**62)], raw=raw),
            helper.make_tensor("int32" + s, TensorProto.INT32, [3],
                               np.array([7, -8, 2**31 - 1], np.int32).tobytes() if raw else [7, -8, 2**31 - 1], raw=raw),
            helper.make_tensor("int8" + s, TensorProto.INT8, [3],
                               np.array([-128, 0, 127], np.int8).tobytes() if raw else [-128, 0, 127], raw=raw),
            helper.make_tensor("uint8" + s, TensorProto.UINT8, [3],
                               np.array([0, 200, 255], np.uint8).tobytes() if raw else [0, 200, 255], raw=raw),
            helper.make_tensor("int16" + s, TensorProto.INT16, [2],
                               np.array([-30000, 30000], np.int16).tobytes() if raw else [-30000, 30000], raw=raw),
            helper.make_tensor("uint16" + s, TensorProto.UINT16, [2],
                               np.array([0, 65535], np.uint16).tobytes() if raw else [0, 65535], raw=raw),
            helper.make_tensor("uint32" + s, TensorProto.UINT32, [2],
                               np.array([1, 2**32 - 1], np.uint32).tobytes() if raw else [1, 2**32 - 1], raw=raw),
            helper.make_tensor("uint64" + s, TensorProto.UINT64, [2],
                               np.array([3, 2**63 - 1], np.uint64).tobytes() if raw else [3, 2**63 - 1], raw=raw),
            helper.make_tensor("bool" + s, TensorProto.BOOL, [3],
                               np.array([True, False, True]).tobytes() if raw else [True, False, True], raw=raw),
            helper.make_tensor("scalar" + s, TensorProto.FLOAT, [],
                               np.array(42.0, np.float32).tobytes() if raw else [42.0], raw=raw),
            helper.make_tensor("empty" + s, TensorProto.FLOAT, [0, 3], b"" if raw else [], raw=raw),
        ]
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"], name="id")],
        "typed",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "channels", None])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.example", 2)])
    # NaN and inf are deliberate here: the test loads with allowNonFiniteWeights.
    onnx.save(model, path("typed.onnx"))


def attributes_model():
    """Every attribute kind the engine keeps, and a subgraph."""
    then_g = helper.make_graph([helper.make_node("Constant", [], ["t"], value_float=1.0)], "then", [],
                               [helper.make_tensor_value_info("t", TensorProto.FLOAT, [])])
    else_g = helper.make_graph([helper.make_node("Constant", [], ["e"], value_float=2.0)], "else", [],
                               [helper.make_tensor_value_info("e", TensorProto.FLOAT, [])])
    nodes = [
        helper.make_node("Custom", ["x"], ["a"], name="attrs", domain="com.example",
                         f=0.25, i=-7, s="hello", floats=[1.0, -2.0], ints=[3, -4, 2**40], strings=["p", "q"],
                         t=numpy_helper.from_array(np.array([1, 2], np.int64), "tv")),
        helper.make_node("If", ["c"], ["b"], name="branch", then_branch=then_g, else_branch=else_g),
    ]
    graph = helper.make_graph(nodes, "attrs",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2]),
                               helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2]),
                               helper.make_tensor_value_info("b", TensorProto.FLOAT, [])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    onnx.save(model, path("attributes.onnx"))


def external_model():
    """The tiny model with its weights in an external file, as large models are exported."""
    os.makedirs(path("external"), exist_ok=True)
    model = onnx.load(path("tiny.onnx"))
    for f in os.listdir(path("external")):
        os.remove(path("external", f))
    onnx.save_model(model, path("external", "model.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)


def npy_files():
    d = path("npy")
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "f4_2x3.npy"), np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5)
    np.save(os.path.join(d, "f4_scalar.npy"), np.float32(3.5))
    np.save(os.path.join(d, "f4_1x0x3.npy"), np.zeros((1, 0, 3), np.float32))
    np.save(os.path.join(d, "f4_7.npy"), np.arange(7, dtype=np.float32) * 1.5)
    np.save(os.path.join(d, "f4_12345x0.npy"), np.zeros((12345, 0), np.float32))  # a 5-digit first axis, no data
    np.save(os.path.join(d, "f8_5.npy"), np.array([0.1, -1e300, 2.5, 1e-40, -0.0], np.float64))
    np.save(os.path.join(d, "f2_4.npy"), np.array([1.0, -0.5, 2.0**-24, 65504], np.float16))
    np.save(os.path.join(d, "i8_2x2.npy"), np.array([[1, -2], [2**40, -(2**62)]], np.int64))
    np.save(os.path.join(d, "i4_3.npy"), np.array([5, -6, 2**31 - 1], np.int32))
    np.save(os.path.join(d, "b1_3.npy"), np.array([True, False, True]))
    a = np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5
    for v in (2, 3):
        with open(os.path.join(d, f"f4_2x3_v{v}.npy"), "wb") as f:
            np.lib.format.write_array(f, a, version=(v, 0))
    np.save(os.path.join(d, "fortran_2x3.npy"), np.asfortranarray(a))
    np.save(os.path.join(d, "big_endian.npy"), a.astype(">f4"))
    np.save(os.path.join(d, "u4_2.npy"), np.array([1, 2], np.uint32))


def safetensors_file():
    """Written from the format's specification: u64 header length, JSON header, data."""
    tensors = {
        "decoder.w": ("F32", np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5),
        "decoder.h": ("F16", np.array([1.0, -0.5, 2.0**-24, 65504], np.float16)),
        "decoder.bf": ("BF16", (np.array([1.0, -2.5, 3.0e38, 2.0**-133], np.float32).view(np.uint32) >> 16).astype(np.uint16)),
        "decoder.d": ("F64", np.array([0.25, -1e10], np.float64)),
        "bn.num_batches_tracked": ("I64", np.array(12345, np.int64)),
    }
    header = {"__metadata__": {"format": "pt", "source": "fixture"}}
    blob = b""
    for name, (dt, arr) in tensors.items():
        raw = arr.tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path("weights.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + blob)


def tensor_pb():
    t = numpy_helper.from_array(np.arange(24, dtype=np.float32).reshape(2, 3, 4) * 0.5, "input_0")
    with open(path("tensor.pb"), "wb") as f:
        f.write(t.SerializeToString())


if __name__ == "__main__":
    tiny_model()
    typed_model()
    attributes_model()
    external_model()
    npy_files()
    safetensors_file()
    tensor_pb()
    print("fixtures written to", HERE)
