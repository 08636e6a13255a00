"""Loads an instance, advances its workflow with the restricted engine, and saves everything together."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from engine.bpmn.expressions import ExpressionFunctions
from engine.bpmn.scripting import RestrictedScriptEngine
from engine.bpmn.timers import waiting_timer_due_times
from engine.bpmn.validation import Bundle
from engine.cases.clock import apply_correction_clock
from engine.cases.projection import check_ready_assignments, sync_human_tasks
from engine.clock import FixedClock
from engine.errors import Conflict, NotFound, OneStopError
from engine.store.history import json_safe
from engine.store.models import HistoryEntry, ProcessInstance, table_of
from engine.store.uow import UnitOfWork


@dataclass
class Loaded:
    """An instance row with its workflow restored from the version's cached spec."""

    row: ProcessInstance
    bundle: Bundle
    workflow: BpmnWorkflow
    functions: ExpressionFunctions
    history: list[dict[str, Any]] = field(default_factory=list)


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
    engine.fired_timers = []  # type: ignore[attr-defined]  # filled by engine/bpmn/timers.py as timers fire
    engine.organisation = uow.platform.organisation  # type: ignore[attr-defined]  # for after_engine_steps
    engine.expression_functions = functions  # type: ignore[attr-defined]  # the calendar, for the stopped clock
    engine.clock_events = []  # type: ignore[attr-defined]  # deadlines resumed after a correction, for history
    return engine, functions


def new_workflow(bundle: Bundle, uow: UnitOfWork, now: datetime) -> tuple[BpmnWorkflow, ExpressionFunctions]:
    engine, functions = make_script_engine(uow, now)
    return BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=engine), functions


_CASES = table_of(ProcessInstance)
_SELECT_CASE = select(_CASES).where(_CASES.c.id == bindparam("case_id"))
_INSERT_CASE = insert(_CASES).returning(_CASES.c.id)
# SET columns come from the parameters; the WHERE parameters are named unlike any column.
_UPDATE_CASE = update(_CASES).where(_CASES.c.id == bindparam("case_id"),
                                    _CASES.c.lock_version == bindparam("expected_version"))
_INSERT_HISTORY = insert(table_of(HistoryEntry))


def load_case(instance_id: int, *, uow: UnitOfWork) -> ProcessInstance:
    """The case row as a detached object: every write to it goes through ``save``/``save_failure``."""
    found = uow.session.execute(_SELECT_CASE, {"case_id": instance_id}).first()
    if found is None:
        raise NotFound(f"no process instance {instance_id}")
    return ProcessInstance(**found._mapping)


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
        after_engine_steps(workflow)
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
        return StepFailure(task=getattr(error, "task", None), message=error.message, line=None)
    except Exception as error:  # noqa: BLE001 — any failure inside a diagram must end as an instance error
        return StepFailure(task=None, message=f"{type(error).__name__}: {error}", line=None)
    return None


def after_engine_steps(workflow: BpmnWorkflow) -> None:
    """What the platform checks and adjusts once the engine waits: every ready task has a department, and a
    deadline stopped by a correction (退回补正) resumes with what was left (engine/cases/clock.py)."""
    engine = workflow.script_engine
    check_ready_assignments(workflow, getattr(engine, "organisation", None))
    functions = getattr(engine, "expression_functions", None)
    if functions is not None:
        engine.clock_events.extend(apply_correction_clock(workflow, functions.calendar, functions.moment))


def current_data(workflow: BpmnWorkflow) -> dict[str, Any]:
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


def record(loaded: Loaded, uow: UnitOfWork, *, action: str, actor: str, now: datetime,
           task_id: int | None = None, task_name: str | None = None, **details: Any) -> None:
    """Queue a history row; ``save``/``save_failure`` write the queue right after the instance row."""
    loaded.history.append({"model_key": loaded.row.model_key, "action": action, "actor": actor, "at": now,
                           "task_id": task_id, "task_name": task_name, "details": json_safe(details)})


