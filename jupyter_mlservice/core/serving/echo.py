"""Error answers that never echo the request back.

MLflow's scoring errors quote what they could not read ("could not convert string to float:
'<value>'", "Input: b'<the whole body>'", a repr of the DataFrame), so a 10 MB request could come
back as a 20 MB error holding the caller's data. Every error reply of an endpoint goes through
``without_echo``: each word of a message (a run of 4+ characters between spaces, quotes and
punctuation) that also occurs in the request body becomes ``…``, and messages are cut to
MAX_MESSAGE characters. What was wrong stays readable ("Failed to convert column a to type
'float64'"); the details are in the deployment's log (tracebacks included). Past
SCANNED_BODY_BYTES the body is not searched: the message keeps only its wording up to the first
quote or colon.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from .scorers.base import Reply

MAX_MESSAGE = 1000
SCANNED_BODY_BYTES = 256 * 1024
MIN_ECHO = 4
_WORD = re.compile(r"[^\s'\"`,:;()\[\]{}<>=\\|]+")


def without_echo(reply: Reply, body: bytes) -> Reply:
    """``reply`` itself when it is not an error; else the same error, with echoes removed."""
    if reply.status < 400:
        return reply
    try:
        data = orjson.loads(reply.body)
    except orjson.JSONDecodeError:
        data = {"message": reply.body.decode("utf-8", "replace")}
    if not isinstance(data, dict):
        data = {"message": str(data)}
    clean = {k: _clean(v, body) if isinstance(v, str) else v for k, v in data.items() if _scalar(v)}
    if not clean.get("message"):
        clean["message"] = "the request failed; the deployment's log has the details"
    return Reply(reply.status, orjson.dumps(clean), b"application/json")


def _clean(text: str, body: bytes) -> str:
    text = text[: MAX_MESSAGE * 4]
    if len(body) > SCANNED_BODY_BYTES:
        head = re.split(r"['\"`:\n]", text, maxsplit=1)[0].strip()
        return (head + " (the deployment's log has the details)").strip() if len(head) < len(text) else head
    text = _WORD.sub(lambda m: "…" if len(m.group(0)) >= MIN_ECHO and _in_body(m.group(0), body) else m.group(0), text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"


def _in_body(word: str, body: bytes) -> bool:
    raw = word.encode("utf-8", "replace")
    return raw in body or orjson.dumps(word)[1:-1] in body


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None
