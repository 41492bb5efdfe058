"""`mlservice lineage TYPE ID`: the lineage graph around any node (data version, job, model
version, deployment, evaluation, rollout, trigger), both ways; `--json` exports it."""

from __future__ import annotations

from .common import client, command, emit


def cmd_lineage(args) -> int:
    graph = client(args).lineage(args.type, args.id, direction=args.direction, depth=args.depth)
    lines = [f"{e['src_type']}:{e['src_id']} -{e['relation']}-> {e['dst_type']}:{e['dst_id']}" for e in graph["edges"]]
    emit(args, graph, "\n".join(lines) or "no edges")
    return 0


def register(sub) -> None:
    p = command(sub, "lineage", cmd_lineage, json=True, help="the lineage graph around a node (--json: the whole graph)")
    p.add_argument("type", choices=["data_version", "job", "model_version", "deployment", "evaluation", "rollout", "trigger"])
    p.add_argument("id", help="iris@2, job-..., iris:3, ep/blue, ev-..., ro-..., a trigger's name")
    p.add_argument("--direction", choices=["upstream", "downstream", "both"], default="both")
    p.add_argument("--depth", type=int, default=6)
