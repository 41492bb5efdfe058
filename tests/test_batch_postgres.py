"""Batch jobs and the workspace store against a real PostgreSQL server (one per test session).

The server is Debian's PostgreSQL (tests/postgres_server.py), started in a temp dir on
127.0.0.1 and stopped by PID. Without its binaries the tests skip, except in CI where they fail.
"""

from __future__ import annotations

import decimal
import json
import os
import textwrap
import uuid

import numpy as np
import pandas as pd
import pytest

from jupyter_mlservice.core.jobs.schemas import BatchJobSpec, CommandJobSpec

from .batch_fixtures import expected, make_frame, register_model
from .conftest import seed_workspace, wait_job
from .postgres_server import PostgresServer, find_bindir

N = 2_500


@pytest.fixture(scope="session")
def postgres():
    bindir = find_bindir()
    if bindir is None:
        msg = "no PostgreSQL server binaries (make system-deps installs Debian's postgresql)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    with PostgresServer(bindir) as pg:
        yield pg


@pytest.fixture
def warehouse(postgres, request):
    """A fresh database with a `features` table of PostgreSQL types that SQLite does not have."""
    from sqlalchemy import create_engine, text

    url = postgres.create_database(f"wh_{request.node.name[:40].lower()}")
    df = make_frame(N)
    df["b"] = df["b"].round(6)  # numeric(12, 6) holds these exactly
    df["c"] = df["c"].astype("float32").astype("float64")  # real
    df["region"] = np.where(df["id"] % 3 == 0, "north", "south")
    df["tag"] = [uuid.UUID(int=(i * 7919) % N + 1) for i in range(N)]
    df["seen_at"] = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(df["id"], unit="min")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            'CREATE TABLE features (id bigint PRIMARY KEY, a double precision NOT NULL, b numeric(12, 6) NOT NULL, '
            'c real NOT NULL, region text NOT NULL, tag uuid NOT NULL UNIQUE, seen_at timestamptz NOT NULL, note text)'
        ))
        conn.execute(text("INSERT INTO features (id, a, b, c, region, tag, seen_at) VALUES (:id, :a, :b, :c, :region, :tag, :seen_at)"),
                     df[["id", "a", "b", "c", "region", "tag", "seen_at"]].to_dict("records"))
    engine.dispose()
    return url, df


def run_batch(ws, timeout=240, **spec):
    job = ws.jobs.submit(BatchJobSpec(**spec))
    done = wait_job(ws, job.id, timeout)
    progress = json.loads((ws.jobs.job_dir(job.id) / "progress.json").read_text())
    return done, progress, ws.jobs.logs(job.id).text


def read(url: str, sql: str) -> pd.DataFrame:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return pd.read_sql(text(sql), conn)
    finally:
        engine.dispose()


def test_a_registered_model_scores_a_postgres_query_into_a_postgres_table(workspace, warehouse):
    url, df = warehouse
    register_model(workspace.config.tracking_uri, workspace.config.registry_uri, "lin")
    done, progress, log = run_batch(
        workspace, model="lin@champion", input={"sql": "SELECT id, a, b, c FROM features WHERE id % 2 = 0;", "url": url},
        output={"table": "predictions", "url": url}, key_columns=["id"], mini_batch_size=400, max_concurrency=2,
    )
    assert done.status == "Completed", log
    evens = df[df.id % 2 == 0]
    assert progress["mini_batches_total"] == progress["mini_batches_scored"] == 4  # 1250 rows / 400
    assert progress["rows_done"] == len(evens)
    got = read(url, "SELECT * FROM predictions ORDER BY id")
    assert list(got.columns) == ["id", "prediction"]
    assert got["id"].tolist() == evens["id"].tolist()
    assert abs(got["prediction"].to_numpy() - expected(evens)).max() < 1e-6  # `real` c: float4 precision
    ledger = read(url, "SELECT output_table, mini_batch, rows FROM mlservice_batch_ledger ORDER BY mini_batch")
    assert ledger["mini_batch"].tolist() == [0, 1, 2, 3] and ledger["rows"].sum() == len(evens)


