"""Endpoint config rules and the MLflow fast path's equivalence with MLflow's own scoring server."""

from __future__ import annotations

import json
import warnings

import pytest
from pydantic import ValidationError

from jupyter_mlservice.core.serving import DeploymentConfig, EndpointConfig
from jupyter_mlservice.core.serving.app import _predictions
from jupyter_mlservice.core.serving.scorers import MLflowScorer

from .serving_fixtures import IRIS_COLUMNS, ROWS, save_iris_model


def _deps(*names):
    return [DeploymentConfig(name=n, model_path="/m") for n in names]


def test_single_deployment_gets_all_traffic_and_keys_are_generated():
    cfg = EndpointConfig(name="e1", deployments=_deps("blue"))
    assert cfg.traffic == {"blue": 100}
    assert cfg.primary_key and cfg.secondary_key and cfg.primary_key != cfg.secondary_key
    assert EndpointConfig(name="e1", auth_mode="none", deployments=_deps("blue")).primary_key is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"traffic": {"blue": 90, "green": 20}}, "add up to 100"),
        ({"traffic": {"blue": 100, "nope": 0}}, "unknown deployment"),
        ({"traffic": {"blue": 100}, "mirror_traffic": {"blue": 10}}, "not both"),
        ({"traffic": {"blue": 100}, "mirror_traffic": {"green": 60}}, "at most 50%"),
    ],
)
def test_traffic_mistakes_say_what_to_change(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        EndpointConfig(name="e1", deployments=_deps("blue", "green"), **kwargs)


def test_duplicate_deployment_names_are_rejected():
    with pytest.raises(ValidationError, match="unique"):
        EndpointConfig(name="e1", deployments=_deps("blue", "blue"))


def test_workers_is_the_largest_replica_count():
    deps = [DeploymentConfig(name="a", model_path="/m", replicas=2), DeploymentConfig(name="b", model_path="/m")]
    assert EndpointConfig(name="e1", deployments=deps, traffic={"a": 50, "b": 50}).workers == 2


@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "iris"
    save_iris_model(path)
    return MLflowScorer(DeploymentConfig(name="blue", model_path=str(path)))


PAYLOADS = [
    {"dataframe_split": {"columns": IRIS_COLUMNS, "data": ROWS}},
    {"dataframe_split": {"columns": IRIS_COLUMNS[::-1], "data": [r[::-1] for r in ROWS]}},
    {"dataframe_split": {"columns": ["extra", *IRIS_COLUMNS], "data": [[9, *r] for r in ROWS]}},
    {"dataframe_split": {"index": [3, 4, 5], "columns": IRIS_COLUMNS, "data": ROWS}},
    {"dataframe_split": {"columns": IRIS_COLUMNS, "data": [[5, 3, 1, 0]]}},
    {"dataframe_records": [dict(zip(IRIS_COLUMNS, r)) for r in ROWS]},
    {"instances": [dict(zip(IRIS_COLUMNS, r)) for r in ROWS]},
    {"inputs": {c: [r[i] for r in ROWS] for i, c in enumerate(IRIS_COLUMNS)}},
    {"instances": {c: [r[i] for r in ROWS] for i, c in enumerate(IRIS_COLUMNS)}},
]
SLOW_ONLY = [
    {"dataframe_split": {"columns": IRIS_COLUMNS, "data": [["5.1", 3.5, 1.4, 0.2]]}},  # MLflow coerces strings
    {"dataframe_split": {"columns": IRIS_COLUMNS, "data": ROWS}, "params": {}},
    {"dataframe_split": {"columns": IRIS_COLUMNS[:3], "data": [r[:3] for r in ROWS]}},  # missing column
    {"dataframe_split": {"columns": IRIS_COLUMNS, "data": [[None, 3.5, 1.4, 0.2]]}},
    {"instances": [[5.1, 3.5, 1.4, 0.2]]},
    {"dataframe_split": {"columns": IRIS_COLUMNS, "data": []}},
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_fast_path_answers_exactly_what_mlflow_answers(scorer, payload):
    rows = scorer.fast.rows(json.loads(json.dumps(payload)))
    assert rows is not None, "this payload should take the fast path"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = _predictions(scorer.predict_rows(rows))
    slow = scorer.invocations(json.dumps(payload).encode(), "application/json")
    assert slow.status == 200
    assert json.loads(fast.body) == json.loads(slow.body)


@pytest.mark.parametrize("payload", SLOW_ONLY)
def test_payloads_outside_the_fast_path_go_to_mlflow(scorer, payload):
    assert scorer.fast.rows(payload) is None
