"""Time-based notices, found by the worker's sweep from the indexed deadline of open tasks (never a scan of every
task): a deadline one working day away (its holder, or its department's staff), and a task overdue (its holder or
department, and the talent office, which supervises every department). Each is sent once per task and deadline
(``task_notices``); a task whose clock is stopped (case suspended, materials out for correction) gets none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, insert, select, text

from engine.notify.outbox import Pending, To, write
from engine.notify.triggers import task_params
from engine.store.models import HumanTask, ProcessInstance, ProcessModel, TaskNotice, table_of
from engine.store.uow import UnitOfWork

if TYPE_CHECKING:
    from engine.platform import Platform

SOON = "deadline_soon"
OVERDUE = "task_overdue"
SUPERVISOR = "talent_office"  # engine/cases/instances.SUPERVISING_DEPARTMENT (a higher part: not imported)
#: How far back an overdue deadline is still told: a worker that was stopped for days does not flood everyone
#: with old news, and one that was down briefly misses nothing.
OVERDUE_LOOKBACK = timedelta(days=7)
#: Tasks one sweep tells about, per kind (the rest at the next sweep).
MAX_NOTICES_PER_SWEEP = 500
REMINDER_LEASE = (7_002, 0)  # PostgreSQL advisory lock: one worker at a time finds the notices

_NOTICES = table_of(TaskNotice)


@dataclass
class ReminderReport:
    soon: int = 0
    overdue: int = 0
    skipped: bool = False


def _due_tasks(uow: UnitOfWork, kind: str, after: datetime, until: datetime) -> list[Any]:
    """Open tasks due in (after, until] without a notice of ``kind`` at their deadline, from the (state, due_at)
    index; suspended cases and stopped clocks left out."""
    told = exists().where(TaskNotice.task_id == HumanTask.id, TaskNotice.kind == kind,
                          TaskNotice.due_at == HumanTask.due_at)
    query = select(HumanTask, ProcessInstance.business_key, ProcessModel.name).join(
        ProcessInstance, ProcessInstance.id == HumanTask.instance_id).join(
        ProcessModel, ProcessModel.id == ProcessInstance.model_id).where(
        HumanTask.state.in_(("open", "claimed")), HumanTask.due_at > after, HumanTask.due_at <= until,
        HumanTask.clock_stopped_at.is_(None), ProcessInstance.status == "active", ~told) \
        .order_by(HumanTask.due_at, HumanTask.id).limit(MAX_NOTICES_PER_SWEEP)
    return list(uow.session.execute(query).all())


def _recipients(task: HumanTask, kind: str) -> list[To]:
    if task.department is None:  # an applicant's own step: only its deadline, to them
        return [To.person(task.assignee)] if kind == SOON and task.assignee else []
    holder = [To.person(task.assignee)] if task.state == "claimed" and task.assignee else \
        [To.staff(task.department, task.county, robot=kind == OVERDUE)]
    return holder + [To.staff(SUPERVISOR)] if kind == OVERDUE else holder


def send_time_notices(platform: Platform, *, now: datetime | None = None) -> ReminderReport:
    """One sweep: tell about deadlines that are one working day away or have passed, each once."""
    moment = now or platform.now()
    report = ReminderReport()
    with platform.uow() as uow:
        if uow.session.get_bind().dialect.name == "postgresql" and not uow.session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:space, :id)"),
                {"space": REMINDER_LEASE[0], "id": REMINDER_LEASE[1]}):
            report.skipped = True  # another worker is at it
            return report
        horizon = platform.calendar.get(uow).working_days(1, moment)
        pending: list[Pending] = []
        notices: list[dict[str, Any]] = []
        for kind, after, until in ((SOON, moment, horizon), (OVERDUE, moment - OVERDUE_LOOKBACK, moment)):
            for task, business_key, flow_name in _due_tasks(uow, kind, after, until):
                notices.append({"task_id": task.id, "kind": kind, "due_at": task.due_at, "created_at": moment})
                recipients = _recipients(task, kind)
                if recipients:
                    params = task_params(uow, task, flow_name=flow_name or task.model_key,
                                         business_key=business_key) | {"holder": task.assignee or ""}
                    pending.append(Pending(kind, recipients, params, instance_id=task.instance_id,
                                           task_id=task.id))
                setattr(report, "soon" if kind == SOON else "overdue",
                        getattr(report, "soon" if kind == SOON else "overdue") + 1)
        if notices:
            uow.begin_write()
            uow.session.execute(insert(_NOTICES), notices)
            write(uow, pending, now=moment)
        uow.commit()
    return report


def told(uow: UnitOfWork, task_id: int) -> list[str]:
    """The time-based notices a task has had (for its page and for tests)."""
    return list(uow.session.scalars(select(TaskNotice.kind).where(and_(TaskNotice.task_id == task_id))
                                    .order_by(TaskNotice.id)))
