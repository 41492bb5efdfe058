"""Data assets with the throwaway PostgreSQL server (tests/postgres_server.py): the workspace store
on PostgreSQL (the data and lineage migrations, registration, dedupe, inputs), and table assets read
from PostgreSQL (snapshot and live, a query it refuses, a failure while streaming)."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_mlservice.core.data.schemas import DataCreate
from jupyter_mlservice.core.errors import InvalidRequest
from jupyter_mlservice.core.jobs.schemas import CommandJobSpec

from .conftest import wait_job
from .data_fixtures import start_workspace
from .test_batch_postgres import postgres  # noqa: F401 - the session's PostgreSQL server

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def pg_ws(postgres, tmp_path_factory, mlflow_template):  # noqa: F811
    ws = start_workspace(tmp_path_factory.mktemp("data-pg"), mlflow_template, database_url=postgres.create_database("data_store"))
    yield ws
    ws.stop()


@pytest.fixture(scope="module")
def shop(postgres):  # noqa: F811
    from sqlalchemy import create_engine, text

    url = postgres.create_database("shop")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE sales (id bigint PRIMARY KEY, day date NOT NULL, region text NOT NULL, amount numeric(10, 2) NOT NULL)"))
        conn.execute(text(
            "INSERT INTO sales SELECT g, DATE '2026-11-01' + (g % 40), CASE WHEN g % 3 = 0 THEN 'north' ELSE 'south' END, g * 0.25 "
            "FROM generate_series(1, 60000) AS g"
        ))
    engine.dispose()
    return url


def test_the_workspace_store_on_postgresql_holds_data_assets(pg_ws):
    (pg_ws.root_dir / "t.csv").write_text("a,b\n1,2\n3,4\n")
    v = pg_ws.data.create(DataCreate(name="pg-t", path="t.csv", profile=False))
    assert (v.version, v.kind) == (1, "file")
    assert pg_ws.data.create(DataCreate(name="pg-t", path="t.csv", profile=False)).deduplicated
    pg_ws.data.set_alias("pg-t", "prod", 1)
    job = wait_job(pg_ws, pg_ws.jobs.submit(CommandJobSpec(command="cat ${{inputs.t}}", inputs={"t": "data:pg-t@prod"})).id)
    assert job.status.value == "Completed"
    assert [n.id for n in pg_ws.data.lineage("pg-t@1").jobs] == [job.id]
    page = pg_ws.data.list_assets(limit=1)
    assert [a.name for a in page.items] == ["pg-t"]


def test_a_postgres_table_snapshot_keeps_its_rows(pg_ws, shop):
    sql = "SELECT * FROM sales WHERE day < DATE '2026-12-01'"
    v = pg_ws.data.create(DataCreate(name="pg-sales", sql=sql, url=shop, profile=False))
    expected = pd.read_sql(sql + " ORDER BY id", shop)
    got = pd.read_parquet(v.path).sort_values("id").reset_index(drop=True)
    assert v.row_count == len(expected) == len(got) and v.url.endswith("/shop")
    assert got["amount"].astype(float).sum() == pytest.approx(expected["amount"].astype(float).sum())
    assert list(got.columns) == ["id", "day", "region", "amount"]
    prof = pg_ws.data.start_profile("pg-sales", 1)
    assert wait_job(pg_ws, prof.job_id).status.value == "Completed"


def test_a_live_postgres_table_is_read_at_each_use(pg_ws, shop):
    from sqlalchemy import create_engine, text

    v = pg_ws.data.create(DataCreate(name="pg-live", sql="SELECT id, region FROM sales WHERE region = 'north'", url=shop, mode="live", profile=False))
    count = 'python -c "import pandas as pd, sys; print(\'rows\', len(pd.read_parquet(sys.argv[1])))" ${{inputs.s}}'
    first = wait_job(pg_ws, pg_ws.jobs.submit(CommandJobSpec(command=count, inputs={"s": v.ref})).id)
    engine = create_engine(shop)
    with engine.begin() as conn:
        conn.execute(text("UPDATE sales SET region = 'north' WHERE id <= 30"))
    engine.dispose()
    second = wait_job(pg_ws, pg_ws.jobs.submit(CommandJobSpec(command=count, inputs={"s": v.ref})).id)
    logs = [(pg_ws.jobs_dir / j.id / "output.log").read_text() for j in (first, second)]
    assert "rows 20000" in logs[0] and "rows 20020" in logs[1]


def test_postgres_refusals_come_back_in_its_own_words_and_leave_nothing(pg_ws, shop):
    with pytest.raises(InvalidRequest, match='the database refused the query: .*relation "nowhere" does not exist'):
        pg_ws.data.create(DataCreate(name="pg-bad", sql="SELECT * FROM nowhere", url=shop))
    # division by zero on one row: the check (no rows) passes, reading fails mid-stream
    with pytest.raises(InvalidRequest, match="the database refused the query: division by zero"):
        pg_ws.data.create(DataCreate(name="pg-bad", sql="SELECT id, 1 / (id - 55000) AS x FROM sales ORDER BY id", url=shop, profile=False))
    assert "pg-bad" not in [a.name for a in pg_ws.data.list_assets(include_archived=True).items]
    assert not list((pg_ws.data_dir / "pg-bad").glob("*")) if (pg_ws.data_dir / "pg-bad").exists() else True
