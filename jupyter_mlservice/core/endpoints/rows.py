"""Reading and writing endpoint and deployment rows; every status change is also an event.

Shared by the service (what users ask for) and the controller (what serves)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..errors import NotFound
from ..events import EventBus
from ..store import Store
from ..timeutil import utcnow
from .tables import DeploymentRow, EndpointRow


class EndpointRows:
    def __init__(self, store: Store, events: EventBus):
        self.store = store
        self.events = events

    def changed(self, endpoint: str, action: str, deployment: str | None = None, status: str | None = None) -> None:
        self.events.emit("endpoint", {"endpoint": endpoint, "deployment": deployment, "action": action, "status": status})
        self.remember(endpoint)

    def remember(self, endpoint: str) -> None:
        """Add a history row when what the endpoint serves (traffic, mirror, models) changed."""
        from sqlalchemy.exc import SQLAlchemyError

        from .tables import EndpointHistoryRow

        try:
            with self.store.session() as s:
                ep = s.get(EndpointRow, endpoint)
                if ep is None:
                    return
                deps = s.scalars(select(DeploymentRow).where(DeploymentRow.endpoint == endpoint))
                now = {"traffic": dict(ep.traffic or {}), "mirror_traffic": dict(ep.mirror_traffic or {}),
                       "models": {d.name: f"{(d.spec or {}).get('model_name')}:{(d.spec or {}).get('model_version')}" for d in deps}}
                last = s.scalar(select(EndpointHistoryRow).where(EndpointHistoryRow.endpoint == endpoint)
                                .order_by(EndpointHistoryRow.time.desc(), EndpointHistoryRow.id.desc()).limit(1))
                if last is None or {"traffic": last.traffic, "mirror_traffic": last.mirror_traffic, "models": last.models} != now:
                    s.add(EndpointHistoryRow(endpoint=endpoint, time=utcnow(), **now))
        except SQLAlchemyError:  # history is a record of changes already made: never fail the change itself
            import logging

            logging.getLogger("jupyter_mlservice.endpoints").exception("endpoint %s: history not recorded", endpoint)

    # ---- read ----------------------------------------------------------------------------------

    def names(self) -> list[str]:
        with self.store.session() as s:
            return list(s.scalars(select(EndpointRow.name).order_by(EndpointRow.name)))

    def endpoint(self, name: str, session=None) -> EndpointRow:
        """The endpoint's row (attached to ``session`` when given), or NotFound."""
        return self.store.get_or_404(EndpointRow, name, f"no endpoint named {name!r}", session)

    def deployments(self, endpoint: str) -> list[DeploymentRow]:
        with self.store.session() as s:
            rows = list(s.scalars(select(DeploymentRow).where(DeploymentRow.endpoint == endpoint).order_by(DeploymentRow.created_at)))
            s.expunge_all()
            return rows

    def deployment_or_none(self, endpoint: str, name: str) -> DeploymentRow | None:
        with self.store.session() as s:
            row = s.get(DeploymentRow, (endpoint, name))
            if row is not None:
                s.expunge(row)
            return row

    def deployment(self, endpoint: str, name: str) -> DeploymentRow:
        row = self.deployment_or_none(endpoint, name)
        if row is None:
            self.endpoint(endpoint)
            raise NotFound(f"endpoint {endpoint!r} has no deployment named {name!r}")
        return row

    # ---- write ---------------------------------------------------------------------------------

    def set_deployment(self, endpoint: str, name: str, **values: Any) -> None:
        with self.store.session() as s:
            row = s.get(DeploymentRow, (endpoint, name))
            if row is None:
                return
            before = row.status
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = utcnow()
        if row.status != before:
            self.changed(endpoint, "status", name, row.status)

    def set_endpoint(self, endpoint: str, status: str, error: str | None) -> None:
        with self.store.session() as s:
            row = s.get(EndpointRow, endpoint)
            if row is None or (row.status, row.error) == (status, error):
                return
            before = row.status
            row.status, row.error, row.updated_at = status, error, utcnow()
        if status != before:
            self.changed(endpoint, "status", None, status)
