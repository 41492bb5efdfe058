from .controller import EndpointController
from .rows import EndpointRows
from .service import EndpointService

__all__ = ["EndpointController", "EndpointRows", "EndpointService"]
