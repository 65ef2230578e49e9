"""Hosts that put the connector's units in front of someone else's client, generated from the
manifest: :mod:`odoo_connector.hosts.tools` (which units a host offers and how a call reaches
:func:`~odoo_connector.runtime.invoke`) and :mod:`odoo_connector.hosts.mcp` (the MCP server).
A host never describes a unit by hand: names, schemas and hints all come from ``connector.yaml``."""
