"""What each kind of trigger watches, and the causes that have appeared since it last looked.

A watcher reads the current state of its source (a data asset's versions, a model's versions,
aliases or tags, a monitor's alerts, a cron expression) and compares it with the trigger's
``seen`` mark: everything above the mark is a new cause, keyed so that the same cause always has
the same key (the firing table's unique key makes each fire once, whichever process sees it).
Sources are read from the store or MLflow's registry, so changes made outside this server (a job
that registers a model through MLflow, another server on the same store) are seen too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..errors import InvalidRequest, NotFound
from ..timeutil import as_utc
from .schemas import TriggerOn

Cause = tuple[str, dict[str, Any]]  # (cause key, what the template and the history see)
MAX_CRON_SLOTS = 1  # slots missed while the server was down: only the latest fires (like catch_up="latest")


class Watchers:
    def __init__(self, store, models):
        self.store = store
        self.models = models  # ModelService (MLflow's registry)

    # ---- the three questions every kind answers -------------------------------------------------

    def check(self, on: TriggerOn) -> None:
        """The thing watched exists (a typo would otherwise never fire)."""
        if on.data:
            from ..data.tables import DataAssetRow

            with self.store.session() as s:
                if s.get(DataAssetRow, on.data) is None:
                    raise InvalidRequest(f"on.data: no data asset named {on.data!r}; register it first (ml.data.create)")
        elif on.model:
            try:
                self.models.get(on.model)
            except NotFound:
                raise InvalidRequest(f"on.model: no registered model named {on.model!r}; register a version first") from None
        elif on.alert and on.alert != "*":
            from ..monitoring.tables import MonitorRow

            with self.store.session() as s:
                if s.scalar(select(MonitorRow.name).where(MonitorRow.name == on.alert)) is None:
                    raise InvalidRequest(f"on.alert: no monitor named {on.alert!r}; create it first, or use '*' for any monitor")
        elif on.cron:
            from ..schedules.timing import Timing

            Timing(on.cron, None, on.time_zone, None, None, datetime(2000, 1, 1))

    def mark(self, on: TriggerOn, now: datetime) -> dict[str, Any]:
        """The ``seen`` mark of the present: what exists now does not fire."""
        _, seen = self.new(on, {}, now, baseline=True)
        return seen

    def new(self, on: TriggerOn, seen: dict[str, Any], now: datetime, baseline: bool = False) -> tuple[list[Cause], dict[str, Any]]:
        """Causes above ``seen`` (oldest first) and the mark after them."""
        if on.data:
            return self._data(on.data, seen, baseline)
        if on.model and on.alias:
            return self._alias(on.model, on.alias, seen, baseline)
        if on.model and on.tag:
            return self._tag(on.model, on.tag, seen, baseline)
        if on.model:
            return self._model(on.model, seen, baseline)
        if on.alert:
            return self._alert(on.alert, seen, baseline)
        return self._cron(on, seen, now, baseline)

    def latest(self, on: TriggerOn, now: datetime) -> dict[str, Any]:
        """The cause ``fire_now`` uses by default: the newest thing watched, if any."""
        causes, _ = self.new(on, {}, now)
        if on.cron:
            return {"kind": "cron", "scheduled_time": as_utc(now).isoformat()}
        return causes[-1][1] if causes else {"kind": on.kind}

    # ---- each kind --------------------------------------------------------------------------

    def _data(self, name: str, seen: dict[str, Any], baseline: bool) -> tuple[list[Cause], dict[str, Any]]:
        from ..data.tables import DataVersionRow

        since = int(seen.get("version", 0))
        with self.store.session() as s:
            if baseline:
                top = s.scalar(select(func.max(DataVersionRow.version)).where(DataVersionRow.name == name))
                return [], {"version": int(top or 0)}
            rows = s.execute(
                select(DataVersionRow.version, DataVersionRow.digest, DataVersionRow.status)
                .where(DataVersionRow.name == name, DataVersionRow.version > since).order_by(DataVersionRow.version)
            ).all()
        causes: list[Cause] = []
        for version, digest, status in rows:
            if status != "Ready":
                break  # still registering: it and the ones after it wait for the next look
            causes.append((f"data:{name}@{version}", {"kind": "data", "name": name, "version": version,
                                                        "ref": f"data:{name}@{version}", "digest": digest}))
            since = version
        return causes, {"version": since}

    def _versions(self, name: str) -> list:
        try:
            return self.models.versions(name)
        except NotFound:
            return []  # the model was deleted: nothing to fire until it comes back

    def _model(self, name: str, seen: dict[str, Any], baseline: bool) -> tuple[list[Cause], dict[str, Any]]:
        since = int(seen.get("version", 0))
        ready = sorted(int(v.version) for v in self._versions(name) if v.status == "READY")
        if baseline:
            return [], {"version": max(ready, default=0)}
        causes: list[Cause] = []
        for version in (v for v in ready if v > since):
            causes.append((f"model:{name}:{version}", {"kind": "model", "name": name, "version": version, "ref": f"{name}:{version}"}))
            since = version
        return causes, {"version": since}

    def _alias(self, name: str, alias: str, seen: dict[str, Any], baseline: bool) -> tuple[list[Cause], dict[str, Any]]:
        try:
            current = self.models.get(name).aliases.get(alias)
        except NotFound:
            current = None
        if baseline:
            return [], {"version": current, "moves": 0}
        if current is None or str(seen.get("version")) == str(current):
            return [], {**seen, "version": current}
        # A move back to an earlier version is a new cause too: the key counts the moves.
        moves = int(seen.get("moves", 0)) + 1
        cause = {"kind": "model_alias", "name": name, "alias": alias, "version": int(current), "ref": f"{name}@{alias}"}
        return [(f"alias:{name}@{alias}#{moves}={current}", cause)], {"version": current, "moves": moves}

    def _tag(self, name: str, tag: str, seen: dict[str, Any], baseline: bool) -> tuple[list[Cause], dict[str, Any]]:
        key, _, value = tag.partition("=")
        tagged = sorted(int(v.version) for v in self._versions(name)
                        if key in v.tags and (not value or v.tags[key] == value))
        already = set(seen.get("versions", []))
        if baseline:
            return [], {"versions": tagged}
        causes = [(f"tag:{name}:{v}:{tag}", {"kind": "model_tag", "name": name, "version": v, "ref": f"{name}:{v}", "tag": tag})
                  for v in tagged if v not in already]
        return causes, {"versions": sorted(already | set(tagged))}

    def _alert(self, monitor: str, seen: dict[str, Any], baseline: bool) -> tuple[list[Cause], dict[str, Any]]:
        from ..monitoring.tables import AlertRow

        since = int(seen.get("alert_id", 0))
        with self.store.session() as s:
            if baseline:
                q = select(func.max(AlertRow.id))
                if monitor != "*":
                    q = q.where(AlertRow.monitor == monitor)
                return [], {"alert_id": int(s.scalar(q) or 0)}
            q = select(AlertRow.id, AlertRow.monitor, AlertRow.message, AlertRow.job_id).where(AlertRow.id > since).order_by(AlertRow.id)
            if monitor != "*":
                q = q.where(AlertRow.monitor == monitor)
            rows = s.execute(q.limit(100)).all()
        causes: list[Cause] = []
        for alert_id, name, message, job_id in rows:
            causes.append((f"alert:{alert_id}", {"kind": "alert", "alert_id": alert_id, "monitor": name,
                                                 "message": message, "monitor_job_id": job_id}))
            since = alert_id
        return causes, {"alert_id": since}

    def _cron(self, on: TriggerOn, seen: dict[str, Any], now: datetime, baseline: bool) -> tuple[list[Cause], dict[str, Any]]:
        from ..schedules.timing import Timing

        if baseline or not seen.get("slot"):
            return [], {"slot": now.isoformat()}
        timing = Timing(on.cron, None, on.time_zone, None, None, now)
        slots = list(timing.slots(datetime.fromisoformat(seen["slot"]), now))
        if not slots:
            return [], seen
        causes = [(f"cron:{t.isoformat()}", {"kind": "cron", "scheduled_time": as_utc(t).isoformat()}) for t in slots[-MAX_CRON_SLOTS:]]
        return causes, {"slot": slots[-1].isoformat()}
