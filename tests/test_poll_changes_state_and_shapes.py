"""pollChangesTrigger (odoo_connector.triggers.poll_changes) against the stateful fake Odoo: the
words of each refused state, the flag an emitting poll sets, the records it emits (every field
without ``fields``, the friendly shape for updates too), and a record written again while the poll
pages that is followed by newer changes: all of them are emitted, once."""

from __future__ import annotations

from typing import Any

import pytest

from odoo_connector.errors import InputError
from odoo_connector.runtime import invoke

from .fakes import FakeOdoo, fake_client, fake_connection

MODEL = "res.partner"
RESET = (
    "Run again with --reset to discard it and start a new baseline (changes made since the last good "
    "state are then not emitted), or restore the state that the trigger wrote."
)


@pytest.fixture
def fake() -> FakeOdoo:
    return FakeOdoo()


def poll(fake: FakeOdoo, state: dict[str, Any] | None = None, **inputs: Any) -> dict[str, Any]:
    client = fake_client(fake, fake_connection("json2"))
    result: dict[str, Any] = invoke(
        "pollChangesTrigger", fake_connection("json2"), {"model": MODEL, **inputs}, state=state, client=client
    )
    return result


GOOD = {"version": 1, "model": MODEL, "cursor": "2026-01-01 12:00:00", "seen": {"7": "2026-01-01 12:00:00"}}


@pytest.mark.parametrize(
    ("state", "why"),
    [
        ({**GOOD, "version": 99}, "its version is 99, this connector writes 1"),
        ({**GOOD, "cursor": "y" * 50}, f"its cursor {'y' * 40!r} is not a time like 2026-01-31 23:59:59"),
        (
            {**GOOD, "seen": {"abc": "2026-01-01 12:00:00"}},
            "its 'seen' entry has the key 'abc', not a record id",
        ),
        ({**GOOD, "seen": {"٣": "2026-01-01 12:00:00"}}, "its 'seen' entry has the key '٣', not a record id"),
        ({**GOOD, "seen": {"7": "noon"}}, "its 'seen' entry for record 7 is not a time"),
        ({**GOOD, "cursor": None}, "it remembers records but has no cursor"),
        ({**GOOD, "model": None}, "it names no model"),
        ([GOOD], "it is a JSON list, not an object"),
    ],
)
def test_a_state_the_trigger_did_not_write_is_refused_with_why_and_how_to_reset(fake, state, why):
    with pytest.raises(InputError) as err:
        poll(fake, state)
    assert err.value.message == f"The trigger state is not one pollChangesTrigger wrote: {why}."
    assert err.value.hint == RESET
    assert fake.request_count == 0


def test_a_state_of_another_model_says_to_keep_one_state_per_model(fake):
    with pytest.raises(InputError) as err:
        poll(fake, {**GOOD, "model": "crm.lead"})
    assert err.value.message == "The trigger state belongs to model 'crm.lead', not 'res.partner'."
    assert err.value.hint == "Use a separate state per model, or reset the state with --reset."


def test_a_poll_that_emits_only_created_records_has_changes(fake):
    state = poll(fake)["state"]
    fake.advance(1)
    fake.create(MODEL, name="A")
    result = poll(fake, state)
    assert [r["name"] for r in result["data"]["created"]] == ["A"]
    assert result["data"]["updated"] == []
    assert result["polledNoChanges"] is False


def test_without_fields_the_records_carry_the_default_fields_of_the_model():
    """Stored scalar and many2one fields, as listRecords reads them: not binaries."""
    fake = FakeOdoo(models={MODEL: {"email": "char", "is_company": "boolean", "image_1920": "binary"}})
    state = poll(fake)["state"]
    fake.advance(1)
    record_id = fake.create(MODEL, name="A", email="a@example.com", is_company=True)
    [record] = poll(fake, state)["data"]["created"]
    assert record["id"] == record_id
    assert {k: record[k] for k in ("name", "email", "is_company")} == {
        "name": "A",
        "email": "a@example.com",
        "is_company": True,
    }
    assert record["write_date"] == record["create_date"] == "2026-01-01 12:00:01"
    assert "image_1920" not in record


def test_the_friendly_format_shapes_updated_records_too(fake):
    record_id = fake.create(MODEL, name="A")
    state = poll(fake, format="friendly")["state"]
    fake.advance(400)
    fake.write(MODEL, record_id, email="new@example.com")
    result = poll(fake, state, format="friendly", fields=["name", "email"])
    assert result["data"]["updated"] == [
        {
            "id": record_id,
            "name": "A",
            "email": "new@example.com",
            "write_date": "2026-01-01T12:06:40Z",
            "create_date": "2026-01-01T12:00:00Z",
        }
    ]


def test_a_record_written_again_while_paging_does_not_hide_the_changes_after_it(fake):
    state = poll(fake, pageSize=2)["state"]
    fake.advance(1)
    ids = [fake.create(MODEL, name=f"r{i}") for i in range(3)]

    def others_write() -> None:
        fake.advance(1)
        fake.write(MODEL, ids[0], name="r0 again")  # met again on a later page
        fake.advance(1)
        ids.append(fake.create(MODEL, name="later"))  # after it in write_date order

    fake.on_call("search_read", others_write, nth=2)
    result = poll(fake, state, pageSize=2, fields=["name"])
    assert sorted((r["id"], r["name"]) for r in result["data"]["created"]) == [
        (ids[0], "r0 again"),
        (ids[1], "r1"),
        (ids[2], "r2"),
        (ids[3], "later"),
    ]
    again = poll(fake, result["state"], pageSize=2, fields=["name"])
    assert again["data"] == {"created": [], "updated": []}
