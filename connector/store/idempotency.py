"""Idempotency keys: one result per (account, key), however often it is sent.

A key is reserved by a single INSERT before the action runs; the unique primary key
decides the race between concurrent requests on any worker or replica (field cases
B11, B20). The winner stores its result; the others replay it, or hear that it is
still running.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update

from .database import insert_ignoring_duplicates, now_ms, writing
from .tables import idempotency_keys

#: A reservation whose holder neither finished nor released it within this time is
#: taken to be abandoned (its process died), and the next request may run. Longer
#: than any create can take: at most 30 s for its pacing slot and the Retell
#: client's 45 s budget (connector.config.BOUNDS).
LOCK_MS = 90_000
#: How long a result is replayed; the platforms retry within minutes, Retell's own
#: key lasts an hour, and the contract promises a day.
KEEP_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Reservation:
    """What to do with a request: ``run`` it, ``replay`` a stored result, or refuse
    it as a ``conflict`` (other body) or ``in_progress`` (first still running)."""

    outcome: str
    status: int | None = None
    body: dict | None = None


def reserve(engine: Engine, account_id: str, key: str, fingerprint: str) -> Reservation:
    now = now_ms()
    if random.random() < 0.01:
        # Expired keys are swept now and then rather than by a separate job.
        with writing(engine) as conn:
            conn.execute(
                delete(idempotency_keys).where(idempotency_keys.c.expires_at < now)
            )
    row_values = {
        "account_id": account_id,
        "key": key,
        "fingerprint": fingerprint,
        "state": "running",
        "created_at": now,
        "locked_until": now + LOCK_MS,
        "expires_at": now + KEEP_MS,
    }
    with writing(engine) as conn:
        won = conn.execute(
            insert_ignoring_duplicates(engine, idempotency_keys)
            .values(**row_values)
            .returning(idempotency_keys.c.key)
        ).scalar()
        if won is not None:
            return Reservation("run")
        row = conn.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.account_id == account_id,
                idempotency_keys.c.key == key,
            )
        ).one()
        if row.expires_at < now or (row.state == "running" and row.locked_until < now):
            # An expired key may be used afresh; an abandoned reservation is taken
            # over, by a conditional update so only one request does.
            taken = conn.execute(
                update(idempotency_keys)
                .where(
                    idempotency_keys.c.account_id == account_id,
                    idempotency_keys.c.key == key,
                    idempotency_keys.c.locked_until == row.locked_until,
                    idempotency_keys.c.created_at == row.created_at,
                )
                .values(**row_values, status=None, response=None)
            ).rowcount
            return Reservation("run") if taken else Reservation("in_progress")
    if row.fingerprint != fingerprint:
        return Reservation("conflict")
    if row.state == "running":
        return Reservation("in_progress")
    return Reservation("replay", status=row.status, body=json.loads(row.response))


def complete(engine: Engine, account_id: str, key: str, status: int, body: dict):
    """Store the result that later requests with this key replay."""
    with writing(engine) as conn:
        conn.execute(
            update(idempotency_keys)
            .where(
                idempotency_keys.c.account_id == account_id,
                idempotency_keys.c.key == key,
            )
            .values(
                state="done",
                status=status,
                response=json.dumps(body, ensure_ascii=False),
            )
        )


def release(engine: Engine, account_id: str, key: str) -> None:
    """Give the key up after a failure, so that a retry runs the action again.

    Failures are not replayed: the user fixes what the error said and retries with
    the same key. Retell's own idempotency key, sent with every create, still keeps
    that retry from placing a second call if the first one reached Retell.
    """
    with writing(engine) as conn:
        conn.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.account_id == account_id,
                idempotency_keys.c.key == key,
                idempotency_keys.c.state == "running",
            )
        )
