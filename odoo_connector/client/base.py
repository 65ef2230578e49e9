"""The one door to Odoo: :class:`OdooClient`, holding a protocol wire (:mod:`.wire`).

Handlers, picklists and triggers talk to Odoo only through it: model calls (:meth:`OdooClient.call`),
Odoo's ``execute_kw`` as given, the API documentation, and plain HTTP requests on the connection's
own server (:meth:`OdooClient.send`: portal PDFs, rawHttpRequest). What differs between protocols
is the wire's; what is the same on every one (context defaults, caches, result checks, the error
table) is here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from .. import fields_store
from ..connections import Connection
from ..context import current as current_context
from ..errors import OdooConnectorError, UnsupportedServerError
from .http import DEFAULT_DEADLINE, DEFAULT_RETRY_FOR, READ_ONLY_METHODS, HttpSession
from .mapping import from_json2_error
from .wire import ServerInfo, Wire

__all__ = ["OdooClient", "Response", "ServerInfo", "UserInfo"]

UserInfo = dict[str, Any]
#: an answer of :meth:`OdooClient.send`
Response = httpx.Response


# What Odoo returns for the methods the handlers rely on. A server that answers something else
# (a proxy's "200 {}", a catch-all test server, a different product at that URL) is not an Odoo
# JSON-2 or JSON-RPC endpoint: saying so beats failing later on a KeyError in a handler.
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


class OdooClient:
    """Calls Odoo model methods by name, whatever the wire protocol.

    ``call("res.partner", "read", ids=[7], fields=["name"])`` means the same on every wire:
    ``ids`` selects the records a record-method runs on (omit it for ``@api.model`` methods) and
    every other keyword is passed to the method by name.

    ``wire`` builds the protocol's wire over this client's session (:func:`~odoo_connector.client.make_client`
    picks it from the connection); ``headers`` are sent with every request (JSON-2's key).
    """

    def __init__(
        self,
        connection: Connection,
        wire: Callable[[HttpSession], Wire],
        *,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        http_transport: httpx.BaseTransport | None = None,
        max_retries: int = 2,
    ) -> None:
        self.connection = connection
        self.database = connection.database
        # fields_get answers per model, kept for this connection's lifetime: field lists change
        # only when modules are installed, and each saved call is a server-side key check.
        # keyed by (model, language): see _cache_key
        self._fields_cache: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._fields_kept: set[tuple[str, str]] = set()  # fields that came from an earlier run
        self._group_fields_cache: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._default_context = connection.default_context()
        self._languages: list[str] | None = None
        self._user_tz: str | None = None
        self._api_docs: dict[str, dict[str, Any]] = {}
        self.session = HttpSession(
            connection.url,
            headers=headers,
            timeout=timeout,
            deadline=connection.timeout or DEFAULT_DEADLINE,
            retry_for=DEFAULT_RETRY_FOR if connection.retry_for is None else connection.retry_for,
            secrets=connection.secrets(),
            transport=http_transport,
            max_retries=max_retries,
        )
        self.wire = wire(self.session)

    @property
    def protocol(self) -> str:
        """The wire's name: "json2" or "jsonrpc"."""
        return self.wire.name

    @property
    def positional_args(self) -> bool:
        """Whether arguments can be sent by position (else they are named from api_doc)."""
        return self.wire.positional

    def call(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None = None,
        *,
        args: Sequence[Any] = (),
        context: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Runs ``model.method`` on the server and returns its JSON-able result.

        ``args`` go by position, only on a wire that has positions (:attr:`positional_args`);
        the context is the connection's defaults, then the invocation's, then ``context``.

        ``idempotent`` says whether the call may be sent again after a timeout or a 502/503/504,
        when Odoo may have run it already. None (the default) decides by the method: only
        ``READ_ONLY_METHODS`` are. True is for a caller that knows a write gives the same end
        state however often it runs: a ``load`` whose every row names its record by external ID
        (actions/batch.py). Never pass True for ``create`` or a ``load`` that creates by position.
        """
        merged = self.effective_context(context)  # connection defaults < invocation < this call
        if merged:
            kwargs["context"] = merged
        retry = method in READ_ONLY_METHODS if idempotent is None else idempotent
        result = self.wire.call(model, method, ids, args, kwargs, idempotent=retry)
        if args:  # a method called with positions (callMethod): whatever it answers is its answer
            return result
        return self._checked(model, method, result)

    def execute_kw(
        self, model: str, method: str, args: Sequence[Any], kwargs: Mapping[str, Any] | None = None
    ) -> Any:
        """Odoo's ``execute_kw`` exactly as given, no context added (the rawRequest action);
        only on a wire with :attr:`positional_args`."""
        return self.wire.execute_kw(
            model, method, args, dict(kwargs or {}), idempotent=method in READ_ONLY_METHODS
        )

    def api_doc(self, model: str) -> dict[str, Any]:
        """Odoo's API documentation of ``model`` (public methods, signatures, docstrings), kept
        per model for this client: a model's methods change only when modules are installed,
        and one answer is a few hundred kB."""
        if model not in self._api_docs:
            self._api_docs[model] = self.wire.api_doc(model)
        return self._api_docs[model]

    # --- plain HTTP on the connection's own server -----------------------------------------

    @property
    def base_url(self) -> str:
        return self.session.base_url

    @property
    def secrets(self) -> tuple[str, ...]:
        """The connection's own secrets: kept out of what the client reports."""
        return self.session.secrets

    def send(self, method: str, path: str, **options: Any) -> Response:
        """One HTTP request on the connection's server (:meth:`.http.HttpSession.send` says the
        options: retry, auth, cookies, redirects, deadline, read)."""
        return self.session.send(method, path, **options)

    def sleep(self, seconds: float) -> None:
        """Waits as the session does between retries (a test replaces the session's sleep)."""
        self.session.sleep(seconds)

    def http_error(self, response: Response, *, where: str) -> OdooConnectorError:
        """The error for an error answer to :meth:`send`, from the one error table."""
        return from_json2_error(
            response.status_code,
            response.headers.get("content-type", ""),
            response.text,
            model="raw",
            method=where,
            secrets=self.secrets,
        )

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
            f"returns a {names}: this is not an Odoo {self.wire.label} endpoint.",
            hint="Check the base URL and port: they must reach the Odoo server itself, not a proxy "
            "page or another service.",
        )

    def server_version(self) -> ServerInfo:
        """``{"version": "19.0", "version_info": [19, 0, 0, "final", 0, ""]}``; no credentials needed."""
        return self.wire.server_version()

    def uid(self) -> int:
        """The authenticated user's id (one call at most per connection): the wire's login, or
        ``context_get`` where the key is the login (JSON-2)."""
        if self.wire.uid is None:
            uid = self.wire.login()
            self.wire.uid = uid if uid is not None else int(self.call("res.users", "context_get")["uid"])
        return self.wire.uid

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
        identity = "\0".join(str(part) for part in self.connection.identity())
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
