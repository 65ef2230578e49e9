"""A real HTTP server on 127.0.0.1 for tests that must cross a socket: deadlines against a server
that drips bytes, proxies that echo headers, a webhook receiver, the CLI in another process.

``serve(respond)`` runs ``respond(request)`` for every request on a thread and yields the base URL.
``respond`` gets a :class:`Request` and either returns ``(status, headers, body)`` or writes the
answer itself through ``request.handler`` (to drip it) and returns None. ``serve_transport(fake)``
puts any ``httpx.BaseTransport`` (the fake Odoo) behind a real socket; ``Restartable(fake)`` does
too, on a port that can go away and come back as a restarted Odoo's does.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = ["Request", "Restartable", "serve", "serve_transport"]

Answer = tuple[int, Mapping[str, str], bytes] | None


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    handler: BaseHTTPRequestHandler = field(repr=False)


def write_answer(handler: BaseHTTPRequestHandler, answer: tuple[int, Mapping[str, str], bytes]) -> None:
    """Sends ``(status, headers, body)`` with its Content-Length: one way for every fake server."""
    status, headers, content = answer
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(content)))
    handler.end_headers()
    handler.wfile.write(content)


@contextmanager
def serve(respond: Callable[[Request], Answer]) -> Iterator[tuple[str, list[Request]]]:
    """Yields ``(base_url, requests_seen)``; the server stops when the block ends."""
    seen: list[Request] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(self.command, self.path, dict(self.headers.items()), body, self)
            seen.append(request)
            try:
                answer = respond(request)
            except (BrokenPipeError, ConnectionResetError):
                return
            if answer is None:
                return
            write_answer(self, answer)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_transport(
    transport: httpx.BaseTransport,
    *,
    delay: float = 0.0,
    around: Callable[[Request], AbstractContextManager[object]] | None = None,
) -> Iterator[str]:
    """``transport`` (e.g. tests.fakes.odoo.FakeOdoo) answering on a real loopback port.

    ``delay`` seconds pass before each answer (a slow Odoo; concurrent requests wait side by
    side, as on a real server); ``around(request)`` is entered for the whole request, outside
    the fake's lock (to see which requests overlap)."""
    lock = threading.Lock()  # the fake is not thread-safe; Odoo serialises per row anyway

    def respond(request: Request) -> Answer:
        with around(request) if around is not None else nullcontext():
            return answer(request)

    def answer(request: Request) -> Answer:
        if delay:
            time.sleep(delay)
        outgoing = httpx.Request(
            request.method, f"http://fake.test{request.path}", headers=request.headers, content=request.body
        )
        with lock:
            response = transport.handle_request(outgoing)
            content = response.read()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return response.status_code, headers, content

    with serve(respond) as (url, _):
        yield url


class Restartable:
    """``transport`` (the fake Odoo) on a loopback port that a test can take away mid-run, the way
    stopping and starting Odoo does: the request in flight loses its connection, new connections
    are refused, a proxy in front answers 502 while Odoo loads, then Odoo answers again on the
    same port. Use as a context manager; ``url`` is the base URL, ``paths`` every path served or
    answered 502 (a refused connection never gets that far).

    ``restart_at("search_read", nth=3, down=1.0, gateway=2)`` restarts when the third request
    for that method arrives (named in the JSON-2 path or the XML-RPC body): refused for ``down``
    seconds (``math.inf``: until :meth:`start`), then the next ``gateway`` requests answered
    502. ``answered_first`` serves that request before the restart takes its answer away (a write
    that ran, whose answer was lost); a ``down`` of 0 answers it 502 instead.
    """

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self.transport = transport
        self.paths: list[str] = []
        self._lock = threading.Lock()  # the fake is not thread-safe
        self._sockets: set[socket.socket] = set()
        self._gateways = 0  # requests still to answer 502
        self._trigger: tuple[str, int, float, int, bool] | None = None
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.start()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Restartable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def restart_at(
        self, method: str, *, nth: int = 1, down: float, gateway: int = 0, answered_first: bool = False
    ) -> None:
        self._trigger = (method, nth, down, gateway, answered_first)

    def start(self) -> None:
        """Listens (again, on the same port)."""
        if self._server is not None:
            return
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def setup(self) -> None:
                super().setup()
                owner._sockets.add(self.connection)

            def finish(self) -> None:
                owner._sockets.discard(self.connection)
                with suppress(OSError):  # a socket the restart closed: nothing left to say
                    super().finish()

            def _any(self) -> None:
                with suppress(OSError):
                    length = int(self.headers.get("Content-Length") or 0)
                    body = self.rfile.read(length) if length else b""
                    answer = owner._answer(self.command, self.path, dict(self.headers.items()), body)
                    if answer is None:
                        self.close_connection = True
                        return
                    write_answer(self, answer)

            do_GET = do_POST = _any

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.block_on_close = False  # stop() may run in a handler's thread, which cannot join itself
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._server = server

    def stop(self) -> None:
        """Stops listening and drops every open connection (requests in flight get no answer)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        for sock in list(self._sockets):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        if self._server is None:
            return None  # a connection accepted before the stop
        if self._gateways > 0:
            self._gateways -= 1
            self.paths.append(path)
            return 502, {"Content-Type": "text/html"}, b"<html><title>502 Bad Gateway</title></html>"
        trigger = self._trigger
        fired = False
        if trigger is not None and (f"/{trigger[0]}" in path or f">{trigger[0]}<".encode() in body):
            method_name, nth, down, gateway, answered_first = trigger
            self._trigger = (method_name, nth - 1, down, gateway, answered_first) if nth > 1 else None
            fired = nth == 1
        self.paths.append(path)
        if fired and not answered_first:
            return self._restart(down, gateway)
        outgoing = httpx.Request(method, f"http://fake.test{path}", headers=headers, content=body)
        with self._lock:
            response = self.transport.handle_request(outgoing)
            content = response.read()
        if fired:
            return self._restart(down, gateway)  # it ran; its answer is lost
        kept = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return response.status_code, kept, content

    def _restart(self, down: float, gateway: int) -> Answer:
        if down <= 0:
            self._gateways = gateway
            return 502, {"Content-Type": "text/html"}, b"<html><title>502 Bad Gateway</title></html>"
        self.stop()  # before this request's connection drops: the client's retry finds no listener
        if not math.isinf(down):

            def back() -> None:
                time.sleep(down)
                self._gateways = gateway
                self.start()

            threading.Thread(target=back, daemon=True).start()
        return None
