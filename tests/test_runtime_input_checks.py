"""The runtime's input checks (odoo_connector.runtime) at their edges: what a platform form's text
becomes for each declared type (anyOf and oneOf too), which empty inputs are dropped, the limits no
schema keyword says (nesting, unpaired surrogates, non-finite numbers; big integers pass),
each refusal in its words and with its path, and ECMA patterns read exactly in Python."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from odoo_connector import invoke
from odoo_connector.client import make_client
from odoo_connector.errors import InputError
from odoo_connector.manifest import load_manifest
from odoo_connector.runtime import check_values, coerce_inputs, python_pattern, python_schema, validate_inputs

from .fakes import fake_connection, jsonrpc_answer, jsonrpc_params

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["need"],
    "properties": {
        "need": {"type": "string"},
        "count": {"type": "integer"},
        "ratio": {"type": "number"},
        "flag": {"type": "boolean"},
        "either": {"anyOf": [{"type": "integer"}, {"type": "array"}]},
        "one": {"oneOf": [{"type": "integer"}, {"type": "null"}]},
        "maybe": {"type": ["integer", "null"]},
        "items": {"type": "array"},
        "shape": {"type": "object"},
        "text": {"type": "string"},
        "listed": {"type": "array", "default": [1]},
    },
}


@pytest.mark.parametrize(
    ("name", "given", "becomes"),
    [
        ("count", " 42 ", 42),
        ("count", "+7", 7),
        ("count", "٣", "٣"),  # not ASCII: left for the schema to refuse
        ("count", "X12", "X12"),
        ("items", "Xyz", "Xyz"),  # JSON is read only from text starting with [ or {
        ("ratio", "2.5", 2.5),
        ("ratio", "inf", "inf"),  # not a finite number: left as text
        ("ratio", "½", "½"),
        ("flag", "Yes", True),
        ("flag", "OFF", False),
        ("flag", "maybe", "maybe"),
        ("either", "3", 3),
        ("either", "[1, 2]", [1, 2]),
        ("one", "5", 5),
        ("one", "null", None),
        ("maybe", " ", None),
        ("maybe", "NULL", None),
        ("items", "[1]", [1]),
        ("items", "1,2", "1,2"),  # not JSON: left as text, refused by the schema
        ("shape", ' {"a": 1} ', {"a": 1}),
        ("text", "[1]", "[1]"),  # a string input is never read as JSON
        ("text", 12, 12),  # only text is coerced
    ],
)
def test_a_forms_text_becomes_the_declared_type(name, given, becomes):
    out = coerce_inputs(SCHEMA, {"need": "x", name: given})
    assert out[name] == becomes
    assert type(out[name]) is type(becomes)


def test_an_empty_optional_input_is_dropped_and_a_required_one_kept():
    out = coerce_inputs(SCHEMA, {"need": "", "count": "", "unknown": ""})
    assert out == {"need": "", "unknown": "", "listed": [1]}  # an unknown input is kept, as given


def test_a_default_is_a_copy_a_handler_may_change():
    first = coerce_inputs(SCHEMA, {"need": "x"})
    first["listed"].append(2)
    assert coerce_inputs(SCHEMA, {"need": "x"})["listed"] == [1]


def test_text_that_is_not_json_for_an_object_says_where_it_breaks():
    with pytest.raises(InputError) as err:
        coerce_inputs(SCHEMA, {"need": "x", "shape": "{a: 1}"})
    assert err.value.message == (
        "The input 'shape' is not valid JSON (Expecting property name enclosed in double quotes at "
        "character 1)"
    )
    assert err.value.path == "shape"


# --- what no schema keyword says --------------------------------------------------------------


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_is_refused_past_64_levels_naming_the_input():
    check_values({"deep": nested(63)})
    with pytest.raises(InputError) as err:
        check_values({"deep": nested(64)})
    assert err.value.message == "The input 'deep' is nested more than 64 levels deep."
    assert err.value.path == "deep"
    with pytest.raises(InputError) as top:
        check_values(nested(66))
    assert top.value.message == "The input '0' is nested more than 64 levels deep."
    assert top.value.path == "0"


def test_an_unpaired_surrogate_is_refused_with_its_path():
    with pytest.raises(InputError) as err:
        check_values({"parameters": {"name": "a\ud800b"}})
    assert err.value.message == (
        "The input 'parameters.name' contains text that is not valid Unicode (an unpaired surrogate "
        "such as \\ud800)."
    )
    assert err.value.path == "parameters.name"
    with pytest.raises(InputError) as key:
        check_values({"\udfff": 1})
    assert key.value.message.startswith("The input '(inputs)' contains text that is not valid Unicode")
    assert key.value.path is None


@pytest.mark.parametrize("number", [float("inf"), float("-inf"), float("nan")])
def test_a_number_odoo_cannot_store_is_refused_with_its_path(number):
    with pytest.raises(InputError) as err:
        check_values({"records": [{"parameters": {"ratio": number}}]})
    assert (
        err.value.message
        == f"The input 'records.0.parameters.ratio' is {number}, which is not a number Odoo can store."
    )
    assert err.value.path == "records.0.parameters.ratio"


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 2**40, 2**63 - 1])
def test_an_integer_beyond_32_bits_reaches_odoo_unchanged_over_basic_auth(value):
    """XML-RPC carried 32-bit integers only, so they were refused before the login; JSON-RPC
    carries Odoo's 64-bit integers, and a domain on a big id goes through as written."""
    sent: list[list[Any]] = []

    def odoo(request: httpx.Request) -> httpx.Response:
        params = jsonrpc_params(request)
        if params["method"] == "login":
            return jsonrpc_answer(2)
        sent.append(params["args"])
        return jsonrpc_answer(0)

    conn = fake_connection("jsonrpc")
    client = make_client(conn, http_transport=httpx.MockTransport(odoo))
    inputs = {"model": "res.partner", "method": "search_count", "parameters": [[["id", ">", value]]]}
    assert invoke("rawRequest", conn, inputs, client=client) == {"data": 0}
    assert sent[0][5] == [[["id", ">", value]]]


