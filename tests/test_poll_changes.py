"""pollChangesTrigger against a stateful fake Odoo, over both transports.

Every scenario asserts the exact multiset of emitted ``(id, branch)`` pairs: "nothing lost" and
"nothing repeated" are both a matter of counting, so a Counter says it in one comparison.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from odoo_connector.client import OdooClient
from odoo_connector.connections import Connection
from odoo_connector.errors import AccessDeniedError, InputError, OdooConnectorError, ServerError
from odoo_connector.runtime import invoke
from odoo_connector.triggers import poll_changes as poll_module
from tests.fakes import FakeOdoo, fake_client, fake_connection

MODEL = "res.partner"


@dataclass
class Poll:
    result: dict[str, Any]

    @property
    def state(self) -> dict[str, Any]:
        return dict(self.result["state"])

    @property
    def pairs(self) -> Counter[tuple[int, str]]:
        data = self.result["data"]
        return Counter((r["id"], branch) for branch in ("created", "updated") for r in data[branch])

    def records(self) -> dict[int, dict[str, Any]]:
        data = self.result["data"]
        return {r["id"]: r for branch in ("created", "updated") for r in data[branch]}


@dataclass
class Env:
    fake: FakeOdoo
    connection: Connection
    client: OdooClient

    def poll(self, state: dict[str, Any] | None = None, **inputs: Any) -> Poll:
        result = invoke(
            "pollChangesTrigger", self.connection, {"model": MODEL, **inputs}, state=state, client=self.client
        )
        return Poll(result)

    def baseline(self, **inputs: Any) -> dict[str, Any]:
        first = self.poll(None, **inputs)
        assert first.pairs == Counter()
        return first.state


def expect(created: Iterable[int] = (), updated: Iterable[int] = ()) -> Counter[tuple[int, str]]:
    return Counter([(i, "created") for i in created] + [(i, "updated") for i in updated])


@pytest.fixture(params=["json2", "jsonrpc"])
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    fake = FakeOdoo()
    connection = fake_connection(request.param)
    client = fake_client(fake, connection)
    yield Env(fake, connection, client)
    client.close()


def test_first_poll_records_a_baseline_and_emits_nothing(env: Env) -> None:
    for name in "abc":
        env.fake.create(MODEL, name=name)
        env.fake.advance(10)
    first = env.poll()
    assert first.pairs == Counter()
    assert first.result["polledNoChanges"] is True
    assert first.state["cursor"] == "2026-01-01 12:00:20"  # the server's newest write_date
    assert env.poll(first.state).pairs == Counter()


def test_first_poll_on_an_empty_model_then_new_records_are_created(env: Env) -> None:
    state = env.baseline()
    assert state["cursor"] is None
    a = env.fake.create(MODEL, name="a")
    assert env.poll(state).pairs == expect(created=[a])


def test_emit_existing_emits_every_record_reading_every_page(env: Env) -> None:
    ids = [env.fake.create(MODEL, name=f"p{i}") for i in range(7)]
    first = env.poll(emitExisting=True, pageSize=3)
    assert first.pairs == expect(created=ids)
    assert env.fake.methods().count("search_read") == 3  # 3 + 3 + 1
    assert first.records()[ids[0]]["name"] == "p0"
    assert env.poll(first.state, pageSize=3).pairs == Counter()


def test_a_burst_of_two_and_a_half_pages_is_emitted_completely(env: Env) -> None:
    env.fake.create(MODEL, name="old")
    state = env.baseline(pageSize=10)
    env.fake.advance(1)
    burst = []
    for i in range(25):
        burst.append(env.fake.create(MODEL, name=f"burst{i}"))
        if i % 7 == 0:  # some seconds hold several writes, some pages end inside a second
            env.fake.advance(1)
    polled = env.poll(state, pageSize=10)
    assert polled.pairs == expect(created=burst)
    assert env.poll(polled.state, pageSize=10).pairs == Counter()


@pytest.mark.parametrize("lookback", [0, 300])
def test_five_writes_in_one_second_around_the_cursor(env: Env, lookback: int) -> None:
    old = env.fake.create(MODEL, name="old")
    env.fake.advance(60)
    state = env.baseline(lookbackSeconds=lookback)
    env.fake.advance(0.1)  # 12:01:00.1
    a = env.fake.create(MODEL, name="a")
    b = env.fake.create(MODEL, name="b")
    first = env.poll(state, lookbackSeconds=lookback, pageSize=2)
    assert first.pairs == expect(created=[a, b])
    assert first.state["cursor"] == "2026-01-01 12:01:00"
    env.fake.advance(0.5)  # still 12:01:00: the cursor's own second
    c = env.fake.create(MODEL, name="c")
    env.fake.write(MODEL, old, name="old, touched")
    d = env.fake.create(MODEL, name="d")
    second = env.poll(first.state, lookbackSeconds=lookback, pageSize=2)
    assert second.pairs == expect(created=[c, d], updated=[old])
    assert env.poll(second.state, lookbackSeconds=lookback, pageSize=2).pairs == Counter()


def test_a_late_commit_inside_the_lookback_window_is_emitted_once(env: Env) -> None:
    existing = env.fake.create(MODEL, name="existing")
    state = env.baseline(lookbackSeconds=300)
    env.fake.advance(5)
    slow = env.fake.begin()  # a long transaction: stamped now, visible only at commit
    late = slow.create(MODEL, name="late")
    slow.write(MODEL, existing, name="rewritten late")
    env.fake.advance(30)
    quick = env.fake.create(MODEL, name="quick")
    first = env.poll(state)
    assert first.pairs == expect(created=[quick])
    assert first.state["cursor"] > slow.stamp
    slow.commit()
    second = env.poll(first.state)
    assert second.pairs == expect(created=[late], updated=[existing])
    assert second.records()[existing]["name"] == "rewritten late"
    env.fake.advance(60)
    assert env.poll(second.state).pairs == Counter()
    assert env.poll(second.state).pairs == Counter()


def _scenario(env: Env) -> list[tuple[Counter[tuple[int, str]], dict[str, Any]]]:
    """A mix of everything, returning what each poll emitted and kept."""
    env.fake.create(MODEL, name="before")
    out = []
    state = env.baseline(pageSize=2)
    env.fake.advance(2)
    slow = env.fake.begin()
    slow.create(MODEL, name="late")
    env.fake.advance(3)
    for name in "abcde":
        env.fake.create(MODEL, name=name)
    for step in range(3):
        polled = env.poll(state, pageSize=2)
        out.append((polled.pairs, polled.state))
        state = polled.state
        if step == 0:
            slow.commit()
            env.fake.write(MODEL, 1, name="before, edited")
        env.fake.advance(40)
    return out


def test_a_local_clock_hours_off_changes_nothing(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    real_time = time.time
    runs = []
    for hours in (0, -3, 3):
        skew = timedelta(hours=hours)

        class SkewedDatetime(datetime):
            offset = skew

            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return datetime.now(tz) + cls.offset

            @classmethod
            def utcnow(cls) -> Any:
                return datetime.now() + cls.offset

        with monkeypatch.context() as patch:
            patch.setattr(time, "time", lambda s=skew: real_time() + s.total_seconds())
            patch.setattr(poll_module, "datetime", SkewedDatetime)
            fresh = FakeOdoo()
            client = fake_client(fresh, env.connection)
            runs.append(_scenario(Env(fresh, env.connection, client)))
            client.close()
    emitted = [pairs for pairs, _ in runs[0]]
    assert emitted == [expect(created=[3, 4, 5, 6, 7]), expect(created=[2], updated=[1]), expect()]
    assert runs[1] == runs[0]
    assert runs[2] == runs[0]


@pytest.mark.parametrize(("kind", "error"), [("server", ServerError), ("access", AccessDeniedError)])
def test_an_error_on_the_second_page_raises_and_the_old_state_repeats_the_work(
    env: Env, kind: str, error: type[OdooConnectorError]
) -> None:
    state = env.baseline(pageSize=2)
    env.fake.advance(1)
    ids = [env.fake.create(MODEL, name=f"r{i}") for i in range(5)]
    env.fake.fail_on("search_read", nth=2, kind=kind)
    with pytest.raises(error):
        env.poll(state, pageSize=2)
    retried = env.poll(state, pageSize=2)  # the caller kept the old state
    assert retried.pairs == expect(created=ids)
    assert env.poll(retried.state, pageSize=2).pairs == Counter()


def test_an_error_while_reading_the_records_emits_nothing_and_loses_nothing(env: Env) -> None:
    state = env.baseline()
    env.fake.advance(1)
    a = env.fake.create(MODEL, name="a")
    env.fake.fail_on("read")
    with pytest.raises(ServerError):
        env.poll(state)
    assert env.poll(state).pairs == expect(created=[a])


def test_a_record_updated_again_after_being_emitted_is_emitted_again_as_updated(env: Env) -> None:
    before = env.fake.create(MODEL, name="before the baseline")
    state = env.baseline()
    env.fake.advance(1)
    a = env.fake.create(MODEL, name="a")
    polls = [env.poll(state)]
    for round_ in range(3):
        env.fake.advance(1)
        env.fake.write(MODEL, a, name=f"a{round_}")
        if round_ == 1:
            env.fake.write(MODEL, before, name="edited")
        polls.append(env.poll(polls[-1].state))
    assert [p.pairs for p in polls] == [
        expect(created=[a]),
        expect(updated=[a]),
        expect(updated=[a, before]),
        expect(updated=[a]),
    ]
    assert polls[-1].records()[a]["name"] == "a2"


def test_a_record_updated_while_the_poll_pages_is_emitted_once(env: Env) -> None:
    state = env.baseline(pageSize=2)
    env.fake.advance(1)
    ids = [env.fake.create(MODEL, name=f"r{i}") for i in range(5)]

    def another_user_edits_the_first() -> None:
        env.fake.advance(1)
        env.fake.write(MODEL, ids[0], name="edited while paging")

    env.fake.on_call("search_read", another_user_edits_the_first, nth=2)
    polled = env.poll(state, pageSize=2)
    assert polled.pairs == expect(created=ids)
    assert polled.records()[ids[0]]["name"] == "edited while paging"
    assert env.poll(polled.state, pageSize=2).pairs == Counter()


def test_a_record_changed_or_deleted_between_search_and_read(env: Env) -> None:
    state = env.baseline()
    env.fake.advance(1)
    a = env.fake.create(MODEL, name="a")
    gone = env.fake.create(MODEL, name="gone")

    def meanwhile() -> None:
        env.fake.advance(1)
        env.fake.write(MODEL, a, name="a, newer")
        env.fake.unlink(MODEL, gone)

    env.fake.on_call("read", meanwhile)
    polled = env.poll(state)
    assert polled.pairs == expect(created=[a])
    assert polled.records()[a]["name"] == "a, newer"
    assert env.poll(polled.state).pairs == Counter()  # the newer write was emitted already


@pytest.mark.parametrize(
    ("flags", "first", "second"),
    [
        ({"showNewRecords": False}, expect(updated=[1]), expect(updated=[3])),
        ({"showUpdatedRecords": False}, expect(created=[3]), expect()),
        ({"showNewRecords": False, "showUpdatedRecords": False}, expect(), expect()),
    ],
)
def test_show_new_and_show_updated(
    env: Env, flags: dict[str, bool], first: Counter[tuple[int, str]], second: Counter[tuple[int, str]]
) -> None:
    env.fake.create(MODEL, name="one")
    env.fake.create(MODEL, name="two")
    state = env.baseline(**flags)
    env.fake.advance(1)
    env.fake.write(MODEL, 1, name="one, edited")
    env.fake.create(MODEL, name="three")
    polled = env.poll(state, **flags)
    assert polled.pairs == first
    env.fake.advance(1)
    env.fake.write(MODEL, 3, name="three, edited")  # created unseen, then updated: an update
    assert env.poll(polled.state, **flags).pairs == second


def test_an_idle_poll_is_exactly_one_request(env: Env) -> None:
    env.fake.create(MODEL, name="a")
    state = env.baseline()
    env.fake.advance(1)
    env.fake.create(MODEL, name="b")
    state = env.poll(state).state  # warms the client (JSON-RPC logs in once)
    before = env.fake.request_count
    idle = env.poll(state)
    assert idle.pairs == Counter()
    assert idle.result["polledNoChanges"] is True
    assert env.fake.calls[before:] == [(MODEL, "search_read")]


def test_after_a_burst_polls_cost_one_request_per_page_and_idle_polls_one(env: Env) -> None:
    """The window still holds the burst while nothing newer is written: the already-emitted pairs
    are excluded on the server, not re-read and skipped here."""
    env.fake.create(MODEL, name="old")
    state = env.poll(env.baseline(pageSize=10), pageSize=10).state  # warm the client
    env.fake.advance(1)
    burst = [env.fake.create(MODEL, name=f"burst{i}") for i in range(25)]
    before = env.fake.request_count
    polled = env.poll(state, pageSize=10, fields=["name"])
    assert polled.pairs == expect(created=burst)
    assert polled.records()[burst[0]]["name"] == "burst0"
    assert env.fake.calls[before:] == [(MODEL, "search_read")] * 3  # ceil(25 / 10), no read
    for _ in range(2):
        before = env.fake.request_count
        idle = env.poll(polled.state, pageSize=10, fields=["name"])
        assert idle.pairs == Counter()
        assert env.fake.calls[before:] == [(MODEL, "search_read")]


def test_exact_pages_cost_no_empty_request_and_a_huge_burst_leaves_idle_polls_at_one(env: Env) -> None:
    state = env.poll(env.baseline(pageSize=1000), pageSize=1000).state  # warm the client
    env.fake.advance(1)
    burst = []
    for i in range(6000):  # consecutive ids over several seconds, like an import
        burst.append(env.fake.create(MODEL, name=f"b{i}"))
        if i % 2500 == 0:
            env.fake.advance(1)
    before = env.fake.request_count
    polled = env.poll(state, pageSize=1000, fields=["name"])
    assert polled.pairs == expect(created=burst)
    assert env.fake.calls[before:] == [(MODEL, "search_read")] * 6  # 6000 / 1000, no empty 7th
    before = env.fake.request_count
    assert env.poll(polled.state, pageSize=1000, fields=["name"]).pairs == Counter()
    assert env.fake.calls[before:] == [(MODEL, "search_read")]


@pytest.mark.parametrize("budget", [4000, 60])
def test_scattered_updates_are_excluded_within_the_domain_budget(
    env: Env, monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    """Updates hit scattered ids (no ranges). Within the budget an idle poll is one request;
    past it the newest stamps are excluded and the rest skipped locally: never emitted twice."""
    monkeypatch.setattr(poll_module, "_MAX_EXCLUSION_TERMS", budget)
    ids = [env.fake.create(MODEL, name=f"p{i}") for i in range(300)]
    state = env.poll(env.baseline(pageSize=50), pageSize=50).state
    updated = ids[::2]
    for n, record_id in enumerate(updated):
        if n % 30 == 0:
            env.fake.advance(1)
        env.fake.write(MODEL, record_id, name=f"u{n}")
    polled = env.poll(state, pageSize=50, fields=["name"])
    assert polled.pairs == expect(updated=updated)
    before = env.fake.request_count
    idle = env.poll(polled.state, pageSize=50, fields=["name"])
    assert idle.pairs == Counter()
    requests = env.fake.request_count - before
    if budget == 4000:
        assert requests == 1
    else:  # only the newest stamp fits: the other pairs come back and are skipped here
        assert requests > 1


def test_the_state_stays_bounded(env: Env) -> None:
    state = env.baseline(lookbackSeconds=60)
    emitted: Counter[tuple[int, str]] = Counter()
    created = []
    for _ in range(20):
        env.fake.advance(30)
        created += [env.fake.create(MODEL, name="x") for _ in range(3)]
        polled = env.poll(state, lookbackSeconds=60)
        emitted += polled.pairs
        state = polled.state
        horizon = (datetime.strptime(state["cursor"], "%Y-%m-%d %H:%M:%S") - timedelta(seconds=60)).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
        assert all(stamp >= horizon for stamp in state["seen"].values())
        assert len(state["seen"]) <= 9  # three writes in each of the window's three seconds
    assert emitted == expect(created=created)


def test_a_domain_limits_what_is_watched(env: Env) -> None:
    state = env.baseline(domain=[["is_company", "=", True]])
    env.fake.advance(1)
    company = env.fake.create(MODEL, name="Acme", is_company=True)
    env.fake.create(MODEL, name="Jane", is_company=False)
    polled = env.poll(state, domain=[["is_company", "=", True]], fields=["name"])
    assert polled.pairs == expect(created=[company])
    record = polled.records()[company]
    assert record["name"] == "Acme"
    assert set(record) == {"id", "name", "create_date", "write_date"}


def test_a_state_of_another_model_is_refused(env: Env) -> None:
    state = env.baseline()
    with pytest.raises(InputError):
        invoke("pollChangesTrigger", env.connection, {"model": "res.users"}, state=state, client=env.client)


def test_the_friendly_format_shapes_emitted_records_and_an_idle_poll_asks_for_no_fields(env: Env) -> None:
    state = env.baseline(format="friendly")
    partner = env.fake.create(MODEL, name="Acme", is_company=False)
    poll = env.poll(state, format="friendly", fields=["name", "email", "is_company", "write_date"])
    [record] = poll.result["data"]["created"]
    assert record == {
        "id": partner,
        "name": "Acme",
        "email": None,  # Odoo's false for an empty text
        "is_company": False,  # a boolean keeps its false
        "write_date": env.fake.tables[MODEL][partner]["write_date"].replace(" ", "T") + "Z",
        "create_date": env.fake.tables[MODEL][partner]["create_date"].replace(" ", "T") + "Z",
    }
    before = env.fake.methods().count("fields_get")
    env.poll(poll.state, format="friendly")
    assert env.fake.methods().count("fields_get") == before
