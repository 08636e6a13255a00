"""Writing notifications into the outbox, in the caller's transaction: one in-app row per person (delivered as it
is written: the bell reads it), one row per further channel the person chose (email, SMS), one for the group robot
of a department, and one SMS for a number taken from the case data. The worker (engine/notify/delivery.py) sends
the pending rows; nothing here talks to the outside."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, insert, or_, select

from engine.notify.preferences import NEVER_HELD, channels_for, quiet_hours_of, release_time
from engine.people.privacy import mask_text
from engine.people.tokens import accounts_changed
from engine.store import prepared
from engine.store.history import json_safe
from engine.store.models import Notification, User, table_of
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)

#: People one notification reaches at most (a department's staff): past it the rest are left out, with a warning
#: in the log naming the department — its group robot still reaches everyone.
MAX_RECIPIENTS = 500
#: The largest parameters a notification keeps (what its template is rendered from).
MAX_PARAMS_CHARS = 8_000
#: Departments (per county, for a per-county window) whose staff one server process keeps, least recently used
#: dropped first.
STAFF_CACHE_SIZE = 512
DIRECT = "mobile"  # the recipient of an SMS to a number from the case data (no account)

_NOTIFICATIONS = table_of(Notification)
_USERS = table_of(User).c
_PERSON = (_USERS.username, _USERS.role, _USERS.department, _USERS.county, _USERS.email, _USERS.mobile,
           _USERS.notification_settings)


def _staff_statement(per_county: bool) -> Select[Any]:
    """The staff of one department (of one county): built once, the commonest read here (a task arriving)."""
    query = select(*_PERSON).where(_USERS.active.is_(True), _USERS.role == "staff",
                                   _USERS.department == bindparam("department"))
    if per_county:
        query = query.where(_USERS.county == bindparam("county"))
    return query.order_by(_USERS.username).limit(bindparam("limit", type_=Integer))


_STAFF_OF = {per_county: _staff_statement(per_county) for per_county in (False, True)}
_INSERT_NOTIFICATIONS = insert(_NOTIFICATIONS)


class StaffCache:
    """The staff of the departments a process has told of arriving tasks, each valid only at the ``auth`` revision
    it was read at (engine/people/tokens.py: it moves with every change to an account — a new colleague, a moved or
    disabled one, new contact details or choices). A unit of work whose reads found the same revision takes the
    staff from here instead of reading them again; any other reads them (and keeps them for the next)."""

    def __init__(self, size: int = STAFF_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str | None], tuple[int, list[Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str | None], revision: int | None) -> list[Any] | None:
        if revision is None:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != revision:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple[str, str | None], revision: int | None, rows: list[Any]) -> None:
        """Keep ``rows``, read after a read of the unit found ``revision`` (a later change can only make the entry
        look older than it is: the next unit reads again)."""
        if revision is None:
            return
        with self._lock:
            self._entries[key] = (revision, rows)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


@dataclass(frozen=True)
class To:
    """Who a notification is for: an account, a department's staff (its county's, for a per-county window) with
    its group robot, the applicant who started the case, or a mobile number from the case data."""

    user: str | None = None
    department: str | None = None
    county: str | None = None
    applicant: str | None = None
    mobile: str | None = None
    robot: bool = True

    @classmethod
    def person(cls, username: str) -> To:
        return cls(user=username)

    @classmethod
    def staff(cls, department: str, county: str | None = None, *, robot: bool = True) -> To:
        return cls(department=department, county=county, robot=robot)

    @classmethod
    def starter(cls, username: str) -> To:
        return cls(applicant=username)

    @classmethod
    def number(cls, mobile: str) -> To:
        return cls(mobile=mobile)


@dataclass(frozen=True)
class _Person:
    username: str
    role: str
    department: str | None
    county: str | None
    email: str | None
    mobile: str | None
    settings: dict[str, Any] | None


def _people(uow: UnitOfWork, recipients: list[To]) -> list[_Person]:
    """Every active account the recipients name, in one query."""
    names = {r.user for r in recipients if r.user} | {r.applicant for r in recipients if r.applicant}
    organisation = uow.platform.organisation
    departments = {(r.department, r.county) for r in recipients if r.department is not None}
    if not names and len(departments) == 1:  # one department's staff: the prepared statement
        [(department, county)] = departments
        per_county = organisation.is_per_county(department)
        key = (department, county if per_county else None)
        cache: StaffCache = uow.platform.staff
        # A unit that changed an account itself reads them (what it wrote may yet be rolled back).
        revision = None if accounts_changed(uow.session) else uow.auth_revision
        rows = cache.get(key, revision)
        if rows is None:
            params = {"department": department, "limit": MAX_RECIPIENTS * 4} | (
                {"county": county} if per_county else {})
            rows = list(prepared.rows(uow, _STAFF_OF[per_county], params))
            cache.put(key, revision, rows)
        return _persons(rows, names)
    wanted: list[Any] = []
    if names:
        wanted.append(User.username.in_(sorted(names)))
    for r in recipients:
        if r.department is None:
            continue
        condition = and_(User.role == "staff", User.department == r.department)
        if organisation.is_per_county(r.department):
            condition = and_(condition, User.county == r.county)
        wanted.append(condition)
    if not wanted:
        return []
    return _persons(uow.session.execute(select(*_PERSON).where(_USERS.active.is_(True), or_(*wanted))
                                        .order_by(_USERS.username).limit(MAX_RECIPIENTS * 4)).all(), names)


def _persons(rows: Iterable[Any], names: set[str]) -> list[_Person]:
    """The accounts read, each department's staff cut at MAX_RECIPIENTS."""
    people = []
    staff_of: dict[str, int] = {}
    for row in rows:
        if row.username not in names and row.department is not None:  # reached as staff of a department
            staff_of[row.department] = staff_of.get(row.department, 0) + 1
            if staff_of[row.department] > MAX_RECIPIENTS:
                log.warning("a notification to %s reaches its first %d staff only", row.department, MAX_RECIPIENTS)
                continue
        people.append(_Person(row.username, row.role, row.department, row.county, row.email, row.mobile,
                              row.notification_settings))
    return people


