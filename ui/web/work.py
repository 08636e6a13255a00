"""The request's one unit of work, opened for the signed-in person; a writing one commits when its block ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import current_app, g
from flask_login import current_user

from engine.calendar.workdays import WorkingCalendar
from engine.people.identity import Actor
from engine.platform import Platform
from engine.store.uow import UnitOfWork


def platform() -> Platform:
    return current_app.extensions["onestop"]  # type: ignore[no-any-return]


def now() -> datetime:
    return platform().now()


def current_actor() -> Actor:
    return current_user.actor  # type: ignore[no-any-return]


def calendar() -> WorkingCalendar | None:
    """The working-day calendar read by this request's unit of work (for deadline countdowns)."""
    return g.get("onestop_calendar")


@contextmanager
def transaction(*, write: bool, optimistic: bool = False) -> Iterator[UnitOfWork]:
    """The request's transaction. Leaving with an exception rolls back; leaving a writing block normally commits —
    so an error a view handles inside the block (a form to show again) still commits what the block wrote before
    it (a refused form submission writes nothing: tasks/attachments.py checks everything first). ``optimistic``:
    the unit runs a case's diagram, so it takes SQLite's write lock only to write (engine/store/uow.py)."""
    with platform().uow(write=write, optimistic=optimistic) as uow:
        g.onestop_calendar = uow.platform.calendar.get(uow)
        yield uow
        if write:
            uow.commit()


@contextmanager
def unit_of_work(*, write: bool, optimistic: bool = False) -> Iterator[tuple[UnitOfWork, Actor]]:
    """The request's transaction, opened as the signed-in person."""
    with transaction(write=write, optimistic=optimistic) as uow:
        yield uow, current_actor()
