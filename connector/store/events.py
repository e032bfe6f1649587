"""Stored call events and the outbox rows that fan them out."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, func, select, update

from .database import insert_ignoring_duplicates, now_ms
from .subscriptions import targets_for
from .tables import calls, events, outbox

#: Deliveries one subscriber may have waiting. Past it, new events for that
#: subscriber are dead-lettered at once (and can be replayed), so a subscriber that
#: stays down cannot grow the queue without bound (field case B17).
MAX_QUEUED = 10_000
QUEUE_FULL = "the subscriber's queue was full; replay once it accepts events again"


def _queued(conn, subscription_id: str) -> int:
    return conn.execute(
        select(func.count()).where(
            outbox.c.subscription_id == subscription_id, outbox.c.state == "pending"
        )
    ).scalar_one()


@dataclass(frozen=True)
class Incoming:
    """One event derived from a Retell webhook, ready to store."""

    event: str
    output: dict


@dataclass(frozen=True)
class Stored:
    event: str
    new: bool
    deliveries: int


def ingest(
    engine: Engine,
    *,
    account_id: str,
    call: dict,
    stage: int,
    incoming: list[Incoming],
) -> list[Stored]:
    """Store a webhook's events once each and queue one delivery per subscriber.

    Everything happens in one transaction, committed before Retell gets its 2xx, so
    an acknowledged event is never lost; a repeated webhook stores nothing new.
    """
    call_id = call["call_id"]
    now = now_ms()
    results = []
    with engine.begin() as conn:
        _advance_call(engine, conn, account_id, call, stage, now)
        for item in incoming:
            # RETURNING gives the new row's id, or nothing when the event was
            # already stored: the same answer on SQLite and PostgreSQL.
            event_id = conn.execute(
                insert_ignoring_duplicates(engine, events)
                .values(
                    account_id=account_id,
                    call_id=call_id,
                    event=item.event,
                    output=json.dumps(item.output, ensure_ascii=False),
                    received_at=now,
                )
                .returning(events.c.id)
            ).scalar()
            if event_id is None:
                results.append(Stored(item.event, new=False, deliveries=0))
                continue
            targets = targets_for(conn, account_id, item.event, item.output)
            for subscription_id in targets:
                full = _queued(conn, subscription_id) >= MAX_QUEUED
                conn.execute(
                    outbox.insert().values(
                        message_id="msg_" + secrets.token_hex(12),
                        account_id=account_id,
                        subscription_id=subscription_id,
                        event_id=event_id,
                        state="dead" if full else "pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                        last_error=QUEUE_FULL if full else None,
                        finished_at=now if full else None,
                    )
                )
            results.append(Stored(item.event, new=True, deliveries=len(targets)))
    return results


def _advance_call(engine, conn, account_id, call, stage, now) -> None:
    """Keep the newest state of a call; an older stage never overwrites a newer one."""
    conn.execute(
        insert_ignoring_duplicates(engine, calls).values(
            account_id=account_id,
            call_id=call["call_id"],
            stage=-1,
            call_status=None,
            call="{}",
            updated_at=now,
        )
    )
    conn.execute(
        update(calls)
        .where(
            calls.c.account_id == account_id,
            calls.c.call_id == call["call_id"],
            calls.c.stage <= stage,
        )
        .values(
            stage=stage,
            call_status=_text(call.get("call_status")),
            call=json.dumps(call, ensure_ascii=False),
            updated_at=now,
        )
    )


def _text(value) -> str | None:
    # Retell's statuses are short strings; anything else is kept only in the JSON.
    return value[:40] if isinstance(value, str) else None


def latest_call(engine: Engine, account_id: str, call_id: str) -> dict | None:
    """The most advanced state of a call seen in webhooks, if any."""
    with engine.connect() as conn:
        raw = conn.execute(
            select(calls.c.call).where(
                calls.c.account_id == account_id, calls.c.call_id == call_id
            )
        ).scalar()
    return json.loads(raw) if raw else None


def recent(engine: Engine, account_id: str, event: str, limit: int) -> list[dict]:
    """The account's newest outputs for one trigger, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(events.c.output)
            .where(events.c.account_id == account_id, events.c.event == event)
            .order_by(events.c.id.desc())
            .limit(limit)
        )
        return [json.loads(row.output) for row in rows]


#: How many recent events lend their flattened keys to the next one, and how many
#: keys are carried at most: enough for a scenario's mapping to stay stable, bounded
#: so that accounts whose metadata keys change per call do not grow every payload.
RECENT_FOR_KEYS = 10
MAX_CARRIED_KEYS = 100


def flat_keys(engine: Engine, account_id: str, event: str) -> list[str]:
    """Flattened keys (``metadata__…``) that had values in recent such events.

    A scenario mapped against one event must still find those keys, as null, in the
    next one even when that call had no metadata (field case B16). Only keys that
    carried a value count, so a key seen once is dropped after ten events.
    """
    seen: dict[str, None] = {}
    for output in recent(engine, account_id, event, RECENT_FOR_KEYS):
        for key, value in output.items():
            if "__" in key and value is not None:
                seen.setdefault(key)
    return list(seen)[:MAX_CARRIED_KEYS]
