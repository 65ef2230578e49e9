"""Activities: schedule one on a record, mark one done (and schedule the next), list them; and the
two picklists their forms use, selectActivityType and selectUser.

What Odoo 19 does here, read in ``addons/mail/models/mail_activity*.py`` and checked on a real
server as an ordinary user, over JSON-2 and XML-RPC alike:

* ``<model>.activity_schedule`` (``mail.activity.mixin``, public) creates the activity on the
  record; the model must have activities (a model without them answers "method does not
  exist"). It takes any activity type, even one meant for another model (it only logs a
  warning), and leaves the activity unassigned without ``user_id``: both are checked or filled
  here. Creating needs the right to change the record (or to post on it): Odoo's refusal names no
  group, so ``check_access_rights`` (which changes nothing) is asked which groups would allow it.
* ``mail.activity.action_feedback`` marks it done: posts "done" with the feedback in the record's
  chatter, **archives** the activity (it stays readable by id, ``active`` false, ``date_done``
  set) and, for a type whose next activity is "triggered" (``chaining_type`` ``trigger``),
  creates that next one itself. It would post again on an activity already done, so a done
  activity is refused here before anything is sent.
* The "Done & Schedule Next" button (``action_feedback_schedule_next``) does the same, then opens
  an empty "Schedule an Activity" form on the record (with the completed type as the previous
  one and its due date as the base of the next one's). A flow has no form: the next activity is
  scheduled here from the inputs given, with the defaults that form would show.
* ``state`` (overdue, today, planned) is computed, not stored, so it cannot be searched: a list
  by state searches ``date_deadline`` against Odoo's relative dates (``"today"``, ``"today
  +1d"``), which Odoo reads in the call's time zone. The request never names a date, so the same
  list means the same thing tomorrow. Odoo computes each activity's own ``state`` in its
  assignee's zone, so around midnight an activity of someone far away may be listed under the
  neighbouring day.

Past 400 lines because the three actions share the lookups (type, user, due date) and the
activity's output shape, and the two picklists are the lookups' lists: one file a reader of
"activities" opens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from ..client import OdooClient
from ..errors import (
    AccessDeniedError,
    InputError,
    NotFoundError,
    OdooConnectorError,
    OdooValidationError,
    ServerError,
    TransportError,
)
from ..runtime import Envelope
from ..values.days import DAY_WORDS, add_delay, needs_today, parse_day, today_for
from ..values.users import find_user
from .batch_rows import no_answer, unanswered, unanswered_write
from .records import iter_records

__all__ = [
    "complete_activity",
    "list_activities",
    "schedule_activity",
    "select_activity_type",
    "select_user",
]

_READ = [
    "res_model",
    "res_id",
    "res_name",
    "activity_type_id",
    "summary",
    "note",
    "date_deadline",
    "state",
    "user_id",
]
_TYPE_FIELDS = [
    "name",
    "res_model",
    "default_user_id",
    "delay_count",
    "delay_unit",
    "delay_from",
    "triggered_next_type_id",
    "suggested_next_type_ids",
]
_EXTERNAL_ID = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
_NEXT = ("nextActivityType", "nextSummary", "nextNote", "nextDueDate", "nextAssignee")
_OPEN_STATES: dict[str, list[Any]] = {
    "overdue": [["date_deadline", "<", "today"]],
    "today": ["&", ["date_deadline", ">=", "today"], ["date_deadline", "<", "today +1d"]],
    "planned": [["date_deadline", ">=", "today +1d"]],
}


def activity(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``mail.activity`` row as the actions answer it: the record it is on (with its name), the
    type and the assignee as ``{id, name}``, ``null`` for what is empty."""
    return {
        "id": row["id"],
        "model": row.get("res_model") or None,
        "recordId": row.get("res_id") or None,
        "recordName": row.get("res_name") or None,
        "activityType": _pair(row.get("activity_type_id")),
        "summary": row.get("summary") or None,
        "note": row.get("note") or None,
        "dueDate": row.get("date_deadline") or None,
        "state": row.get("state") or None,
        "assignee": _pair(row.get("user_id")),
    }


def _pair(value: Any) -> dict[str, Any] | None:
    return {"id": value[0], "name": value[1]} if isinstance(value, list) and value else None


