"""``invoke(key, connection, inputs)``: the one way in, for the CLI, the runner and a platform.

Order matters and is fixed here: resolve the key, check the connection type, coerce and validate
the inputs, and only then build a client and call the handler. A bad input therefore never costs
a request (and never shows up in Odoo's logs).

Coercion, in one place: platform forms send every value as text. For a top-level input whose
schema type is ``integer``, ``number`` or ``boolean``, the strings ``"25"``, ``"2.5"``,
``"true"``/``"false"`` (also ``"1"``/``"0"``, ``"yes"``/``"no"``) become the typed value; for
``object`` or ``array`` inputs, JSON text is parsed. An empty string for an optional input means
"not given". Defaults from the schema are filled in for inputs that are absent. Nothing else is
changed: a string that does not convert stays a string, and validation then names the input.

Validation has one verdict, and it is final: the compiled check decides, jsonschema only words the
error. Patterns in the schemas are ECMA-262 regular expressions (what a platform's UI runs), in
which ``$`` matches only at the very end; Python's ``$`` also matches before a final newline, so
patterns are translated before compiling (``"res.partner\\n"`` is refused, as the schema says).
Before the schema, every value is checked for what JSON Schema cannot express and would only fail
later, deep in a transport: nesting deeper than 64 levels, unpaired surrogates in text, and NaN or
infinite numbers. After it, whole-number floats in integer inputs become ints (``1.0`` → ``1``),
so Odoo receives the type its field expects.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import fastjsonschema

from .connections import BASIC_AUTH, Connection, parse_connection
from .context import odoo_context
from .context import using as using_context
from .errors import AccessDeniedError, InputError, OdooConnectorError, input_path
from .manifest import Manifest, UnitSpec, load_manifest

if TYPE_CHECKING:  # jsonschema is imported only to word an error (~80 ms of start-up otherwise)
    from jsonschema import Draft202012Validator

__all__ = ["check_connection", "coerce_inputs", "invoke", "validate_inputs"]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _types(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [t for sub in schema[key] for t in _types(sub)]
    return []


def _coerce_value(value: Any, types: list[str]) -> Any:
    if not isinstance(value, str) or "string" in types:
        return value
    text = value.strip()
    # ASCII only: Python's int() and float() also read "٣" or "²", which no form means as a number.
    if "integer" in types and text.isascii() and text.lstrip("+-").isdigit() and len(text) <= 20:
        return int(text)
    if "number" in types and text.isascii():
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    if "boolean" in types:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    if ("object" in types or "array" in types) and text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"is not valid JSON ({exc.msg} at character {exc.pos})") from None
    if "null" in types and text.lower() in ("", "null"):
        return None
    return value


def coerce_inputs(schema: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Platform-form strings to typed values and schema defaults filled in; see the module doc."""
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        prop = properties.get(name)
        if prop is None:
            out[name] = value
            continue
        if value == "" and name not in required:
            continue
        try:
            out[name] = _coerce_value(value, _types(prop))
        except InputError as exc:
            raise InputError(f"The input {name!r} {exc.message}", path=name) from None
    for name, prop in properties.items():
        if name not in out and "default" in prop:
            default = prop["default"]
            # a copy of mutable defaults: handlers may change what they get
            out[name] = copy.deepcopy(default) if isinstance(default, list | dict) else default
    return out


_MAX_DEPTH = 64
_DOLLAR = re.compile(r"(\\.)|(\[(?:\\.|[^\]\\])*\])|\$")


def python_pattern(pattern: str) -> str:
    """An ECMA-262 ``pattern`` as a Python regex with the same meaning: an unescaped ``$`` outside a
    character class becomes ``\\Z`` (end of text only, never "before a final newline")."""
    return _DOLLAR.sub(lambda m: m.group(1) or m.group(2) or r"\Z", pattern)


