"""Stored call events and the outbox rows that fan them out."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, Integer, bindparam, func, select

from .database import (
    insert_ignoring_duplicates,
    now_ms,
    prepared,
    reading,
    upsert,
    writing,
)
from .subscriptions import targets_for
from .tables import calls, events, outbox

#: Deliveries one subscriber may have waiting. Past it, new events for that
#: subscriber are dead-lettered at once (and can be replayed), so a subscriber that
#: stays down cannot grow the queue without bound (field case B17).
MAX_QUEUED = 10_000
QUEUE_FULL = "the subscriber's queue was full; replay once it accepts events again"


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
    # Everything is serialised before the transaction starts: on SQLite it holds
    # the write lock, which every other webhook is waiting for.
    call_row = {
        "account_id": account_id,
        "call_id": call_id,
        "stage": stage,
        "call_status": _text(call.get("call_status")),
        "call": json.dumps(call, ensure_ascii=False),
        "updated_at": now,
    }
    event_rows = [
        {
            "account_id": account_id,
            "call_id": call_id,
            "event": item.event,
            "output": json.dumps(item.output, ensure_ascii=False),
            "received_at": now,
            "flat_keys": json.dumps(_keys_with_values(item.output)),
        }
        for item in incoming
    ]
    advance = prepared(engine, _advance_call)
    insert_event = prepared(engine, _insert_event)
    results = []
    with writing(engine) as conn:
        conn.execute(advance, call_row)
        for item, row in zip(incoming, event_rows, strict=True):
            event_id = conn.execute(insert_event, row).scalar()
            if event_id is None:
                results.append(Stored(item.event, new=False, deliveries=0))
                continue
            targets = targets_for(conn, account_id, item.event, item.output)
            deliveries = []
            for subscription_id in targets:
                full = conn.execute(
                    _QUEUED, {"sub": subscription_id, "skip": MAX_QUEUED - 1}
                ).scalar_one()
                deliveries.append(
                    {
                        "message_id": "msg_" + secrets.token_hex(12),
                        "account_id": account_id,
                        "subscription_id": subscription_id,
                        "event_id": event_id,
                        "state": "dead" if full else "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                        "last_error": QUEUE_FULL if full else None,
                        "finished_at": now if full else None,
                    }
                )
            if deliveries:
                conn.execute(outbox.insert(), deliveries)
            results.append(Stored(item.event, new=True, deliveries=len(targets)))
    return results


def _advance_call(engine: Engine):
    """Keep the newest state of a call; an older stage never overwrites a newer one.

    One statement: a new call is inserted, a known one updated unless it is already
    at a later stage.
    """
    row = upsert(engine, calls)
    return row.on_conflict_do_update(
        index_elements=[calls.c.account_id, calls.c.call_id],
        set_={
            name: row.excluded[name]
            for name in ("stage", "call_status", "call", "updated_at")
        },
        where=calls.c.stage <= row.excluded.stage,
    )


def _insert_event(engine: Engine):
    # RETURNING gives the new row's id, or nothing when the event was already
    # stored: the same answer on SQLite and PostgreSQL.
    return insert_ignoring_duplicates(engine, events).returning(events.c.id)


#: Whether a subscriber already has MAX_QUEUED deliveries waiting; counts no further.
_QUEUED = select(
    select(outbox.c.id)
    .where(outbox.c.subscription_id == bindparam("sub"), outbox.c.state == "pending")
    .offset(bindparam("skip", type_=Integer))
    .limit(1)
    .exists()
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
    # Each event keeps its own key list, so this reads ten short texts instead of
    # parsing ten whole outputs on every webhook. Events stored before that column
    # existed have only their output, whose keys are taken from it.
    with reading(engine) as conn:
        texts = conn.execute(_RECENT_KEYS, {"account": account_id, "event": event})
        lists = [json.loads(text) for text in texts.scalars()]
    seen: dict[str, None] = {}
    for keys in lists:
        for key in _keys_with_values(keys) if isinstance(keys, dict) else keys:
            seen.setdefault(key)
    return list(seen)[:MAX_CARRIED_KEYS]


_RECENT_KEYS = (
    select(func.coalesce(events.c.flat_keys, events.c.output))
    .where(
        events.c.account_id == bindparam("account"),
        events.c.event == bindparam("event"),
    )
    .order_by(events.c.id.desc())
    .limit(RECENT_FOR_KEYS)
)


def _keys_with_values(output: dict) -> list[str]:
    # Only the first MAX_CARRIED_KEYS of one event can ever be carried: the newest
    # event's keys come first in flat_keys, so the rest would be cut anyway.
    keys = [key for key, value in output.items() if "__" in key and value is not None]
    return keys[:MAX_CARRIED_KEYS]
