"""Clients that ``invoke`` shares across calls in one process.

A platform calls ``invoke(key, connection, inputs)`` once per workflow step, with the connection as
a plain dict. Building a client per call costs a TLS context (~17 ms of CPU, even for http://) and,
over XML-RPC, a login (one more round trip, ~375 ms on a real Odoo 19): the connector was 3 times (JSON-2)
and 42 times (XML-RPC) slower per call than a reused ``xmlrpc.client`` (issue 19). So clients are kept,
keyed by everything that makes two connections the same one: type, URL, database, login, a
SHA-256 of the secret (never the secret itself), the timeout and retryFor, the default context (company,
language, time zone), and the factory that built them (a
test or an embedder that swaps ``make_client`` gets its own clients).

Bounded (least recently used first out), thread-safe, and closed at interpreter exit. A login that
went stale (the user was re-created, the session store wiped) is dropped and retried once by the
XML-RPC client itself; a changed password or key is a different key here, hence a new client.
"""

from __future__ import annotations

import atexit
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..connections import Connection
from .base import OdooClient

__all__ = ["MAX_CLIENTS", "close_pooled_clients", "connection_identity", "pooled_client"]

MAX_CLIENTS = 16

_lock = threading.Lock()
_clients: OrderedDict[tuple[Any, ...], OdooClient] = OrderedDict()


def connection_identity(connection: Connection) -> tuple[Any, ...]:
    """What makes two connections the same; safe to keep in memory and log (no secret in it)."""
    digest = hashlib.sha256("\0".join(connection.secrets()).encode("utf-8")).hexdigest()
    login = getattr(connection, "username", "")
    defaults = (connection.company_id, connection.language, connection.timezone)  # the client's context
    return (
        connection.type,
        connection.url,
        connection.database,
        login,
        digest,
        connection.timeout,
        connection.retry_for,
        *defaults,
    )


def pooled_client(connection: Connection, factory: Callable[[Connection], OdooClient]) -> OdooClient:
    """The client for ``connection`` built by ``factory``, made once and then reused."""
    key = (*connection_identity(connection), factory)
    with _lock:
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            return client
    client = factory(connection)
    evicted: list[OdooClient] = []
    with _lock:
        existing = _clients.get(key)
        if existing is not None:  # another thread built one meanwhile: keep theirs
            evicted.append(client)
            client = existing
        else:
            _clients[key] = client
            while len(_clients) > MAX_CLIENTS:
                evicted.append(_clients.popitem(last=False)[1])
    for old in evicted:
        old.close()
    return client


def close_pooled_clients() -> None:
    """Closes every pooled client (at exit, or when an embedder wants its sockets back)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()


atexit.register(close_pooled_clients)
