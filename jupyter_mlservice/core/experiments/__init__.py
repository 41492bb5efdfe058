from .service import ExperimentService

__all__ = ["ExperimentService"]
