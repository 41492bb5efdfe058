"""Dynamic batching (core/serving/batching.py): concurrent requests share one forward pass and
every caller gets its own rows back; GPUs given to deployments. The batching of a live CNN
deployment (JSON and OIP v2, 16 callers at once) and its thread settings are checked in
test_deep_training.py, on the deployments of the model trained there."""

from __future__ import annotations

import asyncio
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from jupyter_mlservice.core.serving.batching import Batcher, Failed, TensorInput, split
from jupyter_mlservice.core.serving.config import BatchingSettings


class DoublingModel:
    """A stand-in model: answers 2x its input, remembers each batch it saw, refuses NaN rows."""

    def __init__(self):
        self.batches: list[int] = []
        self.lock = threading.Lock()

    def predict(self, x: np.ndarray) -> np.ndarray:
        with self.lock:
            self.batches.append(len(x))
        if np.isnan(x).any():
            raise ValueError("NaN in the input")
        return x * 2


def run_batcher(model, settings: BatchingSettings, inputs: list[np.ndarray]) -> list:
    async def main():
        pool = ThreadPoolExecutor(1)  # one scoring thread, as in a worker
        loop = asyncio.get_running_loop()
        seen = []
        batcher = Batcher(settings, model.predict, lambda fn: asyncio.wrap_future(pool.submit(fn)),
                          on_batch=lambda n, rows: seen.append((n, rows)))
        futures = []
        for x in inputs:  # requests arriving one by one, a little apart
            futures.append(batcher.submit(x))
            await asyncio.sleep(0)
        out = await asyncio.gather(*futures)
        pool.shutdown()
        return out, seen

    return asyncio.run(main())


def test_concurrent_requests_share_forward_passes_and_each_gets_its_own_rows():
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(1 + i % 3, 4)).astype("float32") for i in range(60)]
    model = DoublingModel()
    out, seen = run_batcher(model, BatchingSettings(max_batch_size=16, max_delay_ms=50), inputs)
    for x, y in zip(inputs, out):
        assert y.shape == x.shape and np.array_equal(y, x * 2)  # routed to the right caller
    assert sum(model.batches) == sum(len(x) for x in inputs)
    assert max(model.batches) <= 16 and len(model.batches) < len(inputs) / 2
    assert sum(n for n, _ in seen) == len(inputs) and [rows for _, rows in seen] == model.batches


def test_a_request_the_model_refuses_fails_alone():
    inputs = [np.full((1, 3), float(i), dtype="float32") for i in range(10)]
    inputs[4] = np.array([[1.0, np.nan, 2.0]], dtype="float32")
    model = DoublingModel()
    out, _ = run_batcher(model, BatchingSettings(max_batch_size=32, max_delay_ms=50), inputs)
    assert isinstance(out[4], Failed) and "NaN" in str(out[4].error)
    for i, y in enumerate(out):
        if i != 4:
            assert np.array_equal(y, inputs[i] * 2)


def test_batch_size_one_means_one_request_per_forward_pass():
    inputs = [np.ones((1, 2), dtype="float32") * i for i in range(8)]
    model = DoublingModel()
    out, _ = run_batcher(model, BatchingSettings(max_batch_size=1, max_delay_ms=5), inputs)
    assert model.batches == [1] * 8 and [float(y[0, 0]) for y in out] == [2.0 * i for i in range(8)]


def test_outputs_split_by_rows_whatever_their_type():
    import pandas as pd

    counts = [2, 1, 3]
    parts = split({"a": np.arange(6), "b": np.arange(12).reshape(6, 2)}, counts)
    assert [p["a"].tolist() for p in parts] == [[0, 1], [2], [3, 4, 5]] and parts[2]["b"].shape == (3, 2)
    frames = split(pd.DataFrame({"x": range(6)}), counts)
    assert [f["x"].tolist() for f in frames] == [[0, 1], [2], [3, 4, 5]]
    with pytest.raises(ValueError, match="cannot be batched"):
        split(np.zeros(2), counts)


