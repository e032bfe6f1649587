"""Engine creation, write transactions, and the few dialect differences the queries
need.

Every write goes through :func:`writing`. Plain ``engine.connect()`` is for reads: on
SQLite its transaction is deferred, so with WAL a reader never waits for a writer
and never holds the write lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.dialects import postgresql, sqlite

from . import migrate

#: How long a SQLite writer waits for the lock before giving up (field case B25).
SQLITE_BUSY_MS = 10_000

#: Execution option of a connection whose transaction is to take SQLite's write
#: lock at BEGIN (set by :func:`writing` and the migrations).
IMMEDIATE = "connector_immediate"

T = TypeVar("T")


def connect(url: str) -> Engine:
    """An engine for ``url`` with the tables created if they are missing."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_MS / 1000, "isolation_level": None},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        _queues[engine] = _WriterQueue(engine.url.database)
    else:
        engine = create_engine(url)
        event.listen(engine, "checkin", _idle_from)
        event.listen(engine, "checkout", _ping_if_idle)
    migrate.upgrade(engine)
    return engine


#: A pooled connection unused for longer than this is checked before it is handed
#: out; one used more recently is not.
IDLE_PING_S = 2.0


def _idle_from(_dbapi_connection, record) -> None:
    record.info["idle_from"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
    # pool_pre_ping's check on every checkout was three round trips of every
    # webhook (two reads, one write). A connection that idled may have been
    # dropped by the server or a proxy: it is still pinged, and a dead one makes
    # the pool connect afresh. A busy one is not; if the server went away a moment
    # ago, the statement fails, the pool discards its connections, and the caller's
    # own error handling (a 503 that Retell retries) takes over.
    if time.monotonic() - record.info.get("idle_from", 0.0) <= IDLE_PING_S:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        # The driver opened a transaction for the ping; hand the connection out
        # idle, as the pool found it.
        dbapi_connection.rollback()
    except Exception as err:  # noqa: BLE001 - any failure means: connect afresh
        raise exc.DisconnectionError() from err


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run beside the one writer; busy_timeout makes writers queue
    # instead of failing at once with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    _use_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _use_wal(cursor) -> None:
    # WAL is kept in the file, so only a new database needs switching. Switching
    # takes an exclusive lock for which SQLite does not wait: gunicorn workers
    # starting together on a new file would fail to boot ("database is locked"),
    # and gunicorn then stops altogether. So the switch is retried here.
    deadline = time.monotonic() + SQLITE_BUSY_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_begin(connection) -> None:
    # A writer takes the write lock when its transaction starts, not halfway
    # through it: a deferred transaction that later needs to write can fail with
    # SQLITE_BUSY without waiting for busy_timeout. A reader takes no lock at all
    # (WAL), so reads never queue behind writes.
    if connection.get_execution_options().get(IMMEDIATE):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


class _WriterQueue:
    """Makes a SQLite file's writers wait their turn in a queue, not in SQLite.

    A writer that finds the lock taken is put to sleep by SQLite's busy handler for
    1, 2, 5, 10 ... up to 100 ms at a time, however soon the lock is free again:
    under load most of a write's time went there (p99 over 800 ms). Threads of one
    process queue on a lock, processes on an ``flock`` beside the database file,
    and each is woken the moment the previous writer commits. SQLite's own lock
    still decides; this only orders the writers that would have contended for it.
    """

    def __init__(self, database: str | None) -> None:
        self.thread_lock = threading.Lock()
        memory = (
            not database
            or database == ":memory:"
            or database.startswith("file::memory:")
        )
        self.path = None if memory else f"{database}.writer-lock"
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        # One descriptor per process: one inherited across fork() would share the
        # lock with the parent instead of queueing against it.
        if self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        with self.thread_lock:
            if self.path is None:
                yield
                return
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)


_queues: weakref.WeakKeyDictionary[Engine, _WriterQueue] = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction, committed on success and rolled back on error.

    On SQLite it holds the write lock from BEGIN, and the writers of the file take
    turns; on PostgreSQL it is ``engine.begin()``.
    """
    queue = _queues.get(engine)
    with queue.turn() if queue else contextlib.nullcontext():
        with engine.connect() as conn:
            conn.execution_options(**{IMMEDIATE: True})
            with conn.begin():
                yield conn


def reading(engine: Engine) -> Connection:
    """A connection for one-statement reads on the hot paths.

    On PostgreSQL it runs in autocommit, which saves the BEGIN and ROLLBACK round
    trips of a transaction nothing needs. SQLite keeps its (deferred, lock-free)
    transaction: pysqlite's autocommit switch would be reset on return to the pool
    to a mode that starts transactions by itself.
    """
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn.execution_options(isolation_level="AUTOCOMMIT")
    return conn


def insert_ignoring_duplicates(engine: Engine, table):
    """An INSERT that does nothing when a unique constraint already holds the row."""
    return upsert(engine, table).on_conflict_do_nothing()


def upsert(engine: Engine, table):
    """An INSERT that can say what to do on a conflict (``on_conflict_do_*``), which
    SQLite and PostgreSQL spell the same way."""
    dialect = engine.dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"no upsert for the {dialect} dialect")


_prepared: dict[tuple[str, Callable], Any] = {}


def prepared(engine: Engine, build: Callable[[Engine], T]) -> T:
    """``build(engine)``, made once per dialect and then reused.

    Building a Core statement costs several times what executing a cached one does;
    on the hot paths, statements whose shape never changes are built once and get
    their values as parameters.
    """
    key = (engine.dialect.name, build)
    statement = _prepared.get(key)
    if statement is None:
        statement = _prepared[key] = build(engine)
    return statement


def now_ms() -> int:
    """Wall-clock milliseconds, the unit Retell uses for its timestamps."""
    return time.time_ns() // 1_000_000
