"""Data assets through a real `mlservice serve`: the SDK and CLI contract, lineage to a model and a
deployment, `%%mlrun --input`, and a server killed (SIGKILL) in the middle of copying a version."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import textwrap
import threading

import pandas as pd
import pytest

from jupyter_mlservice.core.errors import InvalidRequest, NotFound

from .conftest import LiveServer, wait_for
from .test_sdk_cli import cli

pytestmark = pytest.mark.timeout(900)

TRAIN = textwrap.dedent(
    """
    import os, mlflow, pandas as pd
    from sklearn.linear_model import LogisticRegression
    df = pd.read_csv(os.environ["MLSERVICE_INPUT_TRAIN"])
    X, y = df[["a", "b"]], df["label"]
    with mlflow.start_run():
        mlflow.sklearn.log_model(LogisticRegression().fit(X, y), name="model", pip_requirements=["scikit-learn"],
                                 input_example=X.head(2))
    """
)


def _csv(path, n=60):
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"a": range(n), "b": [i % 7 for i in range(n)], "label": [int(i > n / 2) for i in range(n)]}).to_csv(path, index=False)
    return path.read_bytes()


def test_sdk_registers_reads_and_downloads_data(shared_server, tmp_path):
    ml = shared_server.client()
    root = shared_server.root
    content = _csv(root / "sdk" / "t.csv")
    v = ml.data.create(name="sdk-t", path=str(root / "sdk" / "t.csv"), description="tiny", tags={"k": "v"})
    assert (v.ref, v.kind, v.digest) == ("data:sdk-t@1", "file", "sha256:" + hashlib.sha256(content).hexdigest())
    assert ml.data.create(name="sdk-t", path="sdk/t.csv", profile=False).deduplicated  # relative to the server root
    prof = v.profile(timeout=300)
    assert prof["rows"] == 60 and [c["name"] for c in prof["columns"]] == ["a", "b", "label"]
    assert ml.data.get("sdk-t").version == 1 and ml.data.get("data:sdk-t@1").digest == v.digest
    ml.data.set_alias("sdk-t", "prod", 1)
    assert ml.data.get("sdk-t@prod").aliases == ["prod"]
    out = ml.data.download("sdk-t@prod", tmp_path / "dl")
    assert out == tmp_path / "dl" / "t.csv" and out.read_bytes() == content
    (root / "sdk" / "many").mkdir()
    for i in range(3):
        _csv(root / "sdk" / "many" / "sub" / f"{i}.csv", n=10 + i)
    folder = ml.data.create(name="sdk-many", path="sdk/many", profile=False)
    got = ml.data.download(folder.ref, tmp_path / "many")
    assert sorted(p.relative_to(got).as_posix() for p in got.rglob("*.csv")) == ["sub/0.csv", "sub/1.csv", "sub/2.csv"]
    assert [f["path"] for f in ml.data.files(folder.ref)] == ["sub/0.csv", "sub/1.csv", "sub/2.csv"]
    ml.data.archive("sdk-many", 1)
    assert {a["name"]: a["latest_version"] for a in ml.data.list()}["sdk-many"] is None  # only the version is archived
    with pytest.raises(NotFound, match="no version that is not archived"):
        ml.data.get("sdk-many")
    ml.data.restore("sdk-many", 1)
    assert ml.data.get("sdk-many").version == 1
    with pytest.raises(InvalidRequest, match="does not exist on the server"):
        ml.data.create(name="sdk-x", path="sdk/nothing.csv")
    with pytest.raises(NotFound, match="has no alias 'staging'"):
        ml.data.get("sdk-t@staging")


def test_jobs_read_data_and_lineage_reaches_the_model_and_its_deployment(shared_server):
    from jupyter_mlservice import MLService

    # deleting an endpoint waits for its deployment's start: minutes on a busy machine
    ml = MLService(url=shared_server.url, token=shared_server.token, timeout=600)
    root = shared_server.root
    _csv(root / "lin" / "train.csv")
    (root / "lin" / "train.py").write_text(TRAIN)
    ml.data.create(name="lin-train", path="lin/train.csv", profile=False)
    job = ml.jobs.submit(command="python train.py", code=str(root / "lin"), inputs={"train": "data:lin-train"}, experiment="lineage")
    job.wait(timeout=600)
    assert job.status == "Completed", job.logs()
    mv = ml.models.register(name="lin-model", job=job, path="model")
    (data,) = mv.lineage["data"]
    assert (data["name"], data["version"], data["digest"]) == ("lin-train", 1, ml.data.get("lin-train@1").digest)
    ml.endpoints.create(name="lin-ep", auth_mode="key")
    try:
        ml.deployments.create(endpoint="lin-ep", name="blue", model=f"lin-model:{mv.version}", wait=False)
        lin = ml.data.lineage("lin-train@1")
        assert [n["id"] for n in lin["jobs"]] == [job.id]
        assert [n["id"] for n in lin["models"]] == [f"lin-model:{mv.version}"]
        assert [n["id"] for n in lin["deployments"]] == ["lin-ep/blue"]
        assert lin["deployments"][0]["details"]["model"] == f"lin-model:{mv.version}"
    finally:
        ml.endpoints.delete("lin-ep")
    # the history stays: the deployment is gone, its edge names it as missing
    gone = ml.data.lineage("lin-train@1")["deployments"]
    assert [(n["id"], n["missing"]) for n in gone] == [("lin-ep/blue", True)]


def test_cli_drives_data_assets(shared_server, tmp_path):
    root = shared_server.root
    _csv(root / "cli" / "t.csv")
    created = json.loads(cli(shared_server, "data", "create", "cli-t", "cli/t.csv", "--tag", "team=ml", "--json").stdout)
    assert created["ref"] == "data:cli-t@1" and created["tags"] == {"team": "ml"}
    assert "already registered as data:cli-t@1" in cli(shared_server, "data", "create", "cli-t", "cli/t.csv", "--no-profile").stdout
    db = root / "cli" / "w.db"
    con = sqlite3.connect(db)
    con.execute("create table s (x integer)")
    con.executemany("insert into s values (?)", [(i,) for i in range(5)])
    con.commit()
    con.close()
    table = json.loads(cli(shared_server, "data", "create", "cli-s", "--sql", "select * from s", "--db-url", f"sqlite:///{db}", "--no-profile", "--json").stdout)
    assert (table["kind"], table["row_count"]) == ("table", 5)
    listed = cli(shared_server, "data", "list").stdout
    assert "cli-t" in listed and "cli-s" in listed and listed.splitlines()[0].split()[:2] == ["NAME", "KIND"]
    assert json.loads(cli(shared_server, "data", "show", "cli-t@1", "--json").stdout)["digest"] == created["digest"]
    assert "digest" in cli(shared_server, "data", "show", "cli-t@1").stdout
    assert "VERSION" in cli(shared_server, "data", "show", "cli-t").stdout
    assert [v["version"] for v in json.loads(cli(shared_server, "data", "versions", "cli-t", "--json").stdout)] == [1]
    profile = cli(shared_server, "data", "profile", "cli-t@1").stdout
    assert "60 rows" in profile and "label" in profile
    assert "cli-t@prod -> version 1" in cli(shared_server, "data", "alias", "cli-t", "prod", "1").stdout
    cli(shared_server, "data", "download", "cli-t@prod", str(tmp_path))
    assert (tmp_path / "t.csv").read_bytes() == (root / "cli" / "t.csv").read_bytes()
    assert "archived cli-s@1" in cli(shared_server, "data", "archive", "cli-s", "1").stdout
    assert "restored cli-s@1" in cli(shared_server, "data", "archive", "cli-s", "1", "--restore").stdout
    assert "cli-t@1" in cli(shared_server, "data", "lineage", "cli-t@1").stdout
    bad = cli(shared_server, "data", "create", "bad name", "cli/t.csv", check=False)
    assert bad.returncode == 1 and "mlservice: error: data asset name 'bad name' is not valid" in bad.stderr
    missing = cli(shared_server, "data", "show", "ghost@2", check=False)
    assert missing.returncode == 1 and "no data asset named 'ghost'" in missing.stderr


def test_mlrun_input_gives_the_cell_a_variable_with_the_local_path(shared_server):
    from .test_magics import NotebookKernel, errors

    _csv(shared_server.root / "magic" / "t.csv")
    v = shared_server.client().data.create(name="magic-t", path="magic/t.csv", profile=False)
    with NotebookKernel(shared_server, shared_server.root) as k:
        cell = k.run("%%mlrun --input train=data:magic-t@1\nimport pandas as pd\nprint('rows', len(pd.read_csv(train)), train)")
        assert not errors(cell), cell.outputs
        logs = k.run("print(_mlrun_job.logs())")
        text = "".join(o.get("text", "") for o in logs.outputs)
        assert f"rows 60 {v.path}" in text
        bad = k.run("%%mlrun --input train\nprint(1)")
        assert "--input 'train': write NAME=REF" in json.dumps(bad.outputs)
        unknown = k.run("%%mlrun --input train=data:ghost\nprint(1)")
        assert "inputs.train: no data asset named 'ghost'" in json.dumps(unknown.outputs)


def _rows(root, sql: str, *args):
    con = sqlite3.connect(root / ".mlservice" / "workspace.db")
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_a_server_killed_mid_copy_leaves_nothing_half_registered(server_root):
    big = server_root / "big"
    big.mkdir()
    for i in range(4):  # 2 GiB, sparse: instant to make, and seconds to copy and hash
        with open(big / f"{i}.bin", "wb") as f:
            f.truncate(512 * 2**20)
    server = LiveServer(server_root).start()
    ml = server.client()
    failures = []

    def register():
        try:
            ml.data.create(name="big", path="big", profile=False)
        except Exception as exc:  # noqa: BLE001 - the server dies under it
            failures.append(exc)

    t = threading.Thread(target=register)
    t.start()
    store = server_root / ".mlservice" / "data" / "big"
    wait_for(lambda: any(f.stat().st_size > 0 for f in store.glob(".registering-*/*")), 120, interval=0.01, what="the copy to start")
    assert _rows(server_root, "select status from data_versions where name = 'big'") == [("Registering",)]
    server.stop(signal.SIGKILL)
    t.join(60)
    assert failures, "the registration should not have finished"
    assert list(store.glob(".registering-*"))  # what the killed server left

    server = LiveServer(server_root).start()
    try:
        ml = server.client()
        assert "big" not in [a["name"] for a in ml.data.list(include_archived=True)]
        assert _rows(server_root, "select * from data_versions where name = 'big'") == []
        assert _rows(server_root, "select * from data_assets where name = 'big'") == []
        assert not list(store.glob("*"))
        for i in range(1, 4):
            (big / f"{i}.bin").unlink()
        (big / "0.bin").write_bytes(b"small now")
        v = ml.data.create(name="big", path="big", profile=False)
        assert (v.version, v.file_count, v.size_bytes) == (1, 1, 9)
    finally:
        server.stop()
