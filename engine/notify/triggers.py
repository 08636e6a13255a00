"""What causes a notification, written in the transaction of the change that causes it: tasks arriving in a
department, a task handed over or reassigned, a 催办, and what a diagram sends (a run's ``notifications``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.notify.outbox import Pending, To, write
from engine.store.models import ProcessModel, User
from engine.store.uow import UnitOfWork

APPLICANT = "applicant"


def task_link(task_id: int) -> str:
    return f"/tasks/{task_id}"


def case_link(instance_id: int) -> str:
    return f"/cases/{instance_id}"


def task_params(uow: UnitOfWork, task: Any, *, flow_name: str, business_key: str | None = None) -> dict[str, Any]:
    """What every template about a task may show (``task``: a task-list row or its dict)."""
    def get(key: str) -> Any:
        return task.get(key) if isinstance(task, dict) else getattr(task, key, None)

    due = get("due_at")
    return {"task_title": get("title") or get("name"), "flow_name": flow_name, "case_id": get("instance_id"),
            "business_key": business_key, "department": get("department"),
            "department_name": uow.platform.organisation.department_name(get("department")),
            "due_at": due.isoformat() if isinstance(due, datetime) else due, "link": task_link(int(get("id")))}


def tasks_ready(uow: UnitOfWork, new_tasks: list[dict[str, Any]], *, flow_name: str, business_key: str | None,
                now: datetime) -> list[Pending]:
    """A task that arrives in a department tells its staff (its county's staff, for a county window) and its group
    robot; an applicant's own step tells nobody by itself (a diagram names a template for that)."""
    return [Pending("task_ready", [To.staff(task["department"], task.get("county"))],
                    task_params(uow, task, flow_name=flow_name, business_key=business_key),
                    instance_id=task["instance_id"], task_id=task["id"])
            for task in new_tasks if task.get("department")]


def diagram_notices(uow: UnitOfWork, notices: list[dict[str, Any]], *, row: Any, flow_name: str,
                    new_tasks: dict[str, int]) -> list[Pending]:
    """What the run's diagram sent (engine/notify/diagram.py). A notice of a user task goes out only when that task
    has just arrived (``new_tasks``: its id by the engine's task id), not each time the case runs on."""
    pending = []
    for notice in notices:
        task_id = None
        if notice.get("task"):
            task_id = new_tasks.get(notice["task"])
            if task_id is None:
                continue
        recipients = [_recipient(value, row) for value in notice.get("to") or [APPLICANT]]
        link = task_link(task_id) if task_id is not None and notice.get("to_task") else case_link(row.id)
        params = {"flow_name": flow_name, "case_id": row.id, "business_key": row.business_key,
                  "message": notice.get("message", ""), "title": notice.get("title", ""), "link": link}
        pending.append(Pending(notice["template"], [r for r in recipients if r is not None], params,
                               instance_id=row.id, task_id=task_id))
    return pending


def _recipient(value: str, row: Any) -> To | None:
    """``applicant`` (who started the case, if an applicant), ``department:CODE`` (its staff, the case's county for
    a county window), ``mobile:NUMBER`` (an SMS to a number from the case data) or a user name."""
    kind, _colon, rest = value.partition(":")
    if value == APPLICANT:
        return To.starter(row.started_by)
    if kind == "department" and rest:
        return To.staff(rest, row.county)
    if kind == "mobile":
        return To.number(rest) if rest.strip() else None  # no number given in the case: nobody to text
    if kind == "user" and rest:
        return To.person(rest)
    return To.person(value) if value else None


def after_run(uow: UnitOfWork, *, row: Any, flow_name: str, new_tasks: list[dict[str, Any]],
              notices: list[dict[str, Any]], now: datetime) -> int:
    """Everything a saved run causes, in its transaction: the new tasks' notices and the diagram's."""
    pending = tasks_ready(uow, new_tasks, flow_name=flow_name, business_key=row.business_key, now=now)
    pending += diagram_notices(uow, notices, row=row, flow_name=flow_name,
                               new_tasks={task["spiff_task_id"]: task["id"] for task in new_tasks})
    return write(uow, pending, now=now)


def task_assigned(uow: UnitOfWork, task: Any, to_username: str, *, by: str, by_name: str, action: str,
                  note: str, flow_name: str, now: datetime) -> int:
    """A task handed over (转交) or reassigned (改派) to someone tells them."""
    params = task_params(uow, task, flow_name=flow_name) | {"by": by_name, "note": note, "action": action}
    return write(uow, [Pending("task_assigned", [To.person(to_username)], params, instance_id=task.instance_id,
                               task_id=task.id, exclude=(by,))], now=now)


def urged(uow: UnitOfWork, task: Any, *, by: str, by_name: str, message: str, flow_name: str,
          now: datetime) -> int:
    """A 催办 tells whoever holds the task, or its department's staff when nobody does."""
    recipients = [To.person(task.assignee)] if task.assignee else [To.staff(task.department, task.county)]
    params = task_params(uow, task, flow_name=flow_name) | {"by": by_name, "note": message}
    return write(uow, [Pending("urge", recipients, params, instance_id=task.instance_id, task_id=task.id,
                               exclude=(by,))], now=now)


def flow_name(uow: UnitOfWork, model_key: str) -> str:
    """A flow's name as its latest version calls it."""
    return uow.session.scalar(select(ProcessModel.name).where(ProcessModel.key == model_key)
                              .order_by(ProcessModel.version.desc()).limit(1)) or model_key


def display_name(uow: UnitOfWork, username: str) -> str:
    return uow.session.scalar(select(User.display_name).where(User.username == username)) or username
