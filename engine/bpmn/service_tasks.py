"""Service tasks: work handed to an outside system through an external worker.

A service task names its topic the SpiffArena way (``<spiffworkflow:serviceTaskOperator id="TOPIC"
resultVariable="VAR">`` with ``<spiffworkflow:parameters>``). When the token reaches it, its parameters are
evaluated in the restricted engine (in the engine's child process) and the task waits, STARTED, holding them in
its internal data; the run reports it, and the server writes a job row for workers of that topic to fetch. When
a worker completes the job, a later run puts the result into the task and runs it again: the result lands in
``VAR`` and the case goes on. A BPMN error the worker reports is thrown at the task (its error boundary event)."""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.case_data import UnstorableValue, check_value
from engine.errors import ExpressionError

TOPIC_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,119}")
MAX_PARAMETERS_BYTES = 64 * 1024  # one task's evaluated parameters, as JSON
MAX_RETRIES = 100  # the retries a diagram (spiffworkflow:retry) or a worker may give a job
REQUEST = "external_request"  # internal data: the evaluated parameters, set when the token arrives
RESULT = "external_result"  # internal data: the worker's answer, set just before the task runs again


class ExternalServiceTask(ServiceTask):
    """A service task that waits for an external worker instead of calling a service in the engine."""

    def _run(self, my_task: Any) -> bool | None:
        if RESULT not in my_task.internal_data:
            my_task.internal_data[REQUEST] = self.evaluate_request(my_task)
            requested = getattr(my_task.workflow.script_engine, "external_requests", None)
            if requested is not None:
                requested.append(str(my_task.id))
            return None  # STARTED: the task waits for the worker
        return bool(super()._run(my_task))

    def _run_hook(self, my_task: Any) -> bool:
        my_task.data[self.result_variable] = my_task.internal_data.pop(RESULT)
        # The job is done: its parameters stay in the job's row (engine/integration/), not in every month's task of
        # a case that pays monthly (issue 7's size goal; and an ID number need not be kept twice).
        my_task.internal_data.pop(REQUEST, None)
        return True

    def evaluate_request(self, my_task: Any) -> dict[str, Any]:
        """The parameters' values, as the worker gets them: plain JSON of bounded size."""
        engine = my_task.workflow.script_engine
        values = {name: engine.evaluate(my_task, param["value"]) for name, param in self.operation_params.items()}
        try:
            check_value("parameters", values)
        except UnstorableValue as error:
            raise ExpressionError(f"service task {self.name}: parameter {error}") from None
        size = len(json.dumps(values, ensure_ascii=False).encode())
        if size > MAX_PARAMETERS_BYTES:
            raise ExpressionError(f"service task {self.name}: its parameters are {size:,} bytes, over the limit of "
                                  f"{MAX_PARAMETERS_BYTES:,}: pass references (a case number, a document id), "
                                  "not the documents")
        return values


# Per parsed process spec: whether it has an external service task (most flows have none: their runs then walk no
# task tree looking for one).
_HAS_SERVICE_TASKS: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def has_service_tasks(spec: Any) -> bool:
    """Whether a process spec (a flow's or a subprocess's) has an external service task."""
    found = _HAS_SERVICE_TASKS.get(spec)
    if found is None:
        found = _HAS_SERVICE_TASKS[spec] = any(isinstance(task_spec, ExternalServiceTask)
                                               for task_spec in spec.task_specs.values())
    return found


def waiting_service_tasks(workflow: Any) -> Iterator[Any]:
    """The external service tasks that wait for a worker, in the case and its subprocesses (each once)."""
    seen: set[Any] = set()
    for wf in (workflow, *workflow.subprocesses.values()):
        if not has_service_tasks(wf.spec):
            continue
        for task in wf.get_tasks(state=TaskState.STARTED):
            if isinstance(task.task_spec, ExternalServiceTask) and task.id not in seen:
                seen.add(task.id)
                yield task


def job_request(task: Any) -> dict[str, Any]:
    """What the server keeps of a waiting service task to offer it to a worker."""
    spec: ExternalServiceTask = task.task_spec
    return {"spiff_task_id": str(task.id), "element": spec.bpmn_id or spec.name,
            "title": getattr(spec, "bpmn_name", None) or spec.name, "topic": spec.operation_name,
            "parameters": dict(task.internal_data.get(REQUEST) or {}), "result_variable": spec.result_variable,
            "retries": spec.retries}


def waiting_service_task(workflow: Any, spiff_task_id: str) -> Any:
    """The waiting service task with that id, or None (it finished, or the case moved on)."""
    try:
        task = workflow.get_task_from_id(UUID(spiff_task_id))
    except Exception:  # noqa: BLE001 — Spiff raises its own TaskNotFound; a malformed id finds nothing either
        return None
    if task is None or task.state != TaskState.STARTED or not isinstance(task.task_spec, ExternalServiceTask):
        return None
    return task


def give_result(task: Any, result: Any) -> None:
    """Run the waiting task again with the worker's ``result``: it lands in the task's result variable."""
    task.internal_data[RESULT] = result
    task.run()


def throw_error(task: Any, code: str, message: str) -> bool:
    """Throw a BPMN error with ``code`` at the waiting task: caught by an error boundary event on the task, else on
    the subprocess or call activity around it (outwards). False when none catches it."""
    event = BpmnEvent(ErrorEventDefinition(code, code=code), payload={"code": code, "message": message},
                      target=task.workflow)
    node = task
    while node is not None:
        parent = node.parent
        for sibling in parent.children if parent is not None else []:
            if sibling is not node and sibling.state == TaskState.WAITING \
                    and isinstance(sibling.task_spec, CatchingEvent) \
                    and isinstance(sibling.task_spec.event_definition, ErrorEventDefinition) \
                    and sibling.task_spec.event_definition.catches(sibling, event):
                sibling.task_spec.catch(sibling, event)
                sibling.task_spec._update(sibling)
                return True
        owner = node.workflow.parent_task_id
        node = node.workflow.top_workflow.get_task_from_id(owner) if owner is not None else None
    return False
