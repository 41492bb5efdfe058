"""Collection: what deployments score is recorded to hourly Parquet files off the request path;
a slow, full or unwritable store drops samples and counts them, never failing a request."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pytest
import requests

from jupyter_mlservice.core.monitoring.collected import hour_files, window_batches
from jupyter_mlservice.core.monitoring.collection import Collector, json_columns, output_columns, to_columns
from jupyter_mlservice.core.serving import DeploymentConfig, EndpointConfig, EndpointProcess
from jupyter_mlservice.core.serving.config import CollectConfig

from .conftest import wait_for
from .serving_fixtures import AZURE_SCRIPT, IRIS_COLUMNS, ROWS, save_iris_model, write_script

SPLIT = {"dataframe_split": {"columns": IRIS_COLUMNS, "data": ROWS}}


def window(folder, stream, deployment=None) -> pa.Table:
    now = datetime.now(timezone.utc)
    batches = list(window_batches(folder, stream, now - timedelta(hours=2), now + timedelta(minutes=5), deployment))
    return pa.Table.from_batches(batches) if batches else pa.table({})


# ---- the collector alone ----------------------------------------------------------------------


class StuckSink:
    """A store that does not answer (a hung network disk) until released."""

    def __init__(self):
        self.release = threading.Event()
        self.entered = threading.Event()
        self.tables: list[pa.Table] = []

    def write(self, stream, hour, table):
        self.entered.set()
        self.release.wait()
        self.tables.append(table)


def test_a_stuck_store_fills_the_queue_then_drops_and_counts_and_offer_never_waits(tmp_path):
    sink = StuckSink()
    c = Collector(tmp_path, "blue", input_names=["a"], sink=sink, flush_interval=0.01, max_requests=100)
    c.offer("rows", np.ones((1, 1)), b'{"predictions": [1]}', time.time(), 0.001)
    assert sink.entered.wait(10)  # the writer took that one and is now stuck in the store
    for _ in range(5000):  # every call returns although nothing is being written
        c.offer("rows", np.ones((1, 1)), b'{"predictions": [1]}', time.time(), 0.001)
    assert c.dropped_full == 5000 - 100 and len(c.queue) == 100
    sink.release.set()
    c.stop()
    assert c.written == 101 and c.dropped == 4900
    assert sum(t.num_rows for t in sink.tables) == 2 * 101  # inputs and outputs


def test_a_queue_is_bounded_in_bytes_too(tmp_path):
    sink = StuckSink()
    c = Collector(tmp_path, "blue", sink=sink, flush_interval=0.01, max_bytes=10_000)
    c.offer("invocations", (b"{}", "application/json"), b"{}", time.time(), 0.0)
    assert sink.entered.wait(10)
    big = b'{"data": [' + b"1," * 2000 + b"1]}"
    for _ in range(10):
        c.offer("score", (big, "application/json", []), b"{}", time.time(), 0.0)
    assert len(c.queue) == 2 and c.dropped_full == 8
    sink.release.set()
    c.stop()


def test_an_unwritable_store_drops_and_counts(tmp_path):
    folder = tmp_path / "collected"
    folder.write_text("a file where the folder should be")  # every mkdir below it fails
    c = Collector(folder, "blue", input_names=["a"], flush_interval=0.01)
    for _ in range(50):
        c.offer("rows", np.ones((2, 1)), b'{"predictions": [1, 2]}', time.time(), 0.001)
    c.stop()
    assert c.written == 0 and c.dropped_error == 50 and "NotADirectoryError" in c.last_error


def test_sample_rate_keeps_about_that_share(tmp_path):
    c = Collector(tmp_path, "blue", input_names=["a"], sample_rate=0.25, flush_interval=0.05)
    for _ in range(4000):
        c.offer("rows", np.ones((1, 1)), b'{"predictions": [1]}', time.time(), 0.001)
    c.stop()
    assert 800 <= c.written <= 1200 and c.dropped == 0
    assert window(tmp_path, "inputs").num_rows == c.written


def test_a_finished_hour_is_merged_into_one_file_per_writer(tmp_path):
    c = Collector(tmp_path, "blue", input_names=["a"], flush_interval=0.01)
    long_ago = time.time() - 3 * 3600
    for i in range(5):
        c.offer("rows", np.full((1, 1), float(i)), b'{"predictions": [1]}', long_ago, 0.001)
        time.sleep(0.05)  # separate flushes: several parts
    c.stop()
    hour = datetime.fromtimestamp(long_ago, timezone.utc)
    folder = tmp_path / "inputs" / hour.strftime("%Y-%m-%d") / hour.strftime("%H")
    files = hour_files(folder)
    assert len(files) == 1 and files[0].stem.count("-") == 1  # the parts are skipped once merged
    assert len(list(folder.glob("*.parquet"))) > 1  # ...and kept a while for readers that listed them
    got = pa.Table.from_batches(list(window_batches(tmp_path, "inputs", hour - timedelta(hours=1), hour + timedelta(hours=1))))
    assert sorted(got.column("a").to_pylist()) == [0.0, 1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("doc,rows,columns", [
    ({"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3, 4]]}}, 2, {"a": [1, 3], "b": [2, 4]}),
    ({"dataframe_records": [{"a": 1, "b": "x"}, {"a": 2}]}, 2, {"a": [1, 2], "b": ["x", None]}),
    ({"instances": [[1, 2]]}, 1, {"a": [1], "b": [2]}),
    ({"inputs": {"a": [1, 2], "b": [3, 4]}}, 2, {"a": [1, 2], "b": [3, 4]}),
    ({"data": [[5, 6], [7, 8]]}, 2, {"a": [5, 7], "b": [6, 8]}),  # Azure ML scripts
    ([1, 2, 3], 3, {"value": [1, 2, 3]}),
])  # fmt: skip
def test_request_shapes_become_columns(doc, rows, columns):
    assert json_columns(doc, ["a", "b"]) == (rows, columns)


def test_oip_csv_and_unreadable_requests():
    n, cols = to_columns("oip", ({"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP64", "data": [1, 2, 3, 4]}]}, "m"), ["a", "b"])
    assert n == 2 and cols["a"].tolist() == [1, 3] and cols["b"].tolist() == [2, 4]
    assert to_columns("invocations", (b"a,b\n1,2\n3,4\n", "text/csv"), None) == (2, {"a": [1, 3], "b": [2, 4]})
    assert to_columns("score", (b"not json", "text/plain", []), None) == (1, {"raw_input": ["not json"]})
    assert output_columns(b'{"predictions": [0, 2]}') == (2, {"prediction": [0, 2]})
    assert output_columns(b'{"predictions": [[0.1, 0.9]]}') == (1, {"prediction_0": [0.1], "prediction_1": [0.9]})
    assert output_columns(b'{"outputs": [{"name": "predict", "shape": [2], "datatype": "INT64", "data": [1, 0]}]}') == (2, {"prediction": [1, 0]})


# ---- a real endpoint --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("collecting")
    save_iris_model(root / "model")
    collect = CollectConfig(folder=str(root / "collected"))
    config = EndpointConfig(
        name="iris",
        deployments=[
            DeploymentConfig(name="blue", model_path=str(root / "model"), collect=collect),
            DeploymentConfig(name="script", model_path=str(root / "model"), code_dir=str(write_script(root / "code", AZURE_SCRIPT)),
                             scoring_script="score.py", collect=collect),  # fmt: skip
            DeploymentConfig(name="quiet", model_path=str(root / "model")),
        ],
        traffic={"blue": 100},
    )
    ep = EndpointProcess.start(config, root / "state")
    yield ep, root / "collected"
    ep.stop()


def post(ep, body, deployment=None, path="/invocations", **headers):
    headers = {"Authorization": f"Bearer {ep.config.primary_key}", **headers}
    if deployment:
        headers["mlservice-deployment"] = deployment
    return requests.post(f"http://127.0.0.1:{ep.config.port}{path}", json=body, headers=headers, timeout=30)


def metrics(ep) -> str:
    return requests.get(f"http://127.0.0.1:{ep.config.port}/metrics", headers={"Authorization": f"Bearer {ep.config.primary_key}"}, timeout=10).text


def test_nothing_is_lost_under_load_at_sample_rate_one(endpoint):
    ep, folder = endpoint
    sent = 1500
    stamp = f"load-{time.time_ns()}"

    def one(i: int) -> int:
        body = {"dataframe_split": {"columns": IRIS_COLUMNS, "data": [[5.0 + (i % 7) / 10, 3.4, 1.4, 0.2]]}}
        return post(ep, body, **{"x-request-id": f"{stamp}-{i}"}).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(one, range(sent)))
    assert statuses.count(200) == sent

    def collected():
        t = window(folder, "inputs", "blue")
        return t if t.num_rows and sum(r.startswith(stamp) for r in t.column("request_id").to_pylist()) == sent else None

    inputs = wait_for(collected, 60, what="every request to be written")
    mine = inputs.filter(pa.compute.starts_with(inputs.column("request_id"), stamp))
    assert sorted(mine.column("request_id").to_pylist()) == sorted(f"{stamp}-{i}" for i in range(sent))
    assert mine.column_names[:5] == ["request_id", "time", "deployment", "latency_ms", "row"]
    assert set(IRIS_COLUMNS) <= set(mine.column_names)
    assert pa.compute.min(mine.column("latency_ms")).as_py() > 0
    outputs = window(folder, "outputs", "blue")
    assert sum(r.startswith(stamp) for r in outputs.column("request_id").to_pylist()) == sent
    counted = 'mlservice_collected_requests_total{endpoint="iris",deployment="blue"}'
    text = wait_for(lambda: m if counted in (m := metrics(ep)) else None, 30, what="the collection metrics")
    assert 'mlservice_collection_dropped_total{endpoint="iris",deployment="blue",reason="queue_full"} 0' in text


def test_scoring_scripts_and_the_v2_protocol_collect_too_and_others_do_not(endpoint):
    ep, folder = endpoint
    answered = post(ep, {"data": [[6.1, 2.8, 4.7, 1.2]]}, deployment="script", path="/score")
    assert answered.status_code == 200
    oip = {"inputs": [{"name": c, "shape": [1], "datatype": "FP64", "data": [v]} for c, v in zip(IRIS_COLUMNS, ROWS[1])]}
    assert post(ep, oip, path="/v2/models/blue/infer").status_code == 200
    assert post(ep, SPLIT, deployment="quiet").status_code == 200
    script = wait_for(lambda: (t := window(folder, "inputs", "script")).num_rows and t, 30, what="the script's request")
    assert script.column("x0").to_pylist()[-1] == 6.1  # a bare row list gets positional names
    assert script.column("request_id").to_pylist()[-1] == answered.headers["x-request-id"]  # the id it was answered under
    blue = wait_for(lambda: (t := window(folder, "inputs", "blue")).num_rows and "sepal_length" in t.column_names
                    and 6.7 in t.column("sepal_length").to_pylist() and t, 30)  # fmt: skip
    assert blue.num_rows
    assert window(folder, "inputs", "quiet").num_rows == 0


def test_no_request_fails_when_the_store_becomes_unwritable(endpoint, tmp_path):
    ep, folder = endpoint
    inputs = folder / "inputs"
    moved = tmp_path / "moved-inputs"
    inputs.rename(moved)
    inputs.write_text("not a folder any more")
    try:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: post(ep, SPLIT).status_code, range(300)))
        assert statuses == [200] * 300

        def dropped() -> float:
            for line in metrics(ep).splitlines():
                if line.startswith('mlservice_collection_dropped_total{endpoint="iris",deployment="blue",reason="write_failed"}'):
                    return float(line.split()[-1])
            return 0.0

        assert wait_for(lambda: dropped() >= 300, 30, what="the drops to be counted")
    finally:
        inputs.unlink()
        moved.rename(inputs)
    assert post(ep, SPLIT).status_code == 200  # and collection resumes by itself


TENSOR_MODEL = """
import numpy as np
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel


