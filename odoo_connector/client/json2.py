"""The JSON-2 transport (Odoo 19+): ``POST /json/2/<model>/<method>`` with a bearer API key."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..connections import ApiKeyConnection
from ..errors import UnsupportedServerError
from .base import OdooClient, ServerInfo
from .mapping import from_json2_error

__all__ = ["READ_ONLY_METHODS", "Json2Client"]

# Methods that change nothing: safe to retry after a timeout or a 502/503/504.
READ_ONLY_METHODS = frozenset(
    {
        "search",
        "search_read",
        "search_count",
        "read",
        "fields_get",
        "name_search",
        "get_available_models",
        "check_object_reference",
        "get_external_id",
        "context_get",
        "read_group",
        "web_search_read",
        "web_read",
        "default_get",
        "has_access",
    }
)


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
        **kwargs: Any,
    ) -> Any:
        body: dict[str, Any] = dict(kwargs)
        if ids is not None:
            body["ids"] = list(ids)
        if context:
            body["context"] = dict(context)
        response = self.session.request(
            "POST",
            f"/json/2/{model}/{method}",
            content=json.dumps(body, separators=(",", ":")).encode(),
            headers={"Content-Type": "application/json"},
            idempotent=method in READ_ONLY_METHODS,
        )
        if response.is_success:
            return response.json()
        raise from_json2_error(
            response.status_code,
            response.headers.get("content-type", ""),
            response.text,
            model=model,
            method=method,
            secrets=self.session.secrets,
            database=self.database,
        )

    def server_version(self) -> ServerInfo:
        response = self.session.request("GET", "/web/version", idempotent=True)
        try:
            info = response.json() if response.is_success else None
        except ValueError:
            info = None
        if not isinstance(info, dict) or "version_info" not in info:
            raise UnsupportedServerError(
                f"{self.connection.url} did not answer /web/version like an Odoo server "
                f"(status {response.status_code}).",
                hint="Check the base URL: it should be the address you open Odoo with.",
            )
        return info

    def uid(self) -> int:
        if self._uid is None:
            context = self.call("res.users", "context_get")
            self._uid = int(context["uid"])
        return self._uid
