"""``connector.yaml``: pydantic models, loading, and the checks ``odoo-connector validate`` runs.

The manifest is the product's table of contents: every connection, action, data source and trigger
with its handler and schemas. Schemas may ``$ref`` shared definitions in ``schemas/common.json``;
they are inlined at load time so a platform (``describe``) and the validators see one
self-contained schema per unit. A connection's ``documentation`` is the markdown text itself, not a
path into this repository: a platform that imports ``describe`` has the manifest and nothing else
(a wheel installs no README), so a relative reference could never be opened.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigurationError

__all__ = [
    "ConnectionField",
    "ConnectionSpec",
    "Lifecycle",
    "Manifest",
    "ManifestError",
    "UnitSpec",
    "find_manifest",
    "load_manifest",
    "validate_manifest",
]

Kind = Literal["action", "dataSource", "trigger"]


class ManifestError(ConfigurationError):
    """A missing or broken manifest: names the file (and the JSON path). A configuration error
    (exit 3): the fix is the ``--manifest`` path or the file, never a bug to report."""

    default_hint = (
        "Check the --manifest path (or $ODOO_CONNECTOR_MANIFEST), or run `odoo-connector validate "
        "--manifest FILE` to see what is wrong with the file."
    )


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ConnectionField(_Model):
    key: str
    label: str
    type: Literal["string", "integer", "password"] = "string"
    required: bool = True
    secret: bool = False
    description: str = ""
    example: Any = None
    default: Any = None


class ConnectionSpec(_Model):
    key: str
    label: str
    description: str
    deprecated: bool = False
    deprecation_message: str | None = Field(default=None, alias="deprecationMessage")
    # Markdown shown with the connection form: how to get the key, which user and rights.
    documentation: str = ""
    fields: list[ConnectionField]


class Lifecycle(_Model):
    """A trigger a platform must set up and take down: Odoo pushes to it (recordWebhookTrigger).

    Each entry is ``module:function``: ``subscribe(connection, inputs, webhook_url)`` returns the
    subscription state; ``unsubscribe(connection, state)`` removes what subscribe created;
    ``receive(connection, state, request)`` turns one incoming request into the records to emit
    and the next state (it reads them from Odoo: a post is only a hint); ``exists(connection,
    state)`` says whether the subscription still works in Odoo (after a crash). The unit's
    ``handler`` stays the poll a platform runs on a schedule.
    """

    subscribe: str
    unsubscribe: str
    receive: str
    exists: str

    def functions(self) -> dict[str, str]:
        return {
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
            "receive": self.receive,
            "exists": self.exists,
        }


def _import(path: str) -> Callable[..., Any]:
    module_name, _, attr = path.partition(":")
    target = getattr(importlib.import_module(module_name), attr)
    if not callable(target):
        raise TypeError(f"{path} is not callable")
    return target  # type: ignore[no-any-return]


class UnitSpec(_Model):
    key: str
    label: str
    description: str
    handler: str
    connections: list[str]
    # What a host may tell a user or an agent before running the unit (docs/manifest.md): it only
    # reads; it deletes or changes data in a way writing again cannot undo; a retry after a
    # timeout is safe; the Odoo groups it needs beyond an internal user's.
    read_only: bool = Field(alias="readOnly")
    destructive: bool
    idempotent: bool
    groups: list[str]
    inputs: str
    output: str
    example: str
    kind: Kind = "action"
    lifecycle: Lifecycle | None = None  # triggers Odoo pushes to; see Lifecycle
    # Filled at load time from the files named above.
    input_schema: dict[str, Any] = Field(default_factory=dict, exclude=True)
    output_schema: dict[str, Any] = Field(default_factory=dict, exclude=True)
    example_payload: Any = Field(default=None, exclude=True)

    def load_handler(self) -> Callable[..., Any]:
        return _import(self.handler)

    def load_lifecycle(self, name: Literal["subscribe", "unsubscribe", "receive"]) -> Callable[..., Any]:
        """One of the unit's lifecycle functions; KeyError when the unit declares none."""
        if self.lifecycle is None:
            raise KeyError(f"{self.key} declares no lifecycle")
        return _import(self.lifecycle.functions()[name])


