"""Secrets at rest and in transit: keys and tokens live only in files the server user can read
(0600 in a 0700 workspace), never in the store, a log line, an event or the OpenAPI document;
the SQLite write-ahead logs are checkpointed regularly."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
import requests

from jupyter_mlservice.core.endpoints.schemas import EndpointCreate
from jupyter_mlservice.core.targets.schemas import TargetCreate

from .conftest import LiveServer, seed_workspace, wait_for

EVENTS_CONFIG = """
import logging
c.EventLogger.handlers = [logging.FileHandler({path!r})]
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def audited_server(tmp_path, mlflow_template):
    """A server whose events are written to a file, as an auditor would configure it."""
    root = tmp_path / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    config = tmp_path / "config"
    config.mkdir()
    events = tmp_path / "events.log"
    for name in ("jupyter_server_config.py", "mlservice_serve_config.py"):
        (config / name).write_text(EVENTS_CONFIG.format(path=str(events)))
    server = LiveServer(root, env={"JUPYTER_CONFIG_DIR": str(config)}).start()
    yield server, events
    server.stop()


@pytest.mark.timeout(900)
def test_no_log_event_store_or_document_holds_a_secret_the_run_created(audited_server):
    server, events = audited_server
    api = f"{server.url}mlservice/api"
    auth = {"Authorization": f"token {server.token}"}
    ray_token = "raytoken-" + os.urandom(8).hex()

    # secrets a team creates: an endpoint's keys (and a regenerated one), a cluster's token
    assert requests.post(f"{api}/endpoints", json={"name": "vault"}, headers=auth).status_code == 201
    keys = requests.get(f"{api}/endpoints/vault/keys", headers=auth).json()
    regenerated = requests.post(f"{api}/endpoints/vault/keys/regenerate", json={"key": "secondary"}, headers=auth).json()
    target = {"name": "cluster", "type": "ray", "settings": {"mode": "attached", "address": "http://127.0.0.1:9", "auth_token": ray_token}}
    created = requests.post(f"{api}/targets", json=target, headers=auth)
    assert created.status_code == 201, created.text
    assert ray_token not in created.text and created.json()["settings"]["auth_token"].startswith("secret:")
    # a job, so job events are emitted
    job = requests.post(f"{api}/jobs", json={"kind": "command", "command": "echo done"}, headers=auth).json()
    requests.get(f"{api}/jobs/{job['id']}/wait", params={"timeout": 120}, headers=auth)
    # the Jupyter token in a URL, on requests that fail (warning lines name the request)
    for path in ("/jobs/nope", "/targets/nope", "/endpoints/nope/keys"):
        assert requests.get(f"{api}{path}", params={"token": server.token}).status_code == 404

    secrets = [keys["primary"], keys["secondary"], regenerated["secondary"], ray_token, server.token]
    assert all(secrets) and len(set(secrets)) == 5
    ws = server.root / ".mlservice"
    wait_for(lambda: events.exists() and job["id"] in events.read_text(), what="job events in the event log")

    texts = {"server log": server.log_path.read_text(errors="replace"), "events": events.read_text()}
    for log in ws.rglob("*.log"):
        if "jobs" not in log.parts:  # a job's own output is what its command printed
            texts[str(log)] = log.read_text(errors="replace")
    texts["openapi"] = requests.get(f"{api}/openapi.json", headers=auth).text
    for name in ("workspace.db", "mlflow.db"):  # the stores, WAL included
        for part in ws.glob(name + "*"):
            texts[str(part)] = part.read_bytes().decode("latin-1")
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a secret is in {where}"
    assert "[secret]" in texts["server log"]  # the requests were logged, token scrubbed

    # at rest: only in files the server user can read
    assert _mode(ws) == 0o700
    assert _mode(ws / "workspace.db") == 0o600 and _mode(ws / "mlflow.db") == 0o600
    key_file = ws / "secrets" / "endpoints" / "vault.json"
    assert _mode(key_file) == 0o600 and _mode(key_file.parent) == 0o700
    assert json.loads(key_file.read_text()) == {"primary": keys["primary"], "secondary": regenerated["secondary"]}
    assert requests.delete(f"{api}/endpoints/vault", headers=auth).status_code == 204
    assert not key_file.exists()


def test_keys_written_in_clear_by_an_older_version_move_to_secret_files(workspace):
    ws = workspace
    ws.endpoints.create_endpoint(EndpointCreate(name="legacy"))
    primary, secondary = ws.endpoints.keys("legacy").primary, ws.endpoints.keys("legacy").secondary
    with ws.store.session() as s:  # as a store written before keys had files looked
        s.execute(__import__("sqlalchemy").text("UPDATE endpoints SET primary_key = :p, secondary_key = :s WHERE name = 'legacy'"),
                  {"p": primary, "s": secondary})
    ws.endpoints.secrets.delete("legacy")
    ws.endpoint_controller._move_keys_out_of_the_store()
    with ws.store.session() as s:
        stored = s.execute(__import__("sqlalchemy").text("SELECT primary_key, secondary_key FROM endpoints WHERE name = 'legacy'")).one()
    assert all(v.startswith("sha256:") for v in stored)
    assert (ws.endpoints.keys("legacy").primary, ws.endpoints.keys("legacy").secondary) == (primary, secondary)


def test_the_write_ahead_log_is_checkpointed_and_a_long_reader_is_reported(workspace, caplog):
    ws = workspace
    db = ws.workspace_dir / "workspace.db"
    wal = db.with_name("workspace.db-wal")
    for i in range(30):
        ws.targets.create(TargetCreate(name=f"t{i}", type="local"))
    assert wal.stat().st_size > 0
    assert ws.wal.checkpoint(db) and wal.stat().st_size == 0

    reader = sqlite3.connect(db)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM targets").fetchone()  # a read transaction left open
    try:
        for i in range(30, 40):
            ws.targets.create(TargetCreate(name=f"t{i}", type="local"))
        ws.wal.warn_after = 0
        with caplog.at_level("WARNING", logger="jupyter_mlservice.wal"):
            assert not ws.wal.checkpoint(db)
        assert "a reader keeps a transaction open" in caplog.text
    finally:
        reader.rollback()
        reader.close()
    assert ws.wal.checkpoint(db) and wal.stat().st_size == 0


def test_the_checkpointer_runs_on_its_own(tmp_path, mlflow_template):
    from jupyter_mlservice.core.workspace import Workspace, WorkspaceConfig

    root = tmp_path / "root"
    root.mkdir()
    seed_workspace(root, mlflow_template)
    ws = Workspace(WorkspaceConfig(root_dir=root, poll_interval=0.1, wal_checkpoint_s=0.2))
    ws.start()
    try:
        ws.targets.create(TargetCreate(name="x", type="local"))
        assert ws.wal.wait_ticks(2, timeout=60, wake=False)
        assert ws.wal.last[ws.workspace_dir / "workspace.db"][0] == 0  # not busy: done
        assert (ws.workspace_dir / "workspace.db-wal").stat().st_size == 0
    finally:
        ws.stop()
