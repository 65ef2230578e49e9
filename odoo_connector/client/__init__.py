"""One Odoo client interface, two transports; :func:`make_client` picks by connection type."""

from __future__ import annotations

from typing import Any

from ..connections import ApiKeyConnection, Connection
from .base import OdooClient
from .json2 import Json2Client
from .xmlrpc import XmlRpcClient

__all__ = ["Json2Client", "OdooClient", "XmlRpcClient", "make_client"]


def make_client(connection: Connection, **options: Any) -> OdooClient:
    if isinstance(connection, ApiKeyConnection):
        return Json2Client(connection, **options)
    return XmlRpcClient(connection, **options)
