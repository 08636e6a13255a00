"""A case's priority (普通/紧急/特急): its names, and setting it — by the window that received the case or an
administrator — onto the case and its open task rows, so task lists sort and filter by it in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update

from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.store.history import add_history
from engine.store.models import HumanTask, ProcessInstance
from engine.store.uow import UnitOfWork

#: Priority names in the API → the stored level; a higher level comes first in a task list sorted by priority.
PRIORITIES = {"normal": 0, "urgent": 1, "critical": 2}
PRIORITY_NAMES = {level: name for name, level in PRIORITIES.items()}
#: The departments whose staff set a case's priority (the windows that receive applications); administrators too.
PRIORITY_SETTERS = ("city_window", "county_window")
MAX_REASON_CHARS = 2000


def priority_level(name: Any) -> int:
    """The stored level of a priority name; 422 for anything else."""
    if not isinstance(name, str) or name not in PRIORITIES:
        raise InvalidInput(f"priority must be one of {', '.join(PRIORITIES)}",
                           details=[{"field": "priority", "message": " | ".join(PRIORITIES),
                                     "message_zh": "优先级只能是 普通、紧急 或 特急"}])
    return PRIORITIES[name]


def may_set_priority(actor: Actor, row: ProcessInstance, uow: UnitOfWork) -> bool:
    """Administrators, and staff of a window who may see the case (a county window: of the case's county)."""
    from engine.cases.instances import can_view

    if actor.is_admin:
        return True
    if actor.role != "staff" or actor.department not in PRIORITY_SETTERS:
        return False
    if uow.platform.organisation.is_per_county(actor.department) and row.county != actor.county:
        return False
    return can_view(actor, row, uow)


def set_priority(instance_id: int, priority: Any, *, reason: str = "", actor: Actor, uow: UnitOfWork,
                 now: datetime) -> dict[str, Any]:
    """Give a running case a priority; its open tasks take it at once, and tasks it reaches later too."""
    from engine.cases.instances import can_view, instance_summary

    level = priority_level(priority)
    if not isinstance(reason, str) or len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"reason must be text of at most {MAX_REASON_CHARS} characters",
                           details=[{"field": "reason", "message": "text"}])
    row = uow.session.get(ProcessInstance, instance_id)
    if row is None or not (actor.is_admin or can_view(actor, row, uow)):
        raise NotFound(f"no process instance {instance_id}")
    if not may_set_priority(actor, row, uow):
        raise PermissionDenied("a case's priority is set by the window that received it or by an administrator")
    if row.status in ("completed", "cancelled"):
        raise Conflict(f"a {row.status} case has no priority to change")
    before = PRIORITY_NAMES.get(row.priority or 0, "normal")
    if (row.priority or 0) != level:
        row.priority, row.updated_at = level, now
        uow.flush()  # the case row first (its version checked), then its open task rows
        uow.session.execute(update(HumanTask).where(HumanTask.instance_id == row.id,
                                                    HumanTask.state.in_(("open", "claimed"))).values(priority=level))
        add_history(uow, instance_id=row.id, model_key=row.model_key, action="priority", actor=actor.username,
                    now=now, details={"priority": priority, "previous": before, "reason": reason.strip()})
    return instance_summary(row)
