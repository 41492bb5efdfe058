"""Real-time scoring: one supervisor per endpoint, worker processes that host every deployment.

Public API: :class:`EndpointConfig`, :class:`DeploymentConfig`, :class:`RequestSettings` (what to
serve) and :class:`EndpointProcess` (start / attach / reconfigure / status / stop).
"""

from .config import DEPLOYMENT_HEADER, DeploymentConfig, EndpointConfig, RequestSettings
from .process import DeploymentStatus, EndpointFailed, EndpointProcess, EndpointStatus

__all__ = [
    "DEPLOYMENT_HEADER",
    "DeploymentConfig",
    "DeploymentStatus",
    "EndpointConfig",
    "EndpointFailed",
    "EndpointProcess",
    "EndpointStatus",
    "RequestSettings",
]
