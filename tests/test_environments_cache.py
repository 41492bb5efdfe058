"""The environment cache's files under concurrency: one server records and builds the same
environment from several threads at once (deployments, REST builds, jobs)."""

from __future__ import annotations

import threading

from jupyter_mlservice.core.environments.cache import EnvironmentCache


def test_threads_recording_and_preparing_one_environment_at_once_all_succeed(tmp_path):
    cache = EnvironmentCache(tmp_path / "environments")  # fresh: nothing recorded, no runtime folder yet
    lock = ["inflection==0.5.1"]
    start, errors = threading.Barrier(8), []

    def use():
        try:
            start.wait()
            for _ in range(20):
                cache.record("k1", lock, ["resolved once"])
                cache.runtime_dir()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert (cache.folder("k1") / "requirements.lock").read_text() == "inflection==0.5.1\n"
    assert (cache.runtime_dir() / "jupyter_mlservice" / "__init__.py").is_file()
    assert not [p.name for p in cache.folder("k1").iterdir() if p.name.endswith(".tmp")]  # no temporary file left
