"""Run a command inside an environment, building it first when it is not built yet.

Usage: python -S -m jupyter_mlservice.core.environments.enter CACHE_ROOT KEY -- [ARGV...]
       python -m jupyter_mlservice.core.environments.enter --shipped KEY -- [ARGV...]

Jobs in an environment start through :data:`LAUNCH` (a shell line): when the environment is built
it ``exec``s the job at once (no Python start-up); otherwise it runs this first, so the build
happens once, in whichever job comes first (the others wait on the build lock), its lines go to
the job's log, and a restart of the server changes nothing. Without ARGV this only builds. It
needs only the standard library and this package (``-S``: no site-packages).

``--shipped``: a job on a node that may be another machine (a Ray job) brings its environment's
lock in ``MLSERVICE_ENVIRONMENT_LOCK``; it is built into ``MLSERVICE_ENVIRONMENTS_DIR`` (default
``~/.cache/jupyter-mlservice/environments``) unless that node has it already, then the job runs
inside it as above.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

EXIT_BUILD_FAILED = 97
# sh -c LAUNCH FOLDER SERVER_PYTHON CACHE_ROOT KEY ARGV...: exec at once when built, else build first
LAUNCH = ('[ -f "$0/ready.json" ] || "$1" -S -m jupyter_mlservice.core.environments.enter "$2" "$3" -- || exit $?; '
          'shift 3; exec "$@"')
LOCK_VAR = "MLSERVICE_ENVIRONMENT_LOCK"  # a shipped environment's lock (its packages, one per line)
ROOT_VAR = "MLSERVICE_ENVIRONMENTS_DIR"  # where a node builds shipped environments
NODE_CACHE = Path("~/.cache/jupyter-mlservice/environments")


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    from .cache import BuildFailed, EnvironmentCache

    shipped = argv[0] == "--shipped"
    key, command = argv[1], argv[3:]
    lock = os.environ.pop(LOCK_VAR, None)  # the job itself does not need it
    cache = EnvironmentCache((os.environ.get(ROOT_VAR) or NODE_CACHE.expanduser()) if shipped else argv[0])
    if shipped and not (cache.folder(key) / "requirements.lock").is_file():
        if not lock:
            print(f"mlservice: environment {key} is not on this node and the job did not bring its lock "
                  f"({LOCK_VAR})", file=sys.stderr, flush=True)
            return EXIT_BUILD_FAILED
        lines = [line for line in lock.splitlines() if line.strip()]
        cache.record(key, lines, [f"shipped with the job: built on this node ({os.uname().nodename}) from the environment's lock"])
    try:
        cache.ensure(key, say=lambda line: print(line, flush=True))
    except BuildFailed as exc:
        print(f"mlservice: {exc}", file=sys.stderr, flush=True)
        return EXIT_BUILD_FAILED
    if not command:
        return 0
    env = cache.activate(key, dict(os.environ))
    sys.stdout.flush()
    os.execvpe(command[0], command, env)
    return 0  # pragma: no cover - exec does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
