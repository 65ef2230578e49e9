"""The webhook listener's posts between their answer and their records: gathered, confirmed in
batches by a worker thread, kept when that fails; and the log of refused posts.

Odoo posts inside its user's request and waits for each answer, so a post is answered as soon as
it is queued; reading the records back from Odoo, delivering and saving happen here, later. A
burst arrives one post at a time (12 ms apart on a real Odoo 19), so a batch closes only after
:data:`GATHER_QUIET` seconds without a post, or :data:`GATHER_MAX` after its first: a burst of
500 creates becomes a read per second of burst, while a lone change waits 50 ms.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from ..triggers.webhook_posts import Hint

__all__ = ["GATHER_MAX", "GATHER_QUIET", "PENDING_BYTES", "PENDING_MAX", "PostQueue", "Refusals"]

log = logging.getLogger("odoo_connector.runner")

GATHER_QUIET = 0.05
GATHER_MAX = 1.0
# Posts waiting, and bytes of deletion bodies they keep; past either, a post is refused (503)
# and the reconciliation poll catches up (a flood of forged deletions must not fill memory).
PENDING_MAX = 100_000
PENDING_BYTES = 64 * 1024 * 1024
# Wait before trying a failed batch again, doubled up to the maximum.
RETRY_FIRST, RETRY_MAX = 1.0, 30.0


class Refusals:
    """Refused posts, logged once per streak: the first with its reason, then, when a post is
    accepted (or at each reconciliation, or at the stop), one line with the count by status. A
    forged flood was 9 000 WARNING lines in 10 s when each refusal had its own."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._lock = threading.Lock()
        self._counts: Counter[int] = Counter()
        self._since = 0.0

    def add(self, status: int, message: str) -> None:
        with self._lock:
            first = not self._counts
            self._counts[status] += 1
            if first:
                self._since = time.monotonic()
        if first:
            log.warning(
                "%s: refused a post, answered %d: %s (more refusals are counted, not logged, until a "
                "post is accepted)",
                self.label,
                status,
                message,
            )

    def end(self) -> None:
        """Ends the streak: logs how many were refused since its first line, if more than one."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            since = self._since
        if sum(counts.values()) > 1:
            log.warning(
                "%s: refused %d posts in %.0f s (%s)",
                self.label,
                sum(counts.values()),
                time.monotonic() - since,
                ", ".join(f"{n} answered {status}" for status, n in sorted(counts.items())),
            )


class PostQueue:
    """Hints waiting for ``confirm(batch)``, which returns False when the batch must be tried
    again (Odoo or the sink unreachable): it is put back and retried after 1 s, then up to every
    30 s, so a deletion (which no poll can find) survives a short outage."""

    def __init__(self, label: str, confirm: Callable[[list[Hint]], bool]) -> None:
        self.label = label
        self._confirm = confirm
        self._pending: list[Hint] = []
        self._bytes = 0
        self._arrived = threading.Condition()
        self._first_at = self._last_at = 0.0
        self._closing = False
        self._worker: threading.Thread | None = None

    def start(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="webhook-posts", daemon=True)
            self._worker.start()

    def put(self, hint: Hint) -> bool:
        """Queues ``hint``; False when the queue is full."""
        with self._arrived:
            if len(self._pending) >= PENDING_MAX or self._bytes + hint.size > PENDING_BYTES:
                return False
            now = time.monotonic()
            if not self._pending:
                self._first_at = now
            self._last_at = now
            self._pending.append(hint)
            self._bytes += hint.size
            self._arrived.notify_all()
            return True

    def put_back(self, batch: list[Hint]) -> None:
        """A batch that could not be confirmed, ahead of what arrived meanwhile."""
        with self._arrived:
            self._pending[:0] = batch
            self._bytes += sum(hint.size for hint in batch)
            self._first_at = self._last_at = time.monotonic()

    def close(self, timeout: float = 30.0) -> None:
        """Lets the worker confirm what is queued (one try each), then end."""
        with self._arrived:
            self._closing = True
            self._arrived.notify_all()
        if self._worker is not None:
            self._worker.join(timeout)

    def _work(self) -> None:
        delay = 0.0
        while True:
            batch = self._next_batch(delay)
            if batch is None:
                return
            if self._confirm(batch):
                delay = 0.0
            elif self._closing:
                with self._arrived:
                    left, self._pending, self._bytes = self._pending, [], 0
                log.warning("%s: stopping with %d posts not confirmed", self.label, len(left))
                return
            else:
                delay = min(max(2 * delay, RETRY_FIRST), RETRY_MAX)

    def _next_batch(self, delay: float) -> list[Hint] | None:
        """Waits ``delay`` (after a failure), then for posts, then for the burst to pause; None
        once closing with nothing left."""
        with self._arrived:
            if delay:
                self._arrived.wait_for(lambda: self._closing, timeout=delay)
            self._arrived.wait_for(lambda: bool(self._pending) or self._closing)
            while self._pending and not self._closing:
                left = min(self._last_at + GATHER_QUIET, self._first_at + GATHER_MAX) - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            if not self._pending:
                return None
            batch, self._pending, self._bytes = self._pending, [], 0
            return batch