def test_a_uuid_key_cuts_the_input_into_key_ranges_that_workers_read(warehouse):
    """One key column: the database cuts the key range (a window function); each worker reads its own slice."""
    import pyarrow as pa

    from jupyter_mlservice.core.batch.sources import SQLSlice, SQLSource
    from jupyter_mlservice.core.batch.worker import Scorer

    url, df = warehouse
    source = SQLSource(url, "SELECT tag, id, b, seen_at FROM features", None, 1_000, ["tag"])
    try:
        batches = list(source)
    finally:
        source.close()
    assert source.total == 3 and all(isinstance(mb.data, SQLSlice) for mb in batches)
    assert batches[-1].data.high is None  # the last slice is open-ended
    scorer = Scorer(None, None, ["tag"], None)
    got = pa.concat_tables([scorer.read_slice(mb.data) for mb in batches]).to_pandas()
    assert got["tag"].tolist() == sorted(str(t) for t in df["tag"])  # uuid order is the hex text's order
    assert len(got) == N and got["id"].is_unique
    assert str(got["seen_at"].dtype).startswith("datetime64") and got["b"].map(type).eq(decimal.Decimal).all()


def test_a_bad_query_or_key_column_is_reported_in_the_databases_words(warehouse):
    from jupyter_mlservice.core.batch.sources import SQLSource

    url, _ = warehouse
    with pytest.raises(SystemExit, match='input.sql: the database refused it: relation "nowhere" does not exist'):
        SQLSource(url, "SELECT * FROM nowhere", None, 100, ["id"])
    with pytest.raises(SystemExit, match="key_columns ident not in the input, whose columns are: id, a, b, c, region"):
        SQLSource(url, None, "features", 100, ["ident"])


SCRIPT = textwrap.dedent('''
    import os
    import pandas as pd

    def run(mini_batch):
        first = int(mini_batch["id"].iloc[0])
        if first == int(os.environ.get("FAIL_AT", -1)) and not os.path.exists(os.environ["FIXED"]):
            raise ValueError(f"bad rows starting at {first}")
        return pd.DataFrame({"id": mini_batch["id"], "score": mini_batch["a"] * 2, "region": mini_batch["region"]})
''')


def test_a_failed_mini_batch_stops_the_job_and_a_rerun_scores_only_what_is_missing(workspace, warehouse, tmp_path):
    url, df = warehouse
    (workspace.root_dir / "score.py").write_text(SCRIPT)
    fixed = tmp_path / "fixed"
    spec = dict(scoring_script="score.py", input={"table": "public.features", "url": url},
                output={"table": "scoring.Results", "url": url}, key_columns=["seen_at"], mini_batch_size=250,
                error_threshold=0, retry_settings={"max_retries": 0, "timeout": 60},
                environment_variables={"FAIL_AT": "1250", "FIXED": str(fixed)})
    first, progress, log = run_batch(workspace, **spec)
    assert first.status == "Failed", log
    assert "more than error_threshold=0" in log
    assert progress["mini_batches_failed"] == 1
    scored_first = progress["mini_batches_scored"]
    assert 1 <= scored_first <= 9
    summary = json.loads((workspace.jobs.job_dir(first.id) / "outputs" / "batch_summary.json").read_text())
    low, high = summary["failures"][0]["keys"]  # the failed mini-batch's key range (timestamps)
    assert (pd.Timestamp(low), pd.Timestamp(high)) == tuple(pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta([1250, 1500], unit="min"))

    fixed.touch()  # "the data was fixed"
    again = workspace.jobs.rerun(first.id)
    done = wait_job(workspace, again.id, 240)
    assert done.status == "Completed", workspace.jobs.logs(again.id).text
    progress = json.loads((workspace.jobs.job_dir(again.id) / "progress.json").read_text())
    assert progress["mini_batches_skipped"] == scored_first
    assert progress["mini_batches_scored"] == 10 - scored_first
    got = read(url, 'SELECT * FROM scoring."Results" ORDER BY id')
    assert list(got.columns) == ["seen_at", "id", "score", "region"]  # the key column first
    assert got["id"].tolist() == df["id"].tolist()
    assert abs(got["score"].to_numpy() - 2 * df["a"].to_numpy()).max() < 1e-12
    assert got["seen_at"].tolist() == df["seen_at"].tolist() and got["region"].tolist() == df["region"].tolist()


