"""The units a host offers as tools, and the one way a tool call reaches Odoo.

Everything here is read from the manifest: a tool is a unit, named by its key, with the unit's
input and output schemas and its ``readOnly``/``destructive``/``idempotent`` flags. Actions and
data sources are tools; a trigger is one too when a platform needs nothing but its poll (no
``lifecycle``): it takes the state it returned last (``state``) and answers what changed since.

The policy (``--read-only``, ``--allow-keys``, ``--allow-models``) decides what is offered, and
it is checked again on every call, before :func:`~odoo_connector.runtime.invoke`: a tool that is
not offered cannot be called by guessing its name, and a model outside the allow-list is refused
before anything is sent. Model inputs are the ones the manifest binds to the ``selectModel``
picklist (``x-dataSource``); a unit that takes none could reach any model (an attachment by id,
a raw request, a record by external ID), so with a model allow-list only the picklists among them
stay offered.

SDK-free on purpose: the benchmark and the tests reach the same code the server runs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, OdooConnectorError
from ..manifest import Manifest, UnitSpec
from ..runtime import invoke

__all__ = ["STATE_INPUT", "Policy", "Tool", "ToolError", "Toolbox"]

# The trigger tool's cursor: the input that carries the previous call's ``state``.
STATE_INPUT = "state"
# The picklist whose inputs name a model; a unit's inputs bound to it are its model inputs.
_MODEL_PICKLIST = "selectModel"
# Inputs of a data source that take the typed text, in the order they are tried.
_SEARCH_INPUTS = ("search", "modelSearch")
_MAX_COMPLETIONS = 100  # MCP's cap on one completion answer


class ToolError(InputError):
    """A call the host's policy refuses (a hidden tool, a model outside the allow-list): the
    user's to fix on the command line, found before anything was sent."""


@dataclass(frozen=True)
class Policy:
    """What the server's command line allows. Empty allow-lists allow everything."""

    read_only: bool = False
    keys: frozenset[str] = frozenset()
    models: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Tool:
    """One unit as a host shows it."""

    unit: UnitSpec
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    model_inputs: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        return self.unit.key

    @property
    def is_trigger(self) -> bool:
        return self.unit.kind == "trigger"


def model_inputs(unit: UnitSpec) -> tuple[str, ...]:
    props = unit.input_schema.get("properties") or {}
    return tuple(
        name
        for name, prop in props.items()
        if isinstance(prop, dict) and prop.get("x-dataSource") == _MODEL_PICKLIST
    )


def _trigger_input_schema(unit: UnitSpec) -> dict[str, Any]:
    """The trigger's inputs plus its cursor: the ``state`` the last call returned."""
    schema = copy.deepcopy(unit.input_schema)
    schema.setdefault("properties", {})[STATE_INPUT] = {
        "title": "State",
        "description": (
            "The `state` the previous call returned, unchanged: the answer is what changed since "
            "then. Leave it out on the first call, which records a baseline and emits nothing."
        ),
    }
    return schema


def _offered(unit: UnitSpec, policy: Policy) -> bool:
    if unit.kind == "trigger" and unit.lifecycle is not None:
        return False  # needs a listener Odoo can reach: not something a tool call can do
    if policy.read_only and not unit.read_only:
        return False
    if policy.keys and unit.key not in policy.keys:
        return False
    return not (policy.models and not model_inputs(unit) and unit.kind != "dataSource")


class Toolbox:
    """The offered tools of one manifest under one policy, and the calls into them."""

    def __init__(self, manifest: Manifest, connection: Any, policy: Policy | None = None) -> None:
        self.manifest = manifest
        self.connection = connection
        self.policy = policy or Policy()
        self.tools: dict[str, Tool] = {}
        for unit in manifest.units():
            if not _offered(unit, self.policy):
                continue
            schema = _trigger_input_schema(unit) if unit.kind == "trigger" else unit.input_schema
            self.tools[unit.key] = Tool(unit, schema, unit.output_schema, model_inputs(unit))

    def check_policy(self, name: str, arguments: Mapping[str, Any]) -> Tool:
        """The tool, when the policy lets this call through; else a :class:`ToolError`."""
        tool = self.tools.get(name)
        if tool is None:
            known = ", ".join(self.tools)
            try:
                self.manifest.unit(name)
            except KeyError:
                raise ToolError(f"There is no tool {name!r}.", hint=f"The tools: {known}.") from None
            raise ToolError(
                f"{name} is not offered by this server (--read-only, --allow-keys or --allow-models).",
                hint="Restart the server with a policy that allows it, if it should be.",
            )
        if self.policy.models:
            for input_name in tool.model_inputs:
                value = arguments.get(input_name)
                if value is not None and value not in self.policy.models:
                    allowed = ", ".join(sorted(self.policy.models))
                    raise ToolError(
                        f"The model {value!r} ({input_name}) is not in this server's allow-list.",
                        hint=f"Allowed models (--allow-models): {allowed}.",
                        path=input_name,
                    )
        return tool

    def call(self, name: str, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
        """Runs one tool through :func:`invoke` and returns its envelope; raises the connector's
        errors unchanged (the host turns them into error results)."""
        args = dict(arguments or {})
        tool = self.check_policy(name, args)
        if tool.is_trigger:
            state = args.pop(STATE_INPUT, None)
            return invoke(name, self.connection, args, state=state, manifest=self.manifest)
        return invoke(name, self.connection, args, manifest=self.manifest)

    def completable(self, tool_name: str) -> dict[str, str]:
        """The tool's top-level inputs a picklist fills: input name → data source key."""
        tool = self.tools.get(tool_name)
        if tool is None:
            return {}
        props = tool.input_schema.get("properties") or {}
        return {
            name: prop["x-dataSource"]
            for name, prop in props.items()
            if isinstance(prop, dict) and isinstance(prop.get("x-dataSource"), str)
        }

    def complete(self, tool_name: str, argument: str, typed: str, given: Mapping[str, Any]) -> list[str]:
        """Values for ``argument`` of ``tool_name`` that match ``typed``, from the picklist the
        manifest binds to it. The picklist's other inputs come from the arguments already given
        under the same names (selectRecordById's ``model``), plus the input's constant
        ``x-dataSourceInputs``. Empty when the picklist cannot run yet (its model not given)."""
        source_key = self.completable(tool_name).get(argument)
        if source_key is None or source_key not in self.tools:
            return []
        source = self.tools[source_key].unit
        prop = (self.tools[tool_name].input_schema.get("properties") or {})[argument]
        takes = source.input_schema.get("properties") or {}
        inputs: dict[str, Any] = {k: v for k, v in given.items() if k in takes and k != argument and v != ""}
        inputs.update(prop.get("x-dataSourceInputs") or {})
        search = next((name for name in _SEARCH_INPUTS if name in takes), None)
        if search and typed:
            inputs[search] = typed
        if any(name not in inputs for name in source.input_schema.get("required", [])):
            return []
        try:
            options = self.call(source_key, inputs).get("data") or []
        except OdooConnectorError:
            return []
        keys = _option_keys(options)
        if not search and typed:
            needle = typed.casefold()
            keys = [
                (key, label) for key, label in keys if needle in key.casefold() or needle in label.casefold()
            ]
        return [key for key, _ in keys][:_MAX_COMPLETIONS]


def _option_keys(options: Iterable[Any]) -> list[tuple[str, str]]:
    return [
        (str(option.get("key")), str(option.get("label", "")))
        for option in options
        if isinstance(option, dict) and option.get("key") is not None
    ]
