"""recordWebhookTrigger: Odoo's own webhooks for speed, a slow poll for certainty, deletions too.

Odoo 19 pushes a change itself when an automation rule (``base.automation``) runs a "Send Webhook
Notification" server action. What it does, measured on a real Odoo 19.0, decides the design:

* **It sends once and forgets.** After the commit, one POST, a 1-second timeout, no retry, no
  signature. A receiver that is down or slow loses the change for good. So every subscription
  also polls, on a slow schedule, with the ``pollChangesTrigger`` machinery (:func:`reconcile`),
  and emits only what the webhooks missed. Deletions cannot be polled (the record is gone), so a
  lost deletion POST stays lost; that is the one gap.
* **It sends many times.** One create arrived as 13 identical POSTs (the rule fires for the create
  and for every write of the same transaction). The receiver keeps the (id, write_date) of what
  it emitted, to the microsecond the bodies carry, and drops the copies without asking Odoo; the
  rule is the one in :mod:`.dedupe`, shared with the poll, so a change is emitted once whichever
  path saw it first.
* **Anyone may post.** No signature, so the rule's URL carries a random secret per subscription
  (``?token=…``), compared in constant time with the stored SHA-256. The state keeps only the
  hash: states are stored and shown (``poll`` prints them). But Odoo itself writes that URL,
  secret included, to its server log on every post, so a post is trusted for nothing but "this
  record may have changed": :mod:`.webhook_posts` reads the record from Odoo before emitting it.
* **Only administrators may create rules** (Odoo's "Role / Administrator"); an ordinary user gets
  403, and the module may not be installed at all. :func:`subscribe` says which, and points to
  ``pollChangesTrigger``, which needs no rights.

The lifecycle (``subscribe``, ``exists``, ``unsubscribe``, ``receive``, the last in
:mod:`.webhook_posts`)
is declared in ``connector.yaml`` under the trigger's ``lifecycle``, so a platform knows to call
it; the handler itself is :func:`reconcile`, the poll a platform (or ``watch --listen``) runs on
a slow schedule.

Subscription state, one JSON object a platform stores (``version`` 1)::

    {"version", "model", "url" (the webhookUrl, without the secret), "ruleIds", "actionIds",
     "secretSha256", "branches", "fields", "domain", "context" (what a post's record is read
     with), "poll" (pollChangesTrigger's state), "received" {id: write_date emitted},
     "deleted" {id: write_date}}
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ..client import OdooClient
from ..connections import Connection, parse_connection
from ..domain import validate_domain
from ..errors import AccessDeniedError, InputError, NotFoundError, OdooConnectorError, register_secret
from .dedupe import STAMP, already_emitted, in_window, shift
from .poll_changes import poll_changes

__all__ = [
    "KEY",
    "LOOKBACK",
    "STATE_VERSION",
    "Unauthorized",
    "exists",
    "load_state",
    "prune",
    "reconcile",
    "secret_hash",
    "subscribe",
    "unsubscribe",
]

KEY = "recordWebhookTrigger"
STATE_VERSION = 1
# Prefix of every subscription secret: recognisable, so a test recording can scrub it anywhere.
SECRET_PREFIX = "ocwh_"  # noqa: S105 (a prefix, not a secret)
LOOKBACK = 300
# Deleted ids remembered to drop repeated deletion POSTs; ids are never reused, so the newest
# few thousand are plenty (a deletion's copies arrive within milliseconds).
_DELETED_KEPT = 5000
ALWAYS_SENT = ("create_date", "write_date")
BRANCH_FLAGS = {
    "created": "showNewRecords",
    "updated": "showUpdatedRecords",
    "deleted": "showDeletedRecords",
}
_POLL_INPUTS = ("model", "domain", "fields", "showNewRecords", "showUpdatedRecords", "context")
POLL_HINT = "use pollChangesTrigger instead: it polls, and needs no administrator rights and no module."


class Unauthorized(InputError):
    """A POST without this subscription's secret: answer 401 and emit nothing."""

    status_code = 401


def _poll_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: inputs[k] for k in _POLL_INPUTS if k in inputs}
    out["lookbackSeconds"] = LOOKBACK
    return out


