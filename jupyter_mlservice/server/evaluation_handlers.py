"""REST handlers of model evaluations."""

from __future__ import annotations

from ..core.evaluations.schemas import Evaluation, EvaluationCreate, EvaluationPage
from .base import MLServiceHandler, authenticated, authorized
from .ops import PAGE, Op, Query


class EvaluationsHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self):
        model = self.get_query_argument("model", None)
        version = self.get_query_argument("version", None)
        self.reply(await self.run(self.workspace.evaluations.list, model, version, **self.page_args(50)))

    @authenticated
    @authorized
    async def post(self):
        body = self.parse(EvaluationCreate)
        user = getattr(self.current_user, "username", "") or ""
        self.reply(await self.run(self.workspace.evaluations.create, body, user), status=201)


class EvaluationHandler(MLServiceHandler):
    @authenticated
    @authorized
    async def get(self, evaluation_id: str):
        self.reply(await self.run(self.workspace.evaluations.get, evaluation_id))


T = "evaluations"
OPS = [
    Op("GET", "/evaluations", EvaluationsHandler, "listEvaluations", "Evaluations, newest first; `model` (and `version`) filter by candidate.",
       EvaluationPage, query=(Query("model", description="Candidate model name."), Query("version", description="Candidate version (with model)."), *PAGE), tag=T),
    Op("POST", "/evaluations", EvaluationsHandler, "createEvaluation",
       "Score a candidate and a baseline model version on the same rows of a data asset (in a job), compare them per metric with a "
       "paired bootstrap interval, and judge an optional gate.", Evaluation, EvaluationCreate, 201, tag=T),
    Op("GET", "/evaluations/{evaluation_id}", EvaluationHandler, "getEvaluation", "An evaluation with its comparison and verdict.", Evaluation, tag=T),
]
