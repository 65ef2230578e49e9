"""``odoo-connector``: the command line, on top of the runtime (never beside it).

Results are JSON on stdout. stderr is JSON lines: each log line is one object
``{"time", "level", "logger", "message"}``, and a failure ends with one line
``{"error": {"type", "message", "hint", …}}``, so a platform reading stderr needs one rule. The
exit status tells the kind of failure:

====  =====================================================================
0     success
1     unexpected failure (a bug: please report it with --debug output)
2     bad input (ours or Odoo's validation): fix the input
3     configuration: connection settings missing or wrong, wrong key/password, unknown database,
      not an Odoo 19
4     access denied or not found: a missing group, a missing record
5     server or transport: Odoo failed, timed out or could not be reached
130   interrupted by a second Ctrl-C
====  =====================================================================

Results, records and state files are written exactly as they came: data is never rewritten.
Secrets are kept out where they enter (odoo_connector/errors.py says how); log lines pass through
:func:`~odoo_connector.errors.redact` as a net (:class:`JsonLinesFormatter`). Heavy imports happen
inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO

from . import __version__

__all__ = ["JsonLinesFormatter", "main"]

log = logging.getLogger("odoo_connector.cli")

EXIT_OK, EXIT_UNEXPECTED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_STATE_LOCK_WAIT = 60.0


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per log line, redacted (long secrets and secret shapes: a log line holds
    no data a user keeps): stderr stays machine-readable and secret-free whichever logger (ours,
    APScheduler's, httpx's) wrote the line."""

    def format(self, record: logging.LogRecord) -> str:
        from .errors import redact

        message = record.getMessage()
        if record.exc_info:
            message = f"{message}\n{self.formatException(record.exc_info)}"
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(message),
        }
        return _dumps(line)


_LINE_ENDS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def _dumps(data: Any, *, indent: int | None = None) -> str:
    """JSON text that can always be written out: Odoo's JSON may carry an unpaired surrogate
    (``"\\ud800"``), which UTF-8 cannot encode; such text is written with ASCII escapes."""
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, indent=indent, ensure_ascii=True, default=str)
    # Characters that some readers (Python's splitlines, JavaScript before ES2019) take for line
    # ends are escaped, so one JSON value is always one line to every reader.
    return text.translate(_LINE_ENDS)


def _setup_logging(args: argparse.Namespace) -> None:
    level = logging.DEBUG if args.debug else (logging.WARNING if args.quiet else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLinesFormatter())
    root = logging.getLogger("odoo_connector")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _emit(data: Any, stream: TextIO | None = None, *, indent: int | bool | None = True) -> None:
    """The one way results reach stdout, written as they are: a record whose name holds a word
    that is also the connection's password is data, and comes out unchanged.

    Indented for a person at a terminal; one compact line for a pipe or a file, which Python's
    C encoder writes several times faster (indented JSON takes the pure-Python path: a third of
    the CPU of a 20 000-record fetchAll)."""
    out = stream or sys.stdout
    if indent is True:
        indent = 2 if out.isatty() else None
    out.write(_dumps(data, indent=indent or None) + "\n")


def _read_json_arg(value: str | None, what: str) -> Any:
    from .errors import InputError

    if value is None:
        return {}
    source = what
    if value == "-":
        text = sys.stdin.read()
    elif value.startswith("@"):
        source = f"{what} file {value[1:]!r}"
        try:
            text = Path(value[1:]).read_bytes().decode("utf-8")
        except OSError as exc:
            raise InputError(f"Cannot read {source}: {exc.strerror}.") from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"The {source} is not UTF-8 text (byte {exc.start}).",
                hint="Save the file as UTF-8 JSON.",
            ) from None
    else:
        text = value
    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(f"The {source} is nested too deeply to read.") from None
    except ValueError as exc:
        raise InputError(
            f"The {source} is not valid JSON: {exc}.",
            hint='Quote it for your shell, e.g. --input \'{"model": "res.partner"}\'.',
        ) from None


