"""The one door to Odoo: :class:`OdooClient` holding a protocol wire; :func:`make_client` picks
the wire by connection type. Nothing outside this package speaks HTTP or a wire protocol."""

from __future__ import annotations

from functools import partial
from typing import Any

from ..connections import ApiKeyConnection, Connection
from .base import OdooClient, Response
from .http import READ_ONLY_METHODS, parse_retry_after
from .json2 import Json2Wire, json2_headers
from .jsonrpc import JsonRpcWire

__all__ = ["READ_ONLY_METHODS", "OdooClient", "Response", "make_client", "parse_retry_after"]


def make_client(connection: Connection, **options: Any) -> OdooClient:
    """The client for ``connection``: JSON-2 for an API key, JSON-RPC for a login and password.
    ``options`` are :class:`OdooClient`'s (``timeout``, ``http_transport``, ``max_retries``)."""
    if isinstance(connection, ApiKeyConnection):
        headers = json2_headers(connection.api_key.get_secret_value(), connection.database)
        json2 = partial(Json2Wire, database=connection.database)
        return OdooClient(connection, json2, headers=headers, **options)
    wire = partial(
        JsonRpcWire,
        database=connection.database,
        username=connection.username,
        password=connection.password.get_secret_value(),
    )
    return OdooClient(connection, wire, **options)
