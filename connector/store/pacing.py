"""Calls-per-second pacing per Retell account, shared by every process.

Each create reserves the account's next free slot in one short transaction: the row
is locked (PostgreSQL ``FOR UPDATE``; SQLite's write lock), the slot is moved on by
1/CPS and committed, and the request then waits for its slot outside any
transaction. Time comes from the store's clock, so replicas on different hosts, or a
worker whose wall clock was stepped, agree on the schedule (field case B21).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, select, text, update

from .database import insert_ignoring_duplicates, writing
from .tables import pacing

DEFAULT_PROVIDER = "twilio"
#: Slots are spaced a little wider than 1/CPS: requests reach Retell with a few
#: milliseconds of jitter, and exact spacing would let CPS + 1 of them land in one
#: second. 15 ms of slack in every second (1.5 %), at any CPS: jitter of up to
#: 13 ms was seen mid-schedule on 2 busy cores. With the burst lead below, a
#: schedule of many seconds stays within 2 % of 1/CPS.
SLACK_MS_PER_SECOND = 15.0
#: See burst_lead_ms; at most half a slot, so high CPS pays almost nothing.
BURST_LEAD_MS = 10.0

_POSTGRES_NOW = "SELECT extract(epoch FROM clock_timestamp()) * 1000"


@dataclass(frozen=True)
class Pacing:
    provider: str
    cps: float


def store_now_ms(conn) -> float:
    """The database's own clock, in fractional epoch milliseconds."""
    if conn.dialect.name == "postgresql":
        return float(conn.execute(text(_POSTGRES_NOW)).scalar_one())
    # SQLite is a file on this host: the host clock is the store's clock.
    return time.time_ns() / 1e6


def current(engine: Engine, account_id: str, default_cps: float) -> Pacing:
    with engine.connect() as conn:
        row = conn.execute(
            select(pacing.c.provider, pacing.c.cps).where(
                pacing.c.account_id == account_id
            )
        ).first()
    if row is None:
        return Pacing(DEFAULT_PROVIDER, default_cps)
    return Pacing(row.provider, row.cps)


def configure(engine: Engine, account_id: str, provider: str, cps: float) -> None:
    with writing(engine) as conn:
        _ensure(engine, conn, account_id, cps)
        conn.execute(
            update(pacing)
            .where(pacing.c.account_id == account_id)
            .values(provider=provider, cps=cps, updated_at=int(store_now_ms(conn)))
        )


def _ensure(engine, conn, account_id: str, default_cps: float) -> None:
    conn.execute(
        insert_ignoring_duplicates(engine, pacing).values(
            account_id=account_id,
            provider=DEFAULT_PROVIDER,
            cps=default_cps,
            next_slot_at=0,
            updated_at=0,
        )
    )


def reserve(
    engine: Engine, account_id: str, *, max_wait_ms: int, default_cps: float
) -> float | None:
    """Reserve the account's next create slot; returns how many ms to wait for it.

    None means the next free slot is further away than ``max_wait_ms``: nothing is
    reserved, and the caller should be told to come back later.
    """
    with writing(engine) as conn:
        row = conn.execute(_LOCK_SLOT, {"account": account_id}).first()
        if row is None:
            # The account's first create: its schedule starts now.
            _ensure(engine, conn, account_id, default_cps)
            row = conn.execute(_LOCK_SLOT, {"account": account_id}).first()
        # Read after the row lock is granted (SQLite: after BEGIN IMMEDIATE), so
        # the schedule moves on at the clock of the one holding it.
        now = store_now_ms(conn)
        taken_at = time.monotonic()
        if row.next_slot_at - now > max_wait_ms:
            return None
        idle = row.next_slot_at <= now
        slot = now if idle else row.next_slot_at
        following = (
            slot + interval_ms(row.cps) + (burst_lead_ms(row.cps) if idle else 0)
        )
        conn.execute(
            _MOVE_SLOT,
            {"account": account_id, "next_slot": following, "now": int(now)},
        )
    # The wait was measured on the store's clock before the commit; the time the
    # commit took is already part of it.
    return max(0.0, slot - now - (time.monotonic() - taken_at) * 1000)


_LOCK_SLOT = (
    select(pacing.c.cps, pacing.c.next_slot_at)
    .where(pacing.c.account_id == bindparam("account"))
    # PostgreSQL: the row lock. SQLite has none, and needs none: the transaction
    # holds the database's write lock from BEGIN.
    .with_for_update()
)
_MOVE_SLOT = (
    update(pacing)
    .where(pacing.c.account_id == bindparam("account"))
    .values(next_slot_at=bindparam("next_slot"), updated_at=bindparam("now"))
)


def interval_ms(cps: float) -> float:
    """Milliseconds between two slots at ``cps``, never shorter than 1/CPS."""
    return (1000 + SLACK_MS_PER_SECOND) / cps


def burst_lead_ms(cps: float) -> float:
    """Extra wait for the second create of a burst, at ``cps``.

    A create that finds the schedule idle goes at once, while the rest of its burst
    is still being parsed and validated on the same CPUs: it reaches Retell up to
    30 ms late (measured on 2 cores), when the ones after it are on time, and so
    closes up the first second. The slot after it is moved on by this much more
    (with the margin, that first second has 25 ms of slack); an isolated create
    waits nothing, and the rest of the schedule only shifts.
    """
    return min(BURST_LEAD_MS, 500 / cps)


def backlog_ms(engine: Engine, account_id: str) -> int:
    """How far ahead the account's schedule is booked (for Retry-After)."""
    with engine.connect() as conn:
        next_slot = conn.execute(
            select(pacing.c.next_slot_at).where(pacing.c.account_id == account_id)
        ).scalar()
        return max(0, round((next_slot or 0) - store_now_ms(conn)))
