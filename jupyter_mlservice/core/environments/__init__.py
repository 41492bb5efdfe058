"""Environments: named, versioned, immutable Python environments built with uv into a cache.

- :mod:`.sources` turns what users give (a list, a requirements file, an Azure/MLflow conda file,
  an MLflow model's own files) into pip requirements, with warnings (a python pin);
- :mod:`.resolve` resolves them with uv into a full lock (old pins resolved as of their date, the
  service's own needs added without overriding the user's pins); the lock's hash is the key;
- :mod:`.cache` builds a lock once into ``<cache>/<key>/`` (a file lock: concurrent first uses
  build once) and says how to run a process inside it;
- :mod:`.enter` is the small launcher a job runs through (build if needed, then exec);
- :mod:`.service` keeps the named versions in the workspace store.

This package's ``__init__`` imports nothing: ``enter`` runs before every job in an environment.
"""
