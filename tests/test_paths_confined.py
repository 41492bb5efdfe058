"""Every path a request names stays inside the server root (or an admin's allowed_paths):
`..`, absolute paths, symlinks and encoded forms are refused with 403 and the reason; copies are
bounded and give up when the server stops."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from jupyter_mlservice.core.errors import Forbidden, InvalidRequest, Unavailable
from jupyter_mlservice.core.paths import PathPolicy, TooLarge, relative_subpath
from jupyter_mlservice.core.jobs.schemas import BatchJobSpec, CommandJobSpec, NotebookJobSpec


@pytest.fixture
def layout(tmp_path):
    """root/ (the server root, with its .mlservice workspace), outside/ beside it."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / ".mlservice").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "train.csv").write_text("a,b\n1,2\n")
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    (root / "data" / "escape").symlink_to(outside)
    (root / "data" / "secret-link.txt").symlink_to(outside / "secret.txt")
    return root, outside


def test_relative_and_absolute_paths_inside_the_root_resolve(layout):
    root, _ = layout
    paths = PathPolicy(root, hidden=[root / ".mlservice"])
    assert paths.confine("data/train.csv") == root / "data" / "train.csv"
    assert paths.confine(str(root / "data" / "train.csv")) == root / "data" / "train.csv"
    assert paths.confine("data/../data/train.csv") == root / "data" / "train.csv"  # stays inside: fine


@pytest.mark.parametrize(
    "path",
    ["../outside/secret.txt", "data/../../outside/secret.txt", "/etc/passwd", "~/.bashrc", "data/escape/secret.txt",
     "data/secret-link.txt", "data/escape", ".mlservice/workspace.db", ".mlservice"],
)
def test_paths_that_leave_the_root_are_forbidden_with_the_reason(layout, path):
    root, _ = layout
    paths = PathPolicy(root, hidden=[root / ".mlservice"])
    with pytest.raises(Forbidden) as info:
        paths.confine(path, "code")
    message = info.value.message
    assert message.startswith("code ")
    assert "outside the server root" in message or "workspace folder" in message
    if "link" in path or "escape" in path:
        assert "symlink" in message


def test_encoded_forms_are_names_not_escapes(layout):
    """Bodies are JSON: '%2e%2e' is a folder literally called so, inside the root."""
    root, _ = layout
    paths = PathPolicy(root)
    assert paths.confine("%2e%2e/%2e%2e/etc/passwd") == root / "%2e%2e" / "%2e%2e" / "etc" / "passwd"
    with pytest.raises(InvalidRequest):
        paths.confine("data/\x00train.csv")


def test_an_admin_may_allow_more_roots(layout):
    root, outside = layout
    paths = PathPolicy(root, allowed=[outside])
    assert paths.confine(str(outside / "secret.txt")) == outside / "secret.txt"
    assert paths.confine("data/escape/secret.txt") == outside / "secret.txt"


def test_sqlite_urls_are_confined_and_other_databases_pass(layout):
    root, outside = layout
    paths = PathPolicy(root)
    assert paths.confine_url("sqlite:///data/w.db") == f"sqlite:///{root}/data/w.db"
    assert paths.confine_url("sqlite://") == "sqlite://"
    assert paths.confine_url("postgresql+psycopg://u:p@db/x") == "postgresql+psycopg://u:p@db/x"
    for url in (f"sqlite:////{outside}/w.db", "sqlite:///../outside/w.db", "sqlite:////etc/w.db"):
        with pytest.raises(Forbidden):
            paths.confine_url(url, "input.url")
    for url in ("sqlite:///file:/etc/passwd?uri=true", "sqlite:///x.db?uri=true", "not a url"):
        with pytest.raises(InvalidRequest):
            paths.confine_url(url, "input.url")


def test_sub_paths_stay_inside_their_folder():
    assert relative_subpath("model/MLmodel", "path") == "model/MLmodel"
    assert relative_subpath("./a//b", "path") == "a/b"
    for bad in ("../x", "a/../../x", "/etc/passwd"):
        with pytest.raises(Forbidden):
            relative_subpath(bad, "path")
    with pytest.raises(InvalidRequest):
        relative_subpath("a\\..\\b", "path")


def test_copies_refuse_links_out_of_reach_and_keep_links_inside(layout, tmp_path):
    root, _ = layout
    paths = PathPolicy(root, hidden=[root / ".mlservice"])
    src = root / "code"
    src.mkdir()
    (src / "main.py").write_text("print(1)")
    (src / "data").symlink_to(root / "data" / "train.csv")  # inside the root: kept as a link
    paths.copy(src, tmp_path / "snap", 2**20, "code", keep_links=True)
    assert os.readlink(tmp_path / "snap" / "data") == str(root / "data" / "train.csv")
    (src / "leak").symlink_to(layout[1] / "secret.txt")
    with pytest.raises(Forbidden, match="symlink leak"):
        paths.copy(src, tmp_path / "snap2", 2**20, "code", keep_links=True)
    assert not (tmp_path / "snap2").exists()


def test_copies_are_size_limited_before_anything_is_copied(layout, tmp_path):
    root, _ = layout
    paths = PathPolicy(root)
    (root / "big").mkdir()
    (root / "big" / "blob").write_bytes(b"x" * 3000)
    with pytest.raises(TooLarge, match="limit"):
        paths.copy(root / "big", tmp_path / "out", 2000, "local_path")
    assert not (tmp_path / "out").exists()


