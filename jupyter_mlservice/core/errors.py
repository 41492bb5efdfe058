"""Domain errors: the package-root `jupyter_mlservice.errors`, re-exported for core's imports."""

from ..errors import Conflict, InvalidRequest, MLServiceError, NotFound

__all__ = ["Conflict", "InvalidRequest", "MLServiceError", "NotFound"]