def test_tensor_requests_are_checked_against_the_signature():
    spec = TensorInput(np.float32, (1, 8, 8))
    x = np.zeros((3, 1, 8, 8)).tolist()
    assert spec.from_json({"inputs": x}).shape == (3, 1, 8, 8)
    assert spec.from_json({"instances": x}).dtype == np.float32
    for bad in ({"inputs": np.zeros((3, 8, 8)).tolist()}, {"inputs": []}, {"inputs": x, "params": {}},
                {"dataframe_split": {}}, {"inputs": [["a"]]}, [1, 2]):
        assert spec.from_json(bad) is None  # MLflow's own path decides (and words the error)
    oip = {"id": "7", "inputs": [{"name": "x", "shape": [2, 1, 8, 8], "datatype": "FP64", "data": [0.5] * 128}]}
    assert spec.from_oip(oip).shape == (2, 1, 8, 8) and spec.from_oip(oip).dtype == np.float32
    oip["inputs"][0]["shape"] = [2, 64]
    assert spec.from_oip(oip) is None
    oip["inputs"][0].update(shape=[2, 1, 8, 8], datatype="BYTES")
    assert spec.from_oip(oip) is None


# ---- in a real endpoint ----------------------------------------------------------------------

# What a GPU deployment's worker sees (no GPU here: the ids it was given, and the device it should use).
DEVICES_SCRIPT = textwrap.dedent(
    """
    import os

    def init():
        pass

    def run(raw_data):
        return {"CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES"), "device": os.environ.get("MLSERVICE_DEVICE")}
    """
)


@pytest.mark.frameworks
@pytest.mark.timeout(900)
def test_deployments_asking_for_gpus_get_their_own_devices(tmp_path, mlflow_template):
    """No GPU here: the server is told it has two (gpu_devices), the workers only see the ids."""
    from jupyter_mlservice.core.endpoints.schemas import DeploymentCreate, EndpointCreate
    from jupyter_mlservice.core.errors import Conflict, InvalidRequest
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    from .conftest import seed_workspace
    from .serving_fixtures import save_iris_model

    root = tmp_path / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1, gpu_devices=["0", "1"]))
    ws.start()
    try:
        save_iris_model(tmp_path / "iris")
        ws.models.register("iris", local_path=str(tmp_path / "iris"))
        code = tmp_path / "code"
        code.mkdir()
        (code / "score.py").write_text(DEVICES_SCRIPT)
        ws.endpoints.create_endpoint(EndpointCreate(name="gpus"))

        def deploy(name: str, gpu: int):
            return ws.endpoints.create_deployment("gpus", DeploymentCreate(name=name, model="iris:1", code=str(code), scoring_script="score.py", gpu=gpu))

        assert deploy("a", 1).gpus == ["0"]
        assert deploy("b", 1).gpus == ["1"]
        with pytest.raises(Conflict, match="0 of this server's 2 are free"):
            deploy("c", 1)
        from .conftest import wait_for

        wait_for(lambda: all(ws.endpoints.get_deployment("gpus", n).status == "Healthy" for n in "ab"), timeout=600, interval=0.5,
                 what="both deployments Healthy")
        from jupyter_mlservice.core.endpoints.schemas import InvokeRequest

        seen = {n: ws.endpoints.invoke("gpus", InvokeRequest(data={}, path="/score", deployment=n)).body for n in "ab"}
        assert seen["a"]["CUDA_VISIBLE_DEVICES"] == seen["b"]["CUDA_VISIBLE_DEVICES"] == "0,1"
        assert (seen["a"]["device"], seen["b"]["device"]) == ("cuda:0", "cuda:1")
        ws.endpoints.set_traffic("gpus", {"a": 100})
        ws.endpoints.delete_deployment("gpus", "b")
        assert deploy("c", 1).gpus == ["1"]  # freed by the deletion
        ws.endpoints.delete_endpoint("gpus")
    finally:
        ws.stop()
    none = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1, gpu_devices=[]))
    try:
        none.endpoints.create_endpoint(EndpointCreate(name="cpu"))
        with pytest.raises(InvalidRequest, match="no GPUs"):
            none.endpoints.create_deployment("cpu", DeploymentCreate(name="a", model="iris:1", gpu=1))
    finally:
        none.store.dispose()
