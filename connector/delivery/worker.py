"""The delivery worker: claims outbox rows, signs and posts them, settles the result.

Run it as its own process (``connector worker``) beside gunicorn; several workers may
share one database, since every row is leased before it is sent.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..store import outbox, subscriptions
from ..store.database import now_ms
from ..store.keyring import Keyring
from . import signing
from .targets import TargetPolicy, guarded_session, read_capped, refusal_of

log = logging.getLogger(__name__)

#: Attempts before a delivery is dead-lettered. With the backoff below they span
#: about two and a half hours on average and at most about five.
MAX_ATTEMPTS = 15
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 3600.0
#: Longest Retry-After from a subscriber that we honour as given.
RETRY_AFTER_CAP_S = 3600
#: After this many failures in a row a subscriber gets one probe per
#: BREAKER_PAUSE_MS instead of its whole backlog (field case B22).
BREAKER_FAILURES = 20
BREAKER_PAUSE_MS = 60_000
#: How much of a subscriber's answer we read; the rest is not our business.
RESPONSE_CAP_BYTES = 4096


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """Delay before the next try, after ``attempts`` failed ones.

    Full jitter (uniform between zero and the exponential bound) spreads retries out,
    so a subscriber coming back from an outage is not hit by synchronised bursts
    (field case B22). One second is the floor so a retry is never immediate.
    """
    bound = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(attempts - 1, 0))
    return 1.0 + (rng or random).uniform(0, bound)


class DeliveryWorker:
    """Delivers queued events to subscribers until told to stop."""

    def __init__(
        self,
        engine: Engine,
        keyring: Keyring,
        *,
        concurrency: int = 8,
        per_target: int = 2,
        lease_ms: int = 60_000,
        poll_interval: float = 0.2,
        timeout: tuple[float, float] = (5.0, 10.0),
        user_agent: str = "retell-connector",
        targets: TargetPolicy | None = None,
    ) -> None:
        self.engine = engine
        self.keyring = keyring
        self.concurrency = concurrency
        self.per_target = per_target
        # One subscriber's share on top of ``concurrency``: a subscriber that answers
        # slowly then holds its per_target slots out of the spare ones rather than
        # out of what the others share, so one slow subscriber no longer slows the
        # rest (field case B22). Two slow ones at once still cost the others.
        self.slots = concurrency + per_target
        self.lease_ms = lease_ms
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.user_agent = user_agent
        # Every connection re-checks where it really goes (SSRF, DNS rebinding);
        # redirects are never followed.
        self.session = guarded_session(targets or TargetPolicy())
        self._busy: dict[str, int] = {}
        self._lock = threading.Lock()
        # Set whenever a send finishes, so a worker whose slots were all busy claims
        # the next delivery at once instead of after a poll interval.
        self._freed = threading.Event()
        # Successful sends not yet recorded, with their status. In run() they are
        # written with the next claim, in its transaction: one commit for a batch
        # instead of one per delivery. Until then each row stays leased, so none
        # is sent again unless this worker dies first (at-least-once, as always).
        self._delivered: list[tuple[outbox.Delivery, int]] | None = None

    def run(self, stop: threading.Event) -> None:
        """Claim and deliver until ``stop`` is set; waits for sends under way."""
        self._delivered = []
        try:
            with ThreadPoolExecutor(self.slots, "delivery") as pool:
                failures = 0
                while not stop.is_set():
                    self._freed.clear()
                    free = self.slots - sum(self._busy.values())
                    try:
                        claimed = self._claim(free)
                    except SQLAlchemyError as err:
                        # A dropped connection or a lock held too long must not
                        # end the loop while the process lives on (nothing would
                        # restart it): wait, then claim again. Rows in hand keep
                        # their leases; what was sent is recorded next time.
                        failures += 1
                        pause = min(self.poll_interval * 2**failures, 30.0)
                        log.warning(
                            "claiming deliveries failed (%s); retrying in %.1f s",
                            type(err).__name__,
                            pause,
                        )
                        stop.wait(pause)
                        continue
                    failures = 0
                    for delivery in claimed:
                        pool.submit(self._send_and_release, delivery)
                    if not claimed:
                        # Nothing due, or every slot busy: poll again, or sooner
                        # when a send finishes.
                        self._freed.wait(self.poll_interval)
        finally:
            try:
                outbox.record_delivered(self.engine, self._take_delivered())
            except SQLAlchemyError:
                # Their leases run out and they are sent again: at least once.
                log.warning("could not record the last deliveries at shutdown")
            self._delivered = None
            self.session.close()

    def _take_delivered(self) -> list[tuple[outbox.Delivery, int]]:
        with self._lock:
            taken, self._delivered = self._delivered or [], []
        return taken

    def run_once(self) -> int:
        """Deliver what is due now, one at a time; returns how many were tried."""
        claimed = self._claim(self.concurrency)
        for delivery in claimed:
            self._send_and_release(delivery)
        return len(claimed)

    def _claim(self, limit: int) -> list[outbox.Delivery]:
        # The lock guards the in-flight counts and the unrecorded sends, not the
        # claim itself: sends that finish meanwhile must not wait for the
        # database. The counts may only fall while the claim runs, so claiming
        # against this snapshot never exceeds per_target.
        with self._lock:
            delivered = self._delivered or []
            if limit <= 0 and not delivered:
                return []
            if self._delivered is not None:
                self._delivered = []
            busy = dict(self._busy)
        try:
            claimed = outbox.claim(
                self.engine,
                limit=max(limit, 0),
                lease_ms=self.lease_ms,
                busy=busy,
                per_target=self.per_target,
                delivered=delivered,
            )
        except Exception:
            # Not recorded: keep them for the next try, not to send them again.
            with self._lock:
                if self._delivered is not None:
                    self._delivered[:0] = delivered
            raise
        with self._lock:
            for delivery in claimed:
                key = delivery.subscription_id
                self._busy[key] = self._busy.get(key, 0) + 1
        return claimed

    def _send_and_release(self, delivery: outbox.Delivery) -> None:
        try:
            self.deliver(delivery)
        except Exception:
            # A bug here must not kill the worker thread; the lease expires and the
            # row is tried again, so nothing is lost.
            log.exception("delivery %s failed unexpectedly", delivery.message_id)
        finally:
            with self._lock:
                key = delivery.subscription_id
                self._busy[key] -= 1
                if not self._busy[key]:
                    del self._busy[key]
            self._freed.set()

    def deliver(self, delivery: outbox.Delivery) -> None:
        """Send one delivery and record what happened."""
        secret = self.keyring.open(delivery.secret_sealed)
        headers = signing.sign_headers(
            delivery.message_id, int(time.time()), delivery.body, [secret]
        )
        headers["Content-Type"] = "application/json; charset=utf-8"
        headers["User-Agent"] = self.user_agent
        started = time.monotonic()
        status, error, retry_after = None, None, None
        try:
            response = self.session.post(
                delivery.target_url,
                data=delivery.body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
            with response:
                status = response.status_code
                retry_after = _retry_after(response.headers.get("Retry-After"))
                snippet = read_capped(response, RESPONSE_CAP_BYTES)
            if not 200 <= status < 300:
                said = snippet[:200].decode("utf-8", "replace").strip()
                # An empty body would leave a dangling "HTTP 500:" in the console.
                error = f"HTTP {status}: {said}" if said else f"HTTP {status}"
        except requests.RequestException as err:
            refused = refusal_of(err)
            error = (
                f"refused: {refused.reason}"
                if refused
                else f"{type(err).__name__}: could not reach the subscriber"
            )
        elapsed = int((time.monotonic() - started) * 1000)
        log.info(
            "delivery message=%s subscription=%s attempt=%d status=%s ms=%d",
            delivery.message_id,
            delivery.subscription_id,
            delivery.attempts + 1,
            status,
            elapsed,
        )
        self._settle(delivery, status, error, retry_after)

    def _settle(self, delivery, status, error, retry_after) -> None:
        if status is not None and 200 <= status < 300:
            with self._lock:
                if self._delivered is not None:
                    self._delivered.append((delivery, status))
                    return
            outbox.settle(
                self.engine, delivery, state="delivered", status=status, error=None
            )
            return
        if status == 410:
            # 410 Gone is how Zapier and Make say the hook is switched off for good
            # (field case B12); other errors, 404 included, are retried.
            outbox.settle(
                self.engine, delivery, state="cancelled", status=status, error=error
            )
            subscriptions.remove(
                self.engine,
                delivery.account_id,
                delivery.subscription_id,
                reason="subscriber answered 410 Gone",
            )
            log.info("subscription %s removed: 410 Gone", delivery.subscription_id)
            return
        attempts = delivery.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            outbox.settle(
                self.engine,
                delivery,
                state="dead",
                status=status,
                error=error,
                breaker=(BREAKER_FAILURES, BREAKER_PAUSE_MS),
            )
            log.warning(
                "delivery %s dead-lettered after %d attempts",
                delivery.message_id,
                attempts,
            )
            return
        delay = backoff_seconds(attempts)
        if retry_after is not None:
            delay = max(delay, min(retry_after, RETRY_AFTER_CAP_S))
        outbox.settle(
            self.engine,
            delivery,
            state="pending",
            status=status,
            error=error,
            retry_at=now_ms() + int(delay * 1000),
            breaker=(BREAKER_FAILURES, BREAKER_PAUSE_MS),
        )


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        # The HTTP-date form is rare from webhook receivers; fall back to backoff.
        return None
