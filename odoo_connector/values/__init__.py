"""Field values, in one place (STYLE.md), so no handler converts a value itself.

* :mod:`.write`: what a person writes (a country by name, a selection label, an ISO datetime)
  into what Odoo's ``create`` and ``write`` take; used by createRecord and updateRecord.
* :mod:`.refs`: related records by name or external ID, looked up once each.
* :mod:`.readonly`: read-only fields in an update, dropped when unchanged (a read sent back).
* :mod:`.compare`: whether a value to write equals the record's current one (read-only fields,
  and the batch actions' skipUnchanged).
* :mod:`.problems`: every problem of a record reported together.
* :mod:`.load`: values as the text cells of Odoo's import engine (``load``), for the batch actions.
* :mod:`.friendly`: records as read, in the shape a flow maps (``format: friendly``).
* :mod:`.days`: days as people write them (``in 2 days``), for an activity's due date.
* :mod:`.users`: a user by id, login or name (an activity's assignee).
"""

from __future__ import annotations

from .compare import same_value
from .friendly import friendly_record
from .load import ValueRefused, load_column, load_row
from .write import Converter, to_odoo

__all__ = ["Converter", "ValueRefused", "friendly_record", "load_column", "load_row", "same_value", "to_odoo"]
