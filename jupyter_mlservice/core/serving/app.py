"""The scoring app one worker process runs: a bare ASGI callable (no framework on the hot path).

Every worker hosts all deployments of its endpoint, so a request is routed (traffic weights,
mirror, ``mlservice-deployment`` header) and scored in the process that accepted it: no proxy hop.
Scoring runs on one scoring thread per worker, which takes everything queued since its last
round, merges MLflow fast-path requests for the same deployment into one ``predict`` call, and
hands the results back to the event loop in one wake-up.
"""

from __future__ import annotations

import asyncio
import hmac
import queue
import random
import struct
import sys
import threading
import time
import traceback
import uuid
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import orjson

from . import oip_binary
from .batching import Batcher, Failed, TensorInput
from .config import EndpointConfig
from .echo import without_echo
from .metrics import Metrics
from .scorers import (
    TEXT, MLflowScorer, Reply, ScriptScorer, apply_env, error, is_json, load_scorer, oip_reply, predictions_reply, restore_env,
)

INLINE_JSON_BYTES = 64 * 1024  # bigger bodies are parsed on the scoring thread, not the event loop
BATCHED_JSON_BYTES = 4 * 1024 * 1024  # tensor bodies up to this are parsed on the loop to join a batch
UNROUTED = ""  # metrics label for requests answered before a deployment was chosen
# A request targets one deployment with our header or Azure's.
TARGET_HEADERS = (b"mlservice-deployment", b"azureml-model-deployment")


class Deployment:
    """One deployment inside a worker: its scorer (or why it has none) and its request limits."""

    def __init__(self, config, log_path: Path, device: str | None = None):
        self.config = config
        self.name = config.name
        self.settings = config.request_settings
        self.env = {**config.environment_variables}
        if device:  # its GPU among the worker's CUDA_VISIBLE_DEVICES: MLflow's PyTorch flavor predicts there
            self.env.setdefault("MLFLOW_DEFAULT_PREDICTION_DEVICE", device)
            self.env.setdefault("MLSERVICE_DEVICE", device)
        if config.scoring_script:
            self.env.setdefault("AZUREML_MODEL_DIR", str(Path(config.azureml_model_dir or config.model_path).resolve()))
            self.env.setdefault("AZUREML_ENTRY_SCRIPT", str(config.script_path()))
            if config.code_dir:
                self.env.setdefault("AML_APP_ROOT", str(Path(config.code_dir).resolve()))
        self.log = open(log_path, "a", buffering=1, encoding="utf-8")
        self.scorer: MLflowScorer | ScriptScorer | None = None
        self.batcher: InlineBatcher | None = None
        self.tensor_input: TensorInput | None = None  # with batching: the tensor requests are parsed into
        self.tensor_batcher: Batcher | None = None  # made at startup, once the scoring thread runs
        self.state = "Creating"
        self.reason: str | None = None
        self.inflight = 0
        self.waiters: list[asyncio.Future] = []
        self.timeout_s = self.settings.request_timeout_ms / 1000
        self.queue_wait_s = self.settings.max_queue_wait_ms / 1000
        # who answered, under our name and Azure's
        self.header = [(b"mlservice-deployment", self.name.encode()), (b"azureml-model-deployment", self.name.encode())]
        self.collector = None  # records answered requests (monitoring), when the config asks

    def load(self, output: OutputRouter) -> None:
        previous = apply_env(self.env)
        output.current = self.log
        try:
            self.scorer = load_scorer(self.config)
            _apply_threads(self.env, self.scorer)
            if isinstance(self.scorer, MLflowScorer) and self.config.batching is not None:
                self.tensor_input = TensorInput.of(self.scorer.model)
            if isinstance(self.scorer, MLflowScorer) and self.scorer.fast is not None:
                self.batcher = InlineBatcher(self)
                try:
                    self.batcher.observe(self.scorer.warm_up())
                except Exception:  # noqa: BLE001 - zeros may be invalid input: score on the thread
                    self.batcher.observe(1.0)
            self.state, self.reason = "Healthy", None
            if self.config.collect is not None:
                self.collector = _collector(self.config, self.scorer)
        except BaseException as exc:  # noqa: BLE001 - a script may raise anything, even SystemExit
            traceback.print_exc()
            self.state = "Failed"
            self.reason = f"{type(exc).__name__}: {exc}"
        finally:
            output.current = None
            restore_env(previous)


