"""The process of an export job: convert a registered version to ONNX, check it, register the result.

    python -m jupyter_mlservice.core.export.runner --source models:/cnn/3 --name cnn --tolerance 1e-4

Steps, each printed to the job's log: download the version; predict a sample with the original
(its own MLflow flavor); convert; run the ONNX model with onnxruntime on the same sample; fail if
the largest absolute difference is above the tolerance; log the ONNX model (MLflow's ``onnx``
flavor, the original's signature) to this job's run; register it as a new version of ``--name``.
The outcome goes to ``outputs/export.json`` (the run artifact ``export.json``) and to the run
(params, metrics).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def log(message: str) -> None:
    print(f"mlservice-export: {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True, help="models:/NAME/VERSION")
    parser.add_argument("--name", required=True, help="registered name of the exported version")
    parser.add_argument("--format", default="onnx", choices=["onnx"])
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

    import mlflow
    import mlflow.onnx
    import onnx
    from mlflow.models import Model

    from ..frameworks import use_saved_keras_backend
    from .onnx import ExportError, convert, flavor_of, parity, read_mlmodel, reference_output, sample_input

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="mlservice-export-"))
    model_dir = Path(mlflow.artifacts.download_artifacts(artifact_uri=args.source, dst_path=str(work / "source")))
    try:
        flavor = flavor_of(read_mlmodel(model_dir))
        use_saved_keras_backend(model_dir)  # the original runs on the backend it was trained on
        log(f"{args.source}: {flavor} model; converting to ONNX")
        sample = sample_input(model_dir)
        reference = reference_output(model_dir, sample)
        onnx_path = work / "model.onnx"
        convert(flavor, model_dir, sample, onnx_path)
        check = parity(onnx_path, sample, reference)
    except ExportError as exc:
        print(f"mlservice-export: error: {exc}", file=sys.stderr, flush=True)
        return 1
    log(f"parity on {check['samples']} sample rows: max |onnx - original| = {check['max_abs_diff']:.3g} "
        f"(mean {check['mean_abs_diff']:.3g}, tolerance {args.tolerance:g})")
    if not check["max_abs_diff"] <= args.tolerance:
        print(f"mlservice-export: error: the ONNX model differs from the original by up to {check['max_abs_diff']:.3g}, "
              f"more than the tolerance {args.tolerance:g}; the version was not registered", file=sys.stderr, flush=True)
        return 1

    source_meta = Model.load(str(model_dir))
    outputs = Path(os.environ.get("MLSERVICE_OUTPUT_DIR") or work)
    with mlflow.start_run():  # the job's own run (MLFLOW_RUN_ID)
        mlflow.log_params({"export.source": args.source, "export.format": args.format, "export.flavor": flavor,
                           "export.tolerance": args.tolerance})  # fmt: skip
        mlflow.log_metrics({"parity_max_abs_diff": check["max_abs_diff"], "parity_mean_abs_diff": check["mean_abs_diff"]})
        info = mlflow.onnx.log_model(
            onnx.load(str(onnx_path)), name="model", signature=source_meta.signature,
            pip_requirements=["onnxruntime", "onnx", "numpy"], save_as_external_data=False,
        )  # fmt: skip
    tags = {"mlservice.exported_from": args.source.removeprefix("models:/").replace("/", ":"),
            "mlservice.format": "onnx", "mlservice.parity_max_abs_diff": f"{check['max_abs_diff']:.6g}",
            "mlservice.parity_tolerance": f"{args.tolerance:g}", "mlservice.parity_samples": str(check["samples"])}  # fmt: skip
    mv = mlflow.register_model(info.model_uri, args.name, tags=tags)
    result = {"name": args.name, "version": str(mv.version), "source": args.source, "flavor": flavor, "format": "onnx",
              "tolerance": args.tolerance, **check, "seconds": round(time.monotonic() - started, 1)}  # fmt: skip
    (outputs / "export.json").write_text(json.dumps(result, indent=2))
    log(f"registered {args.name} version {mv.version} (onnx flavor)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
