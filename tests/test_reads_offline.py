"""Nested reads and aggregation offline: what is refused is refused before anything but
``fields_get`` reaches Odoo (the fake), and ``--jsonl`` streams a specification page by page."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import odoo_connector.client as client_module
from odoo_connector import invoke
from odoo_connector.cli import main
from odoo_connector.client import Json2Client
from odoo_connector.connections import Connection
from odoo_connector.errors import InputError
from tests.fakes import FakeOdoo, fake_client, fake_connection

FIELDS = {"email": "char", "is_company": "boolean", "credit_limit": "float", "date": "date"}


@pytest.fixture(params=["json2", "xmlrpc"])
def odoo(request: pytest.FixtureRequest) -> Iterator[tuple[FakeOdoo, Connection, Any]]:
    fake = FakeOdoo(models={"res.partner": FIELDS})
    connection = fake_connection(request.param)
    client = fake_client(fake, connection)
    yield fake, connection, client
    client.close()


def refused(odoo: tuple[FakeOdoo, Connection, Any], key: str, **inputs: Any) -> InputError:
    fake, connection, client = odoo
    with pytest.raises(InputError) as err:
        invoke(key, connection, {"model": "res.partner", **inputs}, client=client)
    assert set(fake.methods()) <= {"authenticate", "fields_get"}, fake.methods()  # nothing else was sent
    return err.value


@pytest.mark.parametrize(
    ("key", "inputs"),
    [
        ("listRecords", {}),
        ("listRecords", {"fetchAll": True}),
        ("getRecordById", {"recordId": 1}),
        ("pollChangesTrigger", {"emitExisting": True}),
    ],
)
def test_an_unknown_name_in_a_specification_is_refused_before_sending(odoo, key, inputs):
    error = refused(odoo, key, specification={"email": {}, "emial2": {}}, **inputs)
    assert error.path == "specification.emial2"
    assert "'email'" in error.message  # the closest name


def test_a_misplaced_key_in_a_specification_is_refused_with_its_path(odoo):
    assert (
        refused(odoo, "listRecords", specification={"email": {"limit": 3}}).path
        == "specification.email.limit"
    )
    assert (
        refused(odoo, "listRecords", specification={"email": {"fields": {}}}).path
        == "specification.email.fields"
    )
    assert (
        refused(odoo, "listRecords", specification={"email": {"sort": 1}}).path == "specification.email.sort"
    )
    assert refused(odoo, "listRecords", fields=["email.domain"]).path == "fields[0]"


def test_aggregate_refuses_a_field_it_cannot_group_by_and_lists_the_allowed(odoo):
    error = refused(odoo, "aggregateRecords", groupBy=["emails"])
    assert error.path == "groupBy[0]"
    assert "email" in (error.hint or "") and "credit_limit" in (error.hint or "")


def test_aggregate_refuses_a_total_the_type_does_not_allow(odoo):
    error = refused(odoo, "aggregateRecords", aggregates=["email:sum"])
    assert error.path == "aggregates[0]"
    assert "credit_limit:sum" in (error.hint or "") and "email:sum" not in (error.hint or "")


def test_aggregate_refuses_a_date_without_a_period_and_a_period_on_other_fields(odoo):
    assert "date:month" in refused(odoo, "aggregateRecords", groupBy=["date"]).message
    assert refused(odoo, "aggregateRecords", groupBy=["email:month"]).path == "groupBy[0]"


def test_aggregate_refuses_order_and_having_on_what_the_call_does_not_compute(odoo):
    assert refused(odoo, "aggregateRecords", groupBy=["email"], order="credit_limit:sum desc").path == "order"
    error = refused(odoo, "aggregateRecords", groupBy=["email"], having=[["credit_limit:sum", ">", 1]])
    assert error.path == "having[0]"


def test_aggregate_sends_odoos_names_and_shapes_the_groups(odoo):
    fake, connection, client = odoo
    sent: list[dict[str, Any]] = []

    def formatted_read_group(model: str, **kwargs: Any) -> list[dict[str, Any]]:
        sent.append(kwargs)
        return [
            {
                "date:month": ["2026-01-01", "January 2026"],
                "__count": 2,
                "credit_limit:sum": 5.0,
                "__extra_domain": ["&", ["date", ">=", "2026-01-01"], ["date", "<", "2026-02-01"]],
            },
            {
                "date:month": False,
                "__count": 1,
                "credit_limit:sum": False,
                "__extra_domain": [["date", "=", False]],
            },
        ]

    fake._m_formatted_read_group = formatted_read_group  # type: ignore[attr-defined]
    inputs = {
        "model": "res.partner",
        "groupBy": ["date:month"],
        "aggregates": ["count", "credit_limit:sum"],
        "order": "count desc",
        "having": [["count", ">", 0]],
    }
    rows = invoke("aggregateRecords", connection, inputs, client=client)["data"]
    assert sent[0]["aggregates"] == ["__count", "credit_limit:sum"]
    assert sent[0]["order"] == "__count desc" and sent[0]["having"] == [["__count", ">", 0]]
    assert rows == [
        {
            "date:month": {"label": "January 2026", "from": "2026-01-01", "to": "2026-02-01"},
            "count": 2,
            "credit_limit:sum": 5.0,
        },
        {"date:month": None, "count": 1, "credit_limit:sum": None},
    ]


def test_jsonl_streams_a_specification_one_request_per_page(no_odoo_env, capsys):
    no_odoo_env.setenv("ODOO_URL", "http://odoo.test")
    no_odoo_env.setenv("ODOO_DB", "odoo19")
    no_odoo_env.setenv("ODOO_API_KEY", secrets.token_hex(20))
    table = [{"id": i, "name": f"SO{i}", "order_line": [{"id": 10 * i, "name": "line"}]} for i in (1, 2, 3)]
    asked: list[tuple[str, dict[str, Any]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        model, method = request.url.path.split("/")[-2:]
        body = json.loads(request.content)
        asked.append((method, body))
        if method == "fields_get":
            kinds = {
                "sale.order": {"name": "char", "order_line": "one2many"},
                "sale.order.line": {"name": "char"},
            }
            return httpx.Response(
                200,
                json={
                    n: {
                        "type": t,
                        "string": n,
                        **({"relation": "sale.order.line"} if t == "one2many" else {}),
                    }
                    for n, t in kinds[model].items()
                },
            )
        after = next((t[2] for t in body["domain"] if t[:2] == ["id", ">"]), 0)
        rows = [r for r in table if r["id"] > after][: body["limit"]]
        return httpx.Response(200, json={"length": len(rows), "records": rows})

    def make(connection: Connection, **options: Any) -> Json2Client:
        return Json2Client(connection, http_transport=httpx.MockTransport(handler), **options)

    no_odoo_env.setattr(client_module, "make_client", make)
    spec = {"name": {}, "order_line": {"fields": {"name": {}}}}
    inputs = {"model": "sale.order", "specification": spec, "fetchAll": True, "pageSize": 2}
    assert main(["run", "listRecords", "--jsonl", "--quiet", "--input", json.dumps(inputs)]) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == table
    reads = [body for method, body in asked if method == "web_search_read"]
    assert [(b["domain"], b["limit"], b["specification"]) for b in reads] == [
        ([], 3, spec),
        ([["id", ">", 2]], 3, spec),
    ]
