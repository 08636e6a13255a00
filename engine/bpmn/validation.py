"""Checks one uploaded flow (BPMN, DMN, forms) before anything is stored: every problem, with its line."""

from __future__ import annotations

import ast
import json
import pathlib
import re
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from jsonschema.validators import validator_for
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from engine.bpmn.parsing import MAX_FILE_BYTES, OneStopParser, parse_xml
from engine.bpmn.schema_safety import instructions_problem, schema_hazards
from engine.bpmn.scripting import check_source
from engine.bpmn.timers import parse_cycle
from engine.errors import DeploymentRefused
from engine.people.assignment import DEPARTMENT_FIELD, field_problems
from engine.people.organisation import Organisation

FUNCTION_NAMES = ("working_days", "is_working_day", "now")
SPECIAL_LANES = {"applicant": "applicant", "申请人": "applicant"}
MAX_FILES = 50
EXTENSIONS = (".bpmn", ".dmn", ".json")
MAX_SCHEMA_ERRORS = 50
MAX_DMN_ENTRY = 2000  # characters; Spiff's "?" substitution is quadratic in the entry's length

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {
    "bpmn": BPMN,
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
_SHORT_NAMES = {f"{{{uri}}}": f"{prefix}:" for prefix, uri in NS.items()}
_DMN_INPUT = "dmninputexpr"  # what Spiff's DMN engine substitutes for "?" in an input entry
_QUESTION_MARK = re.compile(r"""(\?)(?=(?:[^'"]|['"][^'"]*['"])*$)""")  # DMNEngine.evaluate's own pattern
_ISO_LOOKING = re.compile(r"^(R\d*/|P(\d|T\d)|\d{4}-\d{2}-\d{2})", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str
    element: str | None = None  # the id of the diagram element concerned, so a modeler can mark it

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"file": self.file, "line": self.line, "message": self.message}
        if self.element is not None:
            found["element"] = self.element
        return found

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Bundle:
    key: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    forms: dict[str, Any]
    files: dict[str, bytes]
    linked: dict[str, Bundle] = field(default_factory=dict)  # other deployed flows called by callActivity

    def bundle_of(self, process_id: str) -> Bundle:
        """The bundle whose files define ``process_id``: a linked flow (at any depth), else this one."""
        return self._all_linked().get(process_id, self)

    def _all_linked(self) -> dict[str, Bundle]:
        found: dict[str, Bundle] = {}
        for process_id, bundle in self.linked.items():
            found.update(bundle._all_linked())
            found[process_id] = bundle
        return found

    def form(self, process_id: str | None, filename: str | None) -> Any:
        """A form file of the process that holds the task (a linked flow keeps its own forms)."""
        if not filename:
            return None
        owner = self.bundle_of(process_id) if process_id else self
        return owner.forms.get(filename)


def called_elsewhere(files: Mapping[str, bytes]) -> set[str]:
    """Process ids that the files' call activities call but do not define: other deployed flows."""
    defined, called = _process_ids(files)
    return {c for c in called if c and c not in defined}


def defined_processes(files: Mapping[str, bytes]) -> set[str]:
    return _process_ids(files)[0]


def _process_ids(files: Mapping[str, bytes]) -> tuple[set[str], set[str]]:
    defined: set[str] = set()
    called: set[str] = set()
    for name, content in files.items():
        if _extension(name) != ".bpmn":
            continue
        try:
            root = parse_xml(content)
        except Exception:  # noqa: BLE001, S112 — load_bundle reports unreadable files; here they call nothing
            continue
        defined.update(p.get("id", "") for p in root.iter(_q("bpmn:process")))
        called.update((c.get("calledElement") or "").strip() for c in root.iter(_q("bpmn:callActivity")))
    return defined, called


@dataclass
class _Report:
    problems: list[Problem] = field(default_factory=list)

    def add(self, file: str, line: int | None, message: str, *,
            element: etree._Element | str | None = None) -> None:
        owner = element if isinstance(element, str) or element is None else _diagram_element_id(element)
        self.problems.append(Problem(file, max(int(line or 0), 0), message, owner))

    def has_line(self, file: str, line: int) -> bool:
        return line > 0 and any(p.file == file and p.line == line for p in self.problems)

    def refusal(self, order: list[str]) -> DeploymentRefused:
        rank = {name: index for index, name in enumerate(order)}
        problems = sorted(self.problems, key=lambda p: (rank.get(p.file, len(rank)), p.line))
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        return DeploymentRefused(f"{count} {noun} in the uploaded files; the first: {problems[0]}",
                                 details=[p.as_dict() for p in problems])


def load_bundle(files: Mapping[str, bytes], organisation: Organisation, *, check: bool = True,
                linked: Mapping[str, Bundle] | None = None) -> Bundle:
    """Parse and (when ``check``) validate one flow; raises DeploymentRefused listing every problem.

    ``linked`` gives the deployed flows that this one calls by callActivity, by process id."""
    linked = dict(linked or {})
    report = _Report()
    accepted = check_files(files, report)
    documents = parse_documents(accepted, report)
    forms = parse_json_files(accepted, report)
    bpmn = {name: root for name, root in documents.items() if _extension(name) == ".bpmn"}
    dmn = {name: root for name, root in documents.items() if _extension(name) == ".dmn"}
    if check:
        for name, root in bpmn.items():
            check_bpmn_schema(name, root, report)
            check_diagram_interchange(name, root, report)
            check_lanes(name, root, organisation, report)
            check_refused_elements(name, root, report)
            check_gateways(name, root, report)
            check_forms(name, root, forms, accepted, report)
            check_bpmn_expressions(name, root, report)
            check_instructions(name, root, report)
        for name, root in dmn.items():
            check_dmn_schema(name, root, report)
            check_dmn_expressions(name, root, report)
    dmn = {name: root for name, root in dmn.items() if etree.QName(root).namespace in DMN_SCHEMAS}
    parsed = parse_specs(bpmn, dmn, report, linked)
    if report.problems or parsed is None:
        if not report.problems:
            report.add(next(iter(files), "(no files)"), 0, "the flow could not be parsed")
        raise report.refusal(list(files))
    key, name, spec, subprocess_specs = parsed
    return Bundle(key=key, name=name, spec=spec, subprocess_specs=subprocess_specs, forms=forms,
                  files=dict(files), linked=linked)


def read_paths(paths: Iterable[pathlib.Path]) -> dict[str, dict[str, bytes]]:
    """Flow folders (their .bpmn/.dmn/.json files) and loose files (one group together) for the CLI."""
    groups: dict[str, dict[str, bytes]] = {}
    loose: dict[str, bytes] = {}
    for path in paths:
        if path.is_dir():
            content = {item.name: _read_capped(item) for item in sorted(path.iterdir())
                       if item.is_file() and _extension(item.name) in EXTENSIONS}
            name = path.resolve().name
            groups[name if name not in groups else str(path)] = content
        elif path.is_file():
            loose[path.name] = _read_capped(path)
        else:
            raise _unreadable(path, "no such file or folder")
    if loose:
        stems = [pathlib.Path(name).stem for name in loose if _extension(name) == ".bpmn"]
        name = stems[0] if stems else pathlib.Path(next(iter(loose))).stem
        groups[name if name not in groups else f"{name} (files)"] = loose
    return groups


def _read_capped(path: pathlib.Path) -> bytes:
    try:
        with path.open("rb") as stream:  # one byte more than allowed, so that load_bundle reports the size
            return stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise _unreadable(path, f"cannot read the file: {error.strerror or error}") from error


def _unreadable(path: pathlib.Path, message: str) -> DeploymentRefused:
    problem = Problem(str(path), 0, message)
    return DeploymentRefused(str(problem), details=[problem.as_dict()])


def _extension(name: str) -> str:
    return pathlib.PurePosixPath(name).suffix.lower()


# --- files and documents --------------------------------------------------------------------------

def check_files(files: Mapping[str, bytes], report: _Report) -> dict[str, bytes]:
    """Plain names, known extensions, sizes, count; returns the files worth reading further."""
    accepted: dict[str, bytes] = {}
    if len(files) > MAX_FILES:
        report.add(next(iter(files)), 0, f"{len(files)} files uploaded; a flow has at most {MAX_FILES}")
    for name, content in files.items():
        if not name or "/" in name or "\\" in name or ".." in name or any(ord(c) < 32 for c in name):
            report.add(name, 0, "the file name must be a plain name, without folders or '..'")
        elif _extension(name) not in EXTENSIONS:
            report.add(name, 0, "only .bpmn, .dmn and .json (form) files belong to a flow")
        elif len(content) > MAX_FILE_BYTES:
            report.add(name, 0, f"the file is larger than {MAX_FILE_BYTES // 1024} KiB")
        else:
            accepted[name] = content
    if not any(_extension(name) == ".bpmn" for name in files):
        report.add(next(iter(files), "(no files)"), 0, "no .bpmn file: a flow needs its diagram")
    return accepted


def parse_documents(files: Mapping[str, bytes], report: _Report) -> dict[str, etree._Element]:
    """Every .bpmn and .dmn through the hardened reader: no DOCTYPE, entities or network; bounded depth."""
    documents: dict[str, etree._Element] = {}
    for name, content in files.items():
        if _extension(name) not in (".bpmn", ".dmn"):
            continue
        try:
            root = parse_xml(content)
        except etree.XMLSyntaxError as error:
            message = re.sub(r", line \d+, column (\d+)$", r" (column \1)", str(error.msg or error))
            report.add(name, error.lineno or 0, f"not well-formed XML: {message}")
            continue
        except Exception as error:  # ValueError for a DOCTYPE or the size, anything else lxml may raise
            doctype = content.find(b"<!DOCTYPE")
            line = content[:doctype].count(b"\n") + 1 if "DOCTYPE" in str(error) and doctype >= 0 else 0
            report.add(name, line, f"cannot read the XML: {error}")
            continue
        expected = "definitions"
        if etree.QName(root).localname != expected:
            report.add(name, root.sourceline or 0, f"the document element must be <{expected}>")
            continue
        if _extension(name) == ".bpmn" and etree.QName(root).namespace != BPMN:
            report.add(name, root.sourceline or 0, f"not a BPMN 2.0 document (namespace {BPMN})")
            continue
        documents[name] = root
    return documents


def parse_json_files(files: Mapping[str, bytes], report: _Report) -> dict[str, Any]:
    """Every .json file parsed; syntax errors with their line."""
    forms: dict[str, Any] = {}
    for name, content in files.items():
        if _extension(name) != ".json":
            continue
        try:
            forms[name] = json.loads(content.decode("utf-8-sig"))
        except UnicodeDecodeError as error:
            report.add(name, content[: error.start].count(b"\n") + 1, "not UTF-8 text")
        except json.JSONDecodeError as error:
            report.add(name, error.lineno, f"not valid JSON: {error.msg} (column {error.colno})")
        except ValueError as error:  # a number too long to convert (sys.get_int_max_str_digits)
            report.add(name, 0, f"not valid JSON: {error}")
        except RecursionError:
            report.add(name, 0, "not valid JSON: nested too deeply")
    return forms


# --- XML schemas ----------------------------------------------------------------------------------

def _short(message: str) -> str:
    for uri, prefix in _SHORT_NAMES.items():
        message = message.replace(uri, prefix)
    return message


_SCHEMA_LOCK = threading.Lock()  # a schema keeps the error log of its last run: one run at a time


def _report_schema_errors(name: str, schema: etree.XMLSchema, root: etree._Element, report: _Report) -> None:
    try:
        with _SCHEMA_LOCK:
            if schema.validate(root):
                return
            errors = list(schema.error_log)
    except Exception as error:
        report.add(name, 0, f"cannot check the file against its XML schema: {error}")
        return
    for entry in errors[:MAX_SCHEMA_ERRORS]:
        report.add(name, entry.line, f"XML schema: {_short(entry.message)}",
                   element=_element_at_line(root, entry.line))
    if len(errors) > MAX_SCHEMA_ERRORS:
        report.add(name, 0, f"XML schema: {len(errors) - MAX_SCHEMA_ERRORS} more errors not shown")


def check_bpmn_schema(name: str, root: etree._Element, report: _Report) -> None:
    """The BPMN 2.0 XSD with SpiffWorkflow's extensions; every error, not only the last."""
    VALIDATOR.preprocess(root)  # what Spiff does before validating: bpmn-js writes correlation paths oddly
    _report_schema_errors(name, VALIDATOR.validator, root, report)


@cache
def _dmn_schema(namespace: str) -> etree.XMLSchema:
    return BpmnValidator(DMN_SCHEMAS[namespace]).validator


def check_dmn_schema(name: str, root: etree._Element, report: _Report) -> None:
    """The DMN XSD matching the file's namespace (DMN 1.1, 1.2 or 1.3)."""
    namespace = etree.QName(root).namespace or ""
    if namespace not in DMN_SCHEMAS:
        known = ", ".join(DMN_SCHEMAS)
        report.add(name, root.sourceline or 0,
                   f"unknown DMN namespace {namespace!r}; expected one of {known}")
        return
    _report_schema_errors(name, _dmn_schema(namespace), root, report)


# --- BPMN conventions -----------------------------------------------------------------------------

def _q(tag: str) -> str:
    prefix, local = tag.split(":")
    return f"{{{NS[prefix]}}}{local}"


_CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess", "laneSet", "childLaneSet", "collaboration")


def _diagram_element_id(element: etree._Element) -> str | None:
    """The id of the shape or connection that holds ``element`` (a timer's task, a condition's flow, a lane)."""
    for candidate in (element, *element.iterancestors()):
        parent = candidate.getparent()
        if candidate.get("id") and parent is not None and etree.QName(parent).localname in _CONTAINERS:
            return candidate.get("id")
    return None


def _element_at_line(root: etree._Element, line: int | None) -> etree._Element | None:
    return next((e for e in root.iter() if isinstance(e.tag, str) and e.sourceline == line), None) if line else None


def _label(element: etree._Element) -> str:
    kind = etree.QName(element).localname
    name = element.get("name")
    return f"{kind} '{element.get('id')}'" + (f" ({name})" if name else "")


def check_diagram_interchange(name: str, root: etree._Element, report: _Report) -> None:
    """The contract wants every diagram to open in bpmn.io and Camunda Modeler."""
    if root.find(".//bpmndi:BPMNDiagram", NS) is None:
        report.add(name, root.sourceline or 0,
                   "no diagram interchange: open and save it in bpmn.io or Camunda Modeler")


def check_lanes(name: str, root: etree._Element, organisation: Organisation, report: _Report) -> None:
    """Lanes name departments (or the applicant); user and manual tasks sit in a lane. A lane named otherwise
    (e.g. 相关责任单位) is allowed when every task in it is routed by a departmentField (people/assignment.py)."""
    for process in root.iter(_q("bpmn:process")):
        for lane in process.iter(_q("bpmn:lane")):
            lane_name = (lane.get("name") or "").strip()
            if not lane_name:
                report.add(name, lane.sourceline,
                           f"lane '{lane.get('id')}' has no name: name it after a department", element=lane)
            elif lane_name not in SPECIAL_LANES and organisation.department_for_lane(lane_name) is None \
                    and not _routed_lane(process, lane):
                report.add(name, lane.sourceline, f"lane '{lane_name}' is not a department code or name "
                                                  "in the organisation file (organisation.yaml), nor a lane "
                                                  f"whose tasks all carry {DEPARTMENT_FIELD}", element=lane)
        in_lanes = {ref.text for ref in process.iter(_q("bpmn:flowNodeRef"))}
        for task in process.iter(_q("bpmn:userTask"), _q("bpmn:manualTask")):
            chain = [task, *task.iterancestors()]
            if not any(element.get("id") in in_lanes for element in chain):
                report.add(name, task.sourceline,
                           f"{_label(task)} is in no lane: put it in a department's lane", element=task)
            found = [(p.get("name"), p.get("value"), p.sourceline) for p in _properties(task)]
            for line, message in field_problems(found):
                report.add(name, line, f"{_label(task)}: {message}", element=task)


def _routed_lane(process: etree._Element, lane: etree._Element) -> bool:
    """A lane that is not a department holds only tasks whose department comes from case data."""
    members = {(ref.text or "").strip() for ref in lane.iterfind("bpmn:flowNodeRef", NS)}
    tasks = [t for t in process.iter(_q("bpmn:userTask"), _q("bpmn:manualTask")) if t.get("id") in members]
    return bool(tasks) and all(any(p.get("name") == DEPARTMENT_FIELD and (p.get("value") or "").strip()
                                   for p in _properties(t)) for t in tasks)


def check_refused_elements(name: str, root: etree._Element, report: _Report) -> None:
    """Service tasks need service operators, which this platform does not offer."""
    for task in root.iter(_q("bpmn:serviceTask")):
        report.add(name, task.sourceline, f"{_label(task)}: service tasks are not supported on this platform "
                                          "(no service operators); use a script task or a user task",
                   element=task)


def _condition(flow: etree._Element) -> str | None:
    expression = flow.find("bpmn:conditionExpression", NS)
    text = expression.text if expression is not None else None
    return text if text and text.strip() else None


def check_gateways(name: str, root: etree._Element, report: _Report) -> None:
    """Out of an exclusive or inclusive gateway, every flow but the default has a condition."""
    flows: dict[tuple[Any, str | None], list[etree._Element]] = {}
    for flow in root.iter(_q("bpmn:sequenceFlow")):
        flows.setdefault((flow.getparent(), flow.get("sourceRef")), []).append(flow)
    for gateway in root.iter(_q("bpmn:exclusiveGateway"), _q("bpmn:inclusiveGateway")):
        outgoing = flows.get((gateway.getparent(), gateway.get("id")), [])
        default = gateway.get("default")
        if default and default not in {flow.get("id") for flow in outgoing}:
            report.add(name, gateway.sourceline, f"{_label(gateway)}: its default '{default}' is not one of "
                                                 "its outgoing sequence flows", element=gateway)
        if len(outgoing) < 2:
            continue
        for flow in outgoing:
            if flow.get("id") != default and _condition(flow) is None:
                report.add(name, flow.sourceline, f"sequence flow '{flow.get('id')}' out of "
                           f"{_label(gateway)} has no condition and is not the gateway's default", element=flow)


def _properties(task: etree._Element) -> Iterator[etree._Element]:
    yield from task.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)


