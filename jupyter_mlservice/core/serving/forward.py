"""Deployments in another environment than the worker that accepted the request.

A worker process runs one interpreter, so an endpoint whose deployments use different
environments runs one group of workers per environment (see ``EndpointConfig.groups``). The first
group accepts on the endpoint's port; every other group listens on a Unix socket of its own, and a
request routed to one of its deployments is passed on there, as is, over a kept-alive connection.
An endpoint whose deployments share one environment (the usual case) has a single group and no
extra hop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from .scorers import Reply, error

FORWARDED = b"mlservice-forwarded"
# set again by the worker that answers the client
_ANSWER_HEADERS = {b"mlservice-deployment", b"azureml-model-deployment", b"x-request-id", b"date", b"server"}
_SKIP = {b"host", b"content-length", b"connection", b"transfer-encoding", b"mlservice-deployment",
         b"azureml-model-deployment", FORWARDED}


def group_socket(state_dir: Path, generation: int, group: int) -> Path:
    return state_dir / "sockets" / f"g{generation}-{group}.sock"


class RemoteDeployment:
    """Stands in a worker for a deployment hosted by another group: routes to it, never scores."""

    remote = True
    scorer = None
    batcher = None
    tensor_input = None  # dynamic batching and collection happen where it is hosted
    tensor_batcher = None
    collector = None

    def __init__(self, config, socket_path: Path):
        self.config = config
        self.name = config.name
        self.settings = config.request_settings
        self.state, self.reason = "Healthy", None
        self.header = [(b"mlservice-deployment", self.name.encode()), (b"azureml-model-deployment", self.name.encode())]
        self.forwarder = Forwarder(socket_path, config.request_settings.request_timeout_ms / 1000)

    def load(self, output) -> None:  # hosted elsewhere
        pass


class Forwarder:
    def __init__(self, path: Path, timeout_s: float):
        self.path = str(path)
        self.timeout_s = timeout_s + 1.0
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def forward(self, deployment: str, method: str, target: str, headers, body: bytes) -> Reply:
        head = [f"{method} {target} HTTP/1.1\r\nhost: mlservice\r\n".encode()]
        for name, value in headers:
            if name not in _SKIP:
                head.append(name + b": " + value + b"\r\n")
        head.append(b"mlservice-deployment: " + deployment.encode() + b"\r\n" + FORWARDED + b": 1\r\n")
        head.append(b"content-length: %d\r\n\r\n" % len(body))
        request = b"".join(head) + body
        for attempt in (0, 1):
            pooled = bool(self.idle) and attempt == 0
            try:
                reader, writer = self.idle.pop() if pooled else await asyncio.open_unix_connection(self.path)
            except OSError as exc:
                return error(503, f"deployment {deployment!r} is not reachable: {exc}")
            try:
                writer.write(request)
                reply, keep = await asyncio.wait_for(self._response(reader), self.timeout_s)
            except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
                writer.close()
                if pooled:
                    continue  # the kept connection was closed by the other side meanwhile: once more
                return error(502, f"deployment {deployment!r} closed the connection: {exc}")
            except TimeoutError:
                writer.close()
                return error(504, f"deployment {deployment!r} did not answer in time")
            if keep:
                self.idle.append((reader, writer))
            else:
                writer.close()
            return reply
        return error(502, f"deployment {deployment!r} is not reachable")

    @staticmethod
    async def _response(reader: asyncio.StreamReader) -> tuple[Reply, bool]:
        status_line = await reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, ctype, keep, extra = 0, b"application/json", True, []
        while True:
            line = await reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            if name == b"content-length":
                length = int(value)
            elif name == b"content-type":
                ctype = value
            elif name == b"connection":
                keep = value.lower() != b"close"
            elif name not in _ANSWER_HEADERS:  # a script's own headers travel back
                extra.append((name, value))
        body = await reader.readexactly(length) if length else b""
        return Reply(status, body, ctype, tuple(extra)), keep
