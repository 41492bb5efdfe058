"""An edge package: a folder that scores an ONNX model with nothing but onnxruntime and numpy.

``model.onnx``, ``score.py`` (a function, a command and a tiny HTTP server, standard library
only), ``requirements.txt`` and a ``README.md`` that says where the model came from.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

REQUIREMENTS = "onnxruntime>=1.16\nnumpy>=1.23\n"

SCORE = '''"""Score with model.onnx using only onnxruntime and numpy (see README.md).

    python score.py input.json          # {"inputs": [...]} -> {"predictions": [...]} on stdout
    python score.py --serve 8080        # POST /invocations with the same JSON; GET / answers "Healthy"

    from score import Model; Model().predict([[...], ...])
"""

import json
import os
import sys

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64,
          "tensor(int32)": np.int32, "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_}


class Model:
    def __init__(self, path=os.path.join(HERE, "model.onnx"), threads=None):
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0]

    def predict(self, inputs):
        x = np.asarray(inputs, dtype=DTYPES.get(self.input.type, np.float32))
        return self.session.run(None, {self.input.name: x})[0]


def rows(payload):
    """The model input of an MLflow-style JSON body: inputs, instances or dataframe_split.data."""
    if isinstance(payload, dict):
        for key in ("inputs", "instances"):
            if key in payload:
                return payload[key]
        if "dataframe_split" in payload:
            return payload["dataframe_split"]["data"]
        raise ValueError('send {"inputs": [...]} (or "instances", or "dataframe_split")')
    return payload


def answer(model, payload):
    return {"predictions": model.predict(rows(payload)).tolist()}


def serve(port, host="127.0.0.1"):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    model = Model()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status, body):
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._send(200, b"Healthy")

        def do_POST(self):
            if self.path not in ("/invocations", "/score"):
                return self._send(404, {"message": "POST /invocations"})
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self._send(200, answer(model, body))
            except Exception as exc:  # the caller's input, most likely
                self._send(400, {"message": f"{type(exc).__name__}: {exc}"})

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    print(f"serving model.onnx on http://{host}:{server.server_address[1]}/invocations", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), *(sys.argv[3:4]))
    elif len(sys.argv) == 2:
        source = sys.stdin if sys.argv[1] == "-" else open(sys.argv[1])
        print(json.dumps(answer(Model(), json.load(source))))
    else:
        print(__doc__)
        sys.exit(2)
'''

README = """# {name} version {version}, packaged for devices

An ONNX model with everything needed to score it where only Python, `onnxruntime` and `numpy`
exist (a Raspberry Pi, an edge gateway, a container without ML frameworks).

| | |
| --- | --- |
| model | `{name}:{version}` ({exported}) |
| input | `{input_name}`: {input_type}, shape {input_shape} |
| output | `{output_name}`: shape {output_shape} |
| parity with the original | {parity} |

## Run it

```bash
python -m venv .venv && .venv/bin/pip install -r requirements.txt
.venv/bin/python score.py input.json        # {{"inputs": [...]}} -> {{"predictions": [...]}}
.venv/bin/python score.py --serve 8080      # POST /invocations with the same JSON
```

```python
from score import Model
Model().predict(rows)                        # a numpy array of what `{output_name}` holds
```

{columns}Files: `model.onnx` (the model), `score.py` (standard library + onnxruntime + numpy),
`requirements.txt`, this README.
"""


def write_package(model_onnx: Path, dest: Path, version: dict[str, Any], signature_columns: list[str] | None) -> Path:
    """Write the package folder ``dest`` for the ONNX file of a registered ``version``."""
    import onnxruntime as ort

    import onnx

    dest.mkdir(parents=True, exist_ok=True)
    # one self-contained file: weights MLflow stored as external data files are put back inside
    onnx.save_model(onnx.load(str(model_onnx)), str(dest / "model.onnx"), save_as_external_data=False)
    (dest / "score.py").write_text(SCORE)
    (dest / "requirements.txt").write_text(REQUIREMENTS)
    session = ort.InferenceSession(str(model_onnx), providers=["CPUExecutionProvider"])
    inp, out = session.get_inputs()[0], session.get_outputs()[0]
    tags = version.get("tags") or {}
    parity = "not checked (registered as ONNX)"
    if "mlservice.parity_max_abs_diff" in tags:
        parity = (f"max absolute difference {tags['mlservice.parity_max_abs_diff']} on {tags.get('mlservice.parity_samples', '?')} "
                  f"sample rows (tolerance {tags.get('mlservice.parity_tolerance', '?')})")
    columns = ""
    if signature_columns:
        columns = "Rows hold the columns in this order: " + ", ".join(f"`{c}`" for c in signature_columns) + ".\n\n"
    (dest / "README.md").write_text(README.format(
        name=version["name"], version=version["version"],
        exported=f"exported from {tags['mlservice.exported_from']}" if "mlservice.exported_from" in tags else "ONNX",
        input_name=inp.name, input_type=inp.type, input_shape=_shape(inp.shape), output_name=out.name,
        output_shape=_shape(out.shape), parity=parity, columns=columns,
    ))  # fmt: skip
    (dest / "model.json").write_text(json.dumps({"name": version["name"], "version": version["version"], "tags": tags}, indent=2))
    return dest


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def _shape(shape: list) -> str:
    return "[" + ", ".join(str(d) if isinstance(d, int) else "batch" for d in shape) + "]"
