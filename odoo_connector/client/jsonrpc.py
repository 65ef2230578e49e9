"""The JSON-RPC wire of the Basic Auth connection: ``POST /jsonrpc`` with a login and password.

``{"jsonrpc": "2.0", "method": "call", "params": {"service": "object", "method": "execute_kw",
"args": [db, uid, password, model, method, args, kwargs]}}``, and ``common.login`` once for the
uid. Odoo serves it from the same ``rpc`` module, the same controller class and the same
dispatcher as ``/xmlrpc/2`` (``addons/rpc/controllers``, Odoo 19), deprecated with it (removal
scheduled for Odoo 22). Unlike XML-RPC it carries ``None`` (a method that returns nothing answers
``null`` instead of faulting after its commit), 64-bit integers and any dictionary key, and its
answers parse at JSON's speed: a search_read of 20 259 leads took 2.2-2.4 s and 0.04 s of client
CPU here, against 5.3-6.2 s and 0.8 s over ``/xmlrpc/2/object`` (docs/connections.md).

Errors come back with status 200 as ``{"error": {"code", "message": "Odoo Server Error", "data":
{"name", "message", "arguments", "debug"}}}``: the exception's class in ``data.name``, mapped by
the one error table (:func:`.mapping.from_jsonrpc_error`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import AuthenticationError, ServerError, UnsupportedServerError
from .http import HttpSession
from .mapping import from_jsonrpc_error
from .probe import unless_odoo
from .wire import ServerInfo, Wire, jsonrpc_body

__all__ = ["JsonRpcWire", "jsonrpc_call"]

# Arguments execute_kw must receive by position: odoo.service.model.call_kw reads ``args[0]`` of
# ``create`` to decide whether to return one id or a list, and fails on an empty args list.
_POSITIONAL: dict[str, tuple[str, ...]] = {"create": ("vals_list",)}


def jsonrpc_call(
    session: HttpSession, service: str, method: str, args: Sequence[Any], *, idempotent: bool
) -> Any:
    """One JSON-RPC call of ``service.method(*args)`` over ``session``; Odoo's errors become
    connector errors (the request's secrets scrubbed from their words)."""
    response = session.request(
        "POST",
        "/jsonrpc",
        content=jsonrpc_body(service, method, args),
        headers={"Content-Type": "application/json"},
        idempotent=idempotent,
    )
    if response.status_code == 404:
        raise UnsupportedServerError(
            f"{session.base_url} has no JSON-RPC endpoint (404 for /jsonrpc).",
            hint="Check the base URL, and that a proxy in front of Odoo lets /jsonrpc through. Odoo 22 "
            "and later no longer offer it: use the API key connection.",
            status=404,
        )
    if not response.is_success:
        raise unless_odoo(  # Odoo answers its errors with 200: maybe no Odoo at all (probe.py)
            session,
            response.status_code,
            ServerError(
                f"The server answered {response.status_code} to JSON-RPC {service}.{method}.",
                status=response.status_code,
            ),
        )
    try:
        answer = response.json()
    except ValueError:
        answer = None
    # Odoo leaves "result" out when the method returned None (odoo.http's JSON-RPC dispatcher)
    if not isinstance(answer, dict) or answer.get("jsonrpc") != "2.0":
        raise UnsupportedServerError(
            f"{session.base_url} did not answer JSON-RPC {service}.{method} with JSON-RPC "
            f"({response.headers.get('content-type') or 'no content type'}).",
            hint="Check the base URL points at an Odoo server.",
        )
    if "error" in answer:
        raise from_jsonrpc_error(answer["error"], secrets=session.secrets)
    return answer.get("result")


class JsonRpcWire(Wire):
    name = "jsonrpc"
    label = "JSON-RPC"
    positional = True

    def __init__(self, session: HttpSession, database: str, username: str, password: str) -> None:
        super().__init__(session, database)
        self.username = username
        self._password = password

    def login(self) -> int:
        uid = jsonrpc_call(
            self.session, "common", "login", [self.database, self.username, self._password], idempotent=True
        )
        if not uid:
            # Odoo answers false, not an error, for a wrong login or password.
            raise AuthenticationError(
                f"Odoo refused the login {self.username!r} with this password on database {self.database!r}.",
                hint="Check the username (the login, often an e-mail address) and the password "
                "or API key. Users with two-factor authentication must use an API key as "
                "the password.",
            )
        return int(uid)

    def _logged_in(self) -> int:
        if self.uid is None:
            self.uid = self.login()
        return self.uid

    def execute_kw(
        self, model: str, method: str, args: Sequence[Any], kwargs: Mapping[str, Any], *, idempotent: bool
    ) -> Any:
        """Odoo's ``execute_kw`` as is.

        A reused client logs in once. If Odoo then refuses the cached login ("Access Denied": the
        user was re-created, or its id changed), the login is dropped and the call retried once
        with a fresh one; Odoo refused the call before running it, so nothing runs twice.
        """
        reused_login = self.uid is not None
        try:
            return self._execute(model, method, args, kwargs, idempotent)
        except AuthenticationError:
            if not reused_login:
                raise
            self.uid = None
            return self._execute(model, method, args, kwargs, idempotent)

    def _execute(
        self, model: str, method: str, args: Sequence[Any], kwargs: Mapping[str, Any], idempotent: bool
    ) -> Any:
        params = [self.database, self._logged_in(), self._password, model, method, list(args), dict(kwargs)]
        return jsonrpc_call(self.session, "object", "execute_kw", params, idempotent=idempotent)

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
        # execute_kw takes the record ids as the first positional argument of record methods
        # (odoo.service.model.call_kw); everything else travels by keyword, like JSON-2.
        named = dict(kwargs)
        positional: list[Any] = [list(ids)] if ids is not None else []
        if args:
            positional.extend(args)
        else:
            for name in _POSITIONAL.get(method, ()):
                if name in named:
                    positional.append(named.pop(name))
        return self.execute_kw(model, method, positional, named, idempotent=idempotent)

    def server_version(self) -> ServerInfo:
        return server_version(self.session)


def server_version(session: HttpSession) -> ServerInfo:
    """``common.version`` over JSON-RPC: no credentials needed, and every Odoo that has the
    endpoint answers it (Odoo before 18 has no ``/web/version``)."""
    info = jsonrpc_call(session, "common", "version", [], idempotent=True)
    if not isinstance(info, dict):
        raise UnsupportedServerError(f"{session.base_url} answered common.version without a version.")
    return {"version": info.get("server_version"), "version_info": info.get("server_version_info")}
