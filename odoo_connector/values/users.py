"""A user as people name one: an id, a login (``alice@example.com``) or a name (``Alice Martin``).

Odoo's own ``res.users.name_search`` tries the login first, but the values module's name lookup
escapes ``_`` and ``%`` for its exact ``=ilike`` match, and a login such as ``john_doe@acme.com``
would then be searched as ``john\\_doe@acme.com``. So a user is looked up here with one search on
both: the login exactly, or the whole name case aside. An exact login wins over names; several
people of one name are an error listing them, unless exactly one has the very spelling given.
"""

from __future__ import annotations

from typing import Any

from ..client import OdooClient
from ..errors import InputError

__all__ = ["find_user"]

_CANDIDATES = 5


def find_user(client: OdooClient, value: Any, *, path: str) -> int:
    """The id of the user ``value`` names (an id, digits, a login or a name); InputError naming
    ``path`` when none or several match. One read or search."""
    if (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.strip().isdigit()
    ):
        user_id = int(value)
        if not client.call("res.users", "read", [user_id], fields=["name"]):
            raise InputError(
                f"{path}: no user with id {user_id} that this user can see.",
                path=path,
                hint="Pick the user from the selectUser list, or give a login or a name.",
            )
        return user_id
    text = str(value).strip()
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows: list[dict[str, Any]] = client.call(
        "res.users",
        "search_read",
        domain=["|", ["login", "=", text], ["name", "=ilike", escaped]],
        fields=["name", "login"],
        limit=_CANDIDATES + 1,
    )
    for matches in (
        [r for r in rows if r["login"] == text],
        rows,
        [r for r in rows if r["name"] == text],
    ):
        if len(matches) == 1:
            return int(matches[0]["id"])
    if not rows:
        raise InputError(
            f"{path}: no user has the login or the name {text!r} (the name must match whole, case aside).",
            path=path,
            hint="Pick the user from the selectUser list, or give a login or an id.",
        )
    listed = ", ".join(f"{r['name']!r} ({r['login']}, id {r['id']})" for r in rows[:_CANDIDATES])
    raise InputError(
        f"{path}: {text!r} names several users: {listed}.",
        path=path,
        hint="Give the user's login or id instead.",
    )
