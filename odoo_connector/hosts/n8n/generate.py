"""From ``describe`` to an n8n community node package (docs/n8n.md).

n8n draws a node from a static ``description`` (its parameters, credentials, outputs) and calls
methods by name to fill pickers (``loadOptions``, ``listSearch``, ``resourceMapping``). This
module computes all of it from the manifest, as data, into ``units.json``; the JavaScript in
``package/`` is the same for every manifest: it builds the node classes from that file and turns
each call into a request to ``odoo-connector serve``. So a unit added to ``connector.yaml``
appears in n8n after ``export n8n`` again, without code.

How an input becomes a parameter (the binding rules of docs/manifest.md, in n8n's words):

- ``x-dataSource`` on a data source with an ``x-search`` input: a ``resourceLocator`` whose list
  mode calls ``listSearch`` (the typed text goes to that input, so the server searches); its
  other mode takes a typed value. Without ``x-search``: ``options`` (a list of strings:
  ``multiOptions``) filled by ``loadOptions``. The data source's other inputs come from the
  node's parameters of the same name; ``key`` strings become integers where the input is one.
- ``x-dynamicSchema``: n8n's resource mapper, its fields from the data source's JSON Schema.
- ``string``/``integer``/``number``/``boolean``: typed fields; a string ``enum``: ``options``.
- anything else (objects, arrays, untyped): ``json``. The node also accepts JSON text or a plain
  value for every object or array input whatever its widget, so a workflow written from
  ``describe`` alone runs.

One file of about 440 lines: the node descriptions are one nested object, and reading how an
input becomes a parameter beside how the node is assembled is easier than following it across
modules; the JavaScript side is in ``package/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ...errors import ConfigurationError

__all__ = ["PACKAGE_NAME", "export_package", "n8n_descriptions"]

PACKAGE_NAME = "n8n-nodes-odoo-connector"
ACTION_NODE = "odooConnector"
TRIGGER_NODE = "odooConnectorTrigger"
# Parameter names the nodes use themselves: an input of the same name would be shadowed.
_RESERVED = frozenset({"authentication", "operation", "trigger"})

Json = dict[str, Any]


def _class_name(key: str) -> str:
    """n8n finds a node or credential class by its file name: ``odooApiKey`` → ``OdooApiKey``."""
    return key[:1].upper() + key[1:]


def _credential(connection: Mapping[str, Any]) -> Json:
    properties = []
    for field in connection["fields"]:
        prop: Json = {
            "displayName": field["label"],
            "name": field["key"],
            "description": field.get("description") or "",
            "required": bool(field.get("required")),
        }
        if field["type"] == "password" or field.get("secret"):
            prop.update(type="string", typeOptions={"password": True}, default="")
        elif field["type"] == "integer" and field.get("default") is not None:
            prop.update(type="number", default=field["default"])
        else:
            # an optional integer without a default (port, companyId) is text that may stay
            # empty: n8n's number field always holds a number, and 0 would be sent
            prop.update(type="string", default="" if field.get("default") is None else str(field["default"]))
        if field.get("example") is not None:
            prop["placeholder"] = str(field["example"])
        properties.append(prop)
    documentation = connection.get("documentation") or ""
    if documentation:
        properties.insert(
            0, {"displayName": documentation, "name": "notice", "type": "notice", "default": ""}
        )
    return {
        "name": connection["key"],
        "displayName": connection["label"],
        "properties": properties,
        "fields": {f["key"]: f["type"] for f in connection["fields"]},
    }


def _search_input(data_source: Mapping[str, Any]) -> str | None:
    for name, prop in data_source["inputs"].get("properties", {}).items():
        if prop.get("x-search"):
            return str(name)
    return None


def _example(prop: Mapping[str, Any]) -> Any:
    examples = prop.get("examples") or []
    return examples[0] if examples else None


def _kind(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type")
    return kind if kind in ("string", "integer", "number", "boolean") else "json"


class _Builder:
    """The parameters, conversion table and picker methods of one node, unit by unit."""

    def __init__(self, describe: Mapping[str, Any], selector: str) -> None:
        self.data_sources = {ds["key"]: ds for ds in describe["dataSources"]}
        self.selector = selector  # the parameter holding the unit key
        self.properties: list[Json] = []
        self.units: dict[str, Json] = {}
        self.methods: dict[str, dict[str, Json]] = {
            "listSearch": {},
            "loadOptions": {},
            "resourceMapping": {},
        }

    def add_unit(self, unit: Mapping[str, Any]) -> None:
        schema = unit["inputs"]
        required = set(schema.get("required", []))
        inputs: dict[str, Json] = {}
        for name, prop in schema.get("properties", {}).items():
            if name in _RESERVED:
                raise ConfigurationError(
                    f"{unit['key']}: the input {name!r} has the name of one of the n8n node's own "
                    "parameters; rename the input in connector.yaml."
                )
            parameter, convert = self._parameter(name, prop, name in required)
            convert.update(required=name in required, hasDefault="default" in prop)
            inputs[name] = convert
            self._add_property(parameter, unit["key"])
        self.units[unit["key"]] = {"inputs": inputs, "connections": unit["connections"]}

    def _add_property(self, parameter: Json, key: str) -> None:
        """One n8n parameter per input; an identical one (``model`` on most units) is shared by
        every unit that has it, by listing them all in its ``displayOptions``."""
        for existing in self.properties:
            shown = existing["displayOptions"]["show"][self.selector]
            if {k: v for k, v in existing.items() if k != "displayOptions"} == parameter:
                shown.append(key)
                return
        self.properties.append({**parameter, "displayOptions": {"show": {self.selector: [key]}}})

    def _parameter(self, name: str, prop: Mapping[str, Any], required: bool) -> tuple[Json, Json]:
        base: Json = {
            "displayName": prop.get("title") or name,
            "name": name,
            "description": prop.get("description") or "",
            "required": required,
        }
        example = _example(prop)
        items: Mapping[str, Any] = prop["items"] if isinstance(prop.get("items"), dict) else {}
        if "x-dynamicSchema" in prop:
            return self._mapper(base, prop["x-dynamicSchema"])
        if "x-dataSource" in prop:
            return self._picker(base, prop, prop["x-dataSource"], _kind(prop), example)
        if prop.get("type") == "array" and items.get("x-dataSource") and _kind(items) != "json":
            source = self.data_sources[items["x-dataSource"]]
            if _search_input(source) is None:
                method = self._load_options(items["x-dataSource"])
                default = prop.get("default", [])
                parameter = {**base, "type": "multiOptions", "default": default}
                parameter["typeOptions"] = {
                    "loadOptionsMethod": method,
                    "loadOptionsDependsOn": self._depends(source),
                }
                return parameter, {"kind": "list", "items": _kind(items)}
        kind = _kind(prop)
        if kind == "string" and prop.get("enum"):
            options = [{"name": str(v), "value": v} for v in prop["enum"]]
            return {**base, "type": "options", "options": options, "default": prop.get("default", "")}, {
                "kind": "string"
            }
        if kind == "json":
            default = json.dumps(prop["default"], indent=2) if "default" in prop else ""
            parameter = {**base, "type": "json", "default": default}
            if example is not None:
                parameter["placeholder"] = json.dumps(example)
            return parameter, {"kind": "json"}
        n8n_type = {"string": "string", "integer": "number", "number": "number", "boolean": "boolean"}[kind]
        default = prop.get("default", {"string": "", "boolean": False}.get(kind, 0))
        parameter = {**base, "type": n8n_type, "default": default}
        if kind == "integer":
            parameter["typeOptions"] = {"numberPrecision": 0}
        if example is not None and kind == "string":
            parameter["placeholder"] = str(example)
        return parameter, {"kind": kind}

    def _depends(self, source: Mapping[str, Any]) -> list[str]:
        search = _search_input(source)
        return [n for n in source["inputs"].get("properties", {}) if n != search]

    def _picker(
        self, base: Json, prop: Mapping[str, Any], key: str, kind: str, example: Any
    ) -> tuple[Json, Json]:
        source = self.data_sources[key]
        search = _search_input(source)
        depends = self._depends(source)
        if search is None:
            method = self._load_options(key)
            type_options = {"loadOptionsMethod": method, "loadOptionsDependsOn": depends}
            return {
                **base,
                "type": "options",
                "default": prop.get("default", ""),
                "typeOptions": type_options,
            }, {"kind": kind}
        method = key
        self.methods["listSearch"][method] = {"dataSource": key, "search": search}
        typed: Json = {
            "displayName": "By ID" if kind == "integer" else "By name",
            "name": "id",
            "type": "string",
        }
        if example is not None:
            typed["placeholder"] = str(example)
        parameter = {
            **base,
            "type": "resourceLocator",
            "default": {"mode": "list", "value": ""},
            "modes": [
                {
                    "displayName": "From list",
                    "name": "list",
                    "type": "list",
                    "typeOptions": {"searchListMethod": method, "searchable": True},
                },
                typed,
            ],
            "typeOptions": {"loadOptionsDependsOn": depends},
        }
        return parameter, {"kind": kind}

    def _load_options(self, key: str) -> str:
        self.methods["loadOptions"][key] = {"dataSource": key}
        return key

    def _mapper(self, base: Json, dynamic: Mapping[str, Any]) -> tuple[Json, Json]:
        constants = dynamic.get("inputs") or {}
        suffix = "".join(_class_name(str(v)) for v in constants.values())
        method = f"{dynamic['dataSource']}{suffix}"
        self.methods["resourceMapping"][method] = {
            "dataSource": dynamic["dataSource"],
            "dependsOn": list(dynamic.get("dependsOn", [])),
            "inputs": dict(constants),
        }
        parameter = {
            **base,
            "type": "resourceMapper",
            "default": {"mappingMode": "defineBelow", "value": None},
            "noDataExpression": True,
            "typeOptions": {
                "loadOptionsDependsOn": [f"{n}.value" for n in dynamic.get("dependsOn", [])],
                "resourceMapper": {
                    "resourceMapperMethod": method,
                    "mode": "add",
                    "fieldWords": {"singular": "field", "plural": "fields"},
                    "addAllFields": False,
                    "multiKeyMatch": False,
                    "supportAutoMap": True,
                },
            },
        }
        return parameter, {"kind": "mapper"}


def _authentication(connections: Iterable[Mapping[str, Any]]) -> tuple[Json, list[Json]]:
    conns = list(connections)
    parameter = {
        "displayName": "Authentication",
        "name": "authentication",
        "type": "options",
        "options": [{"name": c["label"], "value": c["key"]} for c in conns],
        "default": conns[0]["key"],
    }
    credentials = [
        {"name": c["key"], "required": True, "displayOptions": {"show": {"authentication": [c["key"]]}}}
        for c in conns
    ]
    return parameter, credentials


def _branches(unit: Mapping[str, Any]) -> list[str]:
    data = unit["output"].get("properties", {}).get("data", {})
    return list(data.get("properties", {})) or ["data"]


def n8n_descriptions(describe: Mapping[str, Any]) -> Json:
    """Everything the package's JavaScript reads: node descriptions, credential types, the
    conversion of each input, the picker methods; ``describe``'s format version and the
    connector's version, to say which manifest it was made from."""
    if describe.get("formatVersion") != 1:
        raise ConfigurationError(
            f"export n8n knows manifest formatVersion 1, not {describe.get('formatVersion')!r}; "
            "upgrade odoo-connector."
        )
    authentication, credentials = _authentication(describe["connections"])
    actions = _Builder(describe, "operation")
    for unit in describe["actions"]:
        actions.add_unit(unit)
    operation = {
        "displayName": "Operation",
        "name": "operation",
        "type": "options",
        "noDataExpression": True,
        "options": [
            {"name": u["label"], "value": u["key"], "description": u["description"], "action": u["label"]}
            for u in describe["actions"]
        ],
        "default": describe["actions"][0]["key"],
    }
    # n8n asks a polling node for items on its schedule; a pushed trigger (with a lifecycle)
    # needs n8n's webhook node interface instead, which this package does not offer yet.
    polled = [u for u in describe["triggers"] if not u.get("lifecycle")]
    triggers = _Builder(describe, "trigger")
    for unit in polled:
        triggers.add_unit(unit)
    branches: list[str] = []
    for unit in polled:
        branches += [b for b in _branches(unit) if b not in branches]
    for unit in polled:
        triggers.units[unit["key"]]["branches"] = _branches(unit)
    trigger = {
        "displayName": "Trigger",
        "name": "trigger",
        "type": "options",
        "noDataExpression": True,
        "options": [{"name": u["label"], "value": u["key"], "description": u["description"]} for u in polled],
        "default": polled[0]["key"] if polled else "",
    }
    label = describe["label"]
    return {
        "formatVersion": describe["formatVersion"],
        "connectorVersion": describe["version"],
        "credentials": [_credential(c) for c in describe["connections"]],
        "dataSourceInputs": {
            ds["key"]: list(ds["inputs"].get("properties", {})) for ds in describe["dataSources"]
        },
        "action": {
            "description": {
                "displayName": label,
                "name": ACTION_NODE,
                "icon": "file:odoo.svg",
                "group": ["transform"],
                "version": 1,
                "subtitle": '={{$parameter["operation"]}}',
                "description": describe["description"],
                "defaults": {"name": label},
                "inputs": ["main"],
                "outputs": ["main"],
                "credentials": credentials,
                "properties": [authentication, operation, *actions.properties],
            },
            "units": actions.units,
            "methods": actions.methods,
        },
        "trigger": {
            "description": {
                "displayName": f"{label} Trigger",
                "name": TRIGGER_NODE,
                "icon": "file:odoo.svg",
                "group": ["trigger"],
                "version": 1,
                "subtitle": '={{$parameter["trigger"]}}',
                "description": "Starts the workflow when records are created or updated in Odoo (polled).",
                "defaults": {"name": f"{label} Trigger"},
                "polling": True,
                "inputs": [],
                "outputs": ["main"] * len(branches),
                "outputNames": branches,
                "credentials": credentials,
                "properties": [authentication, trigger, *triggers.properties],
            },
            "units": triggers.units,
            "methods": triggers.methods,
        },
    }