def bounded_params(params: dict[str, Any]) -> dict[str, Any]:
    """The template's values as plain JSON, each text cut so the whole stays within MAX_PARAMS_CHARS."""
    safe = json_safe(params)
    for key, value in safe.items():
        if isinstance(value, str) and len(value) > 1_000:
            safe[key] = value[:999] + "…"
    while len(repr(safe)) > MAX_PARAMS_CHARS and any(isinstance(v, str) and len(v) > 50 for v in safe.values()):
        longest = max((k for k, v in safe.items() if isinstance(v, str)), key=lambda k: len(safe[k]))
        safe[longest] = safe[longest][: len(safe[longest]) // 2] + "…"
    return safe


@dataclass
class Pending:
    """One notification to write: its kind (template), who it is for, and the values its template reads."""

    kind: str
    recipients: list[To]
    params: dict[str, Any]
    instance_id: int | None = None
    task_id: int | None = None
    exclude: tuple[str, ...] = ()


def notify(uow: UnitOfWork, kind: str, recipients: Iterable[To], params: dict[str, Any], *, now: datetime,
           instance_id: int | None = None, task_id: int | None = None, exclude: Iterable[str] = ()) -> int:
    """Write the rows of one notification for ``recipients`` (``exclude``: people not to tell, e.g. whoever
    caused it); returns how many rows were written."""
    return write(uow, [Pending(kind, list(recipients), params, instance_id, task_id, tuple(exclude))], now=now)


def write(uow: UnitOfWork, notifications: list[Pending], *, now: datetime) -> int:
    """Write several notifications' rows: one query for the people they reach, one INSERT for all rows."""
    if not notifications:
        return 0
    people = {person.username: person for person in _people(uow, [r for n in notifications for r in n.recipients])}
    rows: list[dict[str, Any]] = []
    for pending in notifications:
        rows += _rows(uow, pending, people, now)
    if rows:
        uow.begin_write()
        prepared.execute_many(uow, _INSERT_NOTIFICATIONS, rows)
        log.debug("notifications: %d rows (%s)", len(rows), mask_text(", ".join(
            f"{row['kind']}/{row['channel']}:{row['recipient']}" for row in rows[:50])))
    return len(rows)


def _reached(pending: Pending, people: dict[str, _Person], uow: UnitOfWork) -> list[_Person]:
    organisation = uow.platform.organisation
    reached: list[_Person] = []
    for person in people.values():
        for r in pending.recipients:
            if person.username in (r.user, r.applicant):
                if r.applicant and person.role != "applicant" and person.username != r.user:
                    continue
                reached.append(person)
                break
            if r.department is not None and person.role == "staff" and person.department == r.department and \
                    (not organisation.is_per_county(r.department) or person.county == r.county):
                reached.append(person)
                break
    return reached


def _rows(uow: UnitOfWork, pending: Pending, people: dict[str, _Person], now: datetime) -> list[dict[str, Any]]:
    platform = uow.platform
    template = platform.templates.get(pending.kind)
    common = {"kind": pending.kind, "instance_id": pending.instance_id, "task_id": pending.task_id,
              "params": bounded_params(pending.params), "created_at": now, "attempts": 0, "claimed_at": None,
              "last_error": None, "read_at": None, "batch_id": None, "resend_of": None, "address": None}
    held = pending.kind not in NEVER_HELD
    rows: list[dict[str, Any]] = []
    mobiles: set[str] = set()
    skipped = set(pending.exclude)
    for person in _reached(pending, people, uow):
        if person.username in skipped:
            continue
        skipped.add(person.username)
        rows.append({**common, "channel": "in_app", "recipient": person.username, "state": "sent", "sent_at": now,
                     "next_attempt_at": None})
        for channel in channels_for(person.settings, template):
            address = person.email if channel == "email" else person.mobile
            if not address:
                continue
            due = now
            if channel == "sms":
                mobiles.add(address)
                if held:
                    due = release_time(now, quiet_hours_of(person.settings, platform.notify.quiet_hours),
                                       platform.settings.tz)
            rows.append({**common, "channel": channel, "recipient": person.username, "state": "pending",
                         "sent_at": None, "next_attempt_at": due})
    organisation = platform.organisation
    for code in sorted({r.department for r in pending.recipients if r.department and r.robot}):
        department = organisation.departments.get(code)
        if department is not None and department.webhook:
            rows.append({**common, "channel": "webhook", "recipient": code, "state": "pending", "sent_at": None,
                         "next_attempt_at": now})
    for number in sorted({r.mobile.strip() for r in pending.recipients if r.mobile and r.mobile.strip()}):
        if number in mobiles:
            continue  # the applicant's own account has that number: one SMS
        due = release_time(now, quiet_hours_of(None, platform.notify.quiet_hours), platform.settings.tz) \
            if held else now
        rows.append({**common, "channel": "sms", "recipient": DIRECT, "address": number, "state": "pending",
                     "sent_at": None, "next_attempt_at": due})
    return rows
