"""Database connections: one SQLAlchemy engine per URL, tuned per backend, and schema upgrades."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from engine.store.checkpoint import BACKSTOP_PAGES

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
WRITE_OPTION = "onestop_write"
# A unit of work that reads before it takes the write lock (engine/store/uow.py): it must never write without it.
OPTIMISTIC_OPTION = "onestop_optimistic"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


class Deadlines:
    """Ends a PostgreSQL connection whose statement (or pre-ping) has not come back in time: a frozen server or a
    partition then gives an OperationalError (HTTP 503) instead of a request that hangs for ever."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._armed: dict[int, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._pid = 0

    def arm(self, dbapi_connection: Any, seconds: float | None = None) -> None:
        if self._pid != os.getpid():  # first use in this (possibly forked) process
            self._pid = os.getpid()
            threading.Thread(target=self._watch, name="onestop-db-deadlines", daemon=True).start()
        with self._lock:
            self._armed[id(dbapi_connection)] = (time.monotonic() + (seconds or self.seconds), dbapi_connection)

    def disarm(self, dbapi_connection: Any) -> None:
        with self._lock:
            self._armed.pop(id(dbapi_connection), None)

    def _watch(self) -> None:
        while True:
            time.sleep(0.25)
            now = time.monotonic()
            with self._lock:
                late = [c for deadline, c in self._armed.values() if deadline < now]
                for connection in late:
                    self._armed.pop(id(connection), None)
            for connection in late:
                try:
                    sock = socket.fromfd(connection.pgconn.socket, socket.AF_INET, socket.SOCK_STREAM)
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    finally:
                        sock.close()
                except Exception:  # noqa: BLE001, S110 — already closed: nothing to end
                    pass


def _hot_connections_first(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The pool hands out the connection returned last (LIFO), not the one idle longest (SQLAlchemy's default): the
    request threads of a process then reuse one or two connections while the load allows. On SQLite that keeps the
    connection's page cache — a connection that sees another one has written since its last transaction drops its
    whole cache and reads every page again (with the default, some 180 page reads a case for one client instead
    of 10, counted with strace: docs/operations.md); on PostgreSQL it keeps a backend's caches warm and lets the
    connections a burst opened time out."""
    if "poolclass" not in kwargs:  # a pool of its own (NullPool for migrations) takes no such option
        kwargs.setdefault("pool_use_lifo", True)
    return kwargs


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and write transactions that lock up front."""
    parsed = make_url(url)
    kwargs = _hot_connections_first(kwargs)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5}, **kwargs)
        deadlines = Deadlines(10.0)

        @event.listens_for(engine, "before_cursor_execute")
        def _arm(conn: Any, *_args: Any) -> None:
            deadlines.arm(conn.connection.dbapi_connection)

        @event.listens_for(engine, "after_cursor_execute")
        def _disarm(conn: Any, *_args: Any) -> None:
            deadlines.disarm(conn.connection.dbapi_connection)

        @event.listens_for(engine, "handle_error")
        def _disarm_on_error(context: Any) -> None:
            if context.connection is not None and context.connection.connection is not None:
                with contextlib.suppress(Exception):
                    deadlines.disarm(context.connection.connection.dbapi_connection)

        ping = engine.dialect.do_ping

        def ping_within_deadline(dbapi_connection: Any) -> bool:
            deadlines.arm(dbapi_connection, 4.0)
            try:
                return bool(ping(dbapi_connection))
            finally:
                deadlines.disarm(dbapi_connection)

        engine.dialect.do_ping = ping_within_deadline  # type: ignore[method-assign]
        return engine
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is off: we emit BEGIN ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Checkpoints are a thread's work (engine/store/checkpoint.py); a commit does one only past the backstop.
        cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "before_cursor_execute")
    def _no_write_unlocked(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Outside a transaction SQLite commits each statement on its own: an optimistic unit's writes would
        # then be neither atomic nor serialized. Its writes must come after UnitOfWork.begin_write.
        if connection.get_execution_options().get(OPTIMISTIC_OPTION, False) \
                and not connection.connection.dbapi_connection.in_transaction \
                and statement.lstrip()[:6].upper() in _WRITES:
            raise RuntimeError("an optimistic unit of work wrote before UnitOfWork.begin_write")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that later writes can fail at once with SQLITE_BUSY when another
        # writer got in first; a unit of work that will write takes the write lock when it starts.
        if connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        # A read-only unit of work runs without an explicit transaction: each SELECT sees committed data,
        # and nothing is ever left to roll back.

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or migrate the schema to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
