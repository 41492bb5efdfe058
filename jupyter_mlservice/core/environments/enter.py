"""Run a command inside an environment, building it first when it is not built yet.

Usage: python -S -m jupyter_mlservice.core.environments.enter CACHE_ROOT KEY -- [ARGV...]

Jobs in an environment start through :data:`LAUNCH` (a shell line): when the environment is built
it ``exec``s the job at once (no Python start-up); otherwise it runs this first, so the build
happens once, in whichever job comes first (the others wait on the build lock), its lines go to
the job's log, and a restart of the server changes nothing. Without ARGV this only builds. It
needs only the standard library and this package (``-S``: no site-packages).
"""

from __future__ import annotations

import os
import sys

EXIT_BUILD_FAILED = 97
# sh -c LAUNCH FOLDER SERVER_PYTHON CACHE_ROOT KEY ARGV...: exec at once when built, else build first
LAUNCH = ('[ -f "$0/ready.json" ] || "$1" -S -m jupyter_mlservice.core.environments.enter "$2" "$3" -- || exit $?; '
          'shift 3; exec "$@"')


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    from .cache import BuildFailed, EnvironmentCache

    root, key, command = argv[0], argv[1], argv[3:]
    cache = EnvironmentCache(root)
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