def _connection(args: argparse.Namespace) -> Any:
    from .connections import connection_from_env, parse_connection
    from .errors import ConnectionSettingsError

    if args.connection:
        where = f"The connection file {args.connection!r}"
        try:
            data = json.loads(Path(args.connection).read_bytes().decode("utf-8"))
        except OSError as exc:
            raise ConnectionSettingsError(
                f"Cannot read the connection file {args.connection!r}: {exc.strerror}."
            ) from None
        except UnicodeDecodeError:
            raise ConnectionSettingsError(f"{where} is not UTF-8 text.") from None
        except RecursionError:
            raise ConnectionSettingsError(f"{where} is nested too deeply to read.") from None
        except ValueError as exc:
            raise ConnectionSettingsError(f"{where} is not valid JSON: {exc}.") from None
        if not isinstance(data, dict):
            raise ConnectionSettingsError(f"{where} must hold a JSON object.")
        return parse_connection(data)
    return connection_from_env()


def cmd_validate(args: argparse.Namespace) -> int:
    """Prints ``{"ok": true, "connections", "units"}``. A manifest with problems ends with the
    error line listing them all (exit 2: the manifest is this command's input); a path that names
    no file is a configuration error (exit 3), as for every command."""
    from .errors import InputError
    from .manifest import ManifestError, find_manifest, load_manifest, validate_manifest

    file = Path(args.manifest) if args.manifest else find_manifest()
    if not file.is_file():
        raise ManifestError(f"The manifest {str(file)!r} is not a file (given with --manifest).")
    try:
        manifest = load_manifest(str(file))
    except ManifestError as exc:
        raise InputError(
            f"The manifest is invalid: {exc.message}", hint="Fix the file and validate again."
        ) from None
    problems = validate_manifest(manifest)
    if problems:
        more = f" (and {len(problems) - 1} more, listed in problems)" if len(problems) > 1 else ""
        error = InputError(
            f"The manifest is invalid: {problems[0]}{more}",
            hint="Fix each problem listed; `odoo-connector validate` checks again.",
        )
        _fail({**error.to_dict(debug=args.debug), "problems": problems})
        return error.exit_code
    _emit({"ok": True, "connections": len(manifest.connections), "units": sum(1 for _ in manifest.units())})
    return EXIT_OK


def cmd_describe(args: argparse.Namespace) -> int:
    from .manifest import load_manifest

    _emit(load_manifest(args.manifest).describe())
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .runtime import check_connection

    _emit(check_connection(_connection(args)))
    return EXIT_OK


_COMMAND_KIND = {"run": "action", "picklist": "dataSource", "poll": "trigger", "watch": "trigger"}
_KIND_NAME = {"action": "an action", "dataSource": "a data source (picklist)", "trigger": "a trigger"}


def _check_kind(command: str, key: str) -> None:
    """``run`` runs actions, ``picklist`` data sources, ``poll``/``watch`` triggers: a key given to
    the wrong command says which one to use, before any connection is needed."""
    from .errors import InputError
    from .manifest import load_manifest

    try:
        kind = load_manifest().unit(key).kind
    except KeyError:
        return  # the runtime reports unknown keys with the list of known ones
    if kind != _COMMAND_KIND[command]:
        use = {
            "action": f"`odoo-connector run {key}`",
            "dataSource": f"`odoo-connector picklist {key}`",
            "trigger": f"`odoo-connector poll {key}` (once) or `odoo-connector watch {key}` (on a schedule)",
        }[kind]
        raise InputError(f"{key} is {_KIND_NAME[kind]}, which `{command}` does not run. Use {use}.")