def _collector(config, scorer):
    from ..monitoring.collection import Collector

    c = config.collect
    names = None
    if isinstance(scorer, MLflowScorer):
        if scorer.fast is not None:
            names = list(scorer.fast.names)
        elif scorer.input_schema is not None and not scorer.input_schema.is_tensor_spec():
            names = [s.name for s in scorer.input_schema.inputs if s.name]
    return Collector(Path(c.folder), config.name, inputs=c.inputs, outputs=c.outputs, sample_rate=c.sample_rate, input_names=names)


class OutputRouter:
    """sys.stdout/stderr stand-in: what scoring code prints goes to its deployment's log file."""

    def __init__(self, fallback):
        self.fallback = fallback
        self._local = threading.local()

    @property
    def current(self):
        return getattr(self._local, "current", None)

    @current.setter
    def current(self, log) -> None:
        self._local.current = log  # per thread: the event loop's own output stays in the endpoint log

    def write(self, text: str) -> int:
        return (self.current or self.fallback).write(text)

    def flush(self) -> None:
        (self.current or self.fallback).flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fallback, name)


class ScoringThread:
    """Runs scoring work off the event loop, in rounds; see the module docstring."""

    def __init__(self, loop: asyncio.AbstractEventLoop, output: OutputRouter):
        self.loop = loop
        self.output = output
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.env_owner: Deployment | None = None
        self.env_restore: dict[str, str | None] = {}
        self.thread = threading.Thread(target=self._main, name="scoring", daemon=True)
        self.thread.start()

    def submit(self, deployment: Deployment, kind: str, payload: Any) -> asyncio.Future:
        future = self.loop.create_future()
        self.queue.put((future, deployment, kind, payload))
        return future

    def _main(self) -> None:
        get, get_nowait = self.queue.get, self.queue.get_nowait
        while True:
            items = [get()]
            try:
                while True:
                    items.append(get_nowait())
            except queue.Empty:
                pass
            results = []
            try:
                self._round(items, results)
            except BaseException:  # noqa: BLE001 - never let the scoring thread die
                traceback.print_exc()
                done = {id(f) for f, _ in results}
                results += [(f, error(500, "internal error while scoring")) for f, *_ in items if id(f) not in done]
            self.loop.call_soon_threadsafe(_deliver, results)

    def _enter(self, deployment: Deployment) -> None:
        if self.env_owner is not deployment:
            restore_env(self.env_restore)
            self.env_restore = apply_env(deployment.env) if deployment.env else {}
            self.env_owner = deployment
        self.output.current = deployment.log

    def _round(self, items: list, results: list) -> None:
        batches: dict[int, list] = {}
        for item in items:
            future, deployment, kind, payload = item
            if future.done():  # timed out while queued: skip the work
                continue
            if kind == "rows":
                batches.setdefault(id(deployment), []).append(item)
                continue
            self._enter(deployment)
            results.append((future, self._call(deployment, kind, payload)))
        for group in batches.values():
            self._predict_rows(group, results)
        self.output.current = None

    def _call(self, deployment: Deployment, kind: str, payload: Any) -> Reply:
        scorer = deployment.scorer
        try:
            if kind == "invocations":
                return scorer.invocations(*payload)
            if kind == "score":
                return scorer.score(*payload)
            if kind == "oip":
                return scorer.oip_infer(*payload)
            if kind == "call":  # a dynamic batch: the batcher handles its own errors
                return payload()
            if kind == "json":  # a big MLflow body: parse here, then fast path or MLflow's own path
                body, content_type = payload
                rows = _fast_rows(scorer, body)
                if rows is None:
                    return scorer.invocations(body, content_type)
                return _predictions(scorer.predict_rows(rows))
        except RecursionError:  # MLflow's and the script contract's json.loads on hostile nesting
            return error(400, "request body nests arrays/objects too deeply")
        except Exception as exc:
            traceback.print_exc()
            return error(500, f"{type(exc).__name__}: {exc}")
        raise AssertionError(kind)

    def _predict_rows(self, group: list, results: list) -> None:
        deployment = group[0][1]
        self._enter(deployment)
        limit = deployment.settings.max_batch_size
        start = 0
        while start < len(group):
            chunk, rows = [], 0
            while start < len(group) and (not chunk or rows + len(group[start][3]) <= limit):
                chunk.append(group[start])
                rows += len(group[start][3])
                start += 1
            t0 = time.perf_counter()
            _predict_chunk(deployment, chunk, results)
            batcher = deployment.batcher
            if batcher is not None:
                batcher.observe(time.perf_counter() - t0)  # a float store: safe from this thread


