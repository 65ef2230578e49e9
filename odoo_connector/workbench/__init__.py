"""``odoo-connector workbench``: a local web page to try every unit against an Odoo before wiring
the connector into a platform, built only from what ``describe`` gives a platform.

It proves the manifest is enough to draw the platform's forms: the connection form comes from the
connection fields, each unit's form from its input JSON Schema (rendered by JSON Forms, shipped in
``static/``), and picklists from ``x-dataSource``. The server is thin: every unit runs through
:func:`odoo_connector.runtime.invoke`, as in the CLI.

The web stack (Starlette, uvicorn) is an optional extra, ``workbench``: this module
imports it only inside :func:`serve`, so importing the package (or the connector) stays free of it
and a missing extra is reported with the command that installs it.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from ..errors import MissingExtraError, install_line

if TYPE_CHECKING:
    from ..manifest import Manifest

__all__ = ["WorkbenchUnavailableError", "require_web_stack", "serve"]

_WEB_STACK = ("starlette", "uvicorn")
INSTALL_HINT = f"Install the workbench extra: {install_line('workbench')}"


class WorkbenchUnavailableError(MissingExtraError):
    """The workbench's web stack is not installed (exit 3: the installation needs fixing)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extra="workbench", hint=INSTALL_HINT)


def require_web_stack() -> None:
    """Raises :class:`WorkbenchUnavailableError` naming what is missing, before anything starts."""
    missing = [name for name in _WEB_STACK if importlib.util.find_spec(name) is None]
    if missing:
        raise WorkbenchUnavailableError(
            f"The workbench needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            "not installed."
        )


def serve(*, manifest: Manifest, port: int = 8765, open_browser: bool = False) -> int:
    """Serves the workbench on 127.0.0.1 until interrupted; prints the URL with its token."""
    require_web_stack()
    from .server import run

    return run(manifest=manifest, port=port, open_browser=open_browser)
