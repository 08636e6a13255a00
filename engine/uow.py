"""The unit of work: one transaction per request, timer firing or command; leaving without commit rolls back."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .errors import Conflict, OneStopError

if TYPE_CHECKING:
    from .platform import Platform


class DatabaseUnavailable(OneStopError):
    code = "database_unavailable"


class UnitOfWork:
    """Holds the session and the platform's shared parts (specs, calendar, organisation) for one transaction."""

    def __init__(self, platform: Platform, *, write: bool = True) -> None:
        self.platform = platform
        self.write = write
        self.session: Session
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        engine = self.platform.write_engine if self.write else self.platform.engine
        self._lock = self.platform.local_write_lock if self.write else None
        if self._lock is not None:
            # SQLite lets one writer in at a time and makes the others poll with sleeps; threads of this
            # process queue here instead and are woken the moment the writer before them is done.
            self._lock.acquire()
        self.session = self.platform.session_factory(bind=engine)
        self._committed = False
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if not self._committed:
                self.session.rollback()
        finally:
            self.session.close()
            if self._lock is not None:
                self._lock.release()

    def commit(self) -> None:
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
        try:
            self.session.flush()
        except StaleDataError as error:
            raise Conflict("someone else changed this case at the same moment; reload and try again") \
                from error
