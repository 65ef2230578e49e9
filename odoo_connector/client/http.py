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

Every request made here has an overall deadline (:mod:`.deadline`). :meth:`HttpSession.send` is
the one way out: the wires, portal PDFs and rawHttpRequest all use it, with options per request.
This module is over 400 lines because the retry policy and its wording are one concern: split,
the rule "what may be sent again" would be read in two places.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .. import __version__
from ..errors import OdooRequestError, RateLimitedError, TransportError, redact
from .deadline import current_end, deadline, make_http_client, timeouts

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_RETRY_FOR",
    "READ_ONLY_METHODS",
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


@dataclass(frozen=True)
class _Options:
    """What one :meth:`HttpSession.send` asks beyond the method, path and body."""

    auth: bool
    cookies: bool
    deadline: float
    what: str | None
    timeout_hint: str | None
    read: Callable[[httpx.Response], bytes] | None


class _RedactHttpxLog(logging.Filter):
    """httpx logs every request's URL at INFO ("HTTP Request: GET /my/orders/3?access_token=…"):
    in a host application that logs INFO, that line would carry a registered secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        return True


_HTTPX_LOG = logging.getLogger("httpx")


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

    def send(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool = False,
        retry: bool = True,
        auth: bool = True,
        cookies: bool = True,
        redirects: int = 0,
        deadline: float | None = None,
        what: str | None = None,
        timeout_hint: str | None = None,
        read: Callable[[httpx.Response], bytes] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Sends one request; every request to Odoo goes through here. Options per request:

        * ``retry`` (default): the retry policy above, ``idempotent`` saying whether a request
          that may have reached Odoo can be sent again. ``retry=False`` makes one attempt (the
          raw request action has retries of its own; a portal PDF is not worth a second render).
        * ``auth=False``: without the connection's Authorization header (a portal link carries
          its own token); ``cookies=False``: no cookie sent, and none the answer sets kept.
        * ``redirects``: how many redirects to follow, each only to this session's own origin
          (another origin is refused, so the credentials never leave the Odoo server); 0 returns
          the redirect as the answer.
        * ``deadline``: this request's overall deadline in seconds (default: the connection's).
        * ``what`` (e.g. ``"GET /my/orders/3"``, no secret in it) and ``timeout_hint`` word the
          error of a failed attempt; without ``what`` the error names the server.
        * ``read``: the body is streamed and ``read(response)`` takes what it wants of it (a
          size cap); the answer returned holds those bytes.

        Raises TransportError or RateLimitedError; returns any other answer, error statuses
        included, for the caller to map with Odoo's own message (:mod:`.mapping`)."""
        options = _Options(auth, cookies, deadline or self.deadline, what, timeout_hint, read)
        if not retry:
            return self._follow(method, path, redirects, options, kwargs)
        attempt = 0
        limited = 0  # 429s waited for
        failing_since: float | None = None  # when the current run of failures began
        outer_end = current_end()  # an enclosing deadline
        while True:
            attempt += 1
            try:
                response = self._follow(method, path, redirects, options, kwargs, raw=True)
            except httpx.HTTPError as exc:
                reason = _retry_reason(exc, idempotent)
                if reason is not None:
                    failing_since = self.clock() if failing_since is None else failing_since
                    wait = self._next_wait(attempt, failing_since, None, outer_end)
                    if wait is not None:
                        self._wait(method, path, reason, wait, attempt)
                        continue
                raise self._transport_error(exc, failing_since, options) from None
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
            return response

    def request(self, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> httpx.Response:
        """:meth:`send` with the retry policy: the call every wire makes."""
        return self.send(method, path, idempotent=idempotent, **kwargs)

    def _follow(
        self,
        method: str,
        path: str,
        redirects: int,
        options: _Options,
        kwargs: dict[str, Any],
        *,
        raw: bool = False,
    ) -> httpx.Response:
        """One attempt, following up to ``redirects`` same-origin redirects. ``raw`` lets httpx's
        errors through (the retry loop decides on them); otherwise they become TransportError."""
        url = path
        for _ in range(redirects + 1):
            try:
                response = self._once(method, url, options, kwargs)
            except httpx.HTTPError as exc:
                if raw:
                    raise
                raise self._transport_error(exc, None, options) from None
            if not (redirects and response.is_redirect):
                return response
            url = self._redirect_target(url, response)
            if response.status_code in (301, 302, 303):
                method, kwargs = "GET", {"headers": kwargs.get("headers")}
        raise TransportError(f"More than {redirects} redirects for {url}.")

    def _redirect_target(self, url: str, response: httpx.Response) -> str:
        location = response.headers.get("Location", "")
        origin = httpx.URL(self.base_url)
        try:
            target = origin.join(url).join(location)
        except httpx.InvalidURL:
            raise OdooRequestError(
                f"The server redirected to a location that is not a valid URL ({location[:100]!r}).",
                status=response.status_code,
            ) from None
        if (target.scheme, target.host, target.port) != (origin.scheme, origin.host, origin.port):
            port = f":{target.port}" if target.port else ""
            raise OdooRequestError(
                f"The server redirected to another origin ({target.scheme}://{target.host}{port}); the "
                "redirect was not followed so the API key stays with the Odoo server.",
                hint="Request the final path directly.",
                status=response.status_code,
            )
        return str(target)

    def _once(self, method: str, url: str, options: _Options, kwargs: dict[str, Any]) -> httpx.Response:
        """Exactly one HTTP exchange within ``options.deadline``, counted."""
        self.request_count += 1
        if options.deadline != self.deadline:
            kwargs = {**kwargs, "timeout": timeouts(options.deadline)}
        plain = options.auth and options.cookies and options.read is None
        with deadline(options.deadline):
            if plain:
                response = self.client.request(method, url, **kwargs)
            else:
                response = self._special(method, url, options, kwargs)
        # The body is read; dropping the stream breaks the response <-> stream reference
        # cycle, so a page's body is freed when the caller drops it rather than at the next
        # garbage collection (bench/fetchall_memory.py: streaming peak +8 → +2.4 MiB).
        response.stream = httpx.ByteStream(b"")
        return response

    def _special(self, method: str, url: str, options: _Options, kwargs: dict[str, Any]) -> httpx.Response:
        """An exchange without the session's credentials or cookies, or with a streamed body.
        httpx's own log line of it is redacted (a portal link carries its token in the URL)."""
        quiet = _RedactHttpxLog()
        _HTTPX_LOG.addFilter(quiet)
        try:
            return self._special_exchange(method, url, options, kwargs)
        finally:
            _HTTPX_LOG.removeFilter(quiet)

    def _special_exchange(
        self, method: str, url: str, options: _Options, kwargs: dict[str, Any]
    ) -> httpx.Response:
        request = self.client.build_request(method, url, **kwargs)
        if not options.auth:
            request.headers.pop("Authorization", None)
        saved = None
        if not options.cookies:
            request.headers.pop("Cookie", None)
            saved = list(self.client.cookies.jar)
        try:
            response = self.client.send(request, follow_redirects=False, stream=options.read is not None)
            if options.read is None:
                return response
            try:
                body = options.read(response)
            finally:
                response.close()
            return httpx.Response(
                response.status_code, headers=response.headers, content=body, request=request
            )
        finally:
            if saved is not None:
                self.client.cookies.jar.clear()
                for cookie in saved:
                    self.client.cookies.jar.set_cookie(cookie)

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

    def _transport_error(
        self, exc: httpx.HTTPError, failing_since: float | None = None, options: _Options | None = None
    ) -> TransportError:
        self._gave_up(failing_since)
        where = self.base_url
        text = redact(str(exc) or type(exc).__name__, self.secrets)
        seconds = options.deadline if options else self.deadline
        if options is not None and options.what is not None:
            # a request the caller named (rawHttpRequest, a portal PDF): one attempt, its words
            if isinstance(exc, httpx.TimeoutException) and not _is_tls_error(exc):
                return TransportError(
                    f"{options.what} did not complete within {seconds:g} s ({type(exc).__name__}).",
                    hint=options.timeout_hint,
                )
            return TransportError(f"{options.what} failed: {text}")
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
            late = TransportError(
                f"Odoo at {where} did not answer within {seconds:g} s "
                f"({type(exc).__name__}){waited or '.'}",
                hint="The server is slow or unreachable. Try again later, ask for fewer records "
                "per call (a smaller limit), or allow more time with the connection's timeout." + restart,
            )
            late.timed_out = True
            return late
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
