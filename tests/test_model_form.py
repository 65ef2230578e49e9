"""The model's form (issue 10, section 3): ``modelForm`` describes a model's writable fields as a
JSON Schema and a JSON Forms UI schema, recorded against a real Odoo 19; a record filled from that
form is created through createRecord; a second form costs no request. Plus ``validate`` refusing
an ``x-dynamicSchema`` that names no data source."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from odoo_connector import invoke, load_manifest
from odoo_connector.client import make_client
from odoo_connector.connections import parse_connection
from odoo_connector.errors import AccessDeniedError
from odoo_connector.manifest import clear_manifest_cache, validate_manifest

pytestmark = pytest.mark.recordable

ROOT = Path(__file__).parent.parent
TECHNICAL = {"id", "display_name", "create_uid", "create_date", "write_uid", "write_date"}
TECHNICAL |= {"website_message_ids"}


def run(conn: dict[str, Any], key: str, **inputs: Any) -> Any:
    result = invoke(key, conn, inputs)
    Draft202012Validator(load_manifest().unit(key).output_schema).validate(result)
    return result["data"]


def checked_form(conn: dict[str, Any], model: str, purpose: str = "create") -> dict[str, Any]:
    """The form, checked for what holds of every model: a valid JSON Schema, no technical or
    binary field, one Control per property: the form view's fields (and the required ones) first,
    the rest in an "Advanced" group at the end."""
    form = run(conn, "modelForm", model=model, purpose=purpose)
    schema = form["schema"]
    Draft202012Validator.check_schema(schema)
    properties = schema["properties"]
    assert not TECHNICAL & set(properties)
    assert not [n for n in properties if n.startswith(("activity_", "message_", "rating_"))]
    assert all(p.get("title") for p in properties.values())
    required = schema.get("required", [])
    uischema = form["uischema"]
    assert uischema["type"] == "VerticalLayout"
    *controls, advanced = uischema["elements"]
    assert advanced["type"] == "Group" and advanced["label"] == "Advanced"
    main = [c["scope"].removeprefix("#/properties/") for c in controls]
    rest = [c["scope"].removeprefix("#/properties/") for c in advanced["elements"]]
    assert set(required) <= set(main)
    assert sorted(main + rest) == sorted(properties)
    form["main"] = main
    return form


@pytest.mark.parametrize(
    ("model", "required", "selection", "first"),
    [
        # Odoo's fields_get marks no res.partner field required that has no default: `name` is
        # required by a check on contacts only, not by the field
        ("res.partner", [], "type", ["name", "email", "phone", "parent_id"]),
        # `type` is required too, but default_get gives it one
        ("crm.lead", ["name"], "priority", ["stage_id", "name", "expected_revenue", "probability"]),
        # the invoice and delivery addresses are computed from the customer, yet writable and
        # without a default: Odoo's form shows them required too
        (
            "sale.order",
            ["partner_id", "partner_invoice_id", "partner_shipping_id"],
            "picking_policy",
            ["name", "partner_id", "validity_date", "date_order"],
        ),
    ],
)
def test_a_record_filled_from_the_form_is_created(
    conn, admin_conn, prefix, model, required, selection, first
):
    form = checked_form(conn, model)
    schema = form["schema"]
    assert schema.get("required", []) == required
    assert form["main"][:4] == first  # the order of the model's form view
    properties = schema["properties"]
    partner = properties.get("partner_id") or properties["parent_id"]
    assert partner["type"] == "integer" and partner["x-dataSource"] == "selectRecordById"
    assert partner["x-relation"] == partner["x-dataSourceInputs"]["model"] == "res.partner"
    values: dict[str, Any] = {}
    for name in required:
        if "x-dataSource" in properties[name]:  # a related record: the first the picker offers
            picked = run(conn, "selectRecordById", **properties[name]["x-dataSourceInputs"], limit=1)
            values[name] = int(picked[0]["key"])
        else:
            values[name] = f"{prefix} {model} from its form"
    if "name" in properties and "name" not in values:  # a contact needs one (see above)
        values["name"] = f"{prefix} {model} from its form"
    values[selection] = properties[selection]["oneOf"][0]["const"]
    Draft202012Validator(schema).validate(values)
    record_id = run(conn, "createRecord", model=model, parameters=values)
    # a salesperson may not delete leads; the administrator may
    run(admin_conn, "deleteRecordById", model=model, recordId=record_id)
    assert isinstance(record_id, int) and record_id > 0


def test_the_update_form_requires_nothing(conn):
    form = checked_form(conn, "crm.lead", purpose="update")
    assert "required" not in form["schema"]
    assert form["schema"]["properties"]["date_deadline"]["format"] == "date"


def test_a_second_form_costs_no_request_and_a_record_created_after_it_asks_for_no_fields(conn, admin_conn):
    client = make_client(parse_connection(conn))
    client.uid()  # the XML-RPC login, paid once per client whatever is asked
    before = client.request_count
    first = invoke("modelForm", conn, {"model": "crm.lead"}, client=client)
    cold = client.request_count - before
    second = invoke("modelForm", conn, {"model": "crm.lead"}, client=client)
    warm = client.request_count - before - cold
    assert second == first
    # get_views (the form view, and every field through the search view), then default_get
    assert (cold, warm) == (2, 0)
    before = client.request_count
    lead = invoke(
        "createRecord", conn, {"model": "crm.lead", "parameters": {"name": "from the form"}}, client=client
    )
    assert client.request_count - before == 1  # the create alone: the form's fields were kept
    client.close()
    run(admin_conn, "deleteRecordById", model="crm.lead", recordId=lead["data"])


def test_a_product_form_for_a_salesperson_names_the_missing_group_and_an_administrator_creates_from_it(
    conn, admin_conn, prefix
):
    form = checked_form(conn, "product.template")
    # a required one2many (the variants) is filled by Odoo itself: not required in the form
    assert form["schema"]["required"] == ["name"]
    values = {"name": f"{prefix} widget from its form", "list_price": 12.5, "type": "consu"}
    Draft202012Validator(form["schema"]).validate(values)
    with pytest.raises(AccessDeniedError) as err:
        run(conn, "createRecord", model="product.template", parameters=values)
    assert err.value.groups == ["Products/Create"]
    product = run(admin_conn, "createRecord", model="product.template", parameters=values)
    try:
        read = run(
            admin_conn, "getRecordById", model="product.template", recordId=product, fields=["list_price"]
        )
        assert read["list_price"] == 12.5
    finally:
        run(admin_conn, "deleteRecordById", model="product.template", recordId=product)


def test_validate_refuses_a_dynamic_schema_naming_an_unknown_data_source(tmp_path):
    shutil.copy(ROOT / "connector.yaml", tmp_path / "connector.yaml")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    path = tmp_path / "schemas/actions/createRecord.input.json"
    schema = json.loads(path.read_text())
    schema["properties"]["parameters"]["x-dynamicSchema"]["dataSource"] = "noSuchForm"
    schema["properties"]["model"]["x-dynamicSchema"] = {"dataSource": "modelForm", "dependsOn": ["colour"]}
    path.write_text(json.dumps(schema))
    clear_manifest_cache()
    try:
        problems = validate_manifest(load_manifest(str(tmp_path / "connector.yaml")))
    finally:
        clear_manifest_cache()
    assert problems == [
        "schemas/actions/createRecord.input.json: $.properties.model.x-dynamicSchema.dependsOn[0]: "
        "modelForm takes no input 'colour'",
        "schemas/actions/createRecord.input.json: $.properties.parameters.x-dynamicSchema.dataSource: "
        "'noSuchForm' is not a data source of this manifest",
    ]
