"""Moving running cases to another version of their flow: a dry-run report, then one case per transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.bpmn.timers import waiting_timer_due_times
from engine.bpmn.validation import Bundle
from engine.cases.deployment import find_model
from engine.cases.jobs import MigrateRun
from engine.cases.runner import Case, Loaded, bundle_asset, load_case, record, restore, run_args, run_case, save
from engine.errors import Conflict, EngineError, PermissionDenied
from engine.people.identity import Actor
from engine.store.models import ProcessInstance
from engine.store.uow import UnitOfWork

MOVABLE_STATUSES = ("active", "suspended")
MIGRATE_ROLES = ("admin", "designer")


def _label(task: Any) -> str:
    spec = task.task_spec
    name = getattr(spec, "bpmn_name", None)
    return f"{spec.name} ({name})" if name else spec.name


def waiting_points(workflow: Any) -> tuple[list[Any], list[Any]]:
    """Where a case waits: READY user tasks and WAITING timers, in the case and its call activities."""
    tasks = list(BpmnTaskIterator(workflow.task_tree, state=TaskState.READY, manual=True))
    timers = [task for task, _due in waiting_timer_due_times(workflow)]
    return tasks, timers


def blockers(loaded: Loaded, target: Bundle, mapping: Mapping[str, str]) -> list[str]:
    """Why this case cannot move to ``target`` (empty when it can)."""
    return [reason for reason, _zh in explained_blockers(loaded, target, mapping)]


# The case statuses as the UI says them (ui/web/display.py STATUS_LABELS), for the Chinese reasons.
_STATUS_ZH = {"active": "办理中", "suspended": "已暂停", "completed": "已办结", "cancelled": "已撤销",
              "error": "异常待处理"}


def explained_blockers(loaded: Loaded, target: Bundle, mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    """Each reason this case cannot move, in English and in Chinese (for the designers' pages)."""
    workflow = loaded.workflow
    status = loaded.row.status
    if status not in MOVABLE_STATUSES:
        return [(f"the case is {status}: only active or suspended cases move (retry an error first)",
                 f"案件状态为“{_STATUS_ZH.get(status, status)}”：只有办理中或已暂停的案件可以迁移"
                 "（异常待处理的案件请先重新处理）")]
    engine_ready = [t for t in BpmnTaskIterator(workflow.task_tree, state=TaskState.READY) if not t.task_spec.manual]
    if engine_ready:
        step = _label(engine_ready[0])
        return [(f"the case is between steps at {step}: it only moves while waiting for a person or a timer",
                 f"案件正在 {step} 处自动流转：只有停在人工任务或定时器处时才能迁移")]
    reasons = []
    tasks, timers = waiting_points(workflow)
    for task in tasks + timers:
        process_id, step = task.workflow.spec.name, _label(task)
        spec = target.spec if task.workflow is workflow else target.subprocess_specs.get(process_id)
        if spec is None:
            reasons.append((f"{step} waits inside '{process_id}', which the new version no longer calls",
                            f"{step} 位于子流程“{process_id}”中，新版本已不再调用它"))
            continue
        name = mapping.get(task.task_spec.name, task.task_spec.name)
        counterpart = spec.task_specs.get(name)
        if counterpart is None:
            reasons.append((f"current step {step} does not exist in the new version: map it to a step that does",
                            f"当前环节 {step} 在新版本中不存在：请在对应关系中把它对应到新版本的环节"))
        elif task in timers and not isinstance(getattr(counterpart, "event_definition", None),
                                               TimerEventDefinition):
            reasons.append((f"timer {step} maps to '{name}', which is not a timer",
                            f"定时器 {step} 对应到的“{name}”不是定时器"))
        elif task in tasks and not counterpart.manual:
            reasons.append((f"user task {step} maps to '{name}', which is not a user task",
                            f"人工任务 {step} 对应到的“{name}”不是人工任务"))
    if not tasks and not timers:
        reasons.append(("the case waits nowhere a move is safe (no user task or timer)",
                        "案件没有停在可以安全迁移的位置（既无人工任务也无定时器）"))
    return reasons


def plan_migration(key: str, from_version: int, to_version: int, *, mapping: Mapping[str, str] | None = None,
                   actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """The dry run: which cases on ``from_version`` can move to ``to_version``, and why the others cannot."""
    if actor.role not in MIGRATE_ROLES:
        raise PermissionDenied("only administrators and process designers move cases between versions")
    source, target = find_model(key, from_version, uow=uow), find_model(key, to_version, uow=uow)
    bundle = uow.platform.specs.get(target.id, uow=uow)
    ids = uow.session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.model_id == source.id, ProcessInstance.status.in_(("active", "suspended", "error")))
        .order_by(ProcessInstance.id)).all()
    movable: list[dict[str, Any]] = []
    blocked: list[dict[str, Any]] = []
    for instance_id in ids:
        loaded = restore(load_case(instance_id, uow=uow), uow=uow, now=now)
        explained = explained_blockers(loaded, bundle, mapping or {})
        tasks, timers = waiting_points(loaded.workflow)
        entry = {"id": instance_id, "waiting_at": [_label(t) for t in tasks + timers]}
        if explained:
            blocked.append({**entry, "reasons": [en for en, _zh in explained],
                            "reasons_zh": [zh for _en, zh in explained]})
        else:
            movable.append(entry)
    return {"key": key, "from_version": from_version, "to_version": to_version, "mapping": dict(mapping or {}),
            "movable": movable, "blocked": blocked}


