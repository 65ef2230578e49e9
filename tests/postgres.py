"""A real PostgreSQL server for the runner's scale-out tests, started from the system's packages.

On a temporary directory, 127.0.0.1 and a free port, with fsync off (a test database need not
survive a power cut), and stopped when the session ends. initdb and postgres refuse to run as
root, so as root they run as the ``postgres`` user the Debian package creates. No mock: when
PostgreSQL cannot be started the tests that need it fail, saying why (``.ci/run`` installs it).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["PostgresUnavailable", "postgres_dsn", "postgres_server", "start_postgres"]


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be found or started; the message says why and what to install."""


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise PostgresUnavailable(
        f"PostgreSQL's {name} was not found (looked in /usr/lib/postgresql/*/bin and PATH): the "
        "runner's scale-out tests need a real server. Install it: apt-get install -y postgresql "
        "(.ci/run does)."
    )


def _as_postgres() -> list[str]:
    """The command prefix that runs a PostgreSQL binary as a user it accepts."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("Running as root without runuser: cannot start PostgreSQL as another user.")
    return ["runuser", "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def start_postgres() -> Iterator[str]:
    """A throw-away server; yields its DSN (database ``postgres``), stops and deletes it after."""
    root = Path(tempfile.mkdtemp(prefix="odoo-connector-pg-"))
    data = root / "data"
    try:
        prefix = _as_postgres()
        if prefix:
            shutil.chown(root, "postgres", "postgres")
        port = _free_port()
        subprocess.run(
            [
                *prefix,
                _bin("initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        subprocess.run(
            [*prefix, _bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(f"PostgreSQL did not start: {exc.stderr or exc.stdout}\n{log}") from None
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, _bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The session's server DSN; a test needing it FAILS (never skips) when it cannot start."""
    try:
        server = start_postgres()
        dsn = server.__enter__()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield dsn
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def postgres_dsn(postgres_server: str) -> str:
    """A new, empty database on the session's server, for one test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.rsplit("/", 1)[0] + f"/{name}"