def secret_hash(token: str) -> str:
    """What the state keeps of a subscription's secret."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _hook_url(base: str, token: str, event: str) -> str:
    separator = "&" if urlsplit(base).query else "?"
    return f"{base}{separator}{urlencode({'token': token, 'event': event})}"


def _rule_name(model: str, url: str, event: str) -> str:
    host = urlsplit(url).hostname or url
    suffix = " (deleted)" if event == "delete" else ""
    return f"odoo-connector: {model} → {host}{suffix}"


def _check_url(url: Any) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            "The webhook URL must start with https:// or http:// and name a host Odoo can reach.",
            path="webhookUrl",
        )
    if "token" in parse_qs(parts.query):
        raise InputError("The webhook URL must not carry a 'token' parameter: the trigger adds its own.")
    return str(url)


def _rights_error(exc: OdooConnectorError, model: str) -> OdooConnectorError:
    """Why Odoo refused to create the rules, in words that say what to do."""
    if isinstance(exc, AccessDeniedError):
        return AccessDeniedError(
            f"Odoo refused to create the automation rules that send {model}'s webhooks: {exc.message}",
            hint="Use a connection of a user with Role / Administrator, or " + POLL_HINT,
            groups=["Role / Administrator"],
            odoo_name=exc.odoo_name,
            status=exc.status,
        )
    if isinstance(exc, NotFoundError):
        return NotFoundError(
            "The Odoo module Automation Rules (base_automation) is not installed, so Odoo cannot "
            "send webhooks.",
            hint="Install Automation Rules under Apps, or " + POLL_HINT,
            odoo_name=exc.odoo_name,
            status=exc.status,
        )
    return exc


def subscribe(
    connection: Connection | Mapping[str, Any],
    inputs: Mapping[str, Any],
    webhook_url: str,
    *,
    client: OdooClient | None = None,
) -> dict[str, Any]:
    """Creates the two rules (created/updated, deleted) with their webhook actions; returns the
    subscription state.

    The poll's baseline is taken *before* the rules exist: a change made between the two is then
    newer than the baseline and the first reconciliation emits it. The other order would bury it
    in the baseline.
    """
    from ..manifest import load_manifest
    from ..runtime import validate_inputs

    checked = validate_inputs(load_manifest().unit(KEY), inputs)
    url = _check_url(webhook_url)
    model: str = checked["model"]
    domain = validate_domain(checked.get("domain", []))
    with _odoo(connection, client) as odoo:
        try:
            # Asked first: Odoo's answer names the group (or the missing module) before any work.
            odoo.call("base.automation", "search_count", domain=[["id", "=", 0]])
        except (AccessDeniedError, NotFoundError) as exc:
            raise _rights_error(exc, model) from None
        baseline = poll_changes(odoo, _poll_inputs(checked), None)["state"]
        token = SECRET_PREFIX + secrets.token_urlsafe(24)
        register_secret(token)
        try:
            rule_ids, action_ids = _create_rules(odoo, model, domain, checked.get("fields") or [], url, token)
        except AccessDeniedError as exc:
            raise _rights_error(exc, model) from None
    return {
        "version": STATE_VERSION,
        "model": model,
        "url": url,
        "ruleIds": rule_ids,
        "actionIds": action_ids,
        "secretSha256": secret_hash(token),
        # receive(connection, state, request) needs no inputs: what to emit and how to read a
        # posted record travel in the state
        "branches": [b for b, flag in BRANCH_FLAGS.items() if checked.get(flag, True)],
        "fields": list(checked.get("fields") or []),
        "domain": domain,
        **({"context": dict(checked["context"])} if checked.get("context") else {}),
        "poll": baseline,
        "received": {},
        "deleted": {},
    }


def _create_rules(
    client: OdooClient, model: str, domain: list[Any], fields: list[str], url: str, token: str
) -> tuple[list[int], list[int]]:
    """Both rules and their actions in one ``create``: one transaction, so either both exist or
    neither does, and a failure leaves nothing behind to clean up."""
    model_ids: list[int] = client.call("ir.model", "search", domain=[["model", "=", model]], limit=1)
    if not model_ids:
        raise InputError(f"Odoo has no model {model!r}.", path="model")
    wanted = [*dict.fromkeys([*fields, *ALWAYS_SENT])]
    found = client.call(
        "ir.model.fields",
        "search_read",
        domain=[["model", "=", model], ["name", "in", wanted]],
        fields=["name"],
    )
    unknown = sorted(set(wanted) - {f["name"] for f in found})
    if unknown:
        raise InputError(f"The model {model} has no field(s) {', '.join(unknown)}.", path="fields")
    field_ids = sorted(f["id"] for f in found)
    # Odoo evaluates filter_domain as a Python literal: True/False/None, not JSON's spelling.
    rules = []
    for trigger, event in (("on_create_or_write", "change"), ("on_unlink", "delete")):
        name = _rule_name(model, url, event)
        action = {
            "name": name,
            "model_id": model_ids[0],
            "state": "webhook",
            "usage": "base_automation",
            "webhook_url": _hook_url(url, token, event),
            "webhook_field_ids": [[6, 0, field_ids]],
        }
        rule: dict[str, Any] = {
            "name": name,
            "model_id": model_ids[0],
            "trigger": trigger,
            "action_server_ids": [[0, 0, action]],
        }
        if domain:
            rule["filter_domain"] = repr(domain)
        rules.append(rule)
    rule_ids: list[int] = client.call("base.automation", "create", vals_list=rules)
    read = client.call("base.automation", "read", rule_ids, fields=["action_server_ids"])
    action_ids = sorted(a for row in read for a in row["action_server_ids"])
    return rule_ids, action_ids


def unsubscribe(
    connection: Connection | Mapping[str, Any],
    state: Mapping[str, Any],
    *,
    client: OdooClient | None = None,
) -> dict[str, Any]:
    """Deletes exactly the subscription's rules and actions; returns what was still there.

    Idempotent: what is already gone (deleted by a person, or by an earlier unsubscribe) is
    skipped, so calling it twice, or after a crash half-way, is safe.
    """
    checked = load_state(state)
    with _odoo(connection, client) as odoo:
        rules, actions = _still_there(odoo, checked)
        if rules:
            odoo.call("base.automation", "unlink", rules)
        # Odoo deletes a rule's actions with it; one left over (its rule deleted by hand) goes too.
        ours = [["id", "in", checked["actionIds"]]]
        left: list[int] = odoo.call("ir.actions.server", "search", domain=ours) if actions else []
        if left:
            odoo.call("ir.actions.server", "unlink", left)
    return {"ruleIds": sorted(rules), "actionIds": sorted(actions)}


def exists(
    connection: Connection | Mapping[str, Any],
    state: Mapping[str, Any],
    *,
    client: OdooClient | None = None,
) -> dict[str, Any]:
    """Whether the subscription still works in Odoo: every rule of ``state`` is there and active.

    A platform calls it when it starts again after a crash, or before trusting a stored state
    (n8n's ``checkExists``): on ``{"exists": false}`` it calls :func:`unsubscribe` (which removes
    what is left) and :func:`subscribe` again. A rule someone archived or deleted in Odoo posts
    nothing, so it counts as missing. Reads only: two searches.
    """
    checked = load_state(state)
    with _odoo(connection, client) as odoo:
        rules, actions = _still_there(odoo, checked)
    missing_rules = sorted(set(checked["ruleIds"]) - set(rules))
    missing_actions = sorted(set(checked["actionIds"]) - set(actions))
    return {
        "exists": not missing_rules and not missing_actions,
        "missingRuleIds": missing_rules,
        "missingActionIds": missing_actions,
    }


@contextmanager
def _odoo(connection: Connection | Mapping[str, Any], client: OdooClient | None) -> Iterator[OdooClient]:
    """The caller's client, or one made for this call and closed after it."""
    if client is not None:
        yield client
        return
    from ..client import make_client

    odoo = make_client(parse_connection(connection))
    try:
        yield odoo
    finally:
        odoo.close()


