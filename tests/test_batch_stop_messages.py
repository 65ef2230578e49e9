"""What a batch run says when it stops or skips rows (odoo_connector.actions.batch_rows), against
the stateful fake Odoo: the stop message names the batch, what of it was written, what batches
were written before and whether sending again is safe; a skipped row's error names its type and
field and its input path; a group the user lacks refuses every row at once. (A batch that got
no answer is tests/test_batch_gateway_error.py's.) Each sentence is what a user acts on
("check before sending again", "safe to send again"), so each is asserted whole."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from odoo_connector import invoke
from odoo_connector.errors import InputError, OdooConnectorError, OdooValidationError

from .fakes import FakeOdoo, fake_client, fake_connection
from .fakes.odoo import API_KEY, DATABASE

CONN = {"type": "odooApiKey", "baseUrl": "http://fake.test", "database": DATABASE, "apiKey": API_KEY}
NO_GROUP = (
    "You are not allowed to create 'Contact' (res.partner) records.\n\nThis operation is allowed for "
    "the following groups:\n\t- Contact / Creation\n\nContact your administrator to request access."
)


@pytest.fixture
def odoo(no_odoo_env: pytest.MonkeyPatch) -> FakeOdoo:
    return FakeOdoo()


def run(odoo: FakeOdoo, key: str, client: Any = None, **inputs: Any) -> dict[str, Any]:
    made = client or fake_client(odoo, fake_connection("json2"))
    made.session.sleep = lambda seconds: None
    data: dict[str, Any] = invoke(key, CONN, {"model": "res.partner", **inputs}, client=made)["data"]
    return data


def stop(odoo: FakeOdoo, key: str, client: Any = None, **inputs: Any) -> OdooConnectorError:
    with pytest.raises(OdooConnectorError) as err:
        run(odoo, key, client, **inputs)
    return err.value


def named(count: int, start: int = 0, **extra: Any) -> list[dict[str, Any]]:
    return [{"parameters": {"name": f"P{i}", **extra}} for i in range(start, start + count)]


# --- the stop message ------------------------------------------------------------------------


def test_batches_written_before_the_stop_are_counted_with_their_first_and_last_row(odoo):
    records = named(6)
    records[4]["parameters"]["name"] = ""  # Contacts require a name
    error = stop(odoo, "createRecords", records=records, batchSize=2)
    assert type(error) is OdooValidationError
    assert error.message == (
        "Row 4: Contacts require a name. Nothing of batch 3 (rows 4 to 5) was written. "
        "2 batches were written before it (4 rows, 0 to 3). Rows after it were not sent."
    )
    assert error.report["written"] == 4  # type: ignore[attr-defined]


def test_part_of_a_batch_written_before_odoo_refused_a_row_is_said_with_its_count(odoo):
    """Known records whose changed rows set different fields: web_save_multi refuses the batch
    (a name emptied), so it goes through load one set of fields at a time; the first part is
    written, the second refused."""
    ids = [odoo.create("res.partner", name=f"P{i}", email=f"p{i}@example.com") for i in range(3)]
    records = [
        {"recordId": ids[0], "parameters": {"email": "new0@example.com"}},
        {"recordId": ids[1], "parameters": {"email": "new1@example.com"}},
        {"recordId": ids[2], "parameters": {"name": ""}},
    ]
    error = stop(odoo, "updateRecords", records=records)
    # What follows ("1 batch was written before it") counts the written part of batch 1 as a
    # batch before it: left out here, reported to be worded again.
    assert error.message.startswith(
        "Row 2: Contacts require a name. Of batch 1 (rows 0 to 2), 2 rows were written before Odoo "
        "refused one (the report says which). "
    )
    assert error.message.endswith(" (2 rows, 0 to 1). Rows after it were not sent.")
    assert [odoo.tables["res.partner"][i]["email"] for i in ids] == [
        "new0@example.com",
        "new1@example.com",
        "p2@example.com",
    ]


def test_unchanged_rows_of_the_stopped_batch_are_not_counted_as_written(odoo):
    ids = [odoo.create("res.partner", name=f"P{i}", email=f"p{i}@example.com") for i in range(3)]
    records = [
        {"recordId": ids[0], "parameters": {"email": "p0@example.com"}},  # what it holds
        {"recordId": ids[1], "parameters": {"email": "new1@example.com"}},
        {"recordId": ids[2], "parameters": {"name": ""}},
    ]
    error = stop(odoo, "updateRecords", records=records)
    assert "Of batch 1 (rows 1 to 2), 1 rows were written before Odoo refused one" in error.message
    assert error.message.endswith(" (1 rows, 1 to 1). Rows after it were not sent.")
    report = error.report  # type: ignore[attr-defined]
    assert (report["written"], report["unchanged"]) == (1, 1)


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        ("Is the partner valid?", "Is the partner valid?"),
        ("Stop right there!", "Stop right there!"),
        ("The partner is invalid.  ", "The partner is invalid.  "),
        ("The partner is invalid", "The partner is invalid."),
    ],
)
def test_odoos_own_sentence_gets_a_full_stop_only_when_it_has_none(odoo, said, shown):
    odoo.fail_on("load", kind="value", message=said)
    error = stop(odoo, "createRecords", records=named(2))
    assert error.message == (
        f"{shown} Nothing of batch 1 (rows 0 to 1) was written. No batch was written before it. "
        "Rows after it were not sent."
    )


# --- skipped rows ----------------------------------------------------------------------------


def test_a_row_refused_before_sending_is_an_input_error_naming_its_field(odoo):
    report = run(
        odoo,
        "upsertRecords",
        matchFields=["email"],
        onError="skip",
        records=[
            {"parameters": {"name": "No email"}},
            {"parameters": {"name": "Ann", "email": "ann@example.com"}},
        ],
    )
    assert report["rows"][0] == {
        "index": 0,
        "error": {
            "type": "InputError",
            "message": "matchFields names 'email', which this row does not set in parameters.",
            "field": "email",
            "path": "records[0].parameters.email",
        },
    }
    assert report["rows"][1]["created"] is True
    assert (report["written"], report["failed"]) == (1, 1)


def test_a_bad_row_stops_before_anything_is_sent_without_skip(odoo):
    with pytest.raises(InputError) as err:
        run(odoo, "upsertRecords", matchFields=["email"], records=[{"parameters": {"name": "x"}}])
    assert err.value.message == (
        "Row 0: matchFields names 'email', which this row does not set in parameters. Nothing was written."
    )
    assert err.value.path == "records[0].parameters.email"
    assert "load" not in odoo.methods()


class LoadMessages(httpx.BaseTransport):
    """Odoo whose ``load`` refuses with the given messages (``ids`` false), as Odoo answers a batch
    it would not import; everything else is the fake's."""

    def __init__(self, odoo: FakeOdoo, messages: list[dict[str, Any]]) -> None:
        self.odoo, self.messages = odoo, messages

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/load"):
            self.odoo.calls.append(("res.partner", "load"))
            return httpx.Response(200, json={"ids": False, "messages": self.messages, "nextrow": 0})
        return self.odoo.handle_request(request)


