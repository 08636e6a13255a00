"""Sign-in throttling that no stranger can turn against an account: failures are counted per (user name as typed,
source address), each further failure doubling the wait; a source guessing many names is slowed as a whole. A
person signing in from their own machine never waits for what was tried elsewhere, and nothing here depends on
whether the name exists.

    per name and source   FREE_FAILURES free, then FIRST_WAIT, doubling up to MAX_WAIT; forgotten after
                          FAILURE_MEMORY without failures, and at once on a successful sign-in
    per source            MAX_SOURCE_FAILURES within SOURCE_WINDOW, then SOURCE_WAIT
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.store.models import SignInThrottle
from engine.store.uow import UnitOfWork

__all__ = ["FAILURE_MEMORY", "FIRST_WAIT", "FREE_FAILURES", "MAX_SOURCE_FAILURES", "MAX_WAIT", "SOURCE_WAIT",
           "SOURCE_WINDOW", "forget", "record_failure", "waiting"]

#: Wrong passwords for one name from one source before the first wait.
FREE_FAILURES = 5
#: The first wait; each further failure doubles it, up to MAX_WAIT.
FIRST_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(hours=1)
#: How long a (name, source) pair's failures are remembered after the last one.
FAILURE_MEMORY = timedelta(hours=24)
#: Wrong passwords from one source, for any names, within SOURCE_WINDOW before the source waits SOURCE_WAIT: far
#: above what an office behind one address makes, far below what guessing needs.
MAX_SOURCE_FAILURES = 100
SOURCE_WINDOW = timedelta(minutes=15)
SOURCE_WAIT = timedelta(minutes=15)
EVERY_NAME = "*"  # the per-source row (no user name can be "*": engine/people/identity.create_user)


def _key(username: str, source: str) -> tuple[str, str]:
    return username[:80], source[:64] or "unknown"


def waiting(username: str, source: str, *, uow: UnitOfWork, now: datetime) -> timedelta | None:
    """How long this name from this source must still wait before a password is checked again, or None."""
    name, address = _key(username, source)
    blocked = uow.session.scalars(select(SignInThrottle.blocked_until).where(
        SignInThrottle.source == address, SignInThrottle.username.in_((name, EVERY_NAME)),
        SignInThrottle.blocked_until > now)).all()
    return max(until for until in blocked if until is not None) - now if blocked else None


def _row(name: str, address: str, uow: UnitOfWork, now: datetime) -> SignInThrottle:
    """The pair's row, made if missing and locked for this transaction (two failures at once count twice)."""
    insert = postgresql_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    uow.begin_write()
    uow.session.execute(insert(SignInThrottle).values(
        username=name, source=address, failures=0, first_failure_at=now, last_failure_at=now)
        .on_conflict_do_nothing(index_elements=["username", "source"]))
    return uow.session.scalars(select(SignInThrottle).where(
        SignInThrottle.username == name, SignInThrottle.source == address).with_for_update()).one()


def record_failure(username: str, source: str, *, uow: UnitOfWork, now: datetime) -> None:
    """Count a wrong password for the name and for the source; set their waits; forget stale pairs."""
    name, address = _key(username, source)
    uow.begin_write()
    uow.session.execute(delete(SignInThrottle).where(SignInThrottle.last_failure_at < now - FAILURE_MEMORY))
    pair = _row(name, address, uow, now)
    pair.failures += 1
    pair.last_failure_at = now
    if pair.failures >= FREE_FAILURES:
        doublings = min(pair.failures - FREE_FAILURES, 16)
        pair.blocked_until = now + min(FIRST_WAIT * 2**doublings, MAX_WAIT)
    everyone = _row(EVERY_NAME, address, uow, now)
    if everyone.first_failure_at < now - SOURCE_WINDOW:  # a new window
        everyone.failures, everyone.first_failure_at = 0, now
    everyone.failures += 1
    everyone.last_failure_at = now
    if everyone.failures >= MAX_SOURCE_FAILURES:
        everyone.blocked_until = now + SOURCE_WAIT
    uow.flush()


def forget(username: str, source: str, *, uow: UnitOfWork) -> None:
    """A successful sign-in clears the pair's failures (the source's count stays: other names were guessed)."""
    name, address = _key(username, source)
    exists = uow.session.scalar(select(SignInThrottle.id).where(SignInThrottle.username == name,
                                                                SignInThrottle.source == address))
    if exists is not None:
        uow.begin_write()
        uow.session.execute(delete(SignInThrottle).where(SignInThrottle.id == exists))
