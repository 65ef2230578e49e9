"""The user's context (issue 17, point 3): a company, a language, a time zone and archived records
per call or as connection defaults, recorded against a real Odoo 19 with two companies (the
ordinary user may work in both) and French active; plus how the client merges the context."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from odoo_connector import invoke, load_manifest, make_client, parse_connection
from odoo_connector.errors import AccessDeniedError, InputError

pytestmark = pytest.mark.recordable


def run(conn: dict[str, Any], key: str, **inputs: Any) -> Any:
    result = invoke(key, conn, inputs)
    Draft202012Validator(load_manifest().unit(key).output_schema).validate(result)
    return result["data"]


# Nothing below names one server's companies or languages: each test finds them on the server it
# talks to (recorded with the test, so replay sees the recording server's), and runs against any
# Odoo 19 built by tests/README.md's recipe.


def user_companies(conn: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The user's main company and every company it may work in, ``{"id", "name"}`` each, read
    from its own user record (not through selectCompany, which the tests check against it)."""
    with make_client(parse_connection(conn)) as client:
        uid = client.whoami()["id"]
    user = run(conn, "getRecordById", model="res.users", recordId=uid, fields=["company_id", "company_ids"])
    companies = run(
        conn, "listRecords", model="res.company", domain=[["id", "in", user["company_ids"]]], fields=["name"]
    )
    main = next(c for c in companies if c["id"] == user["company_id"][0])
    return main, companies


def second_company(conn: dict[str, Any]) -> dict[str, Any]:
    """A company the user may work in besides its main one (the recipe gives it one)."""
    main, companies = user_companies(conn)
    others = [c for c in companies if c["id"] != main["id"]]
    assert others, "the test user needs a second company (tests/README.md, Recording)"
    return others[0]


def active_languages(conn: dict[str, Any]) -> list[dict[str, Any]]:
    """Active languages, read as records (res.lang is archived when inactive)."""
    rows: list[dict[str, Any]] = run(
        conn, "listRecords", model="res.lang", fields=["code", "name"], order="code"
    )
    return rows


def test_select_company_lists_every_company_of_the_user(conn):
    _, companies = user_companies(conn)
    expected = sorted((str(c["id"]), c["name"]) for c in companies)
    assert len(expected) >= 2
    listed = run(conn, "selectCompany")
    assert sorted((o["key"], o["label"]) for o in listed) == expected
    # a default company in the connection does not hide the others
    main, _ = user_companies(conn)
    with_default = run({**conn, "companyId": main["id"]}, "selectCompany")
    assert sorted((o["key"], o["label"]) for o in with_default) == expected


def test_select_language_lists_the_active_languages(conn):
    active = active_languages(conn)
    assert "en_US" in {lang["code"] for lang in active} and len(active) >= 2
    listed = run(conn, "selectLanguage")
    assert sorted((o["key"], o["label"]) for o in listed) == sorted(
        (lang["code"], lang["name"]) for lang in active
    )


def test_a_record_is_created_in_the_company_of_the_context(conn, admin_conn, prefix):
    branch = second_company(conn)
    lead = run(
        conn,
        "createRecord",
        model="crm.lead",
        parameters={"name": f"{prefix} lead"},
        context={"companyId": branch["id"]},
    )
    try:
        record = run(conn, "getRecordById", model="crm.lead", recordId=lead, fields=["company_id"])
        assert record == {"id": lead, "company_id": [branch["id"], branch["name"]]}
    finally:  # a salesperson may not delete leads; the administrator may, in either company
        run(
            admin_conn,
            "deleteRecordById",
            model="crm.lead",
            recordId=lead,
            context={"companyId": [branch["id"], user_companies(conn)[0]["id"]]},
        )


def test_an_unauthorized_company_is_named_with_the_users_companies(conn):
    _, companies = user_companies(conn)
    unknown = max(c["id"] for c in companies) + 1000
    with pytest.raises(AccessDeniedError) as err:
        run(conn, "listRecords", model="crm.lead", fields=["name"], limit=1, context={"companyId": unknown})
    assert err.value.message == "Access to unauthorized or invalid companies."
    for company in companies:
        assert f"{company['id']} ({company['name']})" in err.value.hint


def test_an_inactive_language_lists_the_active_ones(conn):
    active = [lang["code"] for lang in active_languages(conn)]
    inactive = run(
        conn,
        "listRecords",
        model="res.lang",
        domain=[["active", "=", False]],
        fields=["code"],
        order="code",
        limit=1,
        context={"includeArchived": True},
    )[0]["code"]
    with pytest.raises(InputError) as err:
        run(
            conn, "listRecords", model="res.partner", fields=["name"], limit=1, context={"language": inactive}
        )
    assert err.value.message == f"The language '{inactive}' is not active in this Odoo."
    assert err.value.hint.startswith(f"Active languages: {', '.join(sorted(active))}.")


def test_field_labels_come_in_the_language_of_the_context(conn):
    other = next(lang["code"] for lang in active_languages(conn) if lang["code"] != "en_US")
    english = {f["name"]: f["label"] for f in run(conn, "listModelFields", model="res.partner")}
    fields = run(conn, "listModelFields", model="res.partner", context={"language": other})
    labels = {f["name"]: f["label"] for f in fields}
    assert english["name"] == "Name" and labels["name"] != "Name"  # translated ("Nom", "Naam", …)
    # the same through the connection's default language
    fields = run({**conn, "language": other}, "listModelFields", model="res.partner")
    assert {f["name"]: f["label"] for f in fields}["name"] == labels["name"]


def test_archived_records_are_listed_only_with_include_archived(conn, cleanup, prefix):
    name = f"{prefix} archived"
    partner = run(conn, "createRecord", model="res.partner", parameters={"name": name, "active": False})
    cleanup.append(("res.partner", partner))
    domain = [["name", "=", name]]
    assert run(conn, "listRecords", model="res.partner", domain=domain, fields=["name"]) == []
    assert run(
        conn,
        "listRecords",
        model="res.partner",
        domain=domain,
        fields=["name"],
        context={"includeArchived": True},
    ) == [{"id": partner, "name": name}]
