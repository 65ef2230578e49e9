"""Every value converter of odoo_connector.values.write, as a table: what each field type accepts
(and the exact value Odoo then receives) and what it refuses (and the words of the refusal),
through createRecord against a scripted JSON-2 server. A refusal stops the call before anything is
written: "2.5" is not an integer, "maybe" is not a boolean, and neither becomes 2 or false.

A few hypothesis properties state the rules over whole ranges of input."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo_connector import invoke
from odoo_connector.client import OdooClient, make_client
from odoo_connector.connections import parse_connection
from odoo_connector.errors import InputError
from odoo_connector.values import to_odoo

CONN = {"type": "odooApiKey", "baseUrl": "http://odoo.test", "database": "odoo19", "apiKey": "test-key"}
MODEL = "x.thing"
BIG = [[f"k{i}", f"Choice {i}"] for i in range(31)]
FIELDS: dict[str, dict[str, Any]] = {
    MODEL: {
        "flag": {"type": "boolean", "string": "Flag"},
        "count": {"type": "integer", "string": "Count"},
        "ratio": {"type": "float", "string": "Ratio"},
        "price": {"type": "monetary", "string": "Price"},
        "title": {"type": "char", "string": "Title"},
        "notes": {"type": "text", "string": "Notes"},
        "body": {"type": "html", "string": "Body"},
        "doc": {"type": "binary", "string": "Document"},
        "day": {"type": "date", "string": "Day"},
        "at": {"type": "datetime", "string": "At"},
        "kind": {"type": "selection", "string": "Kind", "selection": [["a", "Alpha"], ["b", "Beta"]]},
        "level": {"type": "selection", "string": "Level", "selection": [[1, "One"], [2, "Two"]]},
        "big": {"type": "selection", "string": "Big", "selection": BIG},
        "partner_id": {"type": "many2one", "relation": "res.partner", "string": "Partner"},
        "tag_ids": {"type": "many2many", "relation": "x.tag", "string": "Tags"},
        "line_ids": {"type": "one2many", "relation": "x.line", "string": "Lines"},
        "data": {"type": "json", "string": "Data"},
        "x_studio_color": {"type": "char", "string": "Colour"},
    },
    "x.line": {"name": {"type": "char", "string": "Name"}, "qty": {"type": "integer", "string": "Qty"}},
}
NAMES = {"res.partner": {"Acme": [[42, "Acme"]]}, "x.tag": {"VIP": [[3, "VIP"]]}}


def server(zone: str = "Europe/Brussels") -> tuple[OdooClient, list[tuple[str, dict[str, Any]]]]:
    """fields_get from FIELDS, name_search from NAMES, one external ID, the user's ``zone``,
    and ``create`` answering [101]."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        route = request.url.path.removeprefix("/json/2/")
        body = json.loads(request.content)
        calls.append((route, body))
        model, method = route.split("/")
        answers: dict[str, Any] = {
            "fields_get": lambda: FIELDS[model],
            "name_search": lambda: NAMES.get(model, {}).get(body.get("name"), []),
            "check_object_reference": lambda: [
                "x.line" if body.get("xml_id") == "line_1" else "res.partner",
                77,
            ],
            "context_get": lambda: {"tz": zone, "lang": "en_US", "uid": 2},
            "create": lambda: [101],
        }
        return httpx.Response(200, json=answers[method]())

    transport = httpx.MockTransport(handler)
    return make_client(parse_connection(CONN), http_transport=transport), calls  # type: ignore[arg-type]


def create(parameters: dict[str, Any]) -> tuple[dict[str, Any] | None, InputError | None, list[str]]:
    """What Odoo's create received (or None), the refusal (or None), and the routes called."""
    client, calls = server()
    try:
        invoke("createRecord", CONN, {"model": MODEL, "parameters": parameters}, client=client)
    except InputError as exc:
        return None, exc, [route for route, _ in calls]
    [values] = next(body for route, body in calls if route.endswith("/create"))["vals_list"]
    return values, None, [route for route, _ in calls]


