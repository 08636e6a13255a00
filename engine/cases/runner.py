"""Runs a case's diagram code in the engine's child process, then writes what the run left in one transaction.

The server never runs diagram code itself: a run (engine/cases/jobs.py) happens in a child process with hard
time and memory limits (engine/sandbox/), and answers plain data — the new state, the case data, the tasks
waiting for people, the due timers. Writing that takes the case row guarded by its version (a writer that
read an older version changes nothing and gets a Conflict), the task-list rows and the history, or nothing.
On SQLite the write lock is never held while a run goes on (:func:`run_case` refuses to start one then)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from engine.bpmn.expressions import ExpressionFunctions
from engine.bpmn.validation import Bundle
from engine.cases.deployment import FLOWS, NewerVersion
from engine.cases.jobs import BundleFiles, Run, make_script_engine
from engine.cases.outside import history_of_outside, write_outside
from engine.cases.projection import TaskRows, check_departments, sync_human_tasks
from engine.cases.summary import RunResult, StepFailure, summarize
from engine.errors import Conflict, EngineError, NotFound, RunStopped
from engine.notify.triggers import after_run
from engine.people.tokens import confirm_revision, revision_column
from engine.sandbox.pool import Asset, Job
from engine.store import prepared, revisions
from engine.store.history import json_safe
from engine.store.models import HistoryEntry, ProcessInstance, ProcessModel, table_of
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)

__all__ = ["Case", "Loaded", "RunResult", "StepFailure", "load_case", "record", "restore", "run_case", "save",
           "save_failure", "save_workflow"]


@dataclass
class Case:
    """A case row being written, the flow version it runs on, and the history rows to write with it."""

    row: ProcessInstance
    bundle: Bundle
    history: list[dict[str, Any]] = field(default_factory=list)
    task_rows: TaskRows = field(default_factory=TaskRows)  # what the last save wrote to the task list


@dataclass(kw_only=True)
class Loaded(Case):
    """A case with its workflow restored in this process — to read it, or for a change that runs no diagram
    code (moving a timer); anything that runs the diagram goes through :func:`run_case`."""

    workflow: BpmnWorkflow
    functions: ExpressionFunctions


_CASES = table_of(ProcessInstance)
_SELECT_CASE = select(_CASES).where(_CASES.c.id == bindparam("case_id"))
# A new case's id, and the revisions a start that read nothing before it is confirmed by: the bearer token's, and
# the one its flow's newest version was cached at (engine/cases/deployment.py ``latest_version``).
_INSERT_CASE = insert(_CASES).returning(_CASES.c.id, revision_column(),
                                        revisions.value_of(FLOWS).label("flows_revision"))
# SET columns come from the parameters; the WHERE parameters are named unlike any column.
_UPDATE_CASE = update(_CASES).where(_CASES.c.id == bindparam("case_id"),
                                    _CASES.c.lock_version == bindparam("expected_version"))
_INSERT_HISTORY = insert(table_of(HistoryEntry))


def load_case(instance_id: int, *, uow: UnitOfWork) -> ProcessInstance:
    """The case row as a detached object: every write to it goes through ``save``/``save_failure``."""
    found = prepared.first(uow, _SELECT_CASE, {"case_id": instance_id})
    if found is None:
        raise NotFound(f"no process instance {instance_id}")
    return ProcessInstance(**found._mapping)


def restore(row: ProcessInstance, *, uow: UnitOfWork, now: datetime) -> Loaded:
    bundle = uow.platform.specs.get(row.model_id, uow=uow)
    engine, functions = make_script_engine(uow.platform.calendar.get(uow), now)
    workflow = uow.platform.serializer.loads(row.state, bundle.spec, bundle.subprocess_specs)
    workflow.script_engine = engine  # the script engine is not serialized: re-attach after every load
    return Loaded(row=row, bundle=bundle, workflow=workflow, functions=functions)


def bundle_asset(bundle: Bundle) -> Asset:
    return Asset(bundle.fingerprint, "engine.cases.jobs:build_bundle", BundleFiles.of(bundle))


def run_args(uow: UnitOfWork, bundle: Bundle, now: datetime) -> tuple[dict[str, Any], tuple[Asset, ...]]:
    """The fields every :class:`engine.cases.jobs.Run` has, and the assets they name."""
    calendar = uow.platform.calendar.get(uow)
    return ({"bundle": bundle.fingerprint, "calendar": calendar.token, "now": now},
            (bundle_asset(bundle), Asset(calendar.token, "engine.cases.jobs:build_calendar", calendar)))


def run_case(uow: UnitOfWork, handler: str, args: Run, assets: tuple[Asset, ...], *,
             module: str = "engine.cases.jobs") -> Any:
    """Run ``<module>.<handler>(args)`` (engine/cases/jobs.py unless said) in a child process. A run stopped at a
    limit answers a failed RunResult naming where it was, like any other failure of a diagram."""
    if uow.holds_write_lock:
        raise RuntimeError("diagram code must not run while this unit of work holds the database's write lock: "
                           "open it with optimistic=True")
    try:
        result = uow.platform.sandbox.run(Job(f"{module}:{handler}", args, assets))
    except RunStopped as stopped:
        return RunResult(state=None, failure=StepFailure(task=stopped.element, message=stopped.message, line=None))
    if isinstance(result, RunResult) and result.failure is None:
        try:  # every task the run left waiting for a person has a department, else nothing of the run is kept
            check_departments(result.ready, uow.platform.organisation)
        except EngineError as error:
            return RunResult(state=None, failure=StepFailure(task=error.task, message=error.message, line=None))
    return result


#: Flows whose newest version a web process parses as it starts (the rest are parsed at their first case).
WARM_FLOWS = 32


def warm_up(platform: Any) -> int:
    """Get a server process ready for its first requests (called in a thread as it starts): parse the newest
    version of each deployed flow (up to WARM_FLOWS) and start an engine child process that builds them, so the
    first case of the process does not wait for a child, its imports or a diagram's parsing. Returns how many
    flows were made ready."""
    newest = select(ProcessModel.key, func.max(ProcessModel.version).label("version")) \
        .group_by(ProcessModel.key).subquery()
    bundles: list[Bundle] = []
    with platform.uow(write=False) as uow:
        ids = list(uow.session.scalars(select(ProcessModel.id).join(newest, (ProcessModel.key == newest.c.key) & (
            ProcessModel.version == newest.c.version)).order_by(ProcessModel.key).limit(WARM_FLOWS)))
        for model_id in ids:
            try:
                bundles.append(platform.specs.get(model_id, uow=uow))
            except Exception:  # noqa: BLE001 — only a head start: that flow's first case reports what is wrong
                log.warning("flow version %d could not be parsed ahead of its first case", model_id, exc_info=True)
        assets = run_args(uow, bundles[0], platform.now())[1] if bundles else ()
    assets = (*assets, *(bundle_asset(bundle) for bundle in bundles[1:]))
    if platform.limits.mode == "process":  # with no flow to build, the child (and its imports) is still a head start
        platform.sandbox.run(Job("engine.cases.jobs:warm", None, assets))
    return len(bundles)


def checked(result: RunResult) -> RunResult:
    """A run that found the case moved on (its task no longer waits) changed nothing: 409."""
    if result.conflict is not None:
        raise Conflict(result.conflict)
    return result


def record(case: Case, uow: UnitOfWork, *, action: str, actor: str, now: datetime,
           task_id: int | None = None, task_name: str | None = None, **details: Any) -> None:
    """Queue a history row; ``save``/``save_failure`` write the queue right after the instance row."""
    case.history.append({"model_key": case.row.model_key, "action": action, "actor": actor, "at": now,
                         "task_id": task_id, "task_name": task_name, "details": json_safe(details)})


def _write_row(case: Case, uow: UnitOfWork, values: dict[str, Any]) -> None:
    """INSERT a new case, or UPDATE one guarded by its version: a writer that loaded an older version
    changes nothing and gets a Conflict, so no update is ever lost. Then the queued history rows."""
    uow.begin_write()
    row = case.row
    if row.id is None:
        # Every column given (the priority's default too): the INSERT is then one prepared statement
        # (engine/store/prepared.py) with nothing for SQLAlchemy to compute at execution.
        values = {column: getattr(row, column) for column in NEW_ROW_COLUMNS} | {"priority": row.priority or 0} \
            | values | {"lock_version": 1}
        inserted = prepared.first(uow, _INSERT_CASE, values)
        confirm_revision(uow, inserted.auth_revision)  # a cached token not yet confirmed: now (it may raise)
        if uow.flows_revision is not None and inserted.flows_revision != uow.flows_revision:
            uow.platform.latest_versions.clear()  # the unit ends without committing: the case is not kept
            raise NewerVersion(f"a newer version of {row.model_key} was deployed while this case started; "
                               "send the request again")
        set_committed_value(row, "id", inserted.id)
    else:
        values = values | {"lock_version": row.lock_version + 1}
        written = prepared.execute(uow, _UPDATE_CASE, {
            "case_id": row.id, "expected_version": row.lock_version, **values})
        if written != 1:
            raise Conflict("someone else changed this case at the same moment; reload and try again")
    uow.confirm_reads()  # the case row written (and on PostgreSQL locked): now what else the unit read
    for key, value in values.items():
        set_committed_value(row, key, value)
    if case.history:
        prepared.execute_many(uow, _INSERT_HISTORY, [{"instance_id": row.id, **entry} for entry in case.history])
        case.history.clear()


NEW_ROW_COLUMNS = ("model_id", "model_key", "version", "business_key", "county", "started_by", "created_at")


def save(case: Case, result: RunResult, *, uow: UnitOfWork, now: datetime, actor: str,
         completed: tuple[str, str] | None = None, moved_to: tuple[int, int] | None = None,
         completed_row: Any = None) -> None:
    """Persist a successful run: state, status, timer index, task list rows and history, in the caller's
    transaction — one statement each (the case row, the task rows, the history rows). ``completed_row``: the
    completed task's row as the caller read it. What was written to the task list is left in ``case.task_rows``."""
    if result.failure is not None or result.state is None:
        raise EngineError("a failed run cannot be saved", task=result.failure.task if result.failure else None)
    row = case.row
    for fired in result.fired_timers:
        record(case, uow, action="timer_fired", actor="system", now=now, task_name=fired["task_name"],
               timer=fired["timer"], due_at=fired["due_at"])
    for resumed in result.clock_events:
        record(case, uow, action="clock_resumed", actor="system", now=now, task_name=resumed["timer"],
               working_days_left=resumed["working_days_left"], stopped_at=resumed["stopped_at"],
               due_at=resumed["due_at"])
    for year in result.fallback_years:
        record(case, uow, action="calendar_fallback", actor="system", now=now, year=year,
               message=f"{year} has no official holiday data: a deadline was counted with weekends only")
    for action, details in history_of_outside(result):
        record(case, uow, action=action, actor="system", now=now, **details)
    if result.completed:
        record(case, uow, action="completed", actor=actor, now=now)
    is_new, was_in_error = row.id is None, row.status == "error"
    values: dict[str, Any] = {
        "state": result.state, "next_due_at": result.next_due_at, "data": result.data, "updated_at": now,
        "pending": None, "error_message": None, "error_task": None,
        "status": "active" if row.status in (None, "error") else row.status, "ended_at": None,
    }
    if result.completed:
        values.update(status="completed", ended_at=now, next_due_at=None)
    if moved_to is not None:  # migrated to another version of its flow
        values.update(model_id=moved_to[0], version=moved_to[1])
    _write_row(case, uow, values)
    case.task_rows = sync_human_tasks(uow, row, result.ready, now=now, completed=completed, is_new=is_new,
                                      refresh=moved_to is not None, open_before=result.ready_before,
                                      completed_row=completed_row)
    thrown = write_outside(uow, row, result, now=now, was_in_error=was_in_error)
    if thrown:  # delivered to the cases waiting for them once this unit has committed (engine/integration/)
        platform = uow.platform
        uow.after_commit(lambda: platform.deliver_events(thrown))
    # Who must hear of it — the new tasks' departments, what the diagram sent — in the same transaction.
    opened = [dict(task._mapping) for task in case.task_rows.rows if task.spiff_task_id in case.task_rows.opened]
    after_run(uow, row=row, flow_name=case.bundle.name or row.model_key, new_tasks=opened,
              notices=result.notifications, now=now)


def save_workflow(loaded: Loaded, *, uow: UnitOfWork, now: datetime, actor: str) -> None:
    """Persist a workflow changed in this process by something that ran no diagram code (a timer moved)."""
    result = summarize(loaded.workflow, uow.platform.serializer, fallback_years=loaded.functions.fallback_years)
    if result.failure is not None:
        raise EngineError(result.failure.message, task=result.failure.task)
    save(loaded, result, uow=uow, now=now, actor=actor)


def save_failure(case: Case, failure: StepFailure, *, uow: UnitOfWork, now: datetime, actor: str,
                 pending: dict[str, Any], state: str | None = None) -> None:
    """Keep the last good state (``state`` for a new case); mark the case in error with what failed and what
    to replay on retry."""
    record(case, uow, action="error", actor=actor, now=now, task=failure.task, message=failure.message,
           line=failure.line, pending=pending.get("action"))
    values: dict[str, Any] = {"status": "error", "error_message": failure.message, "error_task": failure.task,
                              "pending": json_safe(pending), "updated_at": now}
    if case.row.id is None:
        values |= {"state": state, "data": case.row.data, "next_due_at": None}
    _write_row(case, uow, values)
