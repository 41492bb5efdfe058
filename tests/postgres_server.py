"""A real PostgreSQL server for tests: a throwaway cluster in a temp dir, on 127.0.0.1 only.

The binaries are Debian's `postgresql` package (`make system-deps` installs it). PostgreSQL
refuses to run as root, so as root the server runs as the package's unprivileged `postgres`
user. It is started and stopped by its own PID; nothing machine-wide is touched.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with initdb and postgres, or pg_config's."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    if shutil.which("pg_config"):
        try:
            candidates.insert(0, subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
        except (OSError, subprocess.CalledProcessError):
            pass
    for c in reversed(candidates):
        if (Path(c) / "initdb").is_file() and (Path(c) / "postgres").is_file():
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """`with PostgresServer() as pg:` -> `pg.url("mydb")`, a SQLAlchemy URL (psycopg 3 driver)."""

    user = "postgres"  # the database superuser (trust authentication, loopback only)

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="mlservice-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None
        self.run_as = None
        if os.geteuid() == 0:
            try:
                self.run_as = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root, PostgreSQL needs an unprivileged user: no `postgres` user here "
                                   "(Debian's postgresql package creates it: make system-deps)") from None
            os.chown(self.dir, self.run_as.pw_uid, self.run_as.pw_gid)
            os.chmod(self.dir, 0o700)

    def _popen(self, argv: list[str], **kw) -> subprocess.Popen:
        if self.run_as is not None:
            kw.update(user=self.run_as.pw_uid, group=self.run_as.pw_gid, extra_groups=[])
        return subprocess.Popen(argv, cwd=self.dir, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, **kw)

    def start(self, timeout: float = 60) -> PostgresServer:
        init = self._popen(
            [str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8",
             "--locale=C.UTF-8", "--no-sync"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        out, _ = init.communicate(timeout=timeout)
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed ({init.returncode}):\n{out}")
        self.log = self.dir / "postgres.log"
        with open(self.log, "wb") as log:  # (the child keeps its own descriptor)
            if self.run_as is not None:
                os.chown(self.log, self.run_as.pw_uid, self.run_as.pw_gid)
            self.proc = self._popen(
                [str(self.bindir / "postgres"), "-D", str(self.data), "-h", "127.0.0.1", "-p", str(self.port),
                 "-k", str(self.dir),  # the Unix socket stays in our folder, not /var/run/postgresql
                 # a throwaway cluster: durability buys nothing here and costs the tests time
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 "-c", "max_connections=100", "-c", "shared_buffers=32MB"],
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.proc.returncode}:\n{self.log.read_text()[-4000:]}")
            if self._accepts():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"postgres did not accept connections in {timeout} s:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.05)

    def _accepts(self) -> bool:
        import psycopg

        try:
            psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    def dsn(self, dbname: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={dbname}"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self, timeout: float = 30) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: disconnect clients, then stop
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