ACCEPTED = [
    # boolean: JSON booleans, 0/1, and the words a form sends, any case and spacing
    ("flag", True, True),
    ("flag", False, False),
    ("flag", None, False),
    ("flag", 1, True),
    ("flag", 0, False),
    *[("flag", word, True) for word in ("true", "YES", " 1 ", "on", "y", "T")],
    *[("flag", word, False) for word in ("false", "No", "0", " OFF ", "n", "f", "")],
    # integer: whole numbers, in text too, and a float that is whole
    ("count", 12, 12),
    ("count", "12", 12),
    ("count", " -3 ", -3),
    ("count", "+7", 7),
    ("count", 2.0, 2),
    ("count", "2.0", 2),
    ("count", 0, 0),
    ("count", None, False),
    ("count", False, False),
    # float and monetary: numbers, in text too
    ("ratio", 2.5, 2.5),
    ("ratio", "2.5", 2.5),
    ("ratio", " 3 ", 3),
    ("ratio", "-1e3", -1000.0),
    ("ratio", 0, 0),
    ("price", "9.99", 9.99),
    ("price", 10, 10),
    # text: strings as given, numbers as their text; binary: base64 text
    ("title", " Acme ", " Acme "),
    ("title", 12, "12"),
    ("title", 1.5, "1.5"),
    ("title", "", ""),
    ("notes", 3, "3"),
    ("body", "<p>x</p>", "<p>x</p>"),
    ("doc", "aGVsbG8=", "aGVsbG8="),
    ("title", None, False),
    # date: ISO, spaces trimmed
    ("day", "2026-11-23", "2026-11-23"),
    ("day", " 2026-02-28 ", "2026-02-28"),
    # datetime: Odoo's own (UTC) as given; offsets to UTC; no offset is the user's zone (Brussels)
    ("at", "2026-11-23 14:05:00", "2026-11-23 14:05:00"),
    ("at", "2026-11-23T14:05:00+01:00", "2026-11-23 13:05:00"),
    ("at", "2026-11-23T14:05:00Z", "2026-11-23 14:05:00"),
    ("at", "2026-11-23T14:05:00-05:30", "2026-11-23 19:35:00"),
    ("at", "2026-11-23T14:05:00", "2026-11-23 13:05:00"),
    ("at", " 2026-07-01T14:05 ", "2026-07-01 12:05:00"),
    # selection: the key, or the key or label in any case
    ("kind", "a", "a"),
    ("kind", "Alpha", "a"),
    ("kind", " beta ", "b"),
    ("kind", "B", "b"),
    ("level", 2, 2),
    ("level", "Two", 2),
    ("level", "1", 1),
    ("big", "Choice 30", "k30"),
    # many2one: an id, its text, a read pair, the friendly read, a name, an external ID
    ("partner_id", 42, 42),
    ("partner_id", "42", 42),
    ("partner_id", [42, "Acme"], 42),
    ("partner_id", {"id": 42, "name": "Acme"}, 42),
    ("partner_id", {"id": 42}, 42),
    ("partner_id", "Acme", 42),
    ("partner_id", {"name": " Acme "}, 42),
    ("partner_id", {"externalId": " __import__.acme "}, 77),
    ("partner_id", None, False),
    # many2many: ids replace the set; Odoo's commands as given; items in any many2one form
    ("tag_ids", [1, 2], [[6, 0, [1, 2]]]),
    ("tag_ids", [], [[6, 0, []]]),
    ("tag_ids", None, [[6, 0, []]]),
    ("tag_ids", False, [[6, 0, []]]),
    ("tag_ids", [[6, 0, [3]]], [[6, 0, [3]]]),
    ("tag_ids", [[4, 5], [3, 6, 0]], [[4, 5], [3, 6, 0]]),
    ("tag_ids", [[0, 0, {"name": "x"}]], [[0, 0, {"name": "x"}]]),
    ("tag_ids", [{"id": 7}, "12", "VIP"], [[6, 0, [7, 12, 3]]]),
    # one2many: objects are lines to create, converted on the line's model; references keep lines
    ("line_ids", [{"name": "L1", "qty": "2"}], [[0, 0, {"name": "L1", "qty": 2}]]),
    ("line_ids", [5, {"name": "L"}], [[6, 0, [5]], [0, 0, {"name": "L"}]]),
    ("line_ids", [{"id": 5, "name": "kept"}], [[6, 0, [5]]]),
    ("line_ids", [{"externalId": "__import__.line_1"}], [[6, 0, [77]]]),
    ("line_ids", None, [[6, 0, []]]),
    # json: Odoo's own shape, as given
    ("data", {"a": [1, True]}, {"a": [1, True]}),
]


@pytest.mark.parametrize(("name", "given", "sent"), ACCEPTED, ids=lambda v: repr(v)[:40])
def test_an_accepted_value_reaches_odoo_as_its_field_takes_it(name, given, sent):
    values, refused, _ = create({name: given})
    assert refused is None, refused.message if refused else ""
    assert values == {name: sent}
    assert type(values[name]) is type(sent)  # 1 is not True, 2 is not 2.0


