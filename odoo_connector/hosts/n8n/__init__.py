"""The n8n host: ``odoo-connector export n8n DIR`` writes an n8n community node package from
``describe`` (docs/n8n.md). :mod:`.generate` turns the manifest into n8n's node and credential
descriptions (``units.json`` in the package); the JavaScript under ``package/`` is the same for
every manifest and reads that file, so the package never drifts from the manifest it was made from."""

from .generate import PACKAGE_NAME, export_package, n8n_descriptions

__all__ = ["PACKAGE_NAME", "export_package", "n8n_descriptions"]
