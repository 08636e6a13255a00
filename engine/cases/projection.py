"""Keeps the ``human_tasks`` rows in step with the case's READY user tasks after every save — in one statement.

Every change a save makes to a case's task rows (the completed task closed, tasks the run cancelled closed, new
READY tasks opened, deadlines of open tasks moved) is one ``INSERT … ON CONFLICT (instance_id, spiff_task_id) DO
UPDATE … RETURNING`` over the rows concerned: a row that exists is updated only while it is open — and a
completion only while it is open or held by the one completing it, so a colleague's claim or completion that got in
first is never overwritten (the caller sees the row missing from what came back) — and a row that does not exist is
inserted. What came back are the case's open rows and the ones closed, for the caller's answer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, bindparam, case, select
from sqlalchemy.dialects import postgresql, sqlite

from engine.bpmn.validation import SPECIAL_LANES
from engine.people.assignment import assigned_department
from engine.people.organisation import Organisation
from engine.store import prepared
from engine.store.models import HumanTask, ProcessInstance, table_of
from engine.store.uow import UnitOfWork

OPEN_STATES = ("open", "claimed")
CLOSED_STATES = ("completed", "cancelled")
REFRESHED = ("name", "title", "lane", "department", "county", "process_id", "form_file", "ui_form_file",
             "instructions", "due_at")

_TASKS = table_of(HumanTask)
_OPEN_TASKS_OF_CASE = select(_TASKS).where(_TASKS.c.instance_id == bindparam("case_id"),
                                           _TASKS.c.state.in_(OPEN_STATES))
_COLUMNS = tuple(column.name for column in _TASKS.c if column.name != "id")
_UPSERTS: dict[tuple[str, bool], Insert] = {}


def _upsert(dialect: str, refresh: bool) -> Insert:
    """The one statement of a save's task rows (built once per database kind)."""
    key = (dialect, refresh)
    if key not in _UPSERTS:
        statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_TASKS)
        new, now_ = statement.excluded, _TASKS.c
        closing = (new.state == CLOSED_STATES[0]) | (new.state == CLOSED_STATES[1])  # no IN (…): executemany
        values: dict[str, Any] = {
            "state": case((closing, new.state), else_=now_.state),  # an open row keeps its holder
            "ended_at": case((closing, new.ended_at), else_=now_.ended_at),
            "completed_by": case((closing, new.completed_by), else_=now_.completed_by),
            "due_at": case((closing, now_.due_at), else_=new.due_at),
        }
        if refresh:  # the case moved to another version: names, lanes and forms may have changed
            values |= {name: case((closing, now_[name]), else_=new[name]) for name in REFRESHED if name != "due_at"}
        still_open = ((now_.state == OPEN_STATES[0]) | (now_.state == OPEN_STATES[1])) & (
            (new.state != "completed") | (now_.state == "open") | (now_.assignee == new.completed_by))
        _UPSERTS[key] = statement.on_conflict_do_update(
            index_elements=[now_.instance_id, now_.spiff_task_id], set_=values, where=still_open).returning(*_TASKS.c)
    return _UPSERTS[key]


@dataclass
class TaskRows:
    """What a save wrote to the task list: the rows as they are now (open ones and those it closed), and the
    spiff task ids it opened (READY user tasks that had no row)."""

    rows: list[Any] = field(default_factory=list)
    opened: set[str] = field(default_factory=set)

    def row_of(self, spiff_task_id: str) -> Any:
        return next((row for row in self.rows if row.spiff_task_id == spiff_task_id), None)


def _due(ready: dict[str, Any]) -> datetime | None:
    return datetime.fromisoformat(ready["due_at"]) if ready.get("due_at") else None


def _closing(values: Any, state: str, now: datetime, completed_by: str | None = None) -> dict[str, Any]:
    return {**{name: values.get(name) for name in _COLUMNS}, "state": state, "ended_at": now,
            "completed_by": completed_by}


