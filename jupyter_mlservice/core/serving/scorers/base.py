"""What every scorer shares: the `Reply` a scoring call returns, JSON encoding of whatever a model
or a script gives back, and the `Scorer` base the protocols plug into.

Every scorer method runs on a worker's scoring thread, never on the event loop. A method returns
a :class:`Reply` for anything the caller should see (including 4xx for bad input) and raises only
for bugs of ours.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

import orjson

from ..config import DeploymentConfig

JSON = b"application/json"
TEXT = b"text/plain; charset=utf-8"


class Reply(NamedTuple):
    status: int
    body: bytes
    content_type: bytes = JSON
    headers: tuple = ()  # extra (name, value) byte pairs, e.g. a raw-HTTP script's own


def error(status: int, message: str, **extra: Any) -> Reply:
    return Reply(status, orjson.dumps({"message": without_paths(message), **extra}))


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s'\"():,/]+/)+([^\s'\"():,/]*)")


def without_paths(message: str) -> str:
    """No answer names an absolute server path: ``/srv/x/.mlservice/model/model.pkl`` -> ``model.pkl``."""
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or ".", message) if "/" in message else message


def dumps(value: Any) -> bytes:
    """JSON for whatever a model or a script returns (numpy and pandas included)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError:
        from mlflow.pyfunc.scoring_server import NumpyEncoder, _get_jsonable_obj

        return json.dumps(_get_jsonable_obj(value, pandas_orient="records"), cls=NumpyEncoder).encode()


def is_json(content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime == "application/json" or mime.endswith("+json")


class Scorer:
    """One deployment's model or script, loaded in a worker. ``kind`` names the contract."""

    kind = ""

    def __init__(self, config: DeploymentConfig):
        self.config = config

    def swagger_schemas(self) -> tuple[dict, dict]:
        """JSON schemas of a request body and of its answer, for the swagger document."""
        return {"type": "object"}, {"type": "object"}

    def swagger_versions(self) -> list[str]:
        """The swagger versions its schemas can be written in (2, 3, 3.1)."""
        return ["2", "3", "3.1"]

    def user_swagger(self, version: str) -> dict | None:
        """A swagger document the deployment ships itself, which then wins over the generated one."""
        return None
