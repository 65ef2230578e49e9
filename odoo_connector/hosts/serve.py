"""``odoo-connector serve``: the connector as a local HTTP service, for hosts that are not Python.

A Node.js host (the n8n package) cannot import the connector; spawning ``odoo-connector run`` per
call costs a Python start-up each time (bench/bridge.py). So the host starts this service once and
calls it over loopback HTTP with a bearer token. docs/serve.md is the contract: the paths, the
bodies, the error object and the status table.

Nothing here runs a unit beside the CLI: ``/v1/run`` and ``/v1/poll`` call
:func:`~odoo_connector.runtime.invoke`, and the webhook paths call the lifecycle functions the
manifest names, so a request is checked exactly as on the command line before anything reaches
Odoo, and an error is the object the CLI prints with the exit code it would exit with. Each
blocking call runs in a worker thread; clients are the process-wide pooled ones (one per
connection), which is what makes a call cheap.

Secrets come in the body's ``connection`` only. Log lines name the method, path, key, status and
time, never a body, a header or a query; error messages are scrubbed as on the CLI.
"""

from __future__ import annotations

import hmac
import inspect
import ipaddress
import json
import logging
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import __version__
from ..cli import _dumps
from ..connections import parse_connection
from ..errors import (
    AccessDeniedError,
    AuthenticationError,
    ConfigurationError,
    ConnectionSettingsError,
    InputError,
    MissingExtraError,
    NotFoundError,
    OdooConnectorError,
    OdooRequestError,
    OdooValidationError,
    RateLimitedError,
    ServerError,
    TransportError,
    redact,
    register_secret,
)
from ..manifest import Manifest, UnitSpec

__all__ = ["DEFAULT_PORT", "MAX_BODY", "TOKEN_VARIABLE", "build_app", "http_status", "read_token", "serve"]

log = logging.getLogger("odoo_connector.serve")

TOKEN_VARIABLE = "ODOO_CONNECTOR_TOKEN"  # noqa: S105 (the variable's name, not a token)
DEFAULT_PORT = 8765
MAX_BODY = 64 << 20  # a 25 MiB file (uploadAttachment's default maxBytes) is ~34 MiB as base64
_MIN_TOKEN = 16
_JSON_HEADERS = {"Cache-Control": "no-store"}
_PATH_OF_KIND = {"action": "/v1/run", "dataSource": "/v1/run", "trigger": "/v1/poll"}
_KIND_NAME = {"action": "an action", "dataSource": "a data source (picklist)", "trigger": "a trigger"}

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def http_status(error: OdooConnectorError) -> int:
    """The HTTP status for a connector error: docs/serve.md's table, most specific class first."""
    table: list[tuple[type[OdooConnectorError], int]] = [
        (OdooValidationError, 422),
        (ConnectionSettingsError, 400),
        (AuthenticationError, 401),
        (MissingExtraError, 501),
        (ConfigurationError, 400),
        (InputError, 400),
        (AccessDeniedError, 403),
        (NotFoundError, 404),
        (OdooRequestError, 400),
        (RateLimitedError, 429),
        (ServerError, 502),
    ]
    if isinstance(error, TransportError):
        return 504 if error.timed_out else 502
    for kind, status in table:
        if isinstance(error, kind):
            return status
    return 500


def receive_status(error: OdooConnectorError) -> int:
    """What the host answers Odoo after ``receive`` failed (docs/manifest.md's lifecycle): the
    error's own ``status_code`` (401 without the secret, 413 too large), 400 for any other
    refused request, 503 for the rest (Odoo unreachable; the reconciliation poll catches up)."""
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return status
    if isinstance(error, InputError) and not isinstance(error, ConfigurationError):
        return 400
    return 503


class _Refused(Exception):
    """The service's own refusal of a request (token, size, media type): never reaches Odoo."""

    def __init__(self, status: int, kind: str, message: str, hint: str | None = None, exit_code: int = 2):
        super().__init__(message)
        self.status, self.exit_code = status, exit_code
        self.error = {"type": kind, "message": message, **({"hint": hint} if hint else {})}


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """JSON written by the CLI's own serialiser: the bytes ``run`` would print, on one line."""
    return Response(
        _dumps(data).encode("utf-8"),
        status_code=status,
        media_type="application/json",
        headers={**_JSON_HEADERS, **(headers or {})},
    )


