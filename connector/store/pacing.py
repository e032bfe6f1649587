"""Calls-per-second pacing per Retell account, shared by every process.

Each create reserves the account's next free slot in one short transaction: the row
is locked (PostgreSQL ``FOR UPDATE``; SQLite's write lock), the slot is moved on by
1/CPS and committed, and the request then waits for its slot outside any
transaction. Time comes from the store's clock, so replicas on different hosts, or a
worker whose wall clock was stepped, agree on the schedule (field case B21).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Engine, select, text, update

from .database import insert_ignoring_duplicates, now_ms
from .tables import pacing

DEFAULT_PROVIDER = "twilio"
#: Slots are spaced a little wider than 1/CPS: requests reach Retell with a few
#: milliseconds of jitter, and exact spacing would let CPS + 1 of them land in one
#: second. Two percent is 20 ms of slack in every second, at any CPS.
SLOT_MARGIN = 1.02


@dataclass(frozen=True)
class Pacing:
    provider: str
    cps: float


def store_now_ms(conn) -> int:
    """The database's own clock, in epoch milliseconds."""
    if conn.dialect.name == "postgresql":
        return conn.execute(
            text("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint")
        ).scalar_one()
    # SQLite is a file on this host: the host clock is the store's clock.
    return now_ms()


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
    with engine.begin() as conn:
        _ensure(engine, conn, account_id, cps)
        conn.execute(
            update(pacing)
            .where(pacing.c.account_id == account_id)
            .values(provider=provider, cps=cps, updated_at=store_now_ms(conn))
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
) -> int | None:
    """Reserve the account's next create slot; returns how many ms to wait for it.

    None means the next free slot is further away than ``max_wait_ms``: nothing is
    reserved, and the caller should be told to come back later.
    """
    with engine.begin() as conn:
        _ensure(engine, conn, account_id, default_cps)
        row = conn.execute(
            select(pacing.c.cps, pacing.c.next_slot_at)
            .where(pacing.c.account_id == account_id)
            .with_for_update()
        ).one()
        now = store_now_ms(conn)
        slot = max(now, row.next_slot_at)
        wait = slot - now
        if wait > max_wait_ms:
            return None
        conn.execute(
            update(pacing)
            .where(pacing.c.account_id == account_id)
            .values(next_slot_at=slot + interval_ms(row.cps), updated_at=now)
        )
    return wait


def interval_ms(cps: float) -> int:
    """Milliseconds between two slots at ``cps``, never shorter than 1/CPS."""
    return math.ceil(1000 * SLOT_MARGIN / cps)


def backlog_ms(engine: Engine, account_id: str) -> int:
    """How far ahead the account's schedule is booked (for Retry-After)."""
    with engine.connect() as conn:
        next_slot = conn.execute(
            select(pacing.c.next_slot_at).where(pacing.c.account_id == account_id)
        ).scalar()
        return max(0, (next_slot or 0) - store_now_ms(conn))
