"""An applicant withdraws their own application (撤回) with a reason, while no department has decided on it: the
case ends ``cancelled``, its open tasks close, and the reason stays in its history for the staff to see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.store.history import add_history
from engine.store.models import HumanTask, ProcessInstance
from engine.store.uow import UnitOfWork

#: The longest reason an applicant may give (it is kept in the case history).
MAX_WITHDRAW_REASON_CHARS = 500
WITHDRAWABLE = ("active", "suspended", "error")


def decided_step(instance_id: int, uow: UnitOfWork) -> str | None:
    """The title of the first step a department has completed on the case (a decision was taken), or None.
    The applicant's own steps (no department) are not decisions."""
    return uow.session.scalar(select(HumanTask.title).where(
        HumanTask.instance_id == instance_id, HumanTask.state == "completed", HumanTask.department.is_not(None))
        .order_by(HumanTask.id).limit(1))


def may_withdraw(actor: Actor, row: ProcessInstance, uow: UnitOfWork) -> bool:
    """Whether the withdraw button is offered: the applicant's own running case no department has decided on."""
    return (row.started_by == actor.username and actor.role == "applicant" and row.status in WITHDRAWABLE
            and decided_step(row.id, uow) is None)


def withdraw_instance(instance_id: int, *, reason: Any, actor: Actor, uow: UnitOfWork,
                      now: datetime) -> dict[str, Any]:
    """Withdraw the actor's own application. 409 once a department has decided, or once the case has ended."""
    from engine.cases.instances import instance_summary

    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_WITHDRAW_REASON_CHARS:
        raise InvalidInput(f"give a reason of at most {MAX_WITHDRAW_REASON_CHARS} characters: the staff see it",
                           details=[{"field": "reason", "message": "required text",
                                     "message_zh": f"请填写撤回原因（不超过{MAX_WITHDRAW_REASON_CHARS}字）"}])
    row = uow.session.get(ProcessInstance, instance_id)
    if row is None or row.started_by != actor.username:
        raise NotFound(f"no process instance {instance_id}")
    if actor.role != "applicant":
        raise PermissionDenied("an applicant withdraws their own application; staff and administrators cancel cases")
    if row.status not in WITHDRAWABLE:
        raise Conflict(f"the case is {row.status}: there is nothing left to withdraw")
    decided = decided_step(row.id, uow)
    if decided is not None:
        raise Conflict(f"a department has decided on this application already ({decided}): it can no longer be "
                       "withdrawn; contact the window instead",
                       details=[{"message_zh": f"“{decided}”已经办理，申请不能再撤回；如需变更请联系受理窗口"}])
    row.status, row.updated_at, row.ended_at, row.next_due_at = "cancelled", now, now, None
    row.clock_stopped_at = None
    uow.flush()  # the case row first, guarded by its version: a department deciding at this moment wins
    closed = uow.session.execute(update(HumanTask).where(
        HumanTask.instance_id == row.id, HumanTask.state.in_(("open", "claimed")))
        .values(state="cancelled", ended_at=now))
    add_history(uow, instance_id=row.id, model_key=row.model_key, action="withdraw", actor=actor.username,
                now=now, details={"reason": reason.strip(), "closed_tasks": int(closed.rowcount or 0)})  # type: ignore[attr-defined]
    return instance_summary(row)
