"""The delivery queue: outbox rows are claimed with a lease, sent, then settled.

No transaction stays open while a delivery is on the wire (field case B25): a claim
is one short write, the POST happens outside, and its result is another.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, or_, select, update

from .database import now_ms
from .tables import events, outbox, subscriptions


@dataclass(frozen=True)
class Delivery:
    id: int
    message_id: str
    account_id: str
    subscription_id: str
    target_url: str
    secret_sealed: str
    attempts: int
    body: bytes
    created_at: int


def claim(
    engine: Engine, *, limit: int, lease_ms: int, busy: dict[str, int], per_target: int
) -> list[Delivery]:
    """Lease up to ``limit`` due deliveries, at most ``per_target`` per subscriber.

    ``busy`` counts what this worker already has in flight per subscription, so one slow
    subscriber can hold at most ``per_target`` of the worker's slots.
    """
    now = now_ms()
    due = (
        select(outbox.c.id, outbox.c.subscription_id)
        .where(
            outbox.c.state == "pending",
            outbox.c.next_attempt_at <= now,
            or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
        )
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit * 8)
    )
    with engine.connect() as conn:
        candidates = conn.execute(due).all()
    chosen, taken = [], dict(busy)
    for row in candidates:
        if taken.get(row.subscription_id, 0) >= per_target:
            continue
        taken[row.subscription_id] = taken.get(row.subscription_id, 0) + 1
        chosen.append(row.id)
        if len(chosen) == limit:
            break
    if not chosen:
        return []
    claimed = []
    with engine.begin() as conn:
        for row_id in chosen:
            # The lease is taken by a conditional update, so two workers racing for the
            # same row cannot both win it.
            won = conn.execute(
                update(outbox)
                .where(
                    outbox.c.id == row_id,
                    outbox.c.state == "pending",
                    or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
                )
                .values(lease_until=now + lease_ms)
            ).rowcount
            if won:
                claimed.append(row_id)
        if not claimed:
            return []
        rows = conn.execute(
            select(
                outbox.c.id,
                outbox.c.message_id,
                outbox.c.account_id,
                outbox.c.subscription_id,
                outbox.c.attempts,
                outbox.c.created_at,
                subscriptions.c.target_url,
                subscriptions.c.secret_sealed,
                events.c.output,
            )
            .join(subscriptions, subscriptions.c.id == outbox.c.subscription_id)
            .join(events, events.c.id == outbox.c.event_id)
            .where(outbox.c.id.in_(claimed))
            .order_by(outbox.c.id)
        ).all()
    return [
        Delivery(
            id=row.id,
            message_id=row.message_id,
            account_id=row.account_id,
            subscription_id=row.subscription_id,
            target_url=row.target_url,
            secret_sealed=row.secret_sealed,
            attempts=row.attempts,
            body=row.output.encode(),
            created_at=row.created_at,
        )
        for row in rows
    ]


def settle(
    engine: Engine,
    delivery: Delivery,
    *,
    state: str,
    status: int | None,
    error: str | None,
    retry_at: int | None = None,
) -> None:
    """Record one attempt's outcome: delivered, dead, or pending until ``retry_at``."""
    now = now_ms()
    values = {
        "attempts": delivery.attempts + 1,
        "last_status": status,
        "last_error": error,
        "lease_until": None,
        "state": state,
    }
    if state == "pending":
        values["next_attempt_at"] = retry_at
    else:
        values["finished_at"] = now
    with engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == delivery.id).values(**values))
        conn.execute(
            update(subscriptions)
            .where(subscriptions.c.id == delivery.subscription_id)
            .values(last_status=status, last_error=error, last_attempt_at=now)
        )


def counts(engine: Engine, account_id: str | None = None) -> dict[str, int]:
    """How many deliveries are in each state, for /v1/me and the operators."""
    query = select(outbox.c.state, func.count()).group_by(outbox.c.state)
    if account_id is not None:
        query = query.where(outbox.c.account_id == account_id)
    with engine.connect() as conn:
        found = dict(conn.execute(query).all())
    return {
        state: found.get(state, 0)
        for state in ("pending", "delivered", "dead", "cancelled")
    }


def pending_for(engine: Engine, subscription_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).where(
                and_(
                    outbox.c.subscription_id == subscription_id,
                    outbox.c.state == "pending",
                )
            )
        ).scalar_one()
