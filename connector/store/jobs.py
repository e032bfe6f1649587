"""Bulk-call jobs: rows queued at once, placed later at the account's pace."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, func, or_, select, update

from .database import now_ms, writing
from .tables import job_rows, jobs


@dataclass(frozen=True)
class Row:
    job_id: str
    idx: int
    account_id: str
    input: dict
    attempts: int


def create(
    engine: Engine, account_id: str, rows: list[tuple[dict | None, list[dict]]]
) -> str:
    """Queue a job; each row is (Retell body, []) to place or (None, errors) to skip.

    Every row to place keeps an idempotency key for Retell: its own if the row gave
    one, else one made from the job id and row number, so a resumed job re-sends a
    row under the same key (contract: create-phone-calls).
    """
    job_id = "job_" + secrets.token_hex(12)
    now = now_ms()
    with writing(engine) as conn:
        conn.execute(
            jobs.insert().values(
                id=job_id,
                account_id=account_id,
                state="running",
                total=len(rows),
                created_at=now,
            )
        )
        values = []
        for idx, (body, errors) in enumerate(rows):
            key = (body or {}).get("idempotency_key") or f"{job_id}-row-{idx}"
            if body is not None:
                body = {**body, "idempotency_key": key}
            values.append(
                {
                    "job_id": job_id,
                    "idx": idx,
                    "state": "pending" if body is not None else "failed",
                    "input": json.dumps(body, ensure_ascii=False),
                    "idempotency_key": key,
                    "errors": json.dumps(errors, ensure_ascii=False)
                    if errors
                    else None,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "updated_at": now,
                }
            )
        if values:
            conn.execute(job_rows.insert(), values)
    finish_if_complete(engine, job_id)
    return job_id


def claim(engine: Engine, *, lease_ms: int) -> Row | None:
    """Lease the oldest due row of any job, or None when nothing is due.

    A row left ``sending`` by a runner that died is due again once its lease ends.
    """
    now = now_ms()
    due = (
        select(job_rows.c.job_id, job_rows.c.idx, jobs.c.account_id)
        .join(jobs, jobs.c.id == job_rows.c.job_id)
        .where(
            job_rows.c.state.in_(("pending", "sending")),
            job_rows.c.next_attempt_at <= now,
            or_(job_rows.c.lease_until.is_(None), job_rows.c.lease_until < now),
        )
        .order_by(jobs.c.created_at, job_rows.c.idx)
        .limit(8)
        .with_for_update(skip_locked=True, of=job_rows)
    )
    with writing(engine) as conn:
        for candidate in conn.execute(due).all():
            won = conn.execute(
                update(job_rows)
                .where(
                    job_rows.c.job_id == candidate.job_id,
                    job_rows.c.idx == candidate.idx,
                    job_rows.c.state.in_(("pending", "sending")),
                    or_(job_rows.c.lease_until.is_(None), job_rows.c.lease_until < now),
                )
                .values(state="sending", lease_until=now + lease_ms, updated_at=now)
            ).rowcount
            if not won:
                continue
            row = conn.execute(
                select(job_rows.c.input, job_rows.c.attempts).where(
                    job_rows.c.job_id == candidate.job_id,
                    job_rows.c.idx == candidate.idx,
                )
            ).one()
            return Row(
                job_id=candidate.job_id,
                idx=candidate.idx,
                account_id=candidate.account_id,
                input=json.loads(row.input),
                attempts=row.attempts,
            )
    return None


def settle(
    engine: Engine,
    row: Row,
    *,
    state: str,
    result: dict | None = None,
    errors: list[dict] | None = None,
    retry_at: int | None = None,
) -> None:
    """Record a row's outcome: done, failed, or pending again until ``retry_at``."""
    now = now_ms()
    values = {
        "state": state,
        "attempts": row.attempts + 1,
        "lease_until": None,
        "updated_at": now,
        "errors": json.dumps(errors, ensure_ascii=False) if errors else None,
    }
    if result is not None:
        values["result"] = json.dumps(result, ensure_ascii=False)
        values["call_id"] = result.get("call_id")
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    with writing(engine) as conn:
        conn.execute(
            update(job_rows)
            .where(job_rows.c.job_id == row.job_id, job_rows.c.idx == row.idx)
            .values(**values)
        )
    if state != "pending":
        finish_if_complete(engine, row.job_id)


def postpone(engine: Engine, row: Row, retry_at: int) -> None:
    """Hand a row back unchanged (its pacing slot is too far off to hold it)."""
    with writing(engine) as conn:
        conn.execute(
            update(job_rows)
            .where(job_rows.c.job_id == row.job_id, job_rows.c.idx == row.idx)
            .values(state="pending", lease_until=None, next_attempt_at=retry_at)
        )


def finish_if_complete(engine: Engine, job_id: str) -> None:
    with writing(engine) as conn:
        open_rows = conn.execute(
            select(func.count()).where(
                job_rows.c.job_id == job_id,
                job_rows.c.state.in_(("pending", "sending")),
            )
        ).scalar_one()
        if not open_rows:
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.state == "running")
                .values(state="done", finished_at=now_ms())
            )


def view(engine: Engine, account_id: str, job_id: str) -> dict | None:
    """A job's progress and per-row results, or None if not this account's."""
    with engine.connect() as conn:
        job = conn.execute(
            select(jobs).where(jobs.c.id == job_id, jobs.c.account_id == account_id)
        ).first()
        if job is None:
            return None
        rows = conn.execute(
            select(job_rows).where(job_rows.c.job_id == job_id).order_by(job_rows.c.idx)
        ).all()
    counts = {"done": 0, "failed": 0, "pending": 0}
    results = []
    for row in rows:
        status = "pending" if row.state == "sending" else row.state
        counts[status] += 1
        results.append(
            {
                "row": row.idx,
                "status": status,
                "call_id": row.call_id,
                "attempts": row.attempts,
                "errors": json.loads(row.errors) if row.errors else [],
            }
        )
    return {
        "job_id": job.id,
        "status": job.state,
        "total": job.total,
        "counts": counts,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "rows": results,
    }
