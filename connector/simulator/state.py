"""Everything the simulator remembers, behind one lock.

Requests arrive on a threaded server while the clock thread moves calls along, so
every read and write of workspace data happens under :attr:`SimulatorState.lock`.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from . import calls
from .calls import CallRecord
from .config import SimulatorConfig, Workspace
from .destinations import DIAL_FAILURES
from .lifecycle import (
    ANALYSIS_SECONDS,
    RING_SECONDS,
    TALK_SECONDS,
    Deliveries,
    Delivery,
    Runner,
)
from .seed import seed_agents, seed_numbers
from .signing import compact_json

DEFAULT_WEBHOOK_EVENTS = frozenset({"call_started", "call_ended", "call_analyzed"})

# Retell keeps an idempotency_key for one hour (retell-sdk 6.2.13,
# ``call_create_phone_call_params.py``).
IDEMPOTENCY_WINDOW_MS = 3_600_000


class WorkspaceState:
    """The calls, agents, numbers and logs of one workspace."""

    def __init__(self, index: int, config: Workspace, now_ms: int) -> None:
        self.index = index
        self.config = config
        self.agents = seed_agents(config.api_keys[0], now_ms)
        self.numbers = seed_numbers(config.api_keys[0], now_ms)
        self.calls: dict[str, CallRecord] = {}
        self.idempotency: dict[str, tuple[str, int]] = {}
        self.rate_limited_once: set[str] = set()
        self.create_times: deque[float] = deque()
        self.requests: list[dict[str, Any]] = []
        self.webhooks: list[dict[str, Any]] = []
        self.sequence = 0

    def agent_by_slug(self, slug: str) -> dict[str, Any]:
        """The seed agent called ``slug`` (``reminder`` or ``qualifier``)."""
        return next(a for a in self.agents.values() if a["slug"] == slug)


class SimulatorState:
    """The simulator's memory, its clock thread and its webhook senders."""

    def __init__(
        self, config: SimulatorConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        now_ms = self.now_ms()
        self.workspaces = [
            WorkspaceState(index, workspace, now_ms)
            for index, workspace in enumerate(config.workspaces)
        ]
        self._by_key = {
            key: workspace
            for workspace in self.workspaces
            for key in workspace.config.api_keys
        }
        self.runner = Runner(config.speed)
        self.deliveries = Deliveries(config.speed, lambda: self.clock())

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def workspace_for_key(self, key: str | None) -> WorkspaceState | None:
        """The workspace ``key`` belongs to, or None for an unknown key."""
        if not key:
            return None
        return self._by_key.get(key)

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Start the clock thread and the webhook senders (idempotent)."""
        self.deliveries.start()
        self.runner.start()

    def stop(self) -> None:
        """Stop both; pending steps and deliveries are dropped."""
        self.runner.stop()
        self.deliveries.stop()

    @property
    def idle(self) -> bool:
        """True when no call step is pending and no webhook is in flight."""
        return self.runner.idle and self.deliveries.idle

    def wait_idle(self, timeout: float) -> bool:
        """Block until :attr:`idle` or ``timeout`` seconds; return whether idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle:
                return True
            time.sleep(0.01)
        return self.idle

    def play(self, workspace: WorkspaceState, record: CallRecord) -> None:
        """Schedule the whole life of a freshly registered call."""
        reason = DIAL_FAILURES.get(record.behaviour or "")
        if reason is None:
            step = lambda: self._answer(workspace, record)  # noqa: E731
        else:
            step = lambda: self._dial_failed(workspace, record, reason)  # noqa: E731
        self.runner.call_later(RING_SECONDS, step)

    def _answer(self, workspace: WorkspaceState, record: CallRecord) -> None:
        with self.lock:
            number = workspace.numbers.get(record.call["from_number"], {})
            twilio = number.get("phone_number_type") == "retell-twilio"
            calls.start(record.call, self.now_ms(), twilio)
            self._notify(workspace, record, "call_started", record.call)
        self.runner.call_later(TALK_SECONDS, lambda: self._hang_up(workspace, record))

    def _hang_up(self, workspace: WorkspaceState, record: CallRecord) -> None:
        # Alternate who hangs up so receivers see both common reasons.
        hangup = "user_hangup" if record.sequence % 2 else "agent_hangup"
        with self.lock:
            calls.end(record, self.now_ms(), hangup)
            self._notify(workspace, record, "call_ended", record.call)
        self.runner.call_later(
            ANALYSIS_SECONDS, lambda: self._analyse(workspace, record)
        )

    def _dial_failed(
        self, workspace: WorkspaceState, record: CallRecord, reason: str
    ) -> None:
        with self.lock:
            calls.fail(record, self.now_ms(), reason)
            self._notify(workspace, record, "call_ended", record.call)
        self.runner.call_later(
            ANALYSIS_SECONDS, lambda: self._analyse(workspace, record)
        )

    def _analyse(self, workspace: WorkspaceState, record: CallRecord) -> None:
        with self.lock:
            record.call["call_analysis"] = calls.analysis(record)
            self._notify(workspace, record, "call_analyzed", record.call)

    def _notify(
        self,
        workspace: WorkspaceState,
        record: CallRecord,
        event: str,
        call: dict[str, Any],
    ) -> None:
        events = record.webhook_events or DEFAULT_WEBHOOK_EVENTS
        # An agent-level URL replaces the account URL for that agent's calls
        # (https://docs.retellai.com/features/webhook-overview).
        url = record.webhook_url or workspace.config.webhook_url
        if event not in events or not url:
            return
        snapshot = copy.deepcopy(call)
        if event != "call_analyzed":
            snapshot = calls.without_analysis(snapshot)

        def remember(entry: dict[str, Any]) -> None:
            with self.lock:
                workspace.webhooks.append(entry)

        self.deliveries.enqueue(
            Delivery(
                url=url,
                event=event,
                call_id=call["call_id"],
                body=compact_json({"event": event, "call": snapshot}),
                key=workspace.config.webhook_key or workspace.config.api_keys[0],
                timeout=record.webhook_timeout or self.config.webhook_timeout,
                record=remember,
            )
        )
