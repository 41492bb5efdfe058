"""Values both languages need are defined once and published in the OpenAPI document."""

from __future__ import annotations

import re

from jupyter_mlservice.core.jobs.schemas import JobStatus
from jupyter_mlservice.server.openapi import openapi_document


def test_the_document_publishes_the_constants_the_schemas_use():
    doc = openapi_document()
    c = doc["x-mlservice-constants"]
    schemas = doc["components"]["schemas"]
    assert schemas["TargetCreate"]["properties"]["name"]["pattern"] == c["NAME_PATTERN"]
    assert schemas["ScheduleCreate"]["properties"]["name"]["pattern"] == c["NAME_PATTERN"]
    assert schemas["EndpointCreate"]["properties"]["name"]["pattern"] == c["ENDPOINT_NAME_PATTERN"]
    assert schemas["DeploymentCreate"]["properties"]["name"]["pattern"] == c["ENDPOINT_NAME_PATTERN"]
    assert schemas["JobStatus"]["enum"] == c["JOB_STATUSES"]
    assert schemas["Deployment"]["properties"]["status"]["enum"] == c["DEPLOYMENT_STATUSES"]
    assert schemas["ScheduleRun"]["properties"]["state"]["enum"] == c["SCHEDULE_RUN_STATES"]
    assert schemas["SweepTrial"]["properties"]["state"]["enum"] == c["SWEEP_TRIAL_STATES"]
    assert schemas["Environment"]["properties"]["state"]["enum"] == c["ENVIRONMENT_STATES"]
    assert schemas["EnvironmentCreate"]["properties"]["name"]["pattern"] == c["ENVIRONMENT_NAME_PATTERN"]
    assert c["TERMINAL_JOB_STATUSES"] == [s.value for s in JobStatus if s.is_terminal]
    assert sorted(c["ACTIVE_DEPLOYMENT_STATUSES"] + c["TERMINAL_DEPLOYMENT_STATUSES"]) == sorted(c["DEPLOYMENT_STATUSES"])
    assert sorted(c["ACTIVE_SCHEDULE_RUN_STATES"] + c["TERMINAL_SCHEDULE_RUN_STATES"]) == sorted(c["SCHEDULE_RUN_STATES"])
    assert sorted(c["ACTIVE_SWEEP_TRIAL_STATES"] + c["TERMINAL_SWEEP_TRIAL_STATES"]) == sorted(c["SWEEP_TRIAL_STATES"])
    # data asset names are what core/refs.py checks: no '@' or ':', which references use
    assert re.match(c["DATA_NAME_PATTERN"], "iris.v2_x-1") and not re.match(c["DATA_NAME_PATTERN"], "iris@2")
    assert re.match(c["DATA_ALIAS_PATTERN"], "prod") and not re.match(c["DATA_ALIAS_PATTERN"], "2")
    assert c["MAX_PAGE_SIZE"] == 1000 and c["MAX_MIRROR_PERCENT"] == 50
    for key, value in c.items():
        if key.endswith("_PATTERN"):
            re.compile(value)


def test_python_clients_that_cannot_import_core_agree_with_it():
    """The SDK and widgets speak REST only, so they keep their own copy; it must not drift."""
    from jupyter_mlservice import widgets
    from jupyter_mlservice.sdk import jobs

    terminal = set(openapi_document()["x-mlservice-constants"]["TERMINAL_JOB_STATUSES"])
    assert jobs.TERMINAL == terminal
    assert widgets.TERMINAL == terminal
