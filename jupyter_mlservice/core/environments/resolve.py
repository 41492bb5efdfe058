"""Requirements -> a full lock (``name==version`` lines), with uv, in two steps.

1. The user's requirements alone. When some are pinned to one release (``==1.2.2``), everything
   else is resolved as of the newest pinned release's date (``uv --exclude-newer``; the pinned
   packages themselves are exempt), so ``scikit-learn==1.2.2`` next to an unpinned ``numpy`` gets
   the numpy of March 2023, not a numpy 2 that scikit-learn 1.2.2 cannot import.
2. That lock, every line pinned, plus what the service runs inside an environment (its job runner,
   the notebook kernel, the scoring worker). Those are added unpinned, preferring the server's own
   versions where they fit, so they never override a user's pin: an environment pinning an older
   numpy or MLflow gets a pandas, an MLflow or an ipykernel that work with it. What only a scoring
   script uses (inference-schema, whose old ``wrapt`` pin no modern TensorFlow stack fits) is added
   where it fits, and required only for an environment made for a scoring script.

The lock's hash (with the interpreter) is the environment's cache key.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ..errors import InvalidRequest
from . import sources
from .cache import clean_uv_error, uv_bin
from .index import Index, utc_now

# What the service imports inside an environment, and why (resolved with the user's pins).
SERVICE_NEEDS = {
    "mlflow-skinny": "MLflow logging in jobs, loading MLflow models",
    "sqlalchemy": "MLflow's SQL tracking store",
    "alembic": "MLflow's SQL tracking store",
    "pandas": "batch scoring and MLflow models",
    "pyarrow": "batch scoring",
    "ipykernel": "the notebook kernel of notebook jobs",
    "uvicorn": "the scoring worker",
    "uvloop": "the scoring worker",
    "httptools": "the scoring worker",
    "orjson": "the scoring worker",
    "pydantic>=2": "the scoring worker's configuration",
    "psutil": "the scoring worker",
    "pyyaml": "reading MLflow model files",
}
# What only a scoring script uses: added where it fits (the build log says when it does not).
SCRIPT_NEEDS = {
    "inference-schema": "Azure scoring scripts' schema decorators",
}
# Bump when what a build puts in an environment changes: old cache entries are then not reused.
BUILD_FORMAT = "1"


@dataclass
class Resolution:
    lock: list[str]  # every package, "name==version", sorted
    key: str
    log: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def python_tag() -> str:
    impl = sys.implementation
    return f"{impl.name}-{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"


def lock_key(lock: list[str]) -> str:
    text = "\n".join([f"# python {python_tag()}", f"# format {BUILD_FORMAT}", *lock])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _compile(lines: list[str], out: Path, extra: list[str]) -> subprocess.CompletedProcess:
    src = out.with_suffix(".in")
    src.write_text("\n".join(lines) + "\n")
    cmd = [uv_bin(), "pip", "compile", str(src), "-o", str(out), "--python", sys.executable, "--no-header",
           "--no-annotate", "--quiet", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=600)


def _read_lock(path: Path) -> list[str]:
    return sorted(
        (line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")),
        key=lambda line: canonicalize_name(line.split("==")[0]),
    )


def _server_versions() -> dict[str, str]:
    import importlib.metadata

    versions = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata.get("Name")
        if name:
            versions[canonicalize_name(name)] = dist.version
    return versions


def resolve(req: sources.Requirements, index: Index | None = None, scoring_script: bool = False) -> Resolution:
    """``scoring_script``: the environment is made for a scoring script, so :data:`SCRIPT_NEEDS` must
    fit; otherwise they are added only where they fit."""
    index = index or Index()
    log: list[str] = []
    warnings = list(req.warnings)
    for name in req.conda_names:
        if not index.exists(name):
            raise InvalidRequest(
                f"conda dependency {name!r} exists only in conda, not on the package index; remove it from the "
                "conda file, or list a pip package that provides it under 'pip:'"
            )
    with tempfile.TemporaryDirectory(prefix="mlservice-resolve-") as tmp:
        tmpdir = Path(tmp)
        user_lock = _resolve_user(req.lines, tmpdir, index, log)
        full = _add_service_needs(user_lock, tmpdir, log, scoring_script)
    for w in warnings:
        log.insert(0, f"warning: {w}")
    return Resolution(lock=full, key=lock_key(full), log=log, warnings=warnings)


def _resolve_user(lines: list[str], tmpdir: Path, index: Index, log: list[str]) -> list[str]:
    out = tmpdir / "user.txt"
    pins = sources.exact_pins(lines)
    loose = [line for line in lines if canonicalize_name(Requirement(line).name) not in pins]
    extra: list[str] = []
    cutoff_note = None
    if pins:
        dates = {}
        for name, version in pins.items():
            try:
                when = index.release_date(name, version)
            except OSError as exc:
                log.append(f"could not read the release date of {name}=={version} from {index.url}: {exc}")
                when = None
            if when is not None:
                dates[name] = when
        if dates:
            newest = max(dates, key=dates.get)
            cutoff = dates[newest] + timedelta(days=1)
            now = utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
            extra = ["--exclude-newer", cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")]
            for name in pins:
                extra += ["--exclude-newer-package", f"{name}={now}"]
            cutoff_note = (
                f"{newest}=={pins[newest]} is the newest pinned release (published {dates[newest]:%Y-%m-%d}); "
                f"packages not pinned here ({', '.join(sorted(sources.names(loose))) or 'the dependencies of the pins'}) "
                f"are resolved as of {cutoff:%Y-%m-%d} (uv --exclude-newer), so they work with the pins"
            )
        else:
            log.append(f"the index {index.url} gave no upload dates for the pinned releases; "
                       "unpinned packages are resolved to their newest versions")
    result = _compile(lines, out, extra)
    if result.returncode != 0 and extra:
        log.append(f"resolving as of the pins' date failed ({clean_uv_error(result.stderr)}); "
                   "resolving again without the date limit")
        cutoff_note = None
        result = _compile(lines, out, [])
    if result.returncode != 0:
        raise InvalidRequest(f"cannot resolve the environment's requirements: {clean_uv_error(result.stderr)}")
    if cutoff_note:
        log.append(cutoff_note)
    lock = _read_lock(out)
    log.append("your requirements resolve to: " + ", ".join(lock))
    return lock


def _add_service_needs(user_lock: list[str], tmpdir: Path, log: list[str], scoring_script: bool) -> list[str]:
    out = tmpdir / "full.txt"
    mine = {_name(line) for line in user_lock}
    # Preferences: uv keeps the versions already in the output file when they fit.
    server = _server_versions()
    preferences = "".join(f"{n}=={v}\n" for n, v in sorted(server.items()) if n not in mine)
    needs = [n for n in SERVICE_NEEDS if _name(n) not in mine]
    script_needs = [n for n in SCRIPT_NEEDS if _name(n) not in mine]
    out.write_text(preferences)
    result = _compile(user_lock + needs + script_needs, out, [])
    if result.returncode != 0 and script_needs and not scoring_script:
        log.append(f"left out {', '.join(script_needs)} (only scoring scripts use it: "
                   f"{'; '.join(SCRIPT_NEEDS[n] for n in script_needs)}): it cannot be installed next to these "
                   f"requirements ({clean_uv_error(result.stderr)}); a scoring script that imports it cannot run here")
        out.write_text(preferences)
        script_needs = []
        result = _compile(user_lock + needs, out, [])
    if result.returncode != 0:
        asked = [*SERVICE_NEEDS, *script_needs]
        raise InvalidRequest(
            f"the service needs some packages inside {'an environment for a scoring script' if script_needs else 'every environment'} ("
            + ", ".join(asked) + ") and they cannot be installed next to these requirements: "
            f"{clean_uv_error(result.stderr)}"
        )
    lock = _read_lock(out)
    service = {_name(n) for n in [*needs, *script_needs]}
    added = [line for line in lock if _name(line) not in mine]
    log.append(f"added for the service (your pins unchanged): {len(added)} packages, e.g. "
               + ", ".join(line for line in added if _name(line) in service))
    return lock


def _name(requirement: str) -> str:
    return canonicalize_name(Requirement(requirement).name)
