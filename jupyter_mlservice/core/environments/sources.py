"""What users give, turned into pip requirement lines.

- a list (``["scikit-learn==1.2.2", "numpy<2"]``) or a requirements file's text;
- a conda file (Azure's and MLflow's ``conda.yaml``): its ``pip:`` list as is, its plain
  dependencies translated (``scikit-learn=1.2.2`` -> ``scikit-learn==1.2.2``), ``python=3.8`` kept
  as a warning (environments use the server's Python);
- an MLflow model folder: ``requirements.txt`` (and the python version in ``python_env.yaml``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..errors import InvalidRequest

# conda packages with another name on PyPI
CONDA_TO_PYPI = {
    "pytorch": "torch",
    "py-xgboost": "xgboost",
    "pytorch-cpu": "torch",
    "tensorflow-base": "tensorflow",
    "matplotlib-base": "matplotlib",
    "msgpack-python": "msgpack",
    "pyyaml": "PyYAML",
    "lightgbm": "lightgbm",
}
# conda's own machinery: nothing to install from PyPI
CONDA_SKIP = {"pip", "python", "setuptools", "wheel"}


@dataclass
class Requirements:
    lines: list[str]
    warnings: list[str] = field(default_factory=list)
    # names that came from a conda file's plain dependencies (checked against the index: a package
    # that exists only in conda is a clear error naming it)
    conda_names: list[str] = field(default_factory=list)


def check_lines(lines: list[str]) -> list[str]:
    """Each line is a pip requirement (name, version specifiers, extras, markers)."""
    out = []
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            raise InvalidRequest(
                f"requirement {line!r}: pip options are not supported here; list packages only "
                "(the index is the server's)"
            )
        try:
            Requirement(line)
        except InvalidRequirement as exc:
            raise InvalidRequest(f"requirement {line!r} is not a pip requirement: {exc}") from None
        out.append(line)
    if not out:
        raise InvalidRequest("the environment lists no requirements; give at least one package")
    return out


def from_list(lines: list[str]) -> Requirements:
    return Requirements(check_lines(lines))


def from_requirements_txt(text: str) -> Requirements:
    return Requirements(check_lines(text.splitlines()))


def _python_warning(version: str, where: str) -> str:
    import sys

    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    version = version.strip().lstrip("=<>~!")
    if version and not here.startswith(version.rsplit(".", 1)[0] if version.count(".") > 1 else version):
        return (f"{where} asks for Python {version}; environments use the server's Python {here} "
                "(no other interpreter can be fetched here), so packages are resolved for Python " + here)
    return f"{where} pins Python {version}; environments use the server's Python {here}"


def conda_dependency(spec: str) -> str | None:
    """``scikit-learn=1.2.2`` -> ``scikit-learn==1.2.2``; ``numpy>=1.20`` stays; ``python``/``pip`` -> None."""
    spec = spec.strip()
    if "::" in spec:
        spec = spec.split("::", 1)[1]  # channel::name
    m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", spec)
    if not m:
        raise InvalidRequest(f"conda dependency {spec!r} is not a package spec")
    name, rest = m.group(1), m.group(2).strip()
    if name.lower() in CONDA_SKIP:
        return None
    name = CONDA_TO_PYPI.get(name.lower(), name)
    if not rest:
        return name
    if rest.startswith("=") and not rest.startswith("=="):
        version = rest[1:].split("=", 1)[0].strip()  # "=1.2.2=py38h..." drops the build string
        # conda's "=1.2" means any 1.2.x; a full three-part version is a pin, as Azure's files mean it
        if "*" in version or version.count(".") < 2:
            return f"{name}=={version.rstrip('.*')}.*"
        return f"{name}=={version}"
    if rest.startswith("==") and rest.count("=") > 2:
        rest = "==" + rest[2:].split("=", 1)[0]
    if re.fullmatch(r"[0-9][0-9A-Za-z.*]*", rest):  # "numpy 1.24" (space-separated version)
        return f"{name}=={rest}" if "*" not in rest else f"{name}=={rest.rstrip('.*')}.*"
    if " " in rest and not any(op in rest for op in "<>=!~"):
        raise InvalidRequest(f"conda dependency {spec!r}: cannot read its version; write it as name=1.2.3")
    return f"{name}{rest.replace(' ', '')}"


def from_conda_yaml(text: str) -> Requirements:
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidRequest(f"the conda file is not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("dependencies"), list):
        raise InvalidRequest("the conda file has no 'dependencies:' list")
    lines: list[str] = []
    warnings: list[str] = []
    conda_names: list[str] = []
    for dep in doc["dependencies"]:
        if isinstance(dep, dict):
            pip = dep.get("pip")
            if pip is None:
                raise InvalidRequest(f"conda file: unexpected entry {dep!r} in dependencies (only 'pip:' lists are understood)")
            lines += [str(p) for p in pip]
            continue
        dep = str(dep)
        name = dep.split("::")[-1].strip().split("=")[0].split("<")[0].split(">")[0].split(" ")[0]
        if name.lower() == "python":
            version = dep.split("::")[-1].strip()[len(name):].strip()
            if version:
                warnings.append(_python_warning(version, "the conda file"))
            continue
        line = conda_dependency(dep)
        if line is not None:
            lines.append(line)
            conda_names.append(Requirement(line).name)
    req = Requirements(check_lines(lines), warnings, conda_names)
    return req


def from_mlflow_model(folder: Path) -> Requirements:
    """An MLflow model's own requirements: requirements.txt, else conda.yaml; python_env.yaml's python."""
    import yaml

    warnings: list[str] = []
    python_env = folder / "python_env.yaml"
    if python_env.is_file():
        try:
            version = str((yaml.safe_load(python_env.read_text()) or {}).get("python") or "")
        except yaml.YAMLError:
            version = ""
        if version:
            warnings.append(_python_warning(version, "the model's python_env.yaml"))
    if (folder / "requirements.txt").is_file():
        req = from_requirements_txt((folder / "requirements.txt").read_text())
    elif (folder / "conda.yaml").is_file():
        req = from_conda_yaml((folder / "conda.yaml").read_text())
    else:
        raise InvalidRequest(f"the model folder {folder.name!r} has no requirements.txt or conda.yaml (not an MLflow model?)")
    req.warnings = warnings + [w for w in req.warnings if w not in warnings]
    return req


def exact_pins(lines: list[str]) -> dict[str, str]:
    """name -> version for the requirements pinned to one release (``==1.2.2``, no wildcard)."""
    pins = {}
    for line in lines:
        req = Requirement(line)
        specs = list(req.specifier)
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            pins[canonicalize_name(req.name)] = specs[0].version
    return pins


def names(lines: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(line).name) for line in lines}
