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
        # Odoo's fields_get marks no res.partner field required; its form view requires `name`
        # for a contact (required="type == 'contact'"), the new record's default type
        ("res.partner", ["name"], "type", ["name", "email", "phone", "parent_id"]),
        # `type` is required too, but default_get gives it one
        ("crm.lead", ["name"], "priority", ["stage_id", "name", "expected_revenue", "probability"]),
        # the invoice and delivery addresses are computed from the customer, yet writable and
        # without a default: Odoo's form shows them required too
        (
            "sale.order",
            ["partner_id", "partner_invoice_id", "partner_shipping_id"],
            "picking_policy",
            # the order's reference and date are read-only in the form until it is confirmed
            ["partner_id", "validity_date", "payment_term_id", "order_line"],
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
    # a required one2many (the variants) is filled by Odoo itself: not required in the form; the
    # invoicing policy is required by the form view (required="1"), which Odoo's own form fills
    # by an onchange the connector does not run, so the person picks it
    assert form["schema"]["required"] == ["invoice_policy", "name"]
    values = {
        "name": f"{prefix} widget from its form",
        "list_price": 12.5,
        "type": "consu",
        "invoice_policy": "order",
    }
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


# The Discuss, RTC, calendar and chatter relations Odoo 19 gives res.partner: Odoo fills them, its
# form view does not show them, and modelForm drops them (docs/workbench.md).
DISCUSS = ["channel_ids", "channel_member_ids", "rtc_session_ids", "calendar_last_notif_ack", "meeting_ids"]


def test_the_partner_form_is_odoos_form_name_required_for_a_contact_and_no_discuss_fields(conn):
    form = checked_form(conn, "res.partner")
    schema = form["schema"]
    assert schema["required"] == ["name"]
    assert form["main"][0] == "name"
    client = make_client(parse_connection(conn))
    try:
        names = set(client.call("res.partner", "fields_get", attributes=["type"]))
    finally:
        client.close()
    assert set(DISCUSS) <= names  # they exist, and are dropped
    assert not set(DISCUSS) & set(schema["properties"])
    assert not [n for n in schema["properties"] if n.startswith(("channel_", "rtc_", "calendar_"))]
    # the tags are ids picked by name, from the tags' model
    tags = schema["properties"]["category_id"]
    assert tags["type"] == "array" and tags["uniqueItems"] is True
    assert tags["items"]["x-dataSource"] == "selectRecordById"
    assert tags["items"]["x-dataSourceInputs"] == {"model": "res.partner.category"}
    # the language is hidden when one language is active: active_lang_count is computed, so
    # the expression is not evaluated, and it is listed
    assert {"field": "lang", "attribute": "invisible", "expression": "active_lang_count <= 1"} in schema[
        "x-modifiersLeftOut"
    ]
    assert "lang" in form["main"]


def test_an_update_form_evaluates_no_expression_it_has_no_record_for(conn):
    form = checked_form(conn, "res.partner", purpose="update")
    assert "required" not in form["schema"]
    left_out = form["schema"]["x-modifiersLeftOut"]
    assert {"field": "name", "attribute": "invisible", "expression": "not is_company"} in left_out


def test_a_sale_order_with_two_lines_is_created_from_its_form(conn, admin_conn, prefix):
    form = checked_form(conn, "sale.order")
    schema = form["schema"]
    lines = schema["properties"]["order_line"]
    line = lines["items"]
    assert lines["type"] == "array" and line["type"] == "object"
    # the line's own form: the product picked by name, quantity, price; not the link to the order
    shown = [n for n in line["properties"] if n in ("product_id", "product_uom_qty", "price_unit")]
    assert shown == ["product_id", "product_uom_qty", "price_unit"]
    assert "order_id" not in line["properties"]
    assert line["required"] == ["product_id"]  # required="not display_type and not is_downpayment"
    assert line["properties"]["product_id"]["x-dataSourceInputs"] == {"model": "product.product"}
    control = next(c for c in form["uischema"]["elements"] if c.get("scope") == "#/properties/order_line")
    assert [c["scope"] for c in control["options"]["detail"]["elements"]][:3] == [
        "#/properties/product_id",
        "#/properties/product_uom_qty",
        "#/properties/price_unit",
    ]
    # the line's readonly="not product_updatable" reads a computed field: listed, not evaluated
    assert {
        "field": "order_line.product_id",
        "attribute": "readonly",
        "expression": "not product_updatable",
    } in (schema["x-modifiersLeftOut"])
    products = [
        run(
            admin_conn,
            "createRecord",
            model="product.product",
            parameters={"name": f"{prefix} {n}", "list_price": 5},
        )
        for n in ("widget", "gadget")
    ]
    customer = run(conn, "createRecord", model="res.partner", parameters={"name": f"{prefix} customer"})
    order = None
    try:
        picked = [
            int(run(conn, "selectRecordById", model="product.product", search=f"{prefix} {n}")[0]["key"])
            for n in ("widget", "gadget")
        ]
        assert picked == products
        values = {
            "partner_id": customer,
            "partner_invoice_id": customer,
            "partner_shipping_id": customer,
            "order_line": [
                {"product_id": picked[0], "product_uom_qty": 2, "price_unit": 7.5},
                {"product_id": picked[1], "product_uom_qty": 1, "price_unit": 3},
            ],
        }
        Draft202012Validator(schema).validate(values)
        order = run(conn, "createRecord", model="sale.order", parameters=values)
        read = run(
            conn,
            "listRecords",
            model="sale.order.line",
            domain=[["order_id", "=", order]],
            fields=["product_id", "product_uom_qty", "price_unit"],
            order="id",
        )
        assert [(r["product_id"][0], r["product_uom_qty"], r["price_unit"]) for r in read] == [
            (products[0], 2, 7.5),
            (products[1], 1, 3),
        ]
    finally:
        if order:
            run(admin_conn, "deleteRecordById", model="sale.order", recordId=order)
        run(admin_conn, "deleteRecordById", model="res.partner", recordId=customer)
        for product in products:
            run(admin_conn, "deleteRecordById", model="product.product", recordId=product)
