"""The one HTTP stack both transports share: timeouts, TLS, retries and transport errors live here.

Retrying is where "nothing duplicated" is won or lost. A request is retried only when Odoo
certainly did not run it (the connection was never made, or a 429 refused it) or when the method
is read-only (a 502/503/504, a read timeout or a connection dropped mid-answer may hide a write
that did happen: a ``create`` retried after a timeout could create the record twice).

How long: an Odoo restart looks like refused connections, then 502/503/504 from a proxy, for as
long as Odoo takes to stop and load again (14 s in a review run, which ended a 20 000-record
fetchAll after 1.6 s under the old rule of two retries). So once this session has had an answer
from Odoo, those failures are retried with capped, jittered exponential waits for up to
``retry_for`` seconds (the connection's ``retryFor``, default 60) from the first failure. A
session that never had an answer gives up after ``max_retries`` (2) quick retries instead:
there, a refused connection is far more often a wrong URL or port than a restart, and the user
should hear so in seconds, not in a minute.

Deadlines: httpx's timeouts bound each socket operation, so a server that drips a byte every few
seconds can hold a request for ever. Every request made here also has an overall deadline
(:func:`deadline`): each socket read, write and connect is given at most the time left until it,
and a request that runs past it fails as a timeout. The deadline is installed as an httpcore
network backend around the real one (:func:`make_http_client`), so it covers the headers and every
byte of the body, through proxies too.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any

import httpcore
import httpx

from .. import __version__
from ..errors import RateLimitedError, TransportError, redact

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_RETRY_FOR",
    "USER_AGENT",
    "HttpSession",
    "deadline",
    "make_http_client",
    "parse_retry_after",
    "timeouts",
]

log = logging.getLogger("odoo_connector.http")

USER_AGENT = f"odoo-connector/{__version__}"
# The most one request (one attempt) may take in all, from connecting to the body's last byte.
DEFAULT_DEADLINE = 120.0
# How long failures that look like a restart are retried, from the first one (connection retryFor).
DEFAULT_RETRY_FOR = 60.0
# The longest single wait between two tries: Odoo back from a restart is noticed within this.
_MAX_WAIT = 5.0


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


_RETRY_STATUSES = {502, 503, 504}
# Methods that change nothing: safe to retry after a timeout or a 502/503/504.
READ_ONLY_METHODS = frozenset(
    {
        "search",
        "search_read",
        "search_count",
        "read",
        "fields_get",
        "name_search",
        "get_available_models",
        "check_object_reference",
        "get_external_id",
        "context_get",
        "read_group",
        "web_search_read",
        "web_read",
        "formatted_read_group",
        "default_get",
        "has_access",
    }
)
_MAX_RETRY_AFTER = 60.0


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class HttpSession:
    """A pooled ``httpx.Client`` bound to one connection's base URL.

    ``secrets`` are scrubbed from every error this session raises. ``sleep``, ``clock`` and
    ``jitter`` are the waits' time and randomness, replaceable by a test.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        deadline: float = DEFAULT_DEADLINE,
        secrets: tuple[str, ...] = (),
        max_retries: int = 2,
        retry_for: float = DEFAULT_RETRY_FOR,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.secrets = secrets
        self.max_retries = max_retries
        self.retry_for = retry_for
        self.backoff = backoff
        self.sleep = sleep
        self.clock = clock
        self.jitter = jitter
        self.request_count = 0
        self.deadline = deadline
        # True once Odoo itself answered (any status but a gateway's 502/503/504): from then on a
        # refused connection is a restart to wait out, not a wrong address to report at once
        self.reached = False
        all_headers = {"User-Agent": USER_AGENT}
        all_headers.update(headers or {})
        self.client = make_http_client(
            base_url=base_url,
            headers=all_headers,
            timeout=timeout if timeout is not None else timeouts(deadline),
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        **kwargs: Any,
    ) -> httpx.Response:
        """Sends one request with the retry policy above; raises TransportError or
        RateLimitedError, and returns any other response (error statuses included) for the
        transport to map with Odoo's own message."""
        attempt = 0
        limited = 0  # 429s waited for
        failing_since: float | None = None  # when the current run of failures began
        outer_end: float | None = getattr(_local, "end", None)  # an enclosing deadline
        while True:
            attempt += 1
            self.request_count += 1
            try:
                with deadline(self.deadline):
                    response = self.client.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                reason = _retry_reason(exc, idempotent)
                if reason is not None:
                    failing_since = self.clock() if failing_since is None else failing_since
                    wait = self._next_wait(attempt, failing_since, None, outer_end)
                    if wait is not None:
                        self._wait(method, path, reason, wait, attempt)
                        continue
                raise self._transport_error(exc, failing_since) from None
            status = response.status_code
            if status == 429:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if limited < self.max_retries and (retry_after is None or retry_after <= _MAX_RETRY_AFTER):
                    limited += 1
                    wait = retry_after if retry_after is not None else self._backoff(limited)
                    self._wait(method, path, "429 Too Many Requests", wait, attempt)
                    continue
                raise RateLimitedError(
                    f"Odoo answered 429 Too Many Requests for {method} {path}.",
                    status=429,
                    retry_after=retry_after,
                )
            if status in _RETRY_STATUSES and idempotent:
                failing_since = self.clock() if failing_since is None else failing_since
                asked = parse_retry_after(response.headers.get("Retry-After"))
                wait = self._next_wait(attempt, failing_since, asked, outer_end)
                if wait is not None:
                    self._wait(method, path, f"status {status}", wait, attempt)
                    continue
                self._gave_up(failing_since)
            elif status not in _RETRY_STATUSES:
                if failing_since is not None and self.reached:
                    log.info(
                        "Odoo answers again, after %.1fs (%d retries)",
                        self.clock() - failing_since,
                        attempt - 1,
                    )
                self.reached = True
            # The body is read; dropping the stream breaks the response <-> stream reference
            # cycle, so a page's body is freed when the caller drops it rather than at the next
            # garbage collection (bench/fetchall_memory.py: streaming peak +8 → +2.4 MiB).
            response.stream = httpx.ByteStream(b"")
            return response

    def _backoff(self, attempt: int) -> float:
        """``backoff`` doubled per attempt, at most ``_MAX_WAIT``."""
        return min(_MAX_WAIT, self.backoff * 2.0 ** (attempt - 1))

    def _next_wait(
        self, attempt: int, failing_since: float, asked: float | None, outer_end: float | None
    ) -> float | None:
        """Seconds to wait before the next try, or None to give up.

        Before Odoo ever answered: ``max_retries`` tries, waiting ``backoff`` doubled. After:
        until ``retry_for`` seconds have passed since ``failing_since``, the last wait cut to end
        there. Waits are jittered down to half their length, so clients that lost Odoo at the
        same moment do not all come back at the same moment; a server's Retry-After is kept as
        asked (within the time left)."""
        if not self.reached:
            if attempt > self.max_retries:
                return None
            left = float("inf")
        else:
            left = self.retry_for - (self.clock() - failing_since)
            if left <= 0:
                return None
        if outer_end is not None:  # a deadline around this request: no point waiting past it
            left = min(left, outer_end - time.monotonic())
            if left <= 0:
                return None
        if asked is not None:
            return min(asked, left)
        return min(self._backoff(attempt) * (0.5 + self.jitter() / 2), left)

    def _wait(self, method: str, path: str, reason: str, delay: float, attempt: int) -> None:
        log.info("%s %s: %s; retrying in %.1fs (attempt %d)", method, path, reason, delay, attempt + 1)
        self.sleep(delay)

    def _gave_up(self, failing_since: float | None) -> None:
        if failing_since is not None and self.reached:
            log.warning(
                "Odoo did not come back within %gs (the connection's retryFor): giving up", self.retry_for
            )

    def _transport_error(self, exc: httpx.HTTPError, failing_since: float | None = None) -> TransportError:
        self._gave_up(failing_since)
        where = self.base_url
        text = redact(str(exc) or type(exc).__name__, self.secrets)
        waited = ""
        if failing_since is not None and self.reached:
            waited = f"; retried for {self.clock() - failing_since:.0f} s."
        restart = " If Odoo was restarting, allow it more time with the connection's retryFor (seconds)."
        restart = restart if waited else ""
        if _is_tls_error(exc):
            return TransportError(
                f"The TLS connection to {where} failed: {text}",
                hint="Either the certificate is not trusted (expired, self-signed, or for another "
                "host name) or the port does not serve https. Fix the certificate or the URL; the "
                "connector always verifies TLS.",
            )
        if isinstance(exc, httpx.TimeoutException):
            return TransportError(
                f"Odoo at {where} did not answer within {self.deadline:g} s "
                f"({type(exc).__name__}){waited or '.'}",
                hint="The server is slow or unreachable. Try again later, ask for fewer records "
                "per call (a smaller limit), or allow more time with the connection's timeout." + restart,
            )
        if isinstance(exc, httpx.ConnectError):
            return TransportError(
                f"Could not connect to {where}: {text}{waited}",
                hint="Check the base URL and port, and that the server is running and reachable "
                "from this machine." + restart,
            )
        if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
            return TransportError(
                f"The connection to {where} was lost before Odoo answered: {text}{waited}",
                hint="Odoo may have restarted or a proxy dropped the connection. Try again; a "
                "write may have run, so check in Odoo before sending it again." + restart,
            )
        return TransportError(f"The request to {where} failed: {text}{waited}")


def _retry_reason(exc: httpx.HTTPError, idempotent: bool) -> str | None:
    """Why ``exc`` may be retried, in a few words for the log; None when it must not be.

    Safe whatever the method: the connection was never made (not a TLS failure: that is
    settings, not luck). Safe for reads only: the request may have reached Odoo (a timeout, the
    connection dropped while waiting for the answer, as when Odoo is stopped mid-request)."""
    if isinstance(exc, httpx.ConnectError):
        return None if _is_tls_error(exc) else "could not connect"
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return "connecting timed out"
    if not idempotent:
        return None
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        return "the connection was lost"
    return None


def _is_tls_error(exc: Exception) -> bool:
    text = str(exc).upper()
    return "CERTIFICATE" in text or "SSL" in text or "TLS" in text
