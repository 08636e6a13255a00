"""Moving running cases to another version of their flow: a dry-run report, then one case per transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.bpmn.timers import waiting_timer_due_times
from engine.bpmn.validation import Bundle
from engine.cases.deployment import find_model
from engine.cases.runner import Loaded, advance, load_case, record, restore, save
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


def explained_blockers(loaded: Loaded, target: Bundle, mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    """Each reason this case cannot move, in English and in Chinese (for the designers' pages)."""
    workflow = loaded.workflow
    status = loaded.row.status
    if status not in MOVABLE_STATUSES:
        return [(f"the case is {status}: only active or suspended cases move (retry an error first)",
                 f"案件状态为{status}：只有办理中或已暂停的案件可以迁移（异常待处理的案件请先重试）")]
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
    workflow = loaded.workflow
    presets = {mapping.get(task.task_spec.name, task.task_spec.name): {
        "event_value": task._get_internal_data("event_value"),
        "timer_started": task._get_internal_data("timer_started")} for task in waiting_points(workflow)[1]}
    workflow.script_engine.preset_timers = presets  # read when the moved timers are re-armed below
    registry = uow.platform.serializer.registry
    top_diff, sub_diffs = diff_workflow(registry, workflow, bundle.spec, bundle.subprocess_specs)
    _apply_mapping(top_diff, bundle.spec, mapping)
    migrate_workflow(top_diff, workflow, bundle.spec)
    for sub_id, sub_diff in sub_diffs.items():
        sub = workflow.subprocesses[sub_id]
        if sub_diff is not None:
            new_spec = bundle.subprocess_specs[sub.spec.name]
            _apply_mapping(sub_diff, new_spec, mapping)
            migrate_workflow(sub_diff, sub, new_spec)
    workflow.subprocess_specs = bundle.subprocess_specs
    failure = advance(workflow, lambda wf: None)
    if failure is not None:
        raise EngineError(f"case {instance_id} could not run on version {to_version}: {failure.message}",
                          task=failure.task, line=failure.line)
    loaded.bundle = bundle
    record(loaded, uow, action="migrate", actor=actor.username, now=now, from_version=row.version,
           to_version=to_version, mapping=mapping, reason=reason)
    save(loaded, uow=uow, now=now, actor=actor.username, moved_to=(target.id, target.version))
    return {"id": instance_id, "version": to_version, "status": loaded.row.status}


def _mapped(name: str, mapping: Mapping[str, str]) -> str | None:
    """The new id of a step; the engine's helper specs of a task (``accept.BoundaryEventSplit``) follow it."""
    if name in mapping:
        return mapping[name]
    head, dot, tail = name.partition(".")
    return f"{mapping[head]}.{tail}" if dot and head in mapping else None


def _apply_mapping(diff: Any, spec: Any, mapping: Mapping[str, str]) -> None:
    for task in [*diff.alignment, *diff.removed]:
        new_name = _mapped(task.task_spec.name, mapping)
        if new_name is not None and new_name in spec.task_specs:
            diff.alignment[task] = spec.task_specs[new_name]
            if task in diff.removed:
                diff.removed.remove(task)


def migrate_cases(platform: Any, key: str, from_version: int, to_version: int, *,
                  mapping: Mapping[str, str] | None = None, reason: str = "", actor: Actor,
                  now: datetime) -> dict[str, Any]:
    """The bulk move: every movable case of the dry run, each in its own transaction; returns what happened."""
    with platform.uow(write=False) as uow:
        report = plan_migration(key, from_version, to_version, mapping=mapping, actor=actor, uow=uow, now=now)
    moved, failed = [], []
    for entry in report["movable"]:
        try:
            with platform.uow() as uow:
                migrate_case(entry["id"], to_version, mapping=mapping, reason=reason, actor=actor, uow=uow,
                             now=now)
                uow.commit()
            moved.append(entry["id"])
        except (Conflict, EngineError) as error:
            failed.append({"id": entry["id"], "reason": error.message})
    return {**report, "moved": moved, "failed": failed}
