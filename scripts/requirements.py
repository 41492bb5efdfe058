"""Print the project's Python requirements (runtime + test + frameworks), one per line, for `pip install -r`."""

import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
extras = project["optional-dependencies"]
print("\n".join(project["dependencies"] + extras["test"] + extras["frameworks"]))
