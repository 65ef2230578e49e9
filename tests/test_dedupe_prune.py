"""Which webhook entries survive a prune (odoo_connector.triggers.dedupe).

After each post the receiver forgets the changes it emitted that lie before the poll's look-back
(300 s before its cursor): the poll never reads that far back again, so they can never be met
twice. An entry still inside the window must stay, or a repeated post of that change (Odoo sends
one create up to 13 times) would be emitted a second time. The rule is tested here on dedupe's own
functions; the receiver's use of it is in tests/test_webhook_trust.py."""

from __future__ import annotations

import pytest

from odoo_connector.triggers.dedupe import already_emitted, in_window, newer, same_change, shift


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


@pytest.mark.parametrize(
    ("stamp", "known", "is_newer"),
    [
        ("2026-01-01 12:00:00.5", None, True),  # nothing emitted yet
        ("2026-01-01 12:00:01", "2026-01-01 12:00:00.900000", True),  # a later second
        ("2026-01-01 12:00:00.900000", "2026-01-01 12:00:01", False),  # a late post of an older one
        ("2026-01-01 12:00:00.900000", "2026-01-01 12:00:00.100000", True),  # two writes, one second
        ("2026-01-01 12:00:00.100000", "2026-01-01 12:00:00.900000", True),  # either direction
        ("2026-01-01 12:00:00.500000", "2026-01-01 12:00:00.500000", False),  # a copy of one post
        # one instant written with fewer digits is the same change, whichever was seen first
        ("2026-01-01 12:00:00.5", "2026-01-01 12:00:00.500000", False),
        ("2026-01-01 12:00:00.500000", "2026-01-01 12:00:00.5", False),
        ("2026-01-01 12:00:00.05", "2026-01-01 12:00:00.5", True),
        ("2026-01-01 12:00:00.000005", "2026-01-01 12:00:00.5", True),
        # only one of them to the second (the poll reads seconds): the same second cannot be told
        ("2026-01-01 12:00:00", "2026-01-01 12:00:00.500000", False),
        ("2026-01-01 12:00:00.500000", "2026-01-01 12:00:00", False),
    ],
)
def test_a_post_is_a_new_change_only_when_its_stamp_says_so(stamp, known, is_newer) -> None:
    """A webhook post is emitted when its stamp names a change not yet emitted for the record: a
    repeat of the same instant (however many digits it is written with) is not, and two writes in
    one second are."""
    assert newer(stamp, known) is is_newer
