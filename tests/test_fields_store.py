"""fields_get answers kept on disk between CLI runs (fields_store.py): a second run asks
no fields_get, a field added in Odoo since is still found, a stale or corrupt file is a miss, and
no file holds a secret or the server's address. Against the fake Odoo on a real loopback port,
through the CLI's own ``main``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from odoo_connector import fields_store
from odoo_connector.cli import main
from odoo_connector.client.pool import close_pooled_clients

from .fakes.odoo import API_KEY, DATABASE, FakeOdoo
from .fakes.server import serve_transport


@pytest.fixture
def odoo(no_odoo_env: pytest.MonkeyPatch) -> Iterator[tuple[FakeOdoo, str]]:
    monkeypatch = no_odoo_env
    fake = FakeOdoo()
    with serve_transport(fake) as url:
        monkeypatch.setenv("ODOO_URL", url)
        monkeypatch.setenv("ODOO_DB", DATABASE)
        monkeypatch.setenv("ODOO_API_KEY", API_KEY)
        yield fake, url


def create(capsys: pytest.CaptureFixture[str], **parameters: object) -> int:
    """One CLI run, as a new process would make it: no client kept from the last run."""
    close_pooled_clients()
    code = main(
        [
            "run",
            "createRecord",
            "--quiet",
            "--input",
            json.dumps({"model": "res.partner", "parameters": parameters}),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    return int(json.loads(out)["data"])


def cache_files() -> list[Path]:
    return list(fields_store.default_dir().glob("*.json"))


def test_a_second_run_asks_for_no_fields(odoo, capsys):
    fake, _ = odoo
    create(capsys, name="a")
    create(capsys, name="b")
    assert fake.methods().count("fields_get") == 1
    assert len(cache_files()) == 1


def test_turned_off_every_run_asks(odoo, capsys, monkeypatch):
    fake, _ = odoo
    monkeypatch.setenv("ODOO_CONNECTOR_FIELDS_CACHE", "off")
    create(capsys, name="a")
    create(capsys, name="b")
    assert fake.methods().count("fields_get") == 2
    assert cache_files() == []


def test_a_field_added_in_odoo_after_the_list_was_kept_is_found(odoo, capsys):
    fake, _ = odoo
    create(capsys, name="a")
    fake.fields["res.partner"]["x_loyalty"] = "char"  # a module installed meanwhile
    record = create(capsys, name="b", x_loyalty="gold")
    assert fake.tables["res.partner"][record]["x_loyalty"] == "gold"
    assert fake.methods().count("fields_get") == 2  # asked again once, not for every run after
    create(capsys, name="c", x_loyalty="silver")
    assert fake.methods().count("fields_get") == 2


def test_an_old_or_corrupt_file_is_a_miss(odoo, capsys):
    fake, _ = odoo
    create(capsys, name="a")
    [kept] = cache_files()
    kept.write_text("{not json", encoding="utf-8")
    create(capsys, name="b")
    assert fake.methods().count("fields_get") == 2
    stale = json.loads(kept.read_text(encoding="utf-8"))
    stale["saved"] = time.time() - fields_store.TTL - 1
    kept.write_text(json.dumps(stale), encoding="utf-8")
    create(capsys, name="c")
    assert fake.methods().count("fields_get") == 3


def test_no_kept_file_holds_the_key_or_the_servers_address(odoo, capsys):
    _, url = odoo
    create(capsys, name="a")
    [kept] = cache_files()
    text = kept.read_text(encoding="utf-8") + kept.name
    assert API_KEY not in text and url not in text and DATABASE not in kept.name
    assert kept.stat().st_mode & 0o077 == 0  # this user's only


def test_turning_the_store_on_imports_no_http_stack_for_commands_that_talk_to_no_odoo(tmp_path):
    """Every CLI run turns the store on; ``describe`` must still not pay for importing httpx."""
    import subprocess
    import sys

    code = (
        "import sys, io, contextlib\n"
        "from odoo_connector.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['describe'])\n"
        "print('httpx' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.strip() == "False", out.stderr