def _failure(
    error: dict[str, Any], exit_code: int, status: int, headers: Mapping[str, str] | None = None
) -> Response:
    return _json({"error": error, "exitCode": exit_code}, status, headers)


def token_guard(app: App, token: str) -> App:
    """Refuses every HTTP request but ``GET /v1/health`` without ``Authorization: Bearer
    <token>`` (401), compared in constant time, before the body is read or a route runs."""
    expected = f"Bearer {token}".encode()

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") != "/v1/health":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, expected):
                log.info("%s %s → 401 (no or a wrong bearer token)", scope.get("method"), scope.get("path"))
                response = _failure(
                    {
                        "type": "ServiceTokenError",
                        "message": "A missing or wrong bearer token for odoo-connector serve.",
                        "hint": f"Send Authorization: Bearer <the token the service was started with "
                        f"(${TOKEN_VARIABLE} or --token-file)>.",
                    },
                    3,
                    401,
                    {"WWW-Authenticate": 'Bearer realm="odoo-connector"'},
                )
                await response(scope, receive, send)
                return
        await app(scope, receive, send)

    return guarded


async def _read_body(request: Request, limit: int) -> dict[str, Any]:
    """The request's JSON object, refused with 415 unless JSON, 413 past ``limit`` bytes (counted
    as it arrives: a missing or lying Content-Length does not get a bigger body in)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise _Refused(415, "InputError", "The body must be JSON, sent with Content-Type: application/json.")
    too_large = _Refused(413, "InputError", f"The body is larger than {limit} bytes (--max-body-mb).")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks))
    except (ValueError, RecursionError):
        raise _Refused(400, "InputError", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _Refused(400, "InputError", "The body must be a JSON object.")
    return body


def _object(body: Mapping[str, Any], name: str, *, required: bool = True) -> dict[str, Any]:
    value = body.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        error = ConnectionSettingsError if name == "connection" else InputError
        raise error(f"The body's {name!r} must be a JSON object.", path=name)
    return value


def _unit(manifest: Manifest, body: Mapping[str, Any], kinds: tuple[str, ...], path: str) -> UnitSpec | None:
    """The body's unit when it is of a kind ``path`` runs; None for an unknown key (``invoke``
    then names the known ones, as on the CLI)."""
    key = body.get("key")
    if not isinstance(key, str):
        raise InputError("The body's 'key' must be the key of a unit (see /v1/describe).", path="key")
    try:
        unit = manifest.unit(key)
    except KeyError:
        return None
    if unit.kind not in kinds:
        raise InputError(
            f"{key} is {_KIND_NAME[unit.kind]}, which {path} does not run. Use {_PATH_OF_KIND[unit.kind]}."
        )
    return unit


class Service:
    """The operations behind the paths: plain blocking functions of the parsed body, run in a
    worker thread, returning the envelope or raising the connector's errors."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest

    def run(self, body: Mapping[str, Any]) -> dict[str, Any]:
        from ..runtime import invoke

        _unit(self.manifest, body, ("action", "dataSource"), "/v1/run")
        connection = _object(body, "connection")
        return invoke(
            str(body["key"]), connection, _object(body, "inputs", required=False), manifest=self.manifest
        )

    def poll(self, body: Mapping[str, Any]) -> dict[str, Any]:
        from ..runtime import invoke
        from ..triggers.poll_changes import RESET_HINT

        _unit(self.manifest, body, ("trigger",), "/v1/poll")
        connection = _object(body, "connection")
        state = body.get("state")
        if state is not None and not isinstance(state, dict):  # as `poll --state` refuses a file
            raise InputError(
                "The body's 'state' must be the object the last poll returned, or null for a first poll.",
                path="state",
                hint=RESET_HINT,
            )
        inputs = _object(body, "inputs", required=False)
        return invoke(str(body["key"]), connection, inputs, state=state, manifest=self.manifest)

    def _lifecycle(
        self, body: Mapping[str, Any], name: str
    ) -> tuple[UnitSpec, Callable[..., Any], Any, dict[str, Any]]:
        """The unit, its lifecycle function ``name``, the parsed connection, and the keyword
        arguments that hand the function the pooled client (when it takes one)."""
        unit = _unit(self.manifest, body, ("trigger",), f"/v1/webhook/{name}")
        if unit is None or unit.lifecycle is None:
            pushed = ", ".join(u.key for u in self.manifest.units() if u.lifecycle is not None)
            raise InputError(
                f"{body['key']} has no webhook lifecycle; the webhook paths take {pushed or 'none'}.",
                hint="A trigger without one is polled: POST /v1/poll.",
                path="key",
            )
        connection = parse_connection(_object(body, "connection"))
        if connection.type not in unit.connections:
            raise InputError(
                f"{unit.key} does not work over the {connection.type} connection; it needs "
                f"{' or '.join(unit.connections)}.",
                path="connection.type",
            )
        function = unit.load_lifecycle(name)  # type: ignore[arg-type]
        extra: dict[str, Any] = {}
        if "client" in inspect.signature(function).parameters:
            from ..client import make_client
            from ..client.pool import pooled_client

            extra["client"] = pooled_client(connection, make_client)
        return unit, function, connection, extra

    def subscribe(self, body: Mapping[str, Any]) -> dict[str, Any]:
        _, subscribe, connection, extra = self._lifecycle(body, "subscribe")
        inputs = _object(body, "inputs", required=False)
        return {"state": subscribe(connection, inputs, body.get("webhookUrl"), **extra)}

    def unsubscribe(self, body: Mapping[str, Any]) -> dict[str, Any]:
        _, unsubscribe, connection, extra = self._lifecycle(body, "unsubscribe")
        return {"data": unsubscribe(connection, body.get("state"), **extra)}

    def exists(self, body: Mapping[str, Any]) -> dict[str, Any]:
        _, exists, connection, extra = self._lifecycle(body, "exists")
        return {"data": exists(connection, body.get("state"), **extra)}

    def receive(self, body: Mapping[str, Any]) -> dict[str, Any]:
        from ..runtime import validate_inputs

        unit, receive, connection, extra = self._lifecycle(body, "receive")
        given = _object(body, "request")
        request: dict[str, Any] = {"body": given.get("body")}
        query = given.get("query")
        if isinstance(query, dict):  # a platform's parsed query parameters: the same pairs as text
            request["query"] = urlencode(query, doseq=True)
        elif query is not None:
            request["query"] = query
        elif "url" in given:
            request["url"] = given["url"]
        raw_inputs = _object(body, "inputs", required=False)
        inputs = validate_inputs(unit, raw_inputs) if raw_inputs else None
        if inputs is not None and "inputs" in inspect.signature(receive).parameters:
            extra["inputs"] = inputs
        result: dict[str, Any] = receive(connection, body.get("state"), request, **extra)
        return result