def _still_there(odoo: OdooClient, checked: Mapping[str, Any]) -> tuple[list[int], list[int]]:
    """The subscription's rules and actions Odoo still has, active ones only (Odoo's active_test
    leaves archived rules out: an archived rule posts nothing)."""
    rules: list[int] = odoo.call("base.automation", "search", domain=[["id", "in", checked["ruleIds"]]])
    actions: list[int] = odoo.call("ir.actions.server", "search", domain=[["id", "in", checked["actionIds"]]])
    return rules, actions


def _refuse(why: str) -> InputError:
    return InputError(
        f"The subscription state is not one recordWebhookTrigger wrote: {why}.",
        hint="Subscribe again (watch --listen with --reset) to create new rules.",
    )


def load_state(state: Any) -> dict[str, Any]:
    """The subscription state, checked whole (a copy: the caller may change it)."""
    if not isinstance(state, Mapping):
        raise _refuse("it is not an object (subscribe first)")
    if state.get("version") != STATE_VERSION:
        raise _refuse(f"its version is {state.get('version')!r}")
    for name in ("ruleIds", "actionIds"):
        ids = state.get(name)
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise _refuse(f"{name} is not a list of ids")
    if not (isinstance(state.get("secretSha256"), str) and len(state["secretSha256"]) == 64):
        raise _refuse("it has no secretSha256")
    if not isinstance(state.get("model"), str) or not isinstance(state.get("url"), str):
        raise _refuse("it names no model or url")
    for name in ("received", "deleted"):
        seen = state.get(name)
        if not isinstance(seen, Mapping) or not all(
            isinstance(k, str) and k.isdigit() and isinstance(v, str) and STAMP.fullmatch(v)
            for k, v in seen.items()
        ):
            raise _refuse(f"its {name!r} entry is not a map of record ids to times")
    if not isinstance(state.get("poll"), Mapping):
        raise _refuse("it has no poll state")
    branches = state.get("branches", list(BRANCH_FLAGS))
    if not isinstance(branches, list) or not set(branches) <= set(BRANCH_FLAGS):
        raise _refuse("its branches are not a list of created, updated, deleted")
    # Written since posts are read back from Odoo; a state from before has none of them.
    fields = state.get("fields", [])
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise _refuse("its fields are not a list of field names")
    if not isinstance(state.get("domain", []), list) or not isinstance(state.get("context", {}), Mapping):
        raise _refuse("its domain is not a list or its context not an object")
    return {**state, "received": dict(state["received"]), "deleted": dict(state["deleted"])}


