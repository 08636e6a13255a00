"""Incidents grouped by error (Camunda Cockpit's incident view): the cases in error, by flow, failing element and
message, with how many, since when, and the cases themselves — for a look at one group, or a retry of it at once."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select

from engine.errors import NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.store.models import ProcessInstance
from engine.store.uow import UnitOfWork

#: Groups the incidents page lists (the largest first); cases listed per group by id.
MAX_INCIDENT_GROUPS = 100
CASES_SHOWN_PER_GROUP = 10


def group_key(model_key: str, error_task: str | None, message: str | None) -> str:
    """A short stable name of a group, for links and forms (the message itself may be long)."""
    text = "\0".join((model_key, error_task or "", message or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def incident_groups(*, actor: Actor, uow: UnitOfWork) -> list[dict[str, Any]]:
    """Cases in error grouped by (flow, failing element, message), the largest groups first."""
    if not actor.is_admin:
        raise PermissionDenied("only administrators use the console")
    cases = ProcessInstance
    rows = uow.session.execute(
        select(cases.model_key, cases.error_task, cases.error_message, func.count(), func.min(cases.updated_at),
               func.max(cases.updated_at))
        .where(cases.status == "error")
        .group_by(cases.model_key, cases.error_task, cases.error_message)
        .order_by(func.count().desc(), cases.model_key).limit(MAX_INCIDENT_GROUPS)).all()
    groups = []
    for model_key, error_task, message, count, first, last in rows:
        ids = list(uow.session.scalars(select(cases.id).where(
            cases.status == "error", cases.model_key == model_key, _same(cases.error_task, error_task),
            _same(cases.error_message, message)).order_by(cases.id).limit(CASES_SHOWN_PER_GROUP)))
        groups.append({"key": group_key(model_key, error_task, message), "model_key": model_key,
                       "element": (error_task or "?").split(" (", 1)[0], "error_task": error_task,
                       "message": message, "count": int(count), "first_at": first.isoformat(),
                       "last_at": last.isoformat(), "case_ids": ids})
    return groups


def _same(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


def group_case_ids(key: str, *, actor: Actor, uow: UnitOfWork, limit: int) -> tuple[dict[str, Any], list[int]]:
    """One group (by its key) and the ids of its cases, at most ``limit``; 404 when no case is in it any more."""
    group = next((g for g in incident_groups(actor=actor, uow=uow) if g["key"] == key), None)
    if group is None:
        raise NotFound("no case is in that error any more")
    cases = ProcessInstance
    ids = list(uow.session.scalars(select(cases.id).where(
        cases.status == "error", cases.model_key == group["model_key"], _same(cases.error_task, group["error_task"]),
        _same(cases.error_message, group["message"])).order_by(cases.id).limit(limit)))
    return group, ids
