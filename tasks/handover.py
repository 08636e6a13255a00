"""Handing a claimed task over to a colleague of the same department (and county, for county windows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from engine.errors import Conflict, InvalidInput, NotFound
from engine.notify.triggers import display_name, flow_name, task_assigned
from engine.people.identity import Actor
from engine.store.history import add_history
from engine.store.models import HumanTask, User, table_of
from engine.store.uow import UnitOfWork

from .service import may_act, refuse_while_suspended, task_row, task_view

__all__ = ["colleagues", "hand_over_task"]

_TASKS = table_of(HumanTask)


def _task(task_id: int, actor: Actor, uow: UnitOfWork) -> Any:
    task = task_row(task_id, uow)
    if task is None or not may_act(actor, task, uow):
        raise NotFound(f"no task {task_id}")
    return task


def _colleague_query(task: Any, uow: UnitOfWork) -> Any:
    query = select(User).where(User.role == "staff", User.active.is_(True), User.department == task.department)
    if uow.platform.organisation.is_per_county(task.department):
        query = query.where(User.county == task.county)
    return query


def colleagues(task_id: int, *, actor: Actor, uow: UnitOfWork) -> list[dict[str, str]]:
    """The staff a task may be handed over to: its department's (and county's), other than the holder."""
    task = _task(task_id, actor, uow)
    if task.department is None:
        return []
    users = uow.session.scalars(_colleague_query(task, uow).order_by(User.username)).all()
    return [{"username": u.username, "display_name": u.display_name or u.username} for u in users
            if u.username not in (actor.username, task.assignee)]


def hand_over_task(task_id: int, to_username: str, *, actor: Actor, uow: UnitOfWork, now: datetime,
                   note: str = "") -> dict[str, Any]:
    """The holder (or an administrator) gives a claimed task to a colleague, who then holds it."""
    task = _task(task_id, actor, uow)
    refuse_while_suspended(task)
    if task.department is None:
        raise Conflict("an applicant's own task cannot be handed over")
    if task.state != "claimed":
        raise Conflict(f"the task is {task.state}: claim it before handing it over")
    if task.assignee != actor.username and not actor.is_admin:
        raise Conflict(f"the task is held by {task.assignee}; only they or an administrator can hand it over")
    if len(note) > 500:
        raise InvalidInput("the note is too long", details=[{"field": "note", "message": "at most 500 characters",
                                                             "message_zh": "内容太长"}])
    target = uow.session.scalar(_colleague_query(task, uow).where(User.username == to_username))
    if target is None or target.username == task.assignee:
        raise InvalidInput(f"{to_username!r} is not a colleague who can take this task", details=[{
            "field": "to", "message": "a colleague of the task's department", "message_zh": "请选择本部门的同事"}])
    moved = uow.session.execute(
        update(_TASKS).where(_TASKS.c.id == task.id, _TASKS.c.state == "claimed", _TASKS.c.assignee == task.assignee)
        .values(assignee=target.username, claimed_at=now)).rowcount  # type: ignore[attr-defined]
    if not moved:
        raise Conflict("the task changed at the same moment; reload and try again")
    add_history(uow, instance_id=task.instance_id, model_key=task.model_key, action="handover", actor=actor.username,
                now=now, task_id=task.id, task_name=task.name,
                details={"from": task.assignee, "to": target.username, "note": note})
    task_assigned(uow, task, target.username, by=actor.username, by_name=display_name(uow, actor.username),
                  action="handover", note=note, flow_name=flow_name(uow, task.model_key), now=now)
    return task_view(task_row(task.id, uow))
