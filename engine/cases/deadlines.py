"""Administrators' changes to waiting deadlines: move one timer, or recompute a year's after its calendar changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.bpmn.timers import to_aware
from engine.bpmn.timers import waiting_timers as armed_timers
from engine.calendar.store import MAX_YEAR, MIN_YEAR
from engine.cases.jobs import RecomputeRun
from engine.cases.runner import Case, Loaded, load_case, record, restore, run_args, run_case, save, save_workflow
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.people.identity import Actor
from engine.store.models import ProcessInstance
from engine.store.uow import UnitOfWork


def waiting_timers(loaded: Loaded) -> list[dict[str, Any]]:
    """The case's waiting timers: element id, name, kind, due moment, and when the token reached it."""
    return [{"timer": timer.timer_id, "name": timer.name, "kind": timer.kind, "due_at": timer.due.isoformat(),
             "started_at": timer.started, "expression": timer.definition.expression}
            for timer in armed_timers(loaded.workflow)]


def move_timer(instance_id: int, timer: str, due_at: str, *, reason: str, actor: Actor, uow: UnitOfWork,
               now: datetime) -> dict[str, Any]:
    """Give one waiting timer (by its timer event's element id) a new due moment; the task list and timer index
    follow. A date or duration timer becomes due then; a cycle's next occurrence moves there and later ones follow
    at its period; a timer after an event-based gateway moves alone."""
    if not actor.is_admin:
        raise PermissionDenied("only administrators move a deadline")
    if not reason.strip():
        raise InvalidInput("give a reason: it goes into the case history", details=[{"field": "reason",
                                                                                  "message": "required"}])
    try:
        moment = to_aware(due_at, uow.platform.settings.tz)
    except ValueError as error:
        raise InvalidInput(f"{due_at!r} is not an ISO 8601 date-time",
                           details=[{"field": "due_at", "message": "ISO 8601, e.g. 2026-10-12T18:00:00+08:00"}]) \
            from error
    loaded = _active_case(instance_id, uow, now)
    matches = [found for found in armed_timers(loaded.workflow) if found.timer_id == timer]
    if not matches:
        raise Conflict(f"no waiting timer {timer!r} in case {instance_id}: it fired or its step is over")
    for found in matches:
        before = found.due.isoformat()
        found.move(moment)
        record(loaded, uow, action="timer_moved", actor=actor.username, now=now, task_name=timer, reason=reason,
               due_before=before, due_after=moment.isoformat(), kind=found.kind)
    save_workflow(loaded, uow=uow, now=now, actor=actor.username)
    return {"id": instance_id, "timers": waiting_timers(loaded)}


def recompute_year(year: int, *, reason: str, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """Evaluate again, with the current calendar and from the moment each token arrived, every waiting
    timer of an active case whose due moment falls in ``year`` (e.g. after that year's holidays were entered).
    Returns the cases changed and the timers moved."""
    if not actor.is_admin:
        raise PermissionDenied("only administrators recompute deadlines")
    if not MIN_YEAR <= year <= MAX_YEAR:  # the calendar's own range; year 1 has no 1 January before it
        raise InvalidInput(f"year {year} is outside {MIN_YEAR}–{MAX_YEAR}", details=[{"field": "year",
                                                                                       "message": "out of range"}])
    start = to_aware(f"{year}-01-01T00:00:00", uow.platform.settings.tz)
    end = to_aware(f"{year + 1}-01-01T00:00:00", uow.platform.settings.tz)
    candidates = uow.session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.status == "active", ProcessInstance.next_due_at.is_not(None))).all()
    runs = []
    for instance_id in candidates:  # every case's timers evaluated first; the writing comes after, all at once
        row = load_case(instance_id, uow=uow)
        case = Case(row=row, bundle=uow.platform.specs.get(row.model_id, uow=uow))
        fields, assets = run_args(uow, case.bundle, now)
        result = run_case(uow, "recompute", RecomputeRun(**fields, state=row.state, start=start, end=end), assets)
        if result.failure is None and result.extra.get("moves"):
            runs.append((case, result))  # else nothing moves (a timer that cannot be evaluated keeps its moment)
    changed: list[dict[str, Any]] = []
    for case, result in runs:
        instance_id, moves = case.row.id, result.extra["moves"]
        for move in moves:
            record(case, uow, action="timer_recomputed", actor=actor.username, now=now, task_name=move["timer"],
                   reason=reason, due_before=move["before"], due_after=move["after"])
        save(case, result, uow=uow, now=now, actor=actor.username)
        changed.append({"id": instance_id, "timers": moves})
    return {"year": year, "cases": changed}


def _active_case(instance_id: int, uow: UnitOfWork, now: datetime) -> Loaded:
    row = load_case(instance_id, uow=uow)
    if row.status not in ("active", "suspended"):
        raise Conflict(f"a {row.status} case has no deadlines to move")
    return restore(row, uow=uow, now=now)
