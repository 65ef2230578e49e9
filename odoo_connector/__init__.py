"""odoo-connector: Odoo 19 actions, picklists and a polling trigger for integration platforms.

The public surface is small on purpose: load the manifest, invoke a key, build a client. Imports
are lazy so that ``odoo-connector --help`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Connection",
    "OdooClient",
    "OdooConnectorError",
    "__version__",
    "invoke",
    "iter_records",
    "load_manifest",
    "make_client",
    "parse_connection",
]

_LAZY = {
    "Connection": "odoo_connector.connections",
    "parse_connection": "odoo_connector.connections",
    "OdooClient": "odoo_connector.client",
    "make_client": "odoo_connector.client",
    "OdooConnectorError": "odoo_connector.errors",
    "invoke": "odoo_connector.runtime",
    "load_manifest": "odoo_connector.manifest",
    "iter_records": "odoo_connector.actions.records",
}

if TYPE_CHECKING:
    from .actions.records import iter_records
    from .client import OdooClient, make_client
    from .connections import Connection, parse_connection
    from .errors import OdooConnectorError
    from .manifest import load_manifest
    from .runtime import invoke


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'odoo_connector' has no attribute {name!r}")
