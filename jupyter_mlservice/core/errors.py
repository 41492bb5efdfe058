"""Domain errors. Handlers map them to HTTP status codes; the SDK maps them back."""


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
