"""Service functions for process instances: start, view, list, suspend, resume, cancel, retry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from sqlalchemy import Select, select

from engine.bpmn.expressions import FUNCTION_NAMES
from engine.bpmn.forms import validate_form_data
from engine.bpmn.validation import Bundle
from engine.cases.deployment import latest_version
from engine.cases.jobs import CompleteRun, RetryRun, StartRun, initial_state
from engine.cases.outside import end_outside
from engine.cases.priority import PRIORITY_NAMES
from engine.cases.runner import Case, checked, load_case, record, run_args, run_case, save, save_failure
from engine.cases.suspension import resume_after_suspension, stop_for_suspension
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.store.history import add_history, json_safe
from engine.store.models import HistoryEntry, HumanTask, ProcessInstance
from engine.store.uow import UnitOfWork

STATUSES = ("active", "suspended", "completed", "cancelled", "error")
# The talent office (市人才工作领导小组办公室) supervises every department's handling (督办): its staff may read
# any case, to follow up an overdue task, though they act only on their own department's tasks.
SUPERVISING_DEPARTMENT = "talent_office"
ADMIN_ONLY = "only administrators suspend, resume, cancel or retry a case"
MAX_DATA_BYTES = 256 * 1024


def check_data(data: Any, *, field: str = "data") -> dict[str, Any]:
    """Case data must be a JSON object whose keys cannot be mistaken for functions or engine internals."""
    if not isinstance(data, dict):
        raise InvalidInput(f"{field} must be a JSON object", details=[{"field": field, "message": "an object"}])
    problems = []
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            problems.append({"field": f"{field}.{key}", "message": "a field name is a Python identifier "
                                                                  "not starting with '_'"})
        elif key in FUNCTION_NAMES or key == "typename":
            problems.append({"field": f"{field}.{key}", "message": f"{key!r} is reserved"})
    if len(repr(data)) > MAX_DATA_BYTES:
        problems.append({"field": field, "message": f"larger than {MAX_DATA_BYTES // 1024} KiB"})
    if problems:
        raise InvalidInput("the data has fields that cannot be used", details=problems)
    return data


def needs_county(bundle: Bundle, uow: UnitOfWork) -> bool:
    """Whether a case of this flow passes a county window, so it must know the applicant's county."""
    organisation = uow.platform.organisation
    specs = [bundle.spec, *bundle.subprocess_specs.values()]
    return any(organisation.is_per_county(organisation.department_for_lane(getattr(ts, "lane", None)))
               for spec in specs for ts in spec.task_specs.values())


def start_instance(model_key: str, data: dict[str, Any], *, business_key: str | None = None, actor: Actor,
                   uow: UnitOfWork, now: datetime, cached_version: bool = False) -> dict[str, Any]:
    """Start a case on the latest version of a flow and run it to its first wait. ``cached_version``: the newest
    version as this process last read it, confirmed by the case's INSERT (a caller that can run the request
    again on :class:`engine.cases.deployment.NewerVersion`)."""
    if actor.role not in ("admin", "designer", "staff", "applicant", "system"):
        raise PermissionDenied("this account may not start cases")
    data = dict(check_data(data))
    if business_key is not None and (not isinstance(business_key, str) or len(business_key) > 120):
        raise InvalidInput("business_key must be text of at most 120 characters")
    model_id, model_key, version = latest_version(model_key, uow=uow, cached=cached_version)
    bundle = uow.platform.specs.get(model_id, uow=uow)
    start_form = start_forms(bundle)[0]
    if start_form is not None:
        data = start_defaults(start_form) | data
        validate_form_data(start_form, data)
    organisation = uow.platform.organisation
    county = organisation.county_code(data.get("county")) if data.get("county") is not None else actor.county
    if data.get("county") is not None and county is None:
        raise InvalidInput("unknown county", details=[{"field": "data.county", "message": "one of " + ", ".join(
            organisation.counties)}])
    if county is None and needs_county(bundle, uow):
        raise InvalidInput(f"{model_key} goes through a county window: give the applicant's county",
                           details=[{"field": "data.county", "message": "required: one of " + ", ".join(
                               organisation.counties)}])
    if county is not None:
        data["county"] = county
    row = ProcessInstance(model_id=model_id, model_key=model_key, version=version, status=None,
                          business_key=business_key, county=county, started_by=actor.username, created_at=now,
                          data=json_safe(data))
    case = Case(row=row, bundle=bundle)
    record(case, uow, action="start", actor=actor.username, now=now, version=version, data=data,
           business_key=business_key)
    fields, assets = run_args(uow, bundle, now)
    run = StartRun(**fields, data=data)
    result = run_case(uow, "start", run, assets)
    if result.failure is not None:
        retry_from = result.state or initial_state(  # the run was stopped at a limit: made here, no code runs
            run, {run.bundle: bundle, run.calendar: uow.platform.calendar.get(uow)})
        save_failure(case, result.failure, uow=uow, now=now, actor="system", pending={"action": "steps"},
                     state=retry_from)
    else:
        save(case, result, uow=uow, now=now, actor=actor.username)
    return {"id": row.id, "status": row.status}


