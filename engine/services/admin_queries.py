"""Administrators' queries: instance search, per-flow node counts, where one case stands on its diagram, the data
a case in error is retried with, and the archive (统一建档) of a closed case."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Select, case, func, or_, select

from engine.bpmn.timers import waiting_timer_due_times
from engine.cases.deadlines import waiting_timers
from engine.cases.deployment import find_model, main_bpmn
from engine.cases.instances import STATUSES, check_data, history_view, instance_summary, retry_instance
from engine.cases.runner import load_case, restore
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.people.privacy import mask_personal_data
from engine.store.json_text import json_text
from engine.store.models import Attachment, HistoryEntry, HumanTask, ProcessInstance
from engine.store.uow import UnitOfWork

OPEN = ("open", "claimed")
# Case-data fields that name the applicant, by flow convention; searched with the JSON operators of the
# database (JSON_EXTRACT on SQLite, ->> on PostgreSQL, both through SQLAlchemy's JSON type). Not indexed:
# combine with another filter on a large database, or add an expression index per field.
APPLICANT_FIELDS = ("applicant_name", "applicant", "talent_name")
MAX_TIMER_CASES = 2000
CLOSED = ("completed", "cancelled")


def _check_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only administrators use the console")


def _open_task_of_case(*conditions: Any) -> Any:
    """Cases with an open task meeting ``conditions``: an uncorrelated ``IN`` the database answers once from the
    task-list indexes (a correlated EXISTS made SQLite scan a department's tasks once per case: minutes at 100k)."""
    return ProcessInstance.id.in_(select(HumanTask.instance_id).where(HumanTask.state.in_(OPEN), *conditions))


def _filters(f: dict[str, Any], now: datetime, dialect: str) -> list[Any]:
    """SQL conditions for the search filters (all optional): see :func:`search_instances`."""
    where: list[Any] = []
    if f.get("model_key"):
        where.append(ProcessInstance.model_key == f["model_key"])
    if f.get("version") is not None:
        where.append(ProcessInstance.version == f["version"])
    if f.get("county"):
        where.append(ProcessInstance.county == f["county"])
    if f.get("business_key"):
        where.append(ProcessInstance.business_key == f["business_key"])
    if f.get("error_task"):  # an incident group (engine/services/incidents.py): the failing element's label
        where.append(ProcessInstance.error_task == f["error_task"])
    if f.get("started_from") is not None:
        where.append(ProcessInstance.created_at >= f["started_from"])
    if f.get("started_to") is not None:
        where.append(ProcessInstance.created_at < f["started_to"])
    if f.get("department"):
        where.append(_open_task_of_case(HumanTask.department == f["department"]))
    if f.get("overdue") is not None:
        late = _open_task_of_case(HumanTask.due_at < now)
        where.append(late if f["overdue"] else ~late)
    if f.get("applicant"):
        pattern = "%" + str(f["applicant"]).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(or_(*(json_text(ProcessInstance.data, field, dialect).like(pattern, escape="\\")
                           for field in APPLICANT_FIELDS)))
    return where


def search_instances(filters: dict[str, Any], *, actor: Actor, uow: UnitOfWork, now: datetime, limit: int = 50,
                     offset: int = 0) -> dict[str, Any]:
    """Cases matching every given filter, newest first, with the total and the counts per status.

    Filters: model_key, version, status, department (holding an open task of the case), county, applicant
    (part of the applicant's name in the case data), business_key, started_from/started_to (aware datetimes,
    [from, to)), overdue (bool: has an open task past its deadline). The counts per status ignore the status
    filter, so the tabs of a list can show them all."""
    _check_admin(actor)
    status = filters.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}",
                           details=[{"field": "status", "message": " | ".join(STATUSES)}])
    where = _filters(filters, now, uow.platform.engine.dialect.name)
    counts = {group: int(count) for group, count in uow.session.execute(
        select(ProcessInstance.status, func.count()).where(*where).group_by(ProcessInstance.status)).all()}
    if status:
        where.append(ProcessInstance.status == status)
    query: Select[Any] = select(ProcessInstance).where(*where).order_by(ProcessInstance.id.desc())
    rows = uow.session.scalars(query.limit(min(max(limit, 1), 500)).offset(max(offset, 0))).all()
    holders = _holders([r.id for r in rows], uow, now)
    return {
        "total": int(counts.get(status, 0)) if status else sum(int(c) for c in counts.values()),
        "counts": {s: int(counts.get(s, 0)) for s in STATUSES},
        "items": mask_personal_data([{**instance_summary(r), "applicant": _applicant(r.data),
                                      "error_task": r.error_task, "open_tasks": holders.get(r.id, [])} for r in rows]),
    }


