"""Paths a request names, confined to the server root (Jupyter's contents manager rule).

Every path field -- a job's notebook and code folder, a model's ``local_path``, batch input and
output paths and SQLite URLs, a deployment's code folder -- goes through one ``PathPolicy``:
relative paths resolve against the server root (never the process's working directory),
symlinks are resolved, and the result must lie inside the root or a root an admin added with
``c.MLServiceApp.allowed_paths``. The workspace folder (``.mlservice``: the store, secrets,
other jobs' files) is never reachable, even though it sits inside the root.

Copies of what a path names (code snapshots, model files) are bounded in size and stop when the
server stops, so a big folder is a clear 400 and never holds up a shutdown.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath

from .errors import Forbidden, InvalidRequest, Unavailable

CHUNK = 1 << 20
_NEVER = threading.Event()


class TooLarge(InvalidRequest):
    """A copy would pass its size limit (checked before anything is copied)."""


class PathPolicy:
    """``paths.confine("data/train.csv", "input.path")`` -> ``/srv/root/data/train.csv``."""

    def __init__(self, root: Path | str, allowed: Iterable[Path | str] = (), hidden: Iterable[Path | str] = (),
                 stopping: threading.Event | None = None, max_copy_bytes: int = 2048 * 2**20):
        self.root = Path(root).resolve()
        self.max_copy_bytes = max_copy_bytes  # copies of user files (model files, data assets)
        self.allowed = [self.root, *(Path(p).expanduser().resolve() for p in allowed)]
        # a hidden folder that holds the root itself would hide everything: such a layout is the
        # admin's choice, not a request's
        self.hidden = [h for h in (Path(p).resolve() for p in hidden) if not self.root.is_relative_to(h)]
        self.stopping = stopping or _NEVER

    # ---- single paths --------------------------------------------------------------------------

    def confine(self, path: str | os.PathLike, what: str = "path", base: Path | None = None) -> Path:
        """The resolved path, or Forbidden (403) saying why it is out of reach.

        ``base`` (default: the root) is what a relative path is relative to; it must itself be
        a confined path.
        """
        text = os.fspath(path)
        if not text or "\x00" in text:
            raise InvalidRequest(f"{what} must be a non-empty path without NUL characters")
        p = Path(text).expanduser()
        p = p if p.is_absolute() else (base or self.root) / p
        try:
            real = Path(os.path.realpath(p))
        except (OSError, ValueError, RuntimeError):  # a symlink loop, a name too long
            raise InvalidRequest(f"{what} {_show(text)} cannot be resolved on the server") from None
        self._check(real, what, text, via_link=real != Path(os.path.normpath(p)))
        return real

    def confine_url(self, url: str, what: str = "url") -> str:
        """A SQLAlchemy URL: SQLite files are confined like any path (and relative ones resolve
        against the root); other databases are not files here and pass unchanged."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError, TypeError):
            raise InvalidRequest(f"{what} is not a SQLAlchemy URL (e.g. sqlite:///data/warehouse.db or postgresql+psycopg://...)") from None
        if parsed.get_backend_name() != "sqlite":
            return url
        database = parsed.database or ""
        if database in ("", ":memory:"):
            return url
        if database.startswith("file:") or "uri" in parsed.query:
            raise InvalidRequest(f"{what}: SQLite URI filenames (file:..., ?uri=true) are not accepted; give the database as a path, sqlite:///data/warehouse.db")
        real = self.confine(database, what)
        return parsed.set(database=str(real)).render_as_string(hide_password=False)

    def _check(self, real: Path, what: str, text: str, via_link: bool) -> None:
        how = f" (a symlink to {_show(str(real))})" if via_link else ""
        if not any(real.is_relative_to(a) for a in self.allowed):
            raise Forbidden(
                f"{what} {_show(text)}{how} is outside the server root {self.root}; paths must stay inside it "
                "(an admin can allow more folders with c.MLServiceApp.allowed_paths)"
            )
        for h in self.hidden:
            if real.is_relative_to(h):
                raise Forbidden(f"{what} {_show(text)}{how} is inside the workspace folder {h}, which holds the service's own state; use a path outside it")

    # ---- folders and copies --------------------------------------------------------------------

    def measure(self, source: Path, max_bytes: int, what: str, ignore: Callable[[str], bool] = lambda name: False,
                follow_links: bool = True) -> int:
        """Bytes under source (a file or folder); InvalidRequest past max_bytes, Forbidden for a
        symlink inside it that leads out of reach. Stops counting once past the limit."""
        total = 0
        for path, _is_dir in self._walk(source, what, ignore, follow_links):
            if not follow_links and path.is_symlink():
                continue
            if not _is_dir:
                total += path.stat().st_size
                if total > max_bytes:
                    raise TooLarge(
                        f"{what} holds more than {_mib(max_bytes)}, the limit for copies; move data out of it "
                        "(read data from its own path) or ask an admin to raise the limit"
                    )
        return total

    def copy(self, source: Path, dest: Path, max_bytes: int, what: str, ignore: Callable[[str], bool] = lambda name: False,
             keep_links: bool = False) -> int:
        """Copy a file or folder (at most max_bytes), checking the stop flag between chunks.

        Symlinks are followed (their targets checked like any path), or with ``keep_links`` copied
        as links (their targets checked all the same). A stop or an error removes what was copied.
        """
        import shutil

        self.measure(source, max_bytes, what, ignore, follow_links=not keep_links)
        copied = 0
        try:
            if source.is_file():
                dest.parent.mkdir(parents=True, exist_ok=True)
                return self._copy_file(source, dest, max_bytes, what)
            dest.mkdir(parents=True, exist_ok=True)
            for path, is_dir in self._walk(source, what, ignore, follow_links=not keep_links):
                target = dest / path.relative_to(source)
                if keep_links and path.is_symlink():
                    os.symlink(os.readlink(path), target, target_is_directory=is_dir)
                elif is_dir:
                    target.mkdir(exist_ok=True)
                else:
                    copied += self._copy_file(path, target, max_bytes - copied, what)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True) if dest.is_dir() else dest.unlink(missing_ok=True)
            raise
        return copied

    def _copy_file(self, source: Path, dest: Path, budget: int, what: str) -> int:
        done = 0
        with open(source, "rb") as src, open(dest, "wb") as out:
            while chunk := src.read(CHUNK):
                if self.stopping.is_set():
                    raise Unavailable(f"the server is stopping; {what} was not copied; try again once it is back")
                done += len(chunk)
                if done > budget:  # the file grew since it was measured
                    raise InvalidRequest(f"{what} grew past {_mib(budget)} while it was copied")
                out.write(chunk)
        os.chmod(dest, source.stat().st_mode & 0o777)
        return done

    def _walk(self, source: Path, what: str, ignore: Callable[[str], bool], follow_links: bool = True) -> Iterable[tuple[Path, bool]]:
        """(path, is_dir) under source, top down, without entering ignored names; every symlink's
        target is checked, and followed folder links are not walked twice (no loops)."""
        if source.is_file():
            yield source, False
            return
        top = source.resolve()
        seen: set[Path] = {top}
        stack = [source]
        while stack:
            if self.stopping.is_set():
                raise Unavailable(f"the server is stopping; {what} was not read; try again once it is back")
            folder = stack.pop()
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                raise InvalidRequest(f"{what}: cannot read {_show(str(folder))}: {exc.strerror}") from None
            for entry in entries:
                if ignore(entry.name):
                    continue
                path = Path(entry.path)
                if entry.is_symlink():
                    real = Path(os.path.realpath(path))
                    if not real.is_relative_to(top):  # a link within the folder needs no check
                        self._check(real, f"{what} (symlink {path.relative_to(source)})", str(path), via_link=True)
                    if not real.exists():
                        continue  # dangling: nothing to copy
                    if real.is_dir():
                        if real in seen:
                            continue
                        seen.add(real)
                        yield path, True
                        if follow_links:
                            stack.append(path)
                    else:
                        yield path, False
                elif entry.is_dir():
                    yield path, True
                    stack.append(path)
                elif entry.is_file():
                    yield path, False
                # sockets, fifos, devices: not copied


def relative_subpath(path: str, what: str) -> str:
    """A path inside something (an artifact folder, a code snapshot): relative, no '..'.

    ``relative_subpath("model/MLmodel", "path")`` -> ``"model/MLmodel"``.
    """
    if "\x00" in path or "\\" in path:
        raise InvalidRequest(f"{what} must be a relative path with '/' separators")
    parts = PurePosixPath(path).parts
    if path.startswith("/") or ".." in parts:
        raise Forbidden(f"{what} {_show(path)} must stay inside its folder: a relative path without '..'")
    return "/".join(p for p in parts if p not in ("", "."))


def _show(text: str, limit: int = 200) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _mib(n: int) -> str:
    return f"{n / 2**20:g} MiB"


def allowed_roots(paths: Sequence[str]) -> list[Path]:
    """``c.MLServiceApp.allowed_paths`` as folders; each must exist (a typo is an error at start)."""
    out = []
    for p in paths:
        folder = Path(p).expanduser().resolve()
        if not folder.is_dir():
            raise ValueError(f"allowed_paths: {p!r} is not a folder")
        out.append(folder)
    return out
