"""What administrators see of the outbox: every notification with its channel, state, tries and the error of a
failed one, filtered by state, channel, kind and recipient; and resending one (as a new row, so the record of the
first stays as it was)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select

from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.people.privacy import mask_text
from engine.store.models import Notification, table_of
from engine.store.uow import UnitOfWork

STATES = ("pending", "sending", "sent", "failed")
CHANNELS = ("in_app", "email", "sms", "webhook")
MAX_PAGE = 200
_ROWS = table_of(Notification)


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only administrators see the delivery of notifications")


def delivery_view(row: Any, uow: UnitOfWork) -> dict[str, Any]:
    """One row as the console shows it; numbers from the case data are masked."""
    params = {**(row.params or {})}
    if "code" in params:  # a registration code is nobody's business but the applicant's
        params["code"] = "******"
    message = uow.platform.templates.render(row.kind, {**params, "platform": uow.platform.organisation.city.platform},
                                            language="zh", tz=uow.platform.settings.tz)
    return {"id": row.id, "channel": row.channel, "recipient": row.recipient,
            "address": mask_text(row.address) if row.address else None, "kind": row.kind, "subject": message.subject,
            "instance_id": row.instance_id, "task_id": row.task_id, "state": row.state, "attempts": row.attempts,
            "created_at": row.created_at.isoformat(),
            "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
            "claimed_at": row.claimed_at.isoformat() if row.claimed_at else None,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "held": row.state == "pending" and row.next_attempt_at is not None and row.attempts == 0
            and row.next_attempt_at > row.created_at,
            "last_error": mask_text(row.last_error) if row.last_error else None,
            "batch_id": row.batch_id, "resend_of": row.resend_of}


def list_deliveries(*, actor: Actor, uow: UnitOfWork, state: str | None = None, channel: str | None = None,
                    kind: str | None = None, recipient: str | None = None, limit: int = 50,
                    offset: int = 0) -> dict[str, Any]:
    """Newest first; ``total`` and the counts per state for the same filters but the state."""
    _admin(actor)
    if state is not None and state not in STATES:
        raise InvalidInput(f"state must be one of {', '.join(STATES)}", details=[{"field": "state",
                                                                                   "message": ", ".join(STATES)}])
    if channel is not None and channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}",
                           details=[{"field": "channel", "message": ", ".join(CHANNELS)}])
    where = []
    if channel:
        where.append(_ROWS.c.channel == channel)
    if kind:
        where.append(_ROWS.c.kind == kind)
    if recipient:
        where.append(_ROWS.c.recipient == recipient)
    counts = {s: 0 for s in STATES} | {s: int(n) for s, n in uow.session.execute(
        select(_ROWS.c.state, func.count()).where(*where).group_by(_ROWS.c.state)).all()}
    if state:
        where.append(_ROWS.c.state == state)
    rows = uow.session.execute(select(_ROWS).where(*where).order_by(_ROWS.c.id.desc())
                               .limit(min(max(limit, 1), MAX_PAGE)).offset(max(offset, 0))).all()
    total = counts[state] if state else sum(counts.values())
    return {"total": total, "counts": counts, "items": [delivery_view(row, uow) for row in rows]}


def resend(notification_id: int, *, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """Send a failed (or interrupted: ``sending``) notification again, as a new pending row naming the first."""
    _admin(actor)
    row = uow.session.execute(select(_ROWS).where(_ROWS.c.id == notification_id)).first()
    if row is None:
        raise NotFound(f"no notification {notification_id}")
    if row.channel == "in_app":
        raise Conflict("an in-app notification is delivered as it is written: there is nothing to resend")
    if row.state not in ("failed", "sending"):
        raise Conflict(f"the notification is {row.state}: only a failed or interrupted one is sent again")
    values = {column: getattr(row, column) for column in ("channel", "recipient", "address", "kind", "instance_id",
                                                          "task_id", "params")}
    uow.begin_write()
    new_id = uow.session.execute(insert(_ROWS).returning(_ROWS.c.id), {
        **values, "created_at": now, "state": "pending", "attempts": 0, "next_attempt_at": now,
        "resend_of": row.id}).scalar_one()
    return delivery_view(uow.session.execute(select(_ROWS).where(_ROWS.c.id == new_id)).one(), uow)