def prune(state: dict[str, Any]) -> dict[str, Any]:
    """Forgets what no path can meet again: received changes older than the poll's look-back
    (the poll never reads that far back again), and all but the newest deleted ids."""
    cursor = state["poll"].get("cursor")
    if cursor:
        state["received"] = in_window(state["received"], shift(cursor, LOOKBACK))
    deleted = state["deleted"]
    if len(deleted) > _DELETED_KEPT:
        state["deleted"] = dict(list(deleted.items())[-_DELETED_KEPT:])
    return state


def reconcile(client: OdooClient, inputs: Mapping[str, Any], state: Any) -> dict[str, Any]:
    """The trigger's handler: one reconciliation poll of a subscription.

    Runs ``pollChangesTrigger`` with the subscription's poll state and emits only the changes no
    webhook delivered (a change the receiver emitted is in ``received``). Deletions are not
    polled: a deleted record cannot be read.
    """
    if state is None:
        raise InputError(
            "recordWebhookTrigger polls only a subscription: subscribe first and pass its state.",
            hint="odoo-connector watch recordWebhookTrigger --listen … --public-url … subscribes.",
        )
    checked = load_state(state)
    if checked["model"] != inputs["model"]:
        raise InputError(f"The subscription is for {checked['model']!r}, not {inputs['model']!r}.")
    result = poll_changes(client, _poll_inputs(inputs), checked["poll"])
    received, gone = checked["received"], checked["deleted"]
    for record in (*result["data"]["created"], *result["data"]["updated"]):
        # Odoo just returned it, so it exists, whatever a deletion post said (ids are never
        # reused): a state from before posts were checked may hold a forged deletion.
        gone.pop(str(record["id"]), None)

    def missed(record: Mapping[str, Any]) -> bool:
        return not already_emitted(record["id"], record["write_date"], received)

    # A record a webhook already emitted is not new, whatever the poll (which did not see that)
    # concludes from its own state.
    created, updated = [], [r for r in result["data"]["updated"] if missed(r)]
    for record in result["data"]["created"]:
        if not missed(record):
            continue
        if str(record["id"]) not in received:
            created.append(record)
        elif inputs.get("showUpdatedRecords", True):
            updated.append(record)
    checked["poll"] = result["state"]
    return {
        "data": {"created": created, "updated": updated, "deleted": []},
        "state": prune(checked),
        "polledNoChanges": not (created or updated),
    }
