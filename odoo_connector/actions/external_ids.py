"""Which external IDs a flow may write: not those under the name of an Odoo module.

Odoo deletes records it does not find in a module's data files when that module is upgraded, so a
record created as ``sale.customer_42`` disappears on the next upgrade of ``sale``; and ``load``
would happily overwrite Odoo's own records (``base.main_partner``). ``__import__`` (Odoo's prefix
for imported records) and a prefix of the user's own (``shop.customer_42``) are fine.

"A module's name" is decided by a fixed list of Odoo's standard modules (no request), then by the
server's own module list (``ir.module.module``, readable by every internal user): one
``search_count`` per prefix and connection, installed or not (installing it later would put the
records at risk too).
"""

from __future__ import annotations

import logging
import weakref

from ..client import OdooClient
from ..errors import AccessDeniedError, InputError

__all__ = ["STANDARD_MODULES", "check_external_id", "external_id_problem"]

log = logging.getLogger("odoo_connector.batch")

# Odoo's own prefixes for imported and exported records: never a module's.
_FREE_PREFIXES = frozenset({"__import__", "__export__"})
# Technical names of Odoo's standard modules, refused without asking the server; the server's own
# list (ir.module.module, readable by every internal user) covers the rest, when readable.
STANDARD_MODULES = frozenset(
    [
        "account",
        "analytic",
        "auth_signup",
        "base",
        "base_automation",
        "base_import",
        "base_setup",
        "board",
        "bus",
        "calendar",
        "contacts",
        "crm",
        "delivery",
        "digest",
        "event",
        "fleet",
        "gamification",
        "google_calendar",
        "hr",
        "hr_expense",
        "hr_holidays",
        "hr_recruitment",
        "hr_timesheet",
        "html_editor",
        "iap",
        "im_livechat",
        "l10n_generic_coa",
        "link_tracker",
        "lunch",
        "mail",
        "mass_mailing",
        "membership",
        "mrp",
        "payment",
        "phone_validation",
        "point_of_sale",
        "portal",
        "pos_restaurant",
        "product",
        "project",
        "purchase",
        "rating",
        "repair",
        "resource",
        "sale",
        "sale_management",
        "sale_stock",
        "sales_team",
        "sms",
        "snailmail",
        "spreadsheet",
        "stock",
        "stock_account",
        "survey",
        "uom",
        "utm",
        "web",
        "web_editor",
        "web_tour",
        "website",
        "website_sale",
    ]
)
_module_checks: weakref.WeakKeyDictionary[OdooClient, dict[str, bool]] = weakref.WeakKeyDictionary()


def _is_module(client: OdooClient, module: str) -> bool:
    """Whether the server knows a module of that name (one ``search_count`` per prefix and
    connection)."""
    known = _module_checks.setdefault(client, {})
    if module not in known:
        try:
            count = client.call("ir.module.module", "search_count", domain=[["name", "=", module]])
        except AccessDeniedError:
            log.warning(
                "cannot read the module list; checking external IDs against Odoo's standard modules only"
            )
            count = 0
        known[module] = bool(count)
    return known[module]


def external_id_problem(client: OdooClient, external_id: str) -> str | None:
    """Why ``external_id`` may not be written, or None."""
    module = external_id.partition(".")[0]
    if module in _FREE_PREFIXES:
        return None
    if module in STANDARD_MODULES or _is_module(client, module):
        return (
            f"The external ID {external_id!r} is under the name of the Odoo module {module!r}: Odoo "
            "deletes such records when that module is upgraded, and writing it could overwrite "
            "Odoo's own data. Use __import__ or a prefix of your own (e.g. shop.customer_42)."
        )
    return None


def check_external_id(client: OdooClient, external_id: str) -> None:
    problem = external_id_problem(client, external_id)
    if problem:
        raise InputError(problem, path="externalId", hint="Use __import__.<name> or your own prefix.")
