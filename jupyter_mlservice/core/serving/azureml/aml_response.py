"""``AMLResponse``: what a raw-HTTP scoring script returns for a status code, headers or bytes of its own."""

from __future__ import annotations

import json
from typing import Any


class AMLResponse:
    """``AMLResponse(message, status_code, response_headers=None, json_str=False)``, as in Azure ML."""

    def __init__(self, message: Any, status_code: int = 200, response_headers: dict | None = None, json_str: bool = False):
        self.status_code = int(status_code)
        self.headers = dict(response_headers or {})
        if json_str:
            body, ctype = json.dumps(message).encode(), "application/json"
        elif isinstance(message, (bytes, bytearray)):
            body, ctype = bytes(message), "application/octet-stream"
        else:
            body, ctype = str(message).encode(), "text/html; charset=utf-8"
        self.data = body
        self.content_type = next((v for k, v in self.headers.items() if k.lower() == "content-type"), ctype)

    def get_data(self, as_text: bool = False):
        return self.data.decode("utf-8", "replace") if as_text else self.data