def python_schema(schema: Any) -> Any:
    """``schema`` with every ``pattern`` (and ``patternProperties`` key) made Python-exact."""
    if isinstance(schema, list):
        return [python_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "pattern" and isinstance(value, str):
            out[key] = python_pattern(value)
        elif key == "patternProperties" and isinstance(value, dict):
            out[key] = {python_pattern(k): python_schema(v) for k, v in value.items()}
        elif key in ("examples", "default", "const", "enum"):
            out[key] = value
        else:
            out[key] = python_schema(value)
    return out


def check_values(value: Any, where: str = "") -> None:
    """Refuses what no schema keyword can, before it fails inside a transport as "a bug"."""
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > _MAX_DEPTH:
            top = path.split(".")[0] or None
            raise InputError(
                f"The input {top or '(inputs)'!r} is nested more than {_MAX_DEPTH} levels deep.", path=top
            )
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError(
                    f"The input {path or '(inputs)'!r} contains text that is not valid Unicode "
                    "(an unpaired surrogate such as \\ud800).",
                    path=path or None,
                ) from None
        elif isinstance(item, float) and not math.isfinite(item):
            raise InputError(
                f"The input {path or '(inputs)'!r} is {item}, which is not a number Odoo can store.",
                path=path or None,
            )
        elif isinstance(item, Mapping):
            for key, sub in item.items():
                stack.append((key, path, depth + 1))
                stack.append((sub, f"{path}.{key}" if path else str(key), depth + 1))
        elif isinstance(item, list | tuple):
            for index, sub in enumerate(item):
                stack.append((sub, f"{path}.{index}" if path else str(index), depth + 1))


_XMLRPC_INT = (-(2**31), 2**31 - 1)


def _check_xmlrpc_numbers(value: Any, path: str = "") -> None:
    """XML-RPC carries 32-bit integers only; a larger one is refused here, before the login
    request, rather than by the marshaller after it."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not _XMLRPC_INT[0] <= value <= _XMLRPC_INT[1]:
            raise InputError(
                f"The input {path or '(inputs)'!r} holds {value}, too large for XML-RPC, which carries "
                "whole numbers from -2147483648 to 2147483647 only.",
                hint="Use smaller numbers, or the API key connection (JSON-2) for large values.",
                path=path or None,
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_xmlrpc_numbers(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_xmlrpc_numbers(item, f"{path}.{index}" if path else str(index))


def _whole_numbers(schema: Any, value: Any) -> Any:
    """Whole-number floats where the schema says integer become ints (JSON Schema counts 1.0 as an
    integer; Odoo's integer fields and XML-RPC do not)."""
    if not isinstance(schema, Mapping):
        return value
    if isinstance(value, float) and "integer" in _types(schema) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        return {
            k: _whole_numbers(props.get(k, extra if isinstance(extra, Mapping) else {}), v)
            for k, v in value.items()
        }
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [_whole_numbers(schema["items"], v) for v in value]
    return value


_FAST: dict[int, tuple[Any, Callable[[Any], Any]]] = {}
_WORDING: dict[int, tuple[Any, Draft202012Validator]] = {}


def _fast_check(unit: UnitSpec) -> Callable[[Any], Any]:
    """The unit's input schema compiled to Python by fastjsonschema, once per process.

    Validating with jsonschema costs about 100 µs per call (bench/overhead.py), more than the
    rest of the connector; the compiled check costs about 2 µs. jsonschema still words the error
    when the fast check fails, so users get one style of message. fastjsonschema knows JSON
    Schema up to draft-07: ``validate`` refuses input schemas with newer keywords, and
    tests/test_runtime.py fuzzes that the two agree.
    """
    schema = unit.input_schema
    entry = _FAST.get(id(schema))
    if entry is None or entry[0] is not schema:  # an id can be reused after a manifest reload
        entry = _FAST[id(schema)] = (schema, fastjsonschema.compile(python_schema(schema)))
    return entry[1]


def _wording_validator(unit: UnitSpec) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    schema = unit.input_schema
    entry = _WORDING.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = _WORDING[id(schema)] = (schema, Draft202012Validator(python_schema(schema)))
    return entry[1]


def validate_inputs(unit: UnitSpec, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Coerces, then validates against the unit's input schema; raises InputError naming the
    input and the path inside it."""
    if not isinstance(inputs, Mapping):
        raise InputError(f"The inputs of {unit.key} must be a JSON object, not {type(inputs).__name__}.")
    check_values(inputs)
    coerced = coerce_inputs(unit.input_schema, inputs)
    try:
        _fast_check(unit)(coerced)
        return _whole_numbers(unit.input_schema, coerced)  # type: ignore[no-any-return]
    except fastjsonschema.JsonSchemaException as exc:
        refused = exc
    validator = _wording_validator(unit)
    errors = sorted(validator.iter_errors(coerced), key=lambda e: (len(e.path), list(map(str, e.path))))
    if errors:
        err = errors[0]
        path = input_path(*err.path)
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else err.message
            raise InputError(f"The input {missing!r} is required for {unit.key}.", path=missing)
        if err.validator == "additionalProperties":
            known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
            extra = sorted(str(k) for k in err.instance if k not in known)
            names = ", ".join(repr(k) for k in extra)
            inside = f" in {path!r}" if path else ""
            allowed = ", ".join(sorted(known))
            raise InputError(
                f"{unit.key} has no input{'s' if len(extra) > 1 else ''} {names}{inside}.",
                hint=f"Its inputs{inside} are: {allowed}." if allowed else None,
                path=f"{path}.{extra[0]}" if path else extra[0],
            )
        if err.validator == "pattern":
            shown = _short(json.dumps(err.instance, ensure_ascii=False), 80)
            wanted = err.schema.get("errorMessage") if isinstance(err.schema, dict) else None
            if not wanted and err.path:
                top = unit.input_schema.get("properties", {}).get(str(err.path[0]), {})
                wanted = top.get("errorMessage")
            original = _original_pattern(unit.input_schema, list(err.schema_path))
            raise InputError(
                f"The input {path or '(inputs)'!r} is not valid: {shown} does not have the expected form."
                + (f" {wanted}" if wanted else ""),
                hint=f"It must match the regular expression {original}." if original else None,
                path=path or None,
            )
        title = ""
        if err.path:
            top = unit.input_schema.get("properties", {}).get(str(err.path[0]), {})
            described = top.get("errorMessage")
            title = f" {described}" if described and len(err.path) == 1 else ""
        raise InputError(
            f"The input {path or '(inputs)'!r} is not valid: {_short(err.message)}.{title}", path=path or None
        )
    # The compiled check refused and jsonschema sees nothing to word: the refusal stands.
    where = str(getattr(refused, "name", "") or "").removeprefix("data").lstrip(".") or None
    raise InputError(f"The input {where or '(inputs)'!r} is not valid: {_short(str(refused))}.", path=where)


def _original_pattern(schema: Any, schema_path: list[Any]) -> str | None:
    """The pattern as the schema file writes it (ECMA), not its Python translation."""
    node = schema
    for part in schema_path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node if isinstance(node, str) else None


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def invoke(
    key: str,
    connection: Connection | Mapping[str, Any],
    inputs: Mapping[str, Any] | None = None,
    *,
    state: Any = None,
    client: Any = None,
    manifest: Manifest | None = None,
) -> dict[str, Any]:
    """Runs an action, data source or trigger by its manifest key and returns its envelope
    (``{"data": …}``; triggers add ``state`` and ``polledNoChanges``).

    ``client`` lets a caller bring its own client (the poll runner, a test). When omitted, the
    process-wide client for this connection is used (:mod:`odoo_connector.client.pool`): the
    keep-alive connection, the TLS context and the XML-RPC login are paid once, not per call.
    """
    manifest = manifest or load_manifest()
    try:
        unit = manifest.unit(key)
    except KeyError:
        known = ", ".join(u.key for u in manifest.units())
        raise InputError(f"Unknown key {key!r}.", hint=f"Known keys: {known}.") from None
    conn = parse_connection(connection)
    if conn.type not in unit.connections:
        needed = " or ".join(unit.connections)
        raise InputError(
            f"{unit.key} does not work over the {conn.type} connection; it needs {needed}.",
            path="connection.type",
        )
    checked = validate_inputs(unit, inputs or {})
    if conn.type == BASIC_AUTH:
        _check_xmlrpc_numbers(checked)
    handler = unit.load_handler()
    call_context = odoo_context(checked.get("context")) if isinstance(checked.get("context"), Mapping) else {}
    if "context" in checked:
        checked["context"] = call_context  # a handler passing it on sends Odoo's own keys
    if client is None:
        from . import client as client_module
        from .client.pool import pooled_client

        client = pooled_client(conn, client_module.make_client)
    with using_context(call_context):
        language = call_context.get("lang") or conn.language
        if isinstance(language, str):
            _check_language(client, language)
        try:
            if unit.kind == "trigger":
                result = handler(client, checked, state)  # {} is a state too: the trigger refuses it
                return dict(result)
            result = handler(client, checked)
        except AccessDeniedError as exc:
            if "unauthorized or invalid companies" in exc.message:
                raise _company_error(client, exc) from None
            raise
    if isinstance(result, Envelope):
        return result.as_dict()
    return {"data": result}


def _check_language(client: Any, language: str) -> None:
    """Odoo silently ignores a language that is not active (names stay untranslated): say so."""
    active = client.active_languages()
    if language not in active:
        raise InputError(
            f"The language {language!r} is not active in this Odoo.",
            hint=f"Active languages: {', '.join(sorted(active))}. An administrator activates more "
            "under Settings → Languages.",
            path="context.language",
        )


def _company_error(client: Any, error: AccessDeniedError) -> AccessDeniedError:
    """Odoo's "Access to unauthorized or invalid companies" names neither; list the user's."""
    try:
        companies = client.user_companies()
    except OdooConnectorError:
        return error
    listed = ", ".join(f"{c['id']} ({c['name']})" for c in companies)
    return AccessDeniedError(
        error.message,
        hint=f"This user may work in the companies {listed}: give one of these ids as companyId, or "
        "ask an Odoo administrator to add the company to the user's Allowed Companies.",
        groups=[],
        odoo_name=error.odoo_name,
        status=error.status,
    )


def check_connection(connection: Connection | Mapping[str, Any], *, client: Any = None) -> dict[str, Any]:
    """What ``odoo-connector check`` (and the workbench's "Test connection") report: the server's
    version, the database and the user, or the error that says what to fix. On the pooled client
    ``invoke`` uses, so a check warms the connection the next calls will use."""
    from .connections import ApiKeyConnection
    from .errors import UnsupportedServerError

    conn = parse_connection(connection)
    if client is None:
        from . import client as client_module
        from .client.pool import pooled_client

        client = pooled_client(conn, client_module.make_client)
    version = client.server_version()
    info = version.get("version_info") or []
    major = info[0] if info and isinstance(info[0], int) else None
    if isinstance(conn, ApiKeyConnection) and major is not None and major < 19:
        raise UnsupportedServerError(
            f"This server runs Odoo {version.get('version')}; the JSON-2 API needs 19.0 or later.",
            hint="Use the Basic Authentication (XML-RPC) connection for this server.",
        )
    return {
        "ok": True,
        "connection": conn.type,
        "url": conn.url,
        "server": {"version": version.get("version"), "versionInfo": info},
        "database": conn.database,
        "user": client.whoami(),
    }


class Envelope:
    """A handler result that needs more than ``data`` in its envelope (a picklist's
    ``truncated`` flag)."""

    def __init__(self, data: Any, **extra: Any) -> None:
        self.data = data
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        return {"data": self.data, **self.extra}
