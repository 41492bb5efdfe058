"""Schedules on the core services, driven by a fake clock (scheduler.tick() is one pass)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from jupyter_mlservice.core.errors import Conflict, InvalidRequest, NotFound
from jupyter_mlservice.core.schedules import ScheduleController, ScheduleService
from jupyter_mlservice.core.schedules.schemas import ScheduleCreate, ScheduleUpdate
from jupyter_mlservice.core.schedules.timing import Timing

from .conftest import wait_job

T0 = datetime(2026, 3, 2, 0, 0, 30)  # a Monday, naive UTC


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(workspace):
    # The tests drive the scheduler with tick(); its thread (running on the real clock) would
    # race them, so it is stopped first.
    workspace.scheduler.stop()
    c = Clock(T0)
    workspace.schedules.clock = c
    return c


def echo_job(**extra):
    return {"kind": "command", "command": "echo slot={{ scheduled_time }} date={{ scheduled_date }}", **extra}


def runs(ws, name, **kw):
    return ws.schedules.runs(name, **kw).items


def test_cron_in_a_time_zone_and_next_run(workspace, clock):
    s = workspace.schedules.create(ScheduleCreate(name="nightly", cron="0 2 * * *", time_zone="Europe/Paris", job=echo_job()))
    # 02:00 in Paris in March (before DST) is 01:00 UTC
    assert s.next_run_at.replace(tzinfo=None) == datetime(2026, 3, 2, 1, 0)
    assert [t.replace(tzinfo=None) for t in s.next_runs[:2]] == [datetime(2026, 3, 2, 1, 0), datetime(2026, 3, 3, 1, 0)]
    # across the DST change (29 March 2026), 02:00 Paris becomes 00:00 UTC... 02:00 does not exist, croniter moves on
    t = Timing("0 9 * * *", None, "Europe/Paris", None, None, T0)
    assert t.next_after(datetime(2026, 3, 28, 12)) == datetime(2026, 3, 29, 7, 0)  # 09:00 CEST
    assert t.next_after(datetime(2026, 3, 27, 12)) == datetime(2026, 3, 28, 8, 0)  # 09:00 CET


def test_recurrences_every_minutes_days_weeks():
    every15 = Timing(None, {"every": 15, "unit": "minutes"}, "UTC", None, None, datetime(2026, 1, 1, 10, 7, 40))
    assert list(every15.slots(datetime(2026, 1, 1, 10, 7, 40), datetime(2026, 1, 1, 10, 40))) == [
        datetime(2026, 1, 1, 10, 22), datetime(2026, 1, 1, 10, 37)]
    days = Timing(None, {"every": 2, "unit": "days", "at": ["06:00", "18:30"]}, "America/New_York", None, None, datetime(2026, 1, 1, 12))
    got = days.upcoming(datetime(2026, 1, 1, 12), 3)
    assert got == [datetime(2026, 1, 1, 23, 30), datetime(2026, 1, 3, 11, 0), datetime(2026, 1, 3, 23, 30)]
    weeks = Timing(None, {"every": 1, "unit": "weeks", "weekdays": ["mon", "thu"], "at": ["08:00"]}, "UTC",
                   datetime(2026, 3, 2), datetime(2026, 3, 13), datetime(2026, 1, 1))
    assert weeks.upcoming(datetime(2026, 1, 1), 10) == [datetime(2026, 3, 2, 8), datetime(2026, 3, 5, 8), datetime(2026, 3, 9, 8), datetime(2026, 3, 12, 8)]


def test_invalid_timing_and_jobs_are_400s(workspace, clock):
    svc = workspace.schedules
    with pytest.raises(InvalidRequest, match="five-field cron"):
        svc.create(ScheduleCreate(name="a", cron="every day", job=echo_job()))
    with pytest.raises(InvalidRequest, match="IANA time zone"):
        svc.create(ScheduleCreate(name="a", cron="0 2 * * *", time_zone="Mars/Olympus", job=echo_job()))
    with pytest.raises(InvalidRequest, match="either cron"):
        svc.create(ScheduleCreate(name="a", job=echo_job()))
    with pytest.raises(InvalidRequest, match="needs a kind"):
        svc.create(ScheduleCreate(name="a", cron="0 2 * * *", job={"command": "x"}))
    with pytest.raises(InvalidRequest, match="notebook 'nope.ipynb' is not a file"):
        svc.create(ScheduleCreate(name="a", cron="0 2 * * *", job={"kind": "notebook", "notebook": "nope.ipynb"}))
    with pytest.raises(InvalidRequest, match="schedule_nam"):
        svc.create(ScheduleCreate(name="a", cron="0 2 * * *", job=echo_job(display_name="{{ schedule_nam }}")))
    svc.create(ScheduleCreate(name="a", cron="0 2 * * *", job=echo_job()))
    with pytest.raises(Conflict):
        svc.create(ScheduleCreate(name="a", cron="0 2 * * *", job=echo_job()))
    with pytest.raises(NotFound):
        svc.get("b")


def test_a_due_slot_fires_once_with_rendered_parameters_and_a_schedule_tag(workspace, clock):
    svc = workspace.schedules
    svc.create(ScheduleCreate(name="five", cron="*/5 * * * *", time_zone="Europe/Paris", job=echo_job()))
    clock.now = datetime(2026, 3, 2, 0, 5, 1)
    workspace.scheduler.tick()
    workspace.scheduler.tick()  # a second pass finds the slot taken
    (run,) = runs(workspace, "five")
    assert run.state == "submitted" and run.trigger == "schedule" and run.scheduled_time.replace(tzinfo=None) == datetime(2026, 3, 2, 0, 5)
    job = wait_job(workspace, run.job_id)
    assert job.status == "Completed", workspace.jobs.logs(job.id).text
    assert "slot=2026-03-02T01:05:00+01:00 date=2026-03-02" in workspace.jobs.logs(job.id).text
    assert job.tags["mlservice.schedule"] == "five"
    assert [j.id for j in workspace.jobs.list(tag={"mlservice.schedule": "five"}).items] == [job.id]
    s = svc.get("five")
    assert s.next_run_at.replace(tzinfo=None) == datetime(2026, 3, 2, 0, 10)
    assert s.last_runs[0].job_status == "Completed"


def test_exactly_once_with_two_schedulers_racing_on_one_store(workspace, clock):
    svc = workspace.schedules
    svc.create(ScheduleCreate(name="race", cron="* * * * *", job=echo_job(), max_concurrent_runs=100))
    others = [ScheduleController(ScheduleService(workspace.store, workspace.jobs, workspace.root_dir, clock=clock)) for _ in range(3)]
    for minute in range(1, 4):
        clock.now = T0 + timedelta(minutes=minute)
        barrier = threading.Barrier(len(others) + 1)

        def go(s):
            barrier.wait()
            s.tick()

        threads = [threading.Thread(target=go, args=(s,)) for s in [workspace.scheduler, *others]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    got = runs(workspace, "race")
    assert sorted(r.scheduled_time.minute for r in got) == [1, 2, 3]
    assert all(r.state == "submitted" for r in got)
    jobs = workspace.jobs.list(tag={"mlservice.schedule": "race"}).items
    assert len(jobs) == 3


@pytest.mark.parametrize(
    "policy,expect_fired",
    [("skip", []), ("latest", [55]), ("all", [45, 50, 55])],
)
def test_catch_up_after_downtime(workspace, clock, policy, expect_fired):
    svc = workspace.schedules
    svc.create(ScheduleCreate(name="c", cron="*/5 * * * *", job=echo_job(), catch_up=policy, catch_up_limit=3, max_concurrent_runs=10))
    clock.now = datetime(2026, 3, 2, 0, 58, 0)  # "the server was down" from 00:00:30 to 00:58
    restarted = ScheduleController(ScheduleService(workspace.store, workspace.jobs, workspace.root_dir, clock=clock))
    restarted.tick()
    got = runs(workspace, "c", limit=100)
    fired = sorted(r.scheduled_time.minute for r in got if r.state == "submitted")
    assert fired == expect_fired
    assert all(r.trigger == "catch_up" for r in got if r.state == "submitted")
    missed = sorted(r.scheduled_time.minute for r in got if r.state == "missed")
    assert missed == sorted(set(range(5, 56, 5)) - set(expect_fired))
    assert svc.get("c").next_run_at.replace(tzinfo=None) == datetime(2026, 3, 2, 1, 0)


def test_max_concurrent_runs_skips_or_queues_and_records_it(workspace, clock):
    svc = workspace.schedules
    job = {"kind": "command", "command": "sleep 30"}
    svc.create(ScheduleCreate(name="skipper", cron="* * * * *", job=job))
    svc.create(ScheduleCreate(name="queuer", cron="* * * * *", job=job, concurrency_policy="queue"))
    clock.now = T0 + timedelta(minutes=1)
    workspace.scheduler.tick()
    clock.now = T0 + timedelta(minutes=2)
    workspace.scheduler.tick()
    skip = runs(workspace, "skipper")
    assert [r.state for r in skip] == ["skipped", "submitted"]
    assert "max_concurrent_runs=1" in skip[0].reason
    queue = runs(workspace, "queuer")
    assert [r.state for r in queue] == ["waiting", "submitted"]
    first = queue[1].job_id
    workspace.jobs.cancel(first)
    wait_job(workspace, first)
    workspace.scheduler.tick()  # the slot is free: the queued run goes
    queue = runs(workspace, "queuer")
    assert [r.state for r in queue] == ["submitted", "submitted"]
    for r in runs(workspace, "queuer") + runs(workspace, "skipper"):
        if r.job_id:
            workspace.jobs.cancel(r.job_id) if not workspace.jobs.get(r.job_id).status.is_terminal else None


def test_edit_disable_enable_run_now_and_delete(workspace, clock):
    svc = workspace.schedules
    svc.create(ScheduleCreate(name="e", cron="0 * * * *", job=echo_job()))
    s = svc.update("e", ScheduleUpdate(recurrence={"every": 10, "unit": "minutes"}, job=echo_job(display_name="v2-{{ scheduled_date }}")))
    assert s.cron is None and s.recurrence.every == 10
    assert s.next_run_at.replace(tzinfo=None) == datetime(2026, 3, 2, 0, 10)
    s = svc.update("e", ScheduleUpdate(time_zone="Asia/Tokyo", max_concurrent_runs=2, catch_up="all", description="d"))
    assert (s.time_zone, s.max_concurrent_runs, s.catch_up, s.description) == ("Asia/Tokyo", 2, "all", "d")
    assert svc.set_enabled("e", False).next_run_at is None
    clock.now = T0 + timedelta(hours=2)
    workspace.scheduler.tick()
    assert runs(workspace, "e") == []  # nothing while disabled
    s = svc.set_enabled("e", True)
    workspace.scheduler.tick()
    assert runs(workspace, "e") == []  # enabling does not catch up the disabled time
    assert s.next_run_at > s.updated_at
    run = svc.run_now("e")
    assert run.trigger == "manual" and run.state == "submitted"
    job = wait_job(workspace, run.job_id)
    assert job.display_name == "v2-2026-03-02"
    svc.delete("e")
    with pytest.raises(NotFound):
        svc.get("e")
    assert workspace.jobs.get(job.id).tags["mlservice.schedule"] == "e"  # its jobs stay


def test_start_and_end_bound_the_slots(workspace, clock):
    svc = workspace.schedules
    s = svc.create(ScheduleCreate(name="b", cron="0 * * * *", job=echo_job(), start_at=datetime(2026, 3, 2, 5, 30), end_at=datetime(2026, 3, 2, 7, 0)))
    assert [t.hour for t in s.next_runs] == [6, 7]
    clock.now = datetime(2026, 3, 2, 7, 0, 5)
    workspace.scheduler.tick()
    assert svc.get("b").next_run_at is None


def test_a_claim_left_by_a_dead_process_is_finished_once(workspace, clock):
    from jupyter_mlservice.core.schedules.controller import CLAIM_LEASE

    svc = workspace.schedules
    svc.create(ScheduleCreate(name="d", cron="0 5 * * *", job=echo_job()))
    row = svc.row("d")
    dead = ScheduleService(workspace.store, workspace.jobs, workspace.root_dir, clock=clock)
    dead.firing.owner = "some-host:1:x"  # a process that is gone
    run = dead.firing.claim(row, datetime(2026, 3, 2, 5, 0), "schedule")  # claimed, then "crashed" before submitting
    workspace.scheduler.tick()
    assert runs(workspace, "d")[0].state == "claimed"  # within its lease: left alone
    from jupyter_mlservice.core.timeutil import utcnow

    dead.firing.set(run.id, claimed_at=utcnow() - CLAIM_LEASE - timedelta(seconds=1))  # the lease ran out
    workspace.scheduler.tick()
    workspace.scheduler.tick()
    (run,) = runs(workspace, "d")
    assert run.state == "submitted" and run.job_id
    assert len(workspace.jobs.list(tag={"mlservice.schedule": "d"}).items) == 1


def test_schedules_survive_a_restart_of_the_workspace(tmp_path, mlflow_template):
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    from .conftest import seed_workspace

    root = tmp_path / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root))
    ws.schedules.create(ScheduleCreate(name="keep", recurrence={"every": 1, "unit": "days", "at": ["02:00"]}, job=echo_job()))
    ws.stop()
    ws2 = Workspace(WorkspaceConfig(root_dir=root))
    try:
        s = ws2.schedules.get("keep")
        assert s.recurrence.at == ["02:00"] and s.next_run_at is not None
    finally:
        ws2.stop()


def _tick_in_another_process(root: str, minutes: int, ready, go, out) -> None:
    """A second "server": its own Workspace on the same store, ticking the same slots."""
    import time as _time
    from pathlib import Path

    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    ws = Workspace(WorkspaceConfig(root_dir=Path(root)))
    clock = Clock(T0)
    ws.schedules.clock = clock
    ready.set()
    go.wait()
    for minute in range(1, minutes + 1):
        clock.now = T0 + timedelta(minutes=minute, seconds=1)
        ws.scheduler.tick()
        _time.sleep(0.01)
    ws.store.dispose()
    out.put("done")


def test_two_processes_on_one_store_fire_each_slot_once(workspace, clock):
    import multiprocessing as mp
    import time as _time

    svc = workspace.schedules
    svc.create(ScheduleCreate(name="twin", cron="* * * * *", job={"kind": "command", "command": "true"}, max_concurrent_runs=100))
    ctx = mp.get_context("spawn")
    out, ready, go = ctx.Queue(), ctx.Event(), ctx.Event()
    other = ctx.Process(target=_tick_in_another_process, args=(str(workspace.root_dir), 5, ready, go, out))
    other.start()
    assert ready.wait(300), "the other process did not build its workspace"
    go.set()  # both start ticking at the same moment
    for minute in range(1, 6):
        clock.now = T0 + timedelta(minutes=minute, seconds=1)
        workspace.scheduler.tick()
        _time.sleep(0.01)
    assert out.get(timeout=300) == "done"
    other.join(30)
    got = runs(workspace, "twin", limit=100)
    assert sorted(r.scheduled_time.minute for r in got) == [1, 2, 3, 4, 5]
    assert len(workspace.jobs.list(tag={"mlservice.schedule": "twin"}).items) == 5


def test_templates_leave_the_jobs_own_placeholders_for_launch():
    """`${{inputs.train}}` is filled when the job starts, not by the schedule's (or trigger's) template."""
    from jupyter_mlservice.core.schedules import templates

    ctx = templates.context(datetime(2026, 1, 31, 1, 0), "UTC", "nightly", "schedule")
    spec = {"command": "python t.py --data ${{inputs.train}} --day {{ scheduled_date }} --out ${{ outputs.model }}",
            "inputs": {"train": "data:iris@{{ 1 + 1 }}"}, "source": "print('{{ kept }}')"}
    assert templates.render(spec, ctx) == {
        "command": "python t.py --data ${{inputs.train}} --day 2026-01-31 --out ${{ outputs.model }}",
        "inputs": {"train": "data:iris@2"}, "source": "print('{{ kept }}')"}
    with pytest.raises(InvalidRequest, match="schedule_nme"):
        templates.render({"command": "echo ${{inputs.a}} {{ schedule_nme }}"}, ctx)
