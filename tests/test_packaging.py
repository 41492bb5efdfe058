"""`pip install .` ships the prebuilt labextension and enables the server extension."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installs_both_extensions_enabled_and_ok(tmp_path):
    assert (ROOT / "jupyter_mlservice/labextension/package.json").exists(), "build the frontend first: make frontend"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        cwd=ROOT, check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("jupyter_mlservice-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("data/share/jupyter/labextensions/jupyter_mlservice/package.json") for n in names)
    assert any("/labextensions/jupyter_mlservice/static/remoteEntry." in n for n in names)
    assert any(n.endswith("data/etc/jupyter/jupyter_server_config.d/jupyter_mlservice.json") for n in names)
    assert "jupyter_mlservice/server/openapi.json" in names

    # A fresh environment holding only the wheel; its dependencies come from the test venv via a
    # .pth line (that does not pull in the editable install of this checkout).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    (site / "_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", "--prefix", str(venv), str(wheel)], check=True, capture_output=True)
    python = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTHONPATH"))}
    env["NO_COLOR"] = "1"

    def listing(main):
        proc = subprocess.run([python, "-c", main, "list"], env=env, capture_output=True, text=True, cwd=tmp_path)
        return (proc.stdout + proc.stderr).replace("\x1b[32m", "").replace("\x1b[0m", "")

    out = listing("from jupyter_server.extension.serverextension import main; main()")
    section = out[out.index(str(venv / "etc" / "jupyter")):]
    assert "jupyter_mlservice enabled" in section, out
    assert "Validating jupyter_mlservice" in section and "OK" in section.split("Validating jupyter_mlservice")[1].splitlines()[1], out
    out = listing("from jupyterlab.labextensions import LabExtensionApp; LabExtensionApp.launch_instance()")
    section = out[out.index(str(venv / "share" / "jupyter" / "labextensions")):]
    line = next(line for line in section.splitlines() if "jupyter_mlservice" in line)
    assert "enabled" in line and "OK" in line, out
