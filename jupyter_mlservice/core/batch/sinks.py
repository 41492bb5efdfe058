"""Where scored rows go (`append_row`): files written as numbered parts then merged, or a database
table with a ledger row per mini-batch in the same transaction. Both remember which mini-batches
are done, so a rerun writes each mini-batch exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa

LEDGER = "mlservice_batch_ledger"


class Sink:
    description = "summary only"

    def done(self) -> set[int]:
        return set()

    def write(self, index: int, table: pa.Table) -> None:
        pass

    def finish(self, complete: bool) -> None:
        pass

    def close(self) -> None:
        pass


class FileSink(Sink):
    def __init__(self, path: str, fingerprint: str, header: bool = True):
        self.path = Path(path)
        self.header = header  # Azure's append_row file has none
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fingerprint = fingerprint
        base = self.path.parent / f".{self.path.name}.parts"
        self.parts = base / fingerprint
        self.sidecar = self.path.parent / f".{self.path.name}.mlservice.json"
        self.description = str(self.path)
        if base.is_dir():  # parts of another input/model: not ours to resume
            for other in base.iterdir():
                if other.name != fingerprint:
                    shutil.rmtree(other, ignore_errors=True)
        self.parts.mkdir(parents=True, exist_ok=True)
        self._already_complete = self._read_sidecar().get("fingerprint") == fingerprint and self._read_sidecar().get("complete") and self.path.exists()

    def _read_sidecar(self) -> dict[str, Any]:
        try:
            return json.loads(self.sidecar.read_text())
        except (OSError, ValueError):
            return {}

    def done(self) -> set[int]:
        if self._already_complete:
            return set(self._read_sidecar().get("mini_batches", []))
        return {int(p.stem.split("-")[1]) for p in self.parts.glob("part-*.parquet")}

    def write(self, index: int, table: pa.Table) -> None:
        import pyarrow.parquet as pq

        final = self.parts / f"part-{index:08d}.parquet"
        tmp = final.with_suffix(".tmp")
        pq.write_table(table, tmp, compression="snappy")
        os.replace(tmp, final)  # a part exists only once it is whole

    def finish(self, complete: bool) -> None:
        if self._already_complete:
            return
        parts = sorted(self.parts.glob("part-*.parquet"))
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        _merge(parts, tmp, csv=self.path.suffix == ".csv", header=self.header)
        os.replace(tmp, self.path)
        indexes = [int(p.stem.split("-")[1]) for p in parts]
        self.sidecar.write_text(json.dumps({"fingerprint": self.fingerprint, "complete": complete, "mini_batches": indexes}))
        if complete:  # failed mini-batches keep their siblings' parts so a rerun redoes only them
            shutil.rmtree(self.parts.parent, ignore_errors=True)


def _merge(parts: list[Path], dest: Path, csv: bool, header: bool = True) -> None:
    """Concatenate parts one at a time: memory holds one part, whatever the output size."""
    import pyarrow.parquet as pq
    from pyarrow import csv as pacsv

    schema = None
    for p in parts:  # the first part with no all-null column gives the types
        s = pq.read_schema(p)
        if schema is None or not any(pa.types.is_null(f.type) for f in s):
            schema = s
            if not any(pa.types.is_null(f.type) for f in s):
                break
    if schema is None:
        if csv:
            dest.write_text("")
        else:
            pq.write_table(pa.table({}), dest)
        return
    if csv:
        # Azure's append_row file: no header, values as they are
        options = pacsv.WriteOptions(include_header=True) if header else pacsv.WriteOptions(include_header=False, quoting_style="none")
        writer = pacsv.CSVWriter(str(dest), schema, write_options=options)
    else:
        writer = pq.ParquetWriter(dest, schema, compression="snappy")
    try:
        for p in parts:
            table = pq.read_table(p)
            if table.schema != schema:
                table = table.select(schema.names).cast(schema)
            writer.write_table(table)
    finally:
        writer.close()


class TableSink(Sink):
    """Rows and the ledger entry of a mini-batch commit together: a crash writes both or neither."""

    def __init__(self, url: str, table: str, fingerprint: str, job_id: str):
        from sqlalchemy import create_engine, event

        self.engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            # The job reads and writes the same file in the common case; WAL lets the streaming
            # read and the writes overlap instead of locking each other out.
            event.listen(self.engine, "connect", _sqlite_wal)
        self.table, self.fingerprint, self.job_id = table, fingerprint, job_id
        self.description = f"{table} in {_redact(url)}"
        self._columns: dict[str, Any] | None = None  # the output table's column types, once it exists
        self._ensure_schema()
        self._ensure_ledger()

    def _ensure_schema(self) -> None:
        """`analytics.predictions`: the table is created when missing, and so is its schema
        (PostgreSQL; in SQLite a schema is an attached database, which a URL cannot attach)."""
        from sqlalchemy import inspect
        from sqlalchemy.schema import CreateSchema

        schema = self.table.rpartition(".")[0]
        if not schema or self.engine.dialect.name == "sqlite" or inspect(self.engine).has_schema(schema):
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(CreateSchema(schema, if_not_exists=True))
        except Exception as exc:  # noqa: BLE001 - the driver's own error says why (permissions...)
            raise SystemExit(f"output.table {self.table!r}: schema {schema!r} does not exist in {_redact(str(self.engine.url))} "
                             f"and could not be created: {str(exc).splitlines()[0]}") from None

    def _ensure_ledger(self) -> None:
        from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

        md = MetaData()
        self.ledger = Table(
            LEDGER, md,
            Column("fingerprint", String(32), primary_key=True),
            Column("output_table", String(256), primary_key=True),
            Column("mini_batch", Integer, primary_key=True),
            Column("rows", Integer, nullable=False),
            Column("job_id", String(64)),
            Column("written_at", DateTime),
        )
        md.create_all(self.engine, checkfirst=True)

    def done(self) -> set[int]:
        from sqlalchemy import select

        with self.engine.connect() as conn:
            q = select(self.ledger.c.mini_batch).where(
                self.ledger.c.fingerprint == self.fingerprint, self.ledger.c.output_table == self.table
            )
            return set(conn.scalars(q))

    def write(self, index: int, table: pa.Table) -> None:
        from ..timeutil import utcnow

        table, types = _sql_ready(table, self.engine.dialect.name)
        df = table.to_pandas()
        schema, _, name = self.table.rpartition(".")
        with self.engine.begin() as conn:
            if self._columns is None:
                self._columns = self._existing_columns(conn, name, schema or None)
            # Into an existing table, values bind as its columns' types: pandas would bind an
            # all-NULL column of this mini-batch as text, which PostgreSQL refuses for a number column.
            dtype = {**types, **{c: t for c, t in (self._columns or {}).items() if c in df.columns}}
            df.to_sql(name, conn, schema=schema or None, if_exists="append", index=False, chunksize=5000, dtype=dtype or None)
            conn.execute(self.ledger.insert().values(
                fingerprint=self.fingerprint, output_table=self.table, mini_batch=index,
                rows=len(df), job_id=self.job_id, written_at=utcnow(),
            ))

    @staticmethod
    def _existing_columns(conn, name: str, schema: str | None) -> dict[str, Any] | None:
        """The output table's column types, or None while it does not exist (the first write creates it)."""
        from sqlalchemy import inspect
        from sqlalchemy.types import JSON

        insp = inspect(conn)
        if not insp.has_table(name, schema=schema):
            return None
        # (JSON columns keep pandas' binding: their own would encode our JSON text a second time)
        return {c["name"]: c["type"] for c in insp.get_columns(name, schema=schema) if not isinstance(c["type"], JSON)}

    def close(self) -> None:
        self.engine.dispose()


