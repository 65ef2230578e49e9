"""fetchAll sizes its pages from what it reads (issue 19): few requests for narrow rows, bounded
bytes per page for wide ones, an explicit pageSize used as given."""

from __future__ import annotations

import json
from typing import Any

import httpx

from odoo_connector.actions.records import iter_records
from odoo_connector.client import OdooClient, make_client
from odoo_connector.connections import parse_connection

CONN = {"type": "odooApiKey", "baseUrl": "http://odoo.test", "database": "odoo19", "apiKey": "k" * 40}


def table_client(rows: list[dict[str, Any]]) -> tuple[OdooClient, list[int]]:
    """A server holding ``rows`` (ordered by id) that honours the id > last domain and limit."""
    limits: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        after = next((t[2] for t in body["domain"] if isinstance(t, list) and t[:2] == ["id", ">"]), 0)
        limits.append(body["limit"])
        return httpx.Response(200, json=[r for r in rows if r["id"] > after][: body["limit"]])

    client = make_client(parse_connection(CONN), http_transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    return client, limits


def test_narrow_rows_are_read_in_a_few_large_pages() -> None:
    rows = [{"id": i, "name": f"lead-{i:05d}"} for i in range(1, 20001)]
    client, limits = table_client(rows)
    assert [r["id"] for r in iter_records(client, "crm.lead", fields=["name"])] == list(range(1, 20001))
    assert limits == [501, 20001]  # the first page measures, the next one holds the rest


def test_wide_rows_keep_each_page_near_two_megabytes() -> None:
    rows = [{"id": i, "note": "x" * 4000} for i in range(1, 3001)]
    client, limits = table_client(rows)
    assert sum(1 for _ in iter_records(client, "crm.lead", fields=["note"])) == 3000
    assert max(limits[1:]) <= 2 * 1024 * 1024 // 4000 + 1  # 4 kB rows: about 2 MB a page


def test_an_explicit_page_size_is_used_as_given() -> None:
    rows = [{"id": i, "name": "n"} for i in range(1, 101)]
    client, limits = table_client(rows)
    assert sum(1 for _ in iter_records(client, "crm.lead", fields=["name"], page_size=30)) == 100
    assert limits == [31, 31, 31, 31]
