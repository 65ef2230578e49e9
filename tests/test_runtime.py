"""The runtime coerces form strings once, validates before anything is sent, and envelopes results."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo_connector import invoke, load_manifest
from odoo_connector.client import Json2Client
from odoo_connector.connections import parse_connection
from odoo_connector.errors import InputError
from odoo_connector.runtime import coerce_inputs, validate_inputs

CONN = {"type": "odooApiKey", "baseUrl": "http://odoo.test", "database": "odoo19", "apiKey": "test-key"}


class NoNetwork(httpx.BaseTransport):
    """Fails the test if anything is sent: bad input must be refused before any request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raise AssertionError(f"a request was sent: {request.method} {request.url}")


def client(transport: httpx.BaseTransport) -> Json2Client:
    return Json2Client(parse_connection(CONN), http_transport=transport)  # type: ignore[arg-type]


def unit(key: str):
    return load_manifest().unit(key)


def test_form_strings_become_typed_values():
    schema = unit("listRecords").input_schema
    coerced = coerce_inputs(
        schema,
        {
            "model": "res.partner",
            "limit": "25",
            "fetchAll": "true",
            "offset": " 5 ",
            "domain": '[["is_company", "=", true]]',
            "fields": '["name"]',
            "order": "",
        },
    )
    assert coerced == {
        "model": "res.partner",
        "limit": 25,
        "fetchAll": True,
        "offset": 5,
        "domain": [["is_company", "=", True]],
        "fields": ["name"],
        "pageSize": 0,  # sized from the rows
        "afterId": 0,  # every record, not only those after an id
    }


def test_defaults_are_filled_and_are_copies():
    schema = unit("listRecords").input_schema
    first = coerce_inputs(schema, {"model": "res.partner"})
    first["domain"].append("mutated")
    assert coerce_inputs(schema, {"model": "res.partner"})["domain"] == []


@pytest.mark.parametrize(
    ("key", "inputs", "path", "says"),
    [
        ("getRecordById", {"model": "res.partner", "recordId": 0}, "recordId", "whole number of 1 or more"),
        ("getRecordById", {"model": "res.partner", "recordId": "abc"}, "recordId", "not valid"),
        ("getRecordById", {"model": "Res Partner", "recordId": 1}, "model", "technical model name"),
        ("getRecordById", {"recordId": 1}, "model", "required"),
        ("createRecord", {"model": "res.partner", "parameters": "name=x"}, "parameters", "not valid"),
        ("createRecord", {"model": "res.partner", "parameters": '{"name": '}, "parameters", "not valid JSON"),
        (
            "createRecord",
            {"model": "res.partner", "parameters": {"name": "x"}, "externalId": "nodot"},
            "externalId",
            "module.name",
        ),
        ("listRecords", {"model": "res.partner", "limit": "-1"}, "limit", "not valid"),
        ("listRecords", {"model": "res.partner", "order": "name; drop"}, "order", "not valid"),
    ],
)
def test_bad_input_is_refused_before_any_request(key, inputs, path, says):
    transport = NoNetwork()
    with pytest.raises(InputError) as err:
        invoke(key, CONN, inputs, client=client(transport))
    assert err.value.path == path
    assert says in str(err.value)
    assert transport.requests == []


def test_bad_domain_is_refused_before_any_request():
    transport = NoNetwork()
    with pytest.raises(InputError) as err:
        invoke(
            "listRecords",
            CONN,
            {"model": "res.partner", "domain": ["|", ["name", "=", "x"]]},
            client=client(transport),
        )
    assert "'|' needs 2 terms" in err.value.message
    assert transport.requests == []


def test_unknown_input_lists_the_known_ones():
    with pytest.raises(InputError) as err:
        validate_inputs(unit("getRecordById"), {"model": "res.partner", "recordId": 1, "feilds": ["x"]})
    assert "feilds" in err.value.message and "fields" in err.value.hint


def test_unknown_key_lists_known_keys():
    with pytest.raises(InputError) as err:
        invoke("nope", CONN, {})
    assert "createRecord" in err.value.hint


def test_raw_actions_refuse_the_wrong_connection():
    basic = {
        "type": "odooBasicAuth",
        "baseUrl": "http://odoo.test",
        "database": "odoo19",
        "username": "u",
        "password": "p",
    }
    with pytest.raises(InputError, match="needs odooApiKey"):
        invoke("rawHttpRequest", basic, {"url": "/web/version"})
    with pytest.raises(InputError, match="needs odooBasicAuth"):
        invoke("rawRequest", CONN, {"model": "res.partner", "method": "search"})


def test_result_is_enveloped():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": 7, "name": "Acme"}])

    result = invoke(
        "getRecordById",
        CONN,
        {"model": "res.partner", "recordId": "7", "fields": ["name"]},
        client=client(httpx.MockTransport(answer)),
    )
    assert result == {"data": {"id": 7, "name": "Acme"}}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
UNIT_KEYS = [u.key for u in load_manifest().units()]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.sampled_from(UNIT_KEYS),
    inputs=st.dictionaries(
        st.sampled_from(
            [
                "model",
                "recordId",
                "parameters",
                "externalId",
                "fields",
                "domain",
                "limit",
                "offset",
                "fetchAll",
                "order",
                "url",
                "method",
                "search",
                "other",
            ]
        ),
        json_values | st.text(max_size=30),
        max_size=6,
    ),
)
def test_fuzzed_input_either_validates_or_raises_input_error(key: str, inputs: dict[str, Any]):
    from odoo_connector.domain import validate_domain

    try:
        checked = validate_inputs(unit(key), inputs)
        if "domain" in checked:
            validate_domain(checked["domain"])
    except InputError:
        pass


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.sampled_from(UNIT_KEYS),
    inputs=st.dictionaries(
        st.sampled_from(
            [
                "model",
                "recordId",
                "parameters",
                "externalId",
                "fields",
                "domain",
                "limit",
                "offset",
                "fetchAll",
                "order",
                "url",
                "method",
                "search",
                "timeout",
                "headers",
                "other",
            ]
        ),
        json_values,
        max_size=6,
    ),
)
def test_fast_check_agrees_with_jsonschema(key: str, inputs: dict[str, Any]):
    """The compiled check decides validity alone when it passes: it must never accept what the
    reference validator (JSON Schema 2020-12) refuses, nor the reverse."""
    import fastjsonschema
    from jsonschema import Draft202012Validator

    from odoo_connector.runtime import _fast_check

    schema = unit(key).input_schema
    try:
        _fast_check(unit(key))(inputs)
        fast_ok = True
    except fastjsonschema.JsonSchemaException:
        fast_ok = False
    assert fast_ok == Draft202012Validator(schema).is_valid(inputs)
