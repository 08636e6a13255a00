"""The platform's own conventions for a diagram: lanes are departments, forms are JSON Schema files, diagram
interchange is present, exclusive and inclusive gateways choose by conditions, instructions are safe templates."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from jsonschema.validators import validator_for
from lxml import etree

from engine.bpmn.problems import (
    NS,
    Report,
    diagram_element_id,
    executable_processes,
    in_processes,
    label,
    local_name,
    q,
    quote,
)
from engine.bpmn.schema_safety import instructions_problem, schema_hazards
from engine.people.assignment import DEPARTMENT_FIELD, field_problems
from engine.people.organisation import Organisation

SPECIAL_LANES = {"applicant": "applicant", "申请人": "applicant"}


def check_diagram_interchange(name: str, root: etree._Element, report: Report) -> None:
    """The contract wants every diagram to open in bpmn.io and Camunda Modeler."""
    if root.find(".//bpmndi:BPMNDiagram", NS) is None:
        report.add(name, root.sourceline or 0,
                   "no diagram interchange (BPMNDI, the layout bpmn.io and Camunda Modeler draw): export the diagram "
                   "with its layout from the tool that made it, or draw it in bpmn.io or Camunda Modeler")


def check_lanes(name: str, root: etree._Element, organisation: Organisation, report: Report) -> None:
    """Lanes name departments (or the applicant); user, manual and plain tasks sit in a lane. A lane named otherwise
    (e.g. 相关责任单位) is allowed when every task in it is routed by a departmentField (people/assignment.py)."""
    for process in executable_processes(root):
        for lane in process.iter(q("bpmn:lane")):
            lane_name = (lane.get("name") or "").strip()
            if not lane_name:
                report.add(name, lane.sourceline,
                           f"lane '{quote(lane.get('id'))}' has no name: name it after a department", element=lane)
            elif lane_name not in SPECIAL_LANES and organisation.department_for_lane(lane_name) is None \
                    and not _routed_lane(process, lane):
                report.add(name, lane.sourceline, f"lane '{quote(lane_name)}' is no department of "
                                                  f"organisation.yaml (or use {DEPARTMENT_FIELD})",
                           element=lane)
        in_lanes = {ref.text for ref in process.iter(q("bpmn:flowNodeRef"))}
        for task in process.iter(q("bpmn:userTask"), q("bpmn:manualTask"), q("bpmn:task")):
            found = [(p.get("name"), p.get("value"), p.sourceline) for p in _properties(task)]
            for line, message in field_problems(found):
                report.add(name, line, f"{label(task)}: {message}", element=task)
            chain = [task, *task.iterancestors()]
            if any(element.get("id") in in_lanes for element in chain):
                continue
            if local_name(task) == "task":
                report.add(name, task.sourceline, f"{label(task)} is a plain task in no lane, which nobody would "
                                                  "see: put it in a department's lane (someone there confirms it), "
                                                  "or make it a scriptTask if the engine should do it", element=task)
            else:
                report.add(name, task.sourceline,
                           f"{label(task)} is in no lane: put it in a department's lane", element=task)


def _routed_lane(process: etree._Element, lane: etree._Element) -> bool:
    """A lane that is not a department holds only tasks whose department comes from case data."""
    members = {(ref.text or "").strip() for ref in lane.iterfind("bpmn:flowNodeRef", NS)}
    tasks = [t for t in process.iter(q("bpmn:userTask"), q("bpmn:manualTask")) if t.get("id") in members]
    return bool(tasks) and all(any(p.get("name") == DEPARTMENT_FIELD and (p.get("value") or "").strip()
                                   for p in _properties(t)) for t in tasks)


def _condition(flow: etree._Element) -> str | None:
    expression = flow.find("bpmn:conditionExpression", NS)
    text = expression.text if expression is not None else None
    return text if text and text.strip() else None


def check_gateways(name: str, root: etree._Element, report: Report) -> None:
    """Out of an exclusive or inclusive gateway, every flow but the default has a condition."""
    flows: dict[tuple[Any, str | None], list[etree._Element]] = {}
    for flow in in_processes(root, "bpmn:sequenceFlow"):
        flows.setdefault((flow.getparent(), flow.get("sourceRef")), []).append(flow)
    for gateway in in_processes(root, "bpmn:exclusiveGateway", "bpmn:inclusiveGateway"):
        outgoing = flows.get((gateway.getparent(), gateway.get("id")), [])
        default = gateway.get("default")
        if default and default not in {flow.get("id") for flow in outgoing}:
            report.add(name, gateway.sourceline, f"{label(gateway)}: its default '{quote(default)}' is not one of "
                                                 "its outgoing sequence flows", element=gateway)
        if len(outgoing) < 2:
            continue
        for flow in outgoing:
            if flow.get("id") != default and _condition(flow) is None:
                report.add(name, flow.sourceline, f"sequence flow '{quote(flow.get('id'))}' out of "
                           f"{label(gateway)} has no condition and is not the gateway's default", element=flow)


def _properties(task: etree._Element) -> Iterator[etree._Element]:
    yield from task.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)


def check_forms(name: str, root: etree._Element, forms: Mapping[str, Any], files: Mapping[str, bytes],
                report: Report) -> None:
    """Each user task's (and start event's) form and UI schema exist and are a JSON Schema and a JSON object."""
    for task in in_processes(root, "bpmn:userTask", "bpmn:startEvent"):
        for prop in _properties(task):
            role = prop.get("name")
            if role not in ("formJsonSchemaFilename", "formUiSchemaFilename"):
                continue
            filename = (prop.get("value") or "").strip()
            if filename not in files:
                report.add(name, prop.sourceline, f"{label(task)}: {role} '{quote(filename)}' is not among "
                                                  "the uploaded files", element=task)
            elif filename not in forms:
                pass  # unreadable JSON, reported with its own line
            elif role == "formUiSchemaFilename":
                if not isinstance(forms[filename], dict):
                    report.add(filename, 1, "a UI schema must be a JSON object", element=task)
            else:
                check_form_schema(filename, files[filename], forms[filename], report,
                                  element=diagram_element_id(task))


def _json_line(text: str, path: Iterable[Any]) -> int:
    """The line of the last key along ``path`` in a JSON text, found by searching for each key in turn."""
    position = 0
    for key in path:
        if isinstance(key, str):
            found = text.find(json.dumps(key, ensure_ascii=False), position)
            if found < 0:
                break
            position = found
    return text.count("\n", 0, position) + 1


def check_form_schema(name: str, content: bytes, schema: Any, report: Report, *,
                      element: str | None = None) -> None:
    """A form is a JSON Schema (Draft 2020-12 unless it says otherwise) for an object."""
    if not isinstance(schema, dict):
        report.add(name, 1, "a form must be a JSON Schema object", element=element)
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cls = validator_for(schema)
            cls.check_schema(schema)
    except DeprecationWarning:
        report.add(name, _json_line(content.decode("utf-8-sig"), ["$schema"]),
                   f"unknown $schema {schema.get('$schema')!r}; use https://json-schema.org/draft/2020-12/schema",
                   element=element)
        return
    except Exception as error:
        path = list(getattr(error, "path", []))
        message = getattr(error, "message", str(error))
        where = "/".join(str(p) for p in path) or "(top level)"
        report.add(name, _json_line(content.decode("utf-8-sig"), path),
                   f"not a valid JSON Schema at {where}: {message}", element=element)
        return
    if schema.get("type") != "object":
        report.add(name, _json_line(content.decode("utf-8-sig"), ["type"]),
                   'a form schema must have "type": "object"', element=element)
    for path, message in schema_hazards(schema):
        report.add(name, _json_line(content.decode("utf-8-sig"), path), message, element=element)


def check_instructions(name: str, root: etree._Element, report: Report) -> None:
    """Instruction texts are templates rendered on the server: values and tests only (schema_safety.py)."""
    for text in in_processes(root, "spiffworkflow:instructionsForEndUser"):
        problem = instructions_problem(text.text or "")
        if problem:
            report.add(name, text.sourceline, problem, element=text)


