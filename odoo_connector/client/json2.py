"""The JSON-2 wire (Odoo 19+): ``POST /json/2/<model>/<method>`` with a bearer API key."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import (
    AccessDeniedError,
    InputError,
    OdooConnectorError,
    OdooValidationError,
    ServerError,
    UnsupportedServerError,
)
from .jsonrpc import server_version as jsonrpc_version
from .mapping import from_json2_error
from .probe import unless_odoo
from .wire import ServerInfo, Wire

__all__ = ["Json2Wire", "json2_headers"]

_DOC_GROUP = "Technical Documentation"


def json2_headers(api_key: str, database: str) -> dict[str, str]:
    """Headers every JSON-2 request carries: JSON-2 authenticates per request."""
    return {"Authorization": f"bearer {api_key}", "X-Odoo-Database": database, "Accept": "application/json"}


class Json2Wire(Wire):
    name = "json2"
    label = "JSON-2"
    positional = False

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
        if args:  # the client names them first (OdooClient.call): a bug if any is left
            raise InputError(f"JSON-2 takes arguments by name only: {model}.{method} got some by position.")
        body: dict[str, Any] = dict(kwargs)
        if ids is not None:
            body["ids"] = list(ids)
        if "context" in body:  # last, as the connector always sent it
            body["context"] = body.pop("context")
        response = self.session.request(
            "POST",
            f"/json/2/{model}/{method}",
            content=json.dumps(body, separators=(",", ":")).encode(),
            headers={"Content-Type": "application/json"},
            idempotent=idempotent,
        )
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                raise UnsupportedServerError(
                    f"{self.session.base_url} answered {model}.{method} with status "
                    f"{response.status_code} but not with JSON "
                    f"({response.headers.get('content-type') or 'no content type'}): this is not an "
                    "Odoo JSON-2 endpoint.",
                    hint="Check the base URL and port: a login page or a proxy answers there, not Odoo 19.",
                    status=response.status_code,
                ) from None
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
        # Odoo before 18 has no /web/version; its JSON-RPC common.version() needs no credentials
        # and tells which Odoo it is, so `check` can say "this server runs Odoo 17.0".
        try:
            return jsonrpc_version(self.session)
        except OdooConnectorError:
            raise UnsupportedServerError(
                f"{self.session.base_url} did not answer /web/version like an Odoo server "
                f"(status {response.status_code}).",
                hint="Check the base URL: it should be the address you open Odoo with.",
            ) from None

    def api_doc(self, model: str) -> dict[str, Any]:
        """``POST /doc-bearer/<model>.json``: the model's public methods with signature, parameters
        and docstring (Odoo 19's ``api_doc`` module).

        The route authenticates with a bearer token, so only this wire can ask, and it needs the
        group *Technical Documentation* (``api_doc.group_allow_doc``, which Role / Administrator
        implies); others get AccessDeniedError naming that group. It reads, so a timeout is
        retried like any read."""
        response = self.session.request(
            "POST",
            f"/doc-bearer/{model}.json",
            content=b"{}",
            headers={"Content-Type": "application/json"},
            idempotent=True,
        )
        if not response.is_success:
            error = from_json2_error(
                response.status_code,
                response.headers.get("content-type", ""),
                response.text,
                model=model,
                method="api_doc",
                secrets=self.session.secrets,
                database=self.database,
            )
            if isinstance(error, AccessDeniedError) and not error.groups:
                # Odoo words this refusal without its usual group list; name the group ourselves.
                error = AccessDeniedError(
                    error.message,
                    groups=[_DOC_GROUP],
                    odoo_name=error.odoo_name,
                    status=error.status,
                    detail=error.detail,
                )
            raise error
        try:
            doc = response.json()
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or not isinstance(doc.get("methods"), dict):
            raise UnsupportedServerError(
                f"{self.session.base_url} answered /doc-bearer/{model}.json without a method list.",
                hint="Check that Odoo's api_doc module is installed (Odoo 19 or later).",
            )
        return doc
