from .service import EndpointService

__all__ = ["EndpointService"]