def test_several_key_columns_stream_through_a_server_side_cursor(postgres, warehouse):
    """Without one orderable key the rows stream in key order through a named cursor, never all at once."""
    from sqlalchemy import create_engine, text

    from jupyter_mlservice.core.batch.sources import SQLSource

    url, df = warehouse
    source = SQLSource(url, None, "features", 300, ["region", "id"])
    watcher = create_engine(url)
    it = iter(source)
    try:
        assert source.total == 9
        first = next(it)
        with watcher.connect() as conn:
            activity = conn.execute(text(
                "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'FETCH%'"
            )).scalars().all()
        # a named cursor, read a mini-batch at a time
        assert len(activity) == 1 and int(activity[0].split()[2]) <= 300, activity
        rest = list(it)
    finally:
        it.close()
        source.close()
        watcher.dispose()
    ids = pd.concat([mb.data.to_pandas() for mb in [first, *rest]])
    want = df.sort_values(["region", "id"])
    assert [mb.index for mb in [first, *rest]] == list(range(9))
    assert ids["id"].tolist() == want["id"].tolist()
    assert str(first.data.schema.field("tag").type) == "string"  # uuid values arrive as text


def test_the_workspace_store_runs_on_postgres(postgres, tmp_path, mlflow_template):
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    url = postgres.create_database("workspace")
    root = tmp_path / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1, database_url=url))
    ws.start()
    try:
        job = ws.jobs.submit(CommandJobSpec(command="echo hello from a postgres-backed workspace", display_name="pg"))
        done = wait_job(ws, job.id, 120)
        assert done.status == "Completed", ws.jobs.logs(job.id).text
        assert "hello from a postgres-backed workspace" in ws.jobs.logs(job.id).text
        assert [j.id for j in ws.jobs.list().items] == [job.id]
    finally:
        ws.stop()
    tables = read(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")["tablename"].tolist()
    assert "alembic_version" in tables and len(tables) > 3


def test_table_output_keeps_postgres_types_and_commits_rows_with_their_ledger_entry(postgres):
    """A mini-batch's rows and its ledger row commit together: a write that fails leaves neither."""
    import datetime

    from sqlalchemy.exc import SQLAlchemyError

    from jupyter_mlservice.core.batch.sinks import TableSink
    from jupyter_mlservice.core.batch.sources import _records_to_table

    url = postgres.create_database("sink")
    columns = ["id", "amount", "tag", "labels", "extra", "took", "flag"]
    rows = [(1, decimal.Decimal("1.50"), uuid.UUID(int=1), [1, 2], {"a": 1}, datetime.timedelta(seconds=5), True),
            (2, decimal.Decimal("12345.25"), uuid.UUID(int=2), [3], {"a": "x", "b": [1]}, None, None)]
    sink = TableSink(url, "analytics.scored", "fp", "job-1")
    try:
        sink.write(0, _records_to_table(rows[:1], columns))
        sink.write(1, _records_to_table(rows[1:], columns))  # a wider decimal than the first mini-batch's
        again = _records_to_table([(3, decimal.Decimal(1), uuid.UUID(int=3), [], {}, None, False)], columns)
        with pytest.raises(SQLAlchemyError, match="mlservice_batch_ledger"):
            sink.write(1, again)  # mini-batch 1 is in the ledger already: its rows roll back too
        assert sink.done() == {0, 1}
    finally:
        sink.close()
    rerun = TableSink(url, "analytics.scored", "fp", "job-2")
    assert rerun.done() == {0, 1}
    rerun.close()
    got = read(url, "SELECT * FROM analytics.scored ORDER BY id")
    assert got["id"].tolist() == [1, 2]
    assert got["amount"].tolist() == [decimal.Decimal("1.50"), decimal.Decimal("12345.25")]
    assert got["tag"].tolist() == [str(uuid.UUID(int=1)), str(uuid.UUID(int=2))]
    assert [json.loads(v) for v in got["labels"]] == [[1, 2], [3]] and json.loads(got["extra"][1]) == {"a": "x", "b": [1]}
    assert got["took"][0] == 5.0 and pd.isna(got["took"][1]) and got["flag"].tolist()[0] is True
    types = dict(read(url, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'scored'").values)
    assert types == {"id": "bigint", "amount": "numeric", "tag": "text", "labels": "text", "extra": "text",
                     "took": "double precision", "flag": "boolean"}
