"""Every area's changes arrive as jupyter_events events (ids, names, statuses; never secrets)."""

from __future__ import annotations

import asyncio
import json

from jupyter_mlservice.core.events import SCHEMA_BASE

from .test_handlers import call, wait_status


def collect(jp_serverapp, *areas: str) -> list[tuple[str, dict]]:
    seen: list[tuple[str, dict]] = []

    async def listener(logger, schema_id, data):
        seen.append((schema_id.rsplit("/", 1)[-1], dict(data)))

    for area in areas:
        jp_serverapp.event_logger.add_listener(schema_id=f"{SCHEMA_BASE}/{area}", listener=listener)
    return seen


async def arrives(seen, area: str, timeout: float = 60, **fields) -> dict:
    """The first event of ``area`` whose payload has these fields (a condition wait, not a sleep)."""
    for _ in range(int(timeout / 0.05)):
        for got_area, data in seen:
            if got_area == area and all(data.get(k) == v for k, v in fields.items()):
                return data
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {area} event with {fields}; got {seen}")


async def test_target_events_for_changes_and_for_the_jobs_it_runs(jp_fetch, jp_serverapp):
    seen = collect(jp_serverapp, "target")
    await call(jp_fetch, "POST", "/targets", {"name": "evt", "type": "local", "settings": {"max_concurrency": 1}})
    assert await arrives(seen, "target", name="evt", action="created") == {"name": "evt", "action": "created", "status": None}
    await call(jp_fetch, "PATCH", "/targets/evt", {"description": "for events"})
    await arrives(seen, "target", name="evt", action="updated")
    job = await call(jp_fetch, "POST", "/jobs", {"kind": "command", "command": "true", "target": "evt"})
    await wait_status(jp_fetch, job["id"])
    for word in ("queued", "running", "ended"):
        await arrives(seen, "target", name="evt", action="status", status=word)
    await call(jp_fetch, "DELETE", "/targets/evt")
    await arrives(seen, "target", name="evt", action="deleted")


async def test_model_events_for_versions_aliases_and_deletes(jp_fetch, jp_serverapp, jp_root_dir):
    seen = collect(jp_serverapp, "model")
    (jp_root_dir / "weights.txt").write_text("0.5")
    mv = await call(jp_fetch, "POST", "/models", {"name": "evt-model", "local_path": str(jp_root_dir / "weights.txt")})
    assert await arrives(seen, "model", action="registered") == {"name": "evt-model", "version": mv["version"], "action": "registered", "alias": None}
    await call(jp_fetch, "PUT", "/models/evt-model/aliases/champion", {"version": mv["version"]})
    await arrives(seen, "model", action="alias", alias="champion", version=mv["version"])
    await call(jp_fetch, "DELETE", "/models/evt-model/aliases/champion")
    await arrives(seen, "model", action="alias", alias="champion", version=None)
    await call(jp_fetch, "PATCH", f"/models/evt-model/versions/{mv['version']}", {"description": "v1"})
    await arrives(seen, "model", action="updated", version=mv["version"])
    await call(jp_fetch, "DELETE", "/models/evt-model")
    await arrives(seen, "model", action="deleted", version=None)


async def test_schedule_events_from_edits_to_a_fired_run_and_its_end(jp_fetch, jp_serverapp):
    seen = collect(jp_serverapp, "schedule")
    body = {"name": "evt-sched", "cron": "0 3 * * *", "job": {"kind": "command", "command": "echo {{ schedule_name }}"}}
    await call(jp_fetch, "POST", "/schedules", body)
    await arrives(seen, "schedule", name="evt-sched", action="created")
    await call(jp_fetch, "POST", "/schedules/evt-sched/disable")
    await arrives(seen, "schedule", name="evt-sched", action="disabled")
    await call(jp_fetch, "POST", "/schedules/evt-sched/enable")
    await arrives(seen, "schedule", name="evt-sched", action="enabled")
    await call(jp_fetch, "PATCH", "/schedules/evt-sched", {"description": "changed"})
    await arrives(seen, "schedule", name="evt-sched", action="updated")
    run = await call(jp_fetch, "POST", "/schedules/evt-sched/run")
    await arrives(seen, "schedule", name="evt-sched", action="fired", run_id=run["id"], status="submitted")
    await wait_status(jp_fetch, run["job_id"])
    await arrives(seen, "schedule", name="evt-sched", action="run_ended", run_id=run["id"], status="Completed")
    await call(jp_fetch, "DELETE", "/schedules/evt-sched")
    await arrives(seen, "schedule", name="evt-sched", action="deleted")
    assert "echo" not in json.dumps(seen)  # no job spec in schedule events


async def test_endpoint_and_deployment_events_carry_no_keys(jp_fetch, jp_serverapp, jp_root_dir):
    seen = collect(jp_serverapp, "endpoint")
    await call(jp_fetch, "POST", "/endpoints", {"name": "evt-ep"})
    # no deployment yet: nothing is being created (Unhealthy, with an error that says so)
    assert await arrives(seen, "endpoint", action="created") == {"endpoint": "evt-ep", "deployment": None, "action": "created", "status": "Unhealthy"}
    await call(jp_fetch, "PATCH", "/endpoints/evt-ep", {"description": "d"})
    await arrives(seen, "endpoint", action="updated")
    keys = await call(jp_fetch, "POST", "/endpoints/evt-ep/keys/regenerate", {"key": "secondary"})
    # a deployment of a "model" that is not one: created, then its status goes to Failed
    (jp_root_dir / "not-a-model.txt").write_text("no MLmodel here")
    await call(jp_fetch, "POST", "/models", {"name": "evt-broken", "local_path": str(jp_root_dir / "not-a-model.txt")})
    await call(jp_fetch, "POST", "/endpoints/evt-ep/deployments", {"name": "blue", "model": "evt-broken:1"})
    await arrives(seen, "endpoint", action="status", deployment=None, status="Creating")  # the endpoint, once a deployment is on the way
    await arrives(seen, "endpoint", action="created", deployment="blue", status="Creating")
    await arrives(seen, "endpoint", action="status", deployment="blue", status="Failed", timeout=180)
    await call(jp_fetch, "DELETE", "/endpoints/evt-ep/deployments/blue")
    await arrives(seen, "endpoint", action="deleted", deployment="blue")
    await call(jp_fetch, "DELETE", "/endpoints/evt-ep")
    await arrives(seen, "endpoint", action="deleted", deployment=None)
    text = json.dumps(seen)
    assert keys["primary"] not in text and keys["secondary"] not in text
