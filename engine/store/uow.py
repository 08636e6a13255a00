"""The unit of work: one transaction per request, timer firing or command; leaving without commit rolls back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict, OneStopError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from engine.platform import Platform


class DatabaseUnavailable(OneStopError):
    code = "database_unavailable"


class UnitOfWork:
    """Holds the session and the platform's shared parts (specs, calendar, organisation) for one transaction.

    On SQLite one writer at a time holds the database. A writing unit takes the write lock when it starts, so
    everything it reads stays true until it commits. An *optimistic* writing unit (SQLite only: starting a
    case, completing a task) reads without the lock, runs the engine and serializes the case, and takes the
    lock only in :meth:`begin_write`, just before its first write: the case row is written guarded by its
    version, and the checks given to :meth:`before_write` confirm, under the lock, that what the unit read
    still holds (Conflict otherwise). Other writers then wait only for the writing, not for the engine. On
    PostgreSQL every unit reads in its transaction and those checks run at the first write, locking the rows
    they read again."""

    def __init__(self, platform: Platform, *, write: bool = True, optimistic: bool = False) -> None:
        self.platform = platform
        self.write = write
        self.optimistic = write and optimistic and platform.local_write_lock is not None
        self.session: Session
        self._committed = False
        self._writing = False
        self._lock_held = False
        self._write_checks: list[Callable[[], None]] = []
        self._after_commit: list[Callable[[], None]] = []
        # A cached bearer token not yet confirmed against the current revision (engine/people/tokens.py): confirmed
        # before the unit commits, whatever else it did.
        self.auth_check: Any = None
        # The ``auth`` revision a read of this unit found (engine/people/tokens.py), None if none read it: it moves
        # with every change to an account, so a per-process cache of accounts (a department's staff) read at that
        # revision is still right.
        self.auth_revision: int | None = None
        # The ``flows`` revision at which a flow's newest version was taken from this process's cache rather than
        # read (engine/cases/deployment.py): the unit's new case is kept only if it has not moved.
        self.flows_revision: int | None = None

    def __enter__(self) -> UnitOfWork:
        engine: Engine
        if self.optimistic:
            engine = self.platform.optimistic_engine
        else:
            engine = self.platform.write_engine if self.write else self.platform.engine
        self._lock = self.platform.local_write_lock if self.write else None
        if self._lock is not None and not self.optimistic:
            # SQLite lets one writer in at a time and makes the others poll with sleeps; threads of this
            # process queue here instead and are woken the moment the writer before them is done.
            self._lock.acquire()
            self._lock_held = True
        self.session = self.platform.session_factory(bind=engine)
        self._connection: Connection | None = None
        self._committed = False
        self._writing = self._lock_held  # a SQLite writer holding the lock from the start: checks run at once
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            # close() ends the transaction too (a rollback, releasing SQLite's write lock), without the ORM's
            # rollback bookkeeping: the session is thrown away.
            self.session.close()
        finally:
            if self._lock_held and self._lock is not None:
                self._lock_held = False
                self._lock.release()
        callbacks, self._after_commit = self._after_commit, []
        if self._committed and exc_type is None:
            for callback in callbacks:  # the unit is closed and its lock released: they may open units of their own
                try:
                    callback()
                except Exception:  # noqa: BLE001 — what a callback could not do, a sweep does later
                    log.exception("work after a commit failed; the sweep will take it up")

    def connection(self) -> Connection:
        """The session's connection in its current transaction (beginning one if none is open), kept until the
        transaction ends: engine/store/prepared.py runs every hot statement on it."""
        if self._connection is None:
            self._connection = self.session.connection()
        return self._connection

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the unit has committed and closed (e.g. deliver the messages a case threw); it
        must not raise for what it could not do (a sweep takes that up later)."""
        self._after_commit.append(callback)

    @property
    def holds_write_lock(self) -> bool:
        """Whether this unit holds SQLite's write lock now (no diagram code may run then: engine/cases/runner.py)."""
        return self._lock_held

    def before_write(self, check: Callable[[], None]) -> None:
        """Have ``check`` confirm, once the unit writes, that what it read still holds (it raises Conflict
        otherwise). A SQLite writer that has held the lock from the start needs none: nothing can have changed
        since it read. Others run it in :meth:`confirm_reads`, after the case row is written: on PostgreSQL that
        row is then locked, and the check may lock the rows it reads again (SELECT ... FOR UPDATE), always in
        that order."""
        if not (self._lock_held and not self.optimistic):
            self._write_checks.append(check)

    def begin_write(self) -> None:
        """Called before the unit's first write: an optimistic unit takes the write lock here. Harmless to call
        again."""
        if self._writing:
            return
        if self.optimistic and self._lock is not None:
            self._lock.acquire()
            self._lock_held = True
            self.connection().exec_driver_sql("BEGIN IMMEDIATE")
        self._writing = True

    def confirm_reads(self) -> None:
        """Run the checks given to :meth:`before_write` (the unit must be writing: see there)."""
        checks, self._write_checks = self._write_checks, []
        for check in checks:
            check()

    def commit(self) -> None:
        if self.auth_check is not None:
            self.auth_check.ensure(self)
        if not self._writing and (self.session.new or self.session.dirty or self.session.deleted):
            self.begin_write()
        if self._write_checks:
            self.begin_write()
            self.confirm_reads()
        self._connection = None  # the transaction ends here, whatever comes of it
        try:
            self.session.commit()
        except StaleDataError as error:
            self.session.rollback()
            raise Conflict("someone else changed this case at the same moment; reload and try again") \
                from error
        except OperationalError as error:
            self.session.rollback()
            raise DatabaseUnavailable(f"the database could not complete the change: {error.orig}") from error
        self._committed = True

    def flush(self) -> None:
        self.begin_write()
        try:
            self.session.flush()
        except StaleDataError as error:
            raise Conflict("someone else changed this case at the same moment; reload and try again") \
                from error
