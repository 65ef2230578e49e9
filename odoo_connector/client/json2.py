"""The JSON-2 transport (Odoo 19+): ``POST /json/2/<model>/<method>`` with a bearer API key."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..connections import ApiKeyConnection
from ..errors import OdooConnectorError, OdooValidationError, ServerError, UnsupportedServerError
from .base import OdooClient, ServerInfo
from .http import READ_ONLY_METHODS
from .mapping import from_json2_error
from .probe import unless_odoo
from .xmlrpc import xmlrpc_call

__all__ = ["Json2Client"]


class Json2Client(OdooClient):
    transport = "json2"

    connection: ApiKeyConnection

    def __init__(self, connection: ApiKeyConnection, **options: Any) -> None:
        super().__init__(connection, **options)

    def _auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"bearer {self.connection.api_key.get_secret_value()}",
            "X-Odoo-Database": self.connection.database,
            "Accept": "application/json",
        }

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
        body: dict[str, Any] = dict(kwargs)
        if ids is not None:
            body["ids"] = list(ids)
        merged = self.effective_context(context)  # connection defaults < invocation < this call
        if merged:
            body["context"] = merged
        response = self.session.request(
            "POST",
            f"/json/2/{model}/{method}",
            content=json.dumps(body, separators=(",", ":")).encode(),
            headers={"Content-Type": "application/json"},
            idempotent=method in READ_ONLY_METHODS if idempotent is None else idempotent,
        )
        if response.is_success:
            try:
                result = response.json()
            except ValueError:
                raise UnsupportedServerError(
                    f"{self.connection.url} answered {model}.{method} with status "
                    f"{response.status_code} but not with JSON "
                    f"({response.headers.get('content-type') or 'no content type'}): this is not an "
                    "Odoo JSON-2 endpoint.",
                    hint="Check the base URL and port: a login page or a proxy answers there, not Odoo 19.",
                    status=response.status_code,
                ) from None
            return self._checked(model, method, result)
        error = from_json2_error(
            response.status_code,
            response.headers.get("content-type", ""),
            response.text,
            model=model,
            method=method,
            secrets=self.session.secrets,
            database=self.database,
        )
        if error.odoo_name is None and isinstance(error, ServerError | OdooValidationError):
            # an answer without Odoo's error body: maybe no Odoo at all (probe.py)
            error = unless_odoo(self.session, response.status_code, error)
        raise error

    def server_version(self) -> ServerInfo:
        response = self.session.request("GET", "/web/version", idempotent=True)
        try:
            info = response.json() if response.is_success else None
        except ValueError:
            info = None
        if isinstance(info, dict) and "version_info" in info:
            return info
        # Odoo before 18 has no /web/version; its XML-RPC common.version() needs no credentials
        # and tells which Odoo it is, so `check` can say "this server runs Odoo 17.0".
        try:
            legacy = xmlrpc_call(self.session, "common", "version", (), idempotent=True)
        except OdooConnectorError:
            raise UnsupportedServerError(
                f"{self.connection.url} did not answer /web/version like an Odoo server "
                f"(status {response.status_code}).",
                hint="Check the base URL: it should be the address you open Odoo with.",
            ) from None
        return {"version": legacy.get("server_version"), "version_info": legacy.get("server_version_info")}

    def uid(self) -> int:
        if self._uid is None:
            context = self.call("res.users", "context_get")
            self._uid = int(context["uid"])
        return self._uid
