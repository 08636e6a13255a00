"""A person's in-app notifications (the bell): newest first with the unread count, marked read one by one or all
at once; and their notification settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from engine.errors import InvalidInput, NotFound
from engine.notify.preferences import checked_settings, language_of, settings_view
from engine.people.contact import clean_email
from engine.people.identity import Actor
from engine.store.models import Notification, User, table_of
from engine.store.uow import UnitOfWork

#: Notifications one page or API answer lists at most.
MAX_PAGE = 100
_ROWS = table_of(Notification)


def unread_count(username: str, *, uow: UnitOfWork) -> int:
    """The bell's number, from the partial index of unread in-app rows."""
    return int(uow.session.scalar(select(func.count()).select_from(_ROWS).where(
        _ROWS.c.recipient == username, _ROWS.c.channel == "in_app", _ROWS.c.read_at.is_(None))) or 0)


def _language(actor: Actor, uow: UnitOfWork, language: str | None) -> str:
    if language in ("zh", "en"):
        return language
    settings = uow.session.scalar(select(User.notification_settings).where(User.username == actor.username))
    return language_of(settings)


def view(row: Any, uow: UnitOfWork, language: str) -> dict[str, Any]:
    """One in-app notification as the bell and the API show it, worded in ``language``."""
    platform = uow.platform
    city = platform.organisation.city
    params = {**(row.params or {}), "platform": (city.platform_en if language == "en" else city.platform) or "OneStop"}
    message = platform.templates.render(row.kind, params, language=language, tz=platform.settings.tz)
    return {"id": row.id, "kind": row.kind, "subject": message.subject, "body": message.body,
            "link": (row.params or {}).get("link"), "instance_id": row.instance_id, "task_id": row.task_id,
            "created_at": row.created_at.isoformat(), "read": row.read_at is not None,
            "read_at": row.read_at.isoformat() if row.read_at else None}


def list_notifications(*, actor: Actor, uow: UnitOfWork, limit: int = 50, before: int | None = None,
                       unread_only: bool = False, language: str | None = None) -> dict[str, Any]:
    """The caller's in-app notifications, newest first (``before``: an id, for the next page)."""
    query = select(_ROWS).where(_ROWS.c.recipient == actor.username, _ROWS.c.channel == "in_app")
    if before is not None:
        query = query.where(_ROWS.c.id < before)
    if unread_only:
        query = query.where(_ROWS.c.read_at.is_(None))
    rows = uow.session.execute(query.order_by(_ROWS.c.id.desc()).limit(min(max(limit, 1), MAX_PAGE))).all()
    chosen = _language(actor, uow, language)
    return {"unread": unread_count(actor.username, uow=uow), "items": [view(row, uow, chosen) for row in rows]}


def mark_read(notification_id: int, *, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """Mark one of the caller's notifications read (again: harmless); 404 for anyone else's."""
    row = uow.session.execute(select(_ROWS).where(_ROWS.c.id == notification_id, _ROWS.c.channel == "in_app",
                                                  _ROWS.c.recipient == actor.username)).first()
    if row is None:
        raise NotFound(f"no notification {notification_id}")
    if row.read_at is None:
        uow.begin_write()
        uow.session.execute(update(_ROWS).where(_ROWS.c.id == row.id, _ROWS.c.read_at.is_(None)).values(read_at=now))
        row = uow.session.execute(select(_ROWS).where(_ROWS.c.id == row.id)).first()
    return view(row, uow, _language(actor, uow, None))


def mark_all_read(*, actor: Actor, uow: UnitOfWork, now: datetime) -> int:
    uow.begin_write()
    return int(uow.session.execute(update(_ROWS).where(  # type: ignore[attr-defined]  # a CursorResult
        _ROWS.c.recipient == actor.username, _ROWS.c.channel == "in_app", _ROWS.c.read_at.is_(None))
        .values(read_at=now)).rowcount)


def _user(actor: Actor, uow: UnitOfWork) -> User:
    user = uow.session.scalar(select(User).where(User.username == actor.username))
    if user is None:
        raise NotFound(f"no user {actor.username!r}")
    return user


def get_settings(*, actor: Actor, uow: UnitOfWork) -> dict[str, Any]:
    user = _user(actor, uow)
    return settings_view(user.notification_settings, uow.platform.templates, uow.platform.notify.quiet_hours,
                         email=user.email, mobile=user.mobile)


def put_settings(body: Any, *, actor: Actor, uow: UnitOfWork) -> dict[str, Any]:
    """Replace the caller's choices (``channels`` per kind, ``quiet_hours``, ``language``) and, if given, their
    email address. A mobile number is set by an administrator or proven by a code (registration)."""
    if not isinstance(body, dict):
        raise InvalidInput("settings are a JSON object")
    user = _user(actor, uow)
    choices = checked_settings({k: v for k, v in body.items() if k != "email"}, uow.platform.templates)
    if "email" in body:
        if body["email"] is not None and not isinstance(body["email"], str):
            raise InvalidInput("email is text", details=[{"field": "email", "message": "an address or empty"}])
        user.email = clean_email(body["email"])
    user.notification_settings = {**(user.notification_settings or {}), **choices}
    uow.flush()
    return settings_view(user.notification_settings, uow.platform.templates, uow.platform.notify.quiet_hours,
                         email=user.email, mobile=user.mobile)
