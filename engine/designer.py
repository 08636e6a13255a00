"""For process designers: versions of a flow, what changed between two, and a dry run that walks a draft."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from .deployment import find_model, main_bpmn
from .errors import NotFound
from .expressions import ExpressionFunctions
from .models import ProcessInstance, ProcessModel
from .parsing import parse_xml
from .runner import advance, make_script_engine
from .timers import waiting_timer_due_times
from .uow import UnitOfWork
from .validation import Bundle, load_bundle

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
MAX_DRY_RUN_STEPS = 200


def list_versions(key: str, *, uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every version of a flow, newest first: who deployed it, when, and how many cases run on it."""
    models = uow.session.scalars(select(ProcessModel).where(ProcessModel.key == key)
                                 .order_by(ProcessModel.version.desc())).all()
    if not models:
        raise NotFound(f"no process model {key!r}")
    counts: dict[tuple[int, str], int] = {
        (model_id, status): count for model_id, status, count in uow.session.execute(
            select(ProcessInstance.model_id, ProcessInstance.status, func.count())
            .where(ProcessInstance.model_key == key).group_by(ProcessInstance.model_id, ProcessInstance.status))}
    return [{"version": m.version, "name": m.name, "deployed_at": m.deployed_at.isoformat(),
             "deployed_by": m.deployed_by, "content_hash": m.content_hash,
             "cases": {status: counts.get((m.id, status), 0)
                       for status in ("active", "suspended", "error", "completed", "cancelled")}}
            for m in models]


def element_meaning(root: etree._Element) -> dict[str, dict[str, Any]]:
    """What each flow element of a diagram means to the engine, by id (layout left out)."""
    lanes = {ref.text.strip(): lane.get("name", "") for lane in root.iter(f"{{{BPMN}}}lane")
             for ref in lane.iter(f"{{{BPMN}}}flowNodeRef") if ref.text}
    meaning: dict[str, dict[str, Any]] = {}
    for process in root.iter(f"{{{BPMN}}}process"):
        for element in process.iter():
            element_id = element.get("id")
            if not isinstance(element.tag, str) or element_id is None or element is process:
                continue
            kind = etree.QName(element).localname
            if kind in ("laneSet", "lane", "timerEventDefinition", "ioSpecification", "property", "dataInput",
                        "dataOutput", "inputSet", "outputSet", "multiInstanceLoopCharacteristics"):
                continue
            info: dict[str, Any] = {"type": kind, "name": element.get("name") or ""}
            if kind == "sequenceFlow":
                info["from"], info["to"] = element.get("sourceRef"), element.get("targetRef")
                condition = element.find(f"{{{BPMN}}}conditionExpression")
                info["condition"] = (condition.text or "").strip() if condition is not None else None
            else:
                info["lane"] = lanes.get(element_id)
            for timer in element.iter(f"{{{BPMN}}}timeDate", f"{{{BPMN}}}timeDuration", f"{{{BPMN}}}timeCycle"):
                info["timer"] = f"{etree.QName(timer).localname}: {(timer.text or '').strip()}"
            for prop in element.iter(f"{{{SPIFF}}}property"):
                info[prop.get("name", "")] = prop.get("value")
            for tag in ("script", f"{{{SPIFF}}}preScript", f"{{{SPIFF}}}postScript"):
                found = element.find(f"{{{BPMN}}}{tag}" if tag == "script" else tag)
                if found is not None:
                    info[etree.QName(found).localname] = (found.text or "").strip()
            for attribute in ("calledElement", "attachedToRef", "cancelActivity", "default"):
                if element.get(attribute) is not None:
                    info[attribute] = element.get(attribute)
            meaning[element_id] = info
    return meaning


def diff_versions(key: str, old: int, new: int, *, uow: UnitOfWork) -> dict[str, Any]:
    """Elements added, removed and changed between two versions (for the designers' visual diff)."""
    before = element_meaning(parse_xml(main_bpmn(find_model(key, old, uow=uow))[1]))
    after = element_meaning(parse_xml(main_bpmn(find_model(key, new, uow=uow))[1]))
    changed = []
    for element_id in sorted(before.keys() & after.keys()):
        fields = sorted(k for k in before[element_id].keys() | after[element_id].keys()
                        if before[element_id].get(k) != after[element_id].get(k))
        if fields:
            changed.append({"id": element_id, "type": after[element_id]["type"], "name": after[element_id]["name"],
                            "changes": {f: {"before": before[element_id].get(f), "after": after[element_id].get(f)}
                                        for f in fields}})
    return {
        "key": key, "from_version": old, "to_version": new,
        "added": [{"id": i, "type": after[i]["type"], "name": after[i]["name"]}
                  for i in sorted(after.keys() - before.keys())],
        "removed": [{"id": i, "type": before[i]["type"], "name": before[i]["name"]}
                    for i in sorted(before.keys() - after.keys())],
        "changed": changed,
    }