def matching_ids(filters: dict[str, Any], *, actor: Actor, uow: UnitOfWork, now: datetime, limit: int) -> list[int]:
    """The ids of the cases a search matches (status included), newest first, at most ``limit``: what a bulk
    action (engine/services/bulk.py) acts on."""
    _check_admin(actor)
    where = _filters(filters, now, uow.platform.engine.dialect.name)
    if filters.get("status"):
        where.append(ProcessInstance.status == filters["status"])
    return list(uow.session.scalars(select(ProcessInstance.id).where(*where).order_by(ProcessInstance.id.desc())
                                    .limit(limit)).all())


def _applicant(data: dict[str, Any] | None) -> str | None:
    for field in APPLICANT_FIELDS:
        if isinstance(data, dict) and isinstance(data.get(field), str):
            return str(data[field])
    return None


def _holders(ids: list[int], uow: UnitOfWork, now: datetime) -> dict[int, list[dict[str, Any]]]:
    """Who holds each listed case: its open tasks (department, county, assignee, deadline, overdue)."""
    result: dict[int, list[dict[str, Any]]] = {}
    if not ids:
        return result
    for t in uow.session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(ids), HumanTask.state.in_(OPEN))
                                 .order_by(HumanTask.id)):
        result.setdefault(t.instance_id, []).append({
            "task_id": t.id, "name": t.name, "title": t.title, "department": t.department, "county": t.county,
            "assignee": t.assignee, "due_at": t.due_at.isoformat() if t.due_at else None,
            "overdue": t.due_at is not None and t.due_at < now})
    return result


def node_counts(key: str, version: int, *, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """For one flow version, per BPMN element id: cases waiting there (active), overdue, in error, and waiting
    timers with their earliest due time — the badges of the per-flow diagram."""
    _check_admin(actor)
    model = find_model(key, version, uow=uow)
    nodes: dict[str, dict[str, Any]] = {}

    def node(element: str) -> dict[str, Any]:
        return nodes.setdefault(element, {"active": 0, "overdue": 0, "error": 0, "timers": 0, "next_due_at": None})

    overdue = func.sum(case((HumanTask.due_at < now, 1), else_=0))
    for name, count, late in uow.session.execute(
            select(HumanTask.name, func.count(), overdue).join(ProcessInstance, ProcessInstance.id ==
                                                               HumanTask.instance_id)
            .where(HumanTask.model_key == model.key, ProcessInstance.model_id == model.id,
                   ProcessInstance.status == "active",
                   HumanTask.state.in_(OPEN)).group_by(HumanTask.name)):
        node(name).update(active=int(count), overdue=int(late or 0))
    for label, count in uow.session.execute(
            select(ProcessInstance.error_task, func.count()).where(ProcessInstance.model_id == model.id,
                                                                   ProcessInstance.status == "error")
            .group_by(ProcessInstance.error_task)):
        node(_element_of(label))["error"] += int(count)
    _timer_counts(model.id, uow, now, node)
    return {"key": model.key, "version": model.version, "nodes": nodes}


def _element_of(error_task: str | None) -> str:
    """The element id in an error label ``"id (name)"``; ``"?"`` when the engine could not name the step."""
    return (error_task or "?").split(" (", 1)[0]


def _timer_counts(model_id: int, uow: UnitOfWork, now: datetime, node: Any) -> None:
    """Waiting timers per element. The timer index holds only each case's earliest due time, not the element,
    so the cases with a waiting timer are read (at most MAX_TIMER_CASES, earliest due first)."""
    ids = uow.session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.model_id == model_id, ProcessInstance.status == "active",
        ProcessInstance.next_due_at.is_not(None)).order_by(ProcessInstance.next_due_at).limit(MAX_TIMER_CASES)).all()
    for instance_id in ids:
        for task, due in waiting_timer_due_times(restore(load_case(instance_id, uow=uow), uow=uow,
                                                         now=now).workflow):
            counts = node(task.task_spec.name)
            counts["timers"] += 1
            if counts["next_due_at"] is None or due.isoformat() < counts["next_due_at"]:
                counts["next_due_at"] = due.isoformat()


