"""Values a person writes (odoo_connector.values.write) through createRecord and updateRecord:
the exact values Odoo receives, the requests it costs, and the errors that stop a write before
anything is sent. A scripted JSON-2 server answers; the recorded tests prove it on a real Odoo."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from odoo_connector import invoke
from odoo_connector.client import OdooClient, make_client
from odoo_connector.connections import parse_connection
from odoo_connector.errors import InputError

CONN = {"type": "odooApiKey", "baseUrl": "http://odoo.test", "database": "odoo19", "apiKey": "test-key"}

PARTNER = {
    "name": {"type": "char", "string": "Name"},
    "email": {"type": "char", "string": "Email"},
    "is_company": {"type": "boolean", "string": "Is a Company"},
    "color": {"type": "integer", "string": "Color Index"},
    "partner_latitude": {"type": "float", "string": "Geo Latitude"},
    "date": {"type": "date", "string": "Date"},
    "country_id": {"type": "many2one", "relation": "res.country", "string": "Country"},
    "category_id": {"type": "many2many", "relation": "res.partner.category", "string": "Tags"},
    "child_ids": {"type": "one2many", "relation": "res.partner", "string": "Contact"},
    "company_type": {
        "type": "selection",
        "string": "Company Type",
        "selection": [["person", "Individual"], ["company", "Company"]],
    },
    "display_name": {"type": "char", "string": "Display Name", "readonly": True},
    "commercial_company_name": {"type": "char", "string": "Company Name Entity", "readonly": True},
}
LEAD = {
    "name": {"type": "char", "string": "Opportunity"},
    "date_deadline": {"type": "date", "string": "Expected Closing"},
    "date_open": {"type": "datetime", "string": "Assignment Date"},
}
FIELDS = {"res.partner": PARTNER, "crm.lead": LEAD}

Answer = Callable[[dict[str, Any]], Any]


def odoo(answers: dict[str, Any] | None = None) -> tuple[OdooClient, list[tuple[str, dict[str, Any]]]]:
    """A JSON-2 server: fields_get from FIELDS, ``create`` answers [101], ``write`` True, and
    ``answers`` per ``model/method`` (a value, or a function of the request body)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    routes: dict[str, Any] = {"res.partner/create": [101], "res.partner/write": True, "crm.lead/create": [7]}
    routes.update(answers or {})

    def handler(request: httpx.Request) -> httpx.Response:
        route = request.url.path.removeprefix("/json/2/")
        body = json.loads(request.content)
        calls.append((route, body))
        model, method = route.split("/")
        if method == "fields_get":
            return httpx.Response(200, json=FIELDS[model])
        answer = routes[route]
        return httpx.Response(200, json=answer(body) if callable(answer) else answer)

    return make_client(parse_connection(CONN), http_transport=httpx.MockTransport(handler)), calls  # type: ignore[arg-type]


def names(table: dict[str, list[list[Any]]]) -> Answer:
    """name_search answering from ``table`` (the escaped =ilike pattern → [[id, name]])."""
    return lambda body: table.get(body["name"], [])


