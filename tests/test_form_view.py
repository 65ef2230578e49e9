"""The form view's modifiers (odoo_connector.form_view): Odoo 19 writes ``invisible``,
``required`` and ``readonly`` as Python-like expressions; the connector evaluates a small subset
without ``eval`` and says when it cannot. The expressions are those of Odoo 19's own res.partner,
sale.order and crm.lead form views (the recorded ones are in tests/test_model_form.py)."""

from __future__ import annotations

from typing import Any

import pytest

from odoo_connector.form_view import evaluate, form_fields, names_in

NEW_CONTACT = {"type": "contact", "is_company": False, "parent_id": False, "company_name": False, "id": False}


@pytest.mark.parametrize(
    ("expression", "values", "expected"),
    [
        ("type == 'contact'", NEW_CONTACT, True),
        ("type == 'contact'", {**NEW_CONTACT, "type": "invoice"}, False),
        ("not is_company", NEW_CONTACT, True),
        ("is_company or type != 'contact'", NEW_CONTACT, False),
        ("((is_company and not parent_id) or company_name) and company_name != ''", NEW_CONTACT, False),
        (
            "((is_company and not parent_id) or company_name) and company_name != ''",
            {**NEW_CONTACT, "is_company": True},
            True,
        ),
        ("state in ['cancel', 'sale']", {"state": "draft"}, False),
        ("state not in ('sent', 'sale')", {"state": "draft"}, True),
        ("state == 'cancel' or locked", {"state": "draft", "locked": False}, False),
        ("qty_invoiced > 0 or is_downpayment", {"qty_invoiced": 0.0, "is_downpayment": False}, False),
        ("duplicate_lead_count < 2", {"duplicate_lead_count": 1}, True),
        (
            "type == 'lead' or probability == 0 and not active",
            {"type": "opportunity", "probability": 0, "active": True},
            False,
        ),
        ("not id or type == 'lead'", {"id": False, "type": "opportunity"}, True),
        ("parent.state != 'sale'", {"parent": {"state": "draft"}}, True),
        ("1", {}, True),
        ("True", {}, True),
        ("0", {}, False),
        ("-1 < 0", {}, True),
    ],
)
def test_an_expression_of_the_subset_is_evaluated_as_odoo_would(
    expression: str, values: dict[str, Any], expected: bool
) -> None:
    assert evaluate(expression, values) is expected


@pytest.mark.parametrize(
    "expression",
    [
        "active_lang_count <= 1",  # a computed field: its value is not known
        "parent.state != 'sale'",  # no parent given
        "not (partner_id and x) or context.get('hide_pdf_quote_builder')",
        "__import__('os').system('true')",  # a call is never made
        "().__class__.__bases__",
        "[x for x in range(10**9)]",
        "lambda: 1",
        "a if b else c",
        "state ==",  # not an expression
        "None < 1",  # Python refuses it; so does the evaluator, without raising
        "",
    ],
)
def test_what_the_subset_does_not_cover_is_not_evaluated(expression: str) -> None:
    values = {"partner_id": 3, "a": 1, "b": 1, "c": 1, "state": "draft"}
    assert evaluate(expression, values) is None


def test_names_are_those_the_expression_reads() -> None:
    assert names_in("((is_company and not parent_id) or company_name) and company_name != ''") == {
        "is_company",
        "parent_id",
        "company_name",
    }
    assert names_in("parent.state != 'sale'") == {"parent"}
    assert names_in("not (") == set()


ARCH = """
<form>
  <sheet>
    <field name="company_type"/>
    <h1>
      <field name="name" invisible="not is_company" required="type == 'contact'"/>
      <field name="name" invisible="is_company" required="type == 'contact'"/>
    </h1>
    <group invisible="type == 'private'">
      <field name="email"/>
      <field name="order_line" readonly="state == 'cancel'">
        <form><field name="product_id" required="not display_type"/><field name="price_unit"/></form>
        <list><field name="name"/></list>
      </field>
    </group>
    <field name="lines_list_only">
      <list><field name="qty" column_invisible="parent.state != 'sale'"/></list>
    </field>
  </sheet>
</form>
"""


def test_the_fields_of_a_form_view_come_in_order_with_every_modifier_around_them() -> None:
    fields = form_fields(ARCH)
    assert [f.name for f in fields] == [
        "company_type",
        "name",
        "name",
        "email",
        "order_line",
        "lines_list_only",
    ]
    first_name, second_name, email, lines, list_only = fields[1:]
    assert (first_name.invisible, first_name.required) == (["not is_company"], "type == 'contact'")
    assert second_name.invisible == ["is_company"]
    assert email.invisible == ["type == 'private'"]
    assert lines.readonly == "state == 'cancel'"
    # an x2many's own view: its form first, and its fields are not the form's
    assert lines.subview is not None and lines.subview.tag == "form"
    assert [(f.name, f.required) for f in form_fields(lines.subview)] == [
        ("product_id", "not display_type"),
        ("price_unit", None),
    ]
    assert list_only.subview is not None and list_only.subview.tag == "list"
    assert form_fields(list_only.subview)[0].invisible == ["parent.state != 'sale'"]
