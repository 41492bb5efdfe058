"""Record lineage edges and walk them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Literal, NamedTuple

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidRequest
from ..store import Store
from ..timeutil import as_utc, utcnow
from .schemas import LineageEdge, LineageGraph, LineageNode
from .tables import LineageEdgeRow

log = logging.getLogger("jupyter_mlservice.lineage")

DATA_VERSION = "data_version"
JOB = "job"
MODEL_VERSION = "model_version"
DEPLOYMENT = "deployment"
EVALUATION = "evaluation"
ROLLOUT = "rollout"
TRIGGER = "trigger"
NODE_TYPES = (DATA_VERSION, JOB, MODEL_VERSION, DEPLOYMENT, EVALUATION, ROLLOUT, TRIGGER)

Direction = Literal["upstream", "downstream", "both"]


class Node(NamedTuple):
    type: str
    id: str


# type -> function(ids) -> {id: details}; an id missing from the answer is a node that is gone.
Describer = Callable[[list[str]], dict[str, dict[str, Any]]]


class LineageService:
    def __init__(self, store: Store):
        self.store = store
        self._describers: dict[str, Describer] = {}

    def add_describer(self, node_type: str, describe: Describer) -> None:
        """The area owning ``node_type`` says what a node is (status, digest...) for readers."""
        self._describers[node_type] = describe

    # ---- write -------------------------------------------------------------------------------

    def record(self, src: Node, dst: Node, relation: str, attrs: dict[str, Any] | None = None) -> bool:
        """Add an edge; recording the same edge again changes nothing. True when it is new."""
        with self.store.session() as s:
            if self._find(s, src, dst, relation) is not None:
                return False
        try:
            with self.store.session() as s:
                s.add(LineageEdgeRow(
                    src_type=src.type, src_id=src.id, dst_type=dst.type, dst_id=dst.id,
                    relation=relation, attrs=attrs or {}, created_at=utcnow(),
                ))
            return True
        except IntegrityError:  # recorded concurrently (a retried attempt, another thread)
            return False

    @staticmethod
    def _find(s, src: Node, dst: Node, relation: str) -> LineageEdgeRow | None:
        return s.scalar(select(LineageEdgeRow).where(
            LineageEdgeRow.src_type == src.type, LineageEdgeRow.src_id == src.id,
            LineageEdgeRow.dst_type == dst.type, LineageEdgeRow.dst_id == dst.id,
            LineageEdgeRow.relation == relation,
        ))

    # ---- read --------------------------------------------------------------------------------

    def edges_from(self, nodes: Iterable[Node], relations: Iterable[str] | None = None) -> list[LineageEdge]:
        """Edges leaving these nodes (what was made from them)."""
        return self._edges(list(nodes), "src", relations)

    def edges_to(self, nodes: Iterable[Node], relations: Iterable[str] | None = None) -> list[LineageEdge]:
        """Edges arriving at these nodes (what they were made from)."""
        return self._edges(list(nodes), "dst", relations)

    def _edges(self, nodes: list[Node], end: str, relations: Iterable[str] | None) -> list[LineageEdge]:
        if not nodes:
            return []
        type_col, id_col = (LineageEdgeRow.src_type, LineageEdgeRow.src_id) if end == "src" else (LineageEdgeRow.dst_type, LineageEdgeRow.dst_id)
        q = select(LineageEdgeRow).where(or_(*[and_(type_col == n.type, id_col == n.id) for n in nodes]))
        if relations is not None:
            q = q.where(LineageEdgeRow.relation.in_(list(relations)))
        with self.store.session() as s:
            rows = list(s.scalars(q.order_by(LineageEdgeRow.created_at, LineageEdgeRow.id)))
        return [_edge(r) for r in rows]

    def graph(self, root: Node, direction: Direction = "both", depth: int = 6, relations: Iterable[str] | None = None) -> LineageGraph:
        """Every node reached from ``root`` following edges downstream (out), upstream (in), or
        both — each direction walked on its own, so a job's other inputs are not pulled in when
        looking downstream of one of them."""
        if direction not in ("upstream", "downstream", "both"):
            raise InvalidRequest("direction must be upstream, downstream or both")
        if not 1 <= depth <= 20:
            raise InvalidRequest("depth must be between 1 and 20")
        rels = list(relations) if relations is not None else None
        order: list[Node] = [root]
        seen = {root}
        edges: dict[tuple, LineageEdge] = {}
        walks = [("downstream", self.edges_from, "dst"), ("upstream", self.edges_to, "src")]
        for name, step, far in walks:
            if direction not in (name, "both"):
                continue
            frontier = [root]
            for _ in range(depth):
                found = step(frontier, rels)
                frontier = []
                for e in found:
                    edges[(e.src_type, e.src_id, e.dst_type, e.dst_id, e.relation)] = e
                    node = Node(e.dst_type, e.dst_id) if far == "dst" else Node(e.src_type, e.src_id)
                    if node not in seen:
                        seen.add(node)
                        order.append(node)
                        frontier.append(node)
                if not frontier:
                    break
        described = self.describe(order)
        return LineageGraph(root=described[0], nodes=described, edges=list(edges.values()))

    def describe(self, nodes: list[Node]) -> list[LineageNode]:
        by_type: dict[str, list[str]] = {}
        for n in nodes:
            by_type.setdefault(n.type, []).append(n.id)
        details: dict[Node, dict[str, Any] | None] = {}
        for node_type, ids in by_type.items():
            describe = self._describers.get(node_type)
            if describe is None:
                found = {i: {} for i in ids}
            else:
                try:
                    found = describe(ids)
                except Exception:  # a reader never fails because one area could not say more
                    log.exception("describing %s nodes failed", node_type)
                    found = {i: {} for i in ids}
            for i in ids:
                details[Node(node_type, i)] = found.get(i)
        return [LineageNode(type=n.type, id=n.id, details=details[n] or {}, missing=details[n] is None) for n in nodes]


def _edge(row: LineageEdgeRow) -> LineageEdge:
    return LineageEdge(
        src_type=row.src_type, src_id=row.src_id, dst_type=row.dst_type, dst_id=row.dst_id,
        relation=row.relation, attrs=row.attrs or {}, created_at=as_utc(row.created_at),
    )
