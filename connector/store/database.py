"""Engine creation and the few dialect differences the queries need."""

from __future__ import annotations

import time

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite

from . import migrate

#: How long a SQLite writer waits for the lock before giving up (field case B25).
SQLITE_BUSY_MS = 10_000


def connect(url: str) -> Engine:
    """An engine for ``url`` with the tables created if they are missing."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_MS / 1000, "isolation_level": None},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    migrate.upgrade(engine)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run beside the one writer; busy_timeout makes writers queue
    # instead of failing at once with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin_immediate(connection) -> None:
    # Take the write lock when the transaction starts, not halfway through it: a
    # deferred transaction that later needs to write can fail with SQLITE_BUSY
    # without waiting for busy_timeout.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def insert_ignoring_duplicates(engine: Engine, table):
    """An INSERT that does nothing when a unique constraint already holds the row."""
    dialect = engine.dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"no upsert for the {dialect} dialect")


def now_ms() -> int:
    """Wall-clock milliseconds, the unit Retell uses for its timestamps."""
    return time.time_ns() // 1_000_000