def build_app(manifest: Manifest, token: str, *, max_body: int = MAX_BODY, debug: bool = False) -> App:
    """The service's ASGI app for one manifest and token (docs/serve.md)."""
    service = Service(manifest)
    described = manifest.describe()

    def known_key(body: Mapping[str, Any]) -> str:
        key = body.get("key")
        return key if isinstance(key, str) and any(u.key == key for u in manifest.units()) else "-"

    def operation(call: Callable[[Mapping[str, Any]], dict[str, Any]], *, receiving: bool = False) -> Any:
        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            key = "-"
            try:
                body = await _read_body(request, max_body)
                key = known_key(body)
                response = _json(await run_in_threadpool(call, body))
            except _Refused as refused:
                response = _failure(refused.error, refused.exit_code, refused.status)
            except OdooConnectorError as exc:
                status = receive_status(exc) if receiving else http_status(exc)
                headers = {}
                if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
                    headers["Retry-After"] = str(max(0, round(exc.retry_after)))
                response = _failure(exc.to_dict(debug=debug), exc.exit_code, status, headers)
            except Exception as exc:  # a bug: said in one line, scrubbed, without a traceback
                message = redact(f"{type(exc).__name__}: {exc}")
                log.warning(
                    "%s %s (%s) failed unexpectedly: %s", request.method, request.url.path, key, message
                )
                error = {
                    "type": "UnexpectedError",
                    "message": message,
                    "hint": "This is a bug in odoo-connector; run the service with --debug and report it.",
                }
                response = _failure(error, 1, 503 if receiving else 500)
            elapsed = (time.perf_counter() - started) * 1000
            log.info(
                "%s %s %s → %d in %.0f ms",
                request.method,
                request.url.path,
                key,
                response.status_code,
                elapsed,
            )
            return response

        return endpoint

    async def health(request: Request) -> Response:
        return _json({"ok": True, "version": __version__})

    async def describe(request: Request) -> Response:
        return _json(described)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = {404: f"No such path: {request.url.path}.", 405: f"{request.method} is not allowed here."}
        error = {"type": "InputError", "message": message.get(status, "The request was refused.")}
        error["hint"] = "docs/serve.md lists the paths and their methods."
        return _failure(error, 2, status)

    routes = [
        Route("/v1/health", health, methods=["GET"]),
        Route("/v1/describe", describe, methods=["GET"]),
        Route("/v1/run", operation(service.run), methods=["POST"]),
        Route("/v1/poll", operation(service.poll), methods=["POST"]),
        Route("/v1/webhook/subscribe", operation(service.subscribe), methods=["POST"]),
        Route("/v1/webhook/unsubscribe", operation(service.unsubscribe), methods=["POST"]),
        Route("/v1/webhook/exists", operation(service.exists), methods=["POST"]),
        Route("/v1/webhook/receive", operation(service.receive, receiving=True), methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: http_error, 405: http_error})
    return token_guard(app, token)