def archive(instance_id: int, *, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """The full record of a closed case as one JSON document: data, history, tasks, decisions, documents."""
    _check_admin(actor)
    row = uow.session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"no process instance {instance_id}")
    if row.status not in CLOSED:
        raise Conflict(f"a {row.status} case is archived once it is completed or cancelled")
    history = uow.session.scalars(select(HistoryEntry).where(HistoryEntry.instance_id == row.id)
                                  .order_by(HistoryEntry.id)).all()
    tasks = uow.session.scalars(select(HumanTask).where(HumanTask.instance_id == row.id)
                                .order_by(HumanTask.id)).all()
    attachments = uow.session.scalars(select(Attachment).where(Attachment.instance_id == row.id)
                                      .order_by(Attachment.id)).all()
    return {
        "format": "onestop-archive/1", "archived_at": now.isoformat(), "archived_by": actor.username,
        "instance": {**instance_summary(row), "data": row.data},
        "history": [history_view(h) for h in history],
        "tasks": [_task_record(t) for t in tasks],
        "decisions": [{"task_id": h.task_id, "task_name": h.task_name, "by": h.actor, "at": h.at.isoformat(),
                       "data": (h.details or {}).get("data", {})} for h in history if h.action == "complete"],
        "attachments": [{"id": a.id, "task_id": a.task_id, "field": a.field, "filename": a.filename,
                         "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
                         "uploaded_by": a.uploaded_by, "uploaded_at": a.uploaded_at.isoformat(),
                         "content_base64": base64.b64encode(a.content).decode("ascii")} for a in attachments],
    }


def _task_record(t: HumanTask) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "title": t.title, "department": t.department, "county": t.county,
            "assignee": t.assignee, "state": t.state, "created_at": t.created_at.isoformat(),
            "due_at": t.due_at.isoformat() if t.due_at else None,
            "ended_at": t.ended_at.isoformat() if t.ended_at else None, "completed_by": t.completed_by}


def diagram_xml(key: str, version: int, *, actor: Actor, uow: UnitOfWork) -> str:
    """The BPMN XML of one deployed version (the file defining its top-level process), for the console's viewer."""
    _check_admin(actor)
    return main_bpmn(find_model(key, version, uow=uow))[1].decode("utf-8")


def element_names(key: str, version: int, *, actor: Actor, uow: UnitOfWork) -> dict[str, str]:
    """Element id → the name the diagram gives it, over the flow and its called processes."""
    _check_admin(actor)
    bundle = uow.platform.specs.get(find_model(key, version, uow=uow).id, uow=uow)
    processes = (bundle.spec, *bundle.subprocess_specs.values())
    return {name: getattr(spec, "bpmn_name", None) or name for process in processes
            for name, spec in process.task_specs.items()}


def instance_marks(instance_id: int, *, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """Where one case stands, by BPMN element id, for the overlays on its diagram: the steps completed, the
    current (open) tasks, those of them past their deadline, the failing step of a case in error, and the
    waiting timers with their due moments."""
    _check_admin(actor)
    row = load_case(instance_id, uow=uow)
    loaded = restore(row, uow=uow, now=now)
    completed = {task.task_spec.name for task in loaded.workflow.get_tasks(state=TaskState.COMPLETED)}
    open_tasks = uow.session.execute(select(HumanTask.name, HumanTask.due_at).where(
        HumanTask.instance_id == row.id, HumanTask.state.in_(OPEN))).all()
    failing = _element_of(row.error_task) if row.status == "error" else None
    return {
        "id": row.id, "key": row.model_key, "version": row.version, "status": row.status,
        "completed": sorted(completed), "current": sorted({name for name, _due in open_tasks}),
        "overdue": sorted({name for name, due in open_tasks if due is not None and due < now}),
        "error": None if failing is None else {"element": failing, "task": row.error_task,
                                               "message": row.error_message,
                                               "pending": (row.pending or {}).get("action")},
        "timers": waiting_timers(loaded),
    }


def retry_baseline(instance_id: int, *, actor: Actor, uow: UnitOfWork) -> dict[str, Any]:
    """What a case in error would be retried with: its data, with the submission that failed laid over it
    (``submitted``, when a task completion failed). An administrator edits this and retries."""
    _check_admin(actor)
    row = load_case(instance_id, uow=uow)
    if row.status != "error":
        raise Conflict(f"only a case in error can be retried; this one is {row.status}")
    submitted = dict((row.pending or {}).get("data") or {})
    return {"data": {**(row.data or {}), **submitted}, "submitted": submitted,
            "pending": (row.pending or {}).get("action", "steps")}


def retry_with_edits(instance_id: int, edited: dict[str, Any], *, reason: str, actor: Actor, uow: UnitOfWork,
                     now: datetime) -> dict[str, Any]:
    """Retry a case in error with the fields an administrator changed or added in its :func:`retry_baseline`
    (only those go in as corrections, so the history shows exactly what was repaired). Fields cannot be removed."""
    baseline = retry_baseline(instance_id, actor=actor, uow=uow)["data"]
    edited = check_data(edited)
    fixes = {key: value for key, value in edited.items() if key not in baseline or baseline[key] != value}
    return retry_instance(instance_id, data=fixes, reason=reason, actor=actor, uow=uow, now=now)
