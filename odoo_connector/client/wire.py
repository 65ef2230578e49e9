"""What differs between Odoo's protocols, behind one interface: the wire an :class:`OdooClient`
holds, as httpx's ``Client`` holds a transport.

A wire turns "run ``model.method`` on these ids with these arguments" into requests on the
client's :class:`~.http.HttpSession` and Odoo's answer into a result or a connector error. It
knows nothing of context defaults, caches or result checks: those are the client's, the same on
every wire. What a wire says about itself:

* ``positional``: whether it can send arguments by position (JSON-2 cannot: they are named from
  the method's signature in Odoo's API documentation, :meth:`Wire.api_doc`);
* :meth:`Wire.login`: the user id, when the protocol logs in (JSON-2 does not: the key is the
  login, and the client asks ``context_get``); :attr:`Wire.uid` keeps it for the client's life.

Both wires carry ``None``, 64-bit integers and any JSON value: the XML-RPC wire, which could not
(a method returning nothing faulted after its commit), was removed (docs/connections.md).
"""

from __future__ import annotations

import abc
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import UnsupportedServerError
from .http import HttpSession

__all__ = ["ServerInfo", "Wire", "jsonrpc_body"]

ServerInfo = dict[str, Any]


def jsonrpc_body(service: str, method: str, args: Sequence[Any]) -> bytes:
    """The body of a ``/jsonrpc`` call of ``service.method(*args)`` (no id: Odoo answers null)."""
    params = {"service": service, "method": method, "args": list(args)}
    return json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}, separators=(",", ":")).encode()


class Wire(abc.ABC):
    """One protocol's way of calling Odoo over a session."""

    #: short name, as in cassette names and ``client.protocol``: "json2" or "jsonrpc"
    name: str
    #: the protocol's name in messages: "JSON-2" or "JSON-RPC"
    label: str
    #: whether arguments can travel by position
    positional: bool

    def __init__(self, session: HttpSession, database: str) -> None:
        self.session = session
        self.database = database
        #: the user's id once known (OdooClient.uid), dropped by a wire whose login went stale
        self.uid: int | None = None

    @abc.abstractmethod
    def call(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        *,
        idempotent: bool,
    ) -> Any:
        """``model.method`` run on ``ids`` (None for an ``@api.model`` method) with ``args`` by
        position (only where :attr:`positional`) and ``kwargs`` by name, ``context`` among them."""

    def execute_kw(
        self, model: str, method: str, args: Sequence[Any], kwargs: Mapping[str, Any], *, idempotent: bool
    ) -> Any:
        """Odoo's ``execute_kw`` exactly as given (the rawRequest action), where the protocol has it."""
        raise UnsupportedServerError(f"{self.label} has no execute_kw: it takes arguments by name only.")

    @abc.abstractmethod
    def server_version(self) -> ServerInfo:
        """``{"version": "19.0", "version_info": [19, 0, 0, "final", 0, ""]}``; no credentials needed."""

    def login(self) -> int | None:
        """Logs in and returns the user's id, for a protocol that logs in; None otherwise."""
        return None

    def api_doc(self, model: str) -> dict[str, Any]:
        """Odoo's API documentation of ``model`` (``/doc-bearer/<model>.json``), where the
        protocol's credentials can read it."""
        raise UnsupportedServerError(
            "Odoo's API documentation (api_doc) is read with an API key: only the odooApiKey "
            "connection can ask for it.",
            hint="Use the API key connection, or give arguments by name in kwargs.",
        )