def _read_activity(client: OdooClient, activity_id: int, fields: list[str]) -> dict[str, Any]:
    try:
        rows = client.call("mail.activity", "read", [activity_id], fields=fields)
    except AccessDeniedError as exc:
        # Odoo's words name neither the rule nor a group: an activity is shown to its assignee
        # and to whoever may change (or post on) its record
        raise AccessDeniedError(
            f"This user may not see activity {activity_id}: Odoo shows an activity only to the user "
            "it is assigned to and to those who may change the record it is on.",
            groups=[],
            odoo_name=exc.odoo_name,
            status=exc.status,
            detail=exc.detail,
            hint="Assign the activity to the API user, or give the API user the right to change "
            "the record (the group that may change that model's records).",
        ) from None
    if not rows:
        raise NotFoundError(
            f"No activity with id {activity_id} (it does not exist, was deleted with its record, or "
            "is on a record this user cannot read).",
            hint="List the activities with listActivities.",
        )
    return dict(rows[0])


def _check_model(client: OdooClient, model: str, path: str = "model") -> None:
    """The model exists and has activities (``activity_ids``, from the cached ``fields_get``)."""
    try:
        fields = client.fields_get(model)
    except NotFoundError:
        raise InputError(
            f"There is no model {model!r} in this Odoo (or the user may not see it).",
            path=path,
            hint="Pick the model from the selectModel list.",
        ) from None
    if "activity_ids" not in fields:
        raise InputError(
            f"{model} has no activities: its records cannot be given activities in Odoo.",
            path=path,
            hint="Use a model with activities, such as res.partner, crm.lead or sale.order.",
        )


# --- the activity type ----------------------------------------------------------------------------


def _find_type(client: OdooClient, value: Any, model: str | None, path: str) -> dict[str, Any]:
    """The activity type ``value`` names (an id, an external ID such as
    ``mail.mail_activity_data_call``, or its name), or Odoo's default for ``model`` when None:
    the first by sequence of those valid for the model. Refused when it is for another model."""
    if value is None:
        rows = client.call(
            "mail.activity.type",
            "search_read",
            domain=_types_for(model),
            fields=_TYPE_FIELDS,
            order="sequence, id",
            limit=1,
        )
        if not rows:
            raise InputError(f"No activity type can be used on {model}.", path=path)
        return dict(rows[0])
    text = str(value).strip()
    if text.isdigit():
        rows = client.call("mail.activity.type", "read", [int(text)], fields=_TYPE_FIELDS)
    elif _EXTERNAL_ID.fullmatch(text):
        rows = _by_external_id(client, text, path)
    else:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = client.call(
            "mail.activity.type", "search_read", domain=[["name", "=ilike", escaped]], fields=_TYPE_FIELDS
        )
        if len(rows) > 1:  # one per model, say: those that fit this one, then the very spelling
            rows = [r for r in rows if not r["res_model"] or r["res_model"] == model] or rows
            rows = [r for r in rows if r["name"] == text] if len(rows) > 1 else rows
    if not rows:
        raise InputError(
            f"{path}: no activity type {text!r} that this user can see.",
            path=path,
            hint="Pick it from the selectActivityType list (a name, an id or an external ID).",
        )
    if len(rows) > 1:
        listed = ", ".join(f"id {r['id']} ({r['res_model'] or 'any model'})" for r in rows)
        raise InputError(f"{path}: {text!r} names several activity types: {listed}.", path=path)
    found = dict(rows[0])
    if model and found["res_model"] and found["res_model"] != model:
        raise InputError(
            f"{path}: the activity type {found['name']!r} is for {found['res_model']} records, not {model}.",
            path=path,
            hint=f"Pick a type from the selectActivityType list of {model}.",
        )
    return found


def _by_external_id(client: OdooClient, text: str, path: str) -> list[dict[str, Any]]:
    module, _, name = text.partition(".")
    try:
        target, res_id = client.call("ir.model.data", "check_object_reference", module=module, xml_id=name)
    except OdooValidationError as exc:
        if "not found" not in exc.message.lower():
            raise
        return []
    if target != "mail.activity.type":
        raise InputError(
            f"{path}: the external ID {text!r} names a {target} record, not an activity type.", path=path
        )
    return list(client.call("mail.activity.type", "read", [res_id], fields=_TYPE_FIELDS)) if res_id else []


def _types_for(model: str | None) -> list[Any]:
    return ["|", ["res_model", "=", False], ["res_model", "=", model]] if model else []


def _due(client: OdooClient, value: Any, path: str) -> date:
    """``dueDate`` as a day; refused before any request unless it counts from today."""
    text = str(value)
    today = today_for(client) if needs_today(text) else date.min
    day = parse_day(text, today)
    if day is None:
        raise InputError(
            f"{path}: {text!r} is not a day: give {DAY_WORDS}.",
            path=path,
            hint='For example "2026-12-24" or "in 2 days".',
        )
    return day


