"""``AZUREML_MODEL_DIR`` laid out as Azure lays it out for scoring scripts.

Registering a local folder ``model/`` on Azure keeps that folder's name beneath the model
directory, so scripts read ``os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model/weights.pkl")``.
A deployment's model files are downloaded into one folder; this builds
``<deployment>/azureml-models/<name>/<version>/`` with the registered folder's name linking to
them. The files are linked at the top level too, as this service has always exposed them, so
scripts written for either layout find their files. A single registered file, and an MLflow model,
sit at the top level (as on Azure).
"""

from __future__ import annotations

import os
from pathlib import Path


def azure_layout(model_path: Path, folder_name: str | None, model_name: str, version: str, root: Path) -> Path:
    """The folder to give scripts as AZUREML_MODEL_DIR (``model_path`` itself when there is no folder name)."""
    if not folder_name or not model_path.is_dir() or (model_path / "MLmodel").is_file():
        return model_path
    if (model_path / folder_name).is_file():  # registered from a single file: it sits at the top
        return model_path
    target = root / "azureml-models" / model_name / str(version)
    target.mkdir(parents=True, exist_ok=True)
    links = {folder_name: model_path, **{p.name: p for p in model_path.iterdir()}}
    for name, source in links.items():
        link = target / name
        if not link.exists() and not link.is_symlink():
            os.symlink(source, link, target_is_directory=source.is_dir())
    return target


def registered_folder_name(client, run_id: str | None) -> str | None:
    """The name of the local folder a version was registered from (its registration run says), or None."""
    if not run_id:
        return None
    try:
        source = client.get_run(run_id).data.tags.get("mlservice.registered_from")
    except Exception:  # noqa: BLE001 - a version from a job's run: no folder of its own
        return None
    return Path(source).name if source else None
