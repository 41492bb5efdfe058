"""REST handlers of monitoring: monitors, their runs, results and alerts, and endpoint time series."""

from __future__ import annotations

from tornado import web

from ..core.data.schemas import DataVersion
from ..core.monitoring.schemas import (
    AlertPage,
    CollectedRegister,
    EndpointSeries,
    FeatureSeries,
    Monitor,
    MonitorCreate,
    MonitorPage,
    MonitorRun,
    MonitorRunDetail,
    MonitorRunPage,
    MonitorUpdate,
)
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op, Query


class _Base(MLServiceHandler):
    @property
    def monitors(self):
        return self.workspace.monitors


class CollectedRegisterHandler(_Base):
    @authenticated
    @authorized
    async def post(self, source: str):
        body = self.parse(CollectedRegister)
        self.reply(await self.run(self.monitors.register_collected, source, body), status=201)


class MonitorsHandler(_Base):
    @authenticated
    @authorized
    async def get(self):
        page = await self.run(self.monitors.list, **self.page_args(100),
                              endpoint=self.get_query_argument("endpoint", None))  # fmt: skip
        self.reply(page)

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(MonitorCreate)
        self.reply(await self.run(self.monitors.create, body), status=201)


class MonitorHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.monitors.get, name))

    @authenticated
    @authorized
    async def patch(self, name: str):
        body = self.parse(MonitorUpdate)
        self.reply(await self.run(self.monitors.update, name, body))

    @authenticated
    @authorized
    async def delete(self, name: str):
        await self.run(self.monitors.delete, name)
        self.set_status(204)
        self.finish()


class MonitorEnableHandler(_Base):
    @authenticated
    @authorized
    async def post(self, name: str):
        self.reply(await self.run(self.monitors.set_enabled, name, True))


class MonitorDisableHandler(_Base):
    @authenticated
    @authorized
    async def post(self, name: str):
        self.reply(await self.run(self.monitors.set_enabled, name, False))


class MonitorRunNowHandler(_Base):
    @authenticated
    @authorized
    async def post(self, name: str):
        self.reply(await self.run(self.monitors.run_now, name), status=201)


class MonitorRunsHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.monitors.runs, name, **self.page_args(50)))


class MonitorRunHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str, run_id: str):
        if not run_id.isdigit():
            raise web.HTTPError(400, "run_id is a number (the id of a run in the monitor's history)", reason="InvalidRequest")
        self.reply(await self.run(self.monitors.run, name, int(run_id)))


class MonitorFeaturesHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str):
        signal = self.get_query_argument("signal", "data_drift")
        self.reply(await self.run(self.monitors.feature_series, name, signal, limit=self.query_int("limit", 50)))


class MonitorAlertsHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.run(self.monitors.alerts, name, **self.page_args(50)))


class AlertsHandler(_Base):
    @authenticated
    @authorized
    async def get(self):
        after = self.get_query_argument("after", None)
        if after is not None and not after.isdigit():
            raise web.HTTPError(400, "after is an alert id (a number)", reason="InvalidRequest")
        page = await self.run(self.monitors.alerts, None, **self.page_args(50),
                              after=int(after) if after is not None else None)  # fmt: skip
        self.reply(page)


class EndpointSeriesHandler(_Base):
    @authenticated
    @authorized
    async def get(self, name: str):
        step = self.get_query_argument("step", None)
        try:
            step_s = float(step) if step is not None else None
        except ValueError:
            raise web.HTTPError(400, "step is a number of seconds", reason="InvalidRequest") from None
        series = await self.run(self.monitors.series, name, since=self.query_time("since"), until=self.query_time("until"),
                                deployment=self.get_query_argument("deployment", None), step_s=step_s)  # fmt: skip
        self.reply(series)


T = "monitoring"
OPS = [
    Op("GET", "/monitors", MonitorsHandler, "listMonitors", "Monitors by name.", MonitorPage,
       query=(Query("endpoint", description="Only this endpoint's monitors."), *PAGE), tag=T),  # fmt: skip
    Op("POST", "/monitors", MonitorsHandler, "createMonitor", "Watch an endpoint's (a batch collection's, a data asset's) data against a baseline.", Monitor, MonitorCreate, 201, tag=T),
    Op("GET", "/monitors/{name}", MonitorHandler, "getMonitor", "A monitor with its next and last run.", Monitor, tag=T),
    Op("PATCH", "/monitors/{name}", MonitorHandler, "updateMonitor", "Change any setting; its schedule follows.", Monitor, MonitorUpdate, tag=T),
    Op("DELETE", "/monitors/{name}", MonitorHandler, "deleteMonitor", "Delete a monitor, its schedule, runs and alerts (its jobs stay).", None, status=204, tag=T),
    Op("POST", "/monitors/{name}/enable", MonitorEnableHandler, "enableMonitor", "Enable its schedule.", Monitor, tag=T),
    Op("POST", "/monitors/{name}/disable", MonitorDisableHandler, "disableMonitor", "Disable its schedule; run now still works.", Monitor, tag=T),
    Op("POST", "/monitors/{name}/run", MonitorRunNowHandler, "runMonitorNow", "Start a run (a job) over the window that ends now.", MonitorRun, status=201, tag=T),
    Op("GET", "/monitors/{name}/runs", MonitorRunsHandler, "listMonitorRuns", "The monitor's runs, newest first.", MonitorRunPage, query=PAGE, tag=T),
    Op("GET", "/monitors/{name}/runs/{run_id}", MonitorRunHandler, "getMonitorRun", "A run with every feature's results and histograms.", MonitorRunDetail, tag=T),
    Op("GET", "/monitors/{name}/features", MonitorFeaturesHandler, "getMonitorFeatureSeries", "Each feature's statistic over the latest runs.", FeatureSeries,
       query=(Query("signal", description="data_drift (default), prediction_drift, data_quality or weighted_drift."),
              Query("limit", "integer", "Runs (1-1000, default 50).")), tag=T),  # fmt: skip
    Op("GET", "/monitors/{name}/alerts", MonitorAlertsHandler, "listMonitorAlerts", "The monitor's alerts, newest first.", AlertPage, query=PAGE, tag=T),
    Op("GET", "/alerts", AlertsHandler, "listAlerts", "Every monitor's alerts, newest first; with after, those after an id, oldest first.", AlertPage,
       query=(Query("after", "integer", "Only alerts with a larger id (catching up after a restart)."), *PAGE), tag=T),  # fmt: skip
    Op("POST", "/collected/{source}/register", CollectedRegisterHandler, "registerCollected",
       "What an endpoint (or a batch collection) collected in a window, as a new data asset version (`iris-inputs`).",
       DataVersion, CollectedRegister, 201, tag=T),
    Op("GET", "/endpoints/{name}/series", EndpointSeriesHandler, "getEndpointSeries", "Requests, errors and p50/p99 latency per deployment over time.", EndpointSeries,
       query=(Query("since", description="ISO 8601 start (default: an hour ago)."), Query("until", description="ISO 8601 end (default: now)."),
              Query("deployment"), Query("step", "number", "Seconds per point (default: about 300 points).")), tag=T),  # fmt: skip
]