def test_a_copy_gives_up_when_the_server_stops(layout, tmp_path):
    root, _ = layout
    stopping = threading.Event()
    paths = PathPolicy(root, stopping=stopping)
    (root / "big").mkdir()
    (root / "big" / "blob").write_bytes(b"x" * (3 << 20))
    stopping.set()
    with pytest.raises(Unavailable, match="stopping"):
        paths.copy(root / "big", tmp_path / "out", 10 << 20, "local_path")
    assert not (tmp_path / "out").exists()


# ---- the services use it --------------------------------------------------------------------


def _outside_file(workspace) -> Path:
    path = workspace.root_dir.parent / "outside.txt"
    path.write_text("not yours")
    return path


def test_jobs_refuse_code_and_notebooks_outside_the_root(workspace):
    outside = _outside_file(workspace)
    for spec in (
        CommandJobSpec(command="true", code=str(outside.parent)),
        CommandJobSpec(command="true", code="../"),
        NotebookJobSpec(notebook=str(outside)),
        NotebookJobSpec(notebook="../outside.txt"),
    ):
        with pytest.raises(Forbidden, match="outside the server root"):
            workspace.jobs.submit(spec)
    assert workspace.jobs.list().items == []  # nothing half-stored
    assert not any(workspace.jobs_dir.iterdir())


def test_batch_inputs_outputs_and_sqlite_urls_outside_the_root_are_refused(workspace):
    root = workspace.root_dir
    (root / "in.csv").write_text("a\n1\n")
    base = {"model": "iris:1", "input": {"path": "in.csv"}, "output": {"path": "out.csv"}}
    cases = [
        {**base, "input": {"path": "../*.csv"}},
        {**base, "input": {"path": "/etc/*"}},
        {**base, "output": {"path": "/tmp/stolen.csv"}},
        {**base, "input": {"url": "sqlite:////etc/passwd.db", "table": "t"}},
        {**base, "output": {"url": "sqlite:///../x.db", "table": "t"}},
    ]
    for spec in cases:
        with pytest.raises(Forbidden):
            workspace.jobs.submit(BatchJobSpec(**spec))
    assert workspace.jobs.list().items == []


def test_model_local_path_outside_the_root_is_refused(workspace):
    outside = _outside_file(workspace)
    for local in (str(outside), "../outside.txt", "/etc/passwd", ".mlservice/workspace.db"):
        with pytest.raises(Forbidden):
            workspace.models.register("leak", local_path=local)
    assert workspace.models.list().items == []


def test_model_registration_copy_is_size_limited(workspace):
    workspace.models.max_copy_bytes = 1000
    (workspace.root_dir / "huge").mkdir()
    (workspace.root_dir / "huge" / "weights.bin").write_bytes(b"0" * 5000)
    with pytest.raises(InvalidRequest, match="limit"):
        workspace.models.register("huge", local_path="huge")
    assert workspace.models.list().items == []


def test_a_model_registered_inside_the_root_resolves_against_the_root_not_the_cwd(workspace, tmp_path, monkeypatch):
    (workspace.root_dir / "m").mkdir()
    (workspace.root_dir / "m" / "model.pkl").write_bytes(b"weights")
    monkeypatch.chdir(tmp_path)  # a different working directory must not matter
    mv = workspace.models.register("local-model", local_path="m")
    assert mv.version == "1"
    dest = tmp_path / "dl"
    workspace.models.download("local-model:1", dest)
    assert (dest / "model.pkl").read_bytes() == b"weights"


def test_artifact_and_model_sub_paths_cannot_climb_out_of_the_run(workspace):
    job = workspace.jobs.submit(CommandJobSpec(command="true"))
    run_id = workspace.jobs.get(job.id).run_id
    for path in ("../../../../etc", "/etc/passwd"):
        with pytest.raises(Forbidden):
            workspace.experiments.download_artifact(run_id, path, workspace.root_dir / "dl")
    with pytest.raises(Forbidden):
        workspace.models.register("x", run_id=run_id, path="../../../..")


def test_data_assets_refuse_paths_and_databases_outside_the_root_and_oversized_copies(workspace):
    from jupyter_mlservice.core.data.schemas import DataCreate

    outside = _outside_file(workspace)
    root = workspace.root_dir
    (root / "d").mkdir()
    (root / "d" / "ok.csv").write_text("a\n1\n")
    (root / "d" / "leak.csv").symlink_to(outside)
    for body in (
        DataCreate(name="x", path=str(outside)),
        DataCreate(name="x", path="../outside.txt"),
        DataCreate(name="x", path="../*.txt"),
        DataCreate(name="x", path="d"),  # a folder holding a link out of reach
        DataCreate(name="x", path="d/*.csv"),
        DataCreate(name="x", url=f"sqlite:///{outside.parent}/w.db", table="t"),
    ):
        with pytest.raises(Forbidden):
            workspace.data.create(body)
    (root / "d" / "leak.csv").unlink()
    workspace.paths.max_copy_bytes = 1
    with pytest.raises(InvalidRequest, match="mode='reference'"):
        workspace.data.create(DataCreate(name="x", path="d"))
    workspace.paths.max_copy_bytes = 2**20
    assert workspace.data.create(DataCreate(name="x", path="d")).version == 1


def test_a_monitor_baseline_outside_the_root_is_refused(workspace):
    from jupyter_mlservice.core.monitoring.schemas import MonitorCreate

    outside = _outside_file(workspace)
    (outside.parent / "base.csv").write_text("a\n1\n")
    (workspace.root_dir / "base.csv").write_text("a\n1\n")
    for baseline in (str(outside.parent / "base.csv"), "../base.csv", "../*.csv"):
        with pytest.raises(Forbidden, match="baseline"):
            workspace.monitors.create(MonitorCreate(name="m", batch="scored", baseline=baseline))
    assert workspace.monitors.create(MonitorCreate(name="m", batch="scored", baseline="base.csv")).name == "m"
