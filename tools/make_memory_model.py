"""A 128×128 decoder for measuring zwalk's memory: make_models.py's residual conv decoder (64
channels, fully convolutional) fed a 4×32×32 latent, so it outputs (N, 3, 128, 128).

    .venv/bin/python tools/make_memory_model.py OUT.onnx

Used by the memory measurements in the README (`zwalk grid` of 64 tiles, /usr/bin/time -v).
"""
import sys

import onnx

import make_models


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else "resconv128.onnx"
    m = make_models.build_resconv_decoder()
    for value, dims in ((m.graph.input[0], (4, 32, 32)), (m.graph.output[0], (3, 128, 128))):
        for d, n in zip(value.type.tensor_type.shape.dim[1:], dims):
            d.dim_value = n
    for p in m.metadata_props:
        if p.key == "zwalk.latent_shape":
            p.value = "4,32,32"
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