class Doubling(PythonModel):
    def predict(self, context, model_input, params=None):
        return np.asarray(model_input) * 2


set_model(Doubling())
"""


def test_dynamically_batched_tensor_requests_are_collected_one_row_per_row_sent(tmp_path):
    import mlflow.pyfunc
    from mlflow.models import ModelSignature
    from mlflow.types import Schema, TensorSpec

    (tmp_path / "doubling.py").write_text(TENSOR_MODEL)
    spec = Schema([TensorSpec(np.dtype("float32"), (-1, 3))])
    mlflow.pyfunc.save_model(str(tmp_path / "model"), python_model=str(tmp_path / "doubling.py"),
                             signature=ModelSignature(inputs=spec, outputs=spec), pip_requirements=["numpy"])  # fmt: skip
    collect = CollectConfig(folder=str(tmp_path / "collected"))
    config = EndpointConfig(name="tensors", traffic={"batched": 100}, deployments=[
        DeploymentConfig(name="batched", model_path=str(tmp_path / "model"), batching={"max_batch_size": 8, "max_delay_ms": 20}, collect=collect),
    ])  # fmt: skip
    ep = EndpointProcess.start(config, tmp_path / "state")
    try:
        def one(i: int) -> list:
            rows = [[float(i), float(i) + 0.5, -1.0]] * (1 + i % 2)
            if i % 3 == 0:  # the v2 protocol batches too
                body = {"inputs": [{"name": "x", "shape": [len(rows), 3], "datatype": "FP32", "data": sum(rows, [])}]}
                reply = post(ep, body, path="/v2/models/batched/infer", **{"x-request-id": f"t-{i}"})
                return reply.json()["outputs"][0]["data"][:3]
            return post(ep, {"inputs": rows}, **{"x-request-id": f"t-{i}"}).json()["predictions"][0]

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(one, range(24)))
        assert answers == [[2.0 * i, 2.0 * i + 1.0, -2.0] for i in range(24)]
        assert 'mlservice_batches_total{endpoint="tensors",deployment="batched"}' in metrics(ep)
        sent_rows = sum(1 + i % 2 for i in range(24))
        inputs = wait_for(lambda: (t := window(tmp_path / "collected", "inputs", "batched")).num_rows == sent_rows and t, 60,
                          what="every batched request to be written")  # fmt: skip
        assert sorted(set(inputs.column("request_id").to_pylist())) == sorted(f"t-{i}" for i in range(24))
        assert sorted(inputs.column("x0").to_pylist()) == sorted(float(i) for i in range(24) for _ in range(1 + i % 2))
        outputs = wait_for(lambda: (t := window(tmp_path / "collected", "outputs", "batched")).num_rows == sent_rows and t, 60)
        assert outputs.num_rows == sent_rows
    finally:
        ep.stop()


def test_tensors_of_more_than_two_dimensions_are_kept_one_list_per_row():
    images = np.arange(2 * 2 * 2, dtype=np.float32).reshape(2, 2, 2)
    assert to_columns("tensor", (images, None), None) == (2, {"tensor": [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]})