def _predict_chunk(deployment: Deployment, chunk: list, results: list) -> None:
    """One predict call for every request in ``chunk``; a failing batch is retried request by request."""
    try:
        if len(chunk) == 1:
            outputs = [deployment.scorer.predict_rows(chunk[0][3])]
        else:
            merged = deployment.scorer.predict_rows(np.concatenate([c[3] for c in chunk]))
            outputs = np.split(merged, np.cumsum([len(c[3]) for c in chunk])[:-1])
        for (future, *_), out in zip(chunk, outputs):
            results.append((future, _predictions(out)))
    except Exception:
        if len(chunk) > 1:  # find the request that breaks the batch; the others still succeed
            for item in chunk:
                _predict_chunk(deployment, [item], results)
        else:
            traceback.print_exc()
            results.append((chunk[0][0], _predict_failed(deployment, chunk[0][3])))


def _batch_failed(failed: Failed) -> Reply:
    """A request of a dynamic batch that the model could not score alone (same words as MLflow's)."""
    return Reply(400, orjson.dumps({
        "error_code": "BAD_REQUEST",
        "message": f"Encountered an unexpected error while evaluating the model ({type(failed.error).__name__}: "
                   f"{failed.error}). Verify that the input is compatible with the model for inference.",
        "stack_trace": failed.trace,
    }))  # fmt: skip


def _apply_threads(env: dict[str, str], scorer) -> None:
    """A deployment's OMP_NUM_THREADS also sets torch's intra-op threads (they are per process)
    and, for an ONNX model, onnxruntime's (which reads no variable; its idle threads would spin)."""
    threads = env.get("OMP_NUM_THREADS", "")
    if not (threads.isdigit() and int(threads) > 0):
        return
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(threads))
    session = getattr(getattr(getattr(scorer, "model", None), "_model_impl", None), "rt", None)  # mlflow.onnx's session
    if session is not None and "onnxruntime" in sys.modules and getattr(session, "_model_path", None):
        ort = sys.modules["onnxruntime"]
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        scorer.model._model_impl.rt = ort.InferenceSession(session._model_path, options, providers=session.get_providers())


def _predict_failed(deployment: Deployment, rows: np.ndarray) -> Reply:
    """Same wording and status MLflow's scoring server uses when predict raises."""
    return Reply(
        400,
        orjson.dumps(
            {
                "error_code": "BAD_REQUEST",
                "message": "Encountered an unexpected error while evaluating the model. Verify that the "
                "serialized input Dataframe is compatible with the model for inference.",
                "stack_trace": traceback.format_exc(),
            }
        ),
    )