def _sql_ready(table: pa.Table, dialect: str) -> tuple[pa.Table, dict[str, Any]]:
    """The mini-batch as pandas' to_sql can write it to any database, and the SQL types of the
    columns pandas would guess wrong when it creates the table.

    Lists and structs (a PostgreSQL array or jsonb passed through, per-class scores) become JSON
    text: every database stores that, and no driver adapts the numpy arrays pandas makes. Decimals
    (`numeric`) stay NUMERIC instead of TEXT (unconstrained where the database has that: the
    first mini-batch's precision may be too small for the next). Durations become seconds (pandas
    would write nanoseconds, and a NULL as the smallest integer).
    """
    import json

    import pyarrow.compute as pc
    from sqlalchemy import Numeric

    types: dict[str, Any] = {}
    for i, f in enumerate(table.schema):
        if pa.types.is_nested(f.type):
            values = [None if v is None else json.dumps(v, default=str) for v in table.column(i).to_pylist()]
            table = table.set_column(i, f.name, pa.array(values, pa.string()))
        elif pa.types.is_decimal(f.type):
            types[f.name] = Numeric() if dialect in ("postgresql", "sqlite") else Numeric(38, f.type.scale)
        elif pa.types.is_duration(f.type):
            per_second = {"s": 1, "ms": 1e3, "us": 1e6, "ns": 1e9}[f.type.unit]
            seconds = pc.divide(table.column(i).cast(pa.int64()).cast(pa.float64()), per_second)
            table = table.set_column(i, f.name, seconds)
    return table, types


def _sqlite_wal(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=60000")
    try:
        cur.execute("PRAGMA journal_mode=WAL")
    except Exception:  # another connection holds it; the busy timeout still helps
        pass
    cur.close()


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def open_sink(plan: dict[str, Any]) -> Sink:
    out = plan.get("output")
    if plan.get("output_action") == "summary_only" or not out:
        return Sink()
    if out.get("path"):
        return FileSink(out["path"], plan["fingerprint"], header=plan.get("output_format") != "azure")
    return TableSink(out["url"], out["table"], plan["fingerprint"], os.environ.get("MLSERVICE_JOB_ID", ""))