def _package_json(describe: Mapping[str, Any]) -> Json:
    return {
        "name": PACKAGE_NAME,
        "version": describe["version"],
        "description": f"{describe['label']} nodes for n8n, generated by odoo-connector "
        f"{describe['version']} (odoo-connector export n8n); they call `odoo-connector serve`.",
        "keywords": ["n8n-community-node-package", "odoo"],
        "license": "MIT",
        "main": "index.js",
        "files": ["index.js", "units.json", "lib", "nodes", "credentials"],
        "n8n": {
            "n8nNodesApiVersion": 1,
            "credentials": [
                f"credentials/{_class_name(c['key'])}.credentials.js" for c in describe["connections"]
            ],
            "nodes": [
                f"nodes/{_class_name(ACTION_NODE)}/{_class_name(ACTION_NODE)}.node.js",
                f"nodes/{_class_name(TRIGGER_NODE)}/{_class_name(TRIGGER_NODE)}.node.js",
            ],
        },
        "peerDependencies": {"n8n-workflow": "*"},
    }


def _template(name: str) -> str:
    return (resources.files(__package__) / "package" / name).read_text(encoding="utf-8")


def export_package(describe: Mapping[str, Any], target: Path) -> list[Path]:
    """Write the package into ``target`` (created; files of an earlier export are replaced) and
    return the files written. Plain CommonJS: n8n loads it as written, no build step."""
    descriptions = n8n_descriptions(describe)
    files: dict[str, str] = {
        "package.json": json.dumps(_package_json(describe), indent=2) + "\n",
        "units.json": json.dumps(descriptions, indent=1, ensure_ascii=False) + "\n",
        "index.js": "'use strict';\n// n8n reads the files package.json names.\nmodule.exports = {};\n",
        "README.md": _template("README.md").replace("{version}", str(describe["version"])),
        "lib/service.js": _template("service.js"),
        "lib/nodes.js": _template("nodes.js"),
    }
    icon = _template("odoo.svg")
    for name in (ACTION_NODE, TRIGGER_NODE):
        cls = _class_name(name)
        kind = "action" if name == ACTION_NODE else "trigger"
        files[f"nodes/{cls}/{cls}.node.js"] = (
            "'use strict';\n// Generated by odoo-connector export n8n: built from ../../units.json.\n"
            f"const {{ nodeClass }} = require('../../lib/nodes');\n\nexports.{cls} = nodeClass('{kind}');\n"
        )
        files[f"nodes/{cls}/odoo.svg"] = icon
    for connection in describe["connections"]:
        cls = _class_name(connection["key"])
        files[f"credentials/{cls}.credentials.js"] = (
            "'use strict';\n// Generated by odoo-connector export n8n from the manifest's connection.\n"
            f"const {{ credentialClass }} = require('../lib/nodes');\n\n"
            f"exports.{cls} = credentialClass({json.dumps(connection['key'])});\n"
        )
    written = []
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
