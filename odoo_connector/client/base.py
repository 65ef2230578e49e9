"""The one interface handlers talk to; :mod:`.json2` and :mod:`.xmlrpc` implement it."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from .. import fields_store
from ..connections import Connection
from ..context import current as current_context
from ..errors import UnsupportedServerError
from .http import DEFAULT_DEADLINE, DEFAULT_RETRY_FOR, HttpSession

__all__ = ["OdooClient", "ServerInfo", "UserInfo"]

ServerInfo = dict[str, Any]
UserInfo = dict[str, Any]


# What Odoo returns for the methods the handlers rely on. A server that answers something else
# (a proxy's "200 {}", a catch-all test server, a different product at that URL) is not an Odoo
# JSON-2 or XML-RPC endpoint: saying so beats failing later on a KeyError in a handler.
_RESULT_TYPES: dict[str, tuple[type, ...]] = {
    "search_read": (list,),
    "read": (list,),
    "search": (list,),
    "search_count": (int,),
    "fields_get": (dict,),
    "create": (list, int),
    "write": (bool,),
    "unlink": (bool,),
    "context_get": (dict,),
    "get_available_models": (list,),
    "check_object_reference": (list,),
    "name_search": (list,),
    "get_external_id": (dict,),
    "web_read": (list,),
    "web_search_read": (dict,),
    "formatted_read_group": (list,),
}
_FIELD_ATTRIBUTES = ["string", "type", "required", "readonly", "relation", "selection", "help", "store"]
_GROUP_ATTRIBUTES = ["string", "type", "groupable", "aggregator", "relation"]
_ROWS_OF_DICTS = frozenset({"search_read", "read", "web_read", "get_available_models"})


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
        # keyed by (model, language): see _cache_key
        self._fields_cache: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._fields_kept: set[tuple[str, str]] = set()  # fields that came from an earlier run
        self._group_fields_cache: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._default_context = connection.default_context()
        self._languages: list[str] | None = None
        self._user_tz: str | None = None
        self.session = HttpSession(
            connection.url,
            headers=self._auth_headers(),
            timeout=timeout,
            deadline=connection.timeout or DEFAULT_DEADLINE,
            retry_for=DEFAULT_RETRY_FOR if connection.retry_for is None else connection.retry_for,
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
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Runs ``model.method`` on the server and returns its JSON-able result.

        ``idempotent`` says whether the call may be sent again after a timeout or a 502/503/504,
        when Odoo may have run it already. None (the default) decides by the method: only
        ``READ_ONLY_METHODS`` are. True is for a caller that knows a write gives the same end
        state however often it runs: a ``load`` whose every row names its record by external ID
        (actions/batch.py). Never pass True for ``create`` or a ``load`` that creates by position.
        """

    def _checked(self, model: str, method: str, result: Any) -> Any:
        """``result`` if it has the shape Odoo gives ``method``, else UnsupportedServerError."""
        expected = _RESULT_TYPES.get(method)
        if expected is None:
            return result
        fine = isinstance(result, expected) and not (bool not in expected and isinstance(result, bool))
        if fine and method in _ROWS_OF_DICTS:
            needs_id = method != "get_available_models"
            fine = all(isinstance(row, dict) and ("id" in row or not needs_id) for row in result)
        if fine and method == "create" and isinstance(result, list):
            fine = all(isinstance(i, int) and not isinstance(i, bool) for i in result)
        if fine and method == "context_get":
            fine = isinstance(result.get("uid"), int)
        if fine:
            return result
        names = " or ".join(t.__name__ for t in expected)
        raise UnsupportedServerError(
            f"{self.connection.url} answered {model}.{method} with {_describe(result)}, where Odoo "
            f"returns a {names}: this is not an Odoo {self._protocol_name} endpoint.",
            hint="Check the base URL and port: they must reach the Odoo server itself, not a proxy "
            "page or another service.",
        )

    @property
    def _protocol_name(self) -> str:
        return "JSON-2" if self.transport == "json2" else "XML-RPC"

    @abc.abstractmethod
    def server_version(self) -> ServerInfo:
        """``{"version": "19.0", "version_info": [19, 0, 0, "final", 0, ""]}``; no credentials needed."""

    @abc.abstractmethod
    def uid(self) -> int:
        """The authenticated user's id (one call at most per connection)."""

    def effective_context(self, explicit: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The context a call carries: the connection's defaults, then the invocation's
        (:func:`odoo_connector.context.using`), then the one passed to ``call``; None if empty.
        The one place where context is merged, for every action, picklist and trigger."""
        merged = {**self._default_context, **(current_context() or {}), **(explicit or {})}
        return merged or None

    def active_languages(self) -> list[str]:
        """Codes of the active languages (``res.lang.get_installed``), asked once per client."""
        if self._languages is None:
            self._languages = [str(row[0]) for row in self.call("res.lang", "get_installed")]
        return self._languages

    def user_timezone(self) -> str:
        """The Odoo user's own time zone (``tz`` of ``context_get``), asked once per client; ""
        when the user has none set."""
        if self._user_tz is None:
            self._user_tz = str(self.call("res.users", "context_get").get("tz") or "")
        return self._user_tz

    def user_companies(self) -> list[dict[str, Any]]:
        """The companies this user may work in, ``[{"id", "name"}]``."""
        # allowed_company_ids null: Odoo's own default, so a wrong companyId in the connection or
        # the call (the reason this is asked, often) does not make this read fail too
        rows = self.call(
            "res.users", "read", [self.uid()], fields=["company_ids"], context={"allowed_company_ids": None}
        )
        ids = rows[0]["company_ids"] if rows else []
        # with all of them allowed for this read: a default company in the context would hide the rest
        companies = (
            self.call("res.company", "read", ids, fields=["name"], context={"allowed_company_ids": ids})
            if ids
            else []
        )
        return [{"id": c["id"], "name": c["name"]} for c in companies]

    def whoami(self) -> UserInfo:
        uid = self.uid()
        rows = self.call("res.users", "read", [uid], fields=["name", "login"])
        user = rows[0] if rows else {"id": uid, "name": None, "login": None}
        return {"id": user["id"], "name": user.get("name"), "login": user.get("login")}

    def fields_get(self, model: str) -> dict[str, dict[str, Any]]:
        """``fields_get`` with the attributes the actions use, cached per model and language (the
        labels, help and selection names are translated): for this client's lifetime, and across
        CLI runs when the process turned :mod:`odoo_connector.fields_store` on."""
        key = self._cache_key(model)
        if key not in self._fields_cache:
            store = fields_store.current()
            kept = store.load(*self._store_key(model)) if store else None
            if kept is not None:
                self._fields_cache[key] = kept
                self._fields_kept.add(key)
            else:
                self.refresh_fields(model)
        return self._fields_cache[key]

    def group_fields(self, model: str) -> dict[str, dict[str, Any]]:
        """``fields_get`` with what grouping needs (``groupable``, ``aggregator``), cached like
        :meth:`fields_get`, for this client only. A separate request: adding the attributes to
        the shared one would change every read's first request."""
        key = self._cache_key(model)
        if key not in self._group_fields_cache:
            self._group_fields_cache[key] = self.call(model, "fields_get", attributes=_GROUP_ATTRIBUTES)
        return self._group_fields_cache[key]

    def remember_fields(self, model: str, fields: dict[str, dict[str, Any]]) -> None:
        """Fields another answer carried (``get_views``, for modelForm), so that ``fields_get``
        need not be asked; a list already held is kept."""
        self._fields_cache.setdefault(self._cache_key(model), fields)

    def fields_were_kept(self, model: str) -> bool:
        """True when ``model``'s fields came from an earlier run (they may be out of date)."""
        return self._cache_key(model) in self._fields_kept

    def refresh_fields(self, model: str) -> dict[str, dict[str, Any]]:
        """Asks Odoo for ``model``'s fields again (and keeps the answer)."""
        key = self._cache_key(model)
        self._fields_cache[key] = self.call(model, "fields_get", attributes=_FIELD_ATTRIBUTES)
        self._fields_kept.discard(key)
        store = fields_store.current()
        if store is not None:
            store.save(*self._store_key(model), self._fields_cache[key])
        return self._fields_cache[key]

    def _cache_key(self, model: str) -> tuple[str, str]:
        """A model's fields in the language the call runs in: a pooled client serves calls in
        several languages, and English labels must not answer a French call."""
        return model, str((self.effective_context() or {}).get("lang") or "")

    def _store_key(self, model: str) -> tuple[str, str, str]:
        from .pool import connection_identity  # the pool imports this module

        identity = "\0".join(str(part) for part in connection_identity(self.connection))
        return identity, *self._cache_key(model)

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


def _describe(value: Any) -> str:
    if isinstance(value, dict | list):
        return f"a {type(value).__name__} of {len(value)} item{'' if len(value) == 1 else 's'}"
    return f"{type(value).__name__} {str(value)[:40]!r}"
