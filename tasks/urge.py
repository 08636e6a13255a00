"""催办: a supervisor (an administrator, or the talent office) presses for an overdue task with a message; the holder
(or the task's department) is told, and the case history records it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.errors import Conflict, InvalidInput, NotFound
from engine.notify.triggers import display_name, flow_name, urged
from engine.people.identity import Actor
from engine.services.supervision import check_supervisor
from engine.store.history import add_history

from .service import OPEN, task_row, task_view

#: The longest 催办 message (it goes into the case history and the SMS).
MAX_URGE_CHARS = 500


def urge_task(task_id: int, message: str, *, actor: Actor, uow: Any, now: datetime) -> dict[str, Any]:
    """Press for an open task: 403 for anyone but a supervisor, 404 unknown, 409 no longer open, 422 without a
    message."""
    check_supervisor(actor)
    text = message.strip() if isinstance(message, str) else ""
    if not text or len(text) > MAX_URGE_CHARS:
        raise InvalidInput(f"write what you press for (at most {MAX_URGE_CHARS} characters): it is sent and goes "
                           "into the case history", details=[{"field": "message", "message": "required text",
                                                              "message_zh": "请填写催办意见"}])
    task = task_row(task_id, uow)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if task.state not in OPEN:
        raise Conflict(f"the task is {task.state}: there is nothing to press for")
    uow.begin_write()
    add_history(uow, instance_id=task.instance_id, model_key=task.model_key, action="urge", actor=actor.username,
                now=now, task_id=task.id, task_name=task.name,
                details={"note": text, "to": task.assignee or task.department})
    sent = urged(uow, task, by=actor.username, by_name=display_name(uow, actor.username), message=text,
                 flow_name=flow_name(uow, task.model_key), now=now)
    return {**task_view(task), "urged": True, "notifications": sent}