def start_forms(bundle: Bundle) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The JSON Schema and UI schema the flow's start event names (`formJsonSchemaFilename`,
    `formUiSchemaFilename`), each None when it names none."""
    for spec in bundle.spec.task_specs.values():
        if isinstance(spec, StartEvent):
            properties = (getattr(spec, "extensions", None) or {}).get("properties") or {}
            if properties.get("formJsonSchemaFilename"):
                return (bundle.form(None, properties["formJsonSchemaFilename"]),
                        bundle.form(None, properties.get("formUiSchemaFilename")))
    return None, None


def start_defaults(schema: dict[str, Any]) -> dict[str, Any]:
    """The start form's top-level ``default`` values: what a case started without them holds (e.g. a sub-flow's
    ``one_stop`` false when started on its own, true when a one-stop intake calls it with its data)."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return {}
    return {name: spec["default"] for name, spec in properties.items()
            if isinstance(spec, dict) and "default" in spec}


def can_view(actor: Actor, row: ProcessInstance, uow: UnitOfWork) -> bool:
    if actor.role in ("admin", "designer", "system") or row.started_by == actor.username:
        return True
    if actor.role != "staff":
        return False
    if actor.department == SUPERVISING_DEPARTMENT:
        return True
    query = select(HumanTask.id).where(HumanTask.instance_id == row.id, _department_filter(actor, uow)).limit(1)
    return uow.session.scalar(query) is not None


def _department_filter(actor: Actor, uow: UnitOfWork) -> Any:
    condition = HumanTask.department == actor.department
    if uow.platform.organisation.is_per_county(actor.department):
        condition = condition & (HumanTask.county == actor.county)
    return condition


def get_visible(instance_id: int, *, actor: Actor, uow: UnitOfWork) -> ProcessInstance:
    row = uow.session.get(ProcessInstance, instance_id)
    if row is None or not can_view(actor, row, uow):
        raise NotFound(f"no process instance {instance_id}")
    return row


def instance_view(row: ProcessInstance, *, uow: UnitOfWork, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    history = uow.session.scalars(select(HistoryEntry).where(HistoryEntry.instance_id == row.id)
                                  .order_by(HistoryEntry.id)).all()
    return {
        **instance_summary(row),
        "data": row.data,
        "tasks": tasks,
        "history": [history_view(h) for h in history],
        "error": {"message": row.error_message, "task": row.error_task,
                  "pending": (row.pending or {}).get("action")} if row.status == "error" else None,
    }


def instance_summary(row: ProcessInstance) -> dict[str, Any]:
    return {
        "id": row.id, "model_key": row.model_key, "version": row.version, "status": row.status,
        "business_key": row.business_key, "county": row.county, "started_by": row.started_by,
        "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat(),
        "ended_at": row.ended_at.isoformat() if row.ended_at else None,
        "next_due_at": row.next_due_at.isoformat() if row.next_due_at else None,
        "priority": PRIORITY_NAMES.get(row.priority or 0, "normal"),
    }


def history_view(entry: HistoryEntry) -> dict[str, Any]:
    return {"id": entry.id, "action": entry.action, "actor": entry.actor, "at": entry.at.isoformat(),
            "task_id": entry.task_id, "task_name": entry.task_name, "details": entry.details}


def list_instances(*, actor: Actor, uow: UnitOfWork, now: datetime, status: str | None = None,
                   model_key: str | None = None, overdue: bool | None = None, limit: int = 50,
                   offset: int = 0) -> list[dict[str, Any]]:
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    query: Select[ProcessInstance] = select(ProcessInstance)
    if actor.role == "staff":  # uncorrelated IN: a correlated EXISTS scans every case on SQLite
        query = query.where(ProcessInstance.id.in_(select(HumanTask.instance_id).where(
            _department_filter(actor, uow))) | (ProcessInstance.started_by == actor.username))
    elif actor.role not in ("admin", "designer"):
        query = query.where(ProcessInstance.started_by == actor.username)
    if status:
        query = query.where(ProcessInstance.status == status)
    if model_key:
        query = query.where(ProcessInstance.model_key == model_key)
    if overdue is not None:
        late = ProcessInstance.id.in_(select(HumanTask.instance_id).where(
            HumanTask.state.in_(("open", "claimed")), HumanTask.due_at < now))
        query = query.where(late if overdue else ~late)
    rows = uow.session.scalars(query.order_by(ProcessInstance.id.desc()).limit(min(max(limit, 1), 500))
                               .offset(max(offset, 0))).all()
    return [instance_summary(r) for r in rows]


def _admin_row(instance_id: int, actor: Actor, uow: UnitOfWork) -> ProcessInstance:
    if not actor.is_admin:
        raise PermissionDenied(ADMIN_ONLY)
    row = uow.session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"no process instance {instance_id}")
    return row


def _history(row: ProcessInstance, uow: UnitOfWork, action: str, actor: Actor, now: datetime,
             **details: Any) -> None:
    add_history(uow, instance_id=row.id, model_key=row.model_key, action=action, actor=actor.username, now=now,
                details=details)


