from .service import TargetService

__all__ = ["TargetService"]
