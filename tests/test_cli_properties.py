"""Property: whatever a user types, the CLI answers with a known exit status and a JSON error.

For every key in the manifest, arbitrary JSON inputs (with arbitrary text in every string input,
wrong types, hostile numbers and unpaired surrogates) and arbitrary connection files are run
through ``main`` against the fake Odoo. The CLI must end with 0, 2, 3, 4 or 5, never 1 ("a bug")
and never a traceback; a failure's last stderr line is the JSON error; and an input error must
not have cost a request.

The connection's secret is drawn too: a long key, or a password that is an ordinary word
(``integration``, ``admin``) which the fake's records, login and external IDs hold as a word. Data
must come back as the fake holds it, never with ``<redacted>`` in it, and the secret must never be
printed as a value of its own.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import odoo_connector.client as client_module
from odoo_connector.cli import main
from odoo_connector.client import make_client
from odoo_connector.manifest import load_manifest

from .fakes.odoo import API_KEY, DATABASE, LOGIN, PASSWORD, FakeOdoo

UNITS = list(load_manifest().units())
_METADATA = {"fields_get", "login", "version", "get_installed"}
COMMAND = {"action": "run", "dataSource": "picklist", "trigger": "poll"}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["res.partner", "res.partner\n", "٣", "²", "1.0", "true", "", " ", "\ud800", "a\r\nb"])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def inputs_for(unit: Any) -> st.SearchStrategy[Any]:
    """Mostly-plausible inputs: each declared input absent, an example, arbitrary text or any JSON;
    sometimes a wholly arbitrary JSON value instead of an object."""
    properties: dict[str, Any] = unit.input_schema.get("properties", {})
    options = {
        name: st.one_of(
            st.sampled_from(prop.get("examples") or [None]),
            st.text(max_size=40),
            json_values,
        )
        for name, prop in properties.items()
    }
    plausible = st.fixed_dictionaries({}, optional=options)
    return st.one_of(plausible, plausible, plausible, json_values)


class _Guarded(httpx.BaseTransport):
    """The fake Odoo, answering like a real server even when the fake itself cannot cope (a
    real Odoo answers 500, it does not raise into the client)."""

    def __init__(self, fake: FakeOdoo) -> None:
        self.fake = fake

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self.fake.handle_request(request)
        except Exception as exc:
            body = {"name": "builtins.Exception", "message": f"fake: {type(exc).__name__}", "debug": ""}
            return httpx.Response(500, json=body)


def _client(fake: FakeOdoo) -> Any:
    def make(connection: Any, **options: Any) -> Any:
        transport = _Guarded(fake)
        if connection.type == "odooApiKey":
            return make_client(connection, http_transport=transport, **options)
        return make_client(connection, http_transport=transport, **options)

    return make


CONNECTIONS = {
    "odooApiKey": {
        "type": "odooApiKey",
        "baseUrl": "http://fake.test",
        "database": DATABASE,
        "apiKey": API_KEY,
    },
    "odooBasicAuth": {
        "type": "odooBasicAuth",
        "baseUrl": "http://fake.test",
        "database": DATABASE,
        "username": LOGIN,
        "password": PASSWORD,
    },
}


def _run(argv: list[str]) -> tuple[int, str]:
    status, _, err = _run_all(argv)
    return status, err


def _run_all(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


# (api key, login, password) the fake accepts; the words are also in its records (below)
CREDENTIALS = {
    "long": (API_KEY, LOGIN, PASSWORD),
    "integration": ("integration", "integration@example.com", "integration"),
    "admin": ("admin", "admin@example.com", "admin"),
}


def _fake_holding(word: str, credentials: tuple[str, str, str]) -> FakeOdoo:
    """The fake Odoo with records that hold ``word`` as a word, as a real database would: a
    partner's name, an e-mail, an external ID, the user's login."""
    api_key, login, password = credentials
    fake = FakeOdoo(api_key=api_key, login=login, password=password)
    for name, email in (
        (f"R3 {word} partner", f"{word}@example.com"),
        (f"set_{word}", f"{word}.x@example.com"),
    ):
        record_id = fake.create("res.partner", name=name, email=email)
        fake.external_ids[f"__import__.set_{word}_{record_id}"] = ("res.partner", record_id)
    fake.calls.clear()
    return fake


def _assert_data_whole(out: str, err: str, fake: FakeOdoo, secret: str, what: Any) -> None:
    """Nothing the fake holds comes back rewritten, and the secret is never a value of its own."""
    assert "<redacted>" not in out, (what, out)
    held = {str(v) for table in fake.tables.values() for row in table.values() for v in row.values()}
    documents = [out, *out.splitlines()]  # the document of `run`, or the JSON lines of a stream
    for text in documents:
        try:
            value = json.loads(text)
        except ValueError:
            continue
        for field, shown in _record_fields(value):
            if secret in shown:  # a record's field holding the word: exactly as the fake holds it
                assert shown in held, (what, field, shown)
    for form in (repr(secret), json.dumps(secret), f">{secret}<"):
        assert form not in out + err, (what, form)


def _record_fields(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("name", "email", "login", "display_name") and isinstance(item, str):
                yield key, item
            else:
                yield from _record_fields(item)
    elif isinstance(value, list):
        for item in value:
            yield from _record_fields(item)


def _assert_contract(status: int, err: str, fake: FakeOdoo, what: Any) -> None:
    assert status in (0, 2, 3, 4, 5), (what, err)
    assert "Traceback" not in err, (what, err)
    if status:
        error = json.loads(err.strip().splitlines()[-1])["error"]
        assert error["type"] != "UnexpectedError" and error["message"], (what, err)
        if error["type"] == "InputError":
            # refused before any request, or after reading only what the check needs: the
            # model's fields (values are checked against them), the active languages, or Odoo's
            # API documentation of the model, read to name callMethod's positional arguments
            # over JSON-2 before refusing them
            asked = {m for kind, m in fake.calls if not (kind == "http" and m.startswith("/doc"))}
            assert asked <= _METADATA, (what, error, fake.calls)


@pytest.mark.parametrize("unit", UNITS, ids=[u.key for u in UNITS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_input_ends_in_a_known_exit_status(
    unit: Any, data: st.DataObject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    word = data.draw(st.sampled_from(sorted(CREDENTIALS)))
    api_key, login, password = CREDENTIALS[word]
    fake = _fake_holding(word, CREDENTIALS[word])
    monkeypatch.setattr(client_module, "make_client", _client(fake))
    conn_type = data.draw(st.sampled_from(unit.connections))
    credentials = (
        {"apiKey": api_key} if conn_type == "odooApiKey" else {"username": login, "password": password}
    )
    file = tmp_path / "connection.json"
    file.write_text(json.dumps({**CONNECTIONS[conn_type], **credentials}))
    inputs = data.draw(inputs_for(unit))
    argv = [COMMAND[unit.kind], unit.key, "--input", json.dumps(inputs), "--connection", str(file)]
    status, out, err = _run_all(argv)
    _assert_contract(status, err, fake, inputs)
    _assert_data_whole(out, err, fake, password if conn_type == "odooBasicAuth" else api_key, inputs)


connection_files = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["odooApiKey", "odooBasicAuth", "other"]) | st.text(max_size=10),
            "baseUrl": st.sampled_from(
                ["http://fake.test", "https://[::1", "fake.test", "bot:pw@fake.test", "http://a b", "ftp://x"]
            )
            | st.text(max_size=30),
            "port": st.integers(min_value=-5, max_value=70000) | st.text(max_size=6) | st.none(),
            "database": st.sampled_from([DATABASE, "", "x", "bad name"]) | st.text(max_size=20),
            "apiKey": st.sampled_from([API_KEY, "", "with space"]) | st.text(max_size=40),
            "username": st.sampled_from([LOGIN, ""]) | st.text(max_size=20),
            "password": st.sampled_from([PASSWORD, ""]) | st.text(max_size=20),
            "timeout": st.integers(min_value=-5, max_value=5000) | st.text(max_size=6) | st.floats(),
        },
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conn=connection_files)
def test_any_connection_file_ends_in_a_known_exit_status(
    conn: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeOdoo()
    monkeypatch.setattr(client_module, "make_client", _client(fake))
    file = tmp_path / "connection.json"
    file.write_text(json.dumps(conn))
    status, err = _run(["check", "--connection", str(file)])
    _assert_contract(status, err, fake, conn)
    if status and json.loads(err.strip().splitlines()[-1])["error"]["type"] == "ConnectionSettingsError":
        assert fake.request_count == 0
