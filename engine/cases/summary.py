"""What a run leaves behind, as plain data: the stored state, the case data, the tasks waiting for people, the
due timers and what happened on the way. Made where the run happened (the engine's child process), so the server
writes it without holding a workflow of its own."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import messages
from engine.bpmn.case_data import MAX_CASE_DATA_BYTES, MAX_STATE_BYTES, UnstorableValue, check_data
from engine.bpmn.service_tasks import job_request, waiting_service_tasks
from engine.bpmn.timers import waiting_timer_due_times
from engine.errors import ExpressionError
from engine.people.assignment import DEPARTMENT_FIELD


@dataclass(frozen=True)
class StepFailure:
    task: str | None
    message: str
    line: int | None


@dataclass
class RunResult:
    """A run's outcome. With ``failure`` set nothing of the run is kept: ``state`` is then the state to retry
    from (for a case that never got going), or None (keep the stored one)."""

    state: str | None
    data: dict[str, Any] = field(default_factory=dict)
    completed: bool = False
    due_times: list[str] = field(default_factory=list)
    ready: list[dict[str, Any]] = field(default_factory=list)
    fired_timers: list[dict[str, Any]] = field(default_factory=list)
    clock_events: list[dict[str, Any]] = field(default_factory=list)  # deadlines resumed after a correction
    fallback_years: list[int] = field(default_factory=list)
    failure: StepFailure | None = None
    conflict: str | None = None  # the run found the case moved on (the task no longer waits): a 409, nothing run
    extra: dict[str, Any] = field(default_factory=dict)
    # What the case asks of and says to the world outside (engine/cases/outside.py writes it with the case):
    external_tasks: list[dict[str, Any]] = field(default_factory=list)  # service tasks that began waiting
    ended_external_tasks: list[str] = field(default_factory=list)  # service tasks that waited and no longer do
    waits: list[dict[str, Any]] | None = None  # the messages and signals it waits for, when that changed
    thrown: list[dict[str, Any]] = field(default_factory=list)  # messages and signals sent out of the case
    notifications: list[dict[str, Any]] = field(default_factory=list)  # what the diagram sent (engine/notify/)
    # The READY user tasks of the state the run started from (spiff ids), when the run knows them: the case's
    # open task rows, under its version guard — the save then need not read them (engine/cases/projection.py).
    ready_before: list[str] | None = None

    @property
    def next_due_at(self) -> datetime | None:
        return min(map(datetime.fromisoformat, self.due_times)) if self.due_times else None


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


def ready_manual_tasks(workflow: Any) -> list[Any]:
    return list(BpmnTaskIterator(workflow.task_tree, state=TaskState.READY, manual=True))


def ready_task(task: Any) -> dict[str, Any]:
    """A READY user task as the task list needs it (engine/cases/projection.py makes its row from this)."""
    spec = task.task_spec
    properties = task_properties(spec)
    extensions = getattr(spec, "extensions", None) or {}
    due = deadline_of(task)
    routed_by = str(properties.get(DEPARTMENT_FIELD) or "").strip()
    return {"spiff_task_id": str(task.id), "name": spec.name, "title": getattr(spec, "bpmn_name", None) or spec.name,
            "lane": spec.lane, "process_id": task.workflow.spec.name, "properties": properties,
            "form_file": properties.get("formJsonSchemaFilename"),
            "ui_form_file": properties.get("formUiSchemaFilename"),
            "instructions": extensions.get("instructionsForEndUser"),
            "due_at": due.isoformat() if due is not None else None,
            # a task routed by case data (engine/people/assignment.py): the value of its department field
            "routing": {routed_by: task.data.get(routed_by)} if routed_by and routed_by in task.data else {}}


def current_data(workflow: Any) -> dict[str, Any]:
    """What the case knows now: the latest task's data, with the process's data objects (kept once per case
    by SpiffWorkflow, so lists that grow — payments — need not be copied into every task)."""
    if workflow.completed and workflow.data:
        data = {k: v for k, v in workflow.data.items() if k != "data_objects"}
    else:
        task = workflow.last_task
        data = dict(task.data) if task is not None else {}
    objects = workflow.data.get("data_objects") or {}
    data.update({name: value for name, value in objects.items() if value is not None})
    return data


def summarize(workflow: Any, serializer: Any, *, fallback_years: set[int] | None = None,
              ready: list[Any] | None = None) -> RunResult:
    """The run's outcome; a failure (naming the variable or the limit) when what it made cannot be stored.
    ``ready``: the workflow's READY user tasks, if the caller has them already."""
    engine = workflow.script_engine
    fired = list(getattr(engine, "fired_timers", None) or [])
    if fired:
        engine.fired_timers.clear()
    resumed = list(getattr(engine, "clock_events", None) or [])
    if resumed:
        engine.clock_events.clear()
    data = current_data(workflow)
    if ready is None:
        ready = ready_manual_tasks(workflow)
    try:
        check_data(data)
        for task in ready:
            check_data(task.data)
    except UnstorableValue as error:
        return RunResult(state=None, failure=StepFailure(task=None, message=f"case data: {error}", line=None))
    try:  # before the state is made: what the case threw leaves its stored events
        outside = outside_changes(workflow)
    except ExpressionError as error:
        return RunResult(state=None, failure=StepFailure(task=None, message=error.message, line=None))
    size = len(json.dumps(data, ensure_ascii=False).encode())
    if size > MAX_CASE_DATA_BYTES:
        return RunResult(state=None, failure=StepFailure(
            task=None, message=f"case data: {size:,} bytes, over the limit of {MAX_CASE_DATA_BYTES:,}: "
                               "keep large content in documents, not in variables", line=None))
    try:
        state = serializer.dumps(workflow)
    except (TypeError, ValueError) as error:
        return RunResult(state=None, failure=StepFailure(task=None, message=f"the case cannot be stored: {error}",
                                                         line=None))
    if len(state) > MAX_STATE_BYTES:
        return RunResult(state=None, failure=StepFailure(
            task=None, message=f"the case's state is {len(state):,} bytes, over the limit of {MAX_STATE_BYTES:,}: "
                               "a loop or a list that keeps growing?", line=None))
    completed = bool(workflow.completed)
    result = RunResult(
        state=state, data=data, completed=completed,
        due_times=[] if completed else [due.isoformat() for _task, due in waiting_timer_due_times(workflow)],
        ready=[] if completed else [ready_task(task) for task in ready],
        fired_timers=fired, clock_events=resumed, fallback_years=sorted(fallback_years or ()))
    result.external_tasks, result.ended_external_tasks, result.waits, result.thrown = outside
    return result


def outside_changes(workflow: Any) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]] | None,
                                            list[dict[str, Any]]]:
    """What the run changed in the case's dealings with the world outside: service tasks that began or stopped
    waiting for a worker, the messages and signals it waits for (None: unchanged), what it threw. Only a run
    whose workflow was watched from its start (engine/bpmn/messages.py) reports; others changed none of it."""
    manager = workflow.event_manager
    if not isinstance(manager, messages.WatchedEvents):
        return [], [], None, []
    waiting = [] if workflow.completed else list(waiting_service_tasks(workflow))
    ids = {str(task.id) for task in waiting}
    started = [job_request(task) for task in waiting if str(task.id) not in manager.services_before]
    ended = sorted(manager.services_before - ids)
    now_waiting = messages.waits(workflow)
    return started, ended, (None if now_waiting == manager.waits_before else now_waiting), messages.thrown(workflow)
