"""Monitors: CRUD, run now, history, per-feature results, alerts, and the subscription hook.

A monitor is desired state: its row says what to watch, against which baseline, when and how
to alert. The controller (``controller.py``) makes the world match: it writes the monitor's
settings file for its runs, keeps a schedule named ``monitor-<name>`` in step with it (the
schedule machinery fires the runs, exactly once per slot), and ingests each run job's result
when the job ends. Every run is a job (``python -m jupyter_mlservice.core.monitoring.run``).
"""

from __future__ import annotations

import logging
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, InvalidRequest, NotFound
from ..events import EventBus
from ..pagination import check_limit, page
from ..jobs.schemas import JobStatus
from ..store import Store
from ..jobs.tables import JobRow
from ..timeutil import as_utc, utcnow
from .schemas import (
    Alert,
    AlertPage,
    CollectedRegister,
    EndpointSeries,
    FeatureResult,
    FeatureSeries,
    FeatureSeriesPoint,
    Monitor,
    MonitorCreate,
    MonitorPage,
    MonitorRun,
    MonitorRunDetail,
    MonitorRunPage,
    MonitorUpdate,
    SignalSummary,
    parse_window,
)
from .tables import AlertRow, EndpointSampleRow, MonitorResultRow, MonitorRow, MonitorRunRow

log = logging.getLogger("jupyter_mlservice.monitoring")

TAG_MONITOR = "mlservice.monitor"
TAG_WINDOW_END = "mlservice.monitor_window_end"
TAG_TRIGGER = "mlservice.monitor_trigger"
SCHEDULE_PREFIX = "monitor-"
EXPERIMENT = "monitoring"
SPEC_FIELDS = ("baseline", "current", "features", "feature_kinds", "signals", "window", "alpha", "schedule", "alert")


