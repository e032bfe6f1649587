"""Places the rows of bulk jobs, paced to each account's calls per second.

Runs in the worker process beside the delivery worker. Rows are leased like outbox
rows, so a runner that dies mid-row leaves it to the next one, which re-sends it
under the same Retell idempotency key: Retell then answers with the call it already
placed instead of calling the person again.
"""

from __future__ import annotations

import logging
import random
import threading
import time

from sqlalchemy import Engine

from ..errors import FatalError, RetriableError
from ..retell.client import RetellClient
from ..store import accounts, jobs, pacing
from ..store.database import now_ms
from ..store.keyring import Keyring

log = logging.getLogger(__name__)

#: Attempts for a row that Retell answers with a retriable error (429, 5xx).
MAX_ATTEMPTS = 5
#: A runner holds a row for at most this long waiting for its pacing slot; further
#: out, the row goes back to the queue and the runner serves another account.
HOLD_MS = 5_000


class BulkRunner:
    """Places queued rows until told to stop."""

    def __init__(
        self,
        engine: Engine,
        keyring: Keyring,
        retell: RetellClient,
        *,
        default_cps: float = 1.0,
        threads: int = 2,
        lease_ms: int = 60_000,
        poll_interval: float = 0.2,
    ) -> None:
        self.engine = engine
        self.keyring = keyring
        self.retell = retell
        self.default_cps = default_cps
        self.threads = threads
        self.lease_ms = lease_ms
        self.poll_interval = poll_interval

    def run(self, stop: threading.Event) -> None:
        """Place rows on ``threads`` threads until ``stop`` is set."""
        workers = [
            threading.Thread(target=self._loop, args=(stop,), name=f"bulk-{n}")
            for n in range(self.threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    def _loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                # A bug or a lost database must not end the thread; leases make
                # whatever was in hand due again.
                log.exception("bulk runner iteration failed")
                busy = False
            if not busy:
                stop.wait(self.poll_interval)

    def run_once(self) -> bool:
        """Place one due row; False when there was none."""
        row = jobs.claim(self.engine, lease_ms=self.lease_ms)
        if row is None:
            return False
        self.place(row)
        return True

    def place(self, row: jobs.Row) -> None:
        api_key = accounts.api_key(self.engine, self.keyring, row.account_id)
        if api_key is None:
            jobs.settle(
                self.engine,
                row,
                state="failed",
                errors=[
                    _error(
                        "account_unknown", "The account that queued this job is gone."
                    )
                ],
            )
            return
        wait = pacing.reserve(
            self.engine,
            row.account_id,
            max_wait_ms=HOLD_MS,
            default_cps=self.default_cps,
        )
        if wait is None:
            backlog = pacing.backlog_ms(self.engine, row.account_id)
            jobs.postpone(self.engine, row, now_ms() + backlog - HOLD_MS)
            return
        time.sleep(wait / 1000)
        try:
            call = self.retell.create_phone_call(
                api_key, row.input, before_retry=lambda: self._pace(row)
            )
        except FatalError as err:
            jobs.settle(
                self.engine, row, state="failed", errors=[_error(err.code, err.detail)]
            )
            log.info("bulk %s row %d refused: %s", row.job_id, row.idx, err.code)
        except RetriableError as err:
            if row.attempts + 1 >= MAX_ATTEMPTS:
                jobs.settle(
                    self.engine,
                    row,
                    state="failed",
                    errors=[_error(err.code, err.detail)],
                )
                return
            delay = 2**row.attempts + random.uniform(0, 1)
            retry_after = err.headers.get("Retry-After")
            if retry_after and retry_after.isdigit():
                delay = max(delay, int(retry_after))
            jobs.settle(
                self.engine,
                row,
                state="pending",
                errors=[_error(err.code, err.detail)],
                retry_at=now_ms() + int(delay * 1000),
            )
        else:
            jobs.settle(
                self.engine,
                row,
                state="done",
                result={
                    "call_id": call.get("call_id"),
                    "call_status": call.get("call_status"),
                },
            )

    def _pace(self, row: jobs.Row) -> None:
        """A pacing slot for a retry of the row, or a retriable error to try later."""
        wait = pacing.reserve(
            self.engine,
            row.account_id,
            max_wait_ms=HOLD_MS,
            default_cps=self.default_cps,
        )
        if wait is None:
            raise RetriableError(
                "The account's calls per second are booked; the row is retried later.",
                status=429,
                code="rate_limited",
            )
        time.sleep(wait / 1000)


def _error(code: str, message: str) -> dict:
    return {"field": "", "code": code, "message": message}
