"""Sweeps and AutoML over REST: bad requests are 400s that say what to change."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError


async def _post(jp_fetch, path, body):
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("mlservice", "api", *path.split("/"), method="POST", body=json.dumps(body))
    return err.value.code, json.loads(err.value.response.body)["message"]


async def test_a_bad_search_space_is_a_400_naming_the_parameter(jp_fetch):
    base = {"trial": {"kind": "command", "command": "echo ${{search_space.alpha}}"}, "objective": {"metric": "f1"}}
    code, message = await _post(jp_fetch, "sweeps", {**base, "search_space": {"alpha": {"type": "loguniform", "low": 0, "high": 1}}})
    assert code == 400 and "search_space.alpha" in message and "loguniform needs low > 0" in message
    code, message = await _post(jp_fetch, "sweeps", {**base, "search_space": {"alpha": {"type": "choice", "values": []}}})
    assert code == 400 and "search_space.alpha" in message and "choice needs at least one value" in message
    code, message = await _post(jp_fetch, "sweeps", {**base, "search_space": {"beta": {"type": "uniform", "low": 0, "high": 1}}})
    assert code == 400 and "no parameter 'alpha'" in message


async def test_a_bad_automl_request_is_a_400(jp_fetch, jp_root_dir):
    code, message = await _post(jp_fetch, "automl", {"task": "classification", "data": "none.csv", "target_column": "y"})
    assert code == 400 and "'none.csv' is not a file on the server" in message
    code, message = await _post(jp_fetch, "automl", {"task": "regression", "data": "x.csv", "target_column": "y", "primary_metric": "auc"})
    assert code == 400 and "primary_metric 'auc' does not suit regression" in message


async def test_children_of_a_job_are_listed_by_parent(jp_fetch):
    r = await jp_fetch("mlservice", "api", "jobs", params={"parent": "job-000000000000", "kind": "sweep"})
    assert json.loads(r.body)["items"] == []
    r = await jp_fetch("mlservice", "api", "sweeps")
    assert json.loads(r.body) == {"items": [], "next_cursor": None}
