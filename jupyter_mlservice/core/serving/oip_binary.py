"""The Open Inference Protocol's binary tensor data extension (what Triton's and KServe's HTTP
clients send and ask for by default).

A request body is a JSON header of ``Inference-Header-Content-Length`` bytes followed by the raw
bytes of every input whose ``parameters.binary_data_size`` is set, in order. Outputs come back the
same way when the request asks for them (``parameters.binary_data_output``, or an output's
``parameters.binary_data``). Numbers are little-endian; a BYTES element is a 4-byte little-endian
length followed by its bytes.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import orjson

HEADER = b"inference-header-content-length"
_DTYPES = {
    "BOOL": "?", "UINT8": "<u1", "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8", "INT8": "<i1", "INT16": "<i2",
    "INT32": "<i4", "INT64": "<i8", "FP16": "<f2", "FP32": "<f4", "FP64": "<f8",
}  # fmt: skip


def header_length(headers) -> int | None:
    for name, value in headers:
        if name == HEADER:
            return int(value)
    return None


def decode_request(body: bytes, length: int) -> dict[str, Any]:
    """JSON header + binary inputs -> the same request with every input's ``data`` filled in."""
    if not 0 <= length <= len(body):
        raise ValueError(f"Inference-Header-Content-Length {length} is outside the body ({len(body)} bytes)")
    request = orjson.loads(body[:length])
    offset = length
    for item in request.get("inputs") or []:
        size = (item.get("parameters") or {}).get("binary_data_size")
        if size is None:
            continue
        raw = body[offset:offset + int(size)]
        if len(raw) != int(size):
            raise ValueError(f"input {item.get('name')!r}: binary_data_size {size} runs past the end of the body")
        offset += int(size)
        item["data"] = _from_bytes(raw, item["datatype"])
    return request


def _from_bytes(raw: bytes, datatype: str) -> list:
    if datatype == "BYTES":
        out, i = [], 0
        while i < len(raw):
            (n,) = struct.unpack_from("<I", raw, i)
            out.append(raw[i + 4:i + 4 + n].decode("utf-8", "replace"))
            i += 4 + n
        return out
    if datatype not in _DTYPES:
        raise ValueError(f"unknown datatype {datatype!r}")
    return np.frombuffer(raw, dtype=_DTYPES[datatype]).tolist()


def wanted_binary(request: dict[str, Any]) -> set[str] | bool:
    """True: every output in binary; a set: those outputs; False: JSON as usual."""
    if (request.get("parameters") or {}).get("binary_data_output"):
        return True
    names = {o.get("name") for o in request.get("outputs") or [] if (o.get("parameters") or {}).get("binary_data")}
    return names or False


def encode_reply(reply_json: bytes, binary: set[str] | bool, requested: list[str] | None) -> tuple[bytes, int]:
    """A JSON infer reply -> JSON header + binary outputs; returns (body, header length)."""
    reply = orjson.loads(reply_json)
    if requested:
        reply["outputs"] = [o for o in reply["outputs"] if o["name"] in requested]
    blobs = []
    for out in reply["outputs"]:
        if binary is True or out["name"] in binary:
            raw = _to_bytes(out.pop("data"), out["datatype"])
            out.setdefault("parameters", {})["binary_data_size"] = len(raw)
            blobs.append(raw)
    header = orjson.dumps(reply)
    return header + b"".join(blobs), len(header)


def _to_bytes(data: list, datatype: str) -> bytes:
    if datatype == "BYTES":
        parts = []
        for value in data:
            value = value if isinstance(value, bytes) else str(value).encode()
            parts.append(struct.pack("<I", len(value)) + value)
        return b"".join(parts)
    return np.asarray(data, dtype=_DTYPES[datatype]).tobytes()
