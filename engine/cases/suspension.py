"""Suspending and resuming a case's clock: suspended, its working-day deadlines stop; resumed, they move on by
the working days it was suspended (contract, "Suspended cases"; engine/cases/clock.py has the arithmetic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update

from engine.cases.clock import shift_deadlines, stopped_timers
from engine.cases.runner import load_case, record, restore, save_workflow
from engine.cases.summary import task_properties
from engine.store.models import HumanTask
from engine.store.uow import UnitOfWork


def stop_for_suspension(row: Any, *, uow: UnitOfWork, now: datetime) -> None:
    """The case's clock stops: noted on the case, and its open tasks show 已暂停计时."""
    if row.clock_stopped_at is None:
        row.clock_stopped_at = now
    uow.session.execute(update(HumanTask).where(
        HumanTask.instance_id == row.id, HumanTask.state.in_(("open", "claimed")),
        HumanTask.clock_stopped_at.is_(None)).values(clock_stopped_at=now))


def resume_after_suspension(instance_id: int, stopped_at: datetime, *, actor: str, uow: UnitOfWork,
                            now: datetime) -> list[dict[str, Any]]:
    """The clock runs again: the case's deadlines move on by the working days it was suspended, its tasks lose
    已暂停计时 (except a correction that still stops its own deadline). A case resumed into ``error`` keeps its
    deadlines until an administrator's retry runs it (its saved state is the last good one)."""
    loaded = restore(load_case(instance_id, uow=uow), uow=uow, now=now)
    moved: list[dict[str, Any]] = []
    if loaded.row.status == "active":
        moved = shift_deadlines(loaded.workflow, uow.platform.calendar.get(uow), stopped_at, now)
        for move in moved:
            record(loaded, uow, action="timer_moved", actor=actor, now=now, task_name=move["timer"],
                   reason="暂停期间不计入办理时限", due_before=move["due_before"], due_after=move["due_after"])
        if moved:
            save_workflow(loaded, uow=uow, now=now, actor=actor)
    correcting = [str(t.id) for t in BpmnTaskIterator(loaded.workflow.task_tree, state=TaskState.READY, manual=True)
                  if stopped_timers(task_properties(t.task_spec))]
    uow.session.execute(update(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.state.in_(("open", "claimed")),
        HumanTask.spiff_task_id.not_in(correcting)).values(clock_stopped_at=None))
    return moved