def sample_data(schema: Mapping[str, Any] | None, today: date) -> dict[str, Any]:
    """The smallest data a form accepts: each required field with a plausible value."""
    if not schema:
        return {}
    properties = schema.get("properties") or {}
    return {name: _sample(properties.get(name) or {}, today) for name in schema.get("required") or []}


def _sample(field: Mapping[str, Any], today: date) -> Any:
    if "default" in field:
        return field["default"]
    if field.get("enum"):
        return field["enum"][0]
    if "const" in field:
        return field["const"]
    kind = field.get("type")
    kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        if "minimum" in field:
            return field["minimum"]
        return field["exclusiveMinimum"] + 1 if "exclusiveMinimum" in field else 1
    if kind == "array":
        item = field.get("items") or {}
        return [_sample(item, today)] * max(int(field.get("minItems", 1)), 1)
    if kind == "object":
        return sample_data(field, today)
    if field.get("format") == "date":
        return today.isoformat()
    if field.get("format") == "date-time":
        return datetime.combine(today, datetime.min.time()).isoformat() + "+08:00"
    return "示例" * max(1, (int(field.get("minLength", 1)) + 1) // 2)


def dry_run(files: Mapping[str, bytes], data: Mapping[str, Any], *, answers: Mapping[str, Mapping[str, Any]]
            | None = None, linked: Mapping[str, Bundle] | None = None, uow: UnitOfWork,
            now: datetime) -> dict[str, Any]:
    """Start a case of a draft in memory with ``data`` and walk it as far as it goes: each user task is
    completed with ``answers[task id]`` or the smallest data its form accepts. Nothing is stored."""
    bundle = load_bundle(files, uow.platform.organisation, linked=linked)
    engine, functions = make_script_engine(uow, now)
    workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=engine)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(dict(data))
    steps: list[dict[str, Any]] = []
    failure = advance(workflow, lambda wf: None)
    while failure is None and not workflow.completed and len(steps) < MAX_DRY_RUN_STEPS:
        ready = list(BpmnTaskIterator(workflow.task_tree, state=TaskState.READY, manual=True))
        if not ready:
            break
        task = ready[0]
        spec = task.task_spec
        properties = ((getattr(spec, "extensions", None) or {}).get("properties") or {})
        form = bundle.form(task.workflow.spec.name, properties.get("formJsonSchemaFilename"))
        submitted = dict((answers or {}).get(spec.name) or sample_data(form, now.date()))
        steps.append({"task": spec.name, "title": getattr(spec, "bpmn_name", None) or spec.name,
                      "lane": spec.lane, "data": submitted})

        def run(_wf: Any, task: Any = task, submitted: dict[str, Any] = submitted) -> None:
            task.set_data(**submitted)
            task.run()

        failure = advance(workflow, run)
    return _dry_run_report(workflow, steps, failure, functions)


def _dry_run_report(workflow: Any, steps: list[dict[str, Any]], failure: Any,
                    functions: ExpressionFunctions) -> dict[str, Any]:
    if failure is not None:
        stopped = {"reason": "error", "task": failure.task, "message": failure.message, "line": failure.line}
    elif workflow.completed:
        stopped = {"reason": "completed"}
    elif len(steps) >= MAX_DRY_RUN_STEPS:
        stopped = {"reason": "step limit", "message": f"stopped after {MAX_DRY_RUN_STEPS} user tasks: a loop?"}
    else:
        timers = [{"timer": task.task_spec.name, "due_at": due.isoformat()}
                  for task, due in waiting_timer_due_times(workflow)]
        stopped = {"reason": "waiting for a timer", "timers": timers}
    last = workflow.last_task
    return {"steps": steps, "stopped": stopped, "data": dict(last.data) if last is not None else {},
            "calendar_fallback_years": sorted(functions.fallback_years)}