class Manifest(_Model):
    format_version: Literal[1] = Field(alias="formatVersion")
    name: str
    label: str
    version: str
    description: str
    connections: list[ConnectionSpec]
    actions: list[UnitSpec]
    data_sources: list[UnitSpec] = Field(alias="dataSources")
    triggers: list[UnitSpec]
    root: Path = Field(default=Path("."), exclude=True)

    def units(self) -> Iterator[UnitSpec]:
        yield from self.actions
        yield from self.data_sources
        yield from self.triggers

    def unit(self, key: str) -> UnitSpec:
        for unit in self.units():
            if unit.key == key:
                return unit
        raise KeyError(key)

    def connection(self, key: str) -> ConnectionSpec:
        for conn in self.connections:
            if conn.key == key:
                return conn
        raise KeyError(key)

    def describe(self) -> dict[str, Any]:
        """The whole manifest as JSON with schemas and examples inlined, for a platform import."""
        out = self.model_dump(by_alias=True, exclude={"root"})
        for group, units in (
            ("actions", self.actions),
            ("dataSources", self.data_sources),
            ("triggers", self.triggers),
        ):
            out[group] = [
                {
                    **unit.model_dump(
                        by_alias=True,
                        # a lifecycle is shown only where there is one
                        exclude={"inputs", "output", "example", "kind"}
                        | (set() if unit.lifecycle else {"lifecycle"}),
                    ),
                    "inputs": unit.input_schema,
                    "output": unit.output_schema,
                    "example": unit.example_payload,
                }
                for unit in units
            ]
        return out


