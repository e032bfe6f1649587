"""The delivery queue: outbox rows are claimed with a lease, sent, then settled.

No transaction stays open while a delivery is on the wire (field case B25): a claim
is one short write, the POST happens outside, and its result is another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, and_, bindparam, case, func, or_, select, update

from .database import now_ms, writing
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
    engine: Engine,
    *,
    limit: int,
    lease_ms: int,
    busy: dict[str, int],
    per_target: int,
    delivered: Sequence[tuple[Delivery, int]] = (),
) -> list[Delivery]:
    """Lease up to ``limit`` due deliveries, at most ``per_target`` per subscriber.

    ``busy`` counts what this worker already has in flight per subscription, so one slow
    subscriber can hold at most ``per_target`` of the worker's slots. ``delivered``
    (delivery, HTTP status) pairs are settled first, in the same transaction.
    """
    now = now_ms()
    due = (
        outbox.c.state == "pending",
        outbox.c.next_attempt_at <= now,
        or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
    )
    capped = [key for key, count in busy.items() if count >= per_target]
    # Subscribers with something due, the longest-waiting first. Each then gets
    # its own share of the slots, so a backlog for one slow subscriber cannot fill
    # the batch and starve the others (field cases B17, B22).
    waiting = (
        select(outbox.c.subscription_id)
        .join(subscriptions, subscriptions.c.id == outbox.c.subscription_id)
        .where(
            *due,
            outbox.c.subscription_id.not_in(capped),
            or_(
                subscriptions.c.paused_until.is_(None),
                subscriptions.c.paused_until <= now,
            ),
        )
        .group_by(outbox.c.subscription_id)
        .order_by(func.min(outbox.c.next_attempt_at))
        .limit(limit)
    )
    with writing(engine) as conn:
        _record_delivered(conn, delivered)
        if limit <= 0:
            return []
        chosen = []
        for subscription_id in conn.execute(waiting).scalars().all():
            room = min(per_target - busy.get(subscription_id, 0), limit - len(chosen))
            chosen += (
                conn.execute(
                    select(outbox.c.id)
                    .where(*due, outbox.c.subscription_id == subscription_id)
                    .order_by(outbox.c.next_attempt_at, outbox.c.id)
                    .limit(room)
                    # PostgreSQL: rows another worker is claiming right now are
                    # skipped, not waited for. SQLite has no row locks; its
                    # transactions already run one at a time.
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            if len(chosen) >= limit:
                break
        if not chosen:
            return []
        claimed = []
        for row_id in chosen:
            # Conditional, so that even without row locks two workers cannot both
            # take the same row.
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
    breaker: tuple[int, int] | None = None,
) -> None:
    """Record one attempt's outcome: delivered, dead, or pending until ``retry_at``.

    ``breaker`` is (failures, pause_ms): once a subscriber has failed that many times
    in a row, nothing more is sent to it for ``pause_ms``, and then one probe.
    """
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
    health = {"last_status": status, "last_error": error, "last_attempt_at": now}
    if state == "delivered":
        health |= {"consecutive_failures": 0, "paused_until": None}
    else:
        failures = subscriptions.c.consecutive_failures + 1
        health["consecutive_failures"] = failures
        if breaker is not None:
            threshold, pause_ms = breaker
            health["paused_until"] = case(
                (failures >= threshold, now + pause_ms), else_=None
            )
    with writing(engine) as conn:
        conn.execute(update(outbox).where(outbox.c.id == delivery.id).values(**values))
        conn.execute(
            update(subscriptions)
            .where(subscriptions.c.id == delivery.subscription_id)
            .values(**health)
        )


def record_delivered(engine: Engine, delivered: Sequence[tuple[Delivery, int]]) -> None:
    """Settle successful deliveries, (delivery, HTTP status) pairs, in one go."""
    if delivered:
        with writing(engine) as conn:
            _record_delivered(conn, delivered)


def _record_delivered(conn, delivered: Sequence[tuple[Delivery, int]]) -> None:
    # What settle(state="delivered") writes, for many rows in two statements: one
    # commit for a batch instead of one per delivery.
    if not delivered:
        return
    now = now_ms()
    conn.execute(
        _DELIVERED,
        [
            {
                "row_id": item.id,
                "attempts": item.attempts + 1,
                "status": status,
                "now": now,
            }
            for item, status in delivered
        ],
    )
    latest = {item.subscription_id: status for item, status in delivered}
    conn.execute(
        _HEALTHY,
        [{"sub": sub, "status": status, "now": now} for sub, status in latest.items()],
    )


_DELIVERED = (
    update(outbox)
    .where(outbox.c.id == bindparam("row_id"))
    .values(
        attempts=bindparam("attempts"),
        last_status=bindparam("status"),
        last_error=None,
        lease_until=None,
        state="delivered",
        finished_at=bindparam("now"),
    )
)
_HEALTHY = (
    update(subscriptions)
    .where(subscriptions.c.id == bindparam("sub"))
    .values(
        last_status=bindparam("status"),
        last_error=None,
        last_attempt_at=bindparam("now"),
        consecutive_failures=0,
        paused_until=None,
    )
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


def listing(
    engine: Engine, account_id: str, *, state: str | None, limit: int
) -> list[dict]:
    """The account's deliveries, newest first, optionally in one state."""
    query = (
        select(
            outbox.c.message_id,
            outbox.c.subscription_id,
            outbox.c.state,
            outbox.c.attempts,
            outbox.c.last_status,
            outbox.c.last_error,
            outbox.c.next_attempt_at,
            outbox.c.created_at,
            outbox.c.finished_at,
            events.c.event,
            events.c.call_id,
        )
        .join(events, events.c.id == outbox.c.event_id)
        .where(outbox.c.account_id == account_id)
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(outbox.c.state == state)
    with engine.connect() as conn:
        return [
            {
                "id": row.message_id,
                "subscription_id": row.subscription_id,
                "event_id": f"{row.call_id}:{row.event}",
                "state": row.state,
                "attempts": row.attempts,
                "last_status": row.last_status,
                "last_error": row.last_error,
                "next_attempt_at": row.next_attempt_at
                if row.state == "pending"
                else None,
                "created_at": row.created_at,
                "finished_at": row.finished_at,
            }
            for row in conn.execute(query)
        ]


def replay(
    engine: Engine,
    account_id: str,
    *,
    message_id: str | None = None,
    subscription_id: str | None = None,
) -> int:
    """Queue dead-lettered deliveries again, now; returns how many.

    The message keeps its id (the ``webhook-id`` header), so a receiver that did
    get an earlier attempt can still tell the replay is the same event.
    """
    conditions = [outbox.c.account_id == account_id, outbox.c.state == "dead"]
    if message_id is not None:
        conditions.append(outbox.c.message_id == message_id)
    if subscription_id is not None:
        conditions.append(outbox.c.subscription_id == subscription_id)
    with writing(engine) as conn:
        return conn.execute(
            update(outbox)
            .where(*conditions)
            .values(
                state="pending",
                attempts=0,
                next_attempt_at=now_ms(),
                lease_until=None,
                finished_at=None,
            )
        ).rowcount


def states(engine: Engine, account_id: str, message_ids: list[str]) -> dict[str, str]:
    """The state of each of these deliveries of the account (to follow a replay)."""
    found: dict[str, str] = {}
    with engine.connect() as conn:
        # In chunks: SQLite caps the number of bound parameters in one statement.
        for start in range(0, len(message_ids), 500):
            chunk = message_ids[start : start + 500]
            found.update(
                conn.execute(
                    select(outbox.c.message_id, outbox.c.state).where(
                        outbox.c.account_id == account_id,
                        outbox.c.message_id.in_(chunk),
                    )
                ).all()
            )
    return found


def dead_ids(
    engine: Engine, account_id: str, *, subscription_id: str | None = None
) -> list[str]:
    """The message ids of the account's dead letters (those a replay would queue)."""
    query = select(outbox.c.message_id).where(
        outbox.c.account_id == account_id, outbox.c.state == "dead"
    )
    if subscription_id is not None:
        query = query.where(outbox.c.subscription_id == subscription_id)
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())
