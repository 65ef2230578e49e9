"""The user's context (issue 17, point 3): a company, a language, a time zone and archived records
per call or as connection defaults, recorded against a real Odoo 19 with two companies (the
ordinary user may work in both) and French active; plus how the client merges the context."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from odoo_connector import invoke, load_manifest
from odoo_connector.errors import AccessDeniedError, InputError

pytestmark = pytest.mark.recordable


def run(conn: dict[str, Any], key: str, **inputs: Any) -> Any:
    result = invoke(key, conn, inputs)
    Draft202012Validator(load_manifest().unit(key).output_schema).validate(result)
    return result["data"]


# The test server's second company (its id is the one the recording server gave it)
BRANCH = 3
COMPANIES = [{"key": str(BRANCH), "label": "Acme Branch BE"}, {"key": "1", "label": "My Company"}]


def test_select_company_lists_every_company_of_the_user(conn):
    assert run(conn, "selectCompany") == COMPANIES
    # a default company in the connection does not hide the others
    assert run({**conn, "companyId": 1}, "selectCompany") == COMPANIES


def test_select_language_lists_the_active_languages(conn):
    assert run(conn, "selectLanguage") == [
        {"key": "en_US", "label": "English (US)"},
        {"key": "fr_FR", "label": "French / Français"},
    ]


def test_a_record_is_created_in_the_company_of_the_context(conn, admin_conn, prefix):
    lead = run(
        conn,
        "createRecord",
        model="crm.lead",
        parameters={"name": f"{prefix} lead"},
        context={"companyId": BRANCH},
    )
    try:
        record = run(conn, "getRecordById", model="crm.lead", recordId=lead, fields=["company_id"])
        assert record == {"id": lead, "company_id": [BRANCH, "Acme Branch BE"]}
    finally:  # a salesperson may not delete leads; the administrator may, in either company
        run(
            admin_conn,
            "deleteRecordById",
            model="crm.lead",
            recordId=lead,
            context={"companyId": [BRANCH, 1]},
        )


def test_an_unauthorized_company_is_named_with_the_users_companies(conn):
    with pytest.raises(AccessDeniedError) as err:
        run(conn, "listRecords", model="crm.lead", fields=["name"], limit=1, context={"companyId": 999})
    assert err.value.message == "Access to unauthorized or invalid companies."
    assert f"may work in the companies {BRANCH} (Acme Branch BE), 1 (My Company)" in err.value.hint


def test_an_inactive_language_lists_the_active_ones(conn):
    with pytest.raises(InputError) as err:
        run(conn, "listRecords", model="res.partner", fields=["name"], limit=1, context={"language": "de_DE"})
    assert err.value.message == "The language 'de_DE' is not active in this Odoo."
    assert err.value.hint.startswith("Active languages: en_US, fr_FR.")


def test_field_labels_come_in_the_language_of_the_context(conn):
    fields = run(conn, "listModelFields", model="res.partner", context={"language": "fr_FR"})
    labels = {f["name"]: f["label"] for f in fields}
    assert labels["name"] == "Nom" and labels["phone"] == "Téléphone"
    # the same through the connection's default language
    fields = run({**conn, "language": "fr_FR"}, "listModelFields", model="res.partner")
    assert {f["name"]: f["label"] for f in fields}["name"] == "Nom"


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
