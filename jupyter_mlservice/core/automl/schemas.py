"""The REST contract of AutoML runs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from ..jobs.schemas import Job
from ..schemas import Model

# Our model family names -> FLAML's estimator names, per task.
FAMILIES: dict[str, dict[str, str]] = {
    "classification": {
        "lightgbm": "lgbm",
        "xgboost": "xgboost",
        "xgboost_limitdepth": "xgb_limitdepth",
        "random_forest": "rf",
        "extra_trees": "extra_tree",
        "logistic_regression": "lrl2",
        "logistic_regression_l1": "lrl1",
        "knn": "kneighbor",
    },
    "regression": {
        "lightgbm": "lgbm",
        "xgboost": "xgboost",
        "xgboost_limitdepth": "xgb_limitdepth",
        "random_forest": "rf",
        "extra_trees": "extra_tree",
        "elastic_net": "enet",
        "lasso_lars": "lassolars",
        "knn": "kneighbor",
    },
}
FAMILIES["forecasting"] = dict(FAMILIES["regression"])
# kNN is slow to predict on many rows; it is tried by default only below this many.
KNN_DEFAULT_MAX_ROWS = 10_000
# Validation when none is given: k-fold cross-validation below CV_MAX_ROWS rows, a holdout above
# (more rows make one holdout reliable, and k fits per trial would leave few trials in the budget).
CV_MAX_ROWS = 10_000
DEFAULT_FOLDS = 5
DEFAULT_HOLDOUT = 0.1

# primary_metric -> (FLAML metric for binary/regression, for multiclass, higher is better)
METRICS: dict[str, dict[str, tuple[str, str, bool]]] = {
    "classification": {
        "accuracy": ("accuracy", "accuracy", True),
        "auc": ("roc_auc", "roc_auc_ovr", True),
        "f1": ("f1", "macro_f1", True),
        "log_loss": ("log_loss", "log_loss", False),
    },
    "regression": {
        "r2": ("r2", "r2", True),
        "rmse": ("rmse", "rmse", False),
        "mae": ("mae", "mae", False),
        "mape": ("mape", "mape", False),
    },
}
METRICS["forecasting"] = dict(METRICS["regression"])
DEFAULT_METRIC = {"classification": "accuracy", "regression": "r2", "forecasting": "rmse"}


class DataSource(Model):
    """A table from a database: `url` (SQLAlchemy) with `sql` or `table`."""

    url: str = Field(min_length=1, description="SQLAlchemy URL, e.g. `sqlite:///warehouse.db`.")
    sql: str | None = Field(None, description="A SELECT query.")
    table: str | None = None

    @model_validator(mode="after")
    def _one(self) -> "DataSource":
        if bool(self.sql) == bool(self.table):
            raise ValueError("give sql or table (with url)")
        return self


class Validation(Model):
    """How trials are scored: k-fold cross-validation, a random (time-ordered for forecasting)
    holdout fraction, or a separate validation table."""

    cv: int | None = Field(None, ge=2, le=20, description="Folds of cross-validation.")
    holdout: float | None = Field(None, gt=0, lt=0.9, description="Fraction of the rows held out.")
    data: str | DataSource | None = Field(None, description="Validation data (a path, a data asset or a query), same columns as data.")

    @model_validator(mode="after")
    def _one(self) -> "Validation":
        given = [k for k in ("cv", "holdout", "data") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of cv, holdout or data, not {' and '.join(given)}")
        return self


class AutoMLCreate(Model):
    """Let the service find the model: featurisation, model families and their settings."""

    task: Literal["classification", "regression", "forecasting"]
    data: str | DataSource = Field(
        description="A CSV/Parquet path on the server, a data asset (`data:NAME`, `data:NAME@VERSION`, `data:NAME@ALIAS`: "
        "pinned to its version at submit), or `{url, sql}` / `{url, table}`."
    )
    target_column: str = Field(min_length=1)
    primary_metric: str | None = Field(None, description="classification: accuracy, auc, f1, log_loss; regression/forecasting: r2, rmse, mae, mape.")
    time_budget_s: float | None = Field(None, gt=0, le=7 * 24 * 3600, description="Search time; default: suggested from the data size.")
    max_trials: int | None = Field(None, ge=1, description="Stop the search after this many trials (per concurrent search).")
    max_concurrent_trials: int = Field(1, ge=1, le=32, description="Searches running at once, each over a share of the model families.")
    allowed_models: list[str] | None = Field(None, description="Model families to try (default: all that suit the task).")
    blocked_models: list[str] = Field(default_factory=list)
    validation: Validation = Field(default_factory=Validation, description="Default: 5-fold cross-validation below 10,000 rows, else a 10% holdout.")
    featurization: Literal["auto", "off"] = Field(
        "auto", description="auto: impute, scale, one-hot or target-encode categories, date parts (and lags when forecasting); off: numeric columns as they are."
    )
    ensemble: bool = Field(True, description="Try a weighted ensemble of the best models; kept when it scores better on validation.")
    time_column: str | None = Field(None, description="forecasting: the time column (rows are ordered by it).")
    forecast_horizon: int = Field(1, ge=1, le=1000, description="forecasting: steps ahead; lags start at this step.")
    lags: list[int] | None = Field(None, description="forecasting: lags of the target used as features (default: horizon..horizon+6).")
    seed: int = 0
    target: str = "local"
    experiment: str = Field("Default", min_length=1, max_length=256)
    display_name: str = Field("", max_length=256)
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> "AutoMLCreate":
        families = FAMILIES[self.task]
        for field in ("allowed_models", "blocked_models"):
            unknown = [m for m in (getattr(self, field) or []) if m not in families]
            if unknown:
                raise ValueError(f"{field}: unknown model {unknown[0]!r} for {self.task}; use: {', '.join(families)}")
        if self.allowed_models is not None and not [m for m in self.allowed_models if m not in self.blocked_models]:
            raise ValueError("allowed_models minus blocked_models leaves no model to try")
        metric = self.primary_metric or DEFAULT_METRIC[self.task]
        if metric not in METRICS[self.task]:
            raise ValueError(f"primary_metric {metric!r} does not suit {self.task}; use one of: {', '.join(METRICS[self.task])}")
        self.primary_metric = metric
        if self.task == "forecasting":
            if not self.time_column:
                raise ValueError("forecasting needs time_column")
            if self.validation.cv is not None:
                raise ValueError("forecasting is validated on the latest rows: use validation={'holdout': 0.2} (or leave it out)")
            if self.lags is not None and any(lag < self.forecast_horizon for lag in self.lags):
                raise ValueError(f"lags must be >= forecast_horizon ({self.forecast_horizon}): a lag closer than the horizon is not known yet")
        return self

    def families(self, rows: int) -> list[str]:
        names = list(self.allowed_models) if self.allowed_models is not None else [
            m for m in FAMILIES[self.task] if m != "knn" or rows <= KNN_DEFAULT_MAX_ROWS
        ]
        return [m for m in names if m not in self.blocked_models]


class LeaderboardEntry(Model):
    rank: int
    model: str = Field(description="Model family, or `ensemble`.")
    score: float = Field(description="The primary metric on validation.")
    params: dict[str, Any] = Field(default_factory=dict)
    run_id: str | None = Field(None, description="The trial's MLflow run (nested under the AutoML run).")
    members: dict[str, float] | None = Field(None, description="ensemble: weight of each member family.")
    train_time_s: float | None = None


class AutoMLRun(Model):
    id: str
    job: Job = Field(description="The AutoML run's parent job.")
    spec: AutoMLCreate
    rows: int
    columns: int
    suggested_time_budget_s: float = Field(description="What the data size suggests (used when time_budget_s is not given).")
    trials: int = Field(description="Trials run so far (each a child MLflow run).")
    best_score: float | None = Field(None, description="Best validation score so far (final score once completed).")
    best_model: LeaderboardEntry | None = None
    best_model_job_id: str | None = Field(None, description="The job whose run holds the final model at `model` (register it from there).")
    leaderboard: list[LeaderboardEntry] = Field(default_factory=list)
    feature_importance: dict[str, float] = Field(default_factory=dict, description="Permutation importance of each input column.")


class AutoMLPage(Model):
    items: list[AutoMLRun]
    next_cursor: str | None = None
