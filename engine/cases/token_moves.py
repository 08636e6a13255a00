"""Moving a case's token (Camunda Cockpit's "modify"), for administrators: what the case may be moved from and to,
read in the server without running the diagram; the move itself runs in the engine's child process
(engine/cases/jobs.py::move_token) and is saved like any run, with the reason in the history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.cases.jobs import MoveRun
from engine.cases.runner import Case, checked, load_case, record, restore, run_args, run_case, save
from engine.cases.token_rules import MoveRefused, move_targets, step_view, waiting_steps
from engine.errors import Conflict, EngineError, InvalidInput, PermissionDenied
from engine.people.identity import Actor
from engine.store.uow import UnitOfWork

#: Only a running case's token moves: a suspended one is resumed first, one in error retried or cancelled.
MOVABLE = ("active",)
MAX_REASON_CHARS = 2000


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only administrators move a case's token")


def move_options(instance_id: int, *, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """Where the case waits and where its token may go; ``refused`` (English and Chinese) when it cannot move."""
    _admin(actor)
    row = load_case(instance_id, uow=uow)
    loaded = restore(row, uow=uow, now=now)
    targets = move_targets(loaded.workflow)
    if row.status not in MOVABLE:
        return {"id": row.id, "status": row.status, "waiting": [], "targets": targets, "refused": {
            "message": f"the case is {row.status}: only an active case's token moves (resume or retry it first)",
            "message_zh": "只有办理中的案件可以移动环节（已暂停的请先恢复，异常的请先重新处理或撤销）"}}
    try:
        steps = waiting_steps(loaded.workflow)
    except MoveRefused as refused:
        return {"id": row.id, "status": row.status, "waiting": [], "targets": targets,
                "refused": {"message": refused.message, "message_zh": refused.message_zh}}
    return {"id": row.id, "status": row.status, "waiting": [step_view(s) for s in steps], "targets": targets,
            "refused": None}


def move_token(instance_id: int, source: Any, target: Any, *, reason: Any, actor: Actor, uow: UnitOfWork,
               now: datetime) -> dict[str, Any]:
    """Move the token waiting at ``source`` (task id or element id) to the element ``target`` of the case's own
    process, recorded with the reason. 409 with the reason when it cannot be done safely."""
    from engine.cases.instances import instance_summary

    _admin(actor)
    problems = []
    for field, value in (("source", source), ("target", target)):
        if not isinstance(value, str) or not value.strip() or len(value) > 255:
            problems.append({"field": field, "message": "an element id"})
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON_CHARS:
        problems.append({"field": "reason", "message": "required text"})
    if problems:
        raise InvalidInput("give source, target and a reason (it goes into the case history)", details=problems)
    row = load_case(instance_id, uow=uow)
    if row.status not in MOVABLE:
        raise Conflict(f"the case is {row.status}: only an active case's token moves (resume or retry it first)")
    before = {s["element"]: s for s in move_options(instance_id, actor=actor, uow=uow, now=now)["waiting"]}
    case = Case(row=row, bundle=uow.platform.specs.get(row.model_id, uow=uow))
    fields, assets = run_args(uow, case.bundle, now)
    outcome = run_case(uow, "move_token", MoveRun(**fields, state=row.state, source=source, target=target), assets)
    if outcome.conflict is not None:
        raise Conflict(outcome.conflict, details=[{"message": outcome.conflict,
                                                   "message_zh": outcome.extra.get("message_zh", "")}])
    result = checked(outcome)
    if result.failure is not None:
        raise EngineError(f"the case could not run on from {target}: {result.failure.message}; nothing was changed",
                          task=result.failure.task, line=result.failure.line)
    moved_from = next((s for s in before.values() if s["task"] == source or s["element"] == source), None)
    record(case, uow, action="move_token", actor=actor.username, now=now, reason=reason.strip(),
           task_name=target, source=moved_from["element"] if moved_from else source,
           source_title=moved_from["title"] if moved_from else source, target=target)
    save(case, result, uow=uow, now=now, actor=actor.username)
    return instance_summary(case.row)
