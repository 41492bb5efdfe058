"""Table assets: a query on a SQLAlchemy URL, checked at registration and materialised to Parquet
in streamed chunks (a snapshot version once, a live version at every use)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import InvalidRequest
from .formats import describe_schema

CHUNK_ROWS = 50_000


def query_for(url: str, sql: str | None, table: str | None) -> str:
    if sql:
        return sql.strip().rstrip(";")
    engine = _engine(url)
    try:
        prep = engine.dialect.identifier_preparer
        return "SELECT * FROM " + ".".join(prep.quote(part) for part in table.split("."))
    finally:
        engine.dispose()


def _engine(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        return create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise InvalidRequest(f"url is not a usable SQLAlchemy URL ({exc}); e.g. sqlite:///warehouse.db or postgresql+psycopg://user@host/db") from None


def _refusal(exc: Exception) -> str:
    detail = str(getattr(exc, "orig", None) or exc).strip()
    return detail.splitlines()[0] if detail else type(exc).__name__


def check_query(url: str, query: str) -> list[str]:
    """The query's column names, or the database's own words for why it refuses it."""
    from sqlalchemy import text

    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(f"SELECT * FROM ({query}) AS mlservice_q WHERE 1 = 0")).keys())
    except InvalidRequest:
        raise
    except Exception as exc:  # noqa: BLE001 - any driver's error
        raise InvalidRequest(f"the database refused the query: {_refusal(exc)}") from None
    finally:
        engine.dispose()


def materialize(url: str, query: str, dest: Path) -> dict[str, Any]:
    """Stream the query's rows into ``dest`` (one Parquet file). Returns rows and columns.

    A column that is NULL in a whole first chunk gets its type from a later one: such a change
    starts a new part, and the parts are merged into one file with the unified schema at the end.
    """
    import pyarrow.parquet as pq
    from sqlalchemy import text

    from ..batch.sources import _records_to_table

    from sqlalchemy.exc import DBAPIError

    engine = _engine(url)
    parts: list[Path] = []
    writer = None
    schema = None
    rows = 0
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(text(query))
            columns = list(result.keys())
            for chunk in result.partitions(CHUNK_ROWS):
                table = _records_to_table(chunk, columns)
                if writer is not None:
                    try:
                        table = table.cast(schema)
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                        writer.close()
                        writer = None
                        schema = pa.unify_schemas([schema, table.schema], promote_options="permissive")
                        table = table.cast(schema)
                if writer is None:
                    schema = schema or table.schema
                    part = dest.with_name(f"{dest.name}.part{len(parts)}")
                    parts.append(part)
                    writer = pq.ParquetWriter(part, schema)
                writer.write_table(table)
                rows += table.num_rows
            if writer is None:  # no rows: an empty file with the query's columns
                schema = pa.schema([(c, pa.null()) for c in columns])
                part = dest.with_name(f"{dest.name}.part0")
                parts.append(part)
                writer = pq.ParquetWriter(part, schema)
            writer.close()
            writer = None
    except DBAPIError as exc:  # refused, or failed on a row while streaming
        raise InvalidRequest(f"the database refused the query: {_refusal(exc)}") from None
    finally:
        if writer is not None:
            writer.close()
        engine.dispose()
    _merge(parts, schema, dest)
    return {"rows": rows, "columns": describe_schema(schema)}


def _merge(parts: list[Path], schema: pa.Schema, dest: Path) -> None:
    import pyarrow.parquet as pq

    if len(parts) == 1:
        os.replace(parts[0], dest)
        return
    with pq.ParquetWriter(dest, schema) as writer:
        for part in parts:
            pf = pq.ParquetFile(part)
            for rg in range(pf.num_row_groups):
                writer.write_table(pf.read_row_group(rg).cast(schema))
            pf.close()
            part.unlink()


def redact(url: str | None) -> str | None:
    if not url:
        return url
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy parses: show nothing of it
        return "(unparseable URL)"
