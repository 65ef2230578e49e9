"""The one interface handlers talk to; :mod:`.json2` and :mod:`.xmlrpc` implement it."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from ..connections import Connection
from .http import DEFAULT_DEADLINE, HttpSession

__all__ = ["OdooClient", "ServerInfo", "UserInfo"]

ServerInfo = dict[str, Any]
UserInfo = dict[str, Any]


class OdooClient(abc.ABC):
    """Calls Odoo model methods by name, whatever the wire protocol.

    ``call("res.partner", "read", ids=[7], fields=["name"])`` means the same on both transports:
    ``ids`` selects the records a record-method runs on (omit it for ``@api.model`` methods) and
    every other keyword is passed to the method by name.
    """

    transport: str

    def __init__(
        self,
        connection: Connection,
        *,
        timeout: httpx.Timeout | float | None = None,
        http_transport: httpx.BaseTransport | None = None,
        max_retries: int = 2,
    ) -> None:
        self.connection = connection
        self.database = connection.database
        self._uid: int | None = None
        # fields_get answers per model, kept for this connection's lifetime: field lists change
        # only when modules are installed, and each saved call is a server-side key check.
        self._fields_cache: dict[str, dict[str, dict[str, Any]]] = {}
        self.session = HttpSession(
            connection.url,
            headers=self._auth_headers(),
            timeout=timeout,
            deadline=connection.timeout or DEFAULT_DEADLINE,
            secrets=connection.secrets(),
            transport=http_transport,
            max_retries=max_retries,
        )

    def _auth_headers(self) -> dict[str, str]:
        """Headers every request of this transport carries (JSON-2 authenticates per request)."""
        return {}

    @abc.abstractmethod
    def call(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Runs ``model.method`` on the server and returns its JSON-able result."""

    @abc.abstractmethod
    def server_version(self) -> ServerInfo:
        """``{"version": "19.0", "version_info": [19, 0, 0, "final", 0, ""]}``; no credentials needed."""

    @abc.abstractmethod
    def uid(self) -> int:
        """The authenticated user's id (one call at most per connection)."""

    def whoami(self) -> UserInfo:
        uid = self.uid()
        rows = self.call("res.users", "read", [uid], fields=["name", "login"])
        user = rows[0] if rows else {"id": uid, "name": None, "login": None}
        return {"id": user["id"], "name": user.get("name"), "login": user.get("login")}

    def fields_get(self, model: str) -> dict[str, dict[str, Any]]:
        """``fields_get`` with the attributes the actions use, cached per model."""
        if model not in self._fields_cache:
            self._fields_cache[model] = self.call(
                model,
                "fields_get",
                attributes=[
                    "string",
                    "type",
                    "required",
                    "readonly",
                    "relation",
                    "selection",
                    "help",
                    "store",
                ],
            )
        return self._fields_cache[model]

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far (retries included): the cost that matters against Odoo."""
        return self.session.request_count

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> OdooClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
