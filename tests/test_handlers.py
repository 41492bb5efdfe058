"""The REST API inside a real Jupyter server (pytest-jupyter), auth enforced."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_mlservice.server.openapi import CHECKED_IN, openapi_document


async def call(jp_fetch, method, path, body=None, params=None, **kw):
    kwargs = {"method": method, "params": params or {}}
    if body is not None:
        kwargs["body"] = json.dumps(body)
    elif method in ("POST", "PATCH"):
        kwargs["body"] = "{}"
    resp = await jp_fetch("mlservice", "api", *path.strip("/").split("/"), **kwargs, **kw)
    return json.loads(resp.body) if resp.body else None


async def expect_error(jp_fetch, status, method, path, body=None, params=None, raw_body=None):
    kwargs = {"method": method, "params": params or {}}
    if raw_body is not None:
        kwargs["body"] = raw_body
    elif body is not None:
        kwargs["body"] = json.dumps(body)
    elif method in ("POST", "PATCH"):
        kwargs["body"] = "{}"
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("mlservice", "api", *path.strip("/").split("/"), **kwargs)
    assert info.value.code == status, info.value.response.body
    return json.loads(info.value.response.body)


async def wait_status(jp_fetch, job_id, timeout=60):
    job = await call(jp_fetch, "GET", f"/jobs/{job_id}/wait", params={"timeout": timeout})
    return job


def test_checked_in_openapi_document_is_current():
    assert json.loads(CHECKED_IN.read_text()) == openapi_document(), (
        "openapi.json is stale: run `python -m jupyter_mlservice.server.openapi` (or `make openapi`)"
    )


async def test_openapi_is_served_and_matches(jp_fetch):
    assert await call(jp_fetch, "GET", "/openapi.json") == json.loads(json.dumps(openapi_document()))


async def test_every_route_requires_authentication(jp_fetch):
    doc = openapi_document()
    checked = 0
    for path, ops in doc["paths"].items():
        concrete = re.sub(r"\{\w+\}", "x", path)
        for method in ops:
            kwargs = {"method": method.upper(), "headers": {"Authorization": ""}}
            if method in ("post", "patch", "put"):
                kwargs["body"] = "{}"
            with pytest.raises(HTTPClientError) as info:
                await jp_fetch(*concrete.strip("/").split("/"), **kwargs)
            assert info.value.code in (401, 403), f"{method.upper()} {path} answered {info.value.code}"
            checked += 1
    assert checked >= 15


def _patterns(router):
    for rule in getattr(router, "rules", []):
        regex = getattr(rule.matcher, "regex", None)
        if regex is not None:
            yield regex.pattern
        yield from _patterns(rule.target)


async def test_every_declared_route_is_served(jp_serverapp):
    served = " ".join(_patterns(jp_serverapp.web_app.default_router))
    for path in openapi_document()["paths"]:
        assert re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) in served, path


async def test_targets_api(jp_fetch):
    targets = await call(jp_fetch, "GET", "/targets")
    assert [t["name"] for t in targets["items"]] == ["local"]
    created = await call(jp_fetch, "POST", "/targets", {"name": "small", "type": "local", "settings": {"max_concurrency": 1}})
    assert created["capacity"] == 1 and created["running"] == 0
    updated = await call(jp_fetch, "PATCH", "/targets/small", {"settings": {"max_concurrency": 3}, "description": "three"})
    assert updated["capacity"] == 3 and updated["description"] == "three"
    err = await expect_error(jp_fetch, 400, "POST", "/targets", {"name": "bad", "type": "local", "settings": {"max_concurrency": "lots"}})
    assert "max_concurrency" in err["message"]
    err = await expect_error(jp_fetch, 400, "POST", "/targets", {"name": "has space", "type": "local"})
    assert "name" in err["message"]
    await expect_error(jp_fetch, 409, "POST", "/targets", {"name": "small", "type": "local"})
    await expect_error(jp_fetch, 404, "GET", "/targets/nope")
    await call(jp_fetch, "DELETE", "/targets/small")
    await expect_error(jp_fetch, 404, "DELETE", "/targets/small")


async def test_malformed_bodies_get_400_naming_the_field(jp_fetch):
    err = await expect_error(jp_fetch, 400, "POST", "/jobs", raw_body="{not json")
    assert "not valid JSON" in err["message"]
    err = await expect_error(jp_fetch, 400, "POST", "/jobs", {"kind": "command"})
    assert "command" in err["message"] and "Field required" in err["message"]
    err = await expect_error(jp_fetch, 400, "POST", "/jobs", {"kind": "command", "command": "true", "timeout_s": -1})
    assert "timeout_s" in err["message"]
    err = await expect_error(jp_fetch, 400, "POST", "/jobs", {"kind": "shell", "command": "true"})
    assert "kind" in err["message"]
    err = await expect_error(jp_fetch, 400, "POST", "/jobs", {"kind": "command", "command": "true", "bogus": 1})
    assert "bogus" in err["message"]
    err = await expect_error(jp_fetch, 400, "POST", "/jobs", {"kind": "notebook", "notebook": "missing.ipynb"})
    assert "missing.ipynb" in err["message"]
    await expect_error(jp_fetch, 404, "POST", "/jobs", {"kind": "command", "command": "true", "target": "nowhere"})
    await expect_error(jp_fetch, 400, "GET", "/jobs", params={"limit": "zero"})
    await expect_error(jp_fetch, 400, "GET", "/jobs", params={"status": "Bogus"})


async def test_job_lifecycle_over_rest(jp_fetch):
    job = await call(jp_fetch, "POST", "/jobs", {"kind": "command", "command": "echo hello-rest", "experiment": "rest"})
    assert job["status"] == "Queued"
    done = await wait_status(jp_fetch, job["id"])
    assert done["status"] == "Completed"
    logs = await call(jp_fetch, "GET", f"/jobs/{job['id']}/logs", params={"offset": 0})
    assert "hello-rest" in logs["text"] and logs["complete"]
    again = await call(jp_fetch, "GET", f"/jobs/{job['id']}/logs", params={"offset": logs["offset"]})
    assert again["text"] == ""
    metrics = await call(jp_fetch, "GET", f"/jobs/{job['id']}/metrics")
    assert metrics["run_id"] == job["run_id"]
    arts = await call(jp_fetch, "GET", f"/jobs/{job['id']}/artifacts")
    assert "logs/output.log" in [a["path"] for a in arts["items"]]
    resp = await jp_fetch("mlservice", "api", "jobs", job["id"], "artifacts", "download", params={"path": "logs/output.log"})
    assert b"hello-rest" in resp.body
    await expect_error(jp_fetch, 409, "POST", f"/jobs/{job['id']}/cancel")
    await expect_error(jp_fetch, 404, "GET", "/jobs/job-doesnotexist")
    await expect_error(jp_fetch, 404, "GET", f"/jobs/{job['id']}/artifacts/download", params={"path": "nope.txt"})
    rerun = await call(jp_fetch, "POST", f"/jobs/{job['id']}/rerun")
    assert rerun["id"] != job["id"]
    assert (await wait_status(jp_fetch, rerun["id"]))["status"] == "Completed"


async def test_list_filters_and_pagination(jp_fetch):
    ids = []
    for i in range(3):
        ids.append((await call(jp_fetch, "POST", "/jobs", {"kind": "code", "source": "pass", "experiment": f"e{i % 2}"}))["id"])
    for job_id in ids:
        await wait_status(jp_fetch, job_id)
    page = await call(jp_fetch, "GET", "/jobs", params={"limit": 2})
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = await call(jp_fetch, "GET", "/jobs", params={"limit": 2, "cursor": page["next_cursor"]})
    assert [j["id"] for j in page["items"] + rest["items"]] == list(reversed(ids))
    e0 = await call(jp_fetch, "GET", "/jobs", params={"experiment": "e0"})
    assert {j["id"] for j in e0["items"]} == {ids[0], ids[2]}
    completed = await call(jp_fetch, "GET", "/jobs", params={"status": "Completed", "target": "local"})
    assert len(completed["items"]) == 3
    assert (await call(jp_fetch, "GET", "/jobs", params={"status": "Failed"}))["items"] == []
    exps = await call(jp_fetch, "GET", "/experiments")
    exp_id = next(e["experiment_id"] for e in exps["items"] if e["name"] == "e0")
    runs = await call(jp_fetch, "GET", f"/experiments/{exp_id}/runs", params={"order_by": "attributes.start_time ASC"})
    assert len(runs["items"]) == 2
    await expect_error(jp_fetch, 400, "GET", f"/experiments/{exp_id}/runs", params={"order_by": "nonsense ~~"})


async def test_cancel_over_rest(jp_fetch):
    job = await call(jp_fetch, "POST", "/jobs", {"kind": "command", "command": "sleep 60"})
    for _ in range(100):
        if (await call(jp_fetch, "GET", f"/jobs/{job['id']}"))["status"] == "Running":
            break
        await asyncio.sleep(0.05)
    canceled = await call(jp_fetch, "POST", f"/jobs/{job['id']}/cancel")
    assert canceled["status"] in ("CancelRequested", "Canceled")
    assert (await wait_status(jp_fetch, job["id"]))["status"] == "Canceled"


async def test_job_events_are_emitted_without_secrets(jp_fetch, jp_serverapp):
    seen = []

    async def listener(logger, schema_id, data):
        seen.append((schema_id, dict(data)))

    jp_serverapp.event_logger.add_listener(schema_id="https://events.jupyter.org/jupyter_mlservice/job", listener=listener)
    job = await call(
        jp_fetch, "POST", "/jobs", {"kind": "command", "command": "echo $SECRET_X", "environment_variables": {"SECRET_X": "hunter2"}}
    )
    await wait_status(jp_fetch, job["id"])
    for _ in range(50):
        if any(d["status"] == "Completed" for _, d in seen):
            break
        await asyncio.sleep(0.05)
    statuses = [d["status"] for _, d in seen if d["job_id"] == job["id"]]
    assert statuses[0] == "Queued" and statuses[-1] == "Completed" and "Running" in statuses
    assert "hunter2" not in json.dumps(seen) and "echo" not in json.dumps(seen)


async def test_info(jp_fetch, jp_root_dir):
    info = await call(jp_fetch, "GET", "/info")
    assert info["root_dir"] == str(jp_root_dir.resolve())
    assert info["tracking_uri"].startswith("sqlite:///") and "local" in info["backends"]


async def test_targets_schedules_and_endpoints_page_like_jobs(jp_fetch):
    for i in range(3):
        await call(jp_fetch, "POST", "/targets", {"name": f"pg-{i}", "type": "local"})
        await call(jp_fetch, "POST", "/schedules", {"name": f"pg-{i}", "cron": "0 3 * * *", "job": {"kind": "command", "command": "true"}})
        await call(jp_fetch, "POST", "/endpoints", {"name": f"pg-{i}"})
    for route in ("/targets", "/schedules", "/endpoints"):
        first = await call(jp_fetch, "GET", route, params={"limit": 2})
        assert len(first["items"]) == 2 and first["next_cursor"], route
        names, cursor = [x["name"] for x in first["items"]], first["next_cursor"]
        while cursor:
            more = await call(jp_fetch, "GET", route, params={"limit": 2, "cursor": cursor})
            names += [x["name"] for x in more["items"]]
            cursor = more["next_cursor"]
        assert [n for n in names if n.startswith("pg-")] == ["pg-0", "pg-1", "pg-2"], route
        assert len(names) == len(set(names)), route
        await expect_error(jp_fetch, 400, "GET", route, params={"limit": 0})
        await expect_error(jp_fetch, 400, "GET", route, params={"cursor": "not-a-cursor"})
    for i in range(3):
        await call(jp_fetch, "DELETE", f"/endpoints/pg-{i}")
