"""The ray compute backend: backend.py (the ComputeBackend), client.py (the Ray Jobs API of one
cluster), watcher.py (polls submitted jobs and copies their logs), settings.py (what a target's
settings mean), head.py (the managed head), multinode.py (the multi-instance launcher).

Kept free of imports: the nodes run ``python -m ...ray.multinode`` through this package."""
