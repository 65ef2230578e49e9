"""One acceptance walk over connector.yaml: a new key cannot skip its schema, example, handler or
its recorded test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import odoo_connector
from odoo_connector.manifest import load_manifest, validate_manifest

MANIFEST = load_manifest()
UNITS = list(MANIFEST.units())
TESTS = Path(__file__).parent


def test_manifest_validates():
    assert validate_manifest(MANIFEST) == []


def test_manifest_has_every_key_of_the_seed():
    assert {u.key for u in UNITS} >= {
        "createRecord",
        "updateRecord",
        "deleteRecordById",
        "getRecordById",
        "getRecordByExternalId",
        "setExternalId",
        "listRecords",
        "listModels",
        "listModelFields",
        "rawHttpRequest",
        "rawRequest",
        "selectModel",
        "selectRecordById",
        "pollChangesTrigger",
    }
    assert [c.key for c in MANIFEST.connections] == ["odooApiKey", "odooBasicAuth"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.key)
def test_unit_example_validates_and_inputs_are_documented(unit):
    Draft202012Validator(unit.output_schema).validate(unit.example_payload)
    assert unit.input_schema["additionalProperties"] is False
    for name, prop in unit.input_schema["properties"].items():
        assert prop.get("title"), f"{unit.key}.{name} has no title for the platform form"
        if name in ("model", "recordId"):
            assert prop["x-dataSource"] == {"model": "selectModel", "recordId": "selectRecordById"}[name]


_TRANSPORT = {"odooApiKey": "json2", "odooBasicAuth": "jsonrpc"}


def _recorded_tests() -> dict[str, list[str]]:
    """Recordable test name -> its source, per module, for every ``tests/test_*.py`` marked
    ``recordable``."""
    found: dict[str, list[str]] = {}
    for path in TESTS.glob("test_*.py"):
        text = path.read_text()
        if not re.search(r"^pytestmark = pytest\.mark\.recordable", text, re.M):
            continue
        module = path.stem.removeprefix("test_")
        for block in re.split(r"\n(?=def )", text):
            match = re.match(r"def (test_\w+)", block)
            if match:
                found.setdefault(block, []).append(f"{module}/{match.group(1)}")
    return found


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.key)
def test_unit_has_a_recorded_test_with_its_cassettes(unit):
    """Some recordable test runs the key, and its cassettes exist for every connection the key
    accepts, so replay really exercises it (a missing cassette fails a test, not naming the key)."""
    runs = [name for block, names in _recorded_tests().items() if f'"{unit.key}"' in block for name in names]
    assert runs, f"no recordable test runs {unit.key}"
    cassettes = TESTS / "cassettes"
    assert any(
        all((cassettes / f"{name}[{_TRANSPORT[conn]}].yaml").is_file() for conn in unit.connections)
        for name in runs
    ), f"no cassettes for the tests that run {unit.key}: {runs}"


def test_secret_fields_are_marked():
    for conn in MANIFEST.connections:
        secret = {f.key for f in conn.fields if f.secret}
        assert secret == ({"apiKey"} if conn.key == "odooApiKey" else {"password"})
    basic = MANIFEST.connection("odooBasicAuth")
    assert basic.deprecated and "Odoo 22" in (basic.deprecation_message or "")


def test_describe_inlines_every_schema():
    described = MANIFEST.describe()
    for group in ("actions", "dataSources", "triggers"):
        for unit in described[group]:
            assert "$ref" not in str(unit["inputs"]) and unit["inputs"]["type"] == "object"
            assert unit["example"] is not None


def test_public_api_is_what_we_mean_it_to_be():
    assert sorted(odoo_connector.__all__) == sorted(
        [
            "Connection",
            "OdooClient",
            "OdooConnectorError",
            "__version__",
            "invoke",
            "iter_records",
            "load_manifest",
            "make_client",
            "parse_connection",
        ]
    )
    for name in odoo_connector.__all__:
        assert getattr(odoo_connector, name) is not None
    assert MANIFEST.version == odoo_connector.__version__
