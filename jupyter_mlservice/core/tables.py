"""The declarative base of the workspace store. Each area keeps its tables in its own folder
(`core/jobs/tables.py`, `core/schedules/tables.py`, ...); rows hold desired and observed state."""

from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def load_all() -> None:
    """Import every area's tables so ``Base.metadata`` knows them all (Alembic, tests)."""
    import importlib
    import pkgutil

    import jupyter_mlservice.core as core

    for info in pkgutil.iter_modules(core.__path__):
        if info.ispkg:
            try:
                importlib.import_module(f"{core.__name__}.{info.name}.tables")
            except ModuleNotFoundError as exc:
                if exc.name != f"{core.__name__}.{info.name}.tables":
                    raise
