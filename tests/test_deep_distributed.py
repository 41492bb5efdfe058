"""Distributed training on a managed Ray target: PyTorch DDP (gloo on CPU) with instance_count=2,
metrics logged by rank 0 only and the model logged once; TensorFlow's MultiWorkerMirroredStrategy
reads the TF_CONFIG each instance gets."""

from __future__ import annotations

import re
import textwrap

import pytest

from jupyter_mlservice.core.jobs.schemas import CommandJobSpec, JobStatus
from jupyter_mlservice.core.targets.schemas import TargetCreate

from .conftest import seed_workspace, wait_for
from .deep_fixtures import DATA

pytestmark = [pytest.mark.frameworks, pytest.mark.ray, pytest.mark.timeout(1800)]

DDP = textwrap.dedent(
    '''
    import os
    import mlflow, mlflow.pytorch, torch
    import torch.distributed as dist
    from torch import nn
    from torch.nn.parallel import DistributedDataParallel
    from data import images

    backend = "nccl" if torch.cuda.is_available() else "gloo"  # gloo: CPUs
    dist.init_process_group(backend)  # RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT come from the job
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if backend == "nccl" else "cpu")
    torch.manual_seed(0)  # the same initial weights on every rank
    x, y = images(128)
    X, Y = torch.from_numpy(x[rank::world]).to(device), torch.from_numpy(y[rank::world]).to(device)  # this rank's shard
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2)).to(device)
    model = DistributedDataParallel(net)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    run = mlflow.start_run() if rank == 0 else None  # rank 0 speaks for the job
    for epoch in range(2):
        for i in range(0, len(X), 25):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(X[i:i + 25]), Y[i:i + 25])
            loss.backward()  # gradients are averaged across ranks here
            opt.step()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        if rank == 0:
            mlflow.log_metrics({"loss": mean.item() / world}, step=epoch)
    checksum = sum(p.detach().double().sum().item() for p in net.parameters())
    print(f"rank {rank} of {world} ({backend}): parameter checksum {checksum:.6f}", flush=True)
    if rank == 0:
        net.eval()
        mlflow.pytorch.log_model(net.cpu(), name="model", input_example=x[:2], pip_requirements=["torch"])
        mlflow.end_run()
    dist.barrier()
    dist.destroy_process_group()
    '''
)

# Keras 3's fit() cannot run under MultiWorkerMirroredStrategy (it fails converting a PerReplica
# batch: keras-team/keras#20585), so a custom loop as TensorFlow's multi-worker guide writes it;
# each worker takes its shard of every global batch, the gradients are all-reduced.
MWMS = textwrap.dedent(
    '''
    import json, os
    import mlflow
    import tensorflow as tf
    from data import tabular

    config = json.loads(os.environ["TF_CONFIG"])
    rank = config["task"]["index"]
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    print(f"task {rank} of {len(config['cluster']['worker'])}: {strategy.num_replicas_in_sync} replicas in sync", flush=True)
    x, y = tabular(64)
    batch = 32  # global
    data = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices((x, y)).batch(batch))
    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.Input((8,)), tf.keras.layers.Dense(8, activation="relu"),
                                     tf.keras.layers.Dense(2, activation="softmax")])
        optimizer = tf.keras.optimizers.Adam(0.05)

    @tf.function
    def train_step(features, labels):
        def step(features, labels):
            with tf.GradientTape() as tape:
                losses = tf.keras.losses.sparse_categorical_crossentropy(labels, model(features, training=True))
                loss = tf.nn.compute_average_loss(losses, global_batch_size=batch)
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
            return loss
        return strategy.reduce("SUM", strategy.run(step, args=(features, labels)), axis=None)

    for features, labels in data:
        loss = train_step(features, labels)
    checksum = sum(float(tf.reduce_sum(w)) for w in model.trainable_variables)
    print(f"task {rank}: weight checksum {checksum:.6f}", flush=True)
    if rank == 0:
        with mlflow.start_run():
            mlflow.log_metric("loss", float(loss), step=0)
    '''
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, mlflow_template):
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    root = tmp_path_factory.mktemp("ddp") / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    code = root / "code"
    code.mkdir()
    for name, text in {"data.py": DATA, "train_ddp.py": DDP, "train_mwms.py": MWMS}.items():
        (code / name).write_text(text)
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1))
    ws.start()
    ws.targets.create(TargetCreate(name="ddp", type="ray", settings={"mode": "managed", "head": {"cpu": 2},
                                                                      "object_store_memory": 100_000_000}))
    head = ws.backends["ray"]._head("ddp", None)
    assert head.wait_ready(timeout=900) and head.status == "ready", head.error
    yield ws, code
    ws.targets.delete("ddp")
    ws.stop()


def run(ws, spec, timeout=1500):
    job = ws.jobs.submit(spec)
    return wait_for(lambda: (j := ws.jobs.get(job.id)).status.is_terminal and j, timeout, interval=0.5, what=f"job {job.id}")


def test_pytorch_ddp_on_two_instances_logs_from_rank_zero_and_saves_the_model_once(cluster):
    ws, code = cluster
    env = {"OMP_NUM_THREADS": "1", "MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT": "1"}
    job = run(ws, CommandJobSpec(command="python train_ddp.py", code=str(code), target="ddp", instance_count=2,
                                 resources={"cpu": 1}, experiment="ddp", environment_variables=env))
    log = (ws.jobs_dir / job.id / "output.log").read_text()
    assert job.status == JobStatus.COMPLETED, (job.error, log[-3000:])
    # both ranks trained, in step: DDP kept their weights identical
    sums = dict(re.findall(r"\[rank (\d)\] rank \d of 2 \(gloo\): parameter checksum (\S+)", log))
    assert set(sums) == {"0", "1"} and sums["0"] == sums["1"], log[-3000:]
    # one point per epoch (rank 1 logged nothing), one model
    metrics = ws.jobs.metrics(job.id).metrics
    assert [p.step for p in metrics["loss"]] == [0, 1]
    client = ws.experiments.client
    models = client.search_logged_models(experiment_ids=[job.experiment_id], filter_string=f"source_run_id = '{job.run_id}'")
    assert [m.name for m in models] == ["model"]
    mv = ws.models.register("ddp-cnn", job_id=job.id, path="model")
    assert mv.version == "1"


def test_tensorflow_multi_worker_strategy_reads_tf_config(cluster):
    ws, code = cluster
    env = {"TF_CPP_MIN_LOG_LEVEL": "2", "OMP_NUM_THREADS": "1"}
    job = run(ws, CommandJobSpec(command="python train_mwms.py", code=str(code), target="ddp", instance_count=2,
                                 resources={"cpu": 1}, experiment="mwms", environment_variables=env))
    log = (ws.jobs_dir / job.id / "output.log").read_text()
    assert job.status == JobStatus.COMPLETED, (job.error, log[-4000:])
    assert "[rank 0] task 0 of 2: 2 replicas in sync" in log and "[rank 1] task 1 of 2: 2 replicas in sync" in log
    # both workers trained in step: the all-reduced gradients kept their weights identical
    sums = dict(re.findall(r"\[rank (\d)\] task \d: weight checksum (\S+)", log))
    assert set(sums) == {"0", "1"} and sums["0"] == sums["1"], log[-3000:]
    assert len(ws.jobs.metrics(job.id).metrics["loss"]) == 1
