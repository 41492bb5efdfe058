"""The controllers of monitoring (each a ``Reconciler``): monitors, alert delivery, time series.

* ``MonitorController`` makes what runs match the monitors' rows: each monitor's settings file
  (what its run jobs read) and its schedule ``monitor-<name>`` (created, changed, enabled,
  disabled or deleted with the monitor), then ingests the run jobs that ended: their results
  become rows, and a breach an alert row. Every step is a row update guarded by the state it
  expects, so a restart (or a second server) resumes without doing anything twice.
* ``AlertDeliverer`` POSTs each pending alert to its webhook, with retries and exponential
  backoff; the row records every attempt, so a restart resumes the deliveries (at least once;
  the ``X-Mlservice-Alert-Id`` header lets a receiver drop a repeat).
* ``SeriesSampler`` reads each endpoint's Prometheus counters every ``interval`` seconds and
  stores the requests, errors and latency percentiles of the interval; old points are pruned.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import MLServiceError, NotFound
from ..reconciler import Reconciler
from ..jobs.schemas import TERMINAL_STATUSES
from ..jobs.tables import JobRow
from ..timeutil import utcnow
from .schemas import SignalSummary, parse_window
from .run import RESULT_FILE
from .service import SCHEDULE_PREFIX, TAG_MONITOR, TAG_TRIGGER, TAG_WINDOW_END, alert_model
from .tables import AlertRow, EndpointSampleRow, MonitorResultRow, MonitorRow, MonitorRunRow

log = logging.getLogger("jupyter_mlservice.monitoring")

TERMINAL = [s.value for s in TERMINAL_STATUSES]
INGEST_DAYS = 30  # run jobs older than this are not looked at again
MAX_BACKOFF_S = 3600.0


class MonitorController(Reconciler):
    name = "mlservice-monitors"

    def __init__(self, service, interval: float = 2.0):
        super().__init__(interval=interval)
        self.service = service
        self._sync_lock = threading.RLock()

    def on_start(self) -> None:
        self.run_once()  # settle what a previous process left before serving requests

    def tick(self) -> None:
        with self.service.store.session() as s:
            names = list(s.scalars(select(MonitorRow.name)))
        for name in names:
            try:
                self.sync(name)
            except Exception:
                log.exception("monitor %s: could not bring its schedule and settings in step", name)
        self._drop_orphan_schedules(set(names))
        self.ingest(names)

    # ---- desired state -> settings file and schedule ---------------------------------------------

    def sync(self, name: str) -> None:
        svc = self.service
        with self._sync_lock:
            with svc.store.session() as s:
                row = s.get(MonitorRow, name)
                if row is not None:
                    s.expunge(row)
            schedule_name = SCHEDULE_PREFIX + name
            if row is None:
                self._delete_schedule(schedule_name, name)
                shutil.rmtree(svc.config_path(name).parent, ignore_errors=True)
                return
            path = svc.config_path(name)
            text = json.dumps(svc.run_config(row), indent=2, sort_keys=True)
            if not path.is_file() or path.read_text() != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.tmp")
                tmp.write_text(text)
                tmp.replace(path)
            schedule = row.spec.get("schedule")
            if not schedule:
                self._delete_schedule(schedule_name, name)
                return
            desired = {
                "cron": schedule.get("cron"), "recurrence": schedule.get("recurrence"), "time_zone": schedule.get("time_zone") or "UTC",
                "job": svc.job_template(row, "{{ scheduled_time_utc }}", "{{ trigger }}"), "enabled": row.enabled,
            }  # fmt: skip
            from ..schedules.schemas import ScheduleCreate, ScheduleUpdate

            try:
                current = svc.schedules.row(schedule_name)
            except NotFound:
                svc.schedules.create(ScheduleCreate(name=schedule_name, description=f"Runs monitor {name} (managed by the monitor)",
                                                    **desired))  # fmt: skip
                return
            if (current.job or {}).get("tags", {}).get(TAG_MONITOR) != name:
                log.warning("schedule %s exists and is not monitor %s's; the monitor runs only on demand", schedule_name, name)
                return
            have = {"cron": current.cron, "recurrence": current.recurrence, "time_zone": current.time_zone, "job": current.job,
                    "enabled": current.enabled}  # fmt: skip
            if have != desired:
                changes = {k: v for k, v in desired.items() if have[k] != v}
                svc.schedules.update(schedule_name, ScheduleUpdate(**changes))

    def _delete_schedule(self, schedule_name: str, monitor: str) -> None:
        try:
            current = self.service.schedules.row(schedule_name)
        except NotFound:
            return
        if (current.job or {}).get("tags", {}).get(TAG_MONITOR) == monitor:
            self.service.schedules.delete(schedule_name)

    def _drop_orphan_schedules(self, names: set[str]) -> None:
        from ..schedules.tables import ScheduleRow

        with self.service.store.session() as s:
            found = list(s.execute(select(ScheduleRow.name, ScheduleRow.job).where(ScheduleRow.name.like(SCHEDULE_PREFIX + "%"))).all())
        for schedule_name, job in found:
            owner = (job or {}).get("tags", {}).get(TAG_MONITOR)
            if owner and owner not in names and schedule_name == SCHEDULE_PREFIX + owner:
                self._delete_schedule(schedule_name, owner)

    # ---- run jobs -> run rows, results, alerts ---------------------------------------------------

    def record_run(self, job_id: str, monitor: str, trigger: str, end: datetime, window: timedelta) -> MonitorRunRow:
        """The run row of a job (inserted once: the job id is unique)."""
        end = end.astimezone(timezone.utc).replace(tzinfo=None) if end.tzinfo else end
        store = self.service.store
        try:
            with store.session() as s:
                s.add(MonitorRunRow(monitor=monitor, job_id=job_id, trigger=trigger, state="Running", window_start=end - window,
                                    window_end=end, signals=[], histograms={}, created_at=utcnow()))  # fmt: skip
        except IntegrityError:
            pass
        with store.session() as s:
            row = s.scalar(select(MonitorRunRow).where(MonitorRunRow.job_id == job_id))
            s.expunge(row)
            return row

    def ingest(self, names: list[str] | None = None) -> None:
        store = self.service.store
        if names is None:
            with store.session() as s:
                names = list(s.scalars(select(MonitorRow.name)))
        if not names:
            return
        with store.session() as s:
            windows = {n: w for n, w in s.execute(select(MonitorRow.name, MonitorRow.spec)).all()}
            tag = JobRow.tags[TAG_MONITOR].as_string()
            jobs = list(s.execute(
                select(JobRow.id, JobRow.status, JobRow.tags, JobRow.created_at)
                .outerjoin(MonitorRunRow, MonitorRunRow.job_id == JobRow.id)
                .where(JobRow.created_at >= utcnow() - timedelta(days=INGEST_DAYS), tag.in_(names),
                       or_(MonitorRunRow.id.is_(None), MonitorRunRow.state == "Running"))
                .order_by(JobRow.created_at)
            ).all())  # fmt: skip
        for job_id, status, tags, created_at in jobs:
            monitor = tags[TAG_MONITOR]
            end = _parse_time(tags.get(TAG_WINDOW_END)) or created_at.replace(tzinfo=timezone.utc)
            trigger = "manual" if tags.get(TAG_TRIGGER) == "manual" else "schedule"
            window = parse_window((windows.get(monitor) or {}).get("window") or "1h")
            run = self.record_run(job_id, monitor, trigger, end, window)
            if status in TERMINAL and run.state == "Running":
                try:
                    self._finish(run, status)
                except Exception:
                    log.exception("monitor %s: could not ingest run job %s", monitor, job_id)

    def _finish(self, run: MonitorRunRow, status: str) -> None:
        svc = self.service
        job_dir = svc.jobs.job_dir(run.job_id)
        result = None
        error = None
        if status == "Completed":
            try:
                result = json.loads((job_dir / "outputs" / RESULT_FILE).read_text())
            except (OSError, ValueError) as exc:
                error = f"the run job ended without a readable {RESULT_FILE}: {exc}"
        else:
            job = svc.jobs.get(run.job_id)
            error = _error_line(job_dir) or job.error or f"the run job ended {status}"
        alert = None
        with svc.store.session() as s:
            live = s.get(MonitorRunRow, run.id)
            if live is None or live.state != "Running":
                return  # another process ingested it
            live.finished_at = utcnow()
            if result is None:
                live.state, live.error = "Failed", error
            else:
                summaries = [_summary(sig) for sig in result["signals"]]
                live.state, live.rows, live.baseline_rows = "Completed", result.get("rows"), result.get("baseline_rows")
                live.breached = bool(result.get("breached"))
                live.signals = [x.model_dump() for x in summaries]
                live.histograms = result.get("histograms") or {}
                for sig in result["signals"]:
                    for row in sig.get("features") or []:
                        s.add(_result_row(run, sig["type"], row))
                monitor = s.get(MonitorRow, run.monitor)
                if live.breached and monitor is not None:
                    settings = monitor.spec.get("alert") or {}
                    webhook = settings.get("webhook")
                    alert = AlertRow(
                        monitor=run.monitor, run_id=run.id, job_id=run.job_id, created_at=utcnow(), window_start=live.window_start,
                        window_end=live.window_end, message=_message(run.monitor, summaries), signals=live.signals,
                        notify=bool(settings.get("notify", True)), webhook=webhook, delivery="pending" if webhook else "none",
                        attempts=0, next_attempt_at=utcnow() if webhook else None,
                    )  # fmt: skip
                    s.add(alert)
            state, breached, run_error = live.state, live.breached, live.error
        svc._emit("run", {"monitor": run.monitor, "run_id": run.id, "job_id": run.job_id, "state": state,
                          "breached": breached, "error": run_error})  # fmt: skip
        if alert is not None:
            log.info("monitor %s: alert %s (%s)", run.monitor, alert.id, alert.message)
            svc._alerted(alert_model(alert))
            if alert.webhook:
                svc.deliverer.wake()


class AlertDeliverer(Reconciler):
    name = "mlservice-alerts"

    def __init__(self, service, interval: float = 1.0):
        super().__init__(interval=interval)
        self.service = service

    def next_wait(self) -> float:
        with self.service.store.session() as s:
            nxt = s.scalar(select(AlertRow.next_attempt_at).where(AlertRow.delivery == "pending").order_by(AlertRow.next_attempt_at).limit(1))
        if nxt is None:
            return self.interval * 5
        return max(0.0, min(self.interval * 5, (nxt - utcnow()).total_seconds()))

    def tick(self) -> None:
        while not self.stopping:
            with self.service.store.session() as s:
                due = list(s.scalars(select(AlertRow).where(AlertRow.delivery == "pending", AlertRow.next_attempt_at <= utcnow())
                                     .order_by(AlertRow.id).limit(20)))  # fmt: skip
                s.expunge_all()
            if not due:
                return
            for row in due:
                if self.stopping:
                    return
                self.deliver(row)

    def deliver(self, row: AlertRow) -> None:
        svc = self.service
        alert = alert_model(row)
        payload = {"alert_id": alert.id, "monitor": alert.monitor, "run_id": alert.run_id, "job_id": alert.job_id,
                   "created_at": alert.created_at.isoformat(), "window_start": alert.window_start.isoformat(),
                   "window_end": alert.window_end.isoformat(), "message": alert.message,
                   "signals": [s.model_dump() for s in alert.signals]}  # fmt: skip
        headers = {"Content-Type": "application/json", "X-Mlservice-Alert-Id": str(alert.id), "User-Agent": "jupyter-mlservice"}
        status, error = None, None
        try:
            resp = requests.post(row.webhook, data=json.dumps(payload), headers=headers, timeout=svc.webhook_timeout_s)
            status = resp.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}: {resp.text[:300]}"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        attempts = row.attempts + 1
        now = utcnow()
        values: dict[str, Any] = {"attempts": attempts, "last_status": status, "last_error": error}
        if error is None:
            values.update(delivery="delivered", delivered_at=now, next_attempt_at=None)
        elif attempts >= svc.alert_attempts or (status is not None and 400 <= status < 500 and status not in (408, 429)):
            values.update(delivery="failed", next_attempt_at=None)  # out of tries, or the receiver refuses it for good
        else:
            values["next_attempt_at"] = now + timedelta(seconds=min(MAX_BACKOFF_S, svc.alert_backoff_s * 2 ** (attempts - 1)))
        with svc.store.session() as s:
            s.execute(update(AlertRow).where(AlertRow.id == row.id, AlertRow.attempts == row.attempts, AlertRow.delivery == "pending")
                      .values(**values))  # fmt: skip
        if error is None:
            log.info("alert %s delivered to its webhook (attempt %s)", row.id, attempts)
        else:
            log.warning("alert %s: webhook attempt %s failed: %s", row.id, attempts, error)


class SeriesSampler(Reconciler):
    name = "mlservice-endpoint-series"
    PRUNE_EVERY_S = 60.0

    def __init__(self, service, interval: float = 15.0):
        super().__init__(interval=interval)
        self.service = service
        self._last: dict[str, tuple[float, dict[str, dict[str, Any]]]] = {}
        self._pruned = 0.0

    def tick(self) -> None:
        from .timeseries import interval_rows, parse_prometheus

        svc = self.service
        now_wall, now = utcnow(), time.monotonic()
        try:
            endpoints = [e.name for e in svc.endpoints.list_endpoints().items]
        except MLServiceError:
            endpoints = []
        rows = []
        for name in endpoints:
            try:
                text = svc.endpoints.prometheus_text(name)
            except MLServiceError:
                text = None
            if text is None:
                self._last.pop(name, None)
                continue
            current = parse_prometheus(text)
            previous = self._last.get(name)
            self._last[name] = (now, current)
            if previous is not None:
                rows += interval_rows(name, now_wall, now - previous[0], previous[1], current)
        for gone in set(self._last) - set(endpoints):
            self._last.pop(gone, None)
        with svc.store.session() as s:
            s.add_all(rows)
            if now - self._pruned >= self.PRUNE_EVERY_S:
                s.execute(delete(EndpointSampleRow).where(EndpointSampleRow.time < now_wall - timedelta(hours=svc.series_retention_hours)))
                self._pruned = now


# ---- helpers --------------------------------------------------------------------------------------


def _parse_time(text: str | None) -> datetime | None:
    if not text or "{{" in text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _error_line(job_dir) -> str | None:
    """The run module's own words for why it failed (its last ``error:`` line)."""
    try:
        with open(job_dir / "output.log", "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 20_000))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    lines = [ln for ln in text.splitlines() if "mlservice-monitor: error:" in ln]
    return lines[-1].split("mlservice-monitor: error:", 1)[1].strip() if lines else None


def _summary(sig: dict[str, Any]) -> SignalSummary:
    return SignalSummary(type=sig["type"], breached=bool(sig["breached"]), tested=int(sig.get("tested") or 0),
                         breaches=list(sig.get("breaches") or []), summary=sig.get("summary") or {})  # fmt: skip


def _result_row(run: MonitorRunRow, signal: str, row: dict[str, Any]) -> MonitorResultRow:
    if signal == "data_quality":
        checks = row.get("checks") or {}
        worst = max(checks.items(), key=lambda kv: kv[1]["rate"] - kv[1].get("baseline_rate", 0.0), default=(None, None))
        return MonitorResultRow(
            run_id=run.id, monitor=run.monitor, signal=signal, feature=row["feature"], kind=row.get("kind"), method=worst[0],
            statistic=worst[1]["rate"] if worst[1] else None, threshold=worst[1]["threshold"] if worst[1] else None,
            p_value=worst[1]["p_value"] if worst[1] else None, breached=bool(row.get("breached")), details={"checks": checks, "rows": row.get("rows")},
        )  # fmt: skip
    if signal == "weighted_drift":
        return MonitorResultRow(run_id=run.id, monitor=run.monitor, signal=signal, feature=row["feature"], statistic=row.get("importance"),
                                importance=row.get("importance"), breached=bool(row.get("drifted")), details={})  # fmt: skip
    return MonitorResultRow(
        run_id=run.id, monitor=run.monitor, signal=signal, feature=row["feature"], kind=row.get("kind"), method=row.get("method"),
        statistic=row.get("statistic"), threshold=row.get("threshold"), p_value=row.get("p_value"), breached=bool(row.get("breached")),
        importance=row.get("importance"), details={**(row.get("details") or {}), "values": row.get("values"), "alpha": row.get("alpha")},
    )  # fmt: skip


def _message(monitor: str, summaries: list[SignalSummary]) -> str:
    parts = []
    for s in summaries:
        if s.breached:
            names = ", ".join(s.breaches[:5]) + (f" and {len(s.breaches) - 5} more" if len(s.breaches) > 5 else "")
            parts.append(f"{s.type} breached" + (f" ({names})" if names else ""))
    return f"monitor {monitor}: " + "; ".join(parts)
