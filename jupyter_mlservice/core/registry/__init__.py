from .service import ModelService, parse_model_ref

__all__ = ["ModelService", "parse_model_ref"]
