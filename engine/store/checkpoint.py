"""SQLite's WAL checkpoints done by a thread of their own, not by whichever request's commit crosses the threshold.

In WAL mode a commit appends its pages to the write-ahead log; a *checkpoint* copies them back into the database
file (and syncs both). SQLite does it itself, inside the commit that takes the log past 1,000 pages: that request
then takes several milliseconds longer (p99 of a commit 5 ms instead of 0.3 ms, bench/request_profile.py), and on
SQLite the process's other writers wait for it. Here every connection leaves it to :class:`Checkpointer` — a thread
of `onestop serve`'s web processes and of `onestop worker` that checks the log's size every second and runs a
PASSIVE checkpoint (it never blocks readers or writers) once the log holds :data:`CHECKPOINT_PAGES`. A commit still
checkpoints by itself past :data:`BACKSTOP_PAGES` (64 MiB of log), so the log stays bounded where no thread runs
(a one-off command, a test) or while the thread cannot keep up."""

from __future__ import annotations

import logging
import os
import threading

from sqlalchemy import Engine

log = logging.getLogger(__name__)

#: Seconds between looks at the log's size.
CHECKPOINT_INTERVAL = 1.0
#: Log pages past which the thread checkpoints (SQLite's own trigger is 1,000).
CHECKPOINT_PAGES = 1_000
#: Log pages past which a commit checkpoints by itself (PRAGMA wal_autocheckpoint of every connection).
BACKSTOP_PAGES = 16_384


def wal_path(engine: Engine) -> str | None:
    """The write-ahead log of a SQLite file database; None for PostgreSQL or an in-memory database."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}-wal"


_PAGE_SIZES: dict[str, int] = {}  # a database's page size, read once per log file (one entry per database)


def checkpoint_if_due(engine: Engine, *, pages: int = CHECKPOINT_PAGES) -> bool:
    """Checkpoint (PASSIVE) if the log holds at least ``pages`` pages; whether it did. A look at a log below that
    is one stat of its file: no connection."""
    path = wal_path(engine)
    if path is None:
        return False
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        return False
    if path in _PAGE_SIZES and size < pages * _PAGE_SIZES[path]:
        return False
    with engine.connect() as connection:
        page_size = _PAGE_SIZES[path] = int(connection.exec_driver_sql("PRAGMA page_size").scalar_one())
        if size < pages * page_size:
            return False
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    return True


class Checkpointer:
    """A daemon thread checkpointing one SQLite database every CHECKPOINT_INTERVAL seconds when due."""

    def __init__(self, engine: Engine, interval: float = CHECKPOINT_INTERVAL) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if wal_path(self.engine) is None:
            return  # PostgreSQL checkpoints by itself, outside any request
        self._thread = threading.Thread(target=self._run, name="onestop-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                checkpoint_if_due(self.engine)
            except Exception:  # noqa: BLE001 — a busy or vanished database: the next look tries again
                log.exception("WAL checkpoint failed; trying again in %.0f s", self.interval)
