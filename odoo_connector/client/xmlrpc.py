"""The XML-RPC transport (deprecated by Odoo, removed in Odoo 22): ``/xmlrpc/2/common`` and
``/xmlrpc/2/object``.

Payloads are built with the standard library's :mod:`xmlrpc.client` but sent over the same
:class:`~.http.HttpSession` as JSON-2, so timeouts, TLS, proxies and retries stay in one place and
one pooled connection serves every call (``ServerProxy`` opens a new one per call).
"""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import AuthenticationError, InputError, OdooConnectorError, ServerError, UnsupportedServerError
from .http import HttpSession
from .mapping import from_xmlrpc_fault
from .probe import unless_odoo
from .wire import ServerInfo, Wire

__all__ = ["XmlRpcWire", "xmlrpc_call"]

# Arguments execute_kw must receive by position: odoo.service.model.call_kw reads ``args[0]`` of
# ``create`` to decide whether to return one id or a list, and fails on an empty args list.
_POSITIONAL: dict[str, tuple[str, ...]] = {"create": ("vals_list",)}
_NO_NONE = "cannot marshal None unless allow_none is enabled"


def xmlrpc_call(
    session: HttpSession, endpoint: str, method: str, params: tuple[Any, ...], *, idempotent: bool
) -> Any:
    """One XML-RPC call over ``session``; faults become connector errors (secrets scrubbed).
    Shared with the JSON-2 client, which asks an old Odoo its version this way."""
    try:
        payload = xmlrpc.client.dumps(params, method, allow_none=True).encode("utf-8")
    except OverflowError:
        raise InputError(
            f"A number in the call to {endpoint}.{method} is too large for XML-RPC, which carries "
            "whole numbers from -2147483648 to 2147483647 only.",
            hint="Use smaller numbers, or the API key connection (JSON-2) for large values.",
        ) from None
    response = session.request(
        "POST",
        f"/xmlrpc/2/{endpoint}",
        content=payload,
        headers={"Content-Type": "text/xml"},
        idempotent=idempotent,
    )
    if response.status_code == 404:
        raise UnsupportedServerError(
            f"{session.base_url} has no XML-RPC endpoint (404 for /xmlrpc/2/{endpoint}).",
            hint="Check the base URL. Odoo 22 and later no longer offer XML-RPC: use the API key connection.",
            status=404,
        )
    if not response.is_success:
        raise unless_odoo(  # Odoo answers faults with 200: maybe no Odoo at all (probe.py)
            session,
            response.status_code,
            ServerError(
                f"The server answered {response.status_code} to XML-RPC {endpoint}.{method}.",
                status=response.status_code,
            ),
        )
    try:
        result, _ = xmlrpc.client.loads(response.content, use_datetime=False, use_builtin_types=True)
    except xmlrpc.client.Fault as fault:
        raise from_xmlrpc_fault(fault.faultCode, fault.faultString, secrets=session.secrets) from None
    except Exception as exc:  # an HTML page or garbage: not an Odoo XML-RPC answer
        raise UnsupportedServerError(
            f"{session.base_url} did not answer XML-RPC {endpoint}.{method} with XML-RPC "
            f"({type(exc).__name__}).",
            hint="Check the base URL points at an Odoo server.",
        ) from None
    return result[0]


class XmlRpcWire(Wire):
    name = "xmlrpc"
    label = "XML-RPC"
    positional = True

    def __init__(self, session: HttpSession, database: str, username: str, password: str) -> None:
        super().__init__(session, database)
        self.username = username
        self._password = password

    def rpc(self, endpoint: str, method: str, params: tuple[Any, ...], *, idempotent: bool) -> Any:
        return xmlrpc_call(self.session, endpoint, method, params, idempotent=idempotent)

    def login(self) -> int:
        uid = self.rpc(
            "common",
            "authenticate",
            (self.database, self.username, self._password, {}),
            idempotent=True,
        )
        if not uid:
            # Odoo answers False, not a fault, for a wrong login or password.
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
        params = (list(args), dict(kwargs))
        try:
            return self.rpc(
                "object",
                "execute_kw",
                (self.database, self._logged_in(), self._password, model, method, *params),
                idempotent=idempotent,
            )
        except AuthenticationError:
            if not reused_login:
                raise
            self.uid = None
            return self.rpc(
                "object",
                "execute_kw",
                (self.database, self._logged_in(), self._password, model, method, *params),
                idempotent=idempotent,
            )

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
        if "context" in named:  # last, as the connector always sent it
            named["context"] = named.pop("context")
        return self.execute_kw(model, method, positional, named, idempotent=idempotent)

    def answered_nothing(self, error: OdooConnectorError) -> bool:
        """XML-RPC cannot send None back: a method that returns nothing commits first, then faults
        with code 1 "cannot marshal None unless allow_none is enabled" (Odoo 19, observed)."""
        return _NO_NONE in error.message or _NO_NONE in (error.detail or "")

    def server_version(self) -> ServerInfo:
        info = self.rpc("common", "version", (), idempotent=True)
        return {"version": info.get("server_version"), "version_info": info.get("server_version_info")}
