"""A real HTTP server on 127.0.0.1 for tests that must cross a socket: deadlines against a server
that drips bytes, proxies that echo headers, a webhook receiver, the CLI in another process.

``serve(respond)`` runs ``respond(request)`` for every request on a thread and yields the base URL.
``respond`` gets a :class:`Request` and either returns ``(status, headers, body)`` or writes the
answer itself through ``request.handler`` (to drip it) and returns None. ``serve_transport(fake)``
puts any ``httpx.BaseTransport`` (the fake Odoo) behind a real socket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = ["Request", "serve", "serve_transport"]

Answer = tuple[int, Mapping[str, str], bytes] | None


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    handler: BaseHTTPRequestHandler = field(repr=False)


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
            status, headers, content = answer
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

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
