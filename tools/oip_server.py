"""An Open Inference Protocol (KServe v2) server for zwalk's remote-model tests and for trying
`--server` by hand: KServe's own Python model server (PyPI `kserve`) serving an ONNX decoder
through onnxruntime, binary tensor data extension included.

    .venv/bin/python tools/oip_server.py --onnx assets/vae_decoder.onnx --name sprites --port 8080
    zwalk grid --server http://127.0.0.1:8080 --model sprites --out g.png

`--garbage` starts instead a plain HTTP server that answers every request with 200 and an HTML
page, which is what a wrong port (a web app, a proxy's error page) looks like to zwalk.
"""
import argparse
import http.server
import sys
import uuid

import numpy as np


def serve_garbage(host, port):
    class Garbage(http.server.BaseHTTPRequestHandler):
        def reply(self):
            body = b"<html><body>It works!</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = reply

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.reply()

        def log_message(self, *args):
            pass

    print(f"garbage server on {host}:{port}", flush=True)
    http.server.ThreadingHTTPServer((host, port), Garbage).serve_forever()


def serve_onnx(path, name, host, port):
    import onnxruntime as ort
    from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer

    types = {"tensor(float)": "FP32", "tensor(double)": "FP64", "tensor(float16)": "FP16"}

    class OnnxDecoder(Model):
        def __init__(self):
            super().__init__(name)
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            self.ready = True

        @staticmethod
        def describe(values):
            return [{"name": v.name, "datatype": types.get(v.type, v.type),
                     "shape": [d if isinstance(d, int) else -1 for d in v.shape]} for v in values]

        def get_input_types(self):
            return self.describe(self.session.get_inputs())

        def get_output_types(self):
            return self.describe(self.session.get_outputs())

        def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
            feeds = {i.name: i.as_numpy().astype(np.float32) for i in payload.inputs}
            names = [o.name for o in self.session.get_outputs()]
            results = self.session.run(names, feeds)
            outputs = []
            for n, y in zip(names, results):
                out = InferOutput(name=n, shape=list(y.shape), datatype="FP32")
                out.set_data_from_numpy(np.ascontiguousarray(y, dtype=np.float32), binary_data=True)
                outputs.append(out)
            # The outputs the request asked for, binary when it asked for binary data.
            return InferResponse(model_name=self.name, infer_outputs=outputs, response_id=payload.id or str(uuid.uuid4()),
                                 use_binary_outputs=payload.use_binary_outputs,
                                 requested_outputs=payload.request_outputs)

    model = OnnxDecoder()
    # KServe's server listens on every interface; `host` is where the tests reach it.
    ModelServer(http_port=port, grpc_port=port + 1, workers=1, enable_grpc=False).start([model])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", help="the decoder to serve")
    ap.add_argument("--name", default="decoder", help="the model's name on the server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--garbage", action="store_true", help="answer everything with an HTML page instead")
    a = ap.parse_args()
    if a.garbage:
        serve_garbage(a.host, a.port)
    elif not a.onnx:
        sys.exit("give --onnx PATH (or --garbage)")
    else:
        serve_onnx(a.onnx, a.name, a.host, a.port)


if __name__ == "__main__":
    main()
