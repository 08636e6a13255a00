"""Keeps the ``human_tasks`` rows in step with the workflow's READY manual tasks after every save."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from .models import HumanTask, ProcessInstance
from .uow import UnitOfWork
from .validation import SPECIAL_LANES, Bundle

OPEN_STATES = ("open", "claimed")


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


def sync_human_tasks(uow: UnitOfWork, row: ProcessInstance, workflow: Any, bundle: Bundle, *, now: datetime,
                     completed: tuple[str, str] | None) -> None:
    """Open rows for new READY user tasks; close rows whose task finished (completed) or vanished (cancelled)."""
    ready = {str(t.id): t for t in BpmnTaskIterator(workflow.task_tree, state=TaskState.READY, manual=True)}
    existing = uow.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == row.id, HumanTask.state.in_(OPEN_STATES))).all() if row.id else []
    organisation = uow.platform.organisation
    for human in existing:
        task = ready.pop(human.spiff_task_id, None)
        if task is not None:
            human.due_at = deadline_of(task)
            continue
        human.ended_at = now
        if completed is not None and completed[0] == human.spiff_task_id:
            human.state, human.completed_by = "completed", completed[1]
        else:
            human.state = "cancelled"
    for spiff_id, task in ready.items():
        spec = task.task_spec
        properties = task_properties(spec)
        lane = spec.lane
        department = organisation.department_for_lane(lane)
        applicant_lane = lane is not None and lane.strip() in SPECIAL_LANES
        county = row.county if organisation.is_per_county(department) else None
        extensions = getattr(spec, "extensions", None) or {}
        uow.session.add(HumanTask(
            instance_id=row.id, spiff_task_id=spiff_id, name=spec.name,
            title=getattr(spec, "bpmn_name", None) or spec.name, model_key=row.model_key, lane=lane,
            department=None if applicant_lane else department, county=county,
            assignee=row.started_by if applicant_lane else None,
            state="claimed" if applicant_lane else "open",
            form_file=properties.get("formJsonSchemaFilename"), ui_form_file=properties.get("formUiSchemaFilename"),
            instructions=extensions.get("instructionsForEndUser"), due_at=deadline_of(task), created_at=now,
            claimed_at=now if applicant_lane else None))
