"""`mlservice job ... --open` prints the job's page in JupyterLab's ML Studio."""

from __future__ import annotations

import json

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