REFUSED = [
    ("flag", "maybe", "x.thing.flag is a boolean field: give true or false, not 'maybe'."),
    ("flag", 2, "x.thing.flag is a boolean field: give true or false, not 2."),
    ("flag", 1.0, "x.thing.flag is a boolean field: give true or false, not 1.0."),
    ("flag", "yes please", "x.thing.flag is a boolean field: give true or false, not 'yes please'."),
    ("flag", [], "x.thing.flag is a boolean field: give true or false, not []."),
    ("count", "2.5", "x.thing.count is an integer, not '2.5'."),
    ("count", 2.5, "x.thing.count is an integer, not 2.5."),
    ("count", True, "x.thing.count is an integer, not True."),
    ("count", "twelve", "x.thing.count is an integer, not 'twelve'."),
    ("count", "", "x.thing.count is an integer, not ''."),
    ("count", "inf", "x.thing.count is an integer, not 'inf'."),
    ("count", [1], "x.thing.count is an integer, not [1]."),
    ("ratio", "abc", "x.thing.ratio is a number, not 'abc'."),
    ("ratio", "nan", "x.thing.ratio is a number, not 'nan'."),
    ("ratio", True, "x.thing.ratio is a number, not True."),
    ("price", "9,99", "x.thing.price is a number, not '9,99'."),
    ("title", True, "x.thing.title is a char field: give it as text, not True."),
    ("title", {"a": 1}, "x.thing.title is a char field: give it as text, not {'a': 1}."),
    ("body", [1], "x.thing.body is a html field: give it as text, not [1]."),
    ("doc", 12, "x.thing.doc is a binary field: give it as text, not 12."),
    ("day", "23/11/2026", "x.thing.day is a date: give it as YYYY-MM-DD, not '23/11/2026'."),
    ("day", "2026-02-30", "x.thing.day is a date: give it as YYYY-MM-DD, not '2026-02-30'."),
    ("day", 20261123, "x.thing.day is a date: give it as YYYY-MM-DD, not 20261123."),
    (
        "at",
        "tomorrow",
        "x.thing.at is a date and time: give it in ISO 8601 (2026-11-23T14:05:00+01:00, or …Z for UTC), "
        "not 'tomorrow'.",
    ),
    (
        "at",
        1700000000,
        "x.thing.at is a date and time: give it in ISO 8601 (2026-11-23T14:05:00+01:00, or …Z for UTC), "
        "not 1700000000.",
    ),
    ("kind", "c", "x.thing.kind has no choice 'c'; allowed: 'a' (Alpha), 'b' (Beta)."),
    ("kind", 1, "x.thing.kind has no choice 1; allowed: 'a' (Alpha), 'b' (Beta)."),
    ("level", 3, "x.thing.level has no choice 3; allowed: 1 (One), 2 (Two)."),
    (
        "big",
        "k31",
        "x.thing.big has no choice 'k31'; allowed: "
        + ", ".join(f"'k{i}' (Choice {i})" for i in range(30))
        + ", ….",
    ),
    ("partner_id", True, "x.thing.partner_id links to res.partner: true is not a record."),
    *[
        (
            "partner_id",
            given,
            'x.thing.partner_id links to res.partner: give the record\'s id, its name ({"name": "…"}) or '
            f'its external ID ({{"externalId": "module.name"}}), not {shown}.',
        )
        for given, shown in (
            (0, "0"),
            (-3, "-3"),
            ("", "''"),
            ("  ", "'  '"),
            ([], "[]"),
            ([42], "[42]"),
            (["42", "Acme"], "['42', 'Acme']"),
            ({"id": 0}, "{'id': 0}"),
            ({"id": True}, "{'id': True}"),
            ({"externalId": "noprefix"}, "{'externalId': 'noprefix'}"),
            ({"externalId": ".x."}, "{'externalId': '.x.'}"),
            ({"name": " "}, "{'name': ' '}"),
            ({"name": "Acme", "email": "a@b.c"}, "{'name': 'Acme', 'email': 'a@b.c'}"),
            (2.5, "2.5"),
        )
    ],
    ("tag_ids", 5, "x.thing.tag_ids is a many2many field: give a list, not 5."),
    ("tag_ids", "1,2", "x.thing.tag_ids is a many2many field: give a list, not '1,2'."),
    ("line_ids", {"name": "L"}, "x.thing.line_ids is an one2many field: give a list, not {'name': 'L'}."),
]


@pytest.mark.parametrize(("name", "given", "message"), REFUSED, ids=lambda v: repr(v)[:40])
def test_a_refused_value_stops_the_call_with_the_field_and_the_value_named(name, given, message):
    values, refused, routes = create({name: given})
    assert values is None
    assert refused is not None
    assert refused.message == f"parameters.{name}: {message}"
    assert refused.path == f"parameters.{name}"
    assert refused.exit_code == 2
    assert not [r for r in routes if r.endswith("/create")]


