"""Real environments built with uv: a model pickled with an older scikit-learn served and
batch-scored in its environment while the server has a newer one; a job with a package the
server lacks; a notebook whose kernel runs in the environment; a deployment from an MLflow folder
whose requirements.txt pins a version; concurrent first use builds once.

The environments are small (scikit-learn 1.2.2 + numpy<2 + tabulate) and built once per session
into the session's cache folder; environments with the same requirements share one build.
"""

from __future__ import annotations

import json
import textwrap
import threading

import nbformat
import pandas as pd
import psutil
import pytest
import requests

from jupyter_mlservice.core.endpoints.schemas import DeploymentCreate, EndpointCreate
from jupyter_mlservice.core.environments.schemas import EnvironmentCreate
from jupyter_mlservice.core.errors import InvalidRequest
from jupyter_mlservice.core.jobs.schemas import BatchInput, BatchJobSpec, BatchOutput, CodeJobSpec, CommandJobSpec, NotebookJobSpec

from .conftest import seed_workspace, wait_for, wait_job
from .event_schemas import fits
from .serving_fixtures import save_iris_model

pytestmark = pytest.mark.timeout(1200)

SK12 = ["scikit-learn==1.2.2", "numpy<2", "tabulate"]

TRAIN = textwrap.dedent(
    """
    import os, pickle, sklearn, numpy as np, pandas as pd, tabulate, mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression
    X = pd.DataFrame({"a": [0., 0., 1., 1.] * 5, "b": [0., 1., 0., 1.] * 5})
    y = np.array([0, 0, 1, 1] * 5)
    model = LogisticRegression().fit(X, y)
    out = os.environ["MLSERVICE_OUTPUT_DIR"]
    os.makedirs(out + "/raw", exist_ok=True)
    with open(out + "/raw/model.pkl", "wb") as f:
        pickle.dump(model, f)
    mlflow.sklearn.save_model(model, out + "/mlmodel", signature=infer_signature(X, y), pip_requirements=REQS,
                             serialization_format="cloudpickle")
    with open(out + "/mlmodel/requirements.txt", "w") as f:  # the folder pins what it was made with
        f.write("\\n".join(REQS) + "\\n")
    print("trained with scikit-learn", sklearn.__version__, "numpy", np.__version__)
    """
)

SCRIPT = textwrap.dedent(
    """
    import os, pickle, json, sklearn, numpy as np

    def init():
        global model
        with open(os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model.pkl"), "rb") as f:
            model = pickle.load(f)

    def run(raw_data):
        rows = np.asarray(json.loads(raw_data)["data"])
        return {"predictions": model.predict(rows).tolist(), "sklearn": sklearn.__version__, "numpy": np.__version__}
    """
)

BATCH_SCRIPT = textwrap.dedent(
    """
    import os, pickle, sklearn, pandas as pd

    def init():
        global model
        with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"), "rb") as f:
            model = pickle.load(f)

    def run(mini_batch):
        return pd.DataFrame({"prediction": model.predict(mini_batch[["a", "b"]].to_numpy()), "sklearn": sklearn.__version__})
    """
)


@pytest.fixture(scope="module")
def ws(tmp_path_factory, mlflow_template, environments_dir):
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    root = tmp_path_factory.mktemp("envs") / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1, environments_dir=environments_dir))
    ws.environment_events = []  # what the `environment` events said, for the tests below
    ws.events.subscribe(lambda area, data: ws.environment_events.append(fits("environment", data)) if area == "environment" else None)
    ws.start()
    yield ws
    for ep in ws.endpoints.list_endpoints().items:
        ws.endpoints.delete_endpoint(ep.name)
    ws.stop()


@pytest.fixture
def files(ws, request):
    """A fresh folder inside the server root for one test's files (paths outside it are refused)."""
    folder = ws.root_dir / request.node.name[:60]
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def sk12(ws):
    env = ws.environments.create(EnvironmentCreate(name="sk12", requirements=SK12, build=False))
    ws.environments.build(env.reference)
    return ws.environments.get(env.reference)


@pytest.fixture(scope="module")
def trained(ws, sk12):
    """A job in sk12 trains and pickles a model with scikit-learn 1.2.2; both forms are registered."""
    job = ws.jobs.submit(CodeJobSpec(source=f"REQS = {SK12!r}\n" + TRAIN, environment="sk12"))
    done = wait_job(ws, job.id, timeout=600)
    log = ws.jobs.logs(job.id).text
    assert done.status == "Completed", log
    # the job's ./outputs are its run's artifacts: register each folder from the job (Azure ML's
    # "register from a job output"), which also records the job -> model lineage
    raw = ws.models.register("old-raw", job_id=done.id, path="raw")
    mlmodel = ws.models.register("old-mlflow", job_id=done.id, path="mlmodel")
    return {"job": done, "log": log, "raw": raw, "mlflow": mlmodel}


