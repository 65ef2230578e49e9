"""Finding the records a row's ``matchFields`` name: one exact search for many rows' keys.

Its own module because two steps ask it: the comparison before sending (:mod:`.unchanged`, which
needs the record to compare with) and the send itself (:mod:`.batch`, which searches again right
before its ``load``, so a record created meanwhile is updated rather than duplicated).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..client import OdooClient

__all__ = ["match_hits", "plain"]


def plain(value: Any) -> Any:
    """A match value as Odoo's search compares it: a many2one's [id, name] is its id, None false."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[1], str):
        return value[0]
    return False if value is None else value


def match_hits(
    client: OdooClient, model: str, match_fields: Sequence[str], keys: Sequence[tuple[Any, ...]]
) -> dict[tuple[Any, ...], list[int]]:
    """The ids of the records (archived included) each key matches exactly, sorted; a key that
    matches nothing is absent. One ``search_read`` for all the keys."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    domain: list[Any] = ["|"] * (len(keys) - 1)
    for key in keys:
        terms = [[name, "=", value] for name, value in zip(match_fields, key, strict=True)]
        domain += ["&"] * (len(terms) - 1) + terms
    found = client.call(
        model, "search_read", domain=domain, fields=list(match_fields), context={"active_test": False}
    )
    hits: dict[tuple[Any, ...], list[int]] = {}
    for record in found:
        hits.setdefault(tuple(plain(record.get(f)) for f in match_fields), []).append(int(record["id"]))
    return {key: sorted(ids) for key, ids in hits.items()}
