"""Job statuses that end a job: the one definition the SDK, the widgets and the core share.

It lives at the package root so the SDK and widgets need not import ``core``; the server
publishes it in its OpenAPI document (``x-mlservice-constants``) for the frontend."""

TERMINAL_JOB_STATUSES = frozenset({"Completed", "Failed", "Canceled"})
