"""The runs that answer the outside world, as they happen in the engine's child process (engine/sandbox/): a
worker's result or BPMN error for a waiting service task, a message or signal delivered to a case, a case started
at its message start event. Each is a function of its arguments, like engine/cases/jobs.py, and answers a
RunResult (``extra["caught"]``: how many steps of the case caught the event)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.bpmn import messages
from engine.bpmn.service_tasks import give_result, throw_error, waiting_service_task
from engine.cases.jobs import SERIALIZER, Run, _Workflow
from engine.cases.stepping import advance
from engine.cases.summary import RunResult, StepFailure

NOT_WAITING = "the service task no longer waits for a worker"


@dataclass(frozen=True)
class ExternalRun(Run):
    state: str = ""
    task_id: str = ""  # the waiting service task's id in the workflow


@dataclass(frozen=True)
class ResultRun(ExternalRun):
    result: Any = None


def complete_external(run: ResultRun, assets: Mapping[str, Any]) -> RunResult:
    """The worker's result goes into the service task's result variable; the case runs on to its next wait."""
    case = _Workflow(run, assets, run.state)
    task = waiting_service_task(case.workflow, run.task_id)
    if task is None:
        return RunResult(state=None, conflict=NOT_WAITING)
    return case.result(advance(case.workflow, lambda _wf: give_result(task, run.result)))


@dataclass(frozen=True)
class ErrorRun(ExternalRun):
    code: str = ""
    message: str = ""


def throw_bpmn_error(run: ErrorRun, assets: Mapping[str, Any]) -> RunResult:
    """The worker's BPMN error is thrown at the service task; an error boundary event with that errorCode (on the
    task, or on a subprocess around it) catches it. None does: a failure saying so (the case goes to error)."""
    case = _Workflow(run, assets, run.state)
    task = waiting_service_task(case.workflow, run.task_id)
    if task is None:
        return RunResult(state=None, conflict=NOT_WAITING)
    caught: list[bool] = []
    failure = advance(case.workflow, lambda _wf: caught.append(throw_error(task, run.code, run.message)))
    if failure is None and not caught[0]:
        label = getattr(task.task_spec, "bpmn_name", None) or task.task_spec.name
        return RunResult(state=None, failure=StepFailure(
            task=f"{task.task_spec.name} ({label})", line=None,
            message=f"BPMN error {run.code!r} from the worker ({run.message or 'no message'}): no error boundary "
                    "event with that errorCode catches it"))
    return case.result(failure)


@dataclass(frozen=True)
class DeliverRun(Run):
    state: str = ""
    kind: str = "message"  # or "signal"
    name: str = ""
    payload: Any = None
    correlations: dict[str, Any] | None = None  # None: addressed to this case by its id or business key


def deliver(run: DeliverRun, assets: Mapping[str, Any]) -> RunResult:
    """Hand a message or signal to a waiting case and run it on. Caught by nothing (the case stopped waiting for
    it meanwhile): a conflict, nothing stored. An event the case cannot even catch (its data lacks what a
    correlation property reads): ``extra["refused"]``, nothing stored — the sender is told, the case untouched."""
    case = _Workflow(run, assets, run.state)
    try:
        caught = messages.deliver(case.workflow, run.kind, run.name, run.payload, run.correlations)
    except Exception as error:  # noqa: BLE001 — the case's own steps have not run: nothing of it changed
        return RunResult(state=None, extra={"refused": refusal(run.kind, run.name, error)})
    if not caught:
        return RunResult(state=None, conflict=f"the case no longer waits for the {run.kind} {run.name!r}")
    result = case.result(advance(case.workflow, lambda _wf: None))
    result.extra["caught"] = caught
    return result


def refusal(kind: str, name: str, error: Exception) -> str:
    cause = getattr(error, "exception", None) or error
    return (f"the {kind} {name!r} cannot be caught: {type(cause).__name__}: {cause} (does its data hold every value "
            "the message's correlation properties read?)")


@dataclass(frozen=True)
class MessageStartRun(Run):
    name: str = ""
    payload: Any = None
    correlations: dict[str, Any] = field(default_factory=dict)


def start_by_message(run: MessageStartRun, assets: Mapping[str, Any]) -> RunResult:
    """A new case of the flow, begun at its message start event for ``name`` and run to its first wait. On
    failure, ``state`` is the case as it caught the message, before any step after it: what a retry runs from."""
    case = _Workflow(run, assets)
    try:
        started = messages.start_by_message(case.workflow, run.name, run.payload, run.correlations)
    except Exception as error:  # noqa: BLE001 — nothing ran yet: no case is made and the sender is told
        return RunResult(state=None, extra={"refused": refusal("message", run.name, error)})
    if not started:
        return RunResult(state=None, conflict=f"no message start event of the flow catches {run.name!r}")
    caught_state = SERIALIZER.dumps(case.workflow)
    result = case.result(advance(case.workflow, lambda _wf: None))
    if result.failure is not None:
        result.state = caught_state
    return result