def cmd_run(args: argparse.Namespace) -> int:
    _check_kind(args.command, args.key)
    conn = _connection(args)
    inputs = _read_json_arg(args.input, "--input")
    if getattr(args, "jsonl", False):
        return _run_jsonl(args.key, conn, inputs, debug=args.debug)
    if getattr(args, "input_jsonl", None):
        return _run_input_jsonl(args.key, conn, inputs, args.input_jsonl)
    if getattr(args, "output", None):
        return _run_to_file(args.key, conn, inputs, Path(args.output))
    from .errors import OdooConnectorError
    from .runtime import invoke

    try:
        result = invoke(args.key, conn, inputs)
    except OdooConnectorError as exc:
        if exc.report is not None:
            # a batch action that stopped: what it wrote before, as its result would say it, so
            # a caller reading stdout never sends those rows again (the error line carries it too)
            _emit({"data": exc.report})
        raise
    _emit(result)
    return EXIT_OK


def _run_to_file(key: str, conn: Any, inputs: Any, path: Path) -> int:
    """``run KEY --output FILE``: the result's base64 ``content`` (downloadAttachment,
    getRecordPdf) is written to FILE as bytes, atomically (a failed run leaves no partial file, and
    an existing FILE stays until the new one is whole), and the rest is printed without it.
    exportRecords writes its pages into FILE as they are read: never the whole file in memory."""
    import base64

    from .errors import InputError
    from .manifest import load_manifest
    from .runtime import invoke

    try:
        data_schema = load_manifest().unit(key).output_schema["properties"]["data"]
    except KeyError:
        data_schema = {}  # an unknown key: invoke names the known ones
    if data_schema and "content" not in data_schema.get("properties", {}):
        raise InputError(
            "--output writes the file of an action whose result has base64 content "
            f"(downloadAttachment, getRecordPdf, exportRecords), not of {key}."
        )
    if path.is_dir():
        raise InputError(f"--output {str(path)!r} is a directory; name the file to write.")
    streamed = key == "exportRecords"  # written page by page into the file, never as base64
    if not streamed:
        result = invoke(key, conn, inputs)
        data = result["data"] = dict(result["data"])
        content: str = data.pop("content")
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            if streamed:
                from .actions.export import writing_to

                with writing_to(handle):
                    result = invoke(key, conn, inputs)
            else:
                # decoded 1 MiB at a time: the file's bytes never sit in memory beside their base64
                for start in range(0, len(content), 4 << 18):
                    handle.write(base64.b64decode(content[start : start + (4 << 18)]))
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a plain new file would be, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"Cannot write --output {str(path)!r}: {exc.strerror}.") from None
        raise
    _emit(result)
    return EXIT_OK


def _run_input_jsonl(key: str, conn: Any, inputs: Any, source: str) -> int:
    """``run KEY --input-jsonl FILE``: a batch action's ``records`` read from JSON Lines (one row
    per line, ``-`` for stdin; the other inputs from --input). Rows are sent in chunks of 20
    batches as they are read, so memory stays flat whatever the file's size, and each row's report
    is printed as one JSON line once its chunk is written, indexed by its row in the file (blank
    lines not counted). With onError stop, the run ends at the first failing batch: the chunk's
    report is printed, then the error."""
    from .errors import InputError, OdooConnectorError
    from .runtime import invoke

    if not isinstance(inputs, dict) or "records" in inputs:
        raise InputError("With --input-jsonl the rows come from the file: give the other inputs in --input.")
    size = 20 * int(inputs.get("batchSize") or 500)
    totals = {"written": 0, "created": 0, "unchanged": 0, "failed": 0}
    first = 0

    def send(chunk: list[Any]) -> None:
        try:
            data = invoke(key, conn, {**inputs, "records": chunk, "firstIndex": first})["data"]
        except OdooConnectorError as exc:
            for row in (exc.report or {}).get("rows", []):
                _emit(row, indent=None)
            if first:  # the error speaks of this chunk only
                logging.getLogger("odoo_connector.progress").warning(
                    "%s: the %d rows before row %d were sent by earlier calls; their report is above",
                    key,
                    first,
                    first,
                )
            raise
        for row in data["rows"]:
            _emit(row, indent=None)
        for name in totals:
            totals[name] += data.get(name, 0)  # unchanged: upsertRecords and updateRecords only

    try:
        stream = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"Cannot read --input-jsonl file {source!r}: {exc.strerror}.") from None
    with stream:
        chunk: list[Any] = []
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                chunk.append(json.loads(line))
            except ValueError as exc:
                raise InputError(f"Line {number} of {source} is not valid JSON: {exc}.") from None
            if len(chunk) >= size:
                send(chunk)
                first, chunk = first + len(chunk), []
        if chunk:
            send(chunk)
    logging.getLogger("odoo_connector.progress").info(
        "%s: %d rows written (%d created), %d unchanged, %d failed",
        key,
        totals["written"],
        totals["created"],
        totals["unchanged"],
        totals["failed"],
    )
    return EXIT_OK


