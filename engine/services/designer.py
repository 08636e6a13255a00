"""For process designers: versions of a flow, what changed between two, and a dry run that walks a draft."""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from lxml import etree
from sqlalchemy import func, select

from engine.bpmn.parsing import parse_xml
from engine.bpmn.validation import Bundle, load_bundle
from engine.cases.deployment import called_versions, find_model, main_bpmn
from engine.cases.instances import start_defaults, start_forms
from engine.cases.jobs import DryRun
from engine.cases.runner import RunResult, run_args, run_case
from engine.errors import DeploymentRefused, InvalidInput, NotFound
from engine.services.dmn_tables import diff_tables
from engine.store.models import ProcessInstance, ProcessModel
from engine.store.uow import UnitOfWork

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
             "deployed_by": m.deployed_by, "source": m.source, "content_hash": m.content_hash,
             "tables": [f.filename for f in m.files if f.filename.lower().endswith(".dmn")],
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
    old_model, new_model = find_model(key, old, uow=uow), find_model(key, new, uow=uow)
    before = element_meaning(parse_xml(main_bpmn(old_model)[1]))
    after = element_meaning(parse_xml(main_bpmn(new_model)[1]))
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
        # the decision tables (DMN), rule by rule and cell by cell (engine/services/dmn_tables.py)
        "tables": diff_tables({f.filename: bytes(f.content) for f in old_model.files},
                              {f.filename: bytes(f.content) for f in new_model.files}),
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
    """Start a case of a draft in memory with ``data`` and walk it as far as it goes, in the engine's child
    process: each user task is completed with ``answers[task id]`` or the smallest data its form accepts.
    Nothing is stored."""
    bundle = load_bundle(files, uow.platform.organisation, linked=linked)
    start_form = start_forms(bundle)[0]  # a case started for real gets the start form's defaults too
    fields, assets = run_args(uow, bundle, now)
    report: dict[str, Any] = run_case(uow, "dry_run", DryRun(
        **fields, data={**(start_defaults(start_form) if start_form else {}), **dict(data)},
        answers={key: dict(value) for key, value in (answers or {}).items()},
        samples=form_samples(bundle, now.astimezone(uow.platform.settings.tz).date())), assets)
    if isinstance(report, RunResult):  # the run was stopped at a limit
        failure = report.failure
        return {"steps": [], "stopped": {"reason": "error", "task": failure.task if failure else None,
                                         "message": failure.message if failure else "", "line": None},
                "data": {}, "calendar_fallback_years": []}
    return report


def form_samples(bundle: Bundle, today: date) -> dict[str, dict[str, Any]]:
    """The smallest data each user task's form accepts, by "process id/form file"."""
    samples: dict[str, dict[str, Any]] = {}
    for spec in [bundle.spec, *bundle.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
            form = properties.get("formJsonSchemaFilename")
            if form and getattr(task_spec, "manual", False):
                samples[f"{spec.name}/{form}"] = sample_data(bundle.form(spec.name, form), today)
    return samples


def start_form_sample(files: Mapping[str, bytes], today: date, *, uow: UnitOfWork) -> dict[str, Any]:
    """Sample start data for a dry run: the smallest data the flow's start form accepts ({} without one)."""
    try:
        bundle = load_bundle(files, uow.platform.organisation, check=False)
    except DeploymentRefused:
        return {}  # the draft does not parse yet (or calls other flows): the designer types the data
    return sample_data(start_forms(bundle)[0], today)


FLOW_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
LANE_HEIGHT = 150
POOL_WIDTH = 900


def new_flow(key: str, name: str, departments: Sequence[str], *, uow: UnitOfWork) -> dict[str, bytes]:
    """The files of a new flow from the template: a pool with one lane per department (in the order given),
    start → a review task in the first lane → end, and the review task's form. Valid as it stands."""
    organisation = uow.platform.organisation
    problems = []
    if not FLOW_KEY.match(key):
        problems.append({"field": "key", "message": "letters, digits and '_', starting with a letter",
                         "message_zh": "流程标识须以字母开头，只含字母、数字和下划线"})
    elif uow.session.scalar(select(ProcessModel.id).where(ProcessModel.key == key).limit(1)) is not None:
        problems.append({"field": "key", "message": f"a flow {key!r} exists already: open one of its versions",
                         "message_zh": "已有同名流程，请打开它的版本进行修改"})
    if not name.strip() or len(name) > 80:
        problems.append({"field": "name", "message": "a name of 1 to 80 characters",
                         "message_zh": "请填写1至80个字的流程名称"})
    unknown = [code for code in departments if code not in organisation.departments]
    if not departments or unknown or len(set(departments)) != len(departments):
        problems.append({"field": "departments", "message": "one or more departments of the organisation",
                         "message_zh": "请至少选择一个部门作为泳道"})
    if problems:
        raise InvalidInput(f"cannot start a new flow {key!r}", details=problems)
    lanes = [(code, organisation.departments[code].name) for code in departments]
    return {f"{key}.bpmn": _template_bpmn(key, name.strip(), lanes).encode(),
            "review.json": json.dumps(REVIEW_FORM, ensure_ascii=False, indent=2).encode()}


REVIEW_FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "审核", "type": "object",
    "required": ["decision"],
    "properties": {"decision": {"type": "string", "title": "审核结论", "enum": ["通过", "不予通过"]},
                   "opinion": {"type": "string", "title": "审核意见", "maxLength": 500}},
}


