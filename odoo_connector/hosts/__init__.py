"""Hosts that put the connector's units in front of someone else's client, generated from the
manifest: :mod:`odoo_connector.hosts.tools` (which units a host offers and how a call reaches
:func:`~odoo_connector.runtime.invoke`), :mod:`odoo_connector.hosts.mcp` (the MCP server) and
:mod:`odoo_connector.hosts.n8n` (``export n8n``: an n8n node package that calls ``serve``).
A host never describes a unit by hand: names, schemas and hints all come from ``connector.yaml``."""
