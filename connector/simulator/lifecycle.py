"""The background side of the simulator: the call clock and webhook delivery.

Calls play out on a clock scaled by ``speed`` (speed 2 runs twice as fast):

* ordinary call: ``registered`` -(ring 1 s)-> ``ongoing`` [call_started]
  -(talk 3 s)-> ``ended`` [call_ended] -(1.5 s)-> [call_analyzed];
* dial failure: ``registered`` -(ring 1 s)-> ``not_connected`` [call_ended]
  -(1.5 s)-> [call_analyzed], and no call_started
  (https://docs.retellai.com/features/webhook-overview).

Webhooks leave from worker threads, never from a request thread. Events of one call
go out in order, one at a time; different calls do not wait for each other. Retell
retries a delivery up to 3 times when no 2xx arrives within the timeout (same doc);
it does not publish the spacing, so the simulator waits 1, 2 and 4 s (scaled).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from .signing import SIGNATURE_HEADER, signature_header

log = logging.getLogger(__name__)

RING_SECONDS = 1.0
TALK_SECONDS = 3.0
ANALYSIS_SECONDS = 1.5
WEBHOOK_RETRIES = 3
RETRY_BASE_SECONDS = 1.0
DELIVERY_WORKERS = 8


class Runner:
    """A single timer thread that runs callbacks on the scaled clock."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._busy = False

    def start(self) -> None:
        with self._cond:
            self._stopped = False
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="retell-simulator-clock", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def call_later(self, seconds: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` after ``seconds`` of simulated time."""
        due = time.monotonic() + seconds / self.speed
        with self._cond:
            if self._stopped:
                return
            heapq.heappush(self._heap, (due, next(self._order), callback))
            self._cond.notify_all()
        self.start()

    @property
    def idle(self) -> bool:
        with self._cond:
            return not self._heap and not self._busy

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    timeout = (
                        self._heap[0][0] - time.monotonic() if self._heap else None
                    )
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, callback = heapq.heappop(self._heap)
                self._busy = True
            try:
                callback()
            except Exception:  # one broken call must not stop every other call
                log.exception("simulated call step failed")
            finally:
                with self._cond:
                    self._busy = False


@dataclass
class Delivery:
    """One webhook event for one call, with its body frozen at event time."""

    url: str
    event: str
    call_id: str
    body: str
    key: str
    timeout: float
    record: Callable[[dict], None]


class Deliveries:
    """Sends webhooks from a small pool, in order per call."""

    def __init__(self, speed: float, clock: Callable[[], float] = time.time) -> None:
        self.speed = speed
        self.clock = clock
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Delivery]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        with self._lock:
            self._stopping.clear()
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    DELIVERY_WORKERS, thread_name_prefix="retell-simulator-webhook"
                )

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            pool, self._pool = self._pool, None
            self._queues.clear()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    @property
    def idle(self) -> bool:
        with self._lock:
            return not self._queues

    def enqueue(self, delivery: Delivery) -> None:
        """Queue ``delivery`` behind earlier events of the same call."""
        with self._lock:
            if self._stopping.is_set():
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    DELIVERY_WORKERS, thread_name_prefix="retell-simulator-webhook"
                )
            queue = self._queues.get(delivery.call_id)
            if queue is not None:
                queue.append(delivery)
                return
            self._queues[delivery.call_id] = deque([delivery])
            self._pool.submit(self._drain, delivery.call_id)

    def _drain(self, call_id: str) -> None:
        while not self._stopping.is_set():
            with self._lock:
                queue = self._queues.get(call_id)
                if not queue:
                    self._queues.pop(call_id, None)
                    return
                delivery = queue[0]
            try:
                self._send(delivery)
            except Exception:  # keep draining: later events must still go out
                log.exception("webhook delivery crashed")
            with self._lock:
                queue = self._queues.get(call_id)
                if queue:
                    queue.popleft()

    def _send(self, delivery: Delivery) -> None:
        for attempt in range(1 + WEBHOOK_RETRIES):
            if self._stopping.is_set():
                return
            status, error = self._attempt(delivery)
            delivery.record(
                {
                    "url": delivery.url,
                    "event": delivery.event,
                    "call_id": delivery.call_id,
                    "status": status,
                    "at_ms": int(self.clock() * 1000),
                    "attempt": attempt + 1,
                    "error": error,
                }
            )
            log.info(
                "webhook %s call=%s attempt=%d status=%s",
                delivery.event,
                delivery.call_id,
                attempt + 1,
                status if status is not None else error,
            )
            if status is not None and 200 <= status < 300:
                return
            if attempt < WEBHOOK_RETRIES:
                delay = RETRY_BASE_SECONDS * 2**attempt / self.speed
                if self._stopping.wait(delay):
                    return

    def _attempt(self, delivery: Delivery) -> tuple[int | None, str | None]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "retell-simulator",
            SIGNATURE_HEADER: signature_header(
                delivery.body, delivery.key, int(self.clock() * 1000)
            ),
        }
        try:
            with requests.Session() as session:
                # A proxy from the environment must never see loopback webhooks.
                session.trust_env = False
                response = session.post(
                    delivery.url,
                    data=delivery.body.encode("utf-8"),
                    headers=headers,
                    timeout=delivery.timeout,
                    allow_redirects=False,
                )
                response.close()
                return response.status_code, None
        except requests.Timeout:
            return None, "timeout"
        except requests.RequestException as exc:
            return None, type(exc).__name__
