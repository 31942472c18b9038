"""What keeps one partner, or one stranger, from crowding out everyone else at the TAXII door.

- Each partner has a request rate (a token bucket refilled at PUENTE_TAXII_PARTNER_REQUESTS_PER_MINUTE,
  holding a minute's worth): beyond it, 429 with Retry-After.
- Each partner may have PUENTE_TAXII_PARTNER_UPLOADS POSTs in progress at once (each at most
  PUENTE_TAXII_MAX_CONTENT_LENGTH bytes): one more is 429 at once, not queued to pile up memory.
- Failed logins are logged with the address and the name tried. From one address, after
  PUENTE_TAXII_FAILED_LOGINS_BEFORE_THROTTLE of them each further attempt must wait twice as long as
  the last (429 with Retry-After); after PUENTE_TAXII_FAILED_LOGINS_BEFORE_LOCKOUT the address is
  locked out for PUENTE_TAXII_LOCKOUT_MINUTES, whatever names it tries. A success starts it afresh.
The counts live in this process (each replica keeps its own) and are timed by the runtime's clock.
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from puente.server.taxii.responses import TaxiiError
from puente.services.clock import Clock
from puente.settings import Settings

log = logging.getLogger(__name__)

LONGEST_THROTTLE = timedelta(minutes=1)


def too_many(description: str, wait: timedelta) -> TaxiiError:
    seconds = max(1, math.ceil(wait.total_seconds()))
    return TaxiiError(
        429, "Too many requests", f"{description} Retry after {seconds} s.", {"Retry-After": str(seconds)}
    )


def tried(authorization: str | None) -> str:
    """Who a refused Authorization header claimed to be, fit for a log line."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return "malformed Basic credentials"
        return f"user {user[:64]!r}"
    if scheme.lower() in ("token", "bearer"):
        return "an API key"
    return "no credentials" if not scheme else f"scheme {scheme[:16]!r}"


@dataclass
class _Failures:
    count: int
    last: datetime


@dataclass
class _Bucket:
    tokens: float
    at: datetime


class Guards:
    """The limits of one TAXII server; thread-safe, as views run in worker threads."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, _Failures] = {}
        self._buckets: dict[int, _Bucket] = {}
        self._uploads: dict[int, int] = {}

    # ---- logins ------------------------------------------------------------------------------

    def before_login(self, address: str) -> None:
        """Refuse an address that is locked out or must still wait after its failed logins."""
        with self._lock:
            failures = self._failures.get(address)
            if failures is None:
                return
            wait = self._wait(failures) - (self.clock.now() - failures.last)
            if wait <= timedelta(0):
                return
        if failures.count >= self.settings.taxii_failed_logins_before_lockout:
            raise too_many(f"{failures.count} failed logins from {address}: locked out for a while.", wait)
        raise too_many(f"{failures.count} failed logins from {address}: slow down.", wait)

    def _wait(self, failures: _Failures) -> timedelta:
        settings = self.settings
        if failures.count >= settings.taxii_failed_logins_before_lockout:
            return timedelta(minutes=settings.taxii_lockout_minutes)
        beyond = failures.count - settings.taxii_failed_logins_before_throttle
        if beyond < 0:
            return timedelta(0)
        return min(LONGEST_THROTTLE, timedelta(seconds=2**beyond))

    def failed_login(self, address: str, who: str) -> None:
        now = self.clock.now()
        with self._lock:
            failures = self._failures.get(address)
            expired = failures is not None and now - failures.last > timedelta(
                minutes=self.settings.taxii_lockout_minutes
            )
            count = 1 if failures is None or expired else failures.count + 1
            self._failures[address] = _Failures(count, now)
        log.warning("failed TAXII login from %s with %s (%d in a row)", address, who, count)
        if count == self.settings.taxii_failed_logins_before_lockout:
            log.warning("TAXII logins from %s locked out for %d min", address, self.settings.taxii_lockout_minutes)

    def logged_in(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)

    # ---- a partner's requests ----------------------------------------------------------------

    def admit(self, partner_id: int, name: str) -> None:
        """Take one request from the partner's bucket, or refuse it with how long to wait."""
        per_minute = self.settings.taxii_partner_requests_per_minute
        now = self.clock.now()
        with self._lock:
            bucket = self._buckets.get(partner_id) or _Bucket(float(per_minute), now)
            elapsed = max(0.0, (now - bucket.at).total_seconds())
            bucket.tokens = min(float(per_minute), bucket.tokens + elapsed * per_minute / 60)
            bucket.at = now
            self._buckets[partner_id] = bucket
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return
            wait = timedelta(seconds=(1 - bucket.tokens) * 60 / per_minute)
        raise too_many(f"{name} is over its {per_minute} requests a minute.", wait)

    def uploads_in_progress(self, partner_id: int) -> int:
        """How many of the partner's POSTs hold an upload place now."""
        with self._lock:
            return self._uploads.get(partner_id, 0)

    @contextmanager
    def upload(self, partner_id: int, name: str) -> Iterator[None]:
        """Hold one of the partner's upload places for the duration of a POST."""
        allowed = self.settings.taxii_partner_uploads
        with self._lock:
            running = self._uploads.get(partner_id, 0)
            if running >= allowed:
                raise too_many(f"{name} already has {running} upload(s) in progress; at most {allowed}.", timedelta(0))
            self._uploads[partner_id] = running + 1
        try:
            yield
        finally:
            with self._lock:
                self._uploads[partner_id] -= 1
