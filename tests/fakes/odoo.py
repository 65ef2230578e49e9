"""A small, stateful Odoo 19 for tests: JSON-2 and XML-RPC served by an ``httpx.BaseTransport``.

It models what the connector depends on and nothing else, so a test can reproduce the situations
that lose or repeat records against a real server:

* **The server's clock**, set by the test (``fake.clock``, ``fake.advance``). Like Odoo,
  ``write_date``/``create_date`` are the clock at the *start* of the transaction, to the second.
* **Late commits**: ``tx = fake.begin()`` opens a transaction stamped now; what it creates or
  writes stays invisible until ``tx.commit()``, however far the clock has moved by then.
* **Failures and concurrent writes**: ``fake.fail_on("search_read", nth=2)`` answers the second
  ``search_read`` from now with an Odoo error; ``fake.on_call(...)`` runs any action (a write by
  "another user") just before a call is served.
* **Cost**: ``fake.calls`` logs every HTTP request as ``(model or endpoint, method)``.
* **Record rules**: ``fake.hide(model, ids)`` hides records from the user as a rule does.
* **Webhooks** (``fake.install_automation()``): ``base.automation`` rules with "Send Webhook
  Notification" actions, stored like Odoo's; after each commit a matching rule posts Odoo's body
  (``{"_action", "_id", "_model", "id", <fields>}``, datetimes with microseconds) through
  ``fake.send_webhook(url, body)``. ``fake.drop_webhooks(n)`` loses the next n posts (Odoo sends
  once, never retries), ``fake.webhook_copies = k`` sends each one k times (one create arrived as
  13 identical posts on a real Odoo 19).

Errors are answered the way Odoo 19 answers them (see the connector's ``client/mapping.py``):
JSON-2 bodies ``{"name", "message", "arguments", "context", "debug"}`` with Odoo's statuses,
XML-RPC faults with Odoo's integer codes.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import hashlib
import json
import xmlrpc.client
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

__all__ = ["API_KEY", "DATABASE", "LOGIN", "PASSWORD", "UID", "FakeOdoo", "OdooFault", "Transaction"]

FMT = "%Y-%m-%d %H:%M:%S"
API_KEY = "fake-api-key-0123456789"
DATABASE = "fakedb"
LOGIN = "bot@example.com"
PASSWORD = "fake-password-xyz"
UID = 2
VERSION_INFO = [19, 0, 0, "final", 0, ""]

# kind -> (JSON-2 status, Odoo exception name, XML-RPC fault code), as Odoo 19 answers them.
_FAULTS: dict[str, tuple[int, str, int]] = {
    "server": (500, "psycopg2.errors.SerializationFailure", 1),
    "access": (403, "odoo.exceptions.AccessError", 4),
    "missing": (404, "odoo.exceptions.MissingError", 2),
    "value": (500, "builtins.ValueError", 1),
    "notfound": (404, "werkzeug.exceptions.NotFound", 2),
    "signature": (422, "werkzeug.exceptions.UnprocessableEntity", 1),
}
_DEFAULT_MESSAGES = {
    "server": "could not serialize access due to concurrent update",
    "access": "You are not allowed to access 'Contact' (res.partner) records.",
}
_MAGIC = {
    "id": "integer",
    "name": "char",
    "display_name": "char",
    "create_date": "datetime",
    "write_date": "datetime",
}
# execute_kw passes positional arguments; the connector sends keywords, but a raw call may not.
_POSITIONAL = {
    "read": ["fields"],
    "write": ["vals"],
    "search_read": ["domain", "fields", "offset", "limit", "order"],
    "search": ["domain", "offset", "limit", "order"],
    "search_count": ["domain"],
    "create": ["vals_list"],
    "fields_get": ["allfields", "attributes"],
    "load": ["fields", "data"],
}
_RECORD_METHODS = {"read", "write", "unlink", "get_metadata", "web_save_multi"}


class OdooFault(Exception):
    """An Odoo exception inside the fake; each protocol answers it in its own shape."""

    def __init__(self, kind: str, message: str | None = None) -> None:
        super().__init__(message or _DEFAULT_MESSAGES.get(kind, kind))
        self.kind = kind
        self.message = str(self)


@dataclass
class _Hook:
    method: str | None
    model: str | None
    countdown: int
    action: Callable[[], None]
    times: int = 1


class Transaction:
    """Changes stamped with the clock when the transaction began, visible only once committed."""

    def __init__(self, odoo: FakeOdoo) -> None:
        self.odoo = odoo
        self.stamp = odoo.now()
        self.micro = odoo.clock.strftime(FMT + ".%f")  # what Odoo's webhook bodies show
        self._ops: list[Callable[[], None]] = []

    def create(self, model: str, **vals: Any) -> int:
        self.odoo._check_fields(model, vals)
        record_id = self.odoo._next_id(model)  # like a sequence: allocated now, seen at commit
        self._ops.append(lambda: self.odoo._insert(model, record_id, vals, self.stamp))
        return record_id

    def write(self, model: str, ids: int | Iterable[int], **vals: Any) -> None:
        self.odoo._check_fields(model, vals)
        id_list = [ids] if isinstance(ids, int) else list(ids)
        self._ops.append(lambda: self.odoo._update(model, id_list, vals, self.stamp))

    def unlink(self, model: str, ids: int | Iterable[int]) -> None:
        id_list = [ids] if isinstance(ids, int) else list(ids)
        self._ops.append(lambda: self.odoo._delete(model, id_list))

    def commit(self) -> None:
        self.odoo._changes = []
        for op in self._ops:
            op()
        self._ops.clear()
        self.odoo._after_commit(self)


class FakeOdoo(httpx.BaseTransport):
    """Plug it in with ``Json2Client(conn, http_transport=fake)`` or ``XmlRpcClient(...)``."""

    def __init__(
        self,
        *,
        clock: str = "2026-01-01 12:00:00",
        models: Mapping[str, Mapping[str, str]] | None = None,
        api_key: str = API_KEY,
        login: str = LOGIN,
        password: str = PASSWORD,
    ) -> None:
        # the credentials it accepts: tests of weak passwords ("admin") give their own
        self.api_key, self.login, self.password = api_key, login, password
        self.clock = datetime.strptime(clock, FMT)
        self.fields: dict[str, dict[str, str]] = {}
        self.tables: dict[str, dict[int, dict[str, Any]]] = {}
        self._sequences: dict[str, int] = {}
        self.calls: list[tuple[str, str]] = []
        self._hooks: list[_Hook] = []
        # load: external ID -> (model, id); loads to commit and then answer with a timeout
        self.external_ids: dict[str, tuple[str, int]] = {}
        self.lose_load_answers = 0
        self.lose_write_answers = 0
        # automation rules and their webhooks (install_automation)
        self._changes: list[tuple[str, str, int, dict[str, Any]]] = []
        self.automation_allowed = True
        self.webhook_copies = 1
        self._webhooks_to_drop = 0
        self.webhooks_sent: list[tuple[str, bytes]] = []
        self.send_webhook: Callable[[str, bytes], None] = _post_webhook
        # records a record rule hides from the user (hide()): searches skip them, read refuses them
        self.hidden: set[tuple[str, int]] = set()
        # relational fields' models (add_model, relate): fields_get names them, and read answers
        # a many2one as Odoo does, [id, display name]; field labels by language as fields_get gives
        # them in the call's context lang (untranslated: the name, titled)
        self.relations: dict[tuple[str, str], str] = {}
        self.labels: dict[str, dict[tuple[str, str], str]] = {}
        self.language = "en_US"
        declared = models or {"res.partner": {"email": "char", "is_company": "boolean"}}
        for model, fields in {**declared, "res.users": {"login": "char"}}.items():
            self.add_model(model, fields)
        self.tables["res.users"][UID] = {
            "id": UID,
            "name": "Bot",
            "login": login,
            "create_date": clock,
            "write_date": clock,
        }
        self._sequences["res.users"] = UID
        # the user may work in these companies; allowed_company_ids outside them is refused
        self.user_company_ids: list[int] = [1, 2]
        self._ensure_files_and_companies()

    # -- test controls ---------------------------------------------------------------------------

    def add_model(self, model: str, fields: Mapping[str, str]) -> None:
        """``fields`` maps names to types; a relation names its model after a colon
        (``"many2one:res.country"``), and a many2one stored as an id reads as ``[id, name]``."""
        for name, kind in fields.items():
            if ":" in kind:
                self.relations[(model, name)] = kind.partition(":")[2]
        fields = {name: kind.partition(":")[0] for name, kind in fields.items()}
        self.fields[model] = {**_MAGIC, **fields}
        self.tables.setdefault(model, {})
        self._sequences.setdefault(model, 0)

    def relate(self, model: str, field: str, comodel: str) -> None:
        """Declares ``field`` of ``model`` a many2one to ``comodel`` (fields_get says so), so a
        value given by name is looked up with ``name_search`` on ``comodel``."""
        self.fields[model][field] = "many2one"
        self.relations[(model, field)] = comodel

    def now(self) -> str:
        return self.clock.strftime(FMT)

    def advance(self, seconds: float) -> None:
        self.clock += timedelta(seconds=seconds)

    def begin(self) -> Transaction:
        return Transaction(self)

    def create(self, model: str, **vals: Any) -> int:
        tx = self.begin()
        record_id = tx.create(model, **vals)
        tx.commit()
        return record_id

    def write(self, model: str, ids: int | Iterable[int], **vals: Any) -> None:
        tx = self.begin()
        tx.write(model, ids, **vals)
        tx.commit()

    def unlink(self, model: str, ids: int | Iterable[int]) -> None:
        tx = self.begin()
        tx.unlink(model, ids)
        tx.commit()

    def hide(self, model: str, ids: int | Iterable[int]) -> None:
        """A record rule hides these records from the user, as another company's are: searches
        leave them out, and a ``read`` naming one raises Odoo's access error (a missing id is
        simply left out of the answer, as Odoo 19 does)."""
        self.hidden.update((model, i) for i in ([ids] if isinstance(ids, int) else ids))

    def on_call(
        self,
        method: str | None,
        action: Callable[[], None],
        *,
        nth: int = 1,
        model: str | None = None,
        times: int = 1,
    ) -> None:
        """Runs ``action`` just before the ``nth`` matching call from now is served (and the
        ``times - 1`` after it); an :class:`OdooFault` it raises becomes the answer."""
        self._hooks.append(_Hook(method, model, nth, action, times))

    def fail_on(
        self,
        method: str | None,
        *,
        nth: int = 1,
        kind: str = "server",
        message: str | None = None,
        times: int = 1,
    ) -> None:
        """Answers the ``nth`` matching call from now, and the ``times - 1`` after it, with an error."""

        def fail() -> None:
            raise OdooFault(kind, message)

        self._hooks.append(_Hook(method, None, nth, fail, times))

    @property
    def request_count(self) -> int:
        return len(self.calls)

    def methods(self) -> list[str]:
        return [method for _, method in self.calls]

    # -- HTTP ------------------------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body = request.read()
        if path == "/web/version":
            self.calls.append(("web", "version"))
            return httpx.Response(200, json={"version": "19.0", "version_info": VERSION_INFO})
        if path.startswith("/json/2/"):
            return self._json2(request, path.removeprefix("/json/2/"), body)
        if path.startswith("/xmlrpc/2/"):
            return self._xmlrpc(path.removeprefix("/xmlrpc/2/"), body)
        self.calls.append(("http", path))
        return httpx.Response(404, text="<html><title>404: Not Found</title></html>")

    def _json2(self, request: httpx.Request, route: str, body: bytes) -> httpx.Response:
        model, _, method = route.rpartition("/")
        self.calls.append((model, method))
        if request.method != "POST":
            return _json2_error(OdooFault("notfound", f"Did you mean POST /json/2/{route}?"))
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer ") or auth.split(" ", 1)[1] != self.api_key:
            fault = OdooFault("auth", "Invalid apikey")
            return _json2_error(fault, status=401, name="werkzeug.exceptions.Unauthorized")
        if request.headers.get("x-odoo-database") != DATABASE:
            return httpx.Response(404, text="<html>No database is selected</html>")
        try:
            kwargs = json.loads(body or b"{}")
        except ValueError:
            return _json2_error(OdooFault("signature", "body is not JSON"), status=400)
        ids = kwargs.pop("ids", None)
        context = kwargs.pop("context", None)
        try:
            self._check_context(context, method)
            return httpx.Response(200, json=self._call(model, method, ids, kwargs))
        except OdooFault as fault:
            return _json2_error(fault)

    def _xmlrpc(self, endpoint: str, body: bytes) -> httpx.Response:
        loaded, method = xmlrpc.client.loads(body, use_builtin_types=True)
        params: tuple[Any, ...] = tuple(loaded)
        try:
            if endpoint == "common":
                self.calls.append(("common", str(method)))
                result = self._common(str(method), params)
            elif endpoint == "object" and method == "execute_kw":
                db, uid, password, model, name, args, *rest = params
                self.calls.append((model, name))
                if db != DATABASE:
                    raise _XmlFault(1, f'psycopg2.OperationalError: database "{db}" does not exist')
                if uid != UID or password != self.password:
                    raise _XmlFault(3, "Access Denied")
                kwargs = dict(rest[0]) if rest else {}
                self._check_context(kwargs.pop("context", None), name)
                args = list(args)
                ids = args.pop(0) if name in _RECORD_METHODS and args else None
                kwargs.update(zip(_POSITIONAL.get(name, []), args, strict=False))
                result = self._call(model, name, ids, kwargs)
            else:
                self.calls.append((endpoint, str(method)))
                return httpx.Response(404, text="<html><title>404: Not Found</title></html>")
        except OdooFault as fault:
            code = _FAULTS[fault.kind][2]
            text = fault.message if code != 1 else _traceback(fault)
            return _xml_response(xmlrpc.client.Fault(code, text))
        except _XmlFault as fault:
            return _xml_response(xmlrpc.client.Fault(fault.code, fault.text))
        return _xml_response((result,))

    def _common(self, method: str, params: tuple[Any, ...]) -> Any:
        if method == "version":
            return {"server_version": "19.0", "server_version_info": VERSION_INFO, "protocol_version": 1}
        if method == "authenticate":
            db, login, password, _ = params
            return UID if (db, login, password) == (DATABASE, self.login, self.password) else False
        raise OdooFault("notfound", f"No method {method} on common")

    # -- the ORM ---------------------------------------------------------------------------------

    def _call(self, model: str, method: str, ids: list[int] | None, kwargs: dict[str, Any]) -> Any:
        for hook in list(self._hooks):
            if hook.method in (None, method) and hook.model in (None, model):
                hook.countdown -= 1
                if hook.countdown == 0:
                    hook.times -= 1
                    if hook.times > 0:
                        hook.countdown = 1
                    else:
                        self._hooks.remove(hook)
                    hook.action()
        if model not in self.tables:
            raise OdooFault("notfound", f"Object {model} doesn't exist")
        if model in _ADMIN_MODELS and not self.automation_allowed:
            raise OdooFault("access", _ADMIN_ONLY.format(model=model))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            raise OdooFault("notfound", f"The method {method!r} does not exist on the model {model!r}")
        try:
            if method in _RECORD_METHODS:
                return handler(model, list(ids or []), **kwargs)
            return handler(model, **kwargs)
        except TypeError as exc:
            raise OdooFault("signature", str(exc)) from None

    def _m_read(self, model: str, ids: list[int], fields: list[str] | None = None) -> list[dict[str, Any]]:
        names = self._field_list(model, fields)
        table = self.tables[model]
        forbidden = [i for i in ids if i in table and (model, i) in self.hidden]
        if forbidden:
            raise OdooFault(
                "access",
                f"Uh-oh! Looks like you have stumbled upon some top-secret records.\n\nSorry, Bot "
                f"(id={UID}) doesn't have 'read' access to: - {model} ({forbidden})",
            )
        return [self._project(model, table[i], names) for i in ids if i in table]

    def _m_search_read(
        self,
        model: str,
        domain: list[Any] | None = None,
        fields: list[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[dict[str, Any]]:
        names = self._field_list(model, fields)
        return [self._project(model, r, names) for r in self._search(model, domain, offset, limit, order)]

    def _m_search(
        self,
        model: str,
        domain: list[Any] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[int]:
        return [r["id"] for r in self._search(model, domain, offset, limit, order)]

    def _m_search_count(self, model: str, domain: list[Any] | None = None) -> int:
        return len(self._search(model, domain, 0, None, None))

    def _m_create(self, model: str, vals_list: Any) -> Any:
        if model == "base.automation":
            return self._create_rules(vals_list if isinstance(vals_list, list) else [vals_list])
        tx = self.begin()
        many = vals_list if isinstance(vals_list, list) else [vals_list]
        if model == "ir.attachment":
            many = [self._attachment_values(vals) for vals in many]
        ids = [tx.create(model, **vals) for vals in many]
        tx.commit()
        return ids

    def _m_write(self, model: str, ids: list[int], vals: dict[str, Any]) -> bool:
        missing = [i for i in ids if i not in self.tables[model]]
        if missing:
            raise OdooFault("missing", f"Record does not exist or has been deleted. (Records: {missing})")
        self.write(model, ids, **vals)
        return True

    def _m_unlink(self, model: str, ids: list[int]) -> bool:
        self.unlink(model, ids)
        return True

    def _m_fields_get(
        self, model: str, allfields: list[str] | None = None, attributes: list[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        labels = self.labels.get(self.language, {})
        fields: dict[str, dict[str, Any]] = {}
        for name, kind in self.fields[model].items():
            if allfields and name not in allfields:
                continue
            label = labels.get((model, name), name.replace("_", " ").title())
            fields[name] = {"type": kind, "string": label, "store": name != "display_name"}
            if (model, name) in self.relations:
                fields[name]["relation"] = self.relations[(model, name)]
        if attributes and "groupable" in attributes:  # asked by aggregateRecords: stored fields group
            for spec in fields.values():
                spec["groupable"] = spec["store"]
        return fields

    def _m_get_available_models(self, model: str) -> list[dict[str, Any]]:
        """``ir.model.get_available_models``: every model the user may read, as Odoo 19 lists
        them for any internal user (here: every model the fake holds but its technical ones)."""
        return [
            {"model": name, "display_name": name.replace(".", " ").title()}
            for name in sorted(self.tables)
            if not name.startswith(("ir.", "base.")) and name != "res.users"
        ]

    def _m_name_search(
        self, model: str, name: str = "", operator: str = "ilike", limit: int | None = 100, domain: Any = None
    ) -> list[list[Any]]:
        """``[[id, name]]`` of the records whose name matches: ``ilike`` a substring, ``=ilike`` a
        whole pattern (``%`` any text, ``_`` one character, a backslash escaping either), both
        without regard to case, like Odoo."""
        import re

        if operator == "=ilike":
            parts = re.findall(r"\\.|%|_|[^\\%_]+", name)
            table = {"%": ".*", "_": "."}
            pattern = "".join(table.get(p, re.escape(p[-1] if p.startswith("\\") else p)) for p in parts)
            matches = re.compile(f"^{pattern}$", re.IGNORECASE | re.DOTALL).match
        else:
            matches = lambda text: name.casefold() in text.casefold()  # noqa: E731
        rows = [r for r in self._search(model, domain, 0, None, None) if matches(str(r.get("name") or ""))]
        return [[r["id"], r.get("name") or ""] for r in rows[: limit or None]]

    # -- companies, languages, attachments (issue 17) ---------------------------------------------

    def _check_context(self, context: Mapping[str, Any] | None, method: str) -> None:
        """Odoo's check of ``allowed_company_ids``: every id must be one of the user's companies.
        Odoo makes it when a method touches the companies (record rules, defaults), which
        ``context_get`` does not."""
        self.language = str((context or {}).get("lang") or "en_US")
        allowed = (context or {}).get("allowed_company_ids") if method != "context_get" else None
        if allowed and not set(allowed) <= set(self.user_company_ids):
            raise OdooFault("access", "Access to unauthorized or invalid companies.")

    def _ensure_files_and_companies(self) -> None:
        if "res.company" not in self.tables:
            self.add_model("res.company", {})
            for company_id, name in ((1, "My Company"), (2, "Acme Branch BE")):
                self.tables["res.company"][company_id] = {
                    "id": company_id,
                    "name": name,
                    "create_date": self.now(),
                    "write_date": self.now(),
                }
            self._sequences["res.company"] = 2
            self.fields["res.users"]["company_ids"] = "many2many"
            self.tables["res.users"][UID]["company_ids"] = list(self.user_company_ids)
        if "ir.attachment" not in self.tables:
            self.add_model(
                "ir.attachment",
                {
                    "datas": "binary",
                    "res_model": "char",
                    "res_id": "integer",
                    "mimetype": "char",
                    "file_size": "integer",
                    "checksum": "char",
                    "type": "selection",
                    "url": "char",
                },
            )

    def _m_get_installed(self, model: str) -> list[list[str]]:
        return [["en_US", "English (US)"], ["fr_FR", "French / Français"]]

    def _attachment_values(self, vals: Mapping[str, Any]) -> dict[str, Any]:
        """What Odoo computes on an attachment: size, SHA-1 checksum, a default mimetype."""
        raw = base64.b64decode(vals.get("datas") or "")
        return {
            "type": "binary",
            "url": False,
            "mimetype": vals.get("mimetype") or "application/octet-stream",
            **vals,
            "file_size": len(raw),
            "checksum": hashlib.sha1(raw).hexdigest() if raw else False,  # noqa: S324 (Odoo's own)
        }

    def _m_context_get(self, model: str) -> dict[str, Any]:
        return {"lang": "en_US", "tz": "UTC", "uid": UID}

    def _m_load(self, model: str, fields: list[str], data: list[list[str]]) -> dict[str, Any]:
        """Odoo's import engine, the part the batch actions send: columns ``id`` (an external ID:
        existing → write, new → create and remember it), ``.id`` (a database id; "" creates) and
        plain fields as text ("" is False, a boolean's "1"/"0"). One transaction: any bad row
        (an unknown ``.id``, an empty ``name``) and nothing is written, with a message per row.
        ``lose_load_answers`` makes the next loads run and commit, then time out."""
        for name in fields:
            if name not in ("id", ".id") and name.split("/")[0] not in self.fields[model]:
                raise OdooFault("value", f"Invalid field name {name!r}")
        messages: list[dict[str, Any]] = []
        plans: list[tuple[str | None, int | None, dict[str, Any]]] = []
        for position, row in enumerate(data):
            cells = dict(zip(fields, row, strict=True))
            xid, dbid = cells.pop("id", "") or None, cells.pop(".id", "")
            vals = {k.split("/")[0]: self._load_value(model, k, v) for k, v in cells.items()}
            record_id = int(dbid) if dbid else None
            error = None
            if record_id is not None and record_id not in self.tables[model]:
                error = {"field": ".id", "message": f"Unknown database identifier '{dbid}'"}
            elif "name" in vals and not vals["name"]:
                error = {"message": "Contacts require a name"}
            if error:
                messages.append({"rows": {"from": position, "to": position}, "type": "error", **error})
            plans.append((xid, record_id, vals))
        if messages:
            return {"ids": False, "messages": messages, "nextrow": 0}
        ids: list[int] = []
        tx = self.begin()
        for xid, record_id, vals in plans:
            if xid and xid in self.external_ids:
                record_id = self.external_ids[xid][1]
            if record_id is None:
                record_id = tx.create(model, **vals)
                if xid:
                    self.external_ids[xid] = (model, record_id)
            else:
                tx.write(model, record_id, **vals)
            ids.append(record_id)
        tx.commit()
        if self.lose_load_answers > 0:
            self.lose_load_answers -= 1
            raise httpx.ReadTimeout("the fake lost the answer after committing")
        return {"ids": ids, "messages": [], "nextrow": 0}

    def _m_get_metadata(self, model: str, ids: list[int]) -> list[dict[str, Any]]:
        """Each record's external IDs, as Odoo reads them for any user (``ir.model.data`` as
        superuser); the log fields are left out, nothing here reads them."""
        table = self.tables[model]
        names: dict[int, list[str]] = {}
        for xid, (xmodel, record_id) in self.external_ids.items():
            if xmodel == model:
                names.setdefault(record_id, []).append(xid)
        out = []
        for record_id in ids:
            if record_id not in table:
                raise OdooFault(
                    "missing", f"Record does not exist or has been deleted. (Records: {[record_id]})"
                )
            xids = [{"xmlid": x, "noupdate": False} for x in names.get(record_id, [])]
            out.append(
                {
                    "id": record_id,
                    "xmlid": xids[0]["xmlid"] if xids else False,
                    "noupdate": False,
                    "xmlids": xids,
                }
            )
        return out

    def _m_web_save_multi(
        self, model: str, ids: list[int], vals_list: list[dict[str, Any]], specification: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The list view's multi-edit: a write per record, one transaction (a missing record or
        an empty name and nothing is written, with an error that names no record).
        ``lose_write_answers`` makes the next ones run and commit, then time out."""
        if len(ids) != len(vals_list):
            raise OdooFault("value", "Each record must have a corresponding vals entry.")
        missing = [i for i in ids if i not in self.tables[model]]
        if missing:
            raise OdooFault("missing", f"Record does not exist or has been deleted. (Records: {missing})")
        if any("name" in vals and not vals["name"] for vals in vals_list):
            raise OdooFault("value", "Contacts require a name")
        tx = self.begin()
        for record_id, vals in zip(ids, vals_list, strict=True):
            tx.write(model, record_id, **vals)
        tx.commit()
        if self.lose_write_answers > 0:
            self.lose_write_answers -= 1
            raise httpx.ReadTimeout("the fake lost the answer after committing")
        return [{"id": i} for i in ids]

    def _load_value(self, model: str, column: str, text: str) -> Any:
        name = column.split("/")[0]
        if self.fields[model].get(name) == "boolean":
            return text not in ("", "0", "false", "False")
        if column.endswith("/.id"):
            return int(text) if text else False
        return text if text != "" else False

    # -- storage helpers -------------------------------------------------------------------------

    def _next_id(self, model: str) -> int:
        self._sequences[model] += 1
        return self._sequences[model]

    def _check_fields(self, model: str, vals: Mapping[str, Any]) -> None:
        if model not in self.fields:
            raise OdooFault("notfound", f"Object {model} doesn't exist")
        for name in vals:
            if name not in self.fields[model] or (name in _MAGIC and name != "name"):
                raise OdooFault("value", f"Invalid field {name!r} on model {model!r}")

    def _insert(self, model: str, record_id: int, vals: Mapping[str, Any], stamp: str) -> None:
        self.tables[model][record_id] = {"id": record_id, **vals, "create_date": stamp, "write_date": stamp}
        self._changes.append(("create", model, record_id, {}))

    def _update(self, model: str, ids: list[int], vals: Mapping[str, Any], stamp: str) -> None:
        for record_id in ids:
            if record_id in self.tables[model]:
                self.tables[model][record_id].update(vals, write_date=stamp)
                self._changes.append(("write", model, record_id, {}))

    def _delete(self, model: str, ids: list[int]) -> None:
        for record_id in ids:
            gone = self.tables[model].pop(record_id, None)
            if gone is not None:
                self._changes.append(("unlink", model, record_id, gone))
            if model == "base.automation":  # Odoo deletes a rule's actions with it
                for action_id in (gone or {}).get("action_server_ids", []):
                    self.tables["ir.actions.server"].pop(action_id, None)

    def _field_list(self, model: str, fields: list[str] | None) -> list[str]:
        names = list(fields) if fields else list(self.fields[model])
        for name in names:
            if name not in self.fields[model]:
                raise OdooFault("value", f"Invalid field {name!r} on model {model!r}")
        return names

    def _project(self, model: str, record: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": record["id"]}
        for name in names:
            out[name] = record.get("name", False) if name == "display_name" else record.get(name, False)
            related = self.relations.get((model, name))
            if related and self.fields[model][name] == "many2one" and type(out[name]) is int:
                target = self.tables[related].get(out[name], {})
                out[name] = [out[name], target.get("name", False)]
        return out

    def _search(
        self, model: str, domain: list[Any] | None, offset: int, limit: int | None, order: str | None
    ) -> list[dict[str, Any]]:
        matches = _compile(domain or [], self.fields[model], model)
        rows = [r for r in self.tables[model].values() if matches(r) and (model, r["id"]) not in self.hidden]
        for part in reversed((order or "id asc").split(",")):
            name, _, direction = part.strip().partition(" ")
            if name not in self.fields[model]:
                raise OdooFault("value", f"Invalid field {name!r} on model {model!r}")
            descending = direction.strip().lower() == "desc"
            rows.sort(key=lambda r, n=name: _sort_key(r.get(n)), reverse=descending)  # type: ignore[misc]
        return rows[offset : offset + limit if limit else None]

    # -- automation rules and their webhooks -----------------------------------------------------

    def install_automation(self) -> None:
        """What installing Automation Rules (base_automation) adds, as far as webhooks go."""
        self.add_model("ir.model", {"model": "char"})
        self.add_model("ir.model.fields", {"model": "char"})
        rule_fields = {"model_id": "many2one", "trigger": "selection", "filter_domain": "char"}
        self.add_model("base.automation", {**rule_fields, "action_server_ids": "one2many"})
        self.add_model(
            "ir.actions.server",
            {
                "model_id": "many2one",
                "state": "selection",
                "usage": "selection",
                "webhook_url": "char",
                "webhook_field_ids": "many2many",
                "base_automation_id": "many2one",
            },
        )
        for model in list(self.fields):
            models, fields = self.tables["ir.model"], self.tables["ir.model.fields"]
            model_id = self._next_id("ir.model")
            models[model_id] = {"id": model_id, "name": model, "model": model}
            for name in self.fields[model]:
                field_id = self._next_id("ir.model.fields")
                fields[field_id] = {"id": field_id, "name": name, "model": model}

    def drop_webhooks(self, count: int) -> None:
        """The next ``count`` webhook posts are lost (a receiver down or slower than 1 s)."""
        self._webhooks_to_drop += count

    def rules(self) -> list[dict[str, Any]]:
        return list(self.tables.get("base.automation", {}).values())

    def _create_rules(self, vals_list: list[dict[str, Any]]) -> list[int]:
        ids = []
        for vals in vals_list:
            rule = {k: v for k, v in vals.items() if k != "action_server_ids"}
            self._check_fields("base.automation", rule)
            rule_id = self._next_id("base.automation")
            actions = []
            for command in vals.get("action_server_ids", []):
                if list(command[:2]) != [0, 0]:
                    raise OdooFault("value", f"The fake creates actions only, not {command!r}")
                action = dict(command[2])
                action["webhook_field_ids"] = [
                    i for cmd in action.get("webhook_field_ids", []) for i in cmd[2]
                ]
                self._check_fields("ir.actions.server", action)
                action_id = self._next_id("ir.actions.server")
                stored = {"id": action_id, **action, "base_automation_id": rule_id}
                self.tables["ir.actions.server"][action_id] = stored
                actions.append(action_id)
            self.tables["base.automation"][rule_id] = {"id": rule_id, **rule, "action_server_ids": actions}
            ids.append(rule_id)
        return ids

    def _after_commit(self, tx: Transaction) -> None:
        """Like Odoo: after the commit, every matching rule's webhook action posts."""
        changes, self._changes = self._changes, []
        if "base.automation" not in self.tables:
            return
        triggers = {"create": "on_create_or_write", "write": "on_create_or_write", "unlink": "on_unlink"}
        for kind, model, record_id, gone in changes:
            record = gone or self.tables[model].get(record_id)
            if record is None:
                continue
            if kind == "create":
                record["_create_micro"] = tx.micro
            if kind in ("create", "write"):
                record["_write_micro"] = tx.micro
            for rule in self.rules():
                model_row = self.tables["ir.model"].get(rule["model_id"], {})
                if model_row.get("model") != model or rule["trigger"] != triggers[kind]:
                    continue
                domain = ast.literal_eval(rule["filter_domain"]) if rule.get("filter_domain") else []
                if not _compile(domain, self.fields[model], model)(record):
                    continue
                for action_id in rule["action_server_ids"]:
                    self._post(self.tables["ir.actions.server"][action_id], model, record)

    def _post(self, action: Mapping[str, Any], model: str, record: Mapping[str, Any]) -> None:
        names = [self.tables["ir.model.fields"][i]["name"] for i in action["webhook_field_ids"]]
        body: dict[str, Any] = {"_action": f"{action['name']}(#{action['id']})", "_id": record["id"]}
        body["_model"] = model
        for name in sorted({*names, "id"}):
            value = record.get(name, False)
            if name == "create_date":
                value = record.get("_create_micro") or f"{record['create_date']}.000000"
            elif name == "write_date":
                value = record.get("_write_micro") or f"{record['write_date']}.000000"
            body[name] = value
        data = json.dumps(body).encode()
        for _ in range(self.webhook_copies):
            if self._webhooks_to_drop:
                self._webhooks_to_drop -= 1
                continue
            self.webhooks_sent.append((action["webhook_url"], data))
            self.send_webhook(action["webhook_url"], data)


_ADMIN_MODELS = frozenset({"base.automation", "ir.actions.server"})
_ADMIN_ONLY = (
    "You are not allowed to access '{model}' records.\n\nThis operation is allowed for the following "
    "groups:\n\t- Role / Administrator\n\nContact your administrator to request access if necessary."
)


def _post_webhook(url: str, body: bytes) -> None:
    """Odoo's way: one POST, a 1-second timeout, every failure ignored."""
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=1.0)


