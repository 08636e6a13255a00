"""Loads an instance, advances its workflow with the restricted engine, and saves everything together."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from .clock import FixedClock
from .errors import Conflict, NotFound, OneStopError
from .expressions import ExpressionFunctions
from .history import add_history, json_safe
from .models import ProcessInstance
from .projection import sync_human_tasks
from .scripting import RestrictedScriptEngine
from .timers import waiting_timer_due_times
from .uow import UnitOfWork
from .validation import Bundle


@dataclass
class Loaded:
    """An instance row with its workflow restored from the version's cached spec."""

    row: ProcessInstance
    bundle: Bundle
    workflow: BpmnWorkflow
    functions: ExpressionFunctions


@dataclass(frozen=True)
class StepFailure:
    task: str | None
    message: str
    line: int | None


def make_script_engine(uow: UnitOfWork, now: datetime) -> tuple[RestrictedScriptEngine, ExpressionFunctions]:
    settings = uow.platform.settings
    functions = ExpressionFunctions(uow.platform.calendar.get(uow), now, settings.tz)
    engine = RestrictedScriptEngine(functions.as_mapping())
    engine.clock = FixedClock(now)  # type: ignore[attr-defined]
    engine.tz = settings.tz  # type: ignore[attr-defined]
    return engine, functions


def new_workflow(bundle: Bundle, uow: UnitOfWork, now: datetime) -> tuple[BpmnWorkflow, ExpressionFunctions]:
    engine, functions = make_script_engine(uow, now)
    return BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=engine), functions


def load(instance_id: int, *, uow: UnitOfWork, now: datetime, for_update: bool = True) -> Loaded:
    row = uow.session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"no process instance {instance_id}")
    return restore(row, uow=uow, now=now)


def restore(row: ProcessInstance, *, uow: UnitOfWork, now: datetime) -> Loaded:
    bundle = uow.platform.specs.get(row.model_id, uow=uow)
    engine, functions = make_script_engine(uow, now)
    workflow = uow.platform.serializer.loads(row.state, bundle.spec, bundle.subprocess_specs)
    workflow.script_engine = engine  # the script engine is not serialized: re-attach after every load
    return Loaded(row=row, bundle=bundle, workflow=workflow, functions=functions)


def advance(workflow: BpmnWorkflow, action: Callable[[BpmnWorkflow], None]) -> StepFailure | None:
    """Run ``action`` then the engine; any failure is returned, and the workflow must then be discarded."""
    try:
        action(workflow)
        workflow.do_engine_steps()
    except SpiffWorkflowException as error:
        task = getattr(error, "task", None)
        spec = getattr(task, "task_spec", None)
        label = f"{spec.name} ({spec.bpmn_name})" if spec is not None and getattr(spec, "bpmn_name", None) \
            else getattr(spec, "name", None)
        cause = getattr(error, "exception", None) or error.__cause__
        message = str(error)
        if cause is not None and str(cause) not in message:
            message = f"{message}: {type(cause).__name__}: {cause}"
        return StepFailure(task=label, message=message, line=getattr(error, "line_number", None) or None)
    except OneStopError as error:
        return StepFailure(task=None, message=error.message, line=None)
    except Exception as error:  # noqa: BLE001 — any failure inside a diagram must end as an instance error
        return StepFailure(task=None, message=f"{type(error).__name__}: {error}", line=None)
    return None


def current_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    if workflow.completed and workflow.data:
        return dict(workflow.data)
    task = workflow.last_task
    return dict(task.data) if task is not None else {}


def record(loaded: Loaded, uow: UnitOfWork, *, action: str, actor: str, now: datetime,
           task_id: int | None = None, task_name: str | None = None, **details: Any) -> None:
    """Append a history row (a plain INSERT: history is never updated)."""
    add_history(uow, instance_id=loaded.row.id, model_key=loaded.row.model_key, action=action, actor=actor,
                now=now, task_id=task_id, task_name=task_name, details=details)


def save(loaded: Loaded, *, uow: UnitOfWork, now: datetime, actor: str,
         completed: tuple[str, str] | None = None) -> None:
    """Persist state, status, timer index, task list rows and calendar notes in the caller's transaction.

    The instance row is written with one UPDATE guarded by its version: a writer that loaded an older
    version changes nothing and gets a Conflict, so no update is ever lost."""
    row, workflow = loaded.row, loaded.workflow
    due = [moment for _task, moment in waiting_timer_due_times(workflow)]
    values: dict[str, Any] = {
        "state": uow.platform.serializer.dumps(workflow), "next_due_at": min(due) if due else None,
        "data": json_safe(current_data(workflow)), "updated_at": now, "pending": None, "error_message": None,
        "error_task": None, "status": "active" if row.status == "error" else row.status,
        "lock_version": row.lock_version + 1,
    }
    if workflow.completed:
        values.update(status="completed", ended_at=now, next_due_at=None)
    written = uow.session.execute(
        update(ProcessInstance.__table__).where(ProcessInstance.id == row.id,
                                                ProcessInstance.lock_version == row.lock_version)
        .values(**values)).rowcount
    if written != 1:
        raise Conflict("someone else changed this case at the same moment; reload and try again")
    for key, value in values.items():
        set_committed_value(row, key, value)
    sync_human_tasks(uow, row, workflow, loaded.bundle, now=now, completed=completed)
    for year in sorted(loaded.functions.fallback_years):
        record(loaded, uow, action="calendar_fallback", actor="system", now=now, year=year,
               message=f"{year} has no official holiday data: a deadline was counted with weekends only")
    loaded.functions.fallback_years.clear()
    if workflow.completed:
        record(loaded, uow, action="completed", actor=actor, now=now)


def save_failure(loaded: Loaded, failure: StepFailure, *, uow: UnitOfWork, now: datetime, actor: str,
                 pending: dict[str, Any]) -> None:
    """Keep the last good state; mark the instance in error with what failed and what to replay on retry."""
    row = loaded.row
    row.status = "error"
    row.error_message = failure.message
    row.error_task = failure.task
    row.pending = json_safe(pending)
    row.updated_at = now
    record(loaded, uow, action="error", actor=actor, now=now, task=failure.task, message=failure.message,
           line=failure.line, pending=pending.get("action"))


def ready_manual_tasks(workflow: BpmnWorkflow) -> list[Any]:
    return list(BpmnTaskIterator(workflow.task_tree, state=TaskState.READY, manual=True))


def dumps_json(value: Any) -> str:
    return json.dumps(json_safe(value), ensure_ascii=False)