# --- ECMA patterns, exactly ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "python"),
    [
        ("^[a-z]+$", r"^[a-z]+\Z"),
        (r"^a\$b$", r"^a\$b\Z"),
        ("^[$]x$", r"^[$]x\Z"),
        (r"^[\]$]$", r"^[\]$]\Z"),
    ],
)
def test_a_dollar_ends_the_text_only_as_in_ecma(pattern, python):
    assert python_pattern(pattern) == python
    assert re.search(python, "abc\n" if pattern == "^[a-z]+$" else "") is None


def test_patterns_are_translated_everywhere_but_in_examples_defaults_consts_and_enums():
    schema = {
        "properties": {"code": {"type": "string", "pattern": "^x$"}, "price$": {"type": "number"}},
        "patternProperties": {"^k$": {"pattern": "^v$"}},
        "examples": [{"pattern": "^e$"}],
        "default": {"pattern": "^d$"},
        "const": {"pattern": "^c$"},
        "enum": [{"pattern": "^n$"}],
        "items": [{"pattern": "^i$"}],
    }
    assert python_schema(schema) == {
        "properties": {"code": {"type": "string", "pattern": r"^x\Z"}, "price$": {"type": "number"}},
        "patternProperties": {r"^k\Z": {"pattern": r"^v\Z"}},
        "examples": [{"pattern": "^e$"}],
        "default": {"pattern": "^d$"},
        "const": {"pattern": "^c$"},
        "enum": [{"pattern": "^n$"}],
        "items": [{"pattern": r"^i\Z"}],
    }


def test_a_model_name_with_a_trailing_newline_is_refused_as_in_ecma():
    unit = load_manifest().unit("listRecords")
    with pytest.raises(InputError) as err:
        validate_inputs(unit, {"model": "res.partner\n"})
    assert err.value.path == "model"
    assert "does not have the expected form" in err.value.message


def test_a_whole_float_for_an_integer_is_sent_as_an_integer_in_maps_of_any_key():
    unit = load_manifest().unit("callMethod")
    out = validate_inputs(unit, {"model": "res.partner", "method": "read", "recordIds": [7.0]})
    assert out["recordIds"] == [7] and type(out["recordIds"][0]) is int


def test_unknown_inputs_are_named_all_with_the_inputs_there_are():
    unit = load_manifest().unit("listRecords")
    with pytest.raises(InputError) as err:
        validate_inputs(unit, {"model": "res.partner", "colour": 1, "size": 2})
    assert err.value.message == "listRecords has no inputs 'colour', 'size'."
    assert err.value.path == "colour"
    assert err.value.hint is not None and err.value.hint.startswith("Its inputs are: ")


def test_a_long_refused_value_is_shown_cut_with_an_ellipsis():
    unit = load_manifest().unit("listRecords")
    with pytest.raises(InputError) as err:
        validate_inputs(unit, {"model": "X" * 100})
    shown = '"' + "X" * 78 + "…"
    assert err.value.message.startswith(
        f"The input 'model' is not valid: {shown} does not have the expected form."
    )


def test_a_pattern_refusal_says_the_inputs_own_words_and_the_regular_expression():
    unit = load_manifest().unit("callMethod")
    with pytest.raises(InputError) as err:
        validate_inputs(unit, {"model": "res.partner", "method": "_private"})
    assert err.value.message == (
        "The input 'method' is not valid: \"_private\" does not have the expected form. Give a public "
        "method name: letters, digits and '_', starting with a letter (Odoo refuses private methods such "
        "as _action_confirm remotely), e.g. action_confirm."
    )
    assert err.value.hint == "It must match the regular expression ^[A-Za-z][A-Za-z0-9_]*$."
    assert err.value.path == "method"


@pytest.mark.parametrize(
    ("record_ids", "path", "message"),
    [
        (
            "x",
            "recordIds",
            "'x' is not of type 'array'. A list of record ids (whole numbers ≥ 1), e.g. [42].",
        ),
        ([0], "recordIds[0]", "0 is less than the minimum of 1."),  # the input's words fit it whole only
    ],
)
def test_an_inputs_own_words_follow_a_refusal_of_the_input_itself(record_ids, path, message):
    unit = load_manifest().unit("callMethod")
    with pytest.raises(InputError) as err:
        validate_inputs(unit, {"model": "res.partner", "method": "read", "recordIds": record_ids})
    assert err.value.message == f"The input {path!r} is not valid: {message}"
    assert err.value.path == path