def _fast_rows(scorer: MLflowScorer, body: bytes) -> np.ndarray | None:
    if scorer.fast is None:
        return None
    try:
        return scorer.fast.rows(orjson.loads(body))
    except orjson.JSONDecodeError:
        return None  # MLflow's own parser decides (it accepts NaN, for one) and words the error


def _predictions(output: Any) -> Reply:
    if isinstance(output, np.ndarray):
        output = output.tolist()
    return Reply(200, b'{"predictions": ' + orjson.dumps(output, option=orjson.OPT_SERIALIZE_NUMPY) + b"}")


def _deliver(results: list) -> None:
    for future, reply in results:
        if not future.done():
            future.set_result(reply)


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


class InlineBatcher:
    """Micro-batches fast-path requests of one deployment on the event loop itself.

    Used only while that deployment's predict is measured to be tiny (well under a millisecond,
    like a linear model on a few rows): then a predict costs less than the two thread wake-ups a
    hand-off to the scoring thread needs, and on a busy machine those wake-ups dominate latency.
    Requests that arrive in the same loop iteration share one predict call. A slower model goes
    back to the scoring thread automatically.
    """

    INLINE_PREDICT_S = 0.0005

    def __init__(self, deployment: Deployment):
        self.deployment = deployment
        self.pending: list[tuple[asyncio.Future, np.ndarray]] = []
        self.cost = 0.0  # moving average of one predict call, seconds

    @property
    def inline(self) -> bool:
        return self.cost < self.INLINE_PREDICT_S

    def submit(self, loop: asyncio.AbstractEventLoop, rows: np.ndarray) -> asyncio.Future:
        future = loop.create_future()
        if not self.pending:
            loop.call_soon(self.flush)  # runs after the requests already ready in this iteration
        self.pending.append((future, rows))
        return future

    def flush(self) -> None:
        items, self.pending = self.pending, []
        results: list = []
        limit = self.deployment.settings.max_batch_size
        for start in range(0, len(items), limit):
            chunk = items[start : start + limit]
            t0 = time.perf_counter()
            _predict_chunk(self.deployment, [(f, self.deployment, "rows", rows) for f, rows in chunk], results)
            self.observe(time.perf_counter() - t0)
        _deliver(results)

    def observe(self, seconds: float) -> None:
        self.cost = seconds if self.cost == 0.0 else 0.9 * self.cost + 0.1 * seconds


# --------------------------------------------------------------------------------------------