def find_manifest() -> Path:
    """``$ODOO_CONNECTOR_MANIFEST``, else the source tree's ``connector.yaml`` (a checkout or an
    editable install), else the copy a wheel installs under ``<prefix>/share/odoo-connector``."""
    override = os.environ.get("ODOO_CONNECTOR_MANIFEST")
    if override:
        # a named file that is not there is a mistake to report, never a reason to fall back
        if not Path(override).is_file():
            raise ManifestError(
                f"The manifest {override!r} (--manifest, or $ODOO_CONNECTOR_MANIFEST) is not a file."
            )
        return Path(override)
    candidates = [
        Path(__file__).resolve().parent.parent / "connector.yaml",
        Path(sys.prefix) / "share" / "odoo-connector" / "connector.yaml",
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise ManifestError("connector.yaml not found; looked in: " + ", ".join(map(str, candidates)))


def load_manifest(path: str | None = None) -> Manifest:
    """Loads and parses the manifest and every schema it names (cached per file: it is read once).
    Without ``path``, :func:`find_manifest` says which file, each time, so a changed
    ``$ODOO_CONNECTOR_MANIFEST`` is seen."""
    file = Path(path) if path else find_manifest()
    if not file.is_file():
        raise ManifestError(f"The manifest {str(file)!r} is not a file (given with --manifest).")
    return _load(file.resolve())


def clear_manifest_cache() -> None:
    """Forgets every manifest read: the next :func:`load_manifest` reads the file again (tests
    that edit a manifest)."""
    _load.cache_clear()


@cache
def _load(file: Path) -> Manifest:
    try:
        # libyaml's loader when present: the pure-Python one is a third of a one-shot run's CPU
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # both safe: no arbitrary objects
        raw = yaml.load(file.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    except (OSError, yaml.YAMLError) as exc:
        raise ManifestError(f"{file}: {exc}") from exc
    for group, kind in (("actions", "action"), ("dataSources", "dataSource"), ("triggers", "trigger")):
        for unit in raw.get(group) or []:
            if isinstance(unit, dict):
                unit.setdefault("kind", kind)
    try:
        manifest = Manifest.model_validate({**raw, "root": file.parent})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "$." + ".".join(str(p) for p in first["loc"])
        raise ManifestError(f"{file}: {where}: {first['msg']}") from None
    common_file = file.parent / "schemas" / "common.json"
    common = _read_json(common_file) if common_file.is_file() else {}
    for unit in manifest.units():
        unit.input_schema = _inline(_read_json(file.parent / unit.inputs), common, file.parent / unit.inputs)
        unit.output_schema = _inline(_read_json(file.parent / unit.output), common, file.parent / unit.output)
        unit.example_payload = _read_json(file.parent / unit.example)
    return manifest


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read: {exc.strerror}") from exc
    except ValueError as exc:
        raise ManifestError(f"{path}: not valid JSON: {exc}") from exc


def _inline(schema: Any, common: dict[str, Any], origin: Path) -> Any:
    """Replaces ``{"$ref": "../common.json#/$defs/x", ...}`` by the definition, keeping sibling
    keys (a title or description given at the use site wins)."""
    if isinstance(schema, list):
        return [_inline(item, common, origin) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and "common.json#/$defs/" in ref:
        name = ref.split("#/$defs/", 1)[1]
        try:
            target = common["$defs"][name]
        except KeyError:
            raise ManifestError(
                f"{origin}: $ref {ref!r} names no definition in schemas/common.json"
            ) from None
        merged = {**_inline(target, common, origin), **{k: v for k, v in schema.items() if k != "$ref"}}
        return {k: _inline(v, common, origin) for k, v in merged.items()}
    return {key: _inline(value, common, origin) for key, value in schema.items()}


_EXPECTED_PARAMS = {"action": 2, "dataSource": 2, "trigger": 3}
# Required positional parameters of each lifecycle function (more may follow with defaults).
_LIFECYCLE_PARAMS = {
    "subscribe": "(connection, inputs, webhook_url)",
    "unsubscribe": "(connection, state)",
    "receive": "(connection, state, request)",
    "exists": "(connection, state)",
}


def _lifecycle_problems(unit: UnitSpec, where: str) -> Iterator[str]:
    """Each lifecycle function imports and takes the documented parameters."""
    if unit.lifecycle is None:
        return
    if unit.kind != "trigger":
        yield f"{where}: $.lifecycle: only a trigger has a lifecycle"
    for name, path in unit.lifecycle.functions().items():
        try:
            function = _import(path)
        except Exception as exc:
            yield f"{where}: $.lifecycle.{name}: {path!r} does not import: {exc}"
            continue
        shape = _LIFECYCLE_PARAMS[name]
        required = [
            p
            for p in inspect.signature(function).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
        if len(required) != shape.count(",") + 1:
            yield (
                f"{where}: $.lifecycle.{name}: {path} takes {len(required)} required "
                f"parameters; it takes {shape}"
            )


# Keywords newer than draft-07: the runtime's compiled input check (fastjsonschema) would
# silently ignore them, so input schemas must not use them (output schemas may).
_NEWER_THAN_DRAFT7 = frozenset(
    {
        "prefixItems",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedProperties",
        "unevaluatedItems",
        "minContains",
        "maxContains",
        "$dynamicRef",
        "$dynamicAnchor",
        "$anchor",
    }
)


def _newer_keywords(schema: Any, path: str = "$") -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in _NEWER_THAN_DRAFT7:
                yield f"{path}.{key}"
            if key not in ("examples", "default", "const", "enum"):
                yield from _newer_keywords(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _newer_keywords(item, f"{path}[{index}]")


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _types(prop: dict[str, Any]) -> set[str]:
    declared = prop.get("type")
    return {declared} if isinstance(declared, str) else set(declared or [])


def _form_problems(file: str, schema: dict[str, Any]) -> Iterator[str]:
    """What a platform needs to draw a form from an input schema: a title and description of the
    whole, and for every top-level property a title, a description and at least one example. A
    ``default`` is what the runtime fills in when the input is left out, so it belongs only on an
    optional input, must itself be valid, and an optional number or flag must declare one (leaving
    it out always means some value, and the form should show which)."""
    from jsonschema import Draft202012Validator  # only `validate` needs it

    for key in ("title", "description"):
        if not _is_text(schema.get(key)):
            yield f"{file}: $.{key}: missing or empty (the platform shows it above the form)"
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        where = f"{file}: $.properties.{name}"
        if not isinstance(prop, dict):
            continue
        for key in ("title", "description"):
            if not _is_text(prop.get(key)):
                yield f"{where}: no {key} (the form shows it beside the input)"
        examples = prop.get("examples")
        if not isinstance(examples, list) or not examples:
            yield f"{where}: no examples (give a non-empty list; each is validated)"
        if "default" in prop:
            if name in required:
                yield f"{where}.default: a required input takes no default (it is never left out)"
            else:
                for err in Draft202012Validator(prop).iter_errors(prop["default"]):
                    yield f"{where}.default: {err.message}"
        elif name not in required and _types(prop) & {"integer", "number", "boolean"}:
            yield (
                f"{where}: an optional {'/'.join(sorted(_types(prop)))} input needs a default "
                "(the value the runtime uses when it is left out)"
            )


# A markdown link or image whose target is not an absolute URL: `[text](docs/x.md)`.
_RELATIVE_LINK = re.compile(r"\]\((?!https?://|mailto:)([^)\s]*)")


def _connection_problems(conn: ConnectionSpec) -> Iterator[str]:
    where = f"connector.yaml: connection {conn.key}"
    doc = conn.documentation.strip()
    if not doc:
        yield f"{where}: $.documentation: missing (markdown a platform shows with the form)"
    elif not re.search(r"\s", doc):
        yield (
            f"{where}: $.documentation: {doc!r} is a reference, not the text; a platform has only "
            "the manifest and cannot open it: put the markdown itself here"
        )
    else:
        for target in _RELATIVE_LINK.findall(doc):
            yield (
                f"{where}: $.documentation: the link {target!r} is relative; a platform cannot "
                "open it (use an absolute https:// URL or say it in the text)"
            )
    for i, field in enumerate(conn.fields):
        if not _is_text(field.description):
            yield f"{where}: $.fields[{i}] ({field.key}): no description (the form shows it)"


def _dynamic_schema_problems(manifest: Manifest) -> Iterator[str]:
    """Every ``x-dynamicSchema`` on an input names a data source of this manifest, and the inputs
    it runs that data source with (``dependsOn``, taken from the same form, and the constant
    ``inputs``) are inputs the data source takes."""
    sources = {unit.key: unit for unit in manifest.data_sources}
    for unit in manifest.units():
        for name, prop in (unit.input_schema.get("properties") or {}).items():
            if not isinstance(prop, dict) or "x-dynamicSchema" not in prop:
                continue
            where = f"{unit.inputs}: $.properties.{name}.x-dynamicSchema"
            spec = prop["x-dynamicSchema"]
            if not isinstance(spec, dict):
                yield f"{where}: must be an object {{dataSource, dependsOn, inputs?}}"
                continue
            source = sources.get(str(spec.get("dataSource")))
            if source is None:
                yield f"{where}.dataSource: {spec.get('dataSource')!r} is not a data source of this manifest"
                continue
            takes = set((source.input_schema.get("properties") or {}).keys())
            depends = spec.get("dependsOn", [])
            if not isinstance(depends, list):
                yield f"{where}.dependsOn: must be a list of input names"
                depends = []
            own = set((unit.input_schema.get("properties") or {}).keys())
            for i, dep in enumerate(depends):
                if dep not in takes:
                    yield f"{where}.dependsOn[{i}]: {source.key} takes no input {dep!r}"
                elif dep not in own:
                    yield f"{where}.dependsOn[{i}]: {unit.key} has no input {dep!r} to take it from"
            constants = spec.get("inputs", {})
            if not isinstance(constants, dict):
                yield f"{where}.inputs: must be an object of {source.key}'s inputs"
                continue
            for key in constants:
                if key not in takes:
                    yield f"{where}.inputs.{key}: {source.key} takes no input {key!r}"


def _value_types(prop: dict[str, Any]) -> set[str]:
    """The scalar types an input takes: its own, its items' (a list of picks) and its
    ``oneOf``/``anyOf`` branches' (companyId: an id, or a list of ids)."""
    kinds = _types(prop) - {"array"}
    if isinstance(prop.get("items"), dict):
        kinds |= _value_types(prop["items"])
    for branch in [*(prop.get("oneOf") or []), *(prop.get("anyOf") or [])]:
        if isinstance(branch, dict):
            kinds |= _value_types(branch)
    return kinds


def _walk_properties(schema: Any, path: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every property of an input schema, nested objects included: ``(path, name, property)``."""
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if isinstance(prop, dict):
            yield f"{path}.{name}", name, prop
            yield from _walk_properties(prop, f"{path}.{name}.properties")


def _data_source_binding_problems(manifest: Manifest) -> Iterator[str]:
    """The picklist binding a platform implements (docs/manifest.md, "Picklists"), held true:

    * ``x-dataSource`` names a data source of this manifest, on an input whose type is a string
      or an integer (the platform turns the option's string ``key`` into that type);
    * each input the data source requires, and is not given as an ``x-dataSourceInputs``
      constant, is an input of the unit by the same name (the form fills it from there);
    * a data source marks at most one input ``x-search`` (where the user's typed text goes), a
      string.
    """
    sources = {unit.key: unit for unit in manifest.data_sources}
    for source in manifest.data_sources:
        properties = list(_walk_properties(source.input_schema, "$.properties"))
        searched = [name for _, name, prop in properties if prop.get("x-search")]
        if len(searched) > 1:
            yield f"{source.inputs}: x-search on {searched}: at most one input takes the typed search"
        for _, name, prop in properties:
            if prop.get("x-search") and _types(prop) != {"string"}:
                yield f"{source.inputs}: $.properties.{name}.x-search: the search input must be a string"
    for unit in manifest.units():
        own = set((unit.input_schema.get("properties") or {}).keys())
        for path, _, prop in _walk_properties(unit.input_schema, "$.properties"):
            if "x-dataSource" not in prop:
                continue
            where = f"{unit.inputs}: {path}.x-dataSource"
            picker = sources.get(str(prop["x-dataSource"]))
            if picker is None:
                yield f"{where}: {prop['x-dataSource']!r} is not a data source of this manifest"
                continue
            kinds = _value_types(prop)
            if not kinds or not kinds <= {"string", "integer", "null"}:
                shown = "/".join(sorted(kinds)) or "untyped"
                yield f"{where}: fills a {shown} input; options fill strings or integers (or lists of them)"
            constants = prop.get("x-dataSourceInputs") or {}
            for needed in picker.input_schema.get("required") or []:
                if needed not in constants and needed not in own:
                    yield f"{where}: {picker.key} needs {needed!r}, and {unit.key} has no input of that name"


def describe_schema_path() -> Path:
    """``schemas/describe.schema.json``: the contract of ``describe``'s output, from the source
    tree or where a wheel installs it (beside the default manifest, whatever manifest is read)."""
    for candidate in (
        Path(__file__).resolve().parent.parent / "schemas" / "describe.schema.json",
        Path(sys.prefix) / "share" / "odoo-connector" / "schemas" / "describe.schema.json",
    ):
        if candidate.is_file():
            return candidate
    raise ManifestError("schemas/describe.schema.json not found beside the installed connector.")


def _describe_problems(manifest: Manifest) -> Iterator[str]:
    """``describe``'s output keeps the documented contract (schemas/describe.schema.json)."""
    from jsonschema import Draft202012Validator

    schema = _read_json(describe_schema_path())
    for err in Draft202012Validator(schema).iter_errors(manifest.describe()):
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
        yield f"describe: {where}: {err.message}"


def _metadata_problems(unit: UnitSpec, where: str) -> Iterator[str]:
    """The per-unit flags must not contradict each other: a host hides writes behind ``readOnly``
    and retries behind ``idempotent``, so a wrong combination would mislead it."""
    if unit.read_only and unit.destructive:
        yield f"{where}: $.destructive: a readOnly unit cannot be destructive"
    if unit.read_only and not unit.idempotent:
        yield f"{where}: $.idempotent: a readOnly unit is idempotent (a read is safe to retry)"
    for i, group in enumerate(unit.groups):
        if not _is_text(group):
            yield f"{where}: $.groups[{i}]: empty group name"
    if len(set(unit.groups)) != len(unit.groups):
        yield f"{where}: $.groups: a group is named twice"


def validate_manifest(manifest: Manifest) -> list[str]:
    """Every problem found, each naming the file and the JSON path; empty when all is well."""
    from jsonschema import Draft202012Validator  # imported here: ~80 ms a one-shot run never needs
    from jsonschema.exceptions import SchemaError

    problems: list[str] = []
    keys: set[str] = set()
    connection_keys = {c.key for c in manifest.connections}
    for conn in manifest.connections:
        if conn.key in keys:
            problems.append(f"connector.yaml: $.connections: key {conn.key!r} is not unique")
        keys.add(conn.key)
        problems.extend(_connection_problems(conn))
    for unit in manifest.units():
        where = f"connector.yaml: {unit.kind} {unit.key}"
        if unit.key in keys:
            problems.append(f"{where}: key is not unique")
        keys.add(unit.key)
        for conn_key in unit.connections:
            if conn_key not in connection_keys:
                problems.append(f"{where}: $.connections: unknown connection {conn_key!r}")
        for label, file, schema in (
            ("inputs", unit.inputs, unit.input_schema),
            ("output", unit.output, unit.output_schema),
        ):
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                problems.append(f"{file}: {exc.json_path}: not a valid JSON Schema (2020-12): {exc.message}")
                continue
            if label == "inputs":
                for where_kw in _newer_keywords(schema):
                    problems.append(
                        f"{file}: {where_kw}: input schemas keep to draft-07 keywords (the runtime's "
                        "compiled check would ignore this one)"
                    )
                problems.extend(_form_problems(file, schema))
                validator = Draft202012Validator(schema)
                for i, example in enumerate(schema.get("examples", [])):
                    for err in validator.iter_errors(example):
                        problems.append(f"{file}: $.examples[{i}]{err.json_path[1:]}: {err.message}")
                for name, prop in schema.get("properties", {}).items():
                    for i, example in enumerate(prop.get("examples", [])):
                        for err in Draft202012Validator(prop).iter_errors(example):
                            problems.append(f"{file}: $.properties.{name}.examples[{i}]: {err.message}")
        if isinstance(unit.output_schema, dict):
            try:
                out_validator = Draft202012Validator(unit.output_schema)
                for err in out_validator.iter_errors(unit.example_payload):
                    problems.append(f"{unit.example}: {err.json_path}: {err.message}")
            except SchemaError:
                pass
        problems.extend(_lifecycle_problems(unit, where))
        problems.extend(_metadata_problems(unit, where))
        try:
            handler = unit.load_handler()
        except Exception as exc:
            problems.append(f"{where}: $.handler: {unit.handler!r} does not import: {exc}")
            continue
        params = [
            p
            for p in inspect.signature(handler).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        expected = _EXPECTED_PARAMS[unit.kind]
        if len(params) != expected:
            shape = "(client, inputs, state)" if unit.kind == "trigger" else "(client, inputs)"
            problems.append(
                f"{where}: $.handler: {unit.handler} takes {len(params)} positional "
                f"parameters; a {unit.kind} handler takes {shape}"
            )
    problems.extend(_dynamic_schema_problems(manifest))
    problems.extend(_data_source_binding_problems(manifest))
    problems.extend(_describe_problems(manifest))
    return problems