def migrate_case(instance_id: int, to_version: int, *, mapping: Mapping[str, str] | None = None, reason: str = "",
                 actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """Move one case: its tasks and timers are re-attached to the new version's steps (by id, or through
    ``mapping`` old id → new id); waiting timers keep their due moments; claims are kept."""
    if actor.role not in MIGRATE_ROLES:
        raise PermissionDenied("only administrators and process designers move cases between versions")
    mapping = dict(mapping or {})
    row = load_case(instance_id, uow=uow)
    target = find_model(row.model_key, to_version, uow=uow)
    bundle = uow.platform.specs.get(target.id, uow=uow)
    loaded = restore(row, uow=uow, now=now)
    reasons = blockers(loaded, bundle, mapping)
    if reasons:
        raise Conflict(f"case {instance_id} cannot move to version {to_version}: {'; '.join(reasons)}",
                       details=[{"message": r} for r in reasons])
    case = Case(row=row, bundle=bundle)
    fields, assets = run_args(uow, loaded.bundle, now)
    result = run_case(uow, "migrate", MigrateRun(**fields, state=row.state, target=bundle.fingerprint,
                                                 mapping=mapping), (*assets, bundle_asset(bundle)))
    if result.failure is not None:
        raise EngineError(f"case {instance_id} could not run on version {to_version}: {result.failure.message}",
                          task=result.failure.task, line=result.failure.line)
    record(case, uow, action="migrate", actor=actor.username, now=now, from_version=row.version,
           to_version=to_version, mapping=mapping, reason=reason)
    save(case, result, uow=uow, now=now, actor=actor.username, moved_to=(target.id, target.version))
    return {"id": instance_id, "version": to_version, "status": case.row.status}


def migrate_cases(platform: Any, key: str, from_version: int, to_version: int, *,
                  mapping: Mapping[str, str] | None = None, reason: str = "", actor: Actor,
                  now: datetime) -> dict[str, Any]:
    """The bulk move: every movable case of the dry run, each in its own transaction; returns what happened."""
    with platform.uow(write=False) as uow:
        report = plan_migration(key, from_version, to_version, mapping=mapping, actor=actor, uow=uow, now=now)
    moved, failed = [], []
    for entry in report["movable"]:
        try:
            with platform.uow(optimistic=True) as uow:
                migrate_case(entry["id"], to_version, mapping=mapping, reason=reason, actor=actor, uow=uow,
                             now=now)
                uow.commit()
            moved.append(entry["id"])
        except (Conflict, EngineError) as error:
            failed.append({"id": entry["id"], "reason": error.message})
    return {**report, "moved": moved, "failed": failed}
