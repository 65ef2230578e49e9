"""``odoo-connector``: the command line, on top of the runtime (never beside it).

Results are JSON on stdout; errors are JSON on stderr, with an exit status by kind:

====  =====================================================================
0     success
1     unexpected failure (a bug: please report it with --debug output)
2     bad input (ours or Odoo's validation): fix the input
3     configuration: wrong key/password, unknown database, not an Odoo 19
4     access denied or not found: a missing group, a missing record
5     server or transport: Odoo failed, timed out or could not be reached
====  =====================================================================

Heavy imports happen inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__

__all__ = ["main"]

log = logging.getLogger("odoo_connector.cli")

EXIT_OK, EXIT_UNEXPECTED = 0, 1


class _RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        from .errors import redact

        return redact(super().format(record), self.secrets)


def _setup_logging(args: argparse.Namespace, secrets: tuple[str, ...] = ()) -> None:
    level = logging.DEBUG if args.debug else (logging.WARNING if args.quiet else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter(secrets))
    root = logging.getLogger("odoo_connector")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _read_json_arg(value: str | None, what: str) -> Any:
    from .errors import InputError

    if value is None:
        return {}
    if value == "-":
        text = sys.stdin.read()
    elif value.startswith("@"):
        try:
            text = Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"Cannot read {what} file {value[1:]!r}: {exc.strerror}.") from None
    else:
        text = value
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(
            f"{what} is not valid JSON: {exc}.",
            hint='Quote it for your shell, e.g. --input \'{"model": "res.partner"}\'.',
        ) from None


def _connection(args: argparse.Namespace) -> Any:
    from .connections import connection_from_env, parse_connection
    from .errors import InputError

    if args.connection:
        try:
            data = json.loads(Path(args.connection).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(
                f"Cannot read the connection file {args.connection!r}: {exc.strerror}."
            ) from None
        except ValueError as exc:
            raise InputError(f"The connection file {args.connection!r} is not valid JSON: {exc}.") from None
        if not isinstance(data, dict):
            raise InputError(f"The connection file {args.connection!r} must hold a JSON object.")
        return parse_connection(data)
    return connection_from_env()


def _print(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def cmd_validate(args: argparse.Namespace) -> int:
    from .manifest import ManifestError, load_manifest, validate_manifest

    try:
        manifest = load_manifest(args.manifest)
    except ManifestError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    problems = validate_manifest(manifest)
    for problem in problems:
        print(f"invalid: {problem}", file=sys.stderr)
    if problems:
        return 2
    count = sum(1 for _ in manifest.units())
    print(f"ok: {len(manifest.connections)} connections, {count} units, all schemas and examples valid")
    return EXIT_OK


def cmd_describe(args: argparse.Namespace) -> int:
    from .manifest import load_manifest

    _print(load_manifest(args.manifest).describe())
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .client import make_client
    from .connections import ApiKeyConnection
    from .errors import UnsupportedServerError

    conn = _connection(args)
    _setup_logging(args, conn.secrets())
    with make_client(conn) as client:
        version = client.server_version()
        info = version.get("version_info") or []
        major = info[0] if info and isinstance(info[0], int) else None
        if isinstance(conn, ApiKeyConnection) and major is not None and major < 19:
            raise UnsupportedServerError(
                f"This server runs Odoo {version.get('version')}; the JSON-2 API needs 19.0 or later.",
                hint="Use the Basic Authentication (XML-RPC) connection for this server.",
            )
        user = client.whoami()
        _print(
            {
                "ok": True,
                "connection": conn.type,
                "url": conn.url,
                "server": {"version": version.get("version"), "versionInfo": info},
                "database": conn.database,
                "user": user,
            }
        )
    return EXIT_OK


_COMMAND_KIND = {"run": "action", "picklist": "dataSource", "poll": "trigger", "watch": "trigger"}
_KIND_COMMAND = {"action": "run", "dataSource": "picklist", "trigger": "poll or watch"}


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
        raise InputError(f"{key} is a {kind}; use `odoo-connector {_KIND_COMMAND[kind]} {key}`.")


def cmd_run(args: argparse.Namespace) -> int:
    _check_kind(args.command, args.key)
    conn = _connection(args)
    _setup_logging(args, conn.secrets())
    inputs = _read_json_arg(args.input, "--input")
    if args.jsonl:
        return _run_jsonl(args.key, conn, inputs)
    from .runtime import invoke

    _print(invoke(args.key, conn, inputs))
    return EXIT_OK


def _run_jsonl(key: str, conn: Any, inputs: Any) -> int:
    """Streams listRecords with fetchAll as JSON lines, one page in memory at a time."""
    from .actions.records import stream_records
    from .client import make_client
    from .errors import InputError
    from .manifest import load_manifest
    from .runtime import validate_inputs

    if key != "listRecords":
        raise InputError("--jsonl streams listRecords only.")
    checked = validate_inputs(load_manifest().unit(key), inputs)
    with make_client(conn) as client:
        for record in stream_records(client, checked):
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return EXIT_OK


def cmd_poll(args: argparse.Namespace) -> int:
    from .runtime import invoke

    _check_kind("poll", args.key)
    conn = _connection(args)
    _setup_logging(args, conn.secrets())
    inputs = _read_json_arg(args.input, "--input")
    state_path = Path(args.state) if args.state else None
    state = None
    if state_path and state_path.exists():
        state = _read_json_arg(f"@{state_path}", "--state")
    result = invoke(args.key, conn, inputs, state=state)
    _print({k: v for k, v in result.items() if k != "state"} if state_path else result)
    if state_path:
        write_atomic(state_path, json.dumps(result["state"], indent=2))
    return EXIT_OK


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

    conn = _connection(args)
    _setup_logging(args, conn.secrets())
    inputs = _read_json_arg(args.input, "--input")
    return run_watch(
        args.key,
        conn,
        inputs,
        interval=args.interval,
        state_path=args.state,
        webhook=args.webhook,
        max_polls=args.max_polls,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="odoo-connector",
        description="Odoo 19 connector: run actions, picklists and the polling trigger from the shell.",
        epilog="Connection: --connection FILE.json, or ODOO_URL, ODOO_PORT, ODOO_DB and ODOO_API_KEY "
        "(or ODOO_USERNAME/ODOO_PASSWORD). Exit status: 0 ok, 2 bad input, 3 configuration, "
        "4 access/not found, 5 server/transport, 1 unexpected.",
    )
    parser.add_argument("--version", action="version", version=f"odoo-connector {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--connection", metavar="FILE.json", help="connection settings (else ODOO_* variables)"
    )
    common.add_argument(
        "--debug", action="store_true", help="debug logs and Odoo's server traceback on errors"
    )
    common.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    common.add_argument("--manifest", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser(
        "validate", parents=[common], help="check connector.yaml, schemas, examples and handlers"
    ).set_defaults(func=cmd_validate)
    sub.add_parser(
        "describe", parents=[common], help="the manifest as JSON with schemas inlined"
    ).set_defaults(func=cmd_describe)
    sub.add_parser(
        "check", parents=[common], help="test the connection: server version, database, user"
    ).set_defaults(func=cmd_check)
    for name, helptext in (("run", "run an action"), ("picklist", "run a data source")):
        cmd = sub.add_parser(name, parents=[common], help=helptext)
        cmd.add_argument("key")
        cmd.add_argument("--input", help="inputs as JSON text, @file.json, or - for stdin")
        cmd.add_argument(
            "--jsonl",
            action="store_true",
            help="stream listRecords (fetchAll) as JSON lines" if name == "run" else argparse.SUPPRESS,
        )
        cmd.set_defaults(func=cmd_run)
    poll = sub.add_parser("poll", parents=[common], help="poll a trigger once")
    poll.add_argument("key")
    poll.add_argument("--input", help="inputs as JSON text, @file.json, or - for stdin")
    poll.add_argument(
        "--state", metavar="FILE.json", help="state file: read if present, rewritten after success"
    )
    poll.set_defaults(func=cmd_poll)
    watch = sub.add_parser("watch", parents=[common], help="run a trigger on a schedule")
    watch.add_argument("key")
    watch.add_argument("--input", help="inputs as JSON text, @file.json, or - for stdin")
    watch.add_argument("--interval", type=float, default=60.0, help="seconds between polls (default 60)")
    watch.add_argument(
        "--state", metavar="FILE.sqlite", help="SQLite state file (default: per-user data dir)"
    )
    watch.add_argument("--webhook", metavar="URL", help="POST each poll's records here instead of stdout")
    watch.add_argument("--max-polls", type=int, default=None, help=argparse.SUPPRESS)
    watch.set_defaults(func=cmd_watch)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not logging.getLogger("odoo_connector").handlers:
        _setup_logging(args)
    try:
        code: int = args.func(args)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`| head`): not an error of ours; silence the flush at exit
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except Exception as exc:
        from .errors import OdooConnectorError, redact

        if isinstance(exc, OdooConnectorError):
            json.dump({"error": exc.to_dict(debug=args.debug)}, sys.stderr, indent=2, ensure_ascii=False)
            sys.stderr.write("\n")
            return exc.exit_code
        message = redact(f"{type(exc).__name__}: {exc}")
        json.dump(
            {
                "error": {
                    "type": "UnexpectedError",
                    "message": message,
                    "hint": "This is a bug in odoo-connector; run with --debug and report it.",
                }
            },
            sys.stderr,
            indent=2,
        )
        sys.stderr.write("\n")
        if args.debug:
            import traceback

            sys.stderr.write(redact("".join(traceback.format_exception(exc))))
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
