"""The PostgreSQL that pip installs (issue 24): on a machine without the system's PostgreSQL the
runner's scale-out tests start the one inside the ``pgserver`` wheel. Most machines that run the
suite have no reason to reach that path, so it is started here directly, every run, to keep it
working: settings applied, a database created and used."""

from __future__ import annotations

import sys

import pytest

from tests.postgres import _start_pgserver, with_database


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="PyPI has pgserver wheels for CPython 3.9-3.12 only")
def test_pgservers_postgresql_starts_with_the_test_settings() -> None:
    import psycopg

    with _start_pgserver() as dsn:
        with psycopg.connect(with_database(dsn, "postgres"), autocommit=True) as db:
            settings = {
                name: db.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                for name in ("max_connections", "fsync", "server_version_num")
            }
            db.execute('CREATE DATABASE "t_fallback"')
        with psycopg.connect(with_database(dsn, "t_fallback")) as db:
            assert db.execute("SELECT current_database()").fetchone() == ("t_fallback",)
    assert settings["max_connections"] == "300" and settings["fsync"] == "off"
    assert int(settings["server_version_num"]) >= 160000  # the wheel's PostgreSQL 16