def test_old_pins_resolve_as_of_their_release_date(sk12):
    resolved = dict(line.split("==") for line in sk12.resolved)
    assert resolved["scikit-learn"] == "1.2.2"
    assert resolved["numpy"].startswith("1."), "numpy 2 broke scikit-learn 1.2.2's ABI"
    assert "tabulate" in resolved and "mlflow-skinny" in resolved and "ipykernel" in resolved
    assert sk12.state == "Ready" and sk12.reference == "sk12@1"


def test_the_build_log_says_what_was_done(ws, sk12):
    log = ws.environments.logs("sk12@1").text
    assert "scikit-learn==1.2.2 is the newest pinned release" in log and "uv --exclude-newer" in log
    assert "added for the service (your pins unchanged)" in log
    assert "built in" in log


def test_creating_the_same_requirements_again_answers_the_same_version(ws, sk12):
    seen = len(ws.environment_events)
    again = ws.environments.create(EnvironmentCreate(name="sk12", requirements=SK12, build=False))
    assert again.reference == "sk12@1" and again.state == "Ready"
    assert ws.environment_events[seen:] == []  # nothing was created


def test_creating_and_building_are_events(ws, sk12):
    mine = [e for e in ws.environment_events if (e["name"], e["version"]) == ("sk12", 1)]
    assert mine[0]["action"] == "created"
    # built by this module's build() unless an earlier test of the session built the same lock
    assert mine[0]["state"] == "Ready" or [e["action"] for e in mine[1:]] == ["built"]
    assert mine[-1]["state"] == "Ready"


def test_a_job_runs_with_a_package_the_server_lacks(ws, trained):
    import importlib.util

    assert importlib.util.find_spec("tabulate") is None  # the server's own environment has no tabulate
    assert trained["job"].spec["environment"] == "sk12@1"  # "sk12" was pinned at submit
    assert "trained with scikit-learn 1.2.2 numpy 1." in trained["log"]


def test_a_command_job_finds_the_environment_python_first_on_path(ws, sk12):
    job = ws.jobs.submit(CommandJobSpec(command="python -c 'import sklearn, tabulate; print(\"sk\", sklearn.__version__)'",
                                        environment="sk12@1"))
    done = wait_job(ws, job.id, timeout=300)
    assert done.status == "Completed" and "sk 1.2.2" in ws.jobs.logs(job.id).text


def test_a_notebook_job_kernel_runs_in_the_environment(ws, sk12):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sklearn, tabulate, sys\nprint('kernel sklearn', sklearn.__version__)")]
    path = ws.root_dir / "env-check.ipynb"
    nbformat.write(nb, path)
    job = ws.jobs.submit(NotebookJobSpec(notebook="env-check.ipynb", environment="sk12@1"))
    done = wait_job(ws, job.id, timeout=300)
    log = ws.jobs.logs(job.id).text
    assert done.status == "Completed", log
    assert "kernel sklearn 1.2.2" in log


def test_sweep_trials_run_in_the_environment(ws, sk12):
    from jupyter_mlservice.core.sweeps.schemas import SweepCreate

    # each trial's score says whether it ran with the environment's scikit-learn (and its tabulate)
    command = ("python -c \"import mlflow, sklearn, sys, tabulate; ok = sklearn.__version__ == '1.2.2'; "
               "mlflow.log_metric('score', float(sys.argv[1]) if ok else -1.0, step=0)\" ${{search_space.x}}")
    sweep = ws.sweeps.submit(SweepCreate(
        trial={"kind": "command", "command": command, "environment": "sk12"}, search_space={"x": {"type": "choice", "values": [1, 2]}},
        sampling="grid", objective={"metric": "score", "goal": "maximize"}, limits={"max_trials": 2, "max_concurrent_trials": 2},
    ))
    done = wait_for(lambda: ws.jobs.get(sweep.id).status.is_terminal and ws.sweeps.get(sweep.id), 600, interval=0.2, what="sweep")
    assert done.job.status == "Completed", done.job.error
    trials = ws.jobs.list(parent=sweep.id).items
    assert len(trials) == 2 and all(t.spec["environment"] == "sk12@1" for t in trials)  # each trial records the version
    assert sorted(t.value for t in ws.sweeps.trials(sweep.id).items) == [1.0, 2.0]


def test_an_unknown_environment_is_refused_at_submit(ws):
    from jupyter_mlservice.core.errors import NotFound

    with pytest.raises(NotFound, match="no environment named 'nope'"):
        ws.jobs.submit(CommandJobSpec(command="true", environment="nope@1"))


