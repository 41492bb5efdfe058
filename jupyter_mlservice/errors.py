"""The errors every layer shares: core raises them, handlers map them to HTTP statuses, the SDK
raises them again from the status it gets back, and the CLI and magics print their message.

They live at the package root so that the clients (SDK, CLI, magics, widgets) need not import
`core`: a notebook kernel or a laptop talking to a remote server does not load the domain.
"""


class MLServiceError(Exception):
    """Base class; ``status`` is the HTTP status a handler should answer with."""

    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidRequest(MLServiceError):
    """The user asked for something malformed; the message says what to change."""

    status = 400


class NotFound(MLServiceError):
    status = 404


class Conflict(MLServiceError):
    """The request is well formed but clashes with the current state."""

    status = 409


class UsageError(InvalidRequest):
    """A client was called with arguments it cannot use (a CLI flag, an SDK keyword); the message says which."""


class APIError(MLServiceError):
    """The server answered with a status that has no class of its own (401, 403, 500...)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class ServerNotFound(MLServiceError):
    """No server URL was given and no running jupyter-mlservice server was found."""


class Forbidden(MLServiceError):
    """Well formed, but out of reach: a path outside the server root (the message says which)."""

    status = 403


class Unavailable(MLServiceError):
    """The server cannot do this now (it is stopping); the same request later will work."""

    status = 503