def created(calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    [values] = next(body for route, body in calls if route.endswith("/create"))["vals_list"]
    return dict(values)


def test_related_records_by_name_external_id_and_id_become_ids():
    client, calls = odoo(
        {
            "res.country/name_search": names({"Belgium": [[21, "Belgium"]]}),
            "res.partner.category/name_search": names({"VIP": [[3, "VIP"]]}),
            "ir.model.data/check_object_reference": ["res.partner.category", 8],
        }
    )
    inputs = {
        "model": "res.partner",
        "parameters": {
            "name": "Acme",
            "country_id": {"name": "Belgium"},
            "category_id": [
                {"name": "VIP"},
                {"externalId": "__import__.wholesale"},
                5,
                {"id": 6, "name": "x"},
            ],
        },
    }
    assert invoke("createRecord", CONN, inputs, client=client) == {"data": 101}
    assert created(calls) == {"name": "Acme", "country_id": 21, "category_id": [[6, 0, [3, 8, 5, 6]]]}
    assert ("res.country/name_search", {"name": "Belgium", "operator": "=ilike", "limit": 6}) in calls
    assert ("ir.model.data/check_object_reference", {"module": "__import__", "xml_id": "wholesale"}) in calls


def test_a_plain_name_a_read_pair_and_a_number_in_text_name_a_many2one_too():
    client, calls = odoo({"res.country/name_search": names({"Belgium": [[21, "Belgium"]]})})
    for given, expected in (("Belgium", 21), ([4, "France"], 4), ("12", 12), (None, False)):
        calls.clear()
        invoke(
            "createRecord", CONN, {"model": "res.partner", "parameters": {"country_id": given}}, client=client
        )
        assert created(calls) == {"country_id": expected}


def test_each_distinct_name_is_looked_up_once_however_many_lines_use_it():
    client, calls = odoo(
        {"res.partner.category/name_search": names({"VIP": [[3, "VIP"]], "Gold": [[4, "Gold"]]})}
    )
    lines = [{"name": "VIP"} if i % 2 else {"name": "Gold"} for i in range(50)]
    invoke(
        "createRecord", CONN, {"model": "res.partner", "parameters": {"category_id": lines}}, client=client
    )
    searches = [body["name"] for route, body in calls if route.endswith("/name_search")]
    assert sorted(searches) == ["Gold", "VIP"]


def test_wildcards_in_a_name_are_escaped_so_the_match_stays_exact():
    client, calls = odoo({"res.country/name_search": names({"a\\_b\\%c\\\\": [[9, "a_b%c\\"]]})})
    invoke(
        "createRecord", CONN, {"model": "res.partner", "parameters": {"country_id": "a_b%c\\"}}, client=client
    )
    assert created(calls) == {"country_id": 9}


def test_an_ambiguous_name_lists_the_candidates_with_their_ids_and_writes_nothing():
    client, calls = odoo({"res.partner.category/name_search": names({"VIP": [[3, "vip"], [4, "Vip"]]})})
    with pytest.raises(InputError) as err:
        invoke(
            "createRecord",
            CONN,
            {"model": "res.partner", "parameters": {"category_id": ["VIP"]}},
            client=client,
        )
    assert err.value.message == (
        "parameters.category_id: 'VIP' names several res.partner.category records: 'vip' (id 3), "
        "'Vip' (id 4); give the one meant by its id ({\"id\": 3})"
    )
    assert err.value.exit_code == 2
    assert not [route for route, _ in calls if route.endswith(("/create", "/write"))]


def test_of_several_matches_the_one_with_the_very_name_given_is_taken():
    client, calls = odoo({"res.country/name_search": names({"Belgium": [[21, "belgium"], [22, "Belgium"]]})})
    invoke(
        "createRecord", CONN, {"model": "res.partner", "parameters": {"country_id": "Belgium"}}, client=client
    )
    assert created(calls) == {"country_id": 22}


def test_every_problem_is_reported_at_once_with_field_and_value_and_nothing_is_sent():
    client, calls = odoo()
    params = {
        "emial": "x@example.com",
        "company_type": "Corporation",
        "color": "red",
        "date": "23/11/2026",
        "display_name": "Acme",
        "country_id": True,
    }
    with pytest.raises(InputError) as err:
        invoke("createRecord", CONN, {"model": "res.partner", "parameters": params}, client=client)
    lines = err.value.message.splitlines()
    assert lines[0] == "6 values cannot be written to res.partner:"
    assert lines[1:] == [
        "- parameters.emial: res.partner has no field 'emial' that this user can see; did you mean "
        "'email' (Email)?",
        "- parameters.company_type: res.partner.company_type has no choice 'Corporation'; allowed: "
        "'person' (Individual), 'company' (Company).",
        "- parameters.color: res.partner.color is an integer, not 'red'.",
        "- parameters.date: res.partner.date is a date: give it as YYYY-MM-DD, not '23/11/2026'.",
        "- parameters.display_name: res.partner.display_name (Display Name) is read-only: Odoo sets it.",
        "- parameters.country_id: res.partner.country_id links to res.country: true is not a record.",
    ]
    assert err.value.path == "parameters.emial"
    assert "rawValues" in err.value.hint
    assert [route for route, _ in calls] == ["res.partner/fields_get"]


def test_a_field_named_by_its_label_or_other_case_is_suggested():
    client, _ = odoo()
    with pytest.raises(InputError) as err:
        invoke("createRecord", CONN, {"model": "res.partner", "parameters": {"Country": 21}}, client=client)
    assert "did you mean 'country_id' (Country)?" in err.value.message


def test_a_missing_related_record_is_named_and_nothing_is_written():
    client, calls = odoo(
        {
            "res.country/name_search": names({}),
            "ir.model.data/check_object_reference": lambda body: (_ for _ in ()).throw(AssertionError),
        }
    )
    with pytest.raises(InputError) as err:
        invoke(
            "createRecord",
            CONN,
            {"model": "res.partner", "parameters": {"country_id": {"name": "Nowhereland"}}},
            client=client,
        )
    assert err.value.message == (
        "parameters.country_id: no res.country record named 'Nowhereland' that this user can see "
        "(the name must match whole, case aside)"
    )
    assert not [route for route, _ in calls if route.endswith("/create")]


def test_selection_labels_any_case_and_text_numbers_and_booleans_are_converted():
    client, calls = odoo()
    params = {"company_type": "company", "color": "3", "partner_latitude": "50.85", "is_company": "yes"}
    invoke("createRecord", CONN, {"model": "res.partner", "parameters": params}, client=client)
    assert created(calls) == {
        "company_type": "company",
        "color": 3,
        "partner_latitude": 50.85,
        "is_company": True,
    }
    calls.clear()
    invoke(
        "createRecord",
        CONN,
        {"model": "res.partner", "parameters": {"company_type": "INDIVIDUAL"}},
        client=client,
    )
    assert created(calls) == {"company_type": "person"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-11-23T14:05:00+01:00", "2026-11-23 13:05:00"),
        ("2026-11-23T14:05:00Z", "2026-11-23 14:05:00"),
        ("2026-11-23 14:05:00", "2026-11-23 14:05:00"),  # Odoo's own format: UTC already
        ("2026-07-01T09:30:00", "2026-07-01 07:30:00"),  # no offset: the call's zone (Brussels, summer)
        ("2026-12-01", "2026-11-30 23:00:00"),  # a day: its midnight there
    ],
)
def test_datetimes_become_utc_in_odoos_format(given: str, expected: str):
    client, calls = odoo()
    inputs = {
        "model": "crm.lead",
        "parameters": {"date_open": given},
        "context": {"timezone": "Europe/Brussels"},
    }
    invoke("createRecord", CONN, inputs, client=client)
    assert created(calls) == {"date_open": expected}
    assert not [route for route, _ in calls if route.endswith("/context_get")]