def suspend_instance(instance_id: int, *, reason: str = "", actor: Actor, uow: UnitOfWork,
                     now: datetime) -> dict[str, Any]:
    row = _admin_row(instance_id, actor, uow)
    if row.status not in ("active", "error"):
        raise Conflict(f"a {row.status} case cannot be suspended")
    row.status, row.updated_at = "suspended", now
    stop_for_suspension(row, uow=uow, now=now)
    _history(row, uow, "suspend", actor, now, reason=reason)
    return instance_summary(row)


def resume_instance(instance_id: int, *, reason: str = "", actor: Actor, uow: UnitOfWork,
                    now: datetime) -> dict[str, Any]:
    row = _admin_row(instance_id, actor, uow)
    if row.status != "suspended":
        raise Conflict(f"a {row.status} case cannot be resumed")
    row.status, row.updated_at = ("error" if row.pending else "active"), now
    stopped, row.clock_stopped_at = row.clock_stopped_at, None
    _history(row, uow, "resume", actor, now, reason=reason)
    if stopped is not None:
        uow.flush()  # the row as resumed, then its deadlines moved on (a fresh read, guarded by its version)
        resume_after_suspension(row.id, stopped, actor=actor.username, uow=uow, now=now)
        uow.session.refresh(row)
    return instance_summary(row)


def cancel_instance(instance_id: int, *, reason: str = "", actor: Actor, uow: UnitOfWork,
                    now: datetime) -> dict[str, Any]:
    row = _admin_row(instance_id, actor, uow)
    if row.status in ("completed", "cancelled"):
        raise Conflict(f"a {row.status} case cannot be cancelled")
    row.status, row.updated_at, row.ended_at, row.next_due_at = "cancelled", now, now, None
    for task in uow.session.scalars(select(HumanTask).where(HumanTask.instance_id == row.id,
                                                            HumanTask.state.in_(("open", "claimed")))):
        task.state, task.ended_at = "cancelled", now
    end_outside(uow, row.id, now=now)  # its jobs for external workers end, and it waits for no message
    _history(row, uow, "cancel", actor, now, reason=reason)
    return instance_summary(row)


def retry_instance(instance_id: int, *, data: dict[str, Any] | None = None, reason: str = "", actor: Actor,
                   uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """Replay what failed (engine steps, a task completion or timers), with corrected data merged in first."""
    row = _admin_row(instance_id, actor, uow)
    if row.status != "error":
        raise Conflict(f"only a case in error can be retried; this one is {row.status}")
    fixes = dict(check_data(data)) if data else {}
    pending = dict(row.pending or {"action": "steps"})
    case = Case(row=load_case(instance_id, uow=uow), bundle=uow.platform.specs.get(row.model_id, uow=uow))
    record(case, uow, action="retry", actor=actor.username, now=now, reason=reason, data=fixes,
           pending=pending.get("action"))
    fields, assets = run_args(uow, case.bundle, now)
    result = checked(run_case(uow, "retry", RetryRun(**fields, state=row.state, pending=pending, fixes=fixes),
                              assets))
    if result.failure is not None:
        save_failure(case, result.failure, uow=uow, now=now, actor="system", pending=pending)
        return instance_summary(case.row)
    completed = None
    if pending.get("action") == "complete":
        completed = (pending["task"], pending.get("user", actor.username))
        record(case, uow, action="complete", actor=completed[1], now=now, task_name=pending.get("task_name"),
               task_id=pending.get("human_task_id"), data={**pending.get("data", {}), **fixes}, replayed=True)
    save(case, result, uow=uow, now=now, actor=actor.username, completed=completed)
    return instance_summary(case.row)


def complete_user_task(row: ProcessInstance, spiff_task_id: str, data: dict[str, Any], *, actor: Actor,
                       uow: UnitOfWork, now: datetime, human_task_id: int, task_name: str,
                       task_row: Any = None) -> Case:
    """Complete one READY manual task with ``data`` and run the engine; an engine failure parks the case."""
    if row.status != "active":
        raise Conflict(f"the case is {row.status}: nothing can be completed until it is active again")
    case = Case(row=row, bundle=uow.platform.specs.get(row.model_id, uow=uow))
    fields, assets = run_args(uow, case.bundle, now)
    result = checked(run_case(uow, "complete", CompleteRun(**fields, state=row.state, task_id=spiff_task_id,
                                                           data=data), assets))
    if result.failure is not None:
        save_failure(case, result.failure, uow=uow, now=now, actor="system", pending={
            "action": "complete", "task": spiff_task_id, "data": data, "user": actor.username,
            "human_task_id": human_task_id, "task_name": task_name})
    else:
        record(case, uow, action="complete", actor=actor.username, now=now, task_id=human_task_id,
               task_name=task_name, data=data)
        save(case, result, uow=uow, now=now, actor=actor.username, completed=(spiff_task_id, actor.username),
             completed_row=task_row)
    return case
