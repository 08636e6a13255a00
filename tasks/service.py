"""Task-list services: list, show, claim, release and complete the tasks of a department."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Integer, Select, bindparam, exists, select, text, update

from engine.bpmn.forms import validate_form_data
from engine.cases.instances import can_view, check_data, complete_user_task
from engine.cases.priority import PRIORITY_NAMES, priority_level
from engine.cases.runner import load_case, restore
from engine.errors import CaseSuspended, Conflict, InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.people.tokens import confirm_revision, revision_column
from engine.store import prepared
from engine.store.history import add_history, json_safe
from engine.store.models import HumanTask, ProcessInstance, table_of
from engine.store.uow import UnitOfWork

SCOPES = ("mine", "department", "all")
STATES = ("open", "claimed", "completed", "cancelled")
OPEN = ("open", "claimed")


def task_view(task: Any) -> dict[str, Any]:
    return {
        "id": task.id, "instance_id": task.instance_id, "model_key": task.model_key, "name": task.name,
        "title": task.title, "lane": task.lane, "department": task.department, "county": task.county,
        "assignee": task.assignee, "state": task.state,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "created_at": task.created_at.isoformat(),
        "ended_at": task.ended_at.isoformat() if task.ended_at else None,
        "completed_by": task.completed_by, "form": task.form_file, "process_id": task.process_id,
        # The case's status beside the task's state: a suspended case's open task is shown but not actionable.
        "case_status": getattr(task, "case_status", None),
        "clock_stopped_at": task.clock_stopped_at.isoformat() if task.clock_stopped_at else None,
        "priority": PRIORITY_NAMES.get(getattr(task, "priority", 0) or 0, "normal"),
    }


def may_act(actor: Actor, task: Any, uow: UnitOfWork) -> bool:
    """Staff act on their department's tasks (their county's, for county windows); applicants on their own; a
    worker account (an outside system's) on none."""
    if actor.is_admin:
        return True
    if actor.is_worker:
        return False
    if task.department is None:
        return task.assignee == actor.username
    if actor.role != "staff" or actor.department != task.department:
        return False
    return not uow.platform.organisation.is_per_county(task.department) or task.county == actor.county


def list_tasks(*, actor: Actor, uow: UnitOfWork, scope: str = "mine", state: str | None = None,
               limit: int = 100, offset: int = 0, priority: str | None = None,
               sort: str | None = None) -> list[dict[str, Any]]:
    """Tasks by due time (no deadline last) — or, with ``sort="priority"``, 特急 first, then 紧急, then 普通,
    each by due time — answered from the indexed task-list rows alone."""
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}")
    if state is not None and state not in STATES:
        raise InvalidInput(f"state must be one of {', '.join(STATES)}")
    if actor.is_worker:
        raise PermissionDenied("a worker account has no task list: it fetches external tasks of its topics")
    if sort not in (None, "due", "priority"):
        raise InvalidInput("sort must be due or priority", details=[{"field": "sort", "message": "due | priority"}])
    params: dict[str, Any] = {"state": state, "limit": min(max(limit, 1), 500), "offset": max(offset, 0),
                              "username": actor.username, "department": actor.department, "county": actor.county,
                              "priority": priority_level(priority) if priority else None}
    per_county = False
    if scope == "department":
        if actor.role != "staff" or actor.department is None:
            raise PermissionDenied("only department staff have a department task list")
        per_county = uow.platform.organisation.is_per_county(actor.department)
    elif scope == "all" and actor.role not in ("admin", "designer"):
        raise PermissionDenied("only administrators see every department's tasks")
    rows = prepared.rows(uow, _list_statement(scope, per_county, state is not None, priority is not None,
                                              sort == "priority"), params)
    if rows:
        confirm_revision(uow, rows[0].auth_revision)
    return [task_view(t) for t in rows]


@functools.cache
def _list_statement(scope: str, per_county: bool, one_state: bool, one_priority: bool = False,
                    by_priority: bool = False) -> Select[Any]:
    """One prepared statement per shape of task-list query (built once, reused with new parameters)."""
    tasks = _TASKS
    query = select(tasks, _CASE_STATUS, revision_column())
    if scope == "mine":
        query = query.where(tasks.c.assignee == bindparam("username"))
    elif scope == "department":
        query = query.where(tasks.c.department == bindparam("department"))
        if per_county:
            query = query.where(tasks.c.county == bindparam("county"))
    # The open states as literal values: SQLite uses the partial task-list indexes only when the query says
    # their condition in so many words.
    query = query.where(tasks.c.state == bindparam("state")) if one_state else query.where(_OPEN_LITERALLY)
    if one_priority:
        query = query.where(tasks.c.priority == bindparam("priority"))
    order = (tasks.c.priority.desc(),) if by_priority else ()
    return query.order_by(*order, tasks.c.due_at.asc().nulls_last(), tasks.c.id) \
        .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))


