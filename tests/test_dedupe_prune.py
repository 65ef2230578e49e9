"""Which webhook entries survive a prune (odoo_connector.triggers.dedupe, through ``receive``).

After each post the receiver forgets the changes it emitted that lie before the poll's look-back
(300 s before its cursor): the poll never reads that far back again, so they can never be met
twice. An entry still inside the window must stay, or a repeated post of that change (Odoo sends
one create up to 13 times) would be emitted a second time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from odoo_connector.triggers.dedupe import already_emitted, in_window, same_change, shift
from odoo_connector.triggers.webhook import receive

from .test_webhook_receive import MODEL, Subscribed

CURSOR = "2026-01-01 12:10:00"  # the poll's cursor; its look-back starts at 12:05:00
RECEIVED = {
    "1": "2026-01-01 12:04:59.999999",  # a microsecond short of the window: forgotten
    "2": "2026-01-01 12:05:00.000001",  # the window's first second: kept
    "3": "2026-01-01 12:09:59.500000",  # well inside: kept
    "4": "2026-01-01 12:30:00.000000",  # after the cursor (a webhook outran the poll): kept
}


def _post(record_id: int, stamp: str, *, created: str = "2026-01-01 11:00:00") -> dict[str, Any]:
    body = {"_model": MODEL, "_id": record_id, "id": record_id, "create_date": created, "write_date": stamp}
    return {"body": json.dumps(body).encode()}


@pytest.fixture
def subscription(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], str]:
    monkeypatch.setattr("secrets.token_urlsafe", lambda n: "prune-secret-0123456789abcdef")
    state = Subscribed().state
    state = {**state, "poll": {**state["poll"], "cursor": CURSOR}, "received": dict(RECEIVED)}
    return state, "token=ocwh_prune-secret-0123456789abcdef&event=change"


def test_a_post_keeps_the_changes_inside_the_look_back_and_forgets_the_older(subscription) -> None:
    state, query = subscription
    result = receive(state, {"query": query, **_post(9, "2026-01-01 12:10:01.250000")})
    assert result["data"]["updated"] == [
        {"id": 9, "create_date": "2026-01-01 11:00:00", "write_date": "2026-01-01 12:10:01"}
    ]
    assert result["state"]["received"] == {
        "2": "2026-01-01 12:05:00.000001",
        "3": "2026-01-01 12:09:59.500000",
        "4": "2026-01-01 12:30:00.000000",
        "9": "2026-01-01 12:10:01.250000",
    }


@pytest.mark.parametrize("record_id", [2, 3, 4])
def test_a_repeated_post_of_a_change_still_in_the_window_is_not_emitted_again(
    subscription, record_id
) -> None:
    state, query = subscription
    state = receive(state, {"query": query, **_post(9, "2026-01-01 12:10:01.250000")})["state"]
    again = receive(state, {"query": query, **_post(record_id, RECEIVED[str(record_id)])})
    assert again["data"] == {"created": [], "updated": [], "deleted": []}
    assert again["polledNoChanges"] is True


def test_without_a_poll_cursor_nothing_is_forgotten(subscription) -> None:
    state, query = subscription
    state = {**state, "poll": {**state["poll"], "cursor": None}}
    result = receive(state, {"query": query, **_post(9, "2026-01-01 12:10:01.250000")})
    assert result["state"]["received"] == {**RECEIVED, "9": "2026-01-01 12:10:01.250000"}


@pytest.mark.parametrize(
    ("stamp", "seconds", "horizon"),
    [
        ("2026-01-01 12:10:00", 300, "2026-01-01 12:05:00"),
        ("2026-01-01 12:10:00.999999", 300, "2026-01-01 12:05:00"),  # to the second first
        ("2026-01-01 00:02:00", 180, "2025-12-31 23:59:00"),  # across midnight and the year
        ("2026-01-01 12:10:00", 0, "2026-01-01 12:10:00"),
    ],
)
def test_the_window_starts_the_look_back_before_the_cursor(stamp, seconds, horizon) -> None:
    assert shift(stamp, seconds) == horizon
    assert in_window({"7": horizon, "8": shift(horizon, 1)}, horizon) == {"7": horizon}


@pytest.mark.parametrize(
    ("known", "stamp", "same"),
    [
        (None, "2026-01-01 12:00:00", False),
        ("2026-01-01 12:00:00.100000", "2026-01-01 12:00:00.100000", True),  # 13 copies of one post
        ("2026-01-01 12:00:00.100000", "2026-01-01 12:00:00.900000", False),  # two writes, one second
        ("2026-01-01 12:00:00.100000", "2026-01-01 12:00:00", True),  # the poll meets a webhook's
        ("2026-01-01 12:00:00", "2026-01-01 12:00:00.900000", True),  # a webhook meets the poll's
        ("2026-01-01 12:00:00", "2026-01-01 12:00:01", False),
    ],
)
def test_two_stamps_name_one_change_at_the_precision_both_carry(known, stamp, same) -> None:
    assert same_change(known, stamp) is same
    assert already_emitted(5, stamp, {}, {"5": known} if known else {}) is same
    assert already_emitted("6", stamp, {"5": known} if known else {}) is False