def test_a_time_without_an_offset_is_read_in_the_users_own_zone_when_the_call_names_none():
    client, calls = odoo({"res.users/context_get": {"uid": 5, "tz": "America/New_York", "lang": "en_US"}})
    asked = 0
    for _ in range(2):
        invoke(
            "createRecord",
            CONN,
            {"model": "crm.lead", "parameters": {"date_open": "2026-01-15T09:00:00"}},
            client=client,
        )
        assert created(calls) == {"date_open": "2026-01-15 14:00:00"}
        asked += len([route for route, _ in calls if route.endswith("/context_get")])
        calls.clear()
    assert asked == 1  # once per client


def test_one2many_objects_are_lines_converted_against_their_own_model():
    client, calls = odoo({"res.country/name_search": names({"France": [[75, "France"]]})})
    params = {
        "name": "Acme",
        "child_ids": [{"name": "Jo", "country_id": "France"}, {"id": 40, "name": "Kept"}],
    }
    invoke("createRecord", CONN, {"model": "res.partner", "parameters": params}, client=client)
    assert created(calls) == {
        "name": "Acme",
        "child_ids": [[6, 0, [40]], [0, 0, {"name": "Jo", "country_id": 75}]],
    }


def test_odoo_command_lists_and_empty_lists_are_passed_as_odoo_reads_them():
    client, calls = odoo()
    params = {"category_id": [[4, 3], [3, 9]], "child_ids": []}
    invoke("createRecord", CONN, {"model": "res.partner", "parameters": params}, client=client)
    assert created(calls) == {"category_id": [[4, 3], [3, 9]], "child_ids": [[6, 0, []]]}


def test_raw_values_are_sent_as_given_without_asking_for_the_fields():
    client, calls = odoo()
    params = {"country_id": "whatever Odoo makes of it", "x_custom": 1}
    invoke(
        "createRecord", CONN, {"model": "res.partner", "parameters": params, "rawValues": True}, client=client
    )
    assert calls == [("res.partner/create", {"vals_list": [params]})]


def test_an_update_drops_read_only_fields_that_keep_their_value_and_refuses_a_change():
    current = {"id": 7, "display_name": "Acme", "commercial_company_name": "Acme"}
    client, calls = odoo({"res.partner/read": [current]})
    friendly_read = {"name": "Acme", "display_name": "Acme", "commercial_company_name": "Acme", "email": None}
    assert invoke(
        "updateRecord",
        CONN,
        {"model": "res.partner", "recordId": 7, "parameters": friendly_read},
        client=client,
    ) == {"data": True}
    write = next(body for route, body in calls if route.endswith("/write"))
    assert write == {"ids": [7], "vals": {"name": "Acme", "email": False}}
    read = next(body for route, body in calls if route.endswith("/read"))
    assert sorted(read["fields"]) == ["commercial_company_name", "display_name"]

    calls.clear()
    with pytest.raises(InputError) as err:
        invoke(
            "updateRecord",
            CONN,
            {"model": "res.partner", "recordId": 7, "parameters": {"display_name": "Other"}},
            client=client,
        )
    assert err.value.message == (
        "parameters.display_name: res.partner.display_name (Display Name) is read-only: Odoo sets it, "
        "and 'Other' differs from its value 'Acme'."
    )
    assert not [route for route, _ in calls if route.endswith("/write")]


def test_the_batch_actions_convert_every_row_and_look_each_name_up_once_for_all_rows():
    client, calls = odoo(
        {
            "res.country/name_search": names({"Belgium": [[21, "Belgium"]]}),
            "res.partner/search": [100],  # the id watermark that tells created rows from updated
            "res.partner/load": {"ids": [101, 102, 103], "messages": [], "nextrow": 0},
        }
    )
    records = [
        {"parameters": {"name": f"P{i}", "country_id": "Belgium", "company_type": "Company"}}
        for i in range(3)
    ]
    report = invoke("createRecords", CONN, {"model": "res.partner", "records": records}, client=client)[
        "data"
    ]
    assert [row["id"] for row in report["rows"]] == [101, 102, 103]
    assert [route for route, _ in calls].count("res.country/name_search") == 1
    load = next(body for route, body in calls if route == "res.partner/load")
    assert load["fields"] == ["company_type", "country_id/.id", "name"]
    assert load["data"] == [["company", "21", f"P{i}"] for i in range(3)]