_TASKS = table_of(HumanTask)
_CASES = table_of(ProcessInstance)
# The open states written out in the statement itself (no parameter to expand at each execution).
_OPEN_LITERALLY = text("human_tasks.state IN ('open', 'claimed')")
# The status of the task's case, read by primary key for each row a query returns (never a scan).
_CASE_STATUS = select(_CASES.c.status).where(_CASES.c.id == _TASKS.c.instance_id).scalar_subquery() \
    .label("case_status")
_CASE_NOT_SUSPENDED = ~exists().where(_CASES.c.id == _TASKS.c.instance_id, _CASES.c.status == "suspended")
_TASK_BY_ID = select(_TASKS, _CASE_STATUS).where(_TASKS.c.id == bindparam("task_id"))
_TASKS_OF_CASE = select(_TASKS, _CASE_STATUS).where(_TASKS.c.instance_id == bindparam("case_id")) \
    .order_by(_TASKS.c.id)
# A task to complete, its case row (columns labelled case_<name>) and the revision cached tokens are checked by:
# the one read of a completion.
_CASE_LABELS = tuple((column.name, f"case_{column.name}") for column in _CASES.c)
_TASK_AND_CASE = select(_TASKS, *(_CASES.c[name].label(label) for name, label in _CASE_LABELS),  # case_status too
                        revision_column()) \
    .join_from(_TASKS, _CASES, _CASES.c.id == _TASKS.c.instance_id).where(_TASKS.c.id == bindparam("task_id"))


def _rowcount(uow: UnitOfWork, statement: Any) -> int:
    """How many rows a conditional UPDATE changed: 0 means someone else changed the task first."""
    return int(uow.session.execute(statement).rowcount)  # type: ignore[attr-defined]


def task_row(task_id: int, uow: UnitOfWork) -> Any:
    """One task row with its case's status (``case_status``), or None."""
    return prepared.first(uow, _TASK_BY_ID, {"task_id": task_id})


_row = task_row


def refuse_while_suspended(task: Any) -> None:
    """The contract's "Suspended cases": a suspended case's tasks are not claimed, released, handed over or
    completed until an administrator resumes the case."""
    if task.case_status == "suspended":
        raise CaseSuspended(f"case {task.instance_id} is suspended: its tasks cannot be claimed, released or "
                            "completed until an administrator resumes it")


def _task(task_id: int, actor: Actor, uow: UnitOfWork) -> Any:
    """The task row if the actor may act on it; 403 if they can see the case but not act; 404 otherwise."""
    task = _row(task_id, uow)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if may_act(actor, task, uow):
        return task
    instance = uow.session.get(ProcessInstance, task.instance_id)
    if instance is not None and can_view(actor, instance, uow):
        raise PermissionDenied("this task belongs to another department or county")
    raise NotFound(f"no task {task_id}")


def get_task(task_id: int, *, actor: Actor, uow: UnitOfWork) -> dict[str, Any]:
    """The task with its form (JSON Schema), UI schema, instructions and the data the task sees (its own
    data: a task inside a call activity sees its sub-flow's data, not the last task of the case)."""
    task = _row(task_id, uow)
    instance = load_case(task.instance_id, uow=uow) if task is not None else None
    if task is None or instance is None or not (may_act(actor, task, uow) or can_view(actor, instance, uow)):
        raise NotFound(f"no task {task_id}")
    bundle = uow.platform.specs.get(instance.model_id, uow=uow)
    return {
        **task_view(task),
        "instructions": task.instructions,
        "form_schema": bundle.form(task.process_id, task.form_file),
        "ui_schema": bundle.form(task.process_id, task.ui_form_file),
        "data": _task_data(task, instance, uow),
        "instance": {"id": instance.id, "status": instance.status, "model_key": instance.model_key,
                     "version": instance.version, "business_key": instance.business_key},
        "may_act": may_act(actor, task, uow),
    }


def _task_data(task: Any, instance: Any, uow: UnitOfWork) -> dict[str, Any]:
    if task.state not in OPEN:
        return dict(instance.data or {})
    loaded = restore(instance, uow=uow, now=uow.platform.now())
    try:
        spiff_task = loaded.workflow.get_task_from_id(UUID(task.spiff_task_id))
    except Exception:  # noqa: BLE001 — Spiff raises its own TaskNotFound; the case data is the fallback
        return dict(instance.data or {})
    return json_safe(dict(spiff_task.data)) if spiff_task is not None else dict(instance.data or {})


def _history(task: Any, uow: UnitOfWork, action: str, actor: Actor, now: datetime, **details: Any) -> None:
    add_history(uow, instance_id=task.instance_id, model_key=task.model_key, action=action,
                actor=actor.username, now=now, task_id=task.id, task_name=task.name, details=details)


