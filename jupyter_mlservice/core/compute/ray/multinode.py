"""Run one job as N instances across a Ray cluster (``instance_count > 1``).

This is the entrypoint of such a job on the cluster. It reserves one bundle per instance in a
placement group (spread over nodes where it can), then runs the job's command once per bundle
with the torch-distributed variables set: ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT`` (instance 0's node), and TensorFlow's ``TF_CONFIG`` (every
instance a ``worker`` with a port of its own node, ``task.index`` = its rank), which is what
``tf.distribute.MultiWorkerMirroredStrategy`` reads. Output of every instance is prefixed with
``[rank N]`` and reaches the job's log. The job fails when any instance fails.

    python -m jupyter_mlservice.core.compute.ray.multinode --instances 2 --resources '{"CPU": 1}' -- cmd...
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, required=True)
    parser.add_argument("--resources", default="{}", help="Ray resources of one instance, JSON")
    parser.add_argument("--strategy", default="SPREAD")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    import ray
    from ray.util.placement_group import placement_group
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    ray.init(log_to_driver=True)
    bundle = {k: float(v) for k, v in json.loads(args.resources).items() if float(v) > 0} or {"CPU": 0.001}
    pg = placement_group([dict(bundle) for _ in range(args.instances)], strategy=args.strategy)
    ray.get(pg.ready())
    gpus = bundle.pop("GPU", 0)
    cpus = bundle.pop("CPU", 0)
    memory = bundle.pop("memory", None)

    @ray.remote(max_retries=0)
    def address() -> tuple[str, int, int]:
        """This node's address and two free ports (torch's rendezvous, TensorFlow's worker)."""
        import socket

        sockets = [socket.socket() for _ in range(2)]
        for s in sockets:
            s.bind(("", 0))
        ports = [s.getsockname()[1] for s in sockets]
        for s in sockets:
            s.close()
        return ray.util.get_node_ip_address(), ports[0], ports[1]

    @ray.remote(max_retries=0)
    def instance(rank: int, world: int, master: str, port: int, tf_workers: list[str]) -> int:
        import os
        import subprocess

        tf_config = {"cluster": {"worker": tf_workers}, "task": {"type": "worker", "index": rank}}
        env = {**os.environ, "RANK": str(rank), "WORLD_SIZE": str(world), "LOCAL_RANK": "0",
               "MASTER_ADDR": master, "MASTER_PORT": str(port), "MLSERVICE_INSTANCE": str(rank),
               "TF_CONFIG": json.dumps(tf_config)}
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        for line in proc.stdout:
            print(f"[rank {rank}] {line}", end="", flush=True)
        return proc.wait()

    def opts(i: int) -> dict:
        o = {"scheduling_strategy": PlacementGroupSchedulingStrategy(pg, placement_group_bundle_index=i),
             "num_cpus": cpus, "num_gpus": gpus, "resources": bundle}
        if memory:
            o["memory"] = memory
        return o

    addresses = ray.get([address.options(**opts(i)).remote() for i in range(args.instances)])
    master, port, _ = addresses[0]
    tf_workers = [f"{ip}:{tf_port}" for ip, _, tf_port in addresses]
    codes = ray.get([instance.options(**opts(i)).remote(i, args.instances, master, port, tf_workers) for i in range(args.instances)])
    failed = [(i, c) for i, c in enumerate(codes) if c != 0]
    for i, c in failed:
        print(f"mlservice: instance {i} exited with code {c}", file=sys.stderr, flush=True)
    if not failed:
        return 0
    code = failed[0][1]
    return code if 0 < code < 256 else 1


if __name__ == "__main__":
    sys.exit(main())