def _run_jsonl(key: str, conn: Any, inputs: Any, *, debug: bool = False) -> int:
    """listRecords as JSON lines: with fetchAll every record, streamed one page in memory at a
    time; without it, the page that ``limit`` and ``offset`` select, as ``run`` would return it.

    A fetchAll stream says on its closing stderr line whether it is whole: an INFO line with the
    count when it is, else the error line with ``"incomplete": true``, the records ``written``,
    the ``lastId`` written and ``resume``, the inputs that read the rest (records.RecordStream).
    A reader of stdout alone cannot tell a cut stream from a short table."""
    from .errors import InputError, OdooConnectorError

    if key != "listRecords":
        raise InputError(f"--jsonl writes the records of listRecords only, not of {key}.")
    from .manifest import load_manifest
    from .runtime import invoke, validate_inputs

    checked = validate_inputs(load_manifest().unit(key), inputs)
    if not checked.get("fetchAll"):
        for record in invoke(key, conn, checked)["data"]:
            _emit(record, indent=None)
        return EXIT_OK
    from .actions.records import stream_records
    from .client import make_client

    progress = logging.getLogger("odoo_connector.progress")
    with make_client(conn) as client:
        stream = stream_records(client, checked)
        try:
            for record in stream:
                _emit(record, indent=None)
        except BrokenPipeError:
            raise  # the reader stopped reading (`| head`): it knows
        except BaseException as exc:
            where = {"written": stream.count, "lastId": stream.last_id, "resume": stream.resume}
            if isinstance(exc, OdooConnectorError):
                sys.stdout.flush()  # every record counted as written is out before the error says so
                _fail({**exc.to_dict(debug=debug), "incomplete": True, **where})
                return exc.exit_code
            # Ctrl-C or a bug: said before main's own closing line (none for Ctrl-C)
            progress.warning("%s: stopped early, the output is incomplete: %s", key, _dumps(where))
            raise
    progress.info("%s: %d records written, the output is complete", key, stream.count)
    return EXIT_OK