def claim_task(task_id: int, *, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    task = _task(task_id, actor, uow)
    refuse_while_suspended(task)
    if task.state == "claimed" and task.assignee == actor.username:
        return task_view(task)
    claimed = _rowcount(uow,  # the case's status in the same statement: a suspension at this moment wins
        update(_TASKS).where(_TASKS.c.id == task.id, _TASKS.c.state == "open", _CASE_NOT_SUSPENDED)
        .values(state="claimed", assignee=actor.username, claimed_at=now))
    task = _row(task_id, uow)
    if not claimed:
        refuse_while_suspended(task)
        raise _not_open(task)
    _history(task, uow, "claim", actor, now)
    return task_view(task)


def release_task(task_id: int, *, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    task = _task(task_id, actor, uow)
    refuse_while_suspended(task)
    if task.department is None:
        raise Conflict("an applicant's own task cannot be released")
    if task.state != "claimed" or (task.assignee != actor.username and not actor.is_admin):
        raise _not_open(task) if task.state != "claimed" else \
            Conflict(f"the task is held by {task.assignee}; only they or an administrator can release it")
    released = _rowcount(uow,
        update(_TASKS).where(_TASKS.c.id == task.id, _TASKS.c.state == "claimed",
                             _TASKS.c.assignee == task.assignee, _CASE_NOT_SUSPENDED)
        .values(state="open", assignee=None, claimed_at=None))
    task = _row(task_id, uow)
    if not released:
        refuse_while_suspended(task)
        raise _not_open(task)
    _history(task, uow, "release", actor, now)
    return task_view(task)


def _not_open(task: Any) -> Conflict:
    if task.state == "claimed":
        return Conflict(f"the task is held by {task.assignee}")
    return Conflict(f"the task is {task.state}, no longer open")


def complete_task(task_id: int, data: Any, *, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """Check the form, then complete the task and run the case on to its next wait, in one transaction.

    One read (the task with its case and the revision cached tokens are checked by), the run in the engine's child
    process, then three writes: the case row guarded by its version, the task rows (the completion itself guarded:
    only a row still open, or held by this person, is completed — engine/cases/projection.py) and the history. A
    colleague's claim or completion that got in since the read makes it a 409 and nothing is written."""
    found = prepared.first(uow, _TASK_AND_CASE, {"task_id": task_id})
    if found is None:
        raise NotFound(f"no task {task_id}")
    confirm_revision(uow, found.auth_revision)
    values = found._mapping
    instance = ProcessInstance(**{name: values[label] for name, label in _CASE_LABELS})
    if not may_act(actor, found, uow):
        if can_view(actor, instance, uow):
            raise PermissionDenied("this task belongs to another department or county")
        raise NotFound(f"no task {task_id}")
    refuse_while_suspended(found)
    if found.state not in OPEN:
        raise _not_open(found)
    if found.state == "claimed" and found.assignee != actor.username:
        raise Conflict(f"the task is held by {found.assignee}: claim it only after they release it")
    bundle = uow.platform.specs.get(instance.model_id, uow=uow)
    schema = bundle.form(found.process_id, found.form_file)
    data = check_data(validate_form_data(schema, data))
    case = complete_user_task(instance, found.spiff_task_id, data, actor=actor, uow=uow, now=now,
                              human_task_id=found.id, task_name=found.name, task_row=found)
    if instance.status == "error":  # the run failed: the case is parked, the task stays open (nothing completed)
        rows = instance_task_rows(instance.id, uow=uow)
    else:
        done = case.task_rows.row_of(found.spiff_task_id)
        if done is None or done.id != found.id or done.state != "completed":
            now_row = task_row(task_id, uow)  # someone got in first: say who, and write nothing
            if now_row is None:
                raise Conflict(f"task {task_id} is gone")
            refuse_while_suspended(now_row)
            raise _not_open(now_row)
        rows = case.task_rows.rows
    views = [task_view(row) | {"case_status": instance.status} for row in rows]
    done_view = next(view for view in views if view["id"] == found.id)
    return {**done_view, "instance": {"id": instance.id, "status": instance.status},
            "next_tasks": [view for row, view in zip(rows, views, strict=True)
                           if row.state in OPEN and may_act(actor, row, uow)]}


def instance_task_rows(instance_id: int, *, uow: UnitOfWork) -> list[Any]:
    return prepared.rows(uow, _TASKS_OF_CASE, {"case_id": instance_id})


def instance_tasks(instance_id: int, *, uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every task row of one case, oldest first (the caller has checked the case is visible)."""
    return [task_view(t) for t in instance_task_rows(instance_id, uow=uow)]
