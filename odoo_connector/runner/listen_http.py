"""The webhook listener's HTTP side: a Starlette app under uvicorn, and what a request may cost.

Nothing is read before the secret is checked, from the query string alone (401); then the body
is read as a stream, at most :data:`MAX_BODY` bytes (413 as soon as it is announced or passes
the limit) within :data:`BODY_TIMEOUT` seconds (408 after it). One 400 MiB post used to take the
listener from 52 MB to 873 MB, and 50 dripping bodies held 50 connections for good. A refused
post's connection is closed, since its body may still be on its way. The access log is off: the
request line carries the subscription secret.

The app only asks the listener (:class:`~.listen.Listener`): ``check(query)``,
``refuse(status, message)``, ``take(query, body)``. uvicorn and Starlette (the ``webhook``
extra) are imported here only, so the connector imports without them.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from typing import Any, Protocol

from ..errors import InputError, require_extra
from ..triggers.webhook_posts import MAX_BODY, TooLarge

__all__ = ["BODY_TIMEOUT", "MAX_BODY", "Server", "make_app"]

# Seconds a post's whole body may take to arrive; Odoo sends a few kB at once.
BODY_TIMEOUT = 5.0

Answer = tuple[int, dict[str, Any]]


class Posts(Protocol):
    """What the app needs of the listener."""

    subscribed: bool

    def check(self, query: str) -> Answer | None: ...

    def refuse(self, status: int, message: str) -> Answer: ...

    def take(self, query: str, body: bytes) -> Answer: ...


async def _read_body(stream: AsyncIterator[bytes]) -> bytes:
    """The body as it arrives, refused with :class:`TooLarge` as soon as it passes MAX_BODY:
    what is held is never more than that (and uvicorn's 64 kB read buffer)."""
    body = bytearray()
    async for chunk in stream:
        body += chunk
        if len(body) > MAX_BODY:
            raise TooLarge(f"The webhook body is larger than {MAX_BODY} bytes.")
    return bytes(body)


def make_app(listener: Posts) -> Any:
    """The ASGI app: any POST goes to the listener (a reverse proxy may map any path to us);
    ``GET /`` answers 200 for health checks."""
    from starlette.applications import Starlette
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def answer(status: int, payload: dict[str, Any]) -> JSONResponse:
        headers = {"Connection": "close"} if status >= 400 else None
        return JSONResponse(payload, status_code=status, headers=headers)

    async def post(request: Request) -> JSONResponse:
        query = request.url.query
        refused = listener.check(query)
        if refused is not None:
            return answer(*refused)
        declared = request.headers.get("content-length", "")
        too_large = f"The webhook body is larger than {MAX_BODY} bytes."
        if declared.isdigit() and int(declared) > MAX_BODY:
            return answer(*listener.refuse(413, too_large))
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                body = await _read_body(request.stream())
        except TooLarge:
            return answer(*listener.refuse(413, too_large))
        except TimeoutError:
            return answer(*listener.refuse(408, f"The webhook body took longer than {BODY_TIMEOUT:g} s."))
        except ClientDisconnect:
            return answer(400, {"error": "the request ended before its body"})
        return answer(*listener.take(query, body))

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "listening" if listener.subscribed else "starting"})

    return Starlette(
        routes=[Route("/{path:path}", post, methods=["POST"]), Route("/", health, methods=["GET"])]
    )


class Server:
    """uvicorn on a thread, bound to a socket opened here (a port in use fails now, clearly)."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        require_extra("webhook", ("uvicorn",), "--listen")
        import uvicorn

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP spelled out: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose
        # proto says TCP, and a socket made with proto 0 keeps it on. Each answer (headers, then
        # body) then waited for the client's delayed ACK: 40 ms a post instead of about 1 ms, and
        # Odoo waits for every post of a transaction in turn.
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError as exc:
            self.socket.close()
            raise InputError(f"Cannot listen on {host}:{port}: {exc.strerror}.", path="listen") from None
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        waited = 0.0
        while not self.server.started and self.thread.is_alive() and waited < timeout:
            threading.Event().wait(0.02)
            waited += 0.02
        if not self.server.started:
            raise InputError("The webhook listener did not start.", path="listen")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()
