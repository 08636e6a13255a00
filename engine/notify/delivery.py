"""The worker's half of the outbox: claim the due rows, send them, record what happened — never inside a person's
request, and at most once per row.

A row is claimed (``pending`` → ``sending``, committed) before anything is sent, so a second worker never takes
it (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: the claim holds the write lock), and a worker that dies after
sending leaves it ``sending``: it is never sent again by itself (an administrator may resend it after checking).
A failure that certainly did not send (engine/notify/channels.py) is tried again after a growing wait, up to
MAX_ATTEMPTS; then the row is ``failed`` with the error, visible in the console. Several rows of a batched kind
(new tasks, deadlines) for one person and channel in one sweep go out as one message listing them."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from engine.notify.channels import DeliveryFailed, send_email, send_sms, send_webhook
from engine.notify.outbox import DIRECT
from engine.notify.preferences import NEVER_HELD, in_quiet_hours, language_of, quiet_hours_of, release_time
from engine.notify.templates import Message, clip
from engine.people.privacy import mask_text
from engine.store.models import Notification, User, table_of

if TYPE_CHECKING:
    from engine.platform import Platform

log = logging.getLogger(__name__)

#: Tries of one message before it is marked failed; the wait after the Nth failed try is
#: FIRST_RETRY_WAIT × BACKOFF_FACTOR^(N-1), at most MAX_RETRY_WAIT (1, 4, 16, 60 minutes).
MAX_ATTEMPTS = 5
FIRST_RETRY_WAIT = timedelta(minutes=1)
BACKOFF_FACTOR = 4
MAX_RETRY_WAIT = timedelta(hours=1)
#: Rows claimed at once, and at most per sweep (the rest wait for the next sweep).
CLAIM_BATCH = 100
MAX_ROWS_PER_SWEEP = 1_000
#: Items one digest message lists; the rest are counted ("and N more").
MAX_DIGEST_ITEMS = 20
MAX_ERROR_CHARS = 1_000

_ROWS = table_of(Notification)
SECRET, HIDDEN = "code", "******"  # a verification code in a notification's values


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    messages: int = 0  # messages that went out (a digest carries several rows)
    retrying: int = 0
    failed: int = 0
    held: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class _Claimed:
    id: int
    channel: str
    recipient: str
    address: str | None
    kind: str
    params: dict[str, Any]
    attempts: int
    language: str = "zh"


def sendable(platform: Platform) -> list[str]:
    """The channels this process can send: a worker without ONESTOP_SMTP_URL (or ONESTOP_SMS_URL) leaves those rows
    pending for one that has it (the console shows them waiting), instead of failing them."""
    config = platform.notify
    return ["webhook", *(["email"] if config.email_on else []), *(["sms"] if config.sms_on else [])]


def retry_wait(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try."""
    return min(FIRST_RETRY_WAIT * BACKOFF_FACTOR ** max(attempts - 1, 0), MAX_RETRY_WAIT)


def _claim(platform: Platform, now: datetime, limit: int, report: DeliveryReport) -> list[_Claimed]:
    """Take up to ``limit`` due rows for this worker, committed before anything is sent."""
    with platform.uow() as uow:
        query = select(_ROWS.c.id, _ROWS.c.channel, _ROWS.c.recipient, _ROWS.c.address, _ROWS.c.kind,
                       _ROWS.c.params, _ROWS.c.attempts).where(
            _ROWS.c.state == "pending", _ROWS.c.channel.in_(sendable(platform)), _ROWS.c.next_attempt_at <= now) \
            .order_by(_ROWS.c.next_attempt_at, _ROWS.c.id).limit(limit)
        if uow.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = [_Claimed(*row) for row in uow.session.execute(query).all()]
        if not rows:
            return []
        names = sorted({row.recipient for row in rows if row.channel in ("email", "sms") and row.recipient != DIRECT})
        people = {person.username: person for person in uow.session.execute(
            select(User.username, User.email, User.mobile, User.notification_settings, User.active)
            .where(User.username.in_(names))).all()} if names else {}
        taken: list[_Claimed] = []
        for row in rows:
            person = people.get(row.recipient)
            settings = person.notification_settings if person is not None else None
            row.language = language_of(settings)
            if row.channel == "sms" and row.kind not in NEVER_HELD:
                window = quiet_hours_of(settings, platform.notify.quiet_hours)
                if window is not None and in_quiet_hours(now.astimezone(platform.settings.tz).time(), window):
                    uow.session.execute(update(_ROWS).where(_ROWS.c.id == row.id).values(
                        next_attempt_at=release_time(now, window, platform.settings.tz)))
                    report.held += 1
                    continue
            if row.channel in ("email", "sms") and row.recipient != DIRECT:
                row.address = None if person is None or not person.active else \
                    (person.email if row.channel == "email" else person.mobile)
            taken.append(row)
        if taken:
            uow.session.execute(update(_ROWS).where(_ROWS.c.id.in_([row.id for row in taken]),
                                                    _ROWS.c.state == "pending")
                                .values(state="sending", claimed_at=now, attempts=_ROWS.c.attempts + 1))
        uow.commit()
    for row in taken:
        row.attempts += 1
    return taken


