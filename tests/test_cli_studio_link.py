"""`mlservice ... show --open` prints the entity's page in JupyterLab's ML Studio."""

from __future__ import annotations

import json
import pickle

from tests.test_sdk_cli import cli


def test_job_show_and_submit_print_the_studio_link_with_open(shared_server):
    submitted = cli(shared_server, "job", "submit", "--open", "--", "echo", "hello")
    job_id, link = submitted.stdout.strip().splitlines()
    assert link == shared_server.url.rstrip("/") + f"/lab/mlservice/jobs/{job_id}"

    shown = cli(shared_server, "job", "show", job_id, "--open")
    assert shown.stdout.strip().splitlines()[-1] == link
    as_json = json.loads(cli(shared_server, "job", "show", job_id, "--open", "--json").stdout)
    assert as_json["id"] == job_id and as_json["studio_url"] == link
    # Without --open, the output is as it was.
    assert "lab/mlservice" not in cli(shared_server, "job", "show", job_id).stdout


def test_models_endpoints_and_schedules_print_their_studio_links_with_open(shared_server):
    studio = shared_server.url.rstrip("/") + "/lab/mlservice"
    model_file = shared_server.root / "model.pkl"  # inside the server root: the path policy refuses others
    model_file.write_bytes(pickle.dumps({"weights": [1]}))
    cli(shared_server, "model", "register", "link.model", "--path", str(model_file))
    cli(shared_server, "endpoint", "create", "link-ep")
    cli(shared_server, "schedule", "create", "link-nightly", "--every", "5 minutes", "--disabled", "--command", "true")
    (shared_server.root / "link-baseline.csv").write_text("x\n1\n2\n3\n")
    cli(shared_server, "monitor", "create", "link-drift", "--endpoint", "link-ep", "--baseline", "link-baseline.csv")

    last_line = lambda *args: cli(shared_server, *args, "--open").stdout.strip().splitlines()[-1]  # noqa: E731
    assert last_line("model", "show", "link.model") == f"{studio}/models/link.model"
    assert last_line("model", "show", "link.model:1") == f"{studio}/models/link.model/1"
    assert last_line("endpoint", "show", "link-ep") == f"{studio}/endpoints/link-ep"
    assert last_line("schedule", "show", "link-nightly") == f"{studio}/schedules/link-nightly"
    assert last_line("monitor", "show", "link-drift") == f"{studio}/monitoring/link-drift"
    shown = json.loads(cli(shared_server, "endpoint", "show", "link-ep", "--open", "--json").stdout)
    assert shown["name"] == "link-ep" and shown["studio_url"] == f"{studio}/endpoints/link-ep"