class _XmlFault(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code, self.text = code, text


def _sort_key(value: Any) -> tuple[int, Any]:
    return (1, "") if value is None or value is False else (0, value)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b or (b is False and a is None),
    "!=": lambda a, b: not (a == b or (b is False and a is None)),
    ">": lambda a, b: a not in (None, False) and a > b,
    ">=": lambda a, b: a not in (None, False) and a >= b,
    "<": lambda a, b: a not in (None, False) and a < b,
    "<=": lambda a, b: a not in (None, False) and a <= b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}

Predicate = Callable[[Mapping[str, Any]], bool]


def _compile(domain: list[Any], fields: Mapping[str, str], model: str) -> Predicate:
    """A domain in Odoo's prefix notation as a predicate; top-level terms are ANDed."""
    items = list(domain)
    position = 0

    def parse() -> Predicate:
        nonlocal position
        item = items[position]
        position += 1
        if item == "!":
            inner = parse()
            return lambda r: not inner(r)
        if item in ("&", "|"):
            left, right = parse(), parse()
            if item == "&":
                return lambda r: left(r) and right(r)
            return lambda r: left(r) or right(r)
        name, operator, value = item
        if (name, operator, value) in ((1, "=", 1), (0, "=", 1)):
            constant = bool(name)
            return lambda r: constant
        if name not in fields:
            raise OdooFault("value", f"Invalid field {name!r} on model {model!r}")
        if operator not in _OPERATORS:
            raise OdooFault("value", f"The fake does not know the operator {operator!r}")
        compare = _OPERATORS[operator]
        return lambda r: compare(r.get(name), value)

    terms: list[Predicate] = []
    while position < len(items):
        terms.append(parse())
    return lambda r: all(term(r) for term in terms)


def _json2_error(fault: OdooFault, *, status: int | None = None, name: str | None = None) -> httpx.Response:
    default_status, default_name, _ = _FAULTS.get(fault.kind, (500, "builtins.Exception", 1))
    error_name = name or default_name
    return httpx.Response(
        status or default_status,
        json={
            "name": error_name,
            "message": fault.message,
            "arguments": [fault.message],
            "context": {},
            "debug": _traceback(fault, error_name),
        },
    )


def _traceback(fault: OdooFault, name: str | None = None) -> str:
    error_name = name or _FAULTS[fault.kind][1]
    short = error_name.removeprefix("builtins.")
    return f'Traceback (most recent call last):\n  File "/odoo/fake.py", line 1\n{short}: {fault.message}\n'


def _xml_response(payload: tuple[Any, ...] | xmlrpc.client.Fault) -> httpx.Response:
    text = xmlrpc.client.dumps(payload, methodresponse=True, allow_none=True)
    return httpx.Response(200, content=text.encode(), headers={"Content-Type": "text/xml"})
