"""Content digests: sha256 over every byte, never a sample.

A file's digest is the sha256 of its bytes (what ``sha256sum FILE`` prints). A folder's is the
sha256 of its manifest, the lines ``sha256sum`` would print for each file (``<hex>  <relative
path>``), sorted by path — so ``find . -type f | sort | xargs sha256sum`` reproduces it. Files are
hashed on several threads with large reads (hashlib releases the GIL), and copied in the same pass
when a version is snapshotted.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

CHUNK = 8 * 2**20


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative, '/'-separated
    size: int
    sha256: str
    mtime_ns: int = 0  # of the source file when hashed (reference mode checks it first)

    def as_dict(self) -> dict:
        return asdict(self)


def threads() -> int:
    return max(2, min(8, os.cpu_count() or 2))


def hash_file(path: Path, copy_to: Path | None = None) -> tuple[str, int]:
    """sha256 and size of a file, copying it to ``copy_to`` in the same pass when given."""
    h = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    size = 0
    out = open(copy_to, "wb") if copy_to is not None else None
    try:
        with open(path, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                h.update(view[:n])
                if out is not None:
                    out.write(view[:n])
                size += n
    finally:
        if out is not None:
            out.close()
    return h.hexdigest(), size


def hash_files(
    files: Iterable[tuple[Path, str]],
    copy_root: Path | None = None,
    on_file: Callable[[FileEntry], None] | None = None,
) -> list[FileEntry]:
    """Hash (and copy under ``copy_root``) each ``(absolute path, relative path)``, several at once.
    Returns the entries sorted by relative path."""
    items = list(files)

    def one(item: tuple[Path, str]) -> FileEntry:
        src, rel = item
        dest = None
        if copy_root is not None:
            dest = copy_root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
        mtime = os.stat(src).st_mtime_ns
        sha, size = hash_file(src, dest)
        entry = FileEntry(rel, size, sha, mtime)
        if on_file is not None:
            on_file(entry)
        return entry

    # Big files first, so one large file does not start last and run alone at the end.
    items.sort(key=lambda it: -_size(it[0]))
    if len(items) <= 1:
        entries = [one(it) for it in items]
    else:
        with ThreadPoolExecutor(max_workers=min(threads(), len(items)), thread_name_prefix="mlservice-digest") as pool:
            entries = list(pool.map(one, items))
    return sorted(entries, key=lambda e: e.path)


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def manifest_text(entries: list[FileEntry]) -> str:
    return "".join(f"{e.sha256}  {e.path}\n" for e in sorted(entries, key=lambda e: e.path.encode()))


def folder_digest(entries: list[FileEntry]) -> str:
    return "sha256:" + hashlib.sha256(manifest_text(entries).encode()).hexdigest()


def file_digest(entry: FileEntry) -> str:
    return "sha256:" + entry.sha256


def verify(root: Path, entries: list[FileEntry], single_file: bool) -> str | None:
    """Check content registered by reference against its manifest: None when it matches, else
    what changed. A file whose size and modification time are unchanged is taken as unchanged
    (as git and rsync do); every other file is hashed again."""
    problems: list[str] = []
    suspects: list[tuple[Path, str]] = []
    expected = {e.path: e for e in entries}
    for e in entries:
        path = root if single_file else root / e.path
        try:
            st = os.stat(path)
        except FileNotFoundError:
            problems.append(f"{path} was removed")
            continue
        except OSError as exc:
            problems.append(f"{path} cannot be read ({exc.strerror})")
            continue
        if st.st_size != e.size:
            problems.append(f"{path} changed (size {e.size} -> {st.st_size} bytes)")
        elif st.st_mtime_ns != e.mtime_ns:
            suspects.append((path, e.path))
    for entry in hash_files(suspects) if suspects else []:
        if entry.sha256 != expected[entry.path].sha256:
            problems.append(f"{root if single_file else root / entry.path} changed (its sha256 differs)")
    return "; ".join(problems) or None
