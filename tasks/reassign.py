"""An administrator hands an open or claimed task to a named member of the task's department (and county)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.notify.triggers import display_name, flow_name, task_assigned
from engine.people.identity import Actor
from engine.store.history import add_history
from engine.store.models import HumanTask, User, table_of

from .service import OPEN, task_view

_TASKS = table_of(HumanTask)


def reassign_task(task_id: int, username: str, *, reason: str, actor: Actor, uow: Any,
                  now: datetime) -> dict[str, Any]:
    """Give the task to ``username`` (it becomes claimed by them); the reason and the previous holder go into
    the case history. 403 for anyone but an administrator, 404 for an unknown task, 409 when the task is no
    longer open, 422 for a missing reason or a user who may not work on the task."""
    if not actor.is_admin:
        raise PermissionDenied("only administrators reassign a task")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("give a reason: it goes into the case history",
                           details=[{"field": "reason", "message": "required"}])
    task = uow.session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if task.state not in OPEN:
        raise Conflict(f"the task is {task.state}, no longer open")
    target = uow.session.scalar(select(User).where(User.username == username))
    _check_target(target, username, task, uow)
    before = (task.state, task.assignee)
    changed = uow.session.execute(
        update(_TASKS).where(_TASKS.c.id == task.id, _TASKS.c.state == before[0],
                             _TASKS.c.assignee.is_(None) if before[1] is None else _TASKS.c.assignee == before[1])
        .values(state="claimed", assignee=username, claimed_at=now)).rowcount
    if not changed:
        raise Conflict("the task changed at the same moment; reload and try again")
    add_history(uow, instance_id=task.instance_id, model_key=task.model_key, action="reassign",
                actor=actor.username, now=now, task_id=task.id, task_name=task.name,
                details={"from": before[1], "to": username, "reason": reason.strip()})
    task_assigned(uow, task, username, by=actor.username, by_name=display_name(uow, actor.username),
                  action="reassign", note=reason.strip(), flow_name=flow_name(uow, task.model_key), now=now)
    uow.session.refresh(task)
    return task_view(task)


def _check_target(target: User | None, username: str, task: HumanTask, uow: Any) -> None:
    problem = None
    if target is None or not target.active:
        problem = f"no active user {username!r}"
    elif task.department is None:
        problem = "an applicant's own task cannot be handed to someone else"
    elif target.role != "staff" or target.department != task.department:
        problem = f"{username} is not staff of {task.department}"
    elif uow.platform.organisation.is_per_county(task.department) and target.county != task.county:
        problem = f"{username} works at the window of {target.county}, the task is for {task.county}"
    if problem:
        raise InvalidInput(problem, details=[{"field": "username", "message": problem}])
