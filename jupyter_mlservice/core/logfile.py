"""Reading a growing log file from a byte offset, as the logs routes do."""

from __future__ import annotations

from pathlib import Path

MAX_CHUNK = 1 << 20


def read_from(path: Path, offset: int, limit: int = MAX_CHUNK) -> tuple[str, int, int]:
    """-> (text, next offset, file size). Never splits a UTF-8 character across two reads."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(min(offset, size))
            data = _whole_utf8(f.read(limit))
    except FileNotFoundError:
        return "", offset, 0
    return data.decode("utf-8", errors="replace"), min(offset, size) + len(data), size


def _whole_utf8(data: bytes) -> bytes:
    """Drop a trailing partial UTF-8 character; the next read starts with it."""
    for i in range(1, min(4, len(data)) + 1):
        b = data[-i]
        if b & 0b1100_0000 == 0b1000_0000:  # continuation byte
            continue
        if b & 0b1000_0000 == 0:  # ascii
            return data
        need = 2 if b >> 5 == 0b110 else 3 if b >> 4 == 0b1110 else 4
        return data if i >= need else data[:-i]
    return data
