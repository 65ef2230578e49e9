"""The workbench's ASGI app: the page, its static files and five JSON routes over :class:`Session`.

Routes hold no logic of their own; they parse the request, call the session (which calls
``invoke``) and answer JSON. The page is meant for one person on this machine, and it can use a
stored connection, so:

* it listens on 127.0.0.1 only, and answers only requests addressed to 127.0.0.1 or localhost
  (a web page elsewhere cannot reach it through DNS rebinding);
* every request carries the random token printed with the URL, as Jupyter does: the page and its
  files may have it in the query string (``?token=``: that is how the printed URL opens the
  page), the JSON routes (``/api/…``) only in the ``X-Workbench-Token`` header, which a page of
  another site cannot set without the server's consent (a CORS preflight this server never
  grants). Without it the answer is 403 and nothing else;
* a request whose ``Origin`` is not the page's own is refused (403), and a request with a body
  must be ``application/json`` (415): a form or a ``text/plain`` post from another site, which
  browsers send without asking, never reaches a route;
* the page runs only its own scripts (a Content-Security-Policy) and sends no Referer, so the
  token in its URL does not travel.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
import webbrowser
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..errors import InputError
from ..manifest import Manifest
from .session import Session, error_view

__all__ = ["create_app", "run", "running"]

log = logging.getLogger("odoo_connector.workbench")

STATIC = Path(__file__).resolve().parent / "static"
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _refusal(text: str, status: int) -> Response:
    return Response(text, status_code=status, media_type="text/plain", headers=_HEADERS)


class TokenGate:
    """Refuses every HTTP request that does not carry the token (compared in constant time; in the
    ``X-Workbench-Token`` header, or for the page and its files also in the query ``token``), that
    comes from another origin, or that carries a body other than JSON; adds the security headers."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name: value for name, value in scope.get("headers", [])}
        given = headers.get(b"x-workbench-token", b"")
        if not given and not scope.get("path", "").startswith("/api/"):
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = (query.get("token") or [""])[0].encode()
        refusal = None
        if not secrets.compare_digest(given, self.token):
            refusal = _refusal(
                "This workbench needs the token from the URL that `odoo-connector workbench` printed "
                "(the page's JSON routes take it only in the X-Workbench-Token header).\n",
                403,
            )
        elif b"origin" in headers and headers[b"origin"] != b"http://" + headers.get(b"host", b""):
            refusal = _refusal("This workbench answers only its own page, not another site's.\n", 403)
        elif scope.get("method") in _BODY_METHODS and not _is_json(headers.get(b"content-type", b"")):
            refusal = _refusal("This workbench takes request bodies as application/json only.\n", 415)
        if refusal is not None:
            await refusal(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in _HEADERS.items()]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_json(content_type: bytes) -> bool:
    return content_type.split(b";", 1)[0].strip().lower() == b"application/json"


def create_app(manifest: Manifest, token: str, session: Session | None = None) -> Starlette:
    """The app for one page; ``session`` lets a test look inside."""
    session = session or Session(manifest)
    page = (STATIC / "index.html").read_text(encoding="utf-8").replace("{{token}}", token)

    def answer(payload: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(payload, status_code=status)

    async def body(request: Request) -> dict[str, Any]:
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {}

    async def index(request: Request) -> Response:
        return HTMLResponse(page)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        path = (STATIC / name).resolve()
        if path.parent != STATIC or not path.is_file():
            return Response("not found\n", status_code=404, media_type="text/plain")
        return FileResponse(path)

    async def describe(request: Request) -> Response:
        # The page is drawn from what a platform gets: describe() and nothing else.
        return answer(manifest.describe())

    def connection_get(request: Request) -> Response:
        return answer(session.connection_view())

    async def connection_post(request: Request) -> Response:
        data = await body(request)
        fields = data.get("fields")
        try:
            view = session.save_connection(str(data.get("type")), fields if isinstance(fields, dict) else {})
        except Exception as exc:
            return answer({"error": error_view(exc)})
        return answer(view)

    def check(request: Request) -> Response:
        try:
            return answer({"result": session.check()})
        except Exception as exc:
            return answer({"error": error_view(exc)})

    async def run_unit(request: Request) -> Response:
        data = await body(request)
        key = str(data.get("key", ""))
        given = data.get("inputs")
        inputs: dict[str, Any] = given if isinstance(given, dict) else {}
        reset = bool(data.get("reset"))
        # invoke blocks on Odoo: run it in the thread pool, not on the event loop
        from starlette.concurrency import run_in_threadpool

        try:
            result = await run_in_threadpool(session.run, key, inputs, reset=reset)
            payload: dict[str, Any] = {"result": result}
        except Exception as exc:
            payload = {"error": error_view(exc)}
        payload["command"] = session.command_line(key, inputs)
        return answer(payload)

    return Starlette(
        routes=[
            Route("/", index),
            Route("/static/{name}", static),
            Route("/api/describe", describe),
            Route("/api/connection", connection_get, methods=["GET"]),
            Route("/api/connection", connection_post, methods=["POST"]),
            Route("/api/check", check, methods=["POST"]),
            Route("/api/run", run_unit, methods=["POST"]),
        ],
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"]),
            Middleware(TokenGate, token=token),
        ],
    )


def _bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1 (loopback only, whatever the machine's interfaces), bound
    before the server starts so the printed URL is known to work; a busy port is a usage error."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except (OSError, OverflowError) as exc:
        sock.close()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a port number"
        raise InputError(
            f"The workbench cannot listen on 127.0.0.1:{port}: {reason}.",
            hint="Choose another port with --port (0 picks a free one).",
            path="port",
        ) from None
    sock.listen(128)
    return sock


@contextmanager
def running(manifest: Manifest, port: int = 0, session: Session | None = None) -> Iterator[str]:
    """The workbench in a background thread for as long as the block runs; yields the URL with
    its token (tests use it with port 0: any free port)."""
    token = secrets.token_urlsafe(32)
    sock = _bind(port)
    server = uvicorn.Server(
        uvicorn.Config(create_app(manifest, token, session), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            threading.Event().wait(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/?token={token}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def run(*, manifest: Manifest, port: int = 8765, open_browser: bool = False) -> int:
    """Serves until Ctrl-C. The URL (with its token) is printed on stdout as JSON, like every
    result of the CLI; the log line on stderr gives the address without the token."""
    token = secrets.token_urlsafe(32)
    sock = _bind(port)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/?token={token}"
    print(json.dumps({"url": url}), flush=True)
    log.info(
        "workbench at http://127.0.0.1:%d/ (open the URL printed on stdout; Ctrl-C stops it)",
        sock.getsockname()[1],
    )
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    server = uvicorn.Server(
        uvicorn.Config(create_app(manifest, token), log_level="warning", lifespan="off", access_log=False)
    )
    server.run(sockets=[sock])
    return 0