class MonitorService:
    def __init__(
        self,
        store: Store,
        jobs,
        schedules,
        endpoints,
        workspace_dir: Path,
        root_dir: Path,
        series_interval_s: float = 15.0,
        series_retention_hours: float = 168.0,
        alert_backoff_s: float = 5.0,
        alert_attempts: int = 6,
        webhook_timeout_s: float = 10.0,
        poll_interval: float = 2.0,
        events: EventBus | None = None,
        data=None,
        data_inputs=None,
        lineage=None,
    ):
        from .controller import AlertDeliverer, MonitorController, SeriesSampler

        self.store, self.jobs, self.schedules, self.endpoints = store, jobs, schedules, endpoints
        # data assets: baselines and current data given as data:NAME@VERSION (checked through the
        # data area's JobIO, as a job's inputs are), collected windows registered as versions
        self.data, self.data_inputs, self.lineage = data, data_inputs, lineage
        self.workspace_dir, self.root_dir = Path(workspace_dir), Path(root_dir)
        self.dir = self.workspace_dir / "monitoring"
        self.series_interval_s, self.series_retention_hours = series_interval_s, series_retention_hours
        self.alert_backoff_s, self.alert_attempts, self.webhook_timeout_s = alert_backoff_s, alert_attempts, webhook_timeout_s
        self._subscribers: list[Callable[[Alert], None]] = []
        self.events = events or EventBus()
        self.controller = MonitorController(self, interval=poll_interval)
        self.deliverer = AlertDeliverer(self)
        self.sampler = SeriesSampler(self, interval=series_interval_s)

    # ---- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self.controller.start()
        self.deliverer.start()
        self.sampler.start()

    def stop(self) -> None:
        self.sampler.stop()
        self.deliverer.stop()
        self.controller.stop()

    def job_changed(self, row: JobRow) -> None:
        """Job listener: a monitor run's job moved; ingest it soon."""
        if (row.tags or {}).get(TAG_MONITOR):
            self.controller.wake()

    # ---- hooks ---------------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Alert], None]) -> Callable[[], None]:
        """Call ``callback(alert)`` for every new alert (on the controller's thread, after the alert's
        row is stored). Returns a function that unsubscribes. This is how automation (triggers)
        reacts to alerts; one that must not miss an alert across restarts also reads
        ``alerts(after=last_seen_id)`` when it starts, since alert ids only grow.

        ``unsubscribe = ws.monitors.subscribe(lambda alert: print(alert.monitor, alert.message))``
        """
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        """A `monitor` event (``server/events/monitor.yaml``): `run` (a run ended) or `alert`."""
        payload = {"action": kind, **{k: v for k, v in data.items() if v is not None or k in ("breached", "error")}}
        self.events.emit("monitor", payload)

    def _alerted(self, alert: Alert) -> None:
        self._emit("alert", {"monitor": alert.monitor, "alert_id": alert.id, "run_id": alert.run_id, "job_id": alert.job_id,
                             "message": alert.message, "notify": alert.notify, "signals": [s.type for s in alert.signals if s.breached]})  # fmt: skip
        for callback in list(self._subscribers):
            try:
                callback(alert)
            except Exception:
                log.exception("alert subscriber failed")

    # ---- monitors ------------------------------------------------------------------------------

    def create(self, body: MonitorCreate) -> Monitor:
        self._check_source(body.endpoint, body.deployment, body.batch)
        self._check_baseline(body)
        self._check_schedule(body.name, body.schedule)
        now = utcnow()
        spec = body.model_dump(mode="json", include=set(SPEC_FIELDS))
        row = MonitorRow(
            name=body.name, description=body.description, endpoint=body.endpoint, deployment=body.deployment, batch=body.batch,
            spec=spec, enabled=body.enabled, schedule_name=SCHEDULE_PREFIX + body.name if body.schedule else None,
            created_at=now, updated_at=now,
        )  # fmt: skip
        try:
            with self.store.session() as s:
                s.add(row)
        except IntegrityError:
            raise Conflict(f"a monitor named {body.name!r} already exists; pick another name or PATCH it") from None
        self.controller.sync(body.name)  # the settings file and the schedule, now rather than next tick
        return self.get(body.name)

    def row(self, name: str) -> MonitorRow:
        with self.store.session() as s:
            row = s.get(MonitorRow, name)
            if row is None:
                raise NotFound(f"no monitor named {name!r}")
            s.expunge(row)
            return row

    def get(self, name: str) -> Monitor:
        return self._to_model(self.row(name))

    def list(self, limit: int = 100, cursor: str | None = None, endpoint: str | None = None) -> MonitorPage:
        q = select(MonitorRow)
        if endpoint:
            q = q.where(MonitorRow.endpoint == endpoint)
        with self.store.session() as s:
            rows, nxt = page(s, q, [MonitorRow.name], limit, cursor)
            s.expunge_all()
        return MonitorPage(items=[self._to_model(r) for r in rows], next_cursor=nxt)

    def update(self, name: str, body: MonitorUpdate) -> Monitor:
        row = self.row(name)
        changes = body.model_dump(mode="json", exclude_unset=True)
        spec = {**row.spec, **{k: v for k, v in changes.items() if k in SPEC_FIELDS}}
        merged = MonitorCreate.model_validate({**spec, "name": row.name, "endpoint": row.endpoint, "deployment": row.deployment,
                                               "batch": row.batch, "description": row.description})  # fmt: skip
        if "baseline" in changes or "features" in changes or "feature_kinds" in changes or "signals" in changes:
            self._check_baseline(merged)
        if "schedule" in changes:
            self._check_schedule(name, merged.schedule)
        with self.store.session() as s:
            live = s.get(MonitorRow, name)
            if live is None:
                raise NotFound(f"no monitor named {name!r}")
            live.spec = merged.model_dump(mode="json", include=set(SPEC_FIELDS))
            if "description" in changes:
                live.description = changes["description"] or ""
            if "enabled" in changes:
                live.enabled = bool(changes["enabled"])
            live.schedule_name = SCHEDULE_PREFIX + name if merged.schedule else None
            live.updated_at = utcnow()
        self.controller.sync(name)
        return self.get(name)

    def set_enabled(self, name: str, enabled: bool) -> Monitor:
        return self.update(name, MonitorUpdate(enabled=enabled))

    def delete(self, name: str) -> None:
        """Delete the monitor, its schedule, runs, results and alerts (the run jobs stay)."""
        self.row(name)
        with self.store.session() as s:
            runs = list(s.scalars(select(MonitorRunRow.id).where(MonitorRunRow.monitor == name)))
            if runs:
                s.execute(delete(MonitorResultRow).where(MonitorResultRow.run_id.in_(runs)))
            s.execute(delete(MonitorRunRow).where(MonitorRunRow.monitor == name))
            s.execute(delete(AlertRow).where(AlertRow.monitor == name))
            s.execute(delete(MonitorRow).where(MonitorRow.name == name))
        self.controller.sync(name)  # removes the schedule and the settings file

    def run_now(self, name: str) -> MonitorRun:
        """Start a run at once (enabled or not) over the window that ends now."""
        row = self.row(name)
        self.controller.sync(name)
        end = datetime.now(timezone.utc)
        job = self.jobs.submit(self.job_spec(row, end.isoformat(), "manual"))
        return self._run_model(self.controller.record_run(job.id, name, "manual", end, judged_window(row.spec)))

    # ---- runs ----------------------------------------------------------------------------------

    def runs(self, name: str, limit: int = 50, cursor: str | None = None) -> MonitorRunPage:
        check_limit(limit)
        self.row(name)
        q = select(MonitorRunRow).where(MonitorRunRow.monitor == name)
        with self.store.session() as s:
            rows, nxt = page(s, q, [MonitorRunRow.id], limit, cursor, descending=True)
            s.expunge_all()
        return MonitorRunPage(items=self._run_models(rows), next_cursor=nxt)

    def run(self, name: str, run_id: int) -> MonitorRunDetail:
        with self.store.session() as s:
            row = s.get(MonitorRunRow, run_id)
            if row is None or row.monitor != name:
                self.row(name)
                raise NotFound(f"monitor {name!r} has no run {run_id}")
            results = list(s.scalars(select(MonitorResultRow).where(MonitorResultRow.run_id == run_id).order_by(MonitorResultRow.id)))
            s.expunge_all()
        base = self._run_models([row])[0]
        return MonitorRunDetail(
            **base.model_dump(), histograms=row.histograms or {},
            features=[FeatureResult(signal=r.signal, feature=r.feature, kind=r.kind, method=r.method, statistic=r.statistic,
                                    threshold=r.threshold, p_value=r.p_value, breached=r.breached, importance=r.importance,
                                    details=r.details or {}) for r in results],
        )  # fmt: skip

    def feature_series(self, name: str, signal: str = "data_drift", limit: int = 50) -> FeatureSeries:
        """Each feature's statistic over the latest ``limit`` completed runs, oldest first."""
        check_limit(limit)
        self.row(name)
        with self.store.session() as s:
            runs = list(s.execute(
                select(MonitorRunRow.id, MonitorRunRow.window_end).where(MonitorRunRow.monitor == name, MonitorRunRow.state == "Completed")
                .order_by(MonitorRunRow.id.desc()).limit(limit)
            ).all())  # fmt: skip
            ends = {rid: end for rid, end in runs}
            rows = list(s.execute(
                select(MonitorResultRow.run_id, MonitorResultRow.feature, MonitorResultRow.statistic, MonitorResultRow.threshold,
                       MonitorResultRow.breached)
                .where(MonitorResultRow.monitor == name, MonitorResultRow.signal == signal, MonitorResultRow.run_id.in_(list(ends)))
                .order_by(MonitorResultRow.run_id)
            ).all()) if ends else []  # fmt: skip
        out: dict[str, list[FeatureSeriesPoint]] = {}
        for run_id, feature, statistic, threshold, breached in rows:
            out.setdefault(feature, []).append(FeatureSeriesPoint(run_id=run_id, window_end=as_utc(ends[run_id]), statistic=statistic,
                                                                 threshold=threshold, breached=breached))  # fmt: skip
        return FeatureSeries(monitor=name, signal=signal, features=out)

    # ---- alerts --------------------------------------------------------------------------------

    def alerts(self, name: str | None = None, limit: int = 50, cursor: str | None = None, after: int | None = None) -> AlertPage:
        """Newest first; ``after``: only alerts with a larger id, oldest first (to catch up)."""
        check_limit(limit)
        if name is not None:
            self.row(name)
        q = select(AlertRow)
        if name is not None:
            q = q.where(AlertRow.monitor == name)
        with self.store.session() as s:
            if after is not None:  # catching up: the next ones in order, no cursor
                rows, nxt = list(s.scalars(q.where(AlertRow.id > after).order_by(AlertRow.id).limit(limit))), None
            else:
                rows, nxt = page(s, q, [AlertRow.id], limit, cursor, descending=True)
            s.expunge_all()
        return AlertPage(items=[alert_model(r) for r in rows], next_cursor=nxt)

    # ---- endpoint time series ------------------------------------------------------------------

    def series(self, endpoint: str, since: datetime | None = None, until: datetime | None = None,
               deployment: str | None = None, step_s: float | None = None) -> EndpointSeries:  # fmt: skip
        """Requests, errors and latency per deployment over [since, until) (default: the last hour),
        at most about 300 points per deployment (``step_s`` sets the spacing). A range that reaches
        now ends with what the live counters add since the last stored sample, so requests made a
        moment ago are there."""
        created_at = self.endpoints.get_endpoint(endpoint).created_at
        to_now = until is None or _naive(until) >= utcnow()
        until = _naive(until) or utcnow()
        since = _naive(since) or until - timedelta(hours=1)
        if since >= until:
            raise InvalidRequest("since must be before until")
        step = max(self.series_interval_s, step_s or (until - since).total_seconds() / 300)
        q = select(EndpointSampleRow).where(EndpointSampleRow.endpoint == endpoint, EndpointSampleRow.time >= since).order_by(EndpointSampleRow.time)
        if not to_now:  # up to now: every stored row, up to the reading the live tail starts from
            q = q.where(EndpointSampleRow.time < until)
        if deployment:
            q = q.where(EndpointSampleRow.deployment == deployment)
        with self.sampler.lock:  # the stored rows and the reading they end at, from one moment
            with self.store.session() as s:
                rows = list(s.scalars(q))
                s.expunge_all()
            previous = self.sampler.previous_reading(endpoint, _naive(created_at)) if to_now else None
        rows += [r for r in self.sampler.pending(endpoint, previous) if deployment in (None, r.deployment)]
        from .timeseries import downsample

        return EndpointSeries(endpoint=endpoint, deployments=downsample(rows, since, step), interval_s=self.series_interval_s,
                              retention_hours=self.series_retention_hours)  # fmt: skip

    # ---- what runs need ------------------------------------------------------------------------

    def config_path(self, name: str) -> Path:
        return self.dir / "monitors" / name / "monitor.json"

    def job_spec(self, row: MonitorRow, end: str, trigger: str):
        """The run job: a command job running the run module (``end`` may be a schedule template)."""
        from ..jobs.schemas import CommandJobSpec

        return CommandJobSpec.model_validate(self.job_template(row, end, trigger))

    def job_template(self, row: MonitorRow, end: str, trigger: str) -> dict[str, Any]:
        python = shlex.quote(sys.executable)
        template = {
            "kind": "command",
            "command": f"{python} -m jupyter_mlservice.core.monitoring.run --config {shlex.quote(str(self.config_path(row.name)))} --end '{end}'",
            "experiment": EXPERIMENT,
            "display_name": f"monitor {row.name}",
            "tags": {TAG_MONITOR: row.name, TAG_WINDOW_END: end, TAG_TRIGGER: trigger},
        }
        # data assets are job inputs: resolved when the job starts (data:NAME = the latest version
        # then), checked against their digest, recorded as lineage, handed over as local paths
        inputs = {role: ref for role, ref in (("baseline", row.spec["baseline"]), ("current", row.spec.get("current")))
                  if ref and ref.startswith("data:")}  # fmt: skip
        if inputs:
            template["inputs"] = inputs
        return template

    def run_config(self, row: MonitorRow) -> dict[str, Any]:
        """What a run reads (``run.py``): the monitor's settings with paths and model resolved."""
        from .collection import collected_dir

        model = None
        if row.spec.get("current"):
            source = {"kind": "data", "name": row.spec["current"], "deployment": None, "folder": None}
        elif row.endpoint:
            try:
                model = self.endpoints.serving_model(row.endpoint, row.deployment)
            except NotFound:
                model = None
            source = {"kind": "endpoint", "name": row.endpoint, "deployment": row.deployment}
        else:
            source = {"kind": "batch", "name": row.batch, "deployment": None}
            model = _batch_model(collected_dir(self.workspace_dir, row.batch))
        if source["kind"] != "data":
            source["folder"] = str(collected_dir(self.workspace_dir, source["name"]))
        return {
            "name": row.name, **row.spec, "source": source, "model": model, "root_dir": str(self.root_dir),
            "allowed_paths": [str(p) for p in self.jobs.paths.allowed[1:]],
            "workspace_dir": str(self.workspace_dir), "profiles_dir": str(self.dir / "profiles"),
        }  # fmt: skip

    # ---- checks --------------------------------------------------------------------------------

    def _check_source(self, endpoint: str | None, deployment: str | None, batch: str | None) -> None:
        if endpoint:
            try:
                ep = self.endpoints.get_endpoint(endpoint)
            except NotFound:
                raise InvalidRequest(f"no endpoint named {endpoint!r}; create it first, or give batch= for a batch collection") from None
            if deployment and deployment not in ep.deployments:
                raise InvalidRequest(f"endpoint {endpoint!r} has no deployment {deployment!r} (it has: {', '.join(ep.deployments) or 'none'})")
        elif batch:
            import re

            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,63}", batch):
                raise InvalidRequest("batch is a collection name: letters, digits and '-', starting with a letter")

    def _check_schedule(self, name: str, schedule) -> None:
        """A valid cron or recurrence, and no schedule of someone else's under the name it takes."""
        if schedule is None:
            return
        from ..schedules.timing import Timing

        Timing(schedule.cron, schedule.recurrence.model_dump() if schedule.recurrence else None, schedule.time_zone, None, None, utcnow())
        try:
            current = self.schedules.row(SCHEDULE_PREFIX + name)
        except NotFound:
            return
        if (current.job or {}).get("tags", {}).get(TAG_MONITOR) != name:
            raise Conflict(f"a schedule named {SCHEDULE_PREFIX + name!r} already exists and is not this monitor's; "
                           "rename one of them")  # fmt: skip

    @staticmethod
    def _baseline_schema(baseline: str, files: list[Path]):
        from .sources import schema_of

        try:
            return schema_of(files)
        except Exception as exc:  # noqa: BLE001 - a corrupt or unreadable file
            raise InvalidRequest(f"baseline {baseline!r} cannot be read: {exc}") from None

    def _check_baseline(self, body: MonitorCreate) -> None:
        """The baseline exists and has the features; methods fit the features' kinds."""
        from .profile import kind_of
        from .signals import SignalError, method_for

        if body.current:
            with self._data_files(body.current, "current"):
                pass  # it exists and is CSV/Parquet (its columns are judged by each run)
        with self._data_files(body.baseline, "baseline") as files:
            schema = self._baseline_schema(body.baseline, files)
        kinds = {f.name: body.feature_kinds.get(f.name) or kind_of(f.type) for f in schema}
        wanted = list(body.features or []) + list(body.feature_kinds)
        missing = sorted({n for n in wanted if n not in kinds})
        if missing:
            raise InvalidRequest(f"the baseline has no column {', '.join(map(repr, missing))}; it has: {', '.join(schema.names)}")
        unusable = sorted(n for n in (body.features or []) if kinds[n] is None)
        if unusable:
            raise InvalidRequest(f"column(s) {', '.join(unusable)} cannot be monitored (not numbers, text or booleans); "
                                 "set their feature_kinds or leave them out of features")  # fmt: skip
        for sig in body.signals:
            per = getattr(sig, "per_feature", {}) or {}
            for feature, settings in per.items():
                if sig.type == "data_drift" and feature not in kinds:
                    raise InvalidRequest(f"{sig.type}.per_feature: the baseline has no column {feature!r}")
                method = getattr(settings, "method", None)
                kind = getattr(settings, "kind", None) or kinds.get(feature)
                if method and kind:
                    try:
                        method_for(kind, method)
                    except SignalError as exc:
                        raise InvalidRequest(f"{sig.type}.per_feature.{feature}: {exc}") from None
            method = getattr(sig, "method", "auto")
            if sig.type == "data_drift" and method != "auto":
                for feature in body.features or [n for n, k in kinds.items() if k]:
                    if feature in per and getattr(per[feature], "method", None):
                        continue
                    try:
                        method_for(kinds[feature], method)
                    except SignalError as exc:
                        raise InvalidRequest(f"data_drift: feature {feature!r}: {exc}; set per_feature.{feature}.method") from None

    def register_collected(self, source: str, body: CollectedRegister):
        """What ``source`` (an endpoint, or a batch collection) collected in a window, as a new
        version of a data asset (``data:iris-inputs@3``): a folder of Parquet files, copied into
        the data store and digested like any other version."""
        import shutil
        import uuid

        from ..data.schemas import DataCreate
        from .collected import export_window
        from .collection import collected_dir

        folder = collected_dir(self.workspace_dir, source)
        if not (folder / body.stream).is_dir():
            raise NotFound(f"nothing was collected under {source!r}: deploy with collect=True (or give batch jobs collect={{'name': ...}})")
        until = body.until or datetime.now(timezone.utc)
        since, until = _aware(body.since), _aware(until)
        if since >= until:
            raise InvalidRequest("since must be before until")
        tmp = self.dir / "exports" / uuid.uuid4().hex
        try:
            rows = export_window(folder, body.stream, since, until, tmp, body.deployment)
            if rows == 0:
                who = f"deployment {body.deployment!r} of " if body.deployment else ""
                raise InvalidRequest(f"{who}{source!r} collected no {body.stream} between {since.isoformat()} and {until.isoformat()}")
            name = body.name or f"{source}-{body.stream}"
            description = body.description or f"{body.stream} collected by {source} from {since.isoformat()} to {until.isoformat()} ({rows} rows)"
            tags = {"mlservice.collected": source, "mlservice.window": f"{since.isoformat()}/{until.isoformat()}"}
            return self.data.create(DataCreate(name=name, path=str(tmp), mode="copy", kind="folder", description=description, tags=tags),
                                    server_made=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def data_read(self, job_id: str) -> dict[str, str]:
        """The data asset versions a run's job was given, by role (from its lineage edges)."""
        if self.lineage is None:
            return {}
        from ..lineage.service import DATA_VERSION, JOB, Node

        edges = self.lineage.edges_to([Node(JOB, job_id)], ["input"])
        return {e.attrs.get("input", ""): e.src_id for e in edges if e.src_type == DATA_VERSION}

    @contextmanager
    def _data_files(self, given: str, role: str) -> Iterator[list[Path]]:
        """The CSV/Parquet files of a server path or of a data asset version, read as a job would
        read that input (a reference version whose files changed is refused, naming the file; a
        live table is read once into a temp folder); a clear 400 when there are none."""
        from .sources import expand

        if not given.startswith("data:"):
            files = expand(self.jobs.paths, given)
            if not files:
                raise InvalidRequest(f"{role} {given!r} matches no CSV or Parquet file on the server (paths are relative to {self.root_dir})")
            yield files
            return
        with self.data_inputs.local_files(given, f"{role} {given!r}", formats=("csv", "parquet")) as found:
            if not found.files:
                raise InvalidRequest(f"{role} {given!r}: {found.version.ref} holds no CSV or Parquet file; monitors read those")
            yield found.files

    # ---- models --------------------------------------------------------------------------------

    def _to_model(self, row: MonitorRow) -> Monitor:
        with self.store.session() as s:
            last = s.scalar(select(MonitorRunRow).where(MonitorRunRow.monitor == row.name).order_by(MonitorRunRow.id.desc()).limit(1))
            if last is not None:
                s.expunge(last)
            open_alerts = s.scalar(select(func.count()).select_from(AlertRow).where(
                AlertRow.monitor == row.name, AlertRow.created_at >= utcnow() - timedelta(hours=24)))  # fmt: skip
        next_run = None
        if row.schedule_name and row.enabled:
            try:
                next_run = self.schedules.get(row.schedule_name).next_run_at
            except NotFound:
                next_run = None
        return Monitor(
            name=row.name, description=row.description or "", endpoint=row.endpoint, deployment=row.deployment, batch=row.batch,
            enabled=row.enabled, schedule_name=row.schedule_name, next_run_at=next_run,
            last_run=self._run_models([last])[0] if last is not None else None, open_alerts=open_alerts or 0,
            created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at), **row.spec,
        )  # fmt: skip

    def _run_models(self, rows: list[MonitorRunRow]) -> list[MonitorRun]:
        ids = [r.job_id for r in rows]
        statuses: dict[str, str] = {}
        if ids:
            with self.store.session() as s:
                statuses = dict(s.execute(select(JobRow.id, JobRow.status).where(JobRow.id.in_(ids))).all())
        return [self._run_model(r, statuses.get(r.job_id)) for r in rows]

    def _run_model(self, row: MonitorRunRow, job_status: str | None = None) -> MonitorRun:
        return MonitorRun(
            id=row.id, monitor=row.monitor, job_id=row.job_id, job_status=JobStatus(job_status) if job_status else None,
            trigger="manual" if row.trigger == "manual" else "schedule", state=row.state, window_start=as_utc(row.window_start),
            window_end=as_utc(row.window_end), rows=row.rows, baseline_rows=row.baseline_rows, breached=row.breached,
            signals=[SignalSummary(**s) for s in row.signals or []], data=row.data or {}, error=row.error, created_at=as_utc(row.created_at),
            finished_at=as_utc(row.finished_at),
        )  # fmt: skip


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def judged_window(spec: dict[str, Any]) -> timedelta:
    """How far back a run looks: the monitor's window; none when it judges a data asset version."""
    return timedelta(0) if spec.get("current") else parse_window(spec.get("window") or "1h")


def alert_model(row: AlertRow) -> Alert:
    return Alert(
        id=row.id, monitor=row.monitor, run_id=row.run_id, job_id=row.job_id, created_at=as_utc(row.created_at),
        window_start=as_utc(row.window_start), window_end=as_utc(row.window_end), message=row.message,
        signals=[SignalSummary(**s) for s in row.signals or []], notify=row.notify, webhook=row.webhook, delivery=row.delivery,
        attempts=row.attempts, last_status=row.last_status, last_error=row.last_error, delivered_at=as_utc(row.delivered_at),
    )  # fmt: skip


def _batch_model(folder: Path) -> dict[str, Any] | None:
    """The model a batch collection was last scored with (written by the batch runner)."""
    import json

    try:
        return json.loads((folder / "model.json").read_text())
    except (OSError, ValueError):
        return None


def _naive(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is None else value.astimezone(timezone.utc).replace(tzinfo=None)
