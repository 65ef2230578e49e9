"""Overall deadlines for HTTP requests.

httpx's timeouts bound each socket operation, so a server that drips a byte every few seconds can
hold a request for ever. Every request made through :func:`make_http_client` also has an overall
deadline (:func:`deadline`): each socket read, write and connect is given at most the time left
until it, and a request that runs past it fails as a timeout. The deadline is installed as an
httpcore network backend around the real one, so it covers the headers and every byte of the
body, through proxies too.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

__all__ = ["current_end", "deadline", "make_http_client", "timeouts"]


def timeouts(seconds: float) -> httpx.Timeout:
    """Per-operation timeouts for an overall deadline of ``seconds``: connecting never waits
    longer than 10 s (an unreachable host should fail fast), the rest may use the whole budget."""
    return httpx.Timeout(connect=min(10.0, seconds), read=seconds, write=seconds, pool=min(10.0, seconds))


_local = threading.local()


@contextmanager
def deadline(seconds: float | None) -> Iterator[float | None]:
    """Within the block, requests on clients from :func:`make_http_client` end by ``seconds`` from
    now (an enclosing, earlier deadline still wins). Yields the absolute monotonic end time."""
    previous: float | None = getattr(_local, "end", None)
    end = None if seconds is None else time.monotonic() + seconds
    if previous is not None and (end is None or previous < end):
        end = previous
    _local.end = end
    try:
        yield end
    finally:
        _local.end = previous


def current_end() -> float | None:
    """The monotonic end time of the enclosing :func:`deadline`, if any."""
    end: float | None = getattr(_local, "end", None)
    return end


def _budget(timeout: float | None, error: type[Exception]) -> float | None:
    end: float | None = getattr(_local, "end", None)
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise error("the request's overall deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _budget(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _budget(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _budget(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _is_plain_http(options: Mapping[str, Any]) -> bool:
    return str(options.get("base_url", "")).startswith("http://")


def _plain_http_context() -> ssl.SSLContext:
    """For a client bound to an http:// base URL, which never starts TLS (redirects are not
    followed): a context that verifies certificates but trusts no root, so it costs nothing to
    build (loading the default CA bundle is ~20-50 ms of CPU per client) and any TLS connection
    it were ever asked to make would fail verification rather than go unchecked."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname and CERT_REQUIRED are on


def make_http_client(**options: Any) -> httpx.Client:
    """``httpx.Client(**options)`` whose network transports honour :func:`deadline`, with TLS
    verified and redirects not followed unless said otherwise.

    httpx builds its connection pools itself (one per proxy mount too), so the deadline backend is
    put around each pool's own backend here, the one place that touches httpcore's internals;
    tests/test_hardening.py proves the deadline holds against a dripping server.
    """
    options.setdefault("verify", _plain_http_context() if _is_plain_http(options) else True)
    options.setdefault("follow_redirects", False)
    client = httpx.Client(**options)
    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return client
