from .controller import JobController
from .service import JobService

__all__ = ["JobController", "JobService"]
