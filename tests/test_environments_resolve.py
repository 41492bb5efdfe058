"""Resolving an environment (uv against the package index, nothing built): what only a scoring
script needs is added where it fits (tests/test_environments_e2e.py: sk12 holds it, and a model's
own environment resolves to sk12's lock), left out where it does not, and required for a script."""

from __future__ import annotations

import pytest

from jupyter_mlservice.core.environments import sources
from jupyter_mlservice.core.environments.resolve import resolve
from jupyter_mlservice.core.errors import InvalidRequest

# A modern TensorFlow stack pins wrapt 2; every inference-schema release caps wrapt below 2.
MODERN_WRAPT = ["wrapt==2.5.2"]


def names(lock: list[str]) -> set[str]:
    return {line.split("==")[0] for line in lock}


def test_what_only_scoring_scripts_use_is_left_out_where_it_does_not_fit():
    res = resolve(sources.from_list(MODERN_WRAPT))
    assert "wrapt==2.5.2" in res.lock  # the user's pin wins
    assert {"mlflow-skinny", "uvicorn", "pandas"} <= names(res.lock) and "inference-schema" not in names(res.lock)
    assert any(line.startswith("left out inference-schema") and "wrapt" in line for line in res.log), res.log


def test_an_environment_for_a_scoring_script_must_hold_what_scripts_use():
    with pytest.raises(InvalidRequest, match=r"inside an environment for a scoring script \(.*inference-schema.*wrapt"):
        resolve(sources.from_list(MODERN_WRAPT), scoring_script=True)

