"""A store filled with known rows, for the metrics and replay tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from connector.store import accounts
from connector.store.database import now_ms
from connector.store.keyring import Keyring
from connector.store.tables import events, job_rows, jobs, outbox, subscriptions

SECRET_KEY = "observability-test-secret"
KEY = "key_observability_0001"
OTHER_KEY = "key_observability_0002"

#: What seed() stores, so that the tests can state what the metrics must say.
EVENTS = {"call_started": 3, "call_ended": 2, "call_analyzed": 1}
#: (account, subscription, state) of each outbox row.
DELIVERIES = [
    ("mine", "sub_a", "pending"),
    ("mine", "sub_a", "pending"),
    ("mine", "sub_a", "delivered"),
    ("mine", "sub_a", "dead"),
    ("mine", "sub_a", "dead"),
    ("mine", "sub_b", "dead"),
    ("mine", "sub_b", "cancelled"),
    ("other", "sub_c", "dead"),
]
SUBSCRIPTIONS = {
    "sub_a": ("mine", "call_ended"),
    "sub_b": ("mine", "call_started"),
    "sub_c": ("other", "call_ended"),
}
JOB_ROWS = ["pending", "pending", "sending", "done", "failed"]
#: How long ago the oldest pending delivery was queued.
OLDEST_PENDING_S = 90


@dataclass(frozen=True)
class Seeded:
    mine: str
    other: str


def seed(engine: Engine) -> Seeded:
    """Two accounts with subscriptions, events, deliveries and a bulk job."""
    keyring = Keyring(SECRET_KEY)
    owners = {
        "mine": accounts.remember(engine, keyring, KEY),
        "other": accounts.remember(engine, keyring, OTHER_KEY),
    }
    now = now_ms()
    with engine.begin() as conn:
        for sub_id, (owner, trigger) in SUBSCRIPTIONS.items():
            conn.execute(
                subscriptions.insert().values(
                    id=sub_id,
                    account_id=owners[owner],
                    trigger=trigger,
                    target_url=f"https://hooks.example.test/{sub_id}",
                    secret_sealed=keyring.seal("whsec_test"),
                    filters="{}",
                    created_at=now,
                    consecutive_failures=0,
                )
            )
        event_ids = []
        for event, count in EVENTS.items():
            for number in range(count):
                event_ids.append(
                    conn.execute(
                        events.insert().values(
                            account_id=owners["mine"],
                            call_id=f"call_{number}",
                            event=event,
                            output="{}",
                            received_at=now,
                        )
                    ).inserted_primary_key[0]
                )
        for number, (owner, sub_id, state) in enumerate(DELIVERIES):
            # The first pending row is the oldest; the others are newer.
            created = now - OLDEST_PENDING_S * 1000 if number == 0 else now - 1000
            conn.execute(
                outbox.insert().values(
                    message_id=f"msg_{number}",
                    account_id=owners[owner],
                    subscription_id=sub_id,
                    event_id=event_ids[0],
                    state=state,
                    attempts=0 if state == "pending" else 8,
                    next_attempt_at=now,
                    created_at=created,
                    finished_at=None if state == "pending" else now,
                )
            )
        conn.execute(
            jobs.insert().values(
                id="job_1",
                account_id=owners["mine"],
                state="running",
                total=len(JOB_ROWS),
                created_at=now,
            )
        )
        for idx, state in enumerate(JOB_ROWS):
            conn.execute(
                job_rows.insert().values(
                    job_id="job_1",
                    idx=idx,
                    state=state,
                    input="{}",
                    idempotency_key=f"job_1-{idx}",
                    next_attempt_at=now,
                    updated_at=now,
                )
            )
    return Seeded(mine=owners["mine"], other=owners["other"])
