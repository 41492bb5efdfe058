"""Data assets in a real workspace (SQLite store, MLflow, real jobs): registration, immutable
versions, digests, dedupe, aliases, archive, profiles computed by jobs, tables from SQLite, and
assets as job inputs and outputs with lineage and MLflow `log_input`."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from jupyter_mlservice.core.data.schemas import DataCreate, DataUpdate
from jupyter_mlservice.core.data.tables import DataAssetRow, DataVersionRow
from jupyter_mlservice.core.errors import Conflict, InvalidRequest, NotFound
from jupyter_mlservice.core.jobs.schemas import CodeJobSpec, CommandJobSpec, NotebookJobSpec
from jupyter_mlservice.core.targets.schemas import TargetCreate

from .conftest import wait_for, wait_job
from .event_schemas import fits
from .data_fixtures import start_workspace

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def ws(tmp_path_factory, mlflow_template):
    workspace = start_workspace(tmp_path_factory.mktemp("data"), mlflow_template)
    yield workspace
    workspace.stop()


def iris_frame() -> pd.DataFrame:
    from sklearn.datasets import load_iris

    df = load_iris(as_frame=True).frame
    df.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width", "target"]
    df["species"] = df["target"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
    df.loc[[3, 70], "sepal_length"] = np.nan
    return df


def write_iris(path: Path) -> pd.DataFrame:
    path.parent.mkdir(parents=True, exist_ok=True)
    df = iris_frame()
    df.to_csv(path, index=False)
    return df


def sha256sum(*files: Path, cwd: Path | None = None) -> str:
    return subprocess.run(["sha256sum", *map(str, files)], capture_output=True, text=True, check=True, cwd=cwd).stdout


def run(ws, spec, timeout=180):
    job = ws.jobs.submit(spec)
    return wait_job(ws, job.id, timeout)


def log_of(ws, job_id) -> str:
    return (ws.jobs_dir / job_id / "output.log").read_text()


def no_profile(**kw) -> DataCreate:
    return DataCreate(profile=False, **kw)


# ---- registration ---------------------------------------------------------------------------


def test_a_file_is_copied_read_only_with_the_digest_sha256sum_prints(ws):
    src = ws.root_dir / "raw" / "iris.csv"
    write_iris(src)
    v = ws.data.create(no_profile(name="iris", path="raw/iris.csv", description="Fisher's iris", tags={"team": "ml"}))
    assert (v.name, v.version, v.ref, v.status, v.kind, v.mode, v.format) == ("iris", 1, "data:iris@1", "Ready", "file", "copy", "csv")
    assert v.digest == "sha256:" + sha256sum(src).split()[0]
    stored = Path(v.path)
    assert stored == ws.data_dir / "iris" / "1" / "iris.csv" and stored.read_bytes() == src.read_bytes()
    assert stored.stat().st_mode & 0o222 == 0  # a version is never written again
    assert v.size_bytes == src.stat().st_size and v.file_count == 1
    assert [c["name"] for c in v.columns] == ["sepal_length", "sepal_width", "petal_length", "petal_width", "target", "species"]
    src.write_text("changed\n")  # the copy is what jobs read, whatever happens to the source
    assert stored.read_bytes() != src.read_bytes() and ws.data.version("iris", 1).digest == v.digest


def test_identical_content_returns_the_existing_version_unless_forced(ws):
    write_iris(ws.root_dir / "dedupe" / "a.csv")
    first = ws.data.create(no_profile(name="dedupe", path="dedupe/a.csv"))
    again = ws.data.create(no_profile(name="dedupe", path="dedupe/a.csv"))
    assert (again.version, again.deduplicated) == (1, True)
    assert not (ws.data_dir / "dedupe" / "2").exists()
    forced = ws.data.create(no_profile(name="dedupe", path="dedupe/a.csv", force=True))
    assert (forced.version, forced.deduplicated, forced.digest) == (2, False, first.digest)
    (ws.root_dir / "dedupe" / "a.csv").write_text("x,y\n1,2\n")
    assert ws.data.create(no_profile(name="dedupe", path="dedupe/a.csv")).version == 3
    assert [v.version for v in ws.data.versions("dedupe").items] == [3, 2, 1]


def test_a_folder_digest_is_the_sha256_of_its_sha256sum_manifest(ws):
    folder = ws.root_dir / "shards"
    (folder / "part").mkdir(parents=True)
    for i in range(3):
        pd.DataFrame({"x": np.arange(i * 10, i * 10 + 10), "y": np.random.default_rng(i).random(10)}).to_parquet(folder / "part" / f"{i}.parquet")
    (folder / "README.txt").write_text("three shards\n")
    v = ws.data.create(no_profile(name="shards", path="shards"))
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    manifest = sha256sum(*files, cwd=folder)
    assert v.digest == "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    assert (v.kind, v.file_count, v.format) == ("folder", 4, "mixed")
    assert sorted(p.relative_to(v.path).as_posix() for p in Path(v.path).rglob("*") if p.is_file()) == files
    # a glob registers the files it matches, relative to the glob's folder
    g = ws.data.create(no_profile(name="shards-parquet", path="shards/part/*.parquet"))
    assert (g.kind, g.file_count, g.format, g.row_count) == ("folder", 3, "parquet", 30)
    assert sorted(f.path for f in ws.data.files("shards-parquet", 1).items) == ["0.parquet", "1.parquet", "2.parquet"]
    assert [c["name"] for c in g.columns] == ["x", "y"]


def test_bad_input_is_refused_saying_what_to_change_and_leaves_nothing(ws):
    write_iris(ws.root_dir / "bad" / "iris.csv")
    (ws.root_dir / "bad" / "empty").mkdir()
    cases = [
        (dict(name="not valid!", path="bad/iris.csv"), "data asset name 'not valid!' is not valid"),
        (dict(name="ok", path="bad/missing.csv"), "path 'bad/missing.csv' does not exist on the server"),
        (dict(name="ok", path="bad/empty"), "folder 'bad/empty' holds no files"),
        (dict(name="ok", path="bad/*.parquet"), "no files match 'bad/*.parquet'"),
        (dict(name="ok", path="bad/iris.csv", kind="folder"), "is a file, not a folder"),
        (dict(name="ok", path="bad/iris.csv", profile_target="nope"), "profile target 'nope' is not a compute target"),
        (dict(name="ok", sql="select * from nowhere", url="sqlite:///" + str(ws.root_dir / "bad" / "w.db")), "the database refused the query: no such table: nowhere"),
        (dict(name="ok", sql="select 1", url="nosuchdriver://x"), "url is not a usable SQLAlchemy URL"),
    ]
    for body, message in cases:
        with pytest.raises(InvalidRequest, match=re.escape(message)):
            ws.data.create(DataCreate(**body))
    for body, message in [
        (dict(name="ok"), "give either path"),
        (dict(name="ok", path="a.csv", mode="live"), "mode live is for tables"),
        (dict(name="ok", sql="select 1"), "sql/table need url"),
        (dict(name="ok", sql="select 1", url="sqlite://", mode="reference"), "mode reference is for files and folders"),
    ]:
        with pytest.raises(ValidationError, match=message):
            DataCreate(**body)
    with ws.store.session() as s:
        assert s.get(DataAssetRow, "ok") is None
    assert not (ws.data_dir / "ok").exists() or not any((ws.data_dir / "ok").iterdir())
    # an asset keeps one kind
    ws.data.create(no_profile(name="onekind", path="bad/iris.csv"))
    (ws.root_dir / "bad" / "dir").mkdir()
    (ws.root_dir / "bad" / "dir" / "a.txt").write_text("a")
    with pytest.raises(InvalidRequest, match="holds file versions and this is a folder; register it under another name"):
        ws.data.create(no_profile(name="onekind", path="bad/dir"))
    with pytest.raises(NotFound, match="data asset 'onekind' has no version 7"):
        ws.data.resolve("onekind@7")
    with pytest.raises(NotFound, match=r"data asset 'onekind' has no alias 'prod' \(its aliases: none\)"):
        ws.data.resolve("data:onekind@prod")
    with pytest.raises(NotFound, match="no data asset named 'nothing'"):
        ws.data.resolve("nothing")
    with pytest.raises(InvalidRequest, match="is not a data reference"):
        ws.data.resolve("onekind:3")
    with pytest.raises(InvalidRequest, match="alias 'latest' is not valid"):
        ws.data.set_alias("onekind", "latest", 1)


def test_a_registration_that_fails_midway_leaves_no_row_folder_or_asset(ws):
    db = ws.root_dir / "midway.db"
    con = sqlite3.connect(db)
    con.execute("create table t (x integer)")
    con.executemany("insert into t values (?)", [(i,) for i in range(120_000)])
    con.commit()
    con.close()
    # abs() of the smallest integer overflows in SQLite: the check (no rows) passes, reading fails
    sql = "select x, case when x = 100000 then abs(-9223372036854775808) else x end as y from t"
    with pytest.raises(InvalidRequest, match="the database refused the query: integer overflow"):
        ws.data.create(no_profile(name="midway", sql=sql, url=f"sqlite:///{db}"))
    with ws.store.session() as s:
        assert s.get(DataAssetRow, "midway") is None
        assert s.query(DataVersionRow).filter_by(name="midway").count() == 0
    assert not list((ws.data_dir / "midway").glob("*")) if (ws.data_dir / "midway").exists() else True


def test_aliases_and_archive_keep_records(ws):
    events = []
    ws.events.subscribe(lambda area, data: events.append(fits("data", data)) if area == "data" and data["name"] == "arch" else None)
    write_iris(ws.root_dir / "arch" / "a.csv")
    ws.data.create(no_profile(name="arch", path="arch/a.csv"))
    (ws.root_dir / "arch" / "a.csv").write_text("a\n1\n")
    ws.data.create(no_profile(name="arch", path="arch/a.csv"))
    assert ws.data.set_alias("arch", "prod", 1).aliases == ["prod"]
    assert ws.data.resolve("arch@prod").version == 1
    assert ws.data.resolve("data:arch").version == 2
    ws.data.archive("arch", 2)
    assert ws.data.resolve("arch").version == 1  # latest skips archived versions
    assert ws.data.resolve("arch@2").archived  # an explicit version still resolves
    assert Path(ws.data.version("arch", 2).path).exists()  # content is kept
    assert ws.data.get_asset("arch").latest_version == 1
    assert [v.version for v in ws.data.versions("arch", include_archived=False).items] == [1]
    ws.data.archive("arch")
    assert "arch" not in [a.name for a in ws.data.list_assets(limit=1000).items]
    assert "arch" in [a.name for a in ws.data.list_assets(limit=1000, include_archived=True).items]
    with pytest.raises(Conflict, match="is archived; restore it"):
        ws.data.create(no_profile(name="arch", path="arch/a.csv", force=True))
    ws.data.archive("arch", archived=False)
    ws.data.delete_alias("arch", "prod")
    with pytest.raises(NotFound):
        ws.data.resolve("arch@prod")
    v = ws.data.update_version("arch", 1, DataUpdate(description="first", tags={"checked": "yes"}))
    assert (v.description, v.tags) == ("first", {"checked": "yes"})
    # every change came as a `data` event, in order (the refused registration made none)
    assert [(e["action"], e["version"], e["alias"]) for e in events] == [
        ("registered", 1, None), ("registered", 2, None), ("alias", 1, "prod"), ("archived", 2, None),
        ("archived", None, None), ("restored", None, None), ("alias", None, "prod"), ("updated", 1, None),
    ]


def test_assets_are_listed_by_name_page_by_page(ws):
    write_iris(ws.root_dir / "pages" / "a.csv")
    for i in range(5):
        ws.data.create(no_profile(name=f"page-{i}", path="pages/a.csv"))
    page1 = ws.data.list_assets(limit=3, prefix="page-")
    page2 = ws.data.list_assets(limit=3, prefix="page-", cursor=page1.next_cursor)
    assert [a.name for a in page1.items + page2.items] == [f"page-{i}" for i in range(5)]
    assert page2.next_cursor is None
    assert all(a.latest_version == 1 and a.version_count == 1 and a.kind == "file" for a in page1.items)


# ---- profiles -------------------------------------------------------------------------------


def test_the_profile_is_computed_by_a_job_and_agrees_with_pandas(ws):
    df = write_iris(ws.root_dir / "prof" / "iris.csv")
    v = ws.data.create(DataCreate(name="prof", path="prof/iris.csv"))
    assert v.profile_status == "Queued" and v.profile_job_id
    job = wait_job(ws, v.profile_job_id)
    assert job.status.value == "Completed", log_of(ws, job.id)
    assert job.kind == "command" and job.tags["mlservice.data_profile"] == "prof@1"  # an ordinary job
    assert wait_for(lambda: ws.data.version("prof", 1).profile_status == "Ready", 60, what="the profile to be stored")
    p = ws.data.profile("prof", 1).profile
    assert ws.data.version("prof", 1).row_count == p["rows"] == 150
    cols = {c["name"]: c for c in p["columns"]}
    sl = cols["sepal_length"]
    assert (sl["nulls"], sl["count"], sl["distinct"], sl["distinct_exact"]) == (2, 148, df["sepal_length"].nunique(), True)
    assert sl["mean"] == pytest.approx(df["sepal_length"].mean()) and sl["std"] == pytest.approx(df["sepal_length"].std())
    assert (sl["min"], sl["max"]) == (df["sepal_length"].min(), df["sepal_length"].max())
    assert sl["quantiles"]["0.5"] == pytest.approx(df["sepal_length"].median())
    assert sum(sl["histogram"]["counts"]) == 148 and len(sl["histogram"]["edges"]) == 21
    species = cols["species"]
    assert species["kind"] == "text" and species["distinct"] == 3
    assert sorted((t["value"], t["count"]) for t in species["top_values"]) == [("setosa", 50), ("versicolor", 50), ("virginica", 50)]
    assert len(p["sample"]) == 100 and p["sample"][0]["species"] == "setosa"


def test_a_big_parquet_profile_streams_and_estimates_what_it_cannot_hold(tmp_path):
    """The profile module itself: more rows than the sketches hold, several files, one missing a column."""
    from jupyter_mlservice.core.data.profile import SAMPLE_K, profile

    rng = np.random.default_rng(7)
    n = 120_000
    frames = [pd.DataFrame({"a": rng.normal(10, 2, n), "b": rng.integers(0, 50_000, n), "c": rng.choice(["x", "y", None], n)}) for _ in range(2)]
    frames.append(pd.DataFrame({"a": rng.normal(10, 2, 1000), "b": rng.integers(0, 50_000, 1000)}))
    for i, f in enumerate(frames):
        f.to_parquet(tmp_path / f"{i}.parquet", row_group_size=30_000)
    p = profile(tmp_path)
    allframe = pd.concat(frames, ignore_index=True)
    cols = {c["name"]: c for c in p["columns"]}
    assert p["rows"] == len(allframe) and p["files"] == 3 and p["format"] == "parquet"
    assert cols["a"]["mean"] == pytest.approx(allframe["a"].mean()) and cols["a"]["std"] == pytest.approx(allframe["a"].std())
    assert cols["a"]["quantiles"]["0.5"] == pytest.approx(allframe["a"].median(), abs=0.05)
    assert p["quantile_sample_rows"] == SAMPLE_K and cols["a"]["histogram"]["estimated"]
    assert cols["b"]["distinct_exact"] is False and cols["b"]["distinct"] == pytest.approx(allframe["b"].nunique(), rel=0.05)
    assert cols["c"]["nulls"] == allframe["c"].isna().sum()  # the third file has no column c
    assert {t["value"] for t in cols["c"]["top_values"]} == {"x", "y"}


# ---- tables ---------------------------------------------------------------------------------


def test_a_table_snapshot_is_materialised_to_parquet_from_sqlite(ws):
    db = ws.root_dir / "shop.db"
    con = sqlite3.connect(db)
    con.execute("create table sales (day text, region text, amount real, note text)")
    rows = [(f"2026-11-{1 + i % 28:02d}", ["north", "south"][i % 2], i * 1.5, None if i < 60_000 else f"n{i}") for i in range(70_000)]
    con.executemany("insert into sales values (?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    url = f"sqlite:///{db}"
    sql = "select * from sales where day < '2026-11-20'"
    v = ws.data.create(no_profile(name="sales", sql=sql, url=url))
    expected = pd.read_sql(sql, f"sqlite:///{db}")
    got = pd.read_parquet(v.path)
    assert (v.kind, v.mode, v.format, v.row_count, len(got)) == ("table", "snapshot", "parquet", len(expected), len(expected))
    pd.testing.assert_frame_equal(got, expected)  # 'note' is NULL in the first chunks and text later
    assert v.digest == "sha256:" + sha256sum(Path(v.path)).split()[0]
    assert ws.data.create(no_profile(name="sales", sql=sql, url=url)).deduplicated
    whole = ws.data.create(no_profile(name="sales-all", table="sales", url=url))
    assert whole.row_count == 70_000 and whole.sql == "SELECT * FROM sales"


def test_a_live_table_is_read_by_each_job_and_its_digest_recorded_per_use(ws):
    db = ws.root_dir / "live.db"
    con = sqlite3.connect(db)
    con.execute("create table events (id integer, kind text)")
    con.executemany("insert into events values (?, ?)", [(i, "a") for i in range(10)])
    con.commit()
    v = ws.data.create(no_profile(name="events", sql="select * from events", url=f"sqlite:///{db}", mode="live"))
    assert (v.mode, v.digest, v.path) == ("live", None, None)
    count = 'python -c "import pandas as pd, sys; print(\'rows\', len(pd.read_parquet(sys.argv[1])))" ${{inputs.ev}}'
    first = run(ws, CommandJobSpec(command=count, inputs={"ev": "data:events"}))
    con.executemany("insert into events values (?, ?)", [(i, "b") for i in range(10, 15)])
    con.commit()
    con.close()
    second = run(ws, CommandJobSpec(command=count, inputs={"ev": "data:events@1"}))
    assert "rows 10" in log_of(ws, first.id) and "rows 15" in log_of(ws, second.id)
    edges = {e.dst_id: e.attrs["digest"] for e in ws.lineage.edges_from([_node("data_version", "events@1")])}
    assert edges[first.id] != edges[second.id] and all(d.startswith("sha256:") for d in edges.values())
    with pytest.raises(Conflict, match="is a live table"):
        ws.data.files("events", 1)


def _node(t, i):
    from jupyter_mlservice.core.lineage import Node

    return Node(t, i)


# ---- as job inputs ----------------------------------------------------------------------------


def test_a_command_job_gets_its_input_substituted_and_in_its_environment_and_mlflow_records_it(ws):
    write_iris(ws.root_dir / "in" / "iris.csv")
    v = ws.data.create(DataCreate(name="train-set", path="in/iris.csv"))
    wait_for(lambda: ws.data.version("train-set", 1).profile_status == "Ready", 120, what="profile")
    job = run(ws, CommandJobSpec(command='wc -l ${{inputs.train}}; echo "env=$MLSERVICE_INPUT_TRAIN"', inputs={"train": "data:train-set@1"}))
    assert job.status.value == "Completed", log_of(ws, job.id)
    log = log_of(ws, job.id)
    assert f"151 {v.path}" in log and f"env={v.path}" in log
    assert job.spec["command"].startswith("wc -l ${{inputs.train}}")  # the spec keeps what was asked
    # recorded on the job's MLflow run, read back from MLflow's store
    from mlflow.tracking import MlflowClient

    run_ = MlflowClient(ws.config.tracking_uri).get_run(job.run_id)
    (inp,) = run_.inputs.dataset_inputs
    assert inp.dataset.name == "train-set" and v.digest.split(":")[1][:36] == inp.dataset.digest
    assert json.loads(inp.dataset.source)["sha256"] == v.digest.split(":")[1]
    assert json.loads(inp.dataset.source)["ref"] == "data:train-set@1"
    assert [c["name"] for c in json.loads(inp.dataset.schema)["mlflow_colspec"]][-1] == "species"
    profile = json.loads(inp.dataset.profile)
    assert profile["num_rows"] == 150 and profile["columns"]["sepal_length"]["nulls"] == 2
    assert {t.key: t.value for t in inp.tags}["mlflow.data.context"] == "train"
    assert [n.id for n in ws.data.lineage("train-set@1").jobs] == [job.id]


def test_notebook_and_code_jobs_get_inputs_as_parameters(ws):
    write_iris(ws.root_dir / "nbin" / "iris.csv")
    ws.data.create(no_profile(name="nb-in", path="nbin/iris.csv"))
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("train = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import pandas as pd\nprint('nb rows', len(pd.read_csv(train)))")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, ws.root_dir / "read.ipynb")
    nbjob = run(ws, NotebookJobSpec(notebook="read.ipynb", inputs={"train": "data:nb-in"}))
    code = run(ws, CodeJobSpec(source="import pandas as pd\nprint('code rows', len(pd.read_csv(train)), alpha)", parameters={"alpha": 2},
                               inputs={"train": "data:nb-in@1"}))
    assert nbjob.status.value == "Completed", log_of(ws, nbjob.id)
    assert code.status.value == "Completed", log_of(ws, code.id)
    executed = nbformat.read(ws.jobs_dir / nbjob.id / "outputs" / "read.ipynb", as_version=4)
    assert "nb rows 150" in "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "code rows 150 2" in log_of(ws, code.id)


def test_latest_is_resolved_when_the_job_starts_not_when_it_is_submitted(ws):
    ws.targets.create(TargetCreate(name="one-slot", type="local", settings={"max_concurrency": 1}))
    (ws.root_dir / "late").mkdir()
    (ws.root_dir / "late" / "v.txt").write_text("first\n")
    ws.data.create(no_profile(name="late", path="late/v.txt"))
    gate = ws.root_dir / "late" / "gate"
    blocker = ws.jobs.submit(CommandJobSpec(command=f"while [ ! -e {gate} ]; do sleep 0.1; done", target="one-slot"))
    waiting = ws.jobs.submit(CommandJobSpec(command="cat ${{inputs.v}}", inputs={"v": "data:late"}, target="one-slot"))
    wait_for(lambda: ws.jobs.get(blocker.id).status.value == "Running", 60, what="the blocker to run")
    (ws.root_dir / "late" / "v.txt").write_text("second\n")
    assert ws.data.create(no_profile(name="late", path="late/v.txt")).version == 2
    gate.touch()
    done = wait_job(ws, waiting.id)
    assert "second" in log_of(ws, done.id)
    assert [n.id for n in ws.data.lineage("late@2").jobs] == [done.id] and ws.data.lineage("late@1").jobs == []


def test_a_reference_input_that_changed_fails_the_job_before_it_starts_naming_the_file(ws):
    folder = ws.root_dir / "refd"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.csv").write_text(f"x\n{i}\n")
    v = ws.data.create(no_profile(name="refd", path="refd", mode="reference"))
    assert (v.mode, v.path) == ("reference", str(folder))
    ok = run(ws, CommandJobSpec(command="ls ${{inputs.d}}", inputs={"d": "data:refd@1"}))
    assert ok.status.value == "Completed" and ok.started_at is not None
    os.utime(folder / "0.csv")  # touched, same bytes: still the registered content
    assert run(ws, CommandJobSpec(command="true", inputs={"d": "data:refd@1"})).status.value == "Completed"
    (folder / "1.csv").write_text("x\n9\n")  # same size, other bytes
    bad = run(ws, CommandJobSpec(command="echo ran", inputs={"d": "data:refd@1"}))
    assert bad.status.value == "Failed" and bad.started_at is None and "ran" not in log_of(ws, bad.id)
    assert f"input d (data:refd@1) no longer matches its digest {v.digest}: {folder / '1.csv'} changed" in bad.error
    assert bad.error in log_of(ws, bad.id)
    (folder / "1.csv").write_text("x\n1\n")
    (folder / "3.csv").write_text("x\n3\n")
    added = run(ws, CommandJobSpec(command="true", inputs={"d": "data:refd"}))
    assert added.status.value == "Failed" and f"{folder / '3.csv'} was added" in added.error
    (folder / "3.csv").unlink()
    (folder / "2.csv").unlink()
    gone = run(ws, CommandJobSpec(command="true", inputs={"d": "data:refd"}))
    assert f"{folder / '2.csv'} was removed" in gone.error
    with pytest.raises(Conflict, match="no longer matches its digest"):
        ws.data.file_path("refd", 1, "2.csv")


def test_bad_inputs_are_refused_at_submit(ws):
    write_iris(ws.root_dir / "sub" / "a.csv")
    ws.data.create(no_profile(name="sub", path="sub/a.csv"))
    for inputs, message in [
        ({"x": "data:nothing"}, "inputs.x: no data asset named 'nothing'"),
        ({"x": "data:sub@9"}, "inputs.x: data asset 'sub' has no version 9"),
        ({"x": "data:sub@prod"}, "inputs.x: data asset 'sub' has no alias 'prod'"),
        ({"x": "model:nomodel@champion"}, "inputs.x: no registered model named 'nomodel'"),
        ({"x": "sub/missing.csv"}, "inputs.x: 'sub/missing.csv' does not exist on the server"),
    ]:
        with pytest.raises(InvalidRequest, match=message):
            ws.jobs.submit(CommandJobSpec(command="true", inputs=inputs))
    for kwargs, message in [
        (dict(command="true", inputs={"1x": "data:sub"}), "input/output name '1x' must be a Python identifier"),
        (dict(command="true", inputs={"x": "data:sub@"}), "inputs.x: 'data:sub@' is not a data reference"),
        (dict(command="cat ${{inputs.y}}", inputs={"x": "data:sub"}), r"uses \$\{\{inputs.y\}\} but inputs has no 'y'"),
        (dict(command="true", outputs={"o": {"register_as": "bad name"}}), "outputs.o.register_as 'bad name' is not valid"),
    ]:
        with pytest.raises(ValidationError, match=message):
            CommandJobSpec(**kwargs)
    with pytest.raises(ValidationError, match="'x' is both a parameter and an input"):
        CodeJobSpec(source="pass", parameters={"x": 1}, inputs={"x": "data:sub"})


# ---- outputs and lineage ----------------------------------------------------------------------


TRAIN = textwrap.dedent(
    """
    import os, sys, mlflow, pandas as pd
    from sklearn.linear_model import LogisticRegression
    df = pd.read_csv(sys.argv[1]).dropna()
    X, y = df[["sepal_length", "sepal_width", "petal_length", "petal_width"]], df["target"]
    X.assign(petal_area=X.petal_length * X.petal_width).to_parquet(sys.argv[2] + "/features.parquet")
    with mlflow.start_run():
        mlflow.sklearn.log_model(LogisticRegression(max_iter=300).fit(X, y), name="model", pip_requirements=["scikit-learn"],
                                 registered_model_name=os.environ.get("REGISTER_AS"))
    """
)


def test_outputs_are_registered_and_lineage_runs_from_data_to_model_and_back(ws):
    write_iris(ws.root_dir / "lin" / "iris.csv")
    (ws.root_dir / "lin" / "train.py").write_text(TRAIN)
    ws.data.create(no_profile(name="lin-iris", path="lin/iris.csv"))
    job = run(ws, CommandJobSpec(
        command="python train.py ${{inputs.train}} ${{outputs.features}}", code="lin",
        inputs={"train": "data:lin-iris@1"}, outputs={"features": {"type": "folder", "register_as": "lin-features"}},
    ), timeout=300)
    assert job.status.value == "Completed", log_of(ws, job.id)
    feats = ws.data.resolve("lin-features")
    assert (feats.version, feats.job_id, feats.output_name, feats.kind) == (1, job.id, "features", "folder")
    assert pd.read_parquet(Path(feats.path) / "features.parquet").shape == (148, 5)
    assert not (ws.jobs_dir / job.id / "data-outputs" / "features").exists()  # moved into the data store
    mv = ws.models.register("lin-model", job_id=job.id)
    lineage = ws.models.version("lin-model", mv.version).lineage
    (data,) = lineage["data"]
    assert (data["name"], data["version"], data["input"]) == ("lin-iris", 1, "train")
    assert data["digest"] == ws.data.version("lin-iris", 1).digest
    down = ws.data.lineage("lin-iris@1")
    assert [n.id for n in down.jobs] == [job.id]
    assert [n.id for n in down.models] == [f"lin-model:{mv.version}"]
    assert [n.id for n in down.derived_data] == ["lin-features@1"]
    up = ws.data.lineage("lin-features@1")
    assert [(n.type, n.id) for n in up.produced_by] == [("job", job.id), ("data_version", "lin-iris@1")]
    # archiving a version a model's lineage names keeps its record
    ws.data.archive("lin-iris", 1)
    (data,) = ws.models.version("lin-model", mv.version).lineage["data"]
    assert data["archived"] is True and ws.data.version("lin-iris", 1).digest == data["digest"]
    # a rerun writing the same features gets the same version, linked to the new job too; a model
    # the job registers itself (MLflow's registered_model_name) is linked when the job ends
    again = run(ws, CommandJobSpec(
        command="python train.py ${{inputs.train}} ${{outputs.features}}", code="lin", environment_variables={"REGISTER_AS": "lin-auto"},
        inputs={"train": "data:lin-iris@1"}, outputs={"features": {"register_as": "lin-features"}},
    ), timeout=300)
    assert again.status.value == "Completed" and ws.data.get_asset("lin-features").latest_version == 1
    assert ws.data.output_version(again.id, "features").version == 1
    assert [n.id for n in ws.data.lineage("lin-iris@1").models] == [f"lin-model:{mv.version}", "lin-auto:1"]


def test_automl_trains_on_a_data_asset_pinned_at_submit_with_lineage_to_its_model(ws):
    from jupyter_mlservice.core.automl.schemas import AutoMLCreate

    df = iris_frame().drop(columns=["species"])
    (ws.root_dir / "aml").mkdir()
    df.iloc[:75].to_parquet(ws.root_dir / "aml" / "a.parquet")
    df.iloc[75:].to_parquet(ws.root_dir / "aml" / "b.parquet")
    v = ws.data.create(no_profile(name="aml-iris", path="aml"))
    ws.data.set_alias("aml-iris", "train", 1)
    spec = dict(task="classification", target_column="target", time_budget_s=120, max_trials=2, allowed_models=["logistic_regression"],
                experiment="automl-data")
    run = ws.automl.submit(AutoMLCreate(data="data:aml-iris@train", **spec))
    assert (run.spec.data, run.rows) == ("data:aml-iris@1", 150)  # the alias pinned to the version it meant
    # its MLflow run records the input, as a job's does
    (logged,) = ws.experiments.client.get_run(run.job.run_id).inputs.dataset_inputs
    assert (logged.dataset.name, logged.dataset.digest) == ("aml-iris", v.digest.split(":")[1][:36])
    assert wait_for(lambda: ws.jobs.get(run.id).status.is_terminal, 600, interval=0.5, what="the AutoML run")
    done = ws.automl.get(run.id)
    assert done.job.status.value == "Completed", done.job.error
    mv = ws.models.register("aml-model", job_id=done.best_model_job_id)
    (data,) = ws.models.version("aml-model", mv.version).lineage["data"]
    assert (data["ref"], data["input"], data["digest"]) == ("data:aml-iris@1", "data", v.digest)
    lineage = ws.data.lineage("aml-iris@1")
    assert {n.id for n in lineage.jobs} == {run.id} | {c.id for c in ws.jobs.list(parent=run.id).items}
    assert [n.id for n in lineage.models] == [f"aml-model:{mv.version}"]
    with pytest.raises(InvalidRequest, match="validation.data: data asset 'aml-iris' has no version 7"):
        ws.automl.submit(AutoMLCreate(data="data:aml-iris", validation={"data": "data:aml-iris@7"}, **spec))
    (ws.root_dir / "aml-img").mkdir()
    (ws.root_dir / "aml-img" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    ws.data.create(no_profile(name="aml-img", path="aml-img"))
    with pytest.raises(InvalidRequest, match=r"data: data:aml-img@1 is not tabular \(its format: images\); give a table asset or CSV / Parquet / JSON lines files"):
        ws.automl.submit(AutoMLCreate(data="data:aml-img", **spec))


def test_sweep_trials_read_a_data_asset_each_with_its_lineage(ws):
    from jupyter_mlservice.core.sweeps.schemas import SweepCreate

    write_iris(ws.root_dir / "sw" / "iris.csv")
    ws.data.create(no_profile(name="sw-iris", path="sw/iris.csv"))
    score = "import mlflow, pandas as pd, sys; mlflow.log_metric('score', len(pd.read_csv(sys.argv[1])) * float(sys.argv[2]))"
    trial = {"kind": "command", "command": f'python -c "{score}" ${{{{inputs.train}}}} ${{{{search_space.x}}}}', "inputs": {"train": "data:sw-iris"}}
    sweep = ws.sweeps.submit(SweepCreate(trial=trial, search_space={"x": {"type": "choice", "values": [1, 2]}}, sampling="grid",
                                         objective={"metric": "score", "goal": "maximize"}, experiment="sweep-data"))
    assert wait_for(lambda: ws.jobs.get(sweep.id).status.is_terminal, 600, interval=0.5, what="the sweep")
    done = ws.sweeps.get(sweep.id)
    assert done.job.status.value == "Completed", done.job.error
    assert done.best_trial.value == 300.0
    trials = {c.id for c in ws.jobs.list(parent=sweep.id).items}
    assert len(trials) == 2 and {n.id for n in ws.data.lineage("sw-iris@1").jobs} == trials
    with pytest.raises(InvalidRequest, match="inputs.train: no data asset named 'nothing'"):
        ws.sweeps.submit(SweepCreate(trial={**trial, "inputs": {"train": "data:nothing"}}, search_space={"x": {"type": "choice", "values": [1]}},
                                     objective={"metric": "score"}))


def test_a_job_that_does_not_write_its_output_fails_saying_so(ws):
    job = run(ws, CommandJobSpec(command="echo nothing", outputs={"result": {"type": "file", "register_as": "never"}}))
    assert job.status.value == "Failed"
    assert "output result: the job wrote nothing at ${{outputs.result}}" in job.error and "write the file there" in job.error
    with pytest.raises(NotFound):
        ws.data.get_asset("never")
    single = run(ws, CommandJobSpec(command="echo a,b > ${{outputs.result}}", outputs={"result": {"type": "file", "register_as": "one-file"}}))
    assert single.status.value == "Completed", single.error
    v = ws.data.resolve("one-file")
    assert (v.kind, v.file_count) == ("file", 1) and Path(v.path).read_text() == "a,b\n"


def test_a_model_input_is_downloaded_for_the_job(ws, tmp_path):
    from .serving_fixtures import save_iris_model

    save_iris_model(ws.root_dir / "input-model-files")  # inside the server root, as every path must be
    mv = ws.models.register("input-model", local_path=str(ws.root_dir / "input-model-files"))
    ws.models.set_alias("input-model", "champion", mv.version)
    job = run(ws, CommandJobSpec(command="ls ${{inputs.m}}", inputs={"m": "model:input-model@champion"}))
    assert job.status.value == "Completed" and "MLmodel" in log_of(ws, job.id)
    edges = ws.lineage.edges_to([_node("job", job.id)])
    assert [(e.src_type, e.src_id, e.relation) for e in edges] == [("model_version", f"input-model:{mv.version}", "input")]


def test_lineage_graph_reads_both_ways_and_marks_missing_nodes(ws):
    from jupyter_mlservice.core.lineage import Node

    g = ws.lineage
    g.record(Node("data_version", "g@1"), Node("job", "job-g1"), "input")
    g.record(Node("data_version", "g@1"), Node("job", "job-g1"), "input")  # idempotent
    g.record(Node("data_version", "other@1"), Node("job", "job-g1"), "input")
    g.record(Node("job", "job-g1"), Node("model_version", "gm:1"), "registered")
    g.record(Node("model_version", "gm:1"), Node("deployment", "ep/blue"), "deployed")
    down = g.graph(Node("data_version", "g@1"), "downstream")
    assert [(n.type, n.id) for n in down.nodes] == [("data_version", "g@1"), ("job", "job-g1"), ("model_version", "gm:1"), ("deployment", "ep/blue")]
    assert all(n.missing for n in down.nodes)  # none of these exist in this workspace
    up = g.graph(Node("deployment", "ep/blue"), "upstream")
    assert {n.id for n in up.nodes} == {"ep/blue", "gm:1", "job-g1", "g@1", "other@1"}
    assert len(g.edges_to([Node("job", "job-g1")])) == 2
    with pytest.raises(InvalidRequest, match="direction must be"):
        g.graph(Node("job", "x"), "sideways")


def test_references_parse_and_format_in_one_place():
    from jupyter_mlservice.core.refs import DataRef, ModelRef, parse, parse_data, parse_model

    assert parse("data:iris") == DataRef("iris") and str(DataRef("iris")) == "data:iris"
    assert parse("data:iris@2") == DataRef("iris", 2) and str(DataRef("iris", 2)) == "data:iris@2"
    assert parse("data:iris@prod") == DataRef("iris", alias="prod") and DataRef("iris", alias="prod").short == "iris@prod"
    assert parse("model:m:3") == ModelRef("m", 3) and str(ModelRef("m", 3)) == "model:m:3"
    assert parse("model:m@champion") == ModelRef("m", alias="champion") and ModelRef("m", 3).short == "m:3"
    assert parse_data("iris@2") == DataRef("iris", 2) and parse_model("m") == ModelRef("m")
    for bad in ("iris", "data:", "data:iris@", "data:a b", "model:m:x", "data:iris@2x"):
        with pytest.raises(InvalidRequest):
            parse(bad)


def test_recover_removes_registrations_a_dead_server_left(ws):
    """What a killed server leaves (tests/test_data_live.py kills a real one mid-copy): a
    Registering row with a partly written folder, and a temp folder; the next start removes both."""
    from jupyter_mlservice.core.data.service import DataService
    from jupyter_mlservice.core.timeutil import utcnow

    now = utcnow()
    with ws.store.session() as s:
        s.add(DataAssetRow(name="dead", kind="folder", description="", tags={}, aliases={}, archived=False, created_at=now, updated_at=now))
        s.flush()
        s.add(DataVersionRow(name="dead", version=1, status="Registering", kind="folder", mode="copy", source="x", description="",
                             tags={}, archived=False, created_at=now, updated_at=now))
    tmp = ws.data_dir / "dead" / ".registering-1-abcd"
    tmp.mkdir(parents=True)
    (tmp / "half.bin").write_bytes(b"x" * 100)
    (ws.data_dir / "dead" / "1").mkdir()  # renamed, but the row never became Ready
    DataService(ws.store, ws.jobs, ws.lineage, ws.root_dir, ws.data_dir).recover()
    with ws.store.session() as s:
        assert s.get(DataAssetRow, "dead") is None
    assert not tmp.exists() and not (ws.data_dir / "dead" / "1").exists()


def test_a_profile_asked_for_again_replaces_the_old_one(ws):
    write_iris(ws.root_dir / "again" / "iris.csv")
    v = ws.data.create(DataCreate(name="again", path="again/iris.csv"))
    wait_job(ws, v.profile_job_id)
    ws.data.collect_profiles()
    assert ws.data.profile("again", 1).status == "Ready"
    # asked for again: a new job replaces the old answer
    p = ws.data.start_profile("again", 1)
    assert p.status == "Queued" and p.job_id != v.profile_job_id
    wait_job(ws, p.job_id)
    assert wait_for(lambda: ws.data.profile("again", 1).status == "Ready", 60, what="the new profile")


def test_the_data_store_can_live_elsewhere(tmp_path, mlflow_template):
    ws = start_workspace(tmp_path, mlflow_template, data_dir=tmp_path / "shared-store")
    (ws.root_dir / "a.csv").write_text("a\n1\n")
    try:
        v = ws.data.create(no_profile(name="elsewhere", path="a.csv"))
        assert Path(v.path) == tmp_path / "shared-store" / "elsewhere" / "1" / "a.csv"
    finally:
        ws.stop()
