"""Write tests/durations.json (seconds per test file, setup + call + teardown) from a JUnit XML
report: `PYTEST_ADDOPTS=--junitxml=/tmp/junit.xml make pytest`, then
`python scripts/test_durations.py /tmp/junit.xml`. tests/conftest.py runs the longest files first."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "durations.json"


def per_file(report: Path) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).iter("testcase"):
        module = case.get("classname", "").split(".")
        name = next((f"{part}.py" for part in module if part.startswith("test_")), None)
        if name:
            totals[name] += float(case.get("time") or 0)
    return dict(sorted(((k, round(v, 1)) for k, v in totals.items()), key=lambda kv: -kv[1]))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/test_durations.py JUNIT_XML")
    durations = per_file(Path(sys.argv[1]))
    OUT.write_text(json.dumps(durations, indent=1) + "\n")
    print(f"{len(durations)} files, {sum(durations.values()):.0f} s in all; longest: "
          + ", ".join(f"{k} {v:.0f} s" for k, v in list(durations.items())[:5]))
