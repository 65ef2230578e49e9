"""Every action and picklist over both connections, as an ordinary internal user (and, where Odoo
allows it only to administrators, as one), replaying cassettes recorded from a real Odoo 19."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from odoo_connector import invoke, load_manifest
from odoo_connector.errors import (
    AccessDeniedError,
    AuthenticationError,
    DatabaseNotFoundError,
    InputError,
    NotFoundError,
    OdooValidationError,
)

pytestmark = pytest.mark.recordable


def run(conn: dict[str, Any], key: str, **inputs: Any) -> Any:
    """Invokes a key and checks the envelope against its output schema, as a platform would."""
    result = invoke(key, conn, inputs)
    Draft202012Validator(load_manifest().unit(key).output_schema).validate(result)
    return result["data"]


def new_partner(conn: dict[str, Any], cleanup: list[tuple[str, int]], name: str, **values: Any) -> int:
    record_id = run(conn, "createRecord", model="res.partner", parameters={"name": name, **values})
    cleanup.append(("res.partner", record_id))
    return int(record_id)


def test_create_then_get_record_returns_the_values(conn, cleanup, prefix):
    record_id = new_partner(conn, cleanup, f"{prefix} Acme", email="info@acme.example", is_company=True)
    record = run(
        conn,
        "getRecordById",
        model="res.partner",
        recordId=record_id,
        fields=["name", "email", "is_company", "country_id"],
    )
    assert record == {
        "id": record_id,
        "name": f"{prefix} Acme",
        "email": "info@acme.example",
        "is_company": True,
        "country_id": False,
    }


def test_get_record_without_fields_gives_readable_defaults_for_non_admin(conn, cleanup, prefix):
    record_id = new_partner(conn, cleanup, f"{prefix} Defaults")
    record = run(conn, "getRecordById", model="res.partner", recordId=record_id)
    assert record["id"] == record_id
    assert record["name"] == f"{prefix} Defaults"
    assert record["display_name"] == f"{prefix} Defaults"
    # the field whose read is forbidden to non-administrators is not asked for
    assert "rtc_session_ids" not in record
    assert isinstance(record["write_date"], str)


def test_get_record_given_deleted_id_then_not_found(conn, cleanup, prefix):
    record_id = new_partner(conn, cleanup, f"{prefix} Gone")
    assert run(conn, "deleteRecordById", model="res.partner", recordId=record_id) is True
    with pytest.raises(NotFoundError) as err:
        run(conn, "getRecordById", model="res.partner", recordId=record_id, fields=["name"])
    assert f"res.partner record with id {record_id}" in err.value.message


def test_update_record_writes_and_missing_record_is_not_found(conn, cleanup, prefix):
    record_id = new_partner(conn, cleanup, f"{prefix} Update")
    assert (
        run(
            conn,
            "updateRecord",
            model="res.partner",
            recordId=record_id,
            parameters={"phone": "+32 2 555 01 00"},
        )
        is True
    )
    assert run(conn, "getRecordById", model="res.partner", recordId=record_id, fields=["phone"]) == {
        "id": record_id,
        "phone": "+32 2 555 01 00",
    }
    run(conn, "deleteRecordById", model="res.partner", recordId=record_id)
    with pytest.raises(NotFoundError) as err:
        run(conn, "updateRecord", model="res.partner", recordId=record_id, parameters={"phone": "1"})
    assert f"No res.partner record with id {record_id}" in err.value.message


def test_delete_missing_record_is_not_found(conn, cleanup, prefix):
    record_id = new_partner(conn, cleanup, f"{prefix} Delete")
    run(conn, "deleteRecordById", model="res.partner", recordId=record_id)
    with pytest.raises(NotFoundError):
        run(conn, "deleteRecordById", model="res.partner", recordId=record_id)


def test_create_record_with_unknown_field_reports_odoo_message(conn):
    # rawValues: sent as given, so Odoo itself refuses the field
    with pytest.raises(OdooValidationError) as err:
        run(
            conn,
            "createRecord",
            model="res.partner",
            parameters={"name": "x", "no_such_field": 1},
            rawValues=True,
        )
    assert "no_such_field" in err.value.message
    assert "Traceback" not in str(err.value)


def test_create_record_with_a_misspelt_field_is_refused_before_sending_with_the_closest_name(conn):
    with pytest.raises(InputError) as err:
        run(conn, "createRecord", model="res.partner", parameters={"name": "x", "emial": "x@example.com"})
    assert err.value.message == (
        "parameters.emial: res.partner has no field 'emial' that this user can see; did you mean "
        "'email' (Email)?"
    )
    assert err.value.path == "parameters.emial"


def test_create_record_missing_required_field_reports_odoo_message(conn):
    with pytest.raises(OdooValidationError) as err:
        run(conn, "createRecord", model="crm.lead", parameters={"email_from": "a@b.example"})
    assert "Missing required value" in err.value.message


def test_create_record_with_external_id_as_non_admin_sets_both_or_neither(conn, cleanup, prefix):
    xid = f"__import__.{prefix.replace('-', '_')}_xid"
    with pytest.raises(OdooValidationError) as err:
        run(
            conn,
            "createRecord",
            model="res.partner",
            parameters={"name": f"{prefix} XID", "country_id": 2147483000},
            externalId=f"{xid}_refused",
        )
    assert err.value.message == (
        "Field 'country_id': No matching record found for database id '2147483000' in field 'Country'. "
        "Nothing was written."
    )
    with pytest.raises(NotFoundError):
        run(conn, "getRecordByExternalId", externalId=f"{xid}_refused")
    left = run(
        conn, "listRecords", model="res.partner", domain=[["name", "=", f"{prefix} XID"]], fields=["name"]
    )
    assert left == []
    record_id = run(
        conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} XID"}, externalId=xid
    )
    cleanup.append(("res.partner", record_id))
    found = run(conn, "getRecordByExternalId", externalId=xid, fields=["name"])
    assert found == {
        "externalId": xid,
        "model": "res.partner",
        "id": record_id,
        "record": {"id": record_id, "name": f"{prefix} XID"},
    }
    with pytest.raises(OdooValidationError) as taken:
        run(conn, "createRecord", model="res.partner", parameters={"name": "dup"}, externalId=xid)
    assert (
        taken.value.message == f"The external ID {xid!r} is already used by res.partner record {record_id}."
    )


def test_create_record_with_external_id_as_admin_sets_both(admin_conn, prefix):
    xid = f"__import__.{prefix.replace('-', '_')}_admin_xid"
    record_id = run(
        admin_conn,
        "createRecord",
        model="res.partner",
        parameters={"name": f"{prefix} Admin XID"},
        externalId=xid,
    )
    try:
        found = run(admin_conn, "getRecordByExternalId", externalId=xid, fields=["name"])
        assert found == {
            "externalId": xid,
            "model": "res.partner",
            "id": record_id,
            "record": {"id": record_id, "name": f"{prefix} Admin XID"},
        }
        with pytest.raises(OdooValidationError) as err:
            run(admin_conn, "createRecord", model="res.partner", parameters={"name": "dup"}, externalId=xid)
        assert f"already used by res.partner record {record_id}" in err.value.message
        with pytest.raises(OdooValidationError):
            run(admin_conn, "setExternalId", model="res.partner", recordId=record_id, externalId=xid)
    finally:
        run(admin_conn, "deleteRecordById", model="res.partner", recordId=record_id)


def test_set_external_id_as_non_admin_names_the_missing_group(conn, cleanup, prefix):
    record_id = new_partner(conn, cleanup, f"{prefix} SetXID")
    with pytest.raises(AccessDeniedError) as err:
        run(
            conn,
            "setExternalId",
            model="res.partner",
            recordId=record_id,
            externalId=f"__import__.{prefix.replace('-', '_')}_set",
        )
    assert err.value.groups == ["Access Rights"]


def test_set_external_id_as_admin_then_refuses_a_second_one(admin_conn, prefix):
    record_id = run(admin_conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} Set"})
    try:
        xid = f"__import__.{prefix.replace('-', '_')}_set_admin"
        row_id = run(admin_conn, "setExternalId", model="res.partner", recordId=record_id, externalId=xid)
        assert isinstance(row_id, int) and row_id > 0
        with pytest.raises(OdooValidationError) as err:
            run(admin_conn, "setExternalId", model="res.partner", recordId=record_id, externalId=xid + "_2")
        assert f"already has the external ID {xid}" in err.value.message
    finally:
        run(admin_conn, "deleteRecordById", model="res.partner", recordId=record_id)


def test_get_record_by_external_id_works_for_non_admin(conn):
    found = run(conn, "getRecordByExternalId", externalId="base.main_company", fields=["name"])
    assert found["model"] == "res.company"
    assert found["record"]["id"] == found["id"]
    assert isinstance(found["record"]["name"], str)


def test_get_record_by_unknown_external_id_is_not_found(conn):
    with pytest.raises(NotFoundError) as err:
        run(conn, "getRecordByExternalId", externalId="base.no_such_record_xyz")
    assert "base.no_such_record_xyz" in err.value.message


def test_list_records_filters_orders_and_pages_through_everything(conn, cleanup, prefix):
    ids = [new_partner(conn, cleanup, f"{prefix} List {i}") for i in range(5)]
    domain = [["name", "=like", f"{prefix} List %"]]
    page = run(
        conn, "listRecords", model="res.partner", domain=domain, fields=["name"], order="name desc", limit=2
    )
    assert [r["name"] for r in page] == [f"{prefix} List 4", f"{prefix} List 3"]
    every = run(
        conn, "listRecords", model="res.partner", domain=domain, fields=["name"], fetchAll=True, pageSize=2
    )
    assert [r["id"] for r in every] == ids
    ordered = run(
        conn,
        "listRecords",
        model="res.partner",
        domain=domain,
        fields=["name"],
        fetchAll=True,
        pageSize=2,
        order="name desc",
    )
    assert [r["id"] for r in ordered] == ids[::-1]


def test_list_records_unknown_field_in_domain_is_a_validation_error(conn):
    with pytest.raises(OdooValidationError) as err:
        run(conn, "listRecords", model="res.partner", domain=[["no_such_field", "=", 1]], fields=["name"])
    assert "no_such_field" in err.value.message


def test_list_models_for_non_admin_has_null_ids_and_filters(conn):
    models = run(conn, "listModels", modelSearch="PARTNER", fetchAll=True)
    names = [m["model"] for m in models]
    assert "res.partner" in names
    assert all("partner" in n for n in names)
    assert names == sorted(names)
    assert all(m["id"] is None for m in models)
    assert run(conn, "listModels", nameSearch="contact", limit=1) == [
        {"id": None, "name": "Contact", "model": "res.partner"}
    ]


def test_list_models_for_admin_has_ids(admin_conn):
    models = run(admin_conn, "listModels", modelSearch="res.partner", limit=1)
    assert models[0]["model"] == "res.partner"
    assert isinstance(models[0]["id"], int)


def test_list_model_fields_sorted_with_attributes(conn):
    fields = run(conn, "listModelFields", model="res.partner")
    names = [f["name"] for f in fields]
    assert names == sorted(names)
    by_name = {f["name"]: f for f in fields}
    assert by_name["name"]["type"] == "char"
    assert by_name["country_id"] == {**by_name["country_id"], "type": "many2one", "relation": "res.country"}
    assert by_name["type"]["selection"] and all(len(p) == 2 for p in by_name["type"]["selection"])


def test_unknown_model_is_not_found(conn):
    with pytest.raises(NotFoundError) as err:
        run(conn, "listModelFields", model="fake.model")
    assert "fake.model" in err.value.message


def test_access_error_names_the_group(conn):
    with pytest.raises(AccessDeniedError) as err:
        run(conn, "listRecords", model="ir.config_parameter", fields=["key"])
    assert err.value.groups == ["Role / Administrator"]
    assert "Role / Administrator" in err.value.hint


def test_select_model_labels_sorted(conn):
    options = run(conn, "selectModel", modelSearch="res.partner")
    assert {"key": "res.partner", "label": "Contact (res.partner)"} in options
    assert [o["label"].casefold() for o in options] == sorted(o["label"].casefold() for o in options)


def test_select_record_by_id_is_bounded_and_says_when_cut(conn):
    result = invoke("selectRecordById", conn, {"model": "res.country", "search": "Bel", "limit": 2})
    assert len(result["data"]) == 2 and result["truncated"] is True
    assert all(o["key"].isdigit() and "Bel" in o["label"] for o in result["data"])
    full = invoke("selectRecordById", conn, {"model": "res.country", "search": "Belgium"})
    assert full == {"data": [{"key": full["data"][0]["key"], "label": "Belgium"}], "truncated": False}


def test_raw_http_request_sends_the_key_to_the_base_url(conn, transport):
    if transport != "json2":
        with pytest.raises(InputError, match="needs odooApiKey"):
            invoke("rawHttpRequest", conn, {"url": "/json/2/res.partner/search_count"})
        return
    result = invoke(
        "rawHttpRequest",
        conn,
        {
            "url": "/json/2/res.country/search_count",
            "method": "POST",
            "data": {"domain": [["code", "=", "BE"]]},
        },
    )
    assert result["data"] == 1 and result["status"] == 200
    assert result["headers"]["content-type"].startswith("application/json")


def test_raw_request_runs_execute_kw_as_given(conn, transport):
    if transport != "jsonrpc":
        with pytest.raises(InputError, match="needs odooBasicAuth"):
            invoke("rawRequest", conn, {"model": "res.country", "method": "search_count"})
        return
    result = run(
        conn,
        "rawRequest",
        model="res.country",
        method="search_read",
        parameters=[[["code", "=", "BE"]]],
        keywordArguments={"fields": ["name", "code"]},
    )
    assert [(r["name"], r["code"]) for r in result] == [("Belgium", "BE")]


def test_wrong_credentials_are_an_authentication_error(conn, transport):
    bad = dict(conn)
    if transport == "json2":
        bad["apiKey"] = "wrong-key-for-tests"
    else:
        bad["password"] = "wrong-password-for-tests"
    with pytest.raises(AuthenticationError) as err:
        invoke("listRecords", bad, {"model": "res.partner", "fields": ["name"], "limit": 1})
    assert "wrong-" not in str(err.value.to_dict(debug=True))


def test_unknown_database_is_named(conn):
    bad = {**conn, "database": "no_such_db"}
    with pytest.raises(DatabaseNotFoundError):
        invoke("listRecords", bad, {"model": "res.partner", "fields": ["name"], "limit": 1})