def _write_row(loaded: Loaded, uow: UnitOfWork, values: dict[str, Any]) -> None:
    """INSERT a new case, or UPDATE one guarded by its version: a writer that loaded an older version
    changes nothing and gets a Conflict, so no update is ever lost. Then the queued history rows."""
    uow.begin_write()
    row = loaded.row
    if row.id is None:
        values = {column: getattr(row, column) for column in NEW_ROW_COLUMNS} | values | {"lock_version": 1}
        set_committed_value(row, "id", uow.session.execute(_INSERT_CASE, values).scalar_one())
    else:
        values = values | {"lock_version": row.lock_version + 1}
        written = uow.session.execute(_UPDATE_CASE, {  # type: ignore[attr-defined]  # a CursorResult
            "case_id": row.id, "expected_version": row.lock_version, **values}).rowcount
        if written != 1:
            raise Conflict("someone else changed this case at the same moment; reload and try again")
    uow.confirm_reads()  # the case row written (and on PostgreSQL locked): now what else the unit read
    for key, value in values.items():
        set_committed_value(row, key, value)
    if loaded.history:
        uow.session.execute(_INSERT_HISTORY, [{"instance_id": row.id, **entry} for entry in loaded.history])
        loaded.history.clear()


NEW_ROW_COLUMNS = ("model_id", "model_key", "version", "business_key", "county", "started_by", "created_at")


def save(loaded: Loaded, *, uow: UnitOfWork, now: datetime, actor: str,
         completed: tuple[str, str] | None = None, moved_to: tuple[int, int] | None = None) -> None:
    """Persist state, status, timer index, task list rows and history in the caller's transaction."""
    row, workflow = loaded.row, loaded.workflow
    for fired in workflow.script_engine.fired_timers:
        record(loaded, uow, action="timer_fired", actor="system", now=now, task_name=fired["task_name"],
               timer=fired["timer"], due_at=fired["due_at"])
    workflow.script_engine.fired_timers.clear()
    for resumed in getattr(workflow.script_engine, "clock_events", []):
        record(loaded, uow, action="clock_resumed", actor="system", now=now, task_name=resumed["timer"],
               working_days_left=resumed["working_days_left"], stopped_at=resumed["stopped_at"],
               due_at=resumed["due_at"])
    getattr(workflow.script_engine, "clock_events", []).clear()
    for year in sorted(loaded.functions.fallback_years):
        record(loaded, uow, action="calendar_fallback", actor="system", now=now, year=year,
               message=f"{year} has no official holiday data: a deadline was counted with weekends only")
    loaded.functions.fallback_years.clear()
    if workflow.completed:
        record(loaded, uow, action="completed", actor=actor, now=now)
    due = [moment for _task, moment in waiting_timer_due_times(workflow)]
    is_new = row.id is None
    values: dict[str, Any] = {
        "state": uow.platform.serializer.dumps(workflow), "next_due_at": min(due) if due else None,
        "data": json_safe(current_data(workflow)), "updated_at": now, "pending": None, "error_message": None,
        "error_task": None, "status": "active" if row.status in (None, "error") else row.status,
        "ended_at": None,
    }
    if workflow.completed:
        values.update(status="completed", ended_at=now, next_due_at=None)
    if moved_to is not None:  # migrated to another version of its flow
        values.update(model_id=moved_to[0], version=moved_to[1])
    _write_row(loaded, uow, values)
    sync_human_tasks(uow, row, workflow, loaded.bundle, now=now, completed=completed, is_new=is_new,
                     refresh=moved_to is not None)


def save_failure(loaded: Loaded, failure: StepFailure, *, uow: UnitOfWork, now: datetime, actor: str,
                 pending: dict[str, Any], state: str | None = None) -> None:
    """Keep the last good state (``state`` for a new case); mark the case in error with what failed and what
    to replay on retry."""
    record(loaded, uow, action="error", actor=actor, now=now, task=failure.task, message=failure.message,
           line=failure.line, pending=pending.get("action"))
    values: dict[str, Any] = {"status": "error", "error_message": failure.message, "error_task": failure.task,
                              "pending": json_safe(pending), "updated_at": now}
    if loaded.row.id is None:
        values |= {"state": state, "data": loaded.row.data, "next_due_at": None}
    loaded.functions.fallback_years.clear()
    _write_row(loaded, uow, values)


def ready_manual_tasks(workflow: BpmnWorkflow) -> list[Any]:
    return list(BpmnTaskIterator(workflow.task_tree, state=TaskState.READY, manual=True))


def dumps_json(value: Any) -> str:
    return json.dumps(json_safe(value), ensure_ascii=False)