def test_a_pattern_refusal_deep_in_a_row_says_that_values_own_words():
    unit = load_manifest().unit("upsertRecords")
    with pytest.raises(InputError) as err:
        validate_inputs(
            unit, {"model": "res.partner", "records": [{"externalId": "bad id", "parameters": {"name": "x"}}]}
        )
    assert err.value.message == (
        "The input 'records[0].externalId' is not valid: \"bad id\" does not have the expected form. An "
        "external ID is module.name: letters, digits and '_' before the first dot, e.g. "
        "__import__.customer_42."
    )
    assert err.value.path == "records[0].externalId"


# --- schemas no unit declares today: the checks stay right for the unit that adds one ------------


def unit_with(schema: dict[str, Any]) -> Any:
    """A unit whose inputs follow ``schema``: the checks are the same for every unit."""
    return load_manifest().unit("listRecords").model_copy(update={"input_schema": schema})


def refusal(schema: dict[str, Any], inputs: dict[str, Any]) -> InputError:
    with pytest.raises(InputError) as err:
        validate_inputs(unit_with(schema), inputs)
    return err.value


def test_a_pattern_refusal_of_an_item_without_words_of_its_own_says_its_inputs_words():
    codes = {"type": "array", "errorMessage": "Give codes like AB-1.", "items": {"pattern": "^[A-Z]+-[0-9]$"}}
    error = refusal({"type": "object", "properties": {"codes": codes}}, {"codes": ["AB-1", "x"]})
    assert error.message == (
        "The input 'codes[1]' is not valid: \"x\" does not have the expected form. Give codes like AB-1."
    )
    assert error.path == "codes[1]"
    assert error.hint == "It must match the regular expression ^[A-Z]+-[0-9]$."


def test_a_refusal_of_the_inputs_as_a_whole_says_so_without_a_path():
    error = refusal({"type": "object", "minProperties": 1}, {})
    assert error.message == "The input '(inputs)' is not valid: {} should be non-empty."
    assert error.path is None


def test_an_object_that_takes_no_inputs_at_all_names_the_unknown_ones_without_a_list():
    error = refusal({"type": "object", "additionalProperties": False}, {"x": 1})
    assert error.message == "listRecords has no input 'x'."
    assert error.path == "x"
    assert not error.hint  # there are no inputs to list
    shape = {"type": "object", "additionalProperties": False}
    nested = refusal({"type": "object", "properties": {"shape": shape}}, {"shape": {"y": 2, "x": 1}})
    assert nested.message == "listRecords has no inputs 'x', 'y' in 'shape'."
    assert nested.path == "shape.x"
    assert not nested.hint


def test_a_whole_float_becomes_an_integer_where_any_key_takes_integers_not_where_any_key_takes_anything():
    out = validate_inputs(
        unit_with({"type": "object", "additionalProperties": {"type": "integer"}}), {"a": 2.0}
    )
    assert out == {"a": 2} and type(out["a"]) is int
    loose = {"type": "object", "additionalProperties": True, "properties": {"n": {"type": "integer"}}}
    out = validate_inputs(unit_with(loose), {"a": 2.0, "n": 3.0})
    assert out == {"a": 2.0, "n": 3}
    assert type(out["a"]) is float and type(out["n"]) is int


@pytest.mark.parametrize(
    ("inputs", "path"),
    [
        ({"mail": "nope"}, "mail"),
        ({"records": [{"mail": "a@example.com"}, {"mail": "nope"}]}, "records[1].mail"),
    ],
)
def test_a_refusal_only_the_compiled_check_makes_still_refuses_naming_the_input(inputs, path):
    """fastjsonschema checks formats and jsonschema (which words the errors) does not: where only
    the compiled check refuses, the input is still refused, in its words, with the input's path."""
    mail = {"type": "string", "format": "email"}
    rows = {"type": "array", "items": {"type": "object", "properties": {"mail": mail}}}
    error = refusal({"type": "object", "properties": {"mail": mail, "records": rows}}, inputs)
    assert error.message == f"The input {path!r} is not valid: data.{path} must be email."
    assert error.path == path


def test_a_pattern_refusal_of_an_input_without_words_ends_at_the_expected_form():
    error = refusal(
        {"type": "object", "properties": {"code": {"type": "string", "pattern": "^x$"}}}, {"code": "y"}
    )
    assert error.message == "The input 'code' is not valid: \"y\" does not have the expected form."
    assert error.hint == "It must match the regular expression ^x$."


def test_a_refusal_under_additional_properties_names_the_input_in_a_schema_without_properties():
    error = refusal({"type": "object", "additionalProperties": {"type": "integer"}}, {"a": "x"})
    assert error.message == "The input 'a' is not valid: 'x' is not of type 'integer'."
    assert error.path == "a"