def sync_human_tasks(uow: UnitOfWork, row: ProcessInstance, ready_tasks: list[dict[str, Any]], *, now: datetime,
                     completed: tuple[str, str] | None, is_new: bool = False, refresh: bool = False,
                     open_before: Iterable[str] | None = None,
                     completed_row: Any = None) -> TaskRows:
    """Open rows for new READY user tasks; close rows whose task finished (completed) or vanished (cancelled).
    Returns the rows opened, with their ids (what arrived: engine/notify/triggers.py tells people).

    ``ready_tasks`` are the run's READY user tasks (engine/cases/summary.py::ready_task). ``open_before``: the
    spiff ids of the case's open rows, when the caller knows them (the READY tasks of the state the run started
    from, under the case's version guard); otherwise they are read. ``completed_row``: the completed task's row,
    when the caller has read it. ``refresh`` rewrites the descriptive columns of rows that stay open (the case
    moved to a new version: a task may have a new name, lane or form) while keeping who holds them."""
    ready = {task["spiff_task_id"]: task for task in ready_tasks}
    known: dict[str, Any] = {}
    if is_new:
        before: set[str] = set()
    elif open_before is None:
        known = {found.spiff_task_id: found._mapping
                 for found in prepared.rows(uow, _OPEN_TASKS_OF_CASE, {"case_id": row.id})}
        before = set(known)
    else:
        before = set(open_before)
    if completed_row is not None:
        known[completed_row.spiff_task_id] = completed_row._mapping
    placeholder = {"instance_id": row.id, "name": "", "title": "", "model_key": row.model_key, "created_at": now,
                   "priority": row.priority or 0}
    values = []
    if completed is not None and (completed[0] in before or completed[0] in known):
        values.append(_closing(known.get(completed[0]) or placeholder | {"spiff_task_id": completed[0]},
                               "completed", now, completed[1]))
    for spiff_id in sorted(before - set(ready) - {completed[0] if completed else None}):
        values.append(_closing(known.get(spiff_id) or placeholder | {"spiff_task_id": spiff_id}, "cancelled", now))
    values += [new_row(uow, row, task, now) for task in ready.values()]
    if not values:
        return TaskRows()
    written = prepared.returning_many(uow, _upsert(uow.platform.engine.dialect.name, refresh), values)
    return TaskRows(rows=sorted(written, key=lambda found: found.id), opened=set(ready) - before)


def task_department(task: dict[str, Any], organisation: Organisation) -> tuple[str | None, bool]:
    """(department code, is the applicant's own) of a READY user task (engine/cases/summary.py::ready_task): its
    lane's department, or the one its ``departmentField`` names in the task data (engine/people/assignment.py).
    Raises EngineError for a routed task whose field names no department."""
    lane = task["lane"]
    if lane is not None and lane.strip() in SPECIAL_LANES:
        return None, True
    label = f"{task['name']} ({task['title']})" if task["title"] != task["name"] else task["name"]
    return assigned_department(task["properties"], task.get("routing") or {}, organisation.department_for_lane(lane),
                               organisation, task=label), False


def check_departments(ready_tasks: list[dict[str, Any]], organisation: Organisation) -> None:
    """Every READY user task can be given to a department: raised as EngineError (the case goes to error, naming
    the task and the value) before anything is saved, never half-way through writing its task rows."""
    for task in ready_tasks:
        task_department(task, organisation)


def new_row(uow: UnitOfWork, row: ProcessInstance, task: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The task-list row of a READY user task: its department (lane or routed by data), county for per-county
    windows."""
    organisation = uow.platform.organisation
    lane = task["lane"]
    department, applicant_lane = task_department(task, organisation)
    return {
        "instance_id": row.id, "spiff_task_id": task["spiff_task_id"], "name": task["name"],
        "title": task["title"], "model_key": row.model_key, "lane": lane,
        "department": None if applicant_lane else department,
        "county": row.county if organisation.is_per_county(department) else None,
        "assignee": row.started_by if applicant_lane else None,
        "state": "claimed" if applicant_lane else "open",
        "process_id": task["process_id"], "form_file": task["form_file"], "ui_form_file": task["ui_form_file"],
        "instructions": task["instructions"], "due_at": _due(task), "created_at": now,
        "claimed_at": now if applicant_lane else None, "ended_at": None, "completed_by": None,
        # A correction (退回补正) stops the deadline it names while it is open (engine/cases/clock.py).
        "clock_stopped_at": now if task["properties"].get("stopsClock") else None,
        "priority": row.priority or 0,  # the case's (engine/cases/priority.py)
    }
