"""AutoML runs: check the data and settings, queue the parent job, show the leaderboard.

The run itself is AutoMLController's: one or more ``search`` child jobs (FLAML, each over a share
of the model families), then one ``finalize`` child job (ensemble, final model, importance).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InvalidRequest, NotFound
from ..jobs.children import ParentJobs
from ..jobs.service import to_job
from ..jobs.tables import JobRow
from ..paths import PathPolicy
from .schemas import METRICS, AutoMLCreate, AutoMLPage, AutoMLRun, DataSource, LeaderboardEntry

KIND = "automl"
TAG_ROLE = "mlservice.automl_role"
TAG_WORKER = "mlservice.automl_worker"
MIN_ROWS = 20
# Families in roughly increasing cost, dealt round-robin to the searches so each gets a mix.
COST_ORDER = ["logistic_regression", "elastic_net", "lasso_lars", "logistic_regression_l1", "lightgbm", "xgboost_limitdepth", "xgboost", "extra_trees", "random_forest", "knn"]


def suggest_time_budget(rows: int, columns: int) -> float:
    """Seconds of search the data size suggests: a minute for a small table, growing with the
    number of cells (about 1 s per 10,000 cells), capped at 4 hours."""
    return float(min(4 * 3600, max(60, round(60 + rows * max(columns, 1) / 10_000))))


def read_data(data: str | DataSource, paths: PathPolicy, what: str = "data") -> pd.DataFrame:
    """A CSV/Parquet file (relative to the server root) or a query, as a DataFrame; files and
    SQLite databases must be inside the server root (403 otherwise)."""
    root_dir = paths.root
    if isinstance(data, DataSource):
        import sqlalchemy

        url = paths.confine_url(data.url, f"{what}.url")
        try:
            engine = sqlalchemy.create_engine(url)
            with engine.connect() as conn:
                frame = pd.read_sql(sqlalchemy.text(data.sql) if data.sql else sqlalchemy.table(data.table).select(), conn)
            engine.dispose()
        except Exception as exc:
            raise InvalidRequest(f"{what}: the database refused the query: {str(exc).splitlines()[0]}") from None
        return frame
    path = paths.confine(data, what)
    if not path.is_file():
        raise InvalidRequest(f"{what}: {data!r} is not a file on the server (paths are relative to {root_dir})")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if path.suffix.lower() in (".csv", ".txt", ".gz"):
            return pd.read_csv(path)
    except Exception as exc:
        raise InvalidRequest(f"{what}: cannot read {data!r}: {exc}") from None
    raise InvalidRequest(f"{what}: {data!r} must be a .csv or .parquet file")


class AutoMLService:
    def __init__(self, store, jobs, targets, root_dir: Path, wake: Callable[[], None] = lambda: None, data_inputs=None):
        self.store = store
        self.jobs = jobs
        self.targets = targets
        self.parents = ParentJobs(jobs)
        self.root_dir = root_dir
        self.wake = wake
        self.data_inputs = data_inputs  # the data area's JobIO: data:NAME@V read as a table, and recorded

    def _read(self, data: str | DataSource, what: str, assets: dict[str, Any]) -> pd.DataFrame:
        """``read_data``, and ``data:`` references through the data area: the version is pinned
        in ``assets[what]`` (for the run's record and lineage)."""
        if not (isinstance(data, str) and data.startswith("data:")):
            return read_data(data, self.jobs.paths, what)
        if self.data_inputs is None:
            raise InvalidRequest(f"{what}: this workspace has no data assets; give a CSV/Parquet path or {{url, sql}}")
        table = self.data_inputs.read_table(data, what)
        assets[what] = table
        return table.frame

    def link_child(self, parent_id: str, child_id: str) -> None:
        """A child job reads the data assets its run read: the same lineage edges (its MLflow run
        is nested in the parent's, which has the ``log_inputs`` record)."""
        profile = json.loads((self.folder(parent_id) / "profile.json").read_text())
        for item in profile.get("data_assets", []):
            self.data_inputs.record_input(child_id, item["input"], self.data_inputs.data.resolve(item["ref"]), item["digest"])

    # ---- submit --------------------------------------------------------------------------------

    def submit(self, body: AutoMLCreate) -> AutoMLRun:
        try:
            self.targets.row(body.target)
        except NotFound as exc:
            raise InvalidRequest(exc.message) from None
        assets: dict[str, Any] = {}  # what -> TableInput, for data:NAME references
        frame = self._read(body.data, "data", assets)
        validation = self._read(body.validation.data, "validation.data", assets) if body.validation.data is not None else None
        profile = self._check(body, frame, validation)
        if assets:
            profile["data_assets"] = [{"input": what, "ref": t.version.ref, "digest": t.digest} for what, t in assets.items()]
            body = _pinned(body, {what: t.version.ref for what, t in assets.items()})

        def prepare(job_dir: Path) -> None:
            folder = job_dir / "automl"
            folder.mkdir()
            try:
                _parquet(frame, folder / "data.parquet")
                if validation is not None:
                    _parquet(validation, folder / "validation.parquet")
            except Exception as exc:
                raise InvalidRequest(f"data: cannot store the table as Parquet ({exc}); give columns one type each") from None
            (folder / "profile.json").write_text(json.dumps(profile))

        job = self.parents.create(
            KIND, body.model_dump(mode="json"), target=body.target, experiment=body.experiment,
            display_name=body.display_name, tags=body.tags, prepare=prepare,
        )
        for what, t in assets.items():
            self.data_inputs.record_input(job.id, what, t.version, t.digest, run_id=job.run_id)
        self.parents.log(job.id, (
            f"mlservice: AutoML {body.task} on {profile['rows']} rows x {profile['columns']} columns, "
            f"{body.primary_metric}, {profile['time_budget_s']:g} s per search over {', '.join(profile['families'])}\n"
        ))
        self.wake()
        return self.get(job.id)

    def _check(self, body: AutoMLCreate, frame: pd.DataFrame, validation: pd.DataFrame | None) -> dict[str, Any]:
        target = body.target_column
        if target not in frame.columns:
            raise InvalidRequest(f"target_column {target!r} is not a column of the data; it has: {', '.join(map(str, frame.columns[:50]))}")
        if validation is not None:
            missing = [c for c in frame.columns if c not in validation.columns]
            if missing:
                raise InvalidRequest(f"validation.data lacks the column(s) {', '.join(map(repr, missing[:10]))} of data")
        y = frame[target].dropna()
        if len(y) < MIN_ROWS:
            raise InvalidRequest(f"data has {len(y)} rows with a {target!r} value; AutoML needs at least {MIN_ROWS}")
        if frame.shape[1] < 2:
            raise InvalidRequest("data has no feature columns besides the target column")
        classes = None
        if body.task == "classification":
            classes = int(y.nunique())
            if classes < 2:
                raise InvalidRequest(f"target_column {target!r} has one value only; classification needs two or more")
            if classes > max(50, len(y) // 5) and pd.api.types.is_float_dtype(y):
                raise InvalidRequest(f"target_column {target!r} has {classes} distinct float values: use task='regression'")
            if body.primary_metric in ("auc", "log_loss") and y.value_counts().min() < 2:
                raise InvalidRequest(f"every class of {target!r} needs two rows or more for {body.primary_metric}")
        elif not pd.api.types.is_numeric_dtype(y):
            raise InvalidRequest(f"target_column {target!r} is not numeric; {body.task} needs numbers (use task='classification')")
        if body.task == "forecasting" and body.time_column not in frame.columns:
            raise InvalidRequest(f"time_column {body.time_column!r} is not a column of the data")
        if body.featurization == "off":
            other = [c for c in frame.columns if c != target and not pd.api.types.is_numeric_dtype(frame[c])]
            if other:
                raise InvalidRequest(f"featurization='off' takes numeric columns only; {', '.join(map(repr, other[:10]))} are not: use featurization='auto'")
        rows, columns = int(len(frame)), int(frame.shape[1] - 1)
        suggested = suggest_time_budget(rows, columns)
        families = body.families(rows)
        workers = min(body.max_concurrent_trials, len(families))
        shares = [[m for i, m in enumerate(sorted(families, key=_cost)) if i % workers == w] for w in range(workers)]
        metric = METRICS[body.task][body.primary_metric]
        lags = body.lags or list(range(body.forecast_horizon, body.forecast_horizon + 7))
        return {
            "rows": rows, "columns": columns, "suggested_time_budget_s": suggested, "time_budget_s": body.time_budget_s or suggested,
            "families": families, "shares": shares, "classes": classes,
            "flaml_metric": metric[0] if body.task != "classification" or classes == 2 else metric[1], "lags": lags,
        }

    # ---- read ----------------------------------------------------------------------------------

    def _parent(self, run_id: str) -> JobRow:
        row = self.jobs.row(run_id)
        if row.kind != KIND:
            raise NotFound(f"job {run_id} is a {row.kind} job, not an AutoML run")
        return row

    def folder(self, run_id: str) -> Path:
        return self.jobs.job_dir(run_id) / "automl"

    def get(self, run_id: str) -> AutoMLRun:
        row = self._parent(run_id)
        folder = self.folder(run_id)
        profile = json.loads((folder / "profile.json").read_text())
        summary_path = folder / "summary.json"
        summary = json.loads(summary_path.read_text()) if summary_path.is_file() else None
        finalize = self.parents.find_child(run_id, TAG_ROLE, "finalize")
        view = AutoMLRun(
            id=row.id, job=to_job(row), spec=AutoMLCreate.model_validate(row.spec), rows=profile["rows"], columns=profile["columns"],
            suggested_time_budget_s=profile["suggested_time_budget_s"], trials=0,
        )
        if summary is not None:
            board = [LeaderboardEntry.model_validate(_finite(e)) for e in summary["leaderboard"]]
            best = LeaderboardEntry.model_validate(_finite(summary["best"]))
            view = view.model_copy(update=dict(
                trials=summary["trials"], leaderboard=board, best_model=best, best_score=best.score,
                best_model_job_id=finalize, feature_importance=summary["feature_importance"],
            ))
        else:
            view = view.model_copy(update={"trials": self._trial_count(row)})
        return view

    def _trial_count(self, row: JobRow) -> int:
        if not row.run_id or not row.experiment_id:
            return 0
        runs = self.jobs.experiments.client.search_runs(
            [row.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{row.run_id}' AND tags.`mlservice.automl_trial` LIKE '%'", max_results=50000,
        )
        return len(runs)

    def list(self, limit: int = 50, cursor: str | None = None) -> AutoMLPage:
        page = self.jobs.list(kind=KIND, limit=limit, cursor=cursor)
        return AutoMLPage(items=[self.get(j.id) for j in page.items], next_cursor=page.next_cursor)

    def cancel(self, run_id: str) -> AutoMLRun:
        self._parent(run_id)
        self.jobs.cancel(run_id)
        self.wake()
        return self.get(run_id)


def _pinned(body: AutoMLCreate, refs: dict[str, str]) -> AutoMLCreate:
    """The request with each data asset reference replaced by the version it meant at submit."""
    update: dict[str, Any] = {}
    if "data" in refs:
        update["data"] = refs["data"]
    if "validation.data" in refs:
        update["validation"] = body.validation.model_copy(update={"data": refs["validation.data"]})
    return body.model_copy(update=update)


def _cost(family: str) -> int:
    return COST_ORDER.index(family) if family in COST_ORDER else len(COST_ORDER)


def _finite(entry: dict[str, Any]) -> dict[str, Any]:
    out = dict(entry)
    if isinstance(out.get("score"), float) and not math.isfinite(out["score"]):
        out["score"] = None
    return out


def _parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)