@pytest.mark.parametrize(
    ("given", "where", "message"),
    [
        (
            [[6, 0, [3]], 4],
            "parameters.tag_ids[0]",
            "x.thing.tag_ids: a list mixes Odoo commands with other values.",
        ),
        (
            [[7, 0, 0]],
            "parameters.tag_ids[0]",
            "x.thing.tag_ids: a list mixes Odoo commands with other values.",
        ),
        (
            [[-1, 0, 0]],
            "parameters.tag_ids[0]",
            "x.thing.tag_ids: a list mixes Odoo commands with other values.",
        ),
        ([1, True], "parameters.tag_ids[1]", "x.thing.tag_ids links to x.tag: true is not a record."),
    ],
)
def test_a_refused_item_of_a_list_is_named_by_its_position(given, where, message):
    _, refused, _ = create({"tag_ids": given})
    assert refused is not None
    assert refused.message == f"{where}: {message}"


def test_a_refused_value_in_a_line_names_the_line_and_its_field():
    _, refused, _ = create({"line_ids": [{"name": "ok"}, {"qty": "2.5"}]})
    assert refused is not None
    assert refused.message == "parameters.line_ids[1].qty: x.line.qty is an integer, not '2.5'."


def test_every_refusal_is_reported_at_once_in_input_order():
    _, refused, _ = create({"flag": "maybe", "title": "fine", "count": "2.5", "kind": "c"})
    assert refused is not None
    assert refused.message.splitlines() == [
        "3 values cannot be written to x.thing:",
        "- parameters.flag: x.thing.flag is a boolean field: give true or false, not 'maybe'.",
        "- parameters.count: x.thing.count is an integer, not '2.5'.",
        "- parameters.kind: x.thing.kind has no choice 'c'; allowed: 'a' (Alpha), 'b' (Beta).",
    ]


def test_an_unknown_field_named_by_its_label_is_suggested_by_its_name():
    _, refused, _ = create({"Colour": "red"})
    assert refused is not None
    assert refused.message == (
        "parameters.Colour: x.thing has no field 'Colour' that this user can see; did you mean "
        "'x_studio_color' (Colour)?"
    )


def test_a_time_without_offset_in_a_zone_this_machine_does_not_know_says_what_to_give():
    client, calls = server(zone="Mars/Olympus_Mons")
    with pytest.raises(InputError) as err:
        invoke(
            "createRecord", CONN, {"model": MODEL, "parameters": {"at": "2026-11-23T14:05"}}, client=client
        )
    assert err.value.message == (
        "'Mars/Olympus_Mons' is not a time zone this machine knows, so a time without an offset cannot "
        "be read in it."
    )
    assert err.value.path == "context.timezone"
    assert err.value.hint == (
        "Give the time with an offset (…+01:00 or …Z), or an IANA zone such as Europe/Brussels in "
        "context.timezone."
    )
    assert not [route for route, _ in calls if route.endswith("/create")]
    values, refused, _ = create({"at": "2026-11-23T14:05:00Z"})  # with an offset, no zone is needed
    assert refused is None and values == {"at": "2026-11-23 14:05:00"}


def test_a_time_without_offset_is_utc_for_a_user_without_a_zone():
    client, calls = server(zone="")
    invoke("createRecord", CONN, {"model": MODEL, "parameters": {"at": "2026-11-23T14:05"}}, client=client)
    [values] = next(body for route, body in calls if route.endswith("/create"))["vals_list"]
    assert values == {"at": "2026-11-23 14:05:00"}


# --- properties over whole ranges ------------------------------------------------------------

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def convert(name: str, value: Any) -> tuple[Any, str | None]:
    client, _ = server()
    try:
        return to_odoo(client, MODEL, {name: value})[name], None
    except InputError as exc:
        return None, exc.message


@PROPERTY
@given(st.integers(min_value=-(2**63), max_value=2**63), st.sampled_from(["{}", " {} ", "+{}"]))
def test_any_whole_number_in_text_is_that_integer(number, form):
    text = form.format(number) if number >= 0 or "+" not in form else str(number)
    assert convert("count", text) == (number, None)


@PROPERTY
@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()))
def test_a_number_with_a_fraction_is_never_an_integer(number):
    for value in (number, repr(number)):
        sent, refused = convert("count", value)
        assert sent is None
        assert refused == f"parameters.count: x.thing.count is an integer, not {value!r}."


@PROPERTY
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_float_in_text_is_that_float(number):
    sent, refused = convert("ratio", repr(number))
    assert refused is None
    assert sent == number and math.copysign(1, sent) == math.copysign(1, number)


@PROPERTY
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=12))
def test_a_boolean_takes_only_the_known_words_and_refuses_the_rest(text):
    words = {"true": True, "yes": True, "1": True, "on": True, "y": True, "t": True}
    words |= {"false": False, "no": False, "0": False, "off": False, "n": False, "f": False, "": False}
    sent, refused = convert("flag", text)
    if text.strip().casefold() in words:
        assert (sent, refused) == (words[text.strip().casefold()], None)
    else:
        assert sent is None
        assert (
            refused == f"parameters.flag: x.thing.flag is a boolean field: give true or false, not {text!r}."
        )
