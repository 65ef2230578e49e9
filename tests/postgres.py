"""A real PostgreSQL server for the runner's scale-out tests: the system's, or one pip installed.

The README's test command installs nothing but Python packages, so a machine without PostgreSQL
must still run these tests. Two sources, in this order:

1. The system's packages (Debian's ``postgresql``, found under /usr/lib/postgresql/*/bin or on
   PATH): started on a temporary directory, 127.0.0.1 and a free port. initdb and postgres refuse
   to run as root, so as root they run as the ``postgres`` user the Debian package creates.
2. The ``pgserver`` wheel, which the ``test`` extra installs where PyPI has a wheel for the
   platform (CPython 3.11 and 3.12 on x86_64 Linux and macOS): PostgreSQL 16's binaries inside the
   wheel, started by pgserver on a unix socket (as its own ``pgserver`` user when run as root).

Either way fsync is off (a test database need not survive a power cut), max_connections is 300
(three runner processes and their workers), and the server stops when the session ends. No mock:
when neither source can start a server, the tests that need it fail, saying what to install.
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
from urllib.parse import urlsplit, urlunsplit

import pytest

__all__ = ["PostgresUnavailable", "postgres_dsn", "postgres_server", "start_postgres", "with_database"]


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be found or started; the message says why and what to install."""


_INSTALL = (
    "the runner's scale-out tests need a real server. Install one: `python -m pip install "
    "pgserver` (a wheel with PostgreSQL inside; the test extra installs it where PyPI has a wheel "
    "for this platform) or the system's package (`apt-get install -y postgresql`)."
)
_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "300"}


def _system_bin(name: str) -> str | None:
    """A binary of the system's PostgreSQL, the newest major version first; None without one."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    return shutil.which(name)


def _bin(name: str) -> str:
    found = _system_bin(name)
    if found is None:
        raise PostgresUnavailable(f"PostgreSQL's {name} was not found: {_INSTALL}")
    return found


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
    """A throw-away server; yields its DSN (database ``postgres``), stops and deletes it after.
    The system's PostgreSQL when it is there, else pgserver's (module docstring)."""
    if _system_bin("initdb") is not None and _system_bin("pg_ctl") is not None:
        with _start_system() as dsn:
            yield dsn
        return
    with _start_pgserver() as dsn:
        yield dsn


@contextmanager
def _start_pgserver() -> Iterator[str]:
    """PostgreSQL from the pgserver wheel: initialised and started by pgserver, then restarted
    once with the test settings (ALTER SYSTEM; max_connections needs a restart)."""
    try:
        import pgserver
        from pgserver._commands import pg_ctl
    except ImportError:
        raise PostgresUnavailable(f"No PostgreSQL here, and pgserver is not installed: {_INSTALL}") from None
    root = Path(tempfile.mkdtemp(prefix="odoo-connector-pg-"))
    data = root / "data"
    try:
        server = pgserver.get_server(data, cleanup_mode="stop")
        server.psql("".join(f"ALTER SYSTEM SET {key} = '{value}';" for key, value in _SETTINGS.items()))
        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=data, user=server.system_user, timeout=60)
        dsn: str = server.get_uri()
    except (subprocess.SubprocessError, OSError) as exc:
        log = (data / "log").read_text() if (data / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(f"pgserver's PostgreSQL did not start: {exc}\n{log}") from None
    try:
        yield dsn
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def with_database(dsn: str, name: str) -> str:
    """``dsn`` pointing at database ``name``: the path is replaced, the query (a unix socket's
    ``host=``) kept."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def _start_system() -> Iterator[str]:
    """The system's PostgreSQL on a temporary directory, 127.0.0.1 and a free port."""
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
        settings = " ".join(f"-c {key}={value}" for key, value in _SETTINGS.items())
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} {settings}"
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
    return with_database(postgres_server, name)
