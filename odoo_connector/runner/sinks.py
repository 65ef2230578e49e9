"""Where the runner delivers each poll's records: JSON lines on stdout, or a webhook.

A sink either delivers the whole poll or raises :class:`DeliveryError`; the runner saves the
trigger's state only after a delivery returned, so a failed delivery is repeated by the next
poll (at-least-once). A sink that fails half-way (some lines written, then a broken pipe) is
repeated whole: receivers must tolerate a record seen twice after a failure.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol, TextIO
from urllib.parse import urlsplit

import httpx

from ..client.http import USER_AGENT, deadline, make_http_client, parse_retry_after, timeouts
from ..errors import InputError

__all__ = ["DeliveryError", "Sink", "StdoutSink", "WebhookSink"]

log = logging.getLogger("odoo_connector.runner")

Records = list[dict[str, Any]]


class DeliveryError(Exception):
    """The poll's records did not (all) reach the sink; the state must not advance."""


class Sink(Protocol):
    def deliver(self, created: Records, updated: Records, stop: threading.Event) -> None:
        """Delivers one poll's records or raises DeliveryError; gives up early once ``stop`` is set."""

    def describe(self) -> str:
        """Where records go, safe to log (no credentials)."""

    def close(self) -> None: ...


class StdoutSink:
    """One JSON line per record, ``{"branch": "created"|"updated", "record": {…}}``, flushed per
    poll so a consumer reading the pipe sees each poll as soon as it is complete."""

    # Polls of many triggers share stdout (odoo-connector runner): one poll's lines stay together.
    _lock = threading.Lock()

    def __init__(self, stream: TextIO | None = None, *, trigger: str | None = None) -> None:
        self._stream = stream  # None: sys.stdout as it is at delivery time
        self._trigger = trigger  # the runner's trigger id, added to each line

    def deliver(self, created: Records, updated: Records, stop: threading.Event) -> None:
        stream = self._stream or sys.stdout
        head = {"trigger": self._trigger} if self._trigger else {}
        try:
            lines = [
                json.dumps({**head, "branch": branch, "record": record}, ensure_ascii=False, default=str)
                + "\n"
                for branch, records in (("created", created), ("updated", updated))
                for record in records
            ]
            with self._lock:
                stream.write("".join(lines))
                stream.flush()
        except (OSError, ValueError) as exc:  # a closed pipe or file
            raise DeliveryError(f"Could not write the records to stdout: {exc}") from exc

    def describe(self) -> str:
        return "stdout (JSON lines)"

    def close(self) -> None:
        pass


# Statuses worth another try within the same poll: the receiver is busy or briefly broken. Any
# other failure (a 400, a 404, a redirect) will not heal in seconds; the next poll tries again.
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class WebhookSink:
    """One POST per poll with changes, body ``{"created": […], "updated": […]}``.

    Retries transport errors and busy statuses with exponential backoff, at most ``attempts``
    requests per poll, each bounded by ``timeout`` seconds in all (an overall deadline, not a
    per-read timeout), so a dead or dripping receiver delays the schedule by a bounded time. Polls with no
    records send nothing: an empty POST every interval would only be noise for the receiver.
    The URL may carry a token, so only its scheme and host are ever logged.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        attempts: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(
                "The --webhook URL must start with https:// or http:// and name a host.", path="webhook"
            )
        self.url = url
        self.where = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self.timeout = timeout
        self._client = make_http_client(
            timeout=timeouts(timeout),
            transport=transport,
            # the runner names the trigger, so one receiver URL can serve many triggers
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **(headers or {})},
        )

    def deliver(self, created: Records, updated: Records, stop: threading.Event) -> None:
        self.post({"created": created, "updated": updated}, stop)

    def post(self, branches: dict[str, Records], stop: threading.Event) -> None:
        """One POST of ``branches`` (nothing when every branch is empty), retried as the class
        says; the one retry loop for every webhook delivery (the instant trigger's adds
        ``deleted``)."""
        if not any(branches.values()):
            return
        body = json.dumps(branches, ensure_ascii=False, default=str)
        last = ""
        for attempt in range(1, self.attempts + 1):
            retry_after: float | None = None
            try:
                with deadline(self.timeout):  # the whole POST, however slowly the receiver answers
                    response = self._client.post(self.url, content=body.encode("utf-8"))
            except httpx.HTTPError as exc:
                last = type(exc).__name__  # not str(exc): it may quote the URL and its token
            else:
                if response.is_success:
                    return
                last = f"HTTP {response.status_code}"
                if response.status_code not in _RETRY_STATUSES:
                    raise DeliveryError(f"The webhook at {self.where} refused the records ({last}).")
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if attempt == self.attempts:
                break
            wanted = retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
            delay = min(wanted, self.max_backoff)
            log.debug("webhook %s: %s, retrying in %.1fs", self.where, last, delay)
            if self._wait(delay, stop):
                raise DeliveryError(f"Stopped while retrying the webhook at {self.where} ({last}).")
        raise DeliveryError(f"The webhook at {self.where} failed {self.attempts} times (last: {last}).")

    def _wait(self, delay: float, stop: threading.Event) -> bool:
        """Sleeps between attempts; True when a stop was asked for meanwhile."""
        if self._sleep is not None:
            self._sleep(delay)
            return stop.is_set()
        return stop.wait(delay)

    def describe(self) -> str:
        return f"webhook {self.where}"

    def close(self) -> None:
        self._client.close()
