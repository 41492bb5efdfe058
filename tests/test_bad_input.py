"""No 5xx from input: malformed bodies, queries and names get a 4xx that says what to change,
nothing half-stored, and concurrent calls answer like single calls. Real server, real requests."""

from __future__ import annotations

import json
import re
import threading

import pytest
import requests

from jupyter_mlservice.server.openapi import openapi_document


@pytest.fixture(scope="module")
def api(shared_server):
    session = requests.Session()
    session.headers["Authorization"] = f"token {shared_server.token}"
    base = f"{shared_server.url}mlservice/api"

    def call(method, path, body=None, raw=None, params=None, headers=None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return session.request(method, base + path, data=data, params=params, headers=headers, timeout=120)

    call.base, call.session, call.server = base, session, shared_server
    return call


def assert_error(resp, status, *fragments):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert isinstance(body["message"], str) and isinstance(body["reason"], str), body  # the documented ErrorBody
    for fragment in fragments:
        assert fragment in body["message"], body["message"]
    return body


def write_routes():
    for path, ops in openapi_document()["paths"].items():
        for method, op in ops.items():
            if "requestBody" in op:
                yield method.upper(), re.sub(r"\{\w+\}", "x", path.removeprefix("/mlservice/api"))


@pytest.mark.parametrize("method,path", list(write_routes()))
def test_every_write_route_answers_malformed_bodies_with_400(api, method, path):
    for raw, says in (
        (b"\xff\xfe{not utf-8", "not UTF-8"),
        (b'{"name": ', "not valid JSON"),
        (b"[" * 50_000 + b"]" * 50_000, "too deeply"),
        (b'{"x": NaN}', "finite number"),
        (b'{"name": "a\\ud800b"}', "surrogate"),
        (b'{"name": "a\\u0000b"}', "NUL"),
        (b'{"n": 1' + b"0" * 5000 + b"}", "not acceptable JSON"),
    ):
        assert_error(api(method, path, raw=raw, headers={"Content-Type": "application/json"}), 400, says)


def test_list_routes_refuse_cursors_they_did_not_issue(api):
    for path in ("/targets", "/jobs", "/schedules", "/experiments", "/models", "/experiments/0/runs"):
        for cursor in ("%%%", "eyJvZmZzZXQiOiAtMX0", "å#\u0800", "W10"):
            assert_error(api("GET", path, params={"cursor": cursor}), 400, "cursor")


def test_a_job_with_a_lone_surrogate_is_refused_and_nothing_is_stored(api):
    before = api("GET", "/jobs").json()["items"]
    raw = b'{"kind": "command", "command": "true", "environment_variables": {"A": "\\udc80"}}'
    assert_error(api("POST", "/jobs", raw=raw), 400, "surrogate", "environment_variables.A")
    assert api("GET", "/jobs").json()["items"] == before
    assert api("GET", "/jobs").status_code == 200


def test_names_that_would_become_paths_or_env_names_are_checked(api):
    assert_error(api("POST", "/jobs", {"kind": "command", "command": "true", "environment_variables": {"A=B": "1"}}), 400, "environment_variables")
    assert_error(api("POST", "/jobs", {"kind": "command", "command": "true", "environment_variables": {"": "1"}}), 400)
    assert_error(api("POST", "/jobs", {"kind": "command", "command": "true", "experiment": "a\nb"}), 400, "experiment")
    assert_error(api("POST", "/jobs", {"kind": "command", "command": "true", "display_name": "x\x07y"}), 400, "display_name")
    assert_error(api("POST", "/jobs", {"kind": "command", "command": "true", "tags": {"a\tb": "1"}}), 400, "tags")


def test_schedules_refuse_crons_that_never_fire_and_instants_out_of_range(api):
    job = {"kind": "command", "command": "true"}
    assert_error(api("POST", "/schedules", {"name": "feb31", "cron": "0 0 31 2 *", "job": job}), 400, "never fires")
    assert_error(api("POST", "/schedules", {"name": "far", "cron": "0 2 * * *", "job": job, "start_at": "9999-12-31T00:00:00"}), 400, "start_at")
    assert_error(api("POST", "/schedules", {"name": "early", "cron": "0 2 * * *", "job": job, "end_at": "0001-01-01T00:00:00+01:00"}), 400, "end_at")
    names = [s["name"] for s in api("GET", "/schedules").json()["items"]]
    assert not {"feb31", "far", "early"} & set(names)
    ok = api("POST", "/schedules", {"name": "leap", "cron": "0 0 29 2 *", "job": job, "enabled": False})
    assert ok.status_code == 201, ok.text  # rare but real
    assert_error(api("PATCH", "/schedules/leap", {"start_at": "9999-01-01T00:00:00"}), 400, "start_at")
    assert api("DELETE", "/schedules/leap").status_code == 204


def test_the_built_in_local_target_cannot_be_deleted(api):
    assert_error(api("DELETE", "/targets/local"), 409, "cannot be deleted")
    assert api("GET", "/targets/local").status_code == 200


def test_an_endpoint_without_deployments_is_not_stuck_creating(api):
    created = api("POST", "/endpoints", {"name": "empty-ep"})
    assert created.status_code == 201, created.text
    ep = api("GET", "/endpoints/empty-ep").json()
    assert ep["status"] != "Creating" and "no deployment" in ep["error"]
    assert api("DELETE", "/endpoints/empty-ep").status_code == 204


def test_unauthenticated_requests_get_401_with_a_documented_body(api):
    for method in ("GET", "POST", "DELETE"):
        resp = requests.request(method, api.base + "/targets", data="{}", timeout=30)
        body = assert_error(resp, 401, "token")
        assert body["reason"] == "NotAuthenticated"


def test_unsupported_methods_say_which_are_allowed(api):
    resp = api("PUT", "/targets")
    assert resp.status_code == 405 and resp.headers["Allow"] == "GET, POST"


# ---- races: concurrent calls answer like single calls -------------------------------------------


def race(api, calls):
    """Start the calls at the same instant (a barrier) and return their statuses."""
    barrier, statuses = threading.Barrier(len(calls)), [None] * len(calls)

    def go(i, method, path, body):
        session = requests.Session()
        session.headers.update(api.session.headers)
        barrier.wait()
        statuses[i] = session.request(method, api.base + path, data=json.dumps(body) if body is not None else None, timeout=120).status_code

    threads = [threading.Thread(target=go, args=(i, *c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(statuses)


@pytest.mark.parametrize("round_", range(3))
def test_two_creates_of_one_name_give_one_201_and_one_409(api, round_):
    job = {"kind": "command", "command": "true"}
    for path, body, delete in (
        ("/targets", {"name": f"race-t{round_}", "type": "local"}, f"/targets/race-t{round_}"),
        ("/endpoints", {"name": f"race-e{round_}"}, f"/endpoints/race-e{round_}"),
        ("/schedules", {"name": f"race-s{round_}", "cron": "0 2 * * *", "job": job, "enabled": False}, f"/schedules/race-s{round_}"),
    ):
        assert race(api, [("POST", path, body)] * 2) == [201, 409], path
        assert race(api, [("DELETE", delete, None)] * 2) == [204, 404], delete
        assert api("GET", delete).status_code == 404


def test_deleting_a_target_while_jobs_are_submitted_to_it_is_atomic(api):
    """Either the delete is refused (jobs exist) or every job after it is refused: never a job
    accepted onto a target that is gone."""
    for round_ in range(3):
        name = f"busy-{round_}"
        assert api("POST", "/targets", {"name": name, "type": "local", "settings": {"max_concurrency": 1}}).status_code == 201
        spec = {"kind": "command", "command": "sleep 30", "target": name}
        statuses = race(api, [("POST", "/jobs", spec)] * 3 + [("DELETE", f"/targets/{name}", None)])
        deleted = 204 in statuses
        jobs = [j for j in api("GET", "/jobs", params={"target": name, "limit": 100}).json()["items"]]
        if deleted:
            assert jobs == [], statuses  # every submit after the delete was refused
            assert all(s in (204, 400, 404, 409) for s in statuses), statuses
        else:
            assert statuses.count(201) == len(jobs) >= 1 and 409 in statuses, statuses
            for j in jobs:
                api("POST", f"/jobs/{j['id']}/cancel")


# ---- records that cannot be shown, and deleting jobs ------------------------------------------


def test_a_stored_record_that_cannot_be_shown_never_breaks_a_list_and_can_be_deleted(api):
    """Rows as an older version (or a damaged file) could have left them: a lone surrogate in a
    spec, a status no version writes. Lists and reads still answer; the rows can be deleted."""
    import sqlite3

    db = sqlite3.connect(api.server.root / ".mlservice" / "workspace.db", timeout=30)
    now = "2026-01-01 00:00:00.000000"
    with db:
        for job_id, status, spec in (("job-poisoned01", "Failed", '{"kind": "command", "environment_variables": {"A": "\\udc80"}}'),
                                     ("job-poisoned02", "Bogus", '{"kind": "command"}')):
            db.execute(
                "INSERT INTO jobs (id, kind, display_name, target, experiment, status, spec, tags, attempt, max_retries, "
                "backend_state, attempts, created_at, updated_at) VALUES (?, 'command', ?, 'local', 'Default', ?, ?, '{}', 1, 0, '{}', '[]', ?, ?)",
                (job_id, job_id, status, spec, now, now),
            )
    db.close()
    page = api("GET", "/jobs", params={"limit": 1000})
    assert page.status_code == 200, page.text
    shown = {j["id"]: j for j in page.json()["items"] if j["id"].startswith("job-poisoned")}
    assert set(shown) == {"job-poisoned01", "job-poisoned02"}
    assert all("cannot be shown" in j["error"] and j["spec"] == {} for j in shown.values())
    assert api("GET", "/jobs/job-poisoned01").status_code == 200
    for job_id in shown:
        assert api("DELETE", f"/jobs/{job_id}").status_code == 204
        assert api("GET", f"/jobs/{job_id}").status_code == 404


def test_jobs_are_deleted_once_ended_with_their_files_and_run(api):
    job = api("POST", "/jobs", {"kind": "command", "command": "sleep 60"}).json()
    assert_error(api("DELETE", f"/jobs/{job['id']}"), 409, "cancel it")
    api("POST", f"/jobs/{job['id']}/cancel")
    api("GET", f"/jobs/{job['id']}/wait", params={"timeout": 60})
    folder = api.server.root / ".mlservice" / "jobs" / job["id"]
    assert race(api, [("DELETE", f"/jobs/{job['id']}", None)] * 2) == [204, 404]
    assert not folder.exists()
    runs = api("GET", f"/experiments/{job['experiment_id']}/runs", params={"limit": 1000}).json()["items"]
    assert job["run_id"] not in [r["run_id"] for r in runs]  # marked deleted in MLflow
