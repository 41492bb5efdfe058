"""REST handlers of MLflow experiments and runs."""

from __future__ import annotations

from ..core.experiments.schemas import ExperimentPage, JobMetrics, RunPage
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op, Query


class ExperimentsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        page = self.page_args(100)
        self.reply(await self.run(self.workspace.experiments.list_experiments, page["limit"], page["cursor"]))


class ExperimentRunsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, experiment_id: str):
        page = self.page_args(50)
        self.reply(
            await self.run(
                self.workspace.experiments.list_runs,
                experiment_id,
                page["limit"],
                page["cursor"],
                self.get_query_argument("order_by", None),
                self.get_query_argument("filter", ""),
            )
        )


class RunMetricsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, run_id: str):
        self.reply(await self.run(self.workspace.experiments.run_metrics, run_id))


T = "experiments"
OPS = [
    Op("GET", "/experiments", ExperimentsHandler, "listExperiments", "MLflow experiments.", ExperimentPage, query=PAGE, tag=T),
    Op(
        "GET", "/experiments/{experiment_id}/runs", ExperimentRunsHandler, "listRuns", "Runs of an experiment, sortable by any metric.", RunPage,
        query=(
            Query("order_by", description="MLflow order, e.g. `metrics.rmse ASC`."),
            Query("filter", description="MLflow filter string."),
            *PAGE,
        ),
        tag=T,
    ),
    Op("GET", "/runs/{run_id}/metrics", RunMetricsHandler, "getRunMetrics", "Metric histories and params of any MLflow run.", JobMetrics, tag=T),
]
