"""The one HTTP stack both transports share: timeouts, TLS, retries and transport errors live here.

Retrying is where "nothing duplicated" is won or lost. A request is retried only when Odoo
certainly did not run it (the connection was never made, or a 429 refused it) or when the method
is read-only (a 502/503/504 or a read timeout may hide a write that did happen: a ``create``
retried after a timeout could create the record twice).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .. import __version__
from ..errors import RateLimitedError, TransportError, redact

__all__ = ["DEFAULT_TIMEOUT", "USER_AGENT", "HttpSession", "parse_retry_after"]

log = logging.getLogger("odoo_connector.http")

USER_AGENT = f"odoo-connector/{__version__}"
# connect fast-fails an unreachable host; read is generous because Odoo may compute for a while
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=120.0, write=60.0, pool=10.0)
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

    ``secrets`` are scrubbed from every error this session raises.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        secrets: tuple[str, ...] = (),
        max_retries: int = 2,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.secrets = secrets
        self.max_retries = max_retries
        self.backoff = backoff
        self.sleep = sleep
        self.request_count = 0
        all_headers = {"User-Agent": USER_AGENT}
        all_headers.update(headers or {})
        self.client = httpx.Client(
            base_url=base_url,
            headers=all_headers,
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            verify=True,
            follow_redirects=False,
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
        while True:
            attempt += 1
            self.request_count += 1
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.ConnectError as exc:
                # The connection was never made: nothing ran on the server, safe to retry.
                if attempt <= self.max_retries and not _is_tls_error(exc):
                    self._wait(attempt, None)
                    continue
                raise self._transport_error(exc) from None
            except httpx.TimeoutException as exc:
                if attempt <= self.max_retries and (
                    idempotent or isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
                ):
                    self._wait(attempt, None)
                    continue
                raise self._transport_error(exc) from None
            except httpx.HTTPError as exc:
                raise self._transport_error(exc) from None
            if response.status_code == 429:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if attempt <= self.max_retries and (retry_after is None or retry_after <= _MAX_RETRY_AFTER):
                    self._wait(attempt, retry_after)
                    continue
                raise RateLimitedError(
                    f"Odoo answered 429 Too Many Requests for {method} {path}.",
                    status=429,
                    retry_after=retry_after,
                )
            if response.status_code in _RETRY_STATUSES and idempotent and attempt <= self.max_retries:
                self._wait(attempt, parse_retry_after(response.headers.get("Retry-After")))
                continue
            # The body is read; dropping the stream breaks the response <-> stream reference
            # cycle, so a page's body is freed when the caller drops it rather than at the next
            # garbage collection (bench/fetchall_memory.py: streaming peak +8 → +2.4 MiB).
            response.stream = httpx.ByteStream(b"")
            return response

    def _wait(self, attempt: int, retry_after: float | None) -> None:
        delay = retry_after if retry_after is not None else self.backoff * (2 ** (attempt - 1))
        log.info("retrying in %.1fs (attempt %d)", delay, attempt + 1)
        self.sleep(delay)

    def _transport_error(self, exc: httpx.HTTPError) -> TransportError:
        where = self.base_url
        text = redact(str(exc) or type(exc).__name__, self.secrets)
        if _is_tls_error(exc):
            return TransportError(
                f"The TLS connection to {where} failed: {text}",
                hint="Either the certificate is not trusted (expired, self-signed, or for another "
                "host name) or the port does not serve https. Fix the certificate or the URL; the "
                "connector always verifies TLS.",
            )
        if isinstance(exc, httpx.TimeoutException):
            return TransportError(
                f"Odoo at {where} did not answer in time ({type(exc).__name__}).",
                hint="The server is slow or unreachable. Try again later, or ask for fewer "
                "records per call (a smaller limit).",
            )
        if isinstance(exc, httpx.ConnectError):
            return TransportError(
                f"Could not connect to {where}: {text}",
                hint="Check the base URL and port, and that the server is running and reachable "
                "from this machine.",
            )
        return TransportError(f"The request to {where} failed: {text}")


def _is_tls_error(exc: Exception) -> bool:
    text = str(exc).upper()
    return "CERTIFICATE" in text or "SSL" in text or "TLS" in text
