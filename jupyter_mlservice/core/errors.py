"""Domain errors: the package-root `jupyter_mlservice.errors`, re-exported for core's imports."""

from ..errors import Conflict, Forbidden, InvalidRequest, MLServiceError, NotFound, Unavailable

__all__ = ["Conflict", "Forbidden", "InvalidRequest", "MLServiceError", "NotFound", "Unavailable"]
