"""The clients speak REST only: loading the SDK, the CLI, the magics or the widgets never loads
the domain (`jupyter_mlservice.core`) or the server extension, so a kernel or a laptop talking to
a remote server pays for neither and cannot reach past the API."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
{imports}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[:2] in (["jupyter_mlservice", "core"], ["jupyter_mlservice", "server"]))))
"""

CLIENTS = {
    "sdk": "from jupyter_mlservice.sdk import MLService, Job\nfrom jupyter_mlservice.sdk import batch, schedules, endpoints, models, sweeps, automl\nfrom jupyter_mlservice import sweep",
    "cli": "from jupyter_mlservice import cli\ncli.build_parser()",
    "magics": "from jupyter_mlservice import magics",
    "widgets": "from jupyter_mlservice import widgets",
    "errors": "from jupyter_mlservice.errors import MLServiceError, InvalidRequest, NotFound, Conflict, UsageError, APIError, ServerNotFound",
}


def loaded_server_side_modules(imports: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(imports=imports)], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_a_client_loads_neither_core_nor_server(client):
    assert loaded_server_side_modules(CLIENTS[client]) == []


def test_core_errors_are_the_package_root_errors():
    # Handlers map core's errors to statuses and the SDK raises them back: one class each.
    from jupyter_mlservice import errors
    from jupyter_mlservice.core import errors as core_errors
    from jupyter_mlservice.sdk import ServerNotFound
    from jupyter_mlservice.sdk.http import APIError

    for name in ("MLServiceError", "InvalidRequest", "NotFound", "Conflict"):
        assert getattr(core_errors, name) is getattr(errors, name)
    assert ServerNotFound is errors.ServerNotFound and APIError is errors.APIError
    assert issubclass(errors.UsageError, errors.InvalidRequest) and errors.UsageError.status == 400


def test_cli_area_modules_share_only_the_common_module():
    # Adding an area is one module and one AREAS line: no area module reaches into another.
    import ast
    from pathlib import Path

    from jupyter_mlservice import cli

    folder = Path(cli.__file__).parent
    for area in cli.AREAS:
        tree = ast.parse((folder / f"{area}.py").read_text())
        siblings = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1 and not n.module for a in n.names}
        siblings |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module}
        assert siblings <= {"common"}, f"cli/{area}.py imports {sorted(siblings - {'common'})}"