def test_requirements_that_cannot_resolve_name_the_requirement(ws):
    with pytest.raises(InvalidRequest, match="scikit-learn==0.0.999"):
        ws.environments.create(EnvironmentCreate(name="broken", requirements=["scikit-learn==0.0.999"]))


def test_a_conda_only_package_is_a_clear_error(ws):
    conda = "dependencies:\n  - python=3.8\n  - libgcc-ng=12.2.0\n  - pip:\n    - tabulate\n"
    with pytest.raises(InvalidRequest, match="'libgcc-ng' exists only in conda"):
        ws.environments.create(EnvironmentCreate(name="conda-only", conda_yaml=conda))


def test_old_model_served_in_its_environment_beside_a_new_one_in_the_servers(ws, trained, files):
    """One endpoint, two environments: the server's (a model of today's scikit-learn) takes the
    port; sk12's deployments (a script over the 1.2.2 pickle, and the MLflow folder whose
    requirements.txt pins 1.2.2) run in their own worker group, reached through it."""
    import sklearn

    save_iris_model(files / "new-model")
    ws.models.register("new-mlflow", local_path=str(files / "new-model"))
    code = files / "code"
    code.mkdir()
    (code / "score.py").write_text(SCRIPT)
    ws.endpoints.create_endpoint(EndpointCreate(name="legacy", auth_mode="none"))

    def healthy(name):
        return wait_for(lambda: (d := ws.endpoints.get_deployment("legacy", name)).status not in ("Creating", "Updating") and d,
                        timeout=600, what=f"deployment {name}")

    ws.endpoints.create_deployment("legacy", DeploymentCreate(name="here", model="new-mlflow:1"))
    here = healthy("here")
    assert here.status == "Healthy" and here.environment is None  # its pins agree with the server's
    ws.endpoints.create_deployment("legacy", DeploymentCreate(name="old", model="old-raw:1", code=str(code),
                                                              scoring_script="score.py", environment="sk12"))
    ws.endpoints.create_deployment("legacy", DeploymentCreate(name="auto", model="old-mlflow:1"))
    old, auto = healthy("old"), healthy("auto")
    assert old.status == "Healthy", old.error
    assert old.environment == "sk12@1"
    assert auto.status == "Healthy", auto.error
    assert auto.environment == "model-old-mlflow@1" and "scikit-learn==1.2.2 (server: " in auto.environment_reason
    # the model's own requirements are sk12's: the same lock, the same build
    assert ws.environments.get(auto.environment).key == ws.environments.get("sk12@1").key

    base = ws.endpoints.get_endpoint("legacy").base_uri
    answer = requests.post(f"{base}/score", json={"data": [[0, 1], [1, 1]]}, headers={"mlservice-deployment": "old"}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"predictions": [0, 1], "sklearn": "1.2.2", "numpy": answer.json()["numpy"]}
    assert answer.json()["numpy"].startswith("1.") and answer.headers["mlservice-deployment"] == "old"
    payload = {"dataframe_split": {"columns": ["a", "b"], "data": [[0, 0], [1, 0]]}}
    answer = requests.post(f"{base}/invocations", json=payload, headers={"mlservice-deployment": "auto"}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == [0, 1]
    iris = {"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2]]}}
    answer = requests.post(f"{base}/invocations", json=iris, timeout=60)  # traffic: 100% to "here"
    assert answer.status_code == 200 and answer.headers["mlservice-deployment"] == "here"

    # the processes: the server's interpreter for "here", sk12's for the other two
    status = json.loads((ws.workspace_dir / "endpoints" / "legacy" / "status.json").read_text())
    interpreters = {psutil.Process(w["pid"]).cmdline()[0] for w in status["workers"] if w["serving"]}
    env_python = str(ws.environments.cache.python(ws.environments.get("sk12@1").key))
    assert env_python in interpreters and len(interpreters) == 2
    assert sklearn.__version__ != "1.2.2"


OLDER_MLFLOW = ["mlflow-skinny==2.17.2", "scikit-learn==1.5.2"]
TRAIN_OLDER_MLFLOW = textwrap.dedent(
    """
    import os, mlflow, mlflow.sklearn, numpy as np, pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression
    X = pd.DataFrame({"a": [0., 0., 1., 1.] * 5, "b": [0., 1., 0., 1.] * 5})
    y = np.array([0, 0, 1, 1] * 5)
    model = LogisticRegression().fit(X, y)
    mlflow.sklearn.save_model(model, os.environ["MLSERVICE_OUTPUT_DIR"] + "/older", signature=infer_signature(X, y),
                              pip_requirements=REQS)
    print("logged with MLflow", mlflow.__version__)
    """
)


def test_a_model_logged_by_an_older_mlflow_is_served_in_its_environment_recreated(ws, files):
    """The user's MLflow pin wins: a model logged by MLflow 2 (its requirements.txt pins it) gets its
    environment recreated from its own files, and the scoring worker runs on that MLflow."""
    ws.environments.create(EnvironmentCreate(name="mlflow2", requirements=OLDER_MLFLOW, build=False))
    job = ws.jobs.submit(CodeJobSpec(source=f"REQS = {OLDER_MLFLOW!r}\n" + TRAIN_OLDER_MLFLOW, environment="mlflow2"))
    done = wait_job(ws, job.id, timeout=900)
    log = ws.jobs.logs(job.id).text
    assert done.status == "Completed" and "logged with MLflow 2.17.2" in log, log
    folder = ws.jobs.job_dir(job.id) / "outputs" / "older"
    assert "mlflow_version: 2.17.2" in (folder / "MLmodel").read_text()
    ws.models.register("older-mlflow", job_id=done.id, path="older")
    ws.endpoints.create_endpoint(EndpointCreate(name="older", auth_mode="none"))
    try:
        ws.endpoints.create_deployment("older", DeploymentCreate(name="d", model="older-mlflow:1"))
        dep = wait_for(lambda: (d := ws.endpoints.get_deployment("older", "d")).status not in ("Creating", "Updating") and d,
                       timeout=900, what="deployment")
        assert dep.status == "Healthy", dep.error
        assert "scikit-learn==1.5.2" in dep.environment_reason
        assert "mlflow-skinny==2.17.2" in ws.environments.get(dep.environment).resolved  # its MLflow, not the server's
        rows = {"dataframe_split": {"columns": ["a", "b"], "data": [[0.0, 0.0], [1.0, 1.0]]}}
        answer = requests.post(ws.endpoints.get_endpoint("older").scoring_uri, json=rows, timeout=60)
        assert answer.status_code == 200 and answer.json() == {"predictions": [0, 1]}, answer.text
    finally:
        ws.endpoints.delete_endpoint("older")


def test_old_model_batch_scored_in_its_environment(ws, trained, files):
    data = files / "in.csv"
    pd.DataFrame({"id": range(8), "a": [0., 0., 1., 1.] * 2, "b": [0., 1., 0., 1.] * 2}).to_csv(data, index=False)
    code = files / "batch-code"
    code.mkdir()
    (code / "score.py").write_text(BATCH_SCRIPT)
    spec = BatchJobSpec(model="old-raw:1", scoring_script="score.py", code=str(code), input=BatchInput(path=str(data)),
                        output=BatchOutput(path=str(files / "out.csv")), key_columns=["id"], mini_batch_size=4,
                        max_concurrency=2, environment="sk12@1")
    job = ws.jobs.submit(spec)
    done = wait_job(ws, job.id, timeout=600)
    assert done.status == "Completed", ws.jobs.logs(job.id).text
    out = pd.read_csv(files / "out.csv").sort_values("id")
    assert out["prediction"].tolist() == [0, 0, 1, 1] * 2
    assert set(out["sklearn"].astype(str)) == {"1.2.2"}


def test_concurrent_first_use_builds_once(ws, sk12):
    conda = "name: conc\ndependencies:\n  - python=3.8\n  - pip\n  - pip:\n    - inflection==0.5.1\n    - tabulate\n"
    env = ws.environments.create(EnvironmentCreate(name="conc", conda_yaml=conda, build=False))
    assert env.state == "NotBuilt" and "Python 3.8" in env.warnings[0]
    jobs = [ws.jobs.submit(CommandJobSpec(command="python -c 'import inflection; print(\"ok\", inflection.camelize(\"a_b\"))'",
                                          environment="conc@1")) for _ in range(3)]
    for job in jobs:
        done = wait_job(ws, job.id, timeout=600)
        assert done.status == "Completed", ws.jobs.logs(job.id).text
        assert "ok AB" in ws.jobs.logs(job.id).text
    log = ws.environments.logs("conc@1").text
    assert log.count("building environment") == 1
    assert "asks for Python 3.8" in log  # the python pin: a warning in the build log
    assert ws.environments.get("conc@1").state == "Ready"


def test_concurrent_builds_from_threads_build_once(ws, sk12):
    env = ws.environments.create(EnvironmentCreate(name="threads", requirements=["inflection==0.5.1"], build=False))
    results, errors = [], []

    def use():
        try:
            results.append(ws.environments.build(env.reference).state)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors and results == ["Ready"] * 4
    assert ws.environments.logs(env.reference).text.count("building environment") == 1
