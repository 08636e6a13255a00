"""Counters that server processes compare with what they cached (table ``revisions``): a change that makes a
process's cache wrong moves its counter in the same transaction, and every process sees the move at its next
read of it. ``auth`` moves with every change to an account or a token (engine/people/tokens.py); ``flows`` with
every new version of a flow (engine/cases/deployment.py)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.orm import Session

from engine.store.models import Revision, table_of

_REVISIONS = table_of(Revision)


def value_of(name: str) -> ColumnElement[int]:
    """The counter's current value as an expression (0 before it first moves), to add to a statement."""
    return func.coalesce(select(_REVISIONS.c.value).where(_REVISIONS.c.name == name).scalar_subquery(), 0)


def bump(session: Session, name: str) -> None:
    """Move the counter in the session's transaction."""
    moved = session.execute(update(_REVISIONS).where(_REVISIONS.c.name == name).values(value=_REVISIONS.c.value + 1))
    if not moved.rowcount:  # type: ignore[attr-defined]  # a CursorResult
        session.execute(insert(_REVISIONS).values(name=name, value=1))