def _groups(platform: Platform, rows: list[_Claimed]) -> list[list[_Claimed]]:
    """Rows of batched kinds for one person (or department) and channel go together; the others alone."""
    batched: dict[tuple[str, str, str | None], list[_Claimed]] = defaultdict(list)
    groups: list[list[_Claimed]] = []
    for row in rows:
        if platform.templates.get(row.kind).batch:
            batched[(row.channel, row.recipient, row.address)].append(row)
        else:
            groups.append([row])
    return groups + list(batched.values())


def _values(platform: Platform, row: _Claimed) -> dict[str, Any]:
    city = platform.organisation.city
    name = (city.platform_en if row.language == "en" else city.platform) or "OneStop"
    link = str(row.params.get("link") or "")
    return {**row.params, "platform": name, "link": platform.notify.link(link) if link else ""}


def compose(platform: Platform, rows: list[_Claimed]) -> Message:
    """The one message for a group of rows: the row's own template, or a digest listing them."""
    tz = platform.settings.tz
    book = platform.templates
    first = rows[0]
    if len(rows) == 1:
        return book.render(first.kind, _values(platform, first), language=first.language, tz=tz)
    messages = [(book.render(row.kind, _values(platform, row), language=first.language, tz=tz),
                 _values(platform, row)["link"]) for row in rows[:MAX_DIGEST_ITEMS]]
    return book.render("digest", {
        "platform": _values(platform, first)["platform"], "count": len(rows),
        "first": clip(messages[0][0].subject, 40), "more": max(len(rows) - MAX_DIGEST_ITEMS, 0),
        "items": [{"subject": message.subject, "link": link} for message, link in messages]},
        language=first.language, tz=tz)


def _send(platform: Platform, rows: list[_Claimed]) -> None:
    first = rows[0]
    message = compose(platform, rows)
    if first.channel == "email":
        if not first.address:
            raise DeliveryFailed(f"{first.recipient} has no email address (any more)", retry=False)
        city = platform.organisation.city
        send_email(platform.notify, first.address, message, sender_name=city.platform or "OneStop")
    elif first.channel == "sms":
        if not first.address:
            raise DeliveryFailed(f"{first.recipient} has no mobile number (any more)", retry=False)
        send_sms(platform.notify, first.address, message.sms)
    elif first.channel == "webhook":
        department = platform.organisation.departments.get(first.recipient)
        if department is None or not department.webhook:
            raise DeliveryFailed(f"department {first.recipient} has no group robot (webhook:) any more", retry=False)
        send_webhook(department.webhook, message.webhook_text())
    else:
        raise DeliveryFailed(f"no channel {first.channel!r}", retry=False)


def _record(platform: Platform, rows: list[_Claimed], now: datetime, failure: DeliveryFailed | None,
            report: DeliveryReport) -> None:
    ids = [row.id for row in rows]
    claimed = (_ROWS.c.id.in_(ids)) & (_ROWS.c.state == "sending")
    with platform.uow() as uow:
        for row in rows:  # a code is kept only until it went out (or failed): not in the console, not in backups
            if SECRET in row.params:
                uow.session.execute(update(_ROWS).where(_ROWS.c.id == row.id).values(
                    params={**row.params, SECRET: HIDDEN}))
        if failure is None:
            uow.session.execute(update(_ROWS).where(claimed).values(state="sent", sent_at=now, batch_id=ids[0],
                                                                     last_error=None))
            report.sent += len(rows)
            report.messages += 1
        else:
            error = clip(mask_text(failure.message), MAX_ERROR_CHARS)
            for row in rows:
                if failure.retry and row.attempts < MAX_ATTEMPTS:
                    values: dict[str, Any] = {"state": "pending", "next_attempt_at": now + retry_wait(row.attempts)}
                    report.retrying += 1
                else:
                    values = {"state": "failed", "next_attempt_at": None}
                    report.failed += 1
                uow.session.execute(update(_ROWS).where(_ROWS.c.id == row.id, _ROWS.c.state == "sending")
                                    .values(last_error=error, **values))
            report.errors.append(error)
        uow.commit()


def deliver_due(platform: Platform, *, now: datetime | None = None) -> DeliveryReport:
    """One sweep: claim what is due, send it (a digest per person and channel for batched kinds), record it."""
    moment = now or platform.now()
    report = DeliveryReport()
    while report.claimed < MAX_ROWS_PER_SWEEP:
        rows = _claim(platform, moment, min(CLAIM_BATCH, MAX_ROWS_PER_SWEEP - report.claimed), report)
        report.claimed += len(rows)
        for group in _groups(platform, rows):
            try:
                _send(platform, group)
                failure = None
            except DeliveryFailed as error:
                failure = error
                log.warning("notification %s (%s to %s): %s", group[0].id, group[0].channel,
                            mask_text(group[0].recipient), mask_text(error.message))
            _record(platform, group, moment, failure, report)
        if len(rows) < CLAIM_BATCH:
            break
    return report
