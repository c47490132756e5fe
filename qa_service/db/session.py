"""Engines and the session scope. The scope's owner commits; repositories only flush."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from qa_service.errors import DatabaseError

# Writers queue behind SQLite's single write lock instead of failing at once.
_SQLITE_BUSY_TIMEOUT_MS = 30_000


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        _serialise_sqlite_writers(
            engine, Path(f"{path}-writer.lock") if path and path != ":memory:" else None
        )
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _serialise_sqlite_writers(engine: Engine, lock_path: Path | None) -> None:
    """SQLite has one writer at a time. A write transaction takes the write lock at BEGIN
    (IMMEDIATE), so that a read-then-write can never interleave with another writer. Writers queue
    on a lock first, since SQLite's own busy handler waits by sleeping in growing steps (long
    tails under load): a thread lock within the process, then an exclusive ``flock`` on a file
    beside the database across processes (API processes and workers). Read-only scopes begin
    deferred and never wait."""
    writers = threading.Lock()
    lock_file = _open_lock_file(lock_path) if lock_path is not None else None

    def begin(conn: Connection) -> None:
        if conn.get_execution_options().get("qa_readonly"):
            conn.exec_driver_sql("BEGIN")
            return
        writers.acquire()
        conn.info["qa_writer"] = True
        try:
            if lock_file is not None:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn)
            raise

    def _release(conn: Connection) -> None:
        if conn.info.pop("qa_writer", False):
            _unlock()

    def _unlock() -> None:
        if lock_file is not None:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
        writers.release()

    def checkin(_dbapi_connection: Any, record: Any) -> None:  # a safety net: never leak the lock
        if record.info.pop("qa_writer", False):
            _unlock()

    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)
    event.listen(engine.pool, "checkin", checkin)


def _open_lock_file(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.set_inheritable(fd, False)
    return fd


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by the 'begin' listener
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # an accepted upload survives a power cut
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


@lru_cache(maxsize=16)
def _factory(url: str, readonly: bool) -> sessionmaker[Session]:
    engine = get_engine(url)
    return sessionmaker(
        engine.execution_options(qa_readonly=True) if readonly else engine, expire_on_commit=False
    )


@contextmanager
def session_scope(url: str, *, readonly: bool = False) -> Iterator[Session]:
    """One unit of work: commits when the block ends, rolls back when it raises.

    ``readonly`` scopes must not write (on SQLite they do not take the write lock)."""
    session = _factory(url, readonly)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def check_database(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise DatabaseError(f"database unreachable: {exc.__class__.__name__}") from exc
