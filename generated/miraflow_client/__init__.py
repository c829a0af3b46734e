"""A client library for accessing Miraflow Photo Avatar API"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
