"""notebooks/06-monitoring.ipynb runs end to end under papermill against a live server: deploy
with collection, a monitor with a webhook, normal traffic (no alarm), shifted traffic (drift
detected, alert delivered), the endpoint time series."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06-monitoring.ipynb"


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_monitoring_tutorial_runs_end_to_end(live_server, tmp_path, monkeypatch):
    monkeypatch.setenv("MLSERVICE_URL", live_server.url)
    monkeypatch.setenv("MLSERVICE_TOKEN", live_server.token)
    work = live_server.root / "monitoring-tutorial"
    work.mkdir()
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(executed), cwd=str(work), kernel_name="python3", progress_bar=False,
        parameters={"experiment": "monitoring-tutorial-test", "delete_at_end": False},
    )

    ml = live_server.client()
    monitor = ml.monitors.get("iris-drift")
    assert monitor.schedule_name == "monitor-iris-drift" and monitor.enabled and monitor.endpoint == "iris-monitored"
    calm, drifted = sorted(ml.monitors.runs("iris-drift"), key=lambda r: r.id)
    assert calm.state == drifted.state == "Completed" and calm.trigger == drifted.trigger == "manual"
    assert calm.breached is False and calm.rows == 200
    assert drifted.breached and drifted.rows == 500 and drifted.drifted == ["petal_length"]
    assert ml.jobs.get(drifted.job_id).status == "Completed"  # every run is a job
    (alert,) = ml.monitors.alerts("iris-drift")
    assert alert.run_id == drifted.id and alert.delivery == "delivered" and alert.notify
    assert ml.deployments.get(endpoint="iris-monitored", name="blue").collect["sample_rate"] == 1.0

    nb = nbformat.read(executed, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o["output_type"] == "error"]
    texts = "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "Completed breached: False rows: 200" in texts
    assert "drifted features: ['petal_length']" in texts
    assert "webhook: delivered after 1 attempt(s); the receiver got 1 alert(s): monitor iris-drift:" in texts
    ml.monitors.delete("iris-drift")
    ml.endpoints.delete("iris-monitored")