def _type_delay(client: OdooClient, kind: Mapping[str, Any], previous: str | None = None) -> date:
    """The due date Odoo's form proposes for a type: its delay after today, or after the previous
    activity's due date when the type counts from it (``delay_from``)."""
    start = today_for(client)
    if previous and kind.get("delay_from") == "previous_activity":
        start = date.fromisoformat(previous)
    return add_delay(start, int(kind.get("delay_count") or 0), str(kind.get("delay_unit") or "days"))


# --- scheduleActivity ---------------------------------------------------------------------------


def _plan(
    client: OdooClient, model: str, inputs: Mapping[str, Any], names: tuple[str, ...], **defaults: Any
) -> dict[str, Any]:
    """``activity_schedule``'s values from the inputs named ``names`` (type, summary, note, due
    date, assignee), every one checked and looked up before anything is written."""
    type_key, summary_key, note_key, due_key, user_key = names
    given_due = inputs.get(due_key)
    due = _due(client, given_due, due_key) if given_due is not None else None
    kind = _find_type(client, inputs.get(type_key, defaults.get("type_id")), model, type_key)
    assignee = inputs.get(user_key)
    if assignee is not None:
        user_id = find_user(client, assignee, path=user_key)
    elif kind.get("default_user_id"):
        user_id = int(kind["default_user_id"][0])
    else:
        user_id = client.uid()
    if due is None:
        due = _type_delay(client, kind, defaults.get("previous_deadline"))
    values: dict[str, Any] = {
        "activity_type_id": kind["id"],
        "date_deadline": due.isoformat(),
        "user_id": user_id,
    }
    if inputs.get(summary_key):
        values["summary"] = inputs[summary_key]
    if inputs.get(note_key):
        values["note"] = inputs[note_key]
    return values