def _template_bpmn(key: str, name: str, lanes: Sequence[tuple[str, str]]) -> str:
    attr = functools.partial(html.escape, quote=True)
    first_code = lanes[0][0]
    lane_xml = "".join(
        f'      <bpmn:lane id="Lane_{code}" name="{attr(title)}">\n' + (
            "        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>\n        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>\n"
            "        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>\n" if code == first_code else "") +
        "      </bpmn:lane>\n" for code, title in lanes)
    lane_di = "".join(
        f'      <bpmndi:BPMNShape id="Lane_{code}_di" bpmnElement="Lane_{code}" isHorizontal="true">\n'
        f'        <dc:Bounds x="130" y="{60 + i * LANE_HEIGHT}" width="{POOL_WIDTH - 30}" height="{LANE_HEIGHT}" />\n'
        "      </bpmndi:BPMNShape>\n" for i, (code, _title) in enumerate(lanes))
    middle = 60 + LANE_HEIGHT // 2
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN}" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" \
xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" \
xmlns:spiffworkflow="{SPIFF}" id="Definitions_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collaboration_{key}">
    <bpmn:participant id="Participant_{key}" name="{attr(name)}" processRef="{key}" />
  </bpmn:collaboration>
  <bpmn:process id="{key}" name="{attr(name)}" isExecutable="true">
    <bpmn:laneSet id="LaneSet_{key}">
{lane_xml}    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="提出申请">
      <bpmn:outgoing>f_start_review</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="review" name="审核">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="review.json" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f_start_review</bpmn:incoming>
      <bpmn:outgoing>f_review_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end" name="办结">
      <bpmn:incoming>f_review_end</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f_start_review" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f_review_end" sourceRef="review" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_{key}">
    <bpmndi:BPMNPlane id="BPMNPlane_{key}" bpmnElement="Collaboration_{key}">
      <bpmndi:BPMNShape id="Participant_{key}_di" bpmnElement="Participant_{key}" isHorizontal="true">
        <dc:Bounds x="100" y="60" width="{POOL_WIDTH}" height="{LANE_HEIGHT * len(lanes)}" />
      </bpmndi:BPMNShape>
{lane_di}      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="202" y="{middle - 18}" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="review_di" bpmnElement="review">
        <dc:Bounds x="300" y="{middle - 40}" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end">
        <dc:Bounds x="472" y="{middle - 18}" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f_start_review_di" bpmnElement="f_start_review">
        <di:waypoint x="238" y="{middle}" />
        <di:waypoint x="300" y="{middle}" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f_review_end_di" bpmnElement="f_review_end">
        <di:waypoint x="400" y="{middle}" />
        <di:waypoint x="472" y="{middle}" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def linked_flows(files: Mapping[str, bytes], *, uow: UnitOfWork) -> dict[str, Bundle]:
    """The deployed flows a draft calls by callActivity (their newest versions), by process id."""
    return {process_id: uow.platform.specs.get(model_id, uow=uow)
            for process_id, model_id in called_versions(files, uow=uow).items()}


def check_draft(files: Mapping[str, bytes], *, uow: UnitOfWork) -> list[dict[str, object]]:
    """Every problem of a draft, as deploying it would find them (`onestop validate`); empty when clean."""
    try:
        load_bundle(files, uow.platform.organisation, linked=linked_flows(files, uow=uow))
    except DeploymentRefused as refused:
        return list(refused.details)
    return []
