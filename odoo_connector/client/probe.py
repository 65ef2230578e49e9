"""Is there an Odoo at this address? Asked only after an answer no Odoo gives.

A request to the JSON-2 or JSON-RPC endpoint that comes back with a status and a body Odoo never
sends (a 501 HTML page, a 405 from a static file server) could be a broken Odoo or no Odoo at all.
``check`` already tells the two apart by asking the server's version; every other command must
answer the same way, so a user who typed the wrong port hears "not an Odoo server" (exit 3, fix
the configuration) and not "server error, try again later" (exit 5). Gateway answers (429, 502,
503, 504) are a proxy speaking for an Odoo that is busy or restarting, so they are never probed.
"""

from __future__ import annotations

from ..errors import OdooConnectorError, UnsupportedServerError
from .http import HttpSession
from .wire import jsonrpc_body

__all__ = ["GATEWAY_STATUSES", "is_odoo", "unless_odoo"]

GATEWAY_STATUSES = frozenset({429, 502, 503, 504})


def is_odoo(session: HttpSession) -> bool:
    """True when the server answers a version request as Odoo does: ``/web/version`` (Odoo 18+)
    or JSON-RPC ``common.version`` (every Odoo that has JSON-RPC). Neither needs credentials."""
    try:
        response = session.request("GET", "/web/version", idempotent=True)
        info = response.json() if response.is_success else None
        if isinstance(info, dict) and "version_info" in info:
            return True
        response = session.request(
            "POST",
            "/jsonrpc",
            content=jsonrpc_body("common", "version", []),
            headers={"Content-Type": "application/json"},
            idempotent=True,
        )
        if response.is_success:
            answer = response.json()
            result = answer.get("result") if isinstance(answer, dict) else None
            return isinstance(result, dict) and "server_version" in result
    except (OdooConnectorError, ValueError):
        return False
    return False


def unless_odoo(session: HttpSession, status: int, error: OdooConnectorError) -> OdooConnectorError:
    """``error`` when an Odoo stands behind the answer (or a gateway gave it), else the
    UnsupportedServerError that ``check`` gives for the same address."""
    if status in GATEWAY_STATUSES or is_odoo(session):
        return error
    return UnsupportedServerError(
        f"{session.base_url} did not answer like an Odoo server (status {status}, and no Odoo "
        "version at /web/version or JSON-RPC common.version).",
        hint="Check the base URL and port: they should be the address you open Odoo with.",
        status=status,
    )
