"""Model export (ONNX, as a job) and device packages. The frameworks are imported by the export
job (``runner.py``), not by the server."""