class ScoringApp:
    def __init__(self, config: EndpointConfig, deployments: dict[str, Deployment], metrics: Metrics):
        self.config = config
        self.deployments = deployments
        self.metrics = metrics
        self.scoring: ScoringThread | None = None
        self.draining = False
        self.set_routing(config)

    def set_routing(self, config: EndpointConfig) -> None:
        """Take the keys, traffic split and mirrors of ``config`` (same deployments) in place: a
        traffic or key change needs no new workers (supervisor.py, ``routing_only``)."""
        keys = [config.primary_key, config.secondary_key] if config.auth_mode == "key" else []
        live = [(n, w) for n, w in config.traffic.items() if w > 0]
        routes = [self.deployments[n] for n, _ in live]
        cumulative = list(np.cumsum([w for _, w in live]) / 100.0) if live else []
        mirrors = [(self.deployments[n], p / 100.0) for n, p in config.mirror_traffic.items() if p > 0]
        default = max(self.deployments.values(), key=lambda d: config.traffic.get(d.name, 0))
        # assigned together, between two requests (one event loop): no request sees half of it
        self.config, self.keys = config, [f"Bearer {k}".encode() for k in keys if k]
        self.routes, self.cumulative, self.mirrors, self.default = routes, cumulative, mirrors, default

    # ---- helpers
    async def _send(self, send, status: int, body: bytes, ctype: bytes = b"application/json", extra=()) -> None:
        headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode()), *extra]
        if self.draining:
            headers.append((b"connection", b"close"))  # clients reconnect to a worker that stays
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _authorized(self, headers) -> bool:
        if not self.keys:
            return True
        for name, value in headers:
            if name == b"authorization":
                return any(hmac.compare_digest(value, k) for k in self.keys)
        return False

    def _route(self, target: bytes | None) -> Deployment | Reply:
        if target is not None:
            deployment = self.deployments.get(target.decode("latin-1"))
            if deployment is None:
                names = ", ".join(self.deployments)
                return error(404, f"no deployment named {target.decode('latin-1')!r} in this endpoint ({names})")
            return deployment
        if not self.routes:
            return error(
                404, "no deployment receives traffic; set the endpoint's traffic or send a mlservice-deployment header"
            )
        if len(self.routes) == 1:
            return self.routes[0]
        x = random.random()
        for deployment, edge in zip(self.routes, self.cumulative):
            if x < edge:
                return deployment
        return self.routes[-1]

    async def _read_body(self, receive, headers) -> bytes | Reply:
        limit = self.config.max_request_bytes
        for name, value in headers:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                return error(413, f"request body is larger than the endpoint's limit of {limit} bytes")
        message = await receive()
        body = message.get("body", b"")
        if message.get("more_body"):
            chunks = [body]
            size = len(body)
            while message.get("more_body"):
                message = await receive()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    return error(413, f"request body is larger than the endpoint's limit of {limit} bytes")
                chunks.append(chunk)
            body = b"".join(chunks)
        return body

    async def _acquire(self, deployment: Deployment) -> bool:
        if deployment.inflight < deployment.settings.max_concurrent_requests:
            deployment.inflight += 1
            return True
        waiter = asyncio.get_running_loop().create_future()
        deployment.waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, deployment.queue_wait_s)
            return True  # the slot was handed over by _release
        except TimeoutError:
            if waiter in deployment.waiters:
                deployment.waiters.remove(waiter)
            return False

    def _release(self, deployment: Deployment) -> None:
        while deployment.waiters:
            waiter = deployment.waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)  # hand the slot over: inflight stays the same
                return
        deployment.inflight -= 1

    async def _score(self, deployment: Deployment, kind: str, payload: Any, arrival: Arrival | None = None) -> Reply:
        if deployment.scorer is None:
            return error(503, f"deployment {deployment.name!r} is {deployment.state}: {deployment.reason}")
        if not await self._acquire(deployment):
            return error(
                429,
                f"deployment {deployment.name!r} is busy: more than {deployment.settings.max_concurrent_requests} "
                f"requests in flight for {deployment.settings.max_queue_wait_ms} ms",
            )
        try:
            batcher = deployment.batcher
            if kind == "tensor":
                future = deployment.tensor_batcher.submit(payload[0])
            elif kind == "rows" and batcher is not None and batcher.inline:
                future = batcher.submit(asyncio.get_running_loop(), payload)
            else:
                future = self.scoring.submit(deployment, kind, payload)
            timer = asyncio.get_running_loop().call_later(deployment.timeout_s, _expire, future)
            reply = await future
            timer.cancel()
        finally:
            self._release(deployment)
        if reply is None:
            return error(504, f"request timed out after {deployment.settings.request_timeout_ms} ms")
        if kind == "tensor":  # this caller's rows of the batch's output -> its protocol's answer
            reply = _batch_failed(reply) if isinstance(reply, Failed) else payload[1](reply)
        collector = deployment.collector
        if collector is not None and reply.status == 200 and arrival is not None:
            latency = time.perf_counter() - arrival.started
            collector.offer(kind, payload, reply.body, time.time() - latency, latency, arrival.request_id)
        return reply

    def _mirror(self, kind: str, payload: Any, content_type: str, scope=None, headers=()) -> None:
        for deployment, share in self.mirrors:
            if random.random() >= share:
                continue
            if getattr(deployment, "remote", False):  # another environment's worker group
                started = time.perf_counter()
                task = asyncio.ensure_future(self._forward(deployment, scope, headers, payload))
                task.add_done_callback(partial(self._mirrored, deployment.name, started))
            elif deployment.scorer is not None:
                if isinstance(deployment.scorer, ScriptScorer):
                    task = ("score", (payload, content_type, []))
                else:
                    task = ("invocations", (payload, content_type))
                started = time.perf_counter()
                future = self.scoring.submit(deployment, *task)
                future.add_done_callback(partial(self._mirrored, deployment.name, started))

    def _mirrored(self, deployment: str, started: float, future) -> None:
        failed = not future.cancelled() and future.exception() is not None
        reply = None if future.cancelled() or failed else future.result()
        status = reply.status if reply is not None else (500 if failed else 504)
        self.metrics.observe(deployment, status, time.perf_counter() - started, mirror=True)

    # ---- ASGI
    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        method, path, headers = scope["method"], scope["path"], scope["headers"]
        request_id = _request_id(headers)
        arrival = Arrival(started, request_id[1].decode("latin-1")[:128])
        deployment_name = UNROUTED
        try:
            if (method == "POST" and (path == "/score" or path == "/invocations")) or (method == "GET" and path == "/score"):
                reply, deployment_name = await self._handle_score(receive, headers, scope, arrival)
            elif method == "GET" and path in ("/", "/ready", "/v2/health/live", "/v2/health/ready"):
                reply = self._probe(path)
            elif not self._authorized(headers):
                reply = error(401, "missing or wrong key: send 'Authorization: Bearer <key>'")
            elif path.startswith("/v2"):
                reply, deployment_name = await self._handle_v2(method, path, receive, headers, scope, arrival)
            elif method == "GET" and path == "/swagger.json":
                reply = await self._swagger(scope, headers)
            elif method == "GET" and path == "/metrics":
                reply = Reply(200, self.metrics.render(), b"text/plain; version=0.0.4; charset=utf-8")
            elif path in ("/score", "/invocations", "/swagger.json", "/metrics"):
                reply = error(405, f"{method} is not allowed on {path}")
            else:
                reply = error(404, f"no route {path}; try POST /score, POST /invocations or /v2/models/<name>/infer")
        except Exception as exc:  # a bug of ours: answer, log, keep serving
            traceback.print_exc()
            reply = error(500, f"{type(exc).__name__}: {exc}")
        extra = [*(self.deployments[deployment_name].header if deployment_name else ()), request_id, *reply.headers]
        await self._send(send, reply.status, reply.body, reply.content_type, extra)
        if (deployment_name or reply.status >= 400) and not _forwarded(headers):  # counted where it came in
            self.metrics.observe(deployment_name, reply.status, time.perf_counter() - started)
        self.metrics.flush()

    async def _forward(self, deployment, scope, headers, body: bytes) -> Reply:
        """A deployment hosted by another worker group (another environment): pass the request on."""
        query = scope.get("query_string", b"")
        target = scope["path"] + ("?" + query.decode("latin-1") if query else "")
        return await deployment.forwarder.forward(deployment.name, scope["method"], target, headers, body)

    async def _handle_score(self, receive, headers, scope, arrival: Arrival) -> tuple[Reply, str]:
        content_type, target, authorized = "", None, not self.keys
        for name, value in headers:
            if name == b"content-type":
                content_type = value.decode("latin-1")
            elif name in TARGET_HEADERS:
                target = value
            elif name == b"authorization" and not authorized:
                authorized = any(hmac.compare_digest(value, k) for k in self.keys)
        if not authorized:
            return error(401, "missing or wrong key: send 'Authorization: Bearer <key>'"), UNROUTED
        body = await self._read_body(receive, headers)
        if isinstance(body, Reply):
            return body, UNROUTED
        deployment = self._route(target)
        if isinstance(deployment, Reply):
            return deployment, UNROUTED
        if self.mirrors and target is None:
            self._mirror("score", body, content_type, scope, headers)
        if getattr(deployment, "remote", False):  # that worker group's own app removes echoes
            return await self._forward(deployment, scope, headers, body), deployment.name
        return without_echo(await self._score_body(deployment, body, content_type, headers, scope, arrival), body), deployment.name

    async def _score_body(self, deployment: Deployment, body: bytes, content_type: str, headers, scope, arrival: Arrival) -> Reply:
        scorer = deployment.scorer
        if scope["method"] == "GET" and not getattr(scorer, "rawhttp", False):
            return error(405, "GET /score needs a scoring script whose run() is decorated with @rawhttp; send POST")
        if deployment.tensor_batcher is not None and is_json(content_type) and len(body) <= BATCHED_JSON_BYTES:
            try:
                tensor = deployment.tensor_input.from_json(orjson.loads(body))
            except orjson.JSONDecodeError:
                tensor = None  # MLflow's own parser words the error
            if tensor is not None:
                return await self._score(deployment, "tensor", (tensor, predictions_reply), arrival)
        if isinstance(scorer, MLflowScorer):
            if scorer.fast is not None and content_type in ("application/json", "application/json; charset=utf-8"):
                if len(body) <= INLINE_JSON_BYTES:
                    rows = _fast_rows(scorer, body)
                    if rows is not None:
                        return await self._score(deployment, "rows", rows, arrival)
                else:
                    return await self._score(deployment, "json", (body, content_type), arrival)
            return await self._score(deployment, "invocations", (body, content_type), arrival)
        query = scope.get("query_string", b"").decode("latin-1")
        payload = (body, content_type, headers, scope["method"], scope["path"], query)
        return await self._score(deployment, "score", payload, arrival)

    def _probe(self, path: str) -> Reply:
        if path in ("/", "/v2/health/live"):
            return Reply(200, b"Healthy", TEXT) if path == "/" else Reply(200, b'{"live": true}')
        ready = all(
            self.deployments[n].scorer is not None or getattr(self.deployments[n], "remote", False)
            for n, w in self.config.traffic.items() if w > 0
        ) and not self.draining
        if path == "/ready":
            return Reply(200 if ready else 503, b"Ready" if ready else b"Not ready", TEXT)
        return Reply(200 if ready else 503, orjson.dumps({"ready": ready}))

    async def _handle_v2(self, method: str, path: str, receive, headers, scope, arrival: Arrival) -> tuple[Reply, str]:
        parts = path.strip("/").split("/")
        if parts == ["v2"] and method == "GET":
            return Reply(200, orjson.dumps({"name": "mlservice", "version": "1", "extensions": []})), UNROUTED
        if len(parts) < 3 or parts[1] != "models":
            return error(404, f"no route {path}"), UNROUTED
        name = parts[2]
        if len(parts) >= 5 and parts[3] == "versions":
            parts = parts[:3] + parts[5:]  # /v2/models/{name}/versions/{v}/... : one version per deployment
        if name == self.config.name:
            target = None
            for hname, value in headers:
                if hname in TARGET_HEADERS:
                    target = value
            deployment = self._route(target)
            if isinstance(deployment, Reply):
                return deployment, UNROUTED
        else:
            deployment = self.deployments.get(name)
            if deployment is None:
                known = ", ".join([self.config.name, *self.deployments])
                return error(404, f"no model named {name!r}; use the endpoint or a deployment name ({known})"), UNROUTED
        rest = parts[3:]
        if getattr(deployment, "remote", False):
            body = await self._read_body(receive, headers)
            if isinstance(body, Reply):
                return body, UNROUTED
            return await self._forward(deployment, scope, headers, body), deployment.name
        if not isinstance(deployment.scorer, MLflowScorer):
            if deployment.scorer is None:
                return error(503, f"deployment {deployment.name!r} is {deployment.state}: {deployment.reason}"), UNROUTED
            return error(400, f"deployment {deployment.name!r} runs a scoring script; use POST /score"), UNROUTED
        if method == "GET" and rest == []:
            return Reply(200, orjson.dumps(deployment.scorer.oip_metadata(name))), UNROUTED
        if method == "GET" and rest == ["ready"]:
            return Reply(200, orjson.dumps({"name": name, "ready": True})), UNROUTED
        if method == "POST" and rest == ["infer"]:
            body = await self._read_body(receive, headers)
            if isinstance(body, Reply):
                return body, UNROUTED
            length = oip_binary.header_length(headers)
            try:
                request = orjson.loads(body) if length is None else oip_binary.decode_request(body, length)
            except orjson.JSONDecodeError as exc:
                return without_echo(error(400, f"request body is not valid JSON: {exc}"), body), UNROUTED
            except (ValueError, KeyError, struct.error) as exc:
                return without_echo(error(400, f"invalid binary tensor data: {exc}"), body), UNROUTED
            tensor = deployment.tensor_input.from_oip(request) if deployment.tensor_batcher is not None else None
            if tensor is not None:
                answer = partial(oip_reply, model_name=name, model_version=deployment.config.model_version, request=request)
                reply = await self._score(deployment, "tensor", (tensor, lambda part: answer(part)), arrival)
            else:
                reply = await self._score(deployment, "oip", (request, name), arrival)
            binary = oip_binary.wanted_binary(request) if type(request) is dict else False
            if reply.status == 200 and binary:
                requested = [o.get("name") for o in request.get("outputs") or []] or None
                data, length = oip_binary.encode_reply(reply.body, binary, requested)
                reply = Reply(200, data, b"application/octet-stream",
                              ((oip_binary.HEADER, str(length).encode()),))
            return without_echo(reply, body), deployment.name
        return error(404, f"no route {method} {path}"), UNROUTED

    async def _swagger(self, scope, headers) -> Reply:
        from urllib.parse import parse_qs

        from .scorers.swagger import SwaggerVersionError, swagger_document

        version = parse_qs(scope.get("query_string", b"").decode()).get("version", ["2"])[0]
        deployment = self.default
        for name, value in headers:
            if name in TARGET_HEADERS:
                deployment = self.deployments.get(value.decode("latin-1"), deployment)
        if getattr(deployment, "remote", False):
            return await self._forward(deployment, scope, headers, b"")
        if deployment.scorer is None:
            return error(503, f"deployment {deployment.name!r} is {deployment.state}: {deployment.reason}")
        try:
            return Reply(200, orjson.dumps(swagger_document(self.config.name, deployment.scorer, version)))
        except SwaggerVersionError as exc:
            return error(404, str(exc))

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                output = sys.stdout if isinstance(sys.stdout, OutputRouter) else OutputRouter(sys.stdout)
                self.scoring = ScoringThread(asyncio.get_running_loop(), output)
                for d in self.deployments.values():
                    if d.tensor_input is not None:
                        d.tensor_batcher = Batcher(
                            d.config.batching, d.scorer.model.predict, partial(self.scoring.submit, d, "call"),
                            on_batch=partial(self.metrics.observe_batch, d.name),
                        )  # fmt: skip
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.metrics.flush(force=True)
                await send({"type": "lifespan.shutdown.complete"})
                return


def _forwarded(headers) -> bool:
    return any(name == b"mlservice-forwarded" for name, _ in headers)


class Arrival(NamedTuple):
    """When a request came in and the id it is answered under (collection records both)."""

    started: float
    request_id: str


def _request_id(headers) -> tuple[bytes, bytes]:
    """``x-request-id``: the client's, else a new one (as Azure's inference server answers)."""
    for name, value in headers:
        if name == b"x-request-id":
            return (b"x-request-id", value)
    return (b"x-request-id", uuid.uuid4().hex.encode())
