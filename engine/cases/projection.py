"""Keeps the ``human_tasks`` rows in step with the case's READY user tasks after every save."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from engine.bpmn.validation import SPECIAL_LANES
from engine.people.assignment import assigned_department
from engine.people.organisation import Organisation
from engine.store.models import HumanTask, ProcessInstance, table_of
from engine.store.uow import UnitOfWork

OPEN_STATES = ("open", "claimed")
REFRESHED = ("name", "title", "lane", "department", "county", "process_id", "form_file", "ui_form_file",
             "instructions", "due_at")

_TASKS = table_of(HumanTask)
_OPEN_TASKS_OF_CASE = select(_TASKS.c.id, _TASKS.c.spiff_task_id, _TASKS.c.due_at).where(
    _TASKS.c.instance_id == bindparam("case_id"), _TASKS.c.state.in_(OPEN_STATES))
_UPDATE_TASK = update(_TASKS).where(_TASKS.c.id == bindparam("task_id"))
_INSERT_TASK = insert(_TASKS).returning(_TASKS.c.id, _TASKS.c.spiff_task_id)


def _due(ready: dict[str, Any]) -> datetime | None:
    return datetime.fromisoformat(ready["due_at"]) if ready.get("due_at") else None


def sync_human_tasks(uow: UnitOfWork, row: ProcessInstance, ready_tasks: list[dict[str, Any]], *, now: datetime,
                     completed: tuple[str, str] | None, is_new: bool = False,
                     refresh: bool = False) -> list[dict[str, Any]]:
    """Open rows for new READY user tasks; close rows whose task finished (completed) or vanished (cancelled).
    Returns the rows opened, with their ids (what arrived: engine/notify/triggers.py tells people).

    ``ready_tasks`` are the run's READY user tasks (engine/cases/summary.py::ready_task). ``refresh`` rewrites
    the descriptive columns of rows that stay open (the case moved to a new version: a task may have a new
    name, lane or form) while keeping who holds them."""
    ready = {task["spiff_task_id"]: task for task in ready_tasks}
    existing = [] if is_new else uow.session.execute(_OPEN_TASKS_OF_CASE, {"case_id": row.id}).all()
    for human_id, spiff_id, due_at in existing:
        task = ready.pop(spiff_id, None)
        if task is not None:
            if refresh:
                fresh = new_row(uow, row, task, now)
                uow.session.execute(_UPDATE_TASK, {"task_id": human_id, **{
                    key: fresh[key] for key in REFRESHED}})
                continue
            deadline = _due(task)
            if deadline != due_at:
                uow.session.execute(_UPDATE_TASK, {"task_id": human_id, "due_at": deadline})
            continue
        if completed is not None and completed[0] == spiff_id:
            values = {"state": "completed", "completed_by": completed[1], "ended_at": now}
        else:
            values = {"state": "cancelled", "ended_at": now}
        uow.session.execute(_UPDATE_TASK, {"task_id": human_id, **values})
    if not ready:
        return []
    opened = [new_row(uow, row, task, now) for task in ready.values()]
    by_spiff_id: dict[str, int] = {spiff_id: task_id for task_id, spiff_id in
                                   uow.session.execute(_INSERT_TASK, opened).all()}
    return [{**task, "id": by_spiff_id[task["spiff_task_id"]]} for task in opened]


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
