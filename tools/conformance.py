#!/usr/bin/env python3
"""Write out the ONNX project's own backend test cases for zwalk's conformance suite.

The installed `onnx` package carries model tests as data directories under
onnx/backend/test/data/{pytorch-converted,pytorch-operator,simple} (and, in some releases, node/);
each case directory holds model.onnx and test_data_set_N/{input,output}_K.pb (serialized
TensorProtos). The node test cases are generated from their Python definitions
(onnx.backend.test.case.node.collect_testcases()) when the package does not ship them as data.

The output directory gets one directory per case, <kind>/<case>/, plus cases.json: an index with
each case's tolerances (ONNX's defaults rtol 1e-3 / atol 1e-7, a data.json override when the case
has one, and the backend runner's widening to two bfloat16 ULPs for bfloat16 outputs), operator
types and input/output types, which Tests/ConformanceTests reads.

Usage: python tools/conformance.py [--out .build/conformance] [--kinds node,pytorch-converted,...]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import warnings

KINDS = ["node", "pytorch-converted", "pytorch-operator", "simple"]
DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-7
BFLOAT16_RTOL = 2**-6  # onnx/backend/test/runner: "Two bfloat16 ULPs"


def type_string(tp) -> str:
    """A TypeProto as ONNX prints it: tensor(float), seq(tensor(int64)), map(string,tensor(float)) …"""
    from onnx import helper

    which = tp.WhichOneof("value")
    if which == "tensor_type":
        return f"tensor({helper.tensor_dtype_to_string(tp.tensor_type.elem_type).replace('TensorProto.', '').lower()})"
    if which == "sequence_type":
        return f"seq({type_string(tp.sequence_type.elem_type)})"
    if which == "optional_type":
        return f"optional({type_string(tp.optional_type.elem_type)})"
    if which == "map_type":
        key = helper.tensor_dtype_to_string(tp.map_type.key_type).replace("TensorProto.", "").lower()
        return f"map({key},{type_string(tp.map_type.value_type)})"
    if which == "sparse_tensor_type":
        return "sparse_tensor"
    return which or "undefined"


def ops_of(graph) -> list[str]:
    """Operator types used by the graph and its subgraphs (If/Loop/Scan bodies)."""
    from onnx import AttributeProto

    ops = set()
    for node in graph.node:
        ops.add(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}")
        for a in node.attribute:
            if a.type == AttributeProto.GRAPH:
                ops.update(ops_of(a.g))
            elif a.type == AttributeProto.GRAPHS:
                for g in a.graphs:
                    ops.update(ops_of(g))
    return sorted(ops)


def index_entry(kind: str, name: str, case_dir: str, rtol: float, atol: float) -> dict | None:
    import onnx

    model_path = os.path.join(case_dir, "model.onnx")
    if not os.path.exists(model_path):
        return None
    model = onnx.load(model_path, load_external_data=False)
    data_sets = sorted(
        d for d in os.listdir(case_dir) if d.startswith("test_data_set_") and os.path.isdir(os.path.join(case_dir, d))
    )
    initializer_names = {t.name for t in model.graph.initializer}
    inputs = [vi for vi in model.graph.input if vi.name not in initializer_names]
    outputs = list(model.graph.output)
    out_types = [type_string(vi.type) for vi in outputs]
    tolerances = [
        [max(rtol, BFLOAT16_RTOL) if t == "tensor(bfloat16)" else rtol, atol] for t in out_types
    ]
    opset = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    return {
        "name": name,
        "kind": kind,
        "dir": f"{kind}/{name}",
        "rtol": rtol,
        "atol": atol,
        "output_tolerances": tolerances,
        "data_sets": len(data_sets),
        "ops": ops_of(model.graph),
        "opset": opset,
        "inputs": [type_string(vi.type) for vi in inputs],
        "input_names": [vi.name for vi in inputs],
        "outputs": out_types,
        "output_names": [vi.name for vi in outputs],
    }


def copy_data_cases(data_dir: str, kind: str, out: str) -> list[dict]:
    """Copies onnx/backend/test/data/<kind>/* (case dirs with model.onnx) into out/<kind>/."""
    src_kind = os.path.join(data_dir, kind)
    entries = []
    if not os.path.isdir(src_kind):
        return entries
    for name in sorted(os.listdir(src_kind)):
        src = os.path.join(src_kind, name)
        if not os.path.isdir(src) or not os.path.exists(os.path.join(src, "model.onnx")):
            continue  # "real" models are downloads; skip anything without a model
        rtol, atol = DEFAULT_RTOL, DEFAULT_ATOL
        data_json = os.path.join(src, "data.json")
        if os.path.exists(data_json):
            with open(data_json) as f:
                d = json.load(f)
            rtol, atol = d.get("rtol", rtol), d.get("atol", atol)
        dst = os.path.join(out, kind, name)
        if os.path.exists(dst):
            shutil.rmtree(dst)
        shutil.copytree(src, dst)
        entry = index_entry(kind, name, dst, rtol, atol)
        if entry:
            entries.append(entry)
    return entries


def write_node_cases(out: str, existing: set[str]) -> list[dict]:
    """Generates the node test cases from their definitions, as onnx's cmd_tools does for model cases."""
    import onnx
    from onnx import numpy_helper
    from onnx.backend.test.case import node as node_cases

    def serialize(value, vi) -> bytes:
        which = vi.type.WhichOneof("value")
        if isinstance(value, onnx.TensorProto):
            return value.SerializeToString()
        if which == "map_type":
            return numpy_helper.from_dict(value, vi.name).SerializeToString()
        if which == "sequence_type":
            return numpy_helper.from_list(value, vi.name).SerializeToString()
        if which == "optional_type":
            return numpy_helper.from_optional(value, vi.name).SerializeToString()
        return numpy_helper.from_array(value, vi.name).SerializeToString()

    entries = []
    # The case definitions compute their expected outputs with numpy and some divide by zero on
    # purpose (ReduceMax of an empty set is -inf); their warnings are noise here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        all_cases = node_cases.collect_testcases()
    for case in all_cases:
        if case.name in existing:
            continue
        case_dir = os.path.join(out, "node", case.name)
        if os.path.exists(case_dir):
            shutil.rmtree(case_dir)
        os.makedirs(case_dir)
        with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        graph = case.model.graph
        for i, (inputs, outputs) in enumerate(case.data_sets):
            ds = os.path.join(case_dir, f"test_data_set_{i}")
            os.makedirs(ds)
            for j, value in enumerate(inputs):
                with open(os.path.join(ds, f"input_{j}.pb"), "wb") as f:
                    f.write(serialize(value, graph.input[j]))
            for j, value in enumerate(outputs):
                with open(os.path.join(ds, f"output_{j}.pb"), "wb") as f:
                    f.write(serialize(value, graph.output[j]))
        entry = index_entry("node", case.name, case_dir, case.rtol, case.atol)
        if entry:
            entries.append(entry)
    return entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=".build/conformance", help="output directory (default: %(default)s)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds (default: %(default)s)")
    args = parser.parse_args()

    try:
        import onnx
    except ImportError:
        print("error: the 'onnx' Python package is not installed; run: pip install onnx numpy", file=sys.stderr)
        return 1

    start = time.time()
    data_dir = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
    kinds = [k for k in args.kinds.split(",") if k]
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)

    cases = []
    for kind in kinds:
        if kind == "node":
            continue
        cases += copy_data_cases(data_dir, kind, out)
    if "node" in kinds:
        shipped = copy_data_cases(data_dir, "node", out)
        cases += shipped
        cases += write_node_cases(out, {c["name"] for c in shipped})

    # Write the index last and atomically: a half-written directory has no cases.json.
    index = {
        "generator": "tools/conformance.py",
        "onnx_version": onnx.__version__,
        "default_rtol": DEFAULT_RTOL,
        "default_atol": DEFAULT_ATOL,
        "cases": cases,
    }
    tmp = os.path.join(out, ".cases.json.tmp")
    with open(tmp, "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)
    os.replace(tmp, os.path.join(out, "cases.json"))

    counts = {k: sum(1 for c in cases if c["kind"] == k) for k in kinds}
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    print(f"conformance data: {len(cases)} cases ({summary}) from onnx {onnx.__version__} in {out} ({time.time() - start:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