def _schedule(client: OdooClient, model: str, record_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
    try:
        created = client.call(model, "activity_schedule", [record_id], **values)
    except AccessDeniedError as exc:
        raise _write_right(client, model, record_id, exc) from None
    except (ServerError, TransportError) as exc:
        if unanswered(exc):  # never sent again: a second activity would be scheduled
            lost = no_answer(
                f"The activity on {model} record {record_id}", "listActivities", done="scheduled"
            )
            raise unanswered_write(exc, f"{exc.message} {lost}") from None
        raise
    new_id = created[0] if isinstance(created, list) else created
    return activity(_read_activity(client, int(new_id), _READ))


def _write_right(client: OdooClient, model: str, record_id: int, exc: AccessDeniedError) -> AccessDeniedError:
    """Odoo's refusal to create the activity names no group: ask ``check_access_rights`` (which
    changes nothing) whether the user may change the model's records at all; its refusal names
    the groups that may. When it may, a record rule keeps this record from the user."""
    try:
        client.call(model, "check_access_rights", operation="write", idempotent=True)
    except AccessDeniedError as refusal:
        return AccessDeniedError(
            f"Scheduling an activity on {model} record {record_id} needs the right to change it. "
            f"Odoo said: {refusal.message}",
            groups=refusal.groups,
            odoo_name=exc.odoo_name,
            status=exc.status,
            detail=exc.detail,
        )
    except OdooConnectorError:
        return exc
    return AccessDeniedError(
        f"{exc.message.strip()} (Scheduling an activity on {model} record {record_id}: the user may "
        f"change {model} records, but a record rule keeps this one from them.)",
        groups=[],
        odoo_name=exc.odoo_name,
        status=exc.status,
        detail=exc.detail,
        hint="Check the record's company and owner (e.g. a salesperson's own leads only), or ask an "
        "Odoo administrator for the right to change it.",
    )


def _require_record(client: OdooClient, model: str, record_id: int) -> None:
    if not client.call(model, "read", [record_id], fields=["display_name"]):
        raise NotFoundError(
            f"No {model} record with id {record_id} (it does not exist or was deleted).",
            hint="Pick the record from the selectRecordById list.",
        )


def schedule_activity(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Schedules one activity on a record the user may read and change; returns it as read back.

    Defaults are those of Odoo's "Schedule Activity" form: the first type valid for the model,
    the type's own delay for the due date, the type's default user or else the API user (Odoo
    itself would leave the activity unassigned). Not retried after a timeout (a second one would
    be scheduled)."""
    model, record_id = inputs["model"], inputs["recordId"]
    names = ("activityType", "summary", "note", "dueDate", "assignee")
    if inputs.get("dueDate") is not None and not needs_today(str(inputs["dueDate"])):
        _due(client, inputs["dueDate"], "dueDate")  # a date that is not one: before any request
    _check_model(client, model)
    _require_record(client, model, record_id)
    return _schedule(client, model, record_id, _plan(client, model, inputs, names))


# --- completeActivity ---------------------------------------------------------------------------


def complete_activity(client: OdooClient, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Marks an activity done with an optional feedback, as its "Done" button does; with
    ``scheduleNext``, schedules the next one as "Done & Schedule Next" then does.

    Everything the next activity needs is looked up before the activity is marked done, so a
    misspelt type or user stops the action with nothing changed. Odoo creates the next activity
    itself for a type that triggers one: that one is reported (and given the ``next…`` values
    that were set). A done activity is refused: Odoo would post "done" a second time."""
    activity_id: int = inputs["activityId"]
    schedule_next = bool(inputs.get("scheduleNext"))
    given = [name for name in _NEXT if inputs.get(name) not in (None, "")]
    if given and not schedule_next:
        raise InputError(
            f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for the next activity, and "
            "scheduleNext is off.",
            path=given[0],
            hint="Set scheduleNext to true to schedule the next activity, or leave the next… inputs empty.",
        )
    if inputs.get("nextDueDate") is not None and not needs_today(str(inputs["nextDueDate"])):
        _due(client, inputs["nextDueDate"], "nextDueDate")
    row = _read_activity(client, activity_id, [*_READ, "active", "date_done", "chaining_type"])
    if not row["active"]:
        raise OdooValidationError(
            f"Activity {activity_id} was already marked done on {row.get('date_done') or 'an earlier day'}: "
            "nothing was changed.",
            hint="An activity is marked done once; schedule a new one with scheduleActivity.",
        )
    model, record_id = row.get("res_model") or None, row.get("res_id") or None
    previous_type = _pair(row.get("activity_type_id"))
    plan: dict[str, Any] | None = None
    if schedule_next:
        if not model or not record_id:
            raise InputError(
                f"Activity {activity_id} is on no record, so there is nothing to schedule the next one on.",
                path="scheduleNext",
            )
        plan = _plan(
            client,
            model,
            inputs,
            _NEXT,
            type_id=inputs.get("nextActivityType") or _suggested(client, previous_type),
            previous_deadline=row.get("date_deadline"),
        )
        plan["previous_activity_type_id"] = previous_type["id"] if previous_type else False
    message = client.call(
        "mail.activity", "action_feedback", [activity_id], feedback=inputs.get("feedback") or False
    )
    done = {
        "id": activity_id,
        "done": True,
        "messageId": message if isinstance(message, int) and not isinstance(message, bool) else None,
        "model": model,
        "recordId": record_id,
        "recordName": row.get("res_name") or None,
        "nextActivity": None,
    }
    try:
        if row.get("chaining_type") == "trigger" and model and previous_type:
            done["nextActivity"] = _triggered(
                client, activity_id, model, record_id, previous_type["id"], plan, given
            )
        elif plan is not None and model and record_id:
            done["nextActivity"] = _schedule(client, model, record_id, plan)
    except OdooConnectorError as exc:
        raise type(exc)(
            f"Activity {activity_id} was marked done, but the next activity could not be scheduled: "
            f"{exc.message}",
            hint="Schedule it with scheduleActivity; running completeActivity again only says the "
            "activity is done.",
            odoo_name=exc.odoo_name,
            status=exc.status,
            detail=exc.detail,
        ) from None
    return done


def _suggested(client: OdooClient, previous: dict[str, Any] | None) -> int | None:
    """The type Odoo's form proposes after ``previous``: its triggered or first suggested next
    type, else the same type again (a follow-up call after a call)."""
    if previous is None:
        return None
    rows = client.call("mail.activity.type", "read", [previous["id"]], fields=_TYPE_FIELDS)
    if rows:
        if rows[0].get("triggered_next_type_id"):
            return int(rows[0]["triggered_next_type_id"][0])
        if rows[0].get("suggested_next_type_ids"):
            return int(rows[0]["suggested_next_type_ids"][0])
    return int(previous["id"])


def _triggered(
    client: OdooClient,
    activity_id: int,
    model: str,
    record_id: Any,
    type_id: int,
    plan: dict[str, Any] | None,
    given: list[str],
) -> dict[str, Any] | None:
    """The activity Odoo created itself after ``activity_id`` (a type that triggers its next),
    given the ``next…`` values that were set."""
    rows = client.call(
        "mail.activity",
        "search_read",
        domain=[
            ["res_model", "=", model],
            ["res_id", "=", record_id],
            ["previous_activity_type_id", "=", type_id],
            ["id", ">", activity_id],
        ],
        fields=_READ,
        order="id desc",
        limit=1,
    )
    if not rows:
        return None
    if plan is not None and given:
        keys = {
            "nextActivityType": "activity_type_id",
            "nextSummary": "summary",
            "nextNote": "note",
            "nextDueDate": "date_deadline",
            "nextAssignee": "user_id",
        }
        values = {keys[name]: plan[keys[name]] for name in given}
        client.call("mail.activity", "write", [rows[0]["id"]], vals=values)
        return activity(_read_activity(client, rows[0]["id"], _READ))
    return activity(rows[0])


# --- listActivities -----------------------------------------------------------------------------


def activity_domain(client: OdooClient, inputs: Mapping[str, Any]) -> list[Any]:
    """The search listActivities runs: the model and record, the assignee, the states."""
    domain: list[Any] = []
    if inputs.get("recordId") and not inputs.get("model"):
        raise InputError("recordId needs the model the record belongs to.", path="model")
    if inputs.get("model"):
        _check_model(client, inputs["model"])
        domain.append(["res_model", "=", inputs["model"]])
    if inputs.get("recordId"):
        domain.append(["res_id", "=", inputs["recordId"]])
    if inputs.get("assignedTo", "me") == "me":
        domain.append(["user_id", "=", client.uid()])
    states: list[str] = list(dict.fromkeys(inputs.get("state") or ["overdue", "today", "planned"]))
    open_states = [s for s in states if s in _OPEN_STATES]
    terms: list[list[Any]] = [_OPEN_STATES[s] for s in open_states]
    dates = ["|"] * (len(terms) - 1) + [t for term in terms for t in term]
    if "done" in states:
        archived: list[Any] = [["active", "=", False]]
        domain += ["|", *archived, "&", ["active", "=", True], *dates] if terms else archived
    elif terms and len(open_states) < len(_OPEN_STATES):
        domain += dates
    return domain


def list_activities(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Activities by due date (then id), one page (``limit``, ``offset``) or, with ``fetchAll``,
    every one page by page as listRecords reads them."""
    domain = activity_domain(client, inputs)
    if inputs.get("fetchAll"):
        rows = iter_records(client, "mail.activity", domain=domain, fields=_READ, order="date_deadline asc")
        return [activity(row) for row in rows]
    page = client.call(
        "mail.activity",
        "search_read",
        domain=domain,
        fields=_READ,
        order="date_deadline asc, id asc",
        limit=inputs.get("limit", 10),
        offset=inputs.get("offset", 0),
    )
    return [activity(row) for row in page]


# --- the picklists --------------------------------------------------------------------------------


def select_activity_type(client: OdooClient, inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    """The activity types valid for ``model`` (those for any model and those for it), in Odoo's
    order; without a model every type, those meant for one model labelled with it."""
    model = inputs.get("model")
    if model:
        _check_model(client, model)
    rows = client.call(
        "mail.activity.type",
        "search_read",
        domain=_types_for(model),
        fields=["name", "res_model"],
        order="sequence, id",
    )
    return [
        {
            "key": str(r["id"]),
            "label": r["name"] if model or not r["res_model"] else f"{r['name']} ({r['res_model']})",
        }
        for r in rows
    ]


def select_user(client: OdooClient, inputs: Mapping[str, Any]) -> Envelope:
    """Internal users to assign, labelled "Name (login)", searched on the server by name or login,
    bounded by ``limit`` with ``truncated`` when more matched."""
    limit: int = inputs.get("limit", 100)
    search = str(inputs.get("search") or "").strip()
    domain: list[Any] = [["share", "=", False]]
    if search:
        domain += ["|", ["name", "ilike", search], ["login", "ilike", search]]
    rows = client.call(
        "res.users", "search_read", domain=domain, fields=["name", "login"], order="name, id", limit=limit + 1
    )
    options = [{"key": str(r["id"]), "label": f"{r['name']} ({r['login']})"} for r in rows[:limit]]
    return Envelope(options, truncated=len(rows) > limit)