def read_token(token_file: str | None, environ: Mapping[str, str]) -> str:
    """The bearer token from ``--token-file`` (its first line) or ``$ODOO_CONNECTOR_TOKEN``;
    a configuration error (exit 3) saying how to set one when there is none."""
    how = (
        f"Set {TOKEN_VARIABLE} to a random secret of at least {_MIN_TOKEN} characters (the output "
        "of `openssl rand -hex 32`, say), or give --token-file PATH; the host sends the same token "
        "as Authorization: Bearer <token>."
    )
    if token_file:
        try:
            lines = Path(token_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            raise ConfigurationError(
                f"Cannot read the token file {token_file!r}: {reason}.", hint=how
            ) from None
        token, where = (lines[0].strip() if lines else ""), f"The token file {token_file!r}"
    else:
        token, where = environ.get(TOKEN_VARIABLE, "").strip(), f"${TOKEN_VARIABLE}"
    if not token:
        raise ConfigurationError(f"odoo-connector serve needs a bearer token; {where} holds none.", hint=how)
    if len(token) < _MIN_TOKEN:
        raise ConfigurationError(f"{where} holds a token shorter than {_MIN_TOKEN} characters.", hint=how)
    register_secret(token)  # from here on no log line or error shows it
    return token


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    manifest: Manifest,
    *,
    token: str,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    allow_remote: bool = False,
    max_body: int = MAX_BODY,
    debug: bool = False,
) -> int:
    """Listens on ``host:port`` until stopped (Ctrl-C, SIGTERM). The address is announced on
    stderr as one JSON line, ``{"serve": {"url"}}``, once the socket listens; never the token."""
    import uvicorn

    if not _is_loopback(host):
        if not allow_remote:
            raise ConfigurationError(
                f"--host {host} is not a loopback address: the service would take Odoo keys over plain "
                "HTTP from the network.",
                hint="Run the service beside its host on 127.0.0.1 (the default), or add --allow-remote "
                "behind a TLS proxy.",
            )
        log.warning("listening on %s, beyond this machine: put a TLS proxy in front (plain HTTP)", host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(
            f"Cannot listen on {host}:{port}: {exc.strerror}.", hint="Choose another --port."
        ) from None
    sock.listen(128)  # before announcing: a client that connects at once waits in the backlog
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    sys.stderr.write(json.dumps({"serve": {"url": f"http://{shown}:{bound}"}}) + "\n")
    sys.stderr.flush()
    # uvicorn's own lines through the connector's JSON-lines handler; no access log (the service
    # logs one line per request itself, without query or body)
    ours = logging.getLogger("odoo_connector")
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = ours.handlers
        logger.propagate = False
    app = build_app(manifest, token, max_body=max_body, debug=debug)
    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
    return 0
