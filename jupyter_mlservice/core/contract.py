"""The values clients need as much as the server: published once, in the OpenAPI document.

`server/openapi.py` puts ``constants()`` under the document's top-level ``x-mlservice-constants``
key; the frontend generates its constants from there, so name rules, statuses and limits are
written down here (in their areas' modules) and nowhere else.
"""

from __future__ import annotations

from typing import Any, get_args


def constants() -> dict[str, Any]:
    from .endpoints.schemas import DeploymentState, EndpointState
    from .environments.schemas import ENVIRONMENT_NAME, EnvironmentState
    from .events import SCHEMA_BASE
    from .jobs.schemas import ACTIVE_STATUSES, TERMINAL_STATUSES, JobStatus
    from .refs import ALIAS, NAME
    from .schedules.schemas import ACTIVE_RUN_STATES, SETTLED_RUN_STATES
    from .schemas import ENDPOINT_NAME_PATTERN, MAX_PAGE_SIZE, MODEL_ALIAS_PATTERN, MODEL_NAME_PATTERN, NAME_PATTERN
    from .serving.config import MAX_MIRROR_PERCENT
    from .sweeps.schemas import LIVE_TRIAL_STATES, TrialState

    jobs = [s.value for s in JobStatus]
    deployments = list(get_args(DeploymentState))
    changing = ("Creating", "Updating", "Deleting")
    return {
        "NAME_PATTERN": NAME_PATTERN,
        "ENDPOINT_NAME_PATTERN": ENDPOINT_NAME_PATTERN,
        "MODEL_NAME_PATTERN": MODEL_NAME_PATTERN,
        "MODEL_ALIAS_PATTERN": MODEL_ALIAS_PATTERN,
        "DATA_NAME_PATTERN": f"^{NAME}$",  # data asset names and aliases (core/refs.py)
        "DATA_ALIAS_PATTERN": f"^{ALIAS}$",
        "ENVIRONMENT_NAME_PATTERN": ENVIRONMENT_NAME,
        "JOB_STATUSES": jobs,
        "TERMINAL_JOB_STATUSES": [s for s in jobs if JobStatus(s) in TERMINAL_STATUSES],
        "ACTIVE_JOB_STATUSES": [s for s in jobs if JobStatus(s) in ACTIVE_STATUSES],
        "ENDPOINT_STATUSES": list(get_args(EndpointState)),
        "DEPLOYMENT_STATUSES": deployments,
        # a deployment is "active" while a change is rolling out, "terminal" once it settled
        "ACTIVE_DEPLOYMENT_STATUSES": [s for s in deployments if s in changing],
        "TERMINAL_DEPLOYMENT_STATUSES": [s for s in deployments if s not in changing],
        "SCHEDULE_RUN_STATES": [*ACTIVE_RUN_STATES, *SETTLED_RUN_STATES],
        "ACTIVE_SCHEDULE_RUN_STATES": list(ACTIVE_RUN_STATES),
        "TERMINAL_SCHEDULE_RUN_STATES": list(SETTLED_RUN_STATES),
        "ENVIRONMENT_STATES": list(get_args(EnvironmentState)),
        "SWEEP_TRIAL_STATES": list(get_args(TrialState)),
        "ACTIVE_SWEEP_TRIAL_STATES": list(LIVE_TRIAL_STATES),
        "TERMINAL_SWEEP_TRIAL_STATES": [s for s in get_args(TrialState) if s not in LIVE_TRIAL_STATES],
        "MAX_PAGE_SIZE": MAX_PAGE_SIZE,
        "MAX_MIRROR_PERCENT": MAX_MIRROR_PERCENT,
        "EVENT_SCHEMA_BASE": SCHEMA_BASE,  # an area's events: f"{EVENT_SCHEMA_BASE}/{area}"
    }