@contextmanager
def _state_lock(path: Path, wait: float = _STATE_LOCK_WAIT) -> Iterator[None]:
    """An exclusive lock on ``path`` for one poll: a second ``poll --state`` on the same file waits
    for the first to write its state, instead of reading the same state and emitting twice."""
    import fcntl

    from .errors import InputError

    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        waited_until = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= waited_until:
                    raise InputError(
                        f"Another poll has been using the state file {str(path)!r} for {wait:g} s.",
                        path="state",
                        hint="Run one poll per state file at a time.",
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def cmd_poll(args: argparse.Namespace) -> int:
    from .runtime import invoke

    _check_kind("poll", args.key)
    conn = _connection(args)
    inputs = _read_json_arg(args.input, "--input")
    if not args.state:
        if args.reset:
            from .errors import InputError

            raise InputError("--reset needs --state: without a state file every poll is a first poll.")
        _emit(invoke(args.key, conn, inputs))
        return EXIT_OK
    state_path = Path(args.state)
    with _state_lock(state_path):
        state = None if args.reset or not state_path.exists() else _read_state(state_path)
        result = invoke(args.key, conn, inputs, state=state)
        _emit(result)
        write_atomic(state_path, _dumps(result["state"], indent=2))
    return EXIT_OK


def _read_state(path: Path) -> Any:
    from .errors import InputError
    from .triggers.poll_changes import RESET_HINT

    try:
        state = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise InputError(f"Cannot read the state file {str(path)!r}: {exc.strerror}.", path="state") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError(
            f"The state file {str(path)!r} is not the JSON a poll writes.", path="state", hint=RESET_HINT
        ) from None
    if not isinstance(state, dict):  # "null" is not "no state": that is a missing file
        raise InputError(
            f"The state file {str(path)!r} holds {json.dumps(state)[:20]}, not the object a poll writes.",
            path="state",
            hint=RESET_HINT,
        )
    return state


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it over: a crash leaves the old file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cmd_watch(args: argparse.Namespace) -> int:
    from .runner.watch import run_watch

    _check_kind(args.command, args.key)
    conn = _connection(args)
    inputs = _read_json_arg(args.input, "--input")
    return run_watch(
        args.key,
        conn,
        inputs,
        interval=args.interval,
        state_path=args.state,
        webhook=args.webhook,
        max_polls=args.max_polls,
        reset=args.reset,
        listen=args.listen,
        public_url=args.public_url,
        reconcile_interval=args.reconcile_interval,
    )


def cmd_runner(args: argparse.Namespace) -> int:
    """Many triggers from one config; PostgreSQL state (settings.state.postgres) shares them
    between runner processes, and only then is the runner-pg extra imported."""
    from .runner.config import load_config

    config = load_config(args.config)
    if config.postgres_dsn:
        try:
            from .runner.pg import run_postgres
        except ImportError as exc:
            from .errors import MissingExtraError

            raise MissingExtraError(
                f"settings.state.postgres needs the runner-pg extra ({exc.name} is not installed).",
                extra="runner-pg",
            ) from None
        return run_postgres(config, lag_log=args.lag_log)
    from .runner.embedded import run_embedded

    return run_embedded(config, lag_log=args.lag_log)


def cmd_validate_config(args: argparse.Namespace) -> int:
    from .runner.config import load_config

    config = load_config(args.config)
    _emit(
        {
            "ok": True,
            "connections": len(config.connections),
            "triggers": len(config.triggers),
            "state": "postgres" if config.postgres_dsn else "sqlite",
        }
    )
    return EXIT_OK


def cmd_workbench(args: argparse.Namespace) -> int:
    """The workbench's web stack is an extra: imported here only, so the CLI never loads it, and a
    missing extra says how to install it."""
    from .manifest import load_manifest
    from .workbench import serve

    return serve(manifest=load_manifest(args.manifest), port=args.port, open_browser=args.open)


def cmd_mcp(args: argparse.Namespace) -> int:
    """The MCP server (docs/mcp.md) is an extra: its SDK is imported here only. The connection
    and the policy are settled before serving, so a mistake exits 3 instead of failing each call."""
    from .errors import ConnectionSettingsError, require_extra

    require_extra("mcp", ("mcp",), "odoo-connector mcp")
    from .hosts.mcp import serve_http, serve_stdio
    from .hosts.tools import Policy, Toolbox
    from .manifest import load_manifest

    def names(text: str | None) -> frozenset[str]:
        return frozenset(name.strip() for name in (text or "").split(",") if name.strip())

    manifest = load_manifest(args.manifest)
    unknown = sorted(names(args.allow_keys) - {unit.key for unit in manifest.units()})
    if unknown:
        raise ConnectionSettingsError(f"--allow-keys names no unit: {', '.join(unknown)}.")
    policy = Policy(read_only=args.read_only, keys=names(args.allow_keys), models=names(args.allow_models))
    toolbox = Toolbox(manifest, _connection(args), policy)
    if not args.http:
        return serve_stdio(toolbox)
    token = None
    if args.token_env:
        token = os.environ.get(args.token_env, "").strip()
        if len(token) < 16:
            raise ConnectionSettingsError(
                f"${args.token_env} (--token-env) must hold the bearer token, at least 16 characters."
            )
    return serve_http(toolbox, port=args.port, token=token)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """Usage errors become the same JSON error line as every other failure (exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message[:1].upper()}{message[1:]} (see `{self.prog} --help`).")


_ENVIRONMENT = (
    "Connection: --connection FILE.json, or the variables ODOO_URL, ODOO_PORT, ODOO_DB, ODOO_TIMEOUT, "
    "ODOO_RETRY_FOR and ODOO_API_KEY (or ODOO_USERNAME and ODOO_PASSWORD; the API key wins when both "
    "are set), with the "
    "optional defaults ODOO_COMPANY_ID, ODOO_LANGUAGE and ODOO_TIMEZONE. "
    "ODOO_CONNECTOR_MANIFEST names another connector.yaml; ODOO_CONNECTOR_FIELDS_CACHE=off keeps no "
    "fields cache between runs. "
    "Exit status: 0 ok, 2 bad input, 3 configuration, 4 access denied or not found, "
    "5 server or transport, 130 interrupted, 1 a bug."
)


def _keys_help(kind: str, with_keys: bool) -> str:
    if not with_keys:
        return f"the key of {_KIND_NAME[kind]}"
    from .manifest import load_manifest

    keys = ", ".join(u.key for u in load_manifest().units() if u.kind == kind)
    return f"the key of {_KIND_NAME[kind]}: {keys}"


def _parser(with_keys: bool = False) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="odoo-connector",
        description="Odoo 19 connector: run actions, picklists and triggers from the shell. "
        "Results are JSON on stdout; stderr carries JSON lines (logs, then the error if any).",
        epilog=_ENVIRONMENT,
    )
    parser.add_argument("--version", action="version", version=f"odoo-connector {__version__}")

    def global_options(target: argparse.ArgumentParser, default: Any) -> None:
        # Accepted before and after the command; a subcommand's SUPPRESS default keeps the value
        # given before it.
        target.add_argument(
            "--debug", action="store_true", default=default, help="debug logs and Odoo's traceback on errors"
        )
        target.add_argument("--quiet", action="store_true", default=default, help="warnings and errors only")
        target.add_argument(
            "--manifest",
            metavar="FILE",
            default=default if default is argparse.SUPPRESS else None,
            help="another connector.yaml (default: $ODOO_CONNECTOR_MANIFEST, else the installed one)",
        )

    global_options(parser, False)
    common = _Parser(add_help=False)
    global_options(common, argparse.SUPPRESS)
    with_connection = _Parser(add_help=False, parents=[common])
    with_connection.add_argument(
        "--connection", metavar="FILE.json", help="connection settings (else the ODOO_* variables)"
    )
    input_help = "inputs as JSON text, @file.json, or - for stdin"
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser(
        "validate", parents=[common], help="check connector.yaml, schemas, examples and handlers"
    ).set_defaults(func=cmd_validate)
    sub.add_parser(
        "describe", parents=[common], help="the manifest as JSON with schemas inlined, for a platform"
    ).set_defaults(func=cmd_describe)
    sub.add_parser(
        "check", parents=[with_connection], help="test the connection: server version, database, user"
    ).set_defaults(func=cmd_check)

    run = sub.add_parser("run", parents=[with_connection], help="run an action", epilog=_ENVIRONMENT)
    run.add_argument("key", metavar="KEY", help=_keys_help("action", with_keys))
    run.add_argument("--input", help=input_help)
    run.add_argument(
        "--jsonl",
        action="store_true",
        help="listRecords only: one record per line; with fetchAll every record, streamed; "
        "otherwise the page limit and offset select",
    )
    run.add_argument(
        "--input-jsonl",
        metavar="FILE",
        help="batch actions (createRecords, updateRecords, upsertRecords, deleteRecords): read the "
        "records from a JSON Lines file (- for stdin), streamed; prints one report line per row",
    )
    run.add_argument(
        "--output",
        metavar="FILE",
        help="for an action returning a file (downloadAttachment, getRecordPdf, exportRecords): write "
        "its bytes to FILE and print the rest of the result without content",
    )
    run.set_defaults(func=cmd_run)

    picklist = sub.add_parser("picklist", parents=[with_connection], help="run a data source (picklist)")
    picklist.add_argument("key", metavar="KEY", help=_keys_help("dataSource", with_keys))
    picklist.add_argument("--input", help=input_help)
    picklist.set_defaults(func=cmd_run)

    poll = sub.add_parser("poll", parents=[with_connection], help="poll a trigger once")
    poll.add_argument("key", metavar="KEY", help=_keys_help("trigger", with_keys))
    poll.add_argument("--input", help=input_help)
    poll.add_argument(
        "--state",
        metavar="FILE.json",
        help="JSON state file: read if present, rewritten after success, locked while polling",
    )
    poll.add_argument("--reset", action="store_true", help="ignore the state file: record a new baseline")
    poll.set_defaults(func=cmd_poll)

    watch = sub.add_parser("watch", parents=[with_connection], help="run a trigger on a schedule")
    watch.add_argument("key", metavar="KEY", help=_keys_help("trigger", with_keys))
    watch.add_argument("--input", help=input_help)
    watch.add_argument("--interval", type=float, default=60.0, help="seconds between polls (default 60)")
    watch.add_argument(
        "--state",
        metavar="FILE.sqlite",
        help="SQLite state file (default $XDG_DATA_HOME/odoo-connector/state.sqlite)",
    )
    watch.add_argument("--reset", action="store_true", help="forget this trigger's stored state first")
    watch.add_argument("--webhook", metavar="URL", help="POST each poll's records here instead of stdout")
    watch.add_argument(
        "--max-polls",
        type=int,
        default=None,
        metavar="N",
        help="stop after N polls (default: run until stopped)",
    )
    watch.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="recordWebhookTrigger: where the webhook server binds (default 127.0.0.1:8099)",
    )
    watch.add_argument(
        "--public-url",
        metavar="URL",
        help="recordWebhookTrigger: the address at which Odoo reaches the listener (tunnel or proxy)",
    )
    watch.add_argument(
        "--reconcile-interval",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="recordWebhookTrigger: seconds between reconciliation polls (default 300)",
    )
    watch.set_defaults(func=cmd_watch)

    runner = sub.add_parser(
        "runner", parents=[common], help="run many triggers from a config file (docs/runner.md)"
    )
    runner.add_argument("--config", required=True, metavar="FILE.yaml", help="the runner config")
    runner.add_argument(
        "--lag-log", metavar="FILE", help="append one JSON line per poll: due, start and end times"
    )
    runner.set_defaults(func=cmd_runner)
    validate_config = sub.add_parser(
        "validate-config", parents=[common], help="check a runner config without contacting Odoo"
    )
    validate_config.add_argument("--config", required=True, metavar="FILE.yaml", help="the runner config")
    validate_config.set_defaults(func=cmd_validate_config)

    workbench = sub.add_parser(
        "workbench",
        parents=[common],
        help="a web page on 127.0.0.1 to try every unit (needs the workbench extra)",
    )
    workbench.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    workbench.add_argument("--open", action="store_true", help="open the page in the default browser")
    workbench.set_defaults(func=cmd_workbench)

    mcp = sub.add_parser(
        "mcp",
        parents=[with_connection],
        help="serve the units as MCP tools for AI agents, over stdio (needs the mcp extra; docs/mcp.md)",
        epilog=_ENVIRONMENT,
    )
    mcp.add_argument("--read-only", action="store_true", help="offer only the tools that only read")
    mcp.add_argument("--allow-keys", metavar="KEY,KEY", help="offer only these units")
    mcp.add_argument("--allow-models", metavar="MODEL,MODEL", help="refuse every other model before sending")
    mcp.add_argument("--http", action="store_true", help="streamable HTTP on 127.0.0.1 instead of stdio")
    mcp.add_argument("--port", type=int, default=8766, help="--http: port on 127.0.0.1 (default 8766; 0 any)")
    mcp.add_argument(
        "--token-env",
        metavar="NAME",
        help="--http: the variable holding the bearer token (default: one is made and printed on stderr)",
    )
    mcp.set_defaults(func=cmd_mcp)
    return parser


def _fail(error: dict[str, Any]) -> None:
    """The error line: one JSON line, always the last thing on stderr. Its words were scrubbed
    when the error was built; what else it carries (a per-row report) is data, left whole."""
    sys.stderr.flush()
    sys.stderr.write(_dumps({"error": error}) + "\n")
    sys.stderr.flush()


def _keep_fields_between_runs() -> None:
    """Each CLI run is a new process: keep ``fields_get`` answers on disk for the next one
    (fields_store.py), unless ODOO_CONNECTOR_FIELDS_CACHE=off."""
    from . import fields_store

    if os.environ.get("ODOO_CONNECTOR_FIELDS_CACHE", "").strip().lower() in ("off", "0", "no", "false"):
        fields_store.use(None)
    else:
        fields_store.use(fields_store.FieldsStore(fields_store.default_dir()))


@contextmanager
def _manifest_named(path: str | None) -> Iterator[None]:
    """``--manifest FILE`` holds for everything the command loads (the runtime, the runner's
    processes), through the variable the loader reads; restored after, so one in-process call
    does not leak into the next."""
    from .manifest import find_manifest

    if not path:
        find_manifest()  # a $ODOO_CONNECTOR_MANIFEST naming no file: said now, before any request
        yield
        return
    before = os.environ.get("ODOO_CONNECTOR_MANIFEST")
    os.environ["ODOO_CONNECTOR_MANIFEST"] = str(Path(path).absolute())
    try:
        find_manifest()  # a --manifest naming no file: said now, whatever the command
        yield
    finally:
        if before is None:
            os.environ.pop("ODOO_CONNECTOR_MANIFEST", None)
        else:
            os.environ["ODOO_CONNECTOR_MANIFEST"] = before


def main(argv: Sequence[str] | None = None) -> int:
    # pydantic looks for plugins in every installed package's metadata the first time a model is
    # built (~15 ms of a one-shot run); the CLI uses none. A user's own setting is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    argv = list(sys.argv[1:] if argv is None else argv)
    wants_help = any(a in ("-h", "--help") for a in argv)
    try:
        args = _parser(with_keys=wants_help).parse_args(argv)
    except _UsageError as exc:
        _fail({"type": "InputError", "message": str(exc)})
        return EXIT_USAGE
    _setup_logging(args)
    _keep_fields_between_runs()
    try:
        with _manifest_named(args.manifest):
            code: int = args.func(args)
        return code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`| head`): not an error of ours; silence the flush at exit
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except Exception as exc:
        from .errors import OdooConnectorError, redact

        if isinstance(exc, OdooConnectorError):
            _fail(exc.to_dict(debug=args.debug))
            return exc.exit_code
        if args.debug:
            import traceback

            log.debug("traceback: %s", "".join(traceback.format_exception(exc)))
        _fail(
            {
                "type": "UnexpectedError",
                "message": redact(f"{type(exc).__name__}: {exc}"),
                "hint": "This is a bug in odoo-connector; run with --debug and report it.",
            }
        )
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
