"""The model registry: versions, aliases, references, lineage — SDK and CLI on a real server."""

from __future__ import annotations

import json
import pickle

import pytest

from jupyter_mlservice.core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from jupyter_mlservice.core.registry import parse_model_ref

from .test_sdk_cli import cli

TRAIN = """
import mlflow, mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True, as_frame=True)
mlflow.log_param("C", C)
model = LogisticRegression(C=C, max_iter=300).fit(X, y)
mlflow.log_metric("accuracy", model.score(X, y))
mlflow.sklearn.log_model(model, name="model", input_example=X.head(2))
"""


def test_parse_model_ref():
    assert parse_model_ref("iris:3") == ("iris", "3", None)
    assert parse_model_ref("iris@champion") == ("iris", None, "champion")
    assert parse_model_ref("iris") == ("iris", None, None)
    assert parse_model_ref("models:/iris/2") == ("iris", "2", None)
    assert parse_model_ref("models:/iris@prod") == ("iris", None, "prod")
    with pytest.raises(InvalidRequest):
        parse_model_ref("iris:latest")


def test_register_from_jobs_and_folders_with_lineage(shared_server, tmp_path):
    ml = shared_server.client()
    jobs = [ml.jobs.submit(source=TRAIN, parameters={"C": c}, experiment="iris") for c in (0.5, 1.0)]
    for job in jobs:
        assert job.wait(timeout=600).status == "Completed", job.logs()
    v1 = ml.models.register(name="iris", job=jobs[0], path="model")
    v2 = ml.models.register(name="iris", job=jobs[1], path="model", tags={"team": "ml"})
    assert (v1.version, v2.version) == ("1", "2")
    assert v1.run_id == jobs[0].run_id
    lineage = ml.models.version("iris:1").lineage
    assert lineage["job_id"] == jobs[0].id and lineage["experiment"] == "iris"
    assert lineage["params"] == {"C": "0.5"} and "accuracy" in lineage["metrics"]
    assert lineage["code_snapshot"].endswith(f"{jobs[0].id}/snapshot")
    ml.models.set_alias("iris", "champion", v2.version)
    assert ml.models.version("iris@champion").version == "2"
    assert ml.models.version("iris").version == "2"  # latest
    assert ml.models.get("iris")["aliases"] == {"champion": "2"}
    assert [v.version for v in ml.models.versions("iris")] == ["2", "1"]
    assert "iris" in [m["name"] for m in ml.models.list()]
    assert ml.models.update("iris", 1, tags={"stage": "old"}).tags["stage"] == "old"

    # from a local file (inside the server root: anything outside it is refused)
    pkl = shared_server.root / "model.pkl"
    pkl.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    v = ml.models.register(name="raw", path=str(pkl))
    assert v.version == "1" and ml.models.version("raw:1").lineage["registered_from"] == str(pkl.resolve())
    outside = tmp_path / "model.pkl"
    outside.write_bytes(pkl.read_bytes())
    with pytest.raises(Forbidden, match="outside the server root"):
        ml.models.register(name="raw", path=str(outside))

    with pytest.raises(NotFound):
        ml.models.version("iris:9")
    with pytest.raises(NotFound):
        ml.models.version("iris@nobody")
    with pytest.raises(NotFound):
        ml.models.get("nope")
    with pytest.raises(InvalidRequest, match="has no model at 'missing'"):
        ml.models.register(name="iris", job=jobs[0], path="missing")
    with pytest.raises(InvalidRequest, match="alias"):
        ml.models.set_alias("iris", "latest", 1)
    with pytest.raises(InvalidRequest):
        ml.models.register(name="bad name!", job=jobs[0])
    failed = ml.jobs.submit(command="exit 1").wait(timeout=60)
    with pytest.raises(Conflict, match="completed jobs"):
        ml.models.register(name="iris", job=failed)
    ml.models.delete_version("iris", 1)
    assert [v.version for v in ml.models.versions("iris")] == ["2"]

    # CLI
    out = cli(shared_server, "model", "register", "iris", "--job", jobs[0].id).stdout
    assert "registered iris version 3" in out
    assert "iris@stable -> version 3" in cli(shared_server, "model", "alias", "iris", "stable", "3").stdout
    listed = json.loads(cli(shared_server, "model", "list", "--json").stdout)
    assert {"champion": "2", "stable": "3"} == next(m for m in listed if m["name"] == "iris")["aliases"]
    shown = cli(shared_server, "model", "show", "iris").stdout
    assert "stable" in shown and "champion" in shown
    assert json.loads(cli(shared_server, "model", "show", "iris@stable", "--json").stdout)["version"] == "3"


ONLY_LOG_MODEL = """
import mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True, as_frame=True)
mlflow.sklearn.log_model(LogisticRegression(max_iter=300).fit(X, y), name="model")
"""


def test_register_a_job_whose_only_mlflow_call_is_log_model(shared_server):
    """MLflow 3 links a logged model to no run unless one is active; the job's model is found anyway."""
    ml = shared_server.client()
    job = ml.jobs.submit(source=ONLY_LOG_MODEL, experiment="only-log-model")
    assert job.wait(timeout=600).status == "Completed", job.logs()
    version = ml.models.register(name="bare-iris", job=job, path="model")
    assert version.run_id == job.run_id and version.lineage["job_id"] == job.id
    assert "/models/m-" in version.source  # the LoggedModel the job logged outside its run
    import mlflow.pyfunc
    from sklearn.datasets import load_iris

    model = mlflow.pyfunc.load_model(version.source)
    assert list(model.predict(load_iris(as_frame=True).data.head(2))) == [0, 0]
