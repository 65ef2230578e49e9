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
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

from .connections import Connection, parse_connection
from .errors import InputError
from .manifest import Manifest, UnitSpec, load_manifest

__all__ = ["coerce_inputs", "invoke", "validate_inputs"]

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
    if "integer" in types and text.lstrip("+-").isdigit():
        return int(text)
    if "number" in types:
        try:
            return float(text)
        except ValueError:
            pass
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


_FAST: dict[int, tuple[Any, Callable[[Any], Any]]] = {}


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
        entry = _FAST[id(schema)] = (schema, fastjsonschema.compile(schema))
    return entry[1]


def validate_inputs(unit: UnitSpec, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Coerces, then validates against the unit's input schema; raises InputError naming the
    input and the path inside it."""
    if not isinstance(inputs, Mapping):
        raise InputError(f"The inputs of {unit.key} must be a JSON object, not {type(inputs).__name__}.")
    coerced = coerce_inputs(unit.input_schema, inputs)
    try:
        _fast_check(unit)(coerced)
        return coerced
    except fastjsonschema.JsonSchemaException:
        pass
    validator = Draft202012Validator(unit.input_schema)
    errors = sorted(validator.iter_errors(coerced), key=lambda e: (len(e.path), list(map(str, e.path))))
    if errors:
        err = errors[0]
        path = ".".join(str(p) for p in err.path)
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else err.message
            raise InputError(f"The input {missing!r} is required for {unit.key}.", path=missing)
        if err.validator == "additionalProperties":
            allowed = ", ".join(sorted(unit.input_schema.get("properties", {})))
            raise InputError(
                f"{unit.key} does not take {err.message.split('(')[-1].rstrip(')')}.",
                hint=f"Its inputs are: {allowed}.",
            )
        title = ""
        if err.path:
            top = unit.input_schema.get("properties", {}).get(str(err.path[0]), {})
            described = top.get("errorMessage")
            title = f" {described}" if described and len(err.path) == 1 else ""
        raise InputError(
            f"The input {path or '(inputs)'!r} is not valid: {_short(err.message)}.{title}", path=path or None
        )
    return coerced


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def invoke(
    key: str,
    connection: Connection | Mapping[str, Any],
    inputs: Mapping[str, Any] | None = None,
    *,
    state: Mapping[str, Any] | None = None,
    client: Any = None,
    manifest: Manifest | None = None,
) -> dict[str, Any]:
    """Runs an action, data source or trigger by its manifest key and returns its envelope
    (``{"data": …}``; triggers add ``state`` and ``polledNoChanges``).

    ``client`` lets a long-lived caller (the poll runner, a benchmark) reuse one connection pool;
    when omitted, a client is made for this call and closed after it.
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
    handler = unit.load_handler()
    own_client = client is None
    if own_client:
        from .client import make_client

        client = make_client(conn)
    try:
        if unit.kind == "trigger":
            result = handler(client, checked, dict(state) if state else None)
            return dict(result)
        result = handler(client, checked)
        if isinstance(result, Envelope):
            return result.as_dict()
        return {"data": result}
    finally:
        if own_client:
            client.close()


class Envelope:
    """A handler result that needs more than ``data`` in its envelope (a picklist's
    ``truncated`` flag)."""

    def __init__(self, data: Any, **extra: Any) -> None:
        self.data = data
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        return {"data": self.data, **self.extra}
