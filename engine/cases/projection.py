"""Keeps the ``human_tasks`` rows in step with the workflow's READY manual tasks after every save."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, select, update

from engine.bpmn.validation import SPECIAL_LANES, Bundle
from engine.people.assignment import assigned_department
from engine.people.organisation import Organisation
from engine.store.models import HumanTask, ProcessInstance, table_of
from engine.store.uow import UnitOfWork

OPEN_STATES = ("open", "claimed")
REFRESHED = ("name", "title", "lane", "department", "county", "process_id", "form_file", "ui_form_file",
             "instructions", "due_at")


def task_properties(task_spec: Any) -> dict[str, str]:
    extensions = getattr(task_spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


def deadline_of(task: Any) -> datetime | None:
    """The earliest boundary timer of a user task: its parent split holds the boundary events."""
    parent = task.parent
    if parent is None:
        return None
    moments = []
    for sibling in parent.children:
        definition = getattr(sibling.task_spec, "event_definition", None)
        if sibling is task or not isinstance(definition, TimerEventDefinition):
            continue
        value = sibling._get_internal_data("event_value")
        if isinstance(value, dict):
            value = value.get("next")
        if isinstance(value, str):
            moments.append(datetime.fromisoformat(value))
    return min(moments) if moments else None


_TASKS = table_of(HumanTask)
_OPEN_TASKS_OF_CASE = select(_TASKS.c.id, _TASKS.c.spiff_task_id, _TASKS.c.due_at).where(
    _TASKS.c.instance_id == bindparam("case_id"), _TASKS.c.state.in_(OPEN_STATES))
_UPDATE_TASK = update(_TASKS).where(_TASKS.c.id == bindparam("task_id"))
_INSERT_TASK = insert(_TASKS)


def sync_human_tasks(uow: UnitOfWork, row: ProcessInstance, workflow: Any, bundle: Bundle, *, now: datetime,
                     completed: tuple[str, str] | None, is_new: bool = False, refresh: bool = False) -> None:
    """Open rows for new READY user tasks; close rows whose task finished (completed) or vanished (cancelled).

    ``refresh`` rewrites the descriptive columns of rows that stay open (the case moved to a new version:
    a task may have a new name, lane or form) while keeping who holds them."""
    ready = {str(t.id): t for t in BpmnTaskIterator(workflow.task_tree, state=TaskState.READY, manual=True)}
    existing = [] if is_new else uow.session.execute(_OPEN_TASKS_OF_CASE, {"case_id": row.id}).all()
    for human_id, spiff_id, due_at in existing:
        task = ready.pop(spiff_id, None)
        if task is not None:
            if refresh:
                fresh = new_row(uow, row, task, now)
                uow.session.execute(_UPDATE_TASK, {"task_id": human_id, **{
                    key: fresh[key] for key in REFRESHED}})
                continue
            deadline = deadline_of(task)
            if deadline != due_at:
                uow.session.execute(_UPDATE_TASK, {"task_id": human_id, "due_at": deadline})
            continue
        if completed is not None and completed[0] == spiff_id:
            values = {"state": "completed", "completed_by": completed[1], "ended_at": now}
        else:
            values = {"state": "cancelled", "ended_at": now}
        uow.session.execute(_UPDATE_TASK, {"task_id": human_id, **values})
    if ready:
        uow.session.execute(_INSERT_TASK, [new_row(uow, row, task, now) for task in ready.values()])


def task_department(task: Any, organisation: Organisation) -> tuple[str | None, bool]:
    """(department code, is the applicant's own) of a READY user task: its lane's department, or the one its
    ``departmentField`` names in the task data (engine/people/assignment.py). Raises EngineError for a routed
    task whose field names no department."""
    spec = task.task_spec
    lane = spec.lane
    if lane is not None and lane.strip() in SPECIAL_LANES:
        return None, True
    label = f"{spec.name} ({spec.bpmn_name})" if getattr(spec, "bpmn_name", None) else spec.name
    return assigned_department(task_properties(spec), task.data, organisation.department_for_lane(lane),
                               organisation, task=label), False


def check_ready_assignments(workflow: Any, organisation: Organisation | None) -> None:
    """Every READY user task can be given to a department: raised as EngineError (the case goes to error, naming
    the task and the value) before anything is saved, never half-way through writing its task rows."""
    if organisation is None:
        return
    for task in BpmnTaskIterator(workflow.task_tree, state=TaskState.READY, manual=True):
        task_department(task, organisation)


def new_row(uow: UnitOfWork, row: ProcessInstance, task: Any, now: datetime) -> dict[str, Any]:
    """The task-list row of a READY user task: its department (lane or routed by data), county for per-county
    windows."""
    organisation = uow.platform.organisation
    spec = task.task_spec
    properties = task_properties(spec)
    lane = spec.lane
    department, applicant_lane = task_department(task, organisation)
    extensions = getattr(spec, "extensions", None) or {}
    return {
        "instance_id": row.id, "spiff_task_id": str(task.id), "name": spec.name,
        "title": getattr(spec, "bpmn_name", None) or spec.name, "model_key": row.model_key, "lane": lane,
        "department": None if applicant_lane else department,
        "county": row.county if organisation.is_per_county(department) else None,
        "assignee": row.started_by if applicant_lane else None,
        "state": "claimed" if applicant_lane else "open",
        "process_id": task.workflow.spec.name,
        "form_file": properties.get("formJsonSchemaFilename"),
        "ui_form_file": properties.get("formUiSchemaFilename"),
        "instructions": extensions.get("instructionsForEndUser"), "due_at": deadline_of(task), "created_at": now,
        "claimed_at": now if applicant_lane else None, "ended_at": None, "completed_by": None,
        # A correction (退回补正) stops the deadline it names while it is open (engine/cases/clock.py).
        "clock_stopped_at": now if properties.get("stopsClock") else None,
    }