def check_forms(name: str, root: etree._Element, forms: Mapping[str, Any], files: Mapping[str, bytes],
                report: _Report) -> None:
    """Each user task's (and start event's) form and UI schema exist and are a JSON Schema and a JSON object."""
    for task in root.iter(_q("bpmn:userTask"), _q("bpmn:startEvent")):
        for prop in _properties(task):
            role = prop.get("name")
            if role not in ("formJsonSchemaFilename", "formUiSchemaFilename"):
                continue
            filename = (prop.get("value") or "").strip()
            if filename not in files:
                report.add(name, prop.sourceline, f"{_label(task)}: {role} '{filename}' is not among "
                                                  "the uploaded files", element=task)
            elif filename not in forms:
                pass  # unreadable JSON, reported with its own line
            elif role == "formUiSchemaFilename":
                if not isinstance(forms[filename], dict):
                    report.add(filename, 1, "a UI schema must be a JSON object", element=task)
            else:
                check_form_schema(filename, files[filename], forms[filename], report,
                                  element=_diagram_element_id(task))


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


def check_form_schema(name: str, content: bytes, schema: Any, report: _Report, *,
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


def form_problems(name: str, content: bytes) -> list[Problem]:
    """Every problem of one form file on its own (the designers' form editor checks as they type)."""
    report = _Report()
    forms = parse_json_files({name: content}, report)
    if name in forms:
        check_form_schema(name, content, forms[name], report)
    return report.problems


# --- expressions ----------------------------------------------------------------------------------

def _check_expression(name: str, element: etree._Element, source: str, mode: Literal["eval", "exec"],
                      what: str, report: _Report, *, reserved: Iterable[str] = FUNCTION_NAMES) -> None:
    base = element.sourceline or 0
    try:
        found = check_source(source, mode, reserved=tuple(reserved))
    except Exception as error:
        report.add(name, base, f"{what}: cannot check the expression: {error}", element=element)
        return
    for line, message in found:
        report.add(name, base + max(line, 1) - 1, f"{what}: {message}", element=element)


def check_instructions(name: str, root: etree._Element, report: _Report) -> None:
    """Instruction texts are templates rendered on the server: values and tests only (schema_safety.py)."""
    for text in root.iter(_q("spiffworkflow:instructionsForEndUser")):
        problem = instructions_problem(text.text or "")
        if problem:
            report.add(name, text.sourceline, problem, element=text)


def check_bpmn_expressions(name: str, root: etree._Element, report: _Report) -> None:
    """Conditions, scripts, timers and multi-instance expressions, against the restricted engine."""
    for flow in root.iter(_q("bpmn:sequenceFlow")):
        expression = flow.find("bpmn:conditionExpression", NS)
        if expression is not None and _condition(flow) is not None:
            _check_expression(name, expression, expression.text or "", "eval",
                              f"condition of sequence flow '{flow.get('id')}'", report)
    for task in root.iter(_q("bpmn:scriptTask")):
        script = task.find("bpmn:script", NS)
        if script is not None and (script.text or "").strip():
            _check_expression(name, script, script.text or "", "exec", f"script of {_label(task)}", report)
    for tag in ("spiffworkflow:preScript", "spiffworkflow:postScript"):
        for script in root.iter(_q(tag)):
            owner = script.getparent().getparent() if script.getparent() is not None else None
            where = _label(owner) if owner is not None else "an element"
            if (script.text or "").strip():
                _check_expression(name, script, script.text or "", "exec", f"{tag[14:]} of {where}", report)
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        for timer in root.iter(_q(f"bpmn:{kind}")):
            check_timer(name, timer, kind, report)
    for tag, what in (("bpmn:loopCardinality", "loop cardinality"),
                      ("bpmn:completionCondition", "completion condition"),
                      ("bpmn:loopCondition", "loop condition")):
        for element in root.iter(_q(tag)):
            if not (element.text or "").strip():
                report.add(name, element.sourceline, f"{what} is empty", element=element)
            else:
                _check_expression(name, element, element.text or "", "eval", what, report)


def check_timer(name: str, timer: etree._Element, kind: str, report: _Report) -> None:
    """A timer is an expression; a quoted literal must be the ISO 8601 text its kind expects."""
    source = (timer.text or "").strip()
    line = timer.sourceline or 0
    if not source:
        report.add(name, line, f"{kind} is empty: write an expression such as working_days(3) or 'P3D'",
                   element=timer)
        return
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        if _ISO_LOOKING.match(source):
            report.add(name, line, f"{kind} {source!r} is read as Python: quote the ISO 8601 text, "
                                   f"'{source}'", element=timer)
        else:
            _check_expression(name, timer, timer.text or "", "eval", kind, report)
        return
    if not isinstance(value, str):
        report.add(name, line, f"{kind} {source} is not an ISO 8601 text", element=timer)
        return
    problem = _timer_literal_problem(kind, value)
    if problem:
        report.add(name, line, problem, element=timer)


def _timer_literal_problem(kind: str, value: str) -> str | None:
    text = value.strip()
    if kind == "timeDate":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return f"timeDate {value!r} is not an ISO 8601 date-time, e.g. 2026-10-01T09:00:00+08:00"
        if moment.tzinfo is None:
            return (f"timeDate {value!r} has no UTC offset, so it would be read in the server's time zone; "
                    "write it with one, e.g. 2026-10-01T09:00:00+08:00")
        return None
    if kind == "timeDuration":
        try:
            if not text.upper().startswith("P") or not TimerEventDefinition.parse_iso_duration(text):
                raise ValueError(text)
        except Exception:
            return f"timeDuration {value!r} is not an ISO 8601 duration such as P3D or PT1H"
        return None
    if not re.match(r"^R\d*/", text, re.IGNORECASE):
        return f"timeCycle {value!r} is not an ISO 8601 repetition R[n]/start/duration or R[n]/duration"
    try:
        parse_cycle(text, datetime.now(UTC), UTC)
    except Exception:
        return f"timeCycle {value!r} is not an ISO 8601 repetition R[n]/start/duration or R[n]/duration"
    return None


def _dmn_text(element: etree._Element, ns: str) -> etree._Element | None:
    return element.find(f"{{{ns}}}text")


def dmn_entry_expression(input_expression: str, entry: str) -> str:
    """What Spiff's DMNEngine evaluates for an input entry ("?" becomes a name bound to the input's value)."""
    match = _QUESTION_MARK.sub(_DMN_INPUT, entry)
    if _DMN_INPUT in match:
        return match
    try:
        ast.parse(match)
        needs_eq = True
    except SyntaxError:
        needs_eq = False  # "> 5": the engine glues the input expression in front
    return f"({input_expression}) == ({match})" if needs_eq else input_expression + match


RUNNABLE_HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")


def check_dmn_expressions(name: str, root: etree._Element, report: _Report) -> None:
    """Input expressions, input entries (as the DMN engine turns them into Python) and output entries."""
    ns = etree.QName(root).namespace or ""
    for table in root.iter(f"{{{ns}}}decisionTable"):
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        if policy not in RUNNABLE_HIT_POLICIES:
            report.add(name, table.sourceline, f"hit policy {policy} is not run by the engine (it would act as "
                                               f"FIRST): use {', '.join(RUNNABLE_HIT_POLICIES)}")
        inputs: list[str | None] = []
        for column in table.iterchildren(f"{{{ns}}}input"):
            expression = column.find(f"{{{ns}}}inputExpression")
            text = _dmn_text(expression, ns) if expression is not None else None
            if text is None or not (text.text or "").strip():
                where = expression if expression is not None else column
                report.add(name, where.sourceline, f"input '{column.get('label') or column.get('id')}' "
                                                   "has no input expression")
                inputs.append(None)
                continue
            inputs.append(text.text)
            _check_expression(name, text, text.text or "", "eval", "input expression", report)
        for rule in table.iterchildren(f"{{{ns}}}rule"):
            for index, entry in enumerate(rule.iterchildren(f"{{{ns}}}inputEntry")):
                text = _dmn_text(entry, ns)
                source = text.text if text is not None else None
                if text is None or source is None or source == "-" or index >= len(inputs):
                    continue
                if not source.strip():
                    report.add(name, text.sourceline, "an input entry of only spaces never matches: "
                                                      "leave it empty or write -")
                    continue
                check_dmn_input_entry(name, text, inputs[index], source, report)
            for entry in rule.iterchildren(f"{{{ns}}}outputEntry"):
                text = _dmn_text(entry, ns)
                if text is not None and (text.text or "").strip():
                    _check_expression(name, text, text.text or "", "eval", f"output entry of rule "
                                      f"'{rule.get('id')}'", report)


def check_dmn_input_entry(name: str, text: etree._Element, input_expression: str | None, entry: str,
                          report: _Report) -> None:
    what = f"input entry {entry.strip()[:80]!r}"
    if input_expression is None:
        return  # reported on the input column
    if len(entry) > MAX_DMN_ENTRY:
        report.add(name, text.sourceline, f"{what}: longer than {MAX_DMN_ENTRY} characters")
        return
    expression = dmn_entry_expression(input_expression, entry)
    base = text.sourceline or 0
    try:
        found = check_source(expression, "eval", reserved=FUNCTION_NAMES)
    except Exception as error:
        report.add(name, base, f"{what}: cannot check the expression: {error}")
        return
    for _line, message in found:
        report.add(name, base, f"{what} (evaluated as {expression!r}): {message}")


# --- SpiffWorkflow's parser -----------------------------------------------------------------------

def _element_by_id(documents: Mapping[str, etree._Element], element_id: str,
                   prefer: str) -> tuple[str, int] | None:
    names = [prefer, *documents] if prefer in documents else list(documents)
    for name in names:
        found = documents[name].xpath("//*[@id=$id]", id=element_id)
        if isinstance(found, list) and found and isinstance(found[0], etree._Element):
            return name, found[0].sourceline or 0
    return None


def _report_spiff_error(error: Exception, file: str, documents: Mapping[str, etree._Element],
                        report: _Report) -> None:
    """ValidationException's line_number reads an attribute lxml elements do not have: find the line by id."""
    message = str(error.args[0]) if error.args else type(error).__name__
    line = 0
    if isinstance(error, ValidationException):
        file = error.file_name or file
        line = error.line_number if isinstance(error.line_number, int) else 0
        if not line and error.id:
            found = _element_by_id(documents, error.id, file)
            if found is not None:
                file, line = found
    else:
        message = f"SpiffWorkflow could not parse the flow: {type(error).__name__}: {message}"
    if "RecursionError" in message or isinstance(error, RecursionError):
        message = "the flow is chained or nested too deeply for the parser: split it with call activities"
    if not report.has_line(file, line):
        report.add(file, line, message,
                   element=str(error.id) if isinstance(error, ValidationException) and error.id else None)


def check_call_activities(bpmn: Mapping[str, etree._Element], executable: set[str], linked: set[str],
                          report: _Report) -> bool:
    """Each callActivity calls an executable process of the bundle or a deployed flow; True when all do."""
    fine = True
    for name, root in bpmn.items():
        for call in root.iter(_q("bpmn:callActivity")):
            called = (call.get("calledElement") or "").strip()
            if called not in executable and called not in linked:
                fine = False
                known = ", ".join(sorted(executable | linked)) or "none"
                report.add(name, call.sourceline, f"{_label(call)} calls process '{called}', which is neither an "
                                                  f"executable process of the uploaded files nor a deployed flow "
                                                  f"({known}): deploy that flow first", element=call)
    return fine


def parse_specs(bpmn: Mapping[str, etree._Element], dmn: Mapping[str, etree._Element], report: _Report,
                linked: Mapping[str, Bundle]) -> tuple[str, str, Any, dict[str, Any]] | None:
    """Spiff's parser: the one top-level process, its spec and its call activities' specs."""
    documents = {**bpmn, **dmn}
    parser = OneStopParser(validate=False)
    for name, root in dmn.items():
        try:
            parser.add_dmn_xml(root, filename=name)
        except Exception as error:
            _report_spiff_error(error, name, documents, report)
    for name, root in bpmn.items():
        try:
            parser.add_bpmn_xml(root, filename=name)
        except Exception as error:
            _report_spiff_error(error, name, documents, report)
    if not bpmn:
        return None
    executable = {pid for pid, p in parser.process_parsers.items() if p.process_executable}
    calls_fine = check_call_activities(bpmn, executable, set(linked), report)
    called = {str(c).strip() for c in parser.get_process_dependencies()}
    tops = sorted(pid for pid in executable if pid not in called)
    first = next(iter(bpmn))
    if len(tops) != 1:
        if tops:
            where = parser.process_parsers[tops[1]]
            report.add(where.filename or first, where.node.sourceline,
                       f"{len(tops)} top-level executable processes ({', '.join(tops)}): a flow has exactly "
                       "one; call the others through a callActivity or mark them isExecutable=\"false\"")
        else:
            report.add(first, 0,
                       "no top-level executable process: mark the flow's process isExecutable=\"true\"")
        return None
    key = tops[0]
    top = parser.process_parsers[key]
    try:  # a failed get_spec leaves a half-built spec behind that a second call would return: call it once
        spec = parser.get_spec(key)
    except Exception as error:
        _report_spiff_error(error, top.filename or first, documents, report)
        return None
    subprocess_specs: dict[str, Any] = {}
    if calls_fine:
        try:
            subprocess_specs = parser.get_subprocess_specs(key, require_call_activity_specs=not linked)
        except Exception as error:
            _report_spiff_error(error, top.filename or first, documents, report)
            return None
        for process_id, bundle in linked.items():  # a deployed flow brings its own call activities along
            for name, sub in ((process_id, bundle.spec), *bundle.subprocess_specs.items()):
                if subprocess_specs.get(name) is None:
                    subprocess_specs[name] = sub
    return key, top.node.get("name") or key, spec, subprocess_specs