def refusing(odoo: FakeOdoo, messages: list[dict[str, Any]]) -> Any:
    client = fake_client(odoo, fake_connection("json2"))
    client.session.client._transport = LoadMessages(odoo, messages)
    return client


def test_a_missing_group_refuses_every_row_at_once_with_the_group_named(odoo):
    """Odoo names only the first row when the user lacks a group; the others would each be named
    on a retry. One request, and every row carries the group to ask for."""
    messages = [{"type": "error", "rows": {"from": 0, "to": 0}, "message": NO_GROUP}]
    report = run(odoo, "createRecords", refusing(odoo, messages), records=named(3), onError="skip")
    expected = {"type": "AccessDeniedError", "message": NO_GROUP, "missingGroups": ["Contact / Creation"]}
    assert [row["error"] for row in report["rows"]] == [expected] * 3
    assert odoo.methods().count("load") == 1


def test_a_row_odoo_names_without_words_is_refused_in_odoos_place(odoo):
    messages = [{"type": "error", "rows": {"from": 1, "to": 1}, "field": "id"}]
    error = stop(odoo, "createRecords", refusing(odoo, messages), records=named(2))
    assert error.message.startswith("Row 1, field 'externalId': Odoo refused the row. Nothing of batch 1")
    report = error.report  # type: ignore[attr-defined]
    assert report["rows"][1]["error"] == {
        "type": "OdooValidationError",
        "message": "Odoo refused the row.",
        "field": "externalId",
    }


def test_a_whole_batch_refused_for_a_group_is_the_error_of_every_row_in_skip_mode(odoo):
    odoo.fail_on("load", kind="access", message=NO_GROUP)
    report = run(odoo, "createRecords", records=named(2), onError="skip")
    for row in report["rows"]:
        assert row["error"]["type"] == "AccessDeniedError"
        assert row["error"]["missingGroups"] == ["Contact / Creation"]
    assert odoo.methods().count("load") == 1


def test_the_report_is_valid_json_with_one_entry_per_row_in_input_order(odoo):
    records = named(3)
    records[1]["parameters"]["name"] = ""
    report = run(odoo, "createRecords", records=records, onError="skip", firstIndex=10)
    assert json.loads(json.dumps(report)) == report
    assert [row["index"] for row in report["rows"]] == [10, 11, 12]
    assert report["rows"][1] == {
        "index": 11,
        "error": {"type": "OdooValidationError", "message": "Contacts require a name"},
    }
    assert (report["written"], report["created"], report["failed"]) == (2, 2, 1)
