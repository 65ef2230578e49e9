"""odoo_connector.values: createRecord's JSON values as the text cells Odoo's load takes."""

from __future__ import annotations

import pytest

from odoo_connector.values import ValueRefused, load_row

FIELDS = {
    "name": {"type": "char"},
    "comment": {"type": "html"},
    "is_company": {"type": "boolean"},
    "color": {"type": "integer"},
    "credit_limit": {"type": "float"},
    "date": {"type": "date"},
    "write_date": {"type": "datetime"},
    "type": {"type": "selection"},
    "country_id": {"type": "many2one", "relation": "res.country"},
    "category_id": {"type": "many2many", "relation": "res.partner.category"},
    "child_ids": {"type": "one2many", "relation": "res.partner"},
    "properties": {"type": "properties"},
}


def test_values_become_cells_in_field_name_order_with_relations_by_id():
    columns, cells = load_row(
        "res.partner",
        FIELDS,
        {
            "name": "Acme",
            "is_company": True,
            "color": 3.0,
            "credit_limit": 2.5,
            "date": "2026-01-31",
            "write_date": "2026-01-31 10:00:00",
            "type": "invoice",
            "country_id": [21, "Belgium"],
            "category_id": [[6, 0, [4, 5]]],
            "comment": 42,
        },
    )
    assert columns == (
        "category_id/.id",
        "color",
        "comment",
        "country_id/.id",
        "credit_limit",
        "date",
        "is_company",
        "name",
        "type",
        "write_date",
    )
    assert cells == [
        "4,5",
        "3",
        "42",
        "21",
        "2.5",
        "2026-01-31",
        "1",
        "Acme",
        "invoice",
        "2026-01-31 10:00:00",
    ]


def test_empty_values_clear_and_false_is_a_boolean():
    columns, cells = load_row(
        "res.partner", FIELDS, {"name": None, "country_id": False, "category_id": [], "is_company": None}
    )
    assert (columns, cells) == (
        ("category_id/.id", "country_id/.id", "is_company", "name"),
        ["", "", "0", ""],
    )


@pytest.mark.parametrize(
    ("values", "field", "start"),
    [
        ({"nope": 1}, "nope", "res.partner has no field 'nope'"),
        ({"id": 1}, "id", "res.partner has no field 'id'"),
        ({"child_ids": [1]}, "child_ids", "res.partner.child_ids is a one2many field"),
        ({"properties": {}}, "properties", "res.partner.properties is a properties field"),
        (
            {"country_id": "Belgium"},
            "country_id",
            "res.partner.country_id is a many2one field to res.country",
        ),
        ({"category_id": [[4, 1]]}, "category_id", "res.partner.category_id is a many2many field"),
        ({"is_company": "x" and 2}, "is_company", "res.partner.is_company is a boolean field"),
        ({"color": True}, "color", "res.partner.color is an integer field, not a boolean"),
        ({"name": {"a": 1}}, "name", "res.partner.name is a char field: give it as text"),
    ],
)
def test_what_load_cannot_express_is_refused_with_the_field_named(values, field, start):
    with pytest.raises(ValueRefused) as err:
        load_row("res.partner", FIELDS, values)
    assert err.value.field == field
    assert err.value.message.startswith(start)
