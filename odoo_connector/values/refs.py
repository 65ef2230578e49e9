"""Related records named the way a person names them: ``{"name": "Belgium"}`` or
``{"externalId": "__import__.customer_42"}``, turned into database ids.

Two Odoo calls do it, both open to an ordinary user:

* ``name_search(name, operator="=ilike")``: an exact match, case-insensitive, on the fields the
  model searches by name (``res.country`` by name and code, ``res.partner`` by its complete name
  and email). ``=ilike`` is SQL ``ILIKE`` without added wildcards, so ``%``, ``_`` and ``\\`` in a
  name are escaped here, or "bench_lead" would match "benchXlead". Several matches are an error
  listing them, unless exactly one has the very name given (case included).
* ``ir.model.data/check_object_reference(module, xml_id)``: ``ir.model.data`` itself needs the
  Access Rights group, this method does not. It answers "not found" with an error, and
  ``[model, false]`` for a record the user may not read.

Each distinct (model, name) or external ID is asked once per conversion: 50 order lines naming
one product cost one request. Lookups are reads, retried safely by the transport.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..client import OdooClient
from ..errors import OdooValidationError

__all__ = ["Ref", "Resolver"]

_CANDIDATES = 5  # listed when a name is ambiguous


@dataclass(frozen=True)
class Ref:
    """A related record to look up: by ``name`` or by ``external_id``, in ``model``."""

    model: str
    by: str  # "name" | "externalId"
    key: str


class Resolver:
    """Looks up :class:`Ref` s, each distinct one once; returns an id or a problem's text."""

    def __init__(self, client: OdooClient) -> None:
        self.client = client
        self._done: dict[Ref, int | str] = {}
        self.requests = 0

    def resolve(self, ref: Ref) -> int | str:
        """The record's id, or a sentence saying why there is none (never raises for a miss)."""
        if ref not in self._done:
            self.requests += 1
            self._done[ref] = self._by_name(ref) if ref.by == "name" else self._by_external_id(ref)
        return self._done[ref]

    def _by_name(self, ref: Ref) -> int | str:
        escaped = ref.key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.client.call(
            ref.model, "name_search", name=escaped, operator="=ilike", limit=_CANDIDATES + 1
        )
        matches = [(int(row[0]), str(row[1])) for row in rows]
        if len(matches) == 1:
            return matches[0][0]
        exact = [m for m in matches if m[1] == ref.key]
        if len(exact) == 1:
            return exact[0][0]
        if not matches:
            return (
                f"no {ref.model} record named {ref.key!r} that this user can see (the name must "
                "match whole, case aside)"
            )
        listed = ", ".join(f"{name!r} (id {i})" for i, name in matches[:_CANDIDATES])
        more = " and more" if len(matches) > _CANDIDATES else ""
        return (
            f"{ref.key!r} names several {ref.model} records: {listed}{more}; give the one meant by "
            f'its id ({{"id": {matches[0][0]}}})'
        )

    def _by_external_id(self, ref: Ref) -> int | str:
        module, _, name = ref.key.partition(".")
        try:
            model, res_id = self.client.call(
                "ir.model.data", "check_object_reference", module=module, xml_id=name
            )
        except OdooValidationError as exc:
            if "not found" in exc.message.lower():
                return f"no record has the external ID {ref.key!r}"
            raise
        if model != ref.model:
            return f"the external ID {ref.key!r} names a {model} record, not a {ref.model} one"
        if not res_id:
            return f"the {ref.model} record with the external ID {ref.key!r} is not visible to this user"
        return int(res_id)
