"""Checks one uploaded flow (BPMN, DMN, forms) before anything is stored: every problem, with its line.

The checks never raise: whatever a file holds ends as problems `file:line: message`, one line each. The
order: files and XML, the XML schemas, the platform's conventions (``conventions.py``), the rule for every
element (``element_rules.py``), other engines' settings (``vendor_hints.py``), expressions
(``expression_checks.py``); then SpiffWorkflow's parser reads the diagram as rewritten by ``rewrite.py``, and
its errors are reworded by ``spiff_errors.py`` unless a check already explained the element."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import pathlib
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from engine.bpmn.bounds import bound_problems
from engine.bpmn.conventions import (
    SPECIAL_LANES,
    check_diagram_interchange,
    check_form_schema,
    check_forms,
    check_gateways,
    check_instructions,
    check_lanes,
)
from engine.bpmn.element_rules import check_elements
from engine.bpmn.expression_checks import (
    FUNCTION_NAMES,
    check_bpmn_expressions,
    check_dmn_decisions,
    check_dmn_expressions,
    dmn_entry_expression,
)
from engine.bpmn.parsing import MAX_FILE_BYTES, OneStopParser, parse_xml
from engine.bpmn.problems import NS, Problem, Report, element_at_line, label, q, quote
from engine.bpmn.rewrite import FLOW_NODES, Prepared, prepare
from engine.bpmn.spiff_errors import report_spiff_error
from engine.bpmn.vendor_hints import check_vendor_extensions
from engine.errors import DeploymentRefused
from engine.people.organisation import Organisation

__all__ = ["FUNCTION_NAMES", "MAX_FILES", "SPECIAL_LANES", "Bundle", "Problem", "called_elsewhere",
           "defined_processes", "dmn_entry_expression", "form_problems", "load_bundle", "read_paths"]

log = logging.getLogger(__name__)
MAX_FILES = 50
EXTENSIONS = (".bpmn", ".dmn", ".json")
MAX_SCHEMA_ERRORS = 50
MAX_FLOW_ELEMENTS = 3000  # events, activities, gateways and sequence flows per diagram; real flows have hundreds
BPMN = NS["bpmn"]
_SHORT_NAMES = {f"{{{uri}}}": f"{prefix}:" for prefix, uri in NS.items()}
FLOW_ELEMENT_TAGS = tuple(f"{{{BPMN}}}{tag}" for tag in (*FLOW_NODES, "sequenceFlow"))


@dataclass
class Bundle:
    key: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    forms: dict[str, Any]
    files: dict[str, bytes]
    linked: dict[str, Bundle] = field(default_factory=dict)  # other deployed flows called by callActivity

    @functools.cached_property
    def fingerprint(self) -> str:
        """Identifies the content: these files, calling these flows (the engine's child processes keep parsed
        bundles by it)."""
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        for process_id, bundle in sorted(self.linked.items()):
            digest.update(f"\0link:{process_id}={bundle.fingerprint}".encode())
        return digest.hexdigest()

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


def called_process(call: etree._Element) -> str:
    """The process a callActivity calls (``calledElement`` is a QName: a declared prefix is dropped)."""
    value = (call.get("calledElement") or "").strip()
    prefix, colon, local = value.partition(":")
    return local if colon and prefix in (call.nsmap or {}) else value


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
        defined.update(p.get("id", "") for p in root.iter(q("bpmn:process")))
        called.update(called_process(c) for c in root.iter(q("bpmn:callActivity")))
    return defined, called


def load_bundle(files: Mapping[str, bytes], organisation: Organisation, *, check: bool = True,
                linked: Mapping[str, Bundle] | None = None) -> Bundle:
    """Parse and (when ``check``) validate one flow; raises DeploymentRefused listing every problem, and
    nothing else.

    ``linked`` gives the deployed flows that this one calls by callActivity, by process id."""
    linked = dict(linked or {})
    report = Report()
    accepted = check_files(files, report)
    documents = parse_documents(accepted, report)
    forms = parse_json_files(accepted, report)
    bpmn = {name: root for name, root in documents.items() if _extension(name) == ".bpmn" and
            within_bounds(name, root, report)}
    dmn = {name: root for name, root in documents.items() if _extension(name) == ".dmn"}
    if check:
        for name, root in bpmn.items():
            _guarded(report, name, check_bpmn_schema, root)
            _guarded(report, name, check_diagram_interchange, root)
            _guarded(report, name, lambda n, r, rep: check_lanes(n, r, organisation, rep), root)
            _guarded(report, name, check_elements, root)
            _guarded(report, name, check_vendor_extensions, root)
            _guarded(report, name, check_gateways, root)
            _guarded(report, name, lambda n, r, rep: check_forms(n, r, forms, accepted, rep), root)
            _guarded(report, name, check_bpmn_expressions, root)
            _guarded(report, name, check_instructions, root)
            _guarded(report, name, check_run_bounds, root)
        for name, root in dmn.items():
            _guarded(report, name, check_dmn_schema, root)
            _guarded(report, name, check_dmn_decisions, root)
            _guarded(report, name, check_vendor_extensions, root)
            _guarded(report, name, check_dmn_expressions, root)
    dmn = {name: root for name, root in dmn.items() if etree.QName(root).namespace in DMN_SCHEMAS}
    try:
        parsed = parse_specs(bpmn, dmn, report, linked)
    except Exception as error:  # noqa: BLE001 — validation never raises anything but DeploymentRefused
        log.exception("parsing the flow failed")
        report_spiff_error(error, next(iter(bpmn), "(no files)"), {}, Prepared(), report)
        parsed = None
    if report.problems or parsed is None:
        if not report.problems:
            report.add(next(iter(files), "(no files)"), 0, "the flow could not be parsed")
        raise report.refusal(list(files))
    key, name, spec, subprocess_specs = parsed
    return Bundle(key=key, name=name, spec=spec, subprocess_specs=subprocess_specs, forms=forms,
                  files=dict(files), linked=linked)


def check_run_bounds(name: str, root: etree._Element, report: Report) -> None:
    """What a case of this diagram may ask of the engine (engine/bpmn/bounds.py)."""
    for line, message, element in bound_problems(root):
        report.add(name, line, message, element=element)


def within_bounds(name: str, root: etree._Element, report: Report) -> bool:
    """A diagram of more than MAX_FLOW_ELEMENTS flow elements is refused before any further work on it (the
    checks, rewrites and the parser are linear in its size, but a 2 MiB file of tiny tasks would take long)."""
    count = sum(1 for element in root.iter(*FLOW_ELEMENT_TAGS))
    if count <= MAX_FLOW_ELEMENTS:
        return True
    report.add(name, root.sourceline, f"the diagram has {count} events, activities, gateways and sequence flows; a "
                                      f"flow has at most {MAX_FLOW_ELEMENTS}: split it into flows called by call "
                                      "activities")
    return False


def _guarded(report: Report, name: str, check: Callable[[str, etree._Element, Report], None],
             root: etree._Element) -> None:
    """Run one check; should it fail on something unforeseen, the file is refused with a plain problem (and
    the failure logged for the developers), never with an exception."""
    try:
        check(name, root, report)
    except Exception:  # noqa: BLE001
        log.exception("a validation check failed on %s", name)
        report.add(name, 0, "part of the checks could not read this file; simplify the diagram around its "
                            "unusual parts, or report it with the file")


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

def check_files(files: Mapping[str, bytes], report: Report) -> dict[str, bytes]:
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


def parse_documents(files: Mapping[str, bytes], report: Report) -> dict[str, etree._Element]:
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


def parse_json_files(files: Mapping[str, bytes], report: Report) -> dict[str, Any]:
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


def _report_schema_errors(name: str, schema: etree.XMLSchema, root: etree._Element, report: Report) -> None:
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
                   element=element_at_line(root, entry.line))
    if len(errors) > MAX_SCHEMA_ERRORS:
        report.add(name, 0, f"XML schema: {len(errors) - MAX_SCHEMA_ERRORS} more errors not shown")


def check_bpmn_schema(name: str, root: etree._Element, report: Report) -> None:
    """The BPMN 2.0 XSD with SpiffWorkflow's extensions; every error, not only the last."""
    VALIDATOR.preprocess(root)  # what Spiff does before validating: bpmn-js writes correlation paths oddly
    _report_schema_errors(name, VALIDATOR.validator, root, report)


@cache
def _dmn_schema(namespace: str) -> etree.XMLSchema:
    return BpmnValidator(DMN_SCHEMAS[namespace]).validator


def check_dmn_schema(name: str, root: etree._Element, report: Report) -> None:
    """The DMN XSD matching the file's namespace (DMN 1.1, 1.2 or 1.3)."""
    namespace = etree.QName(root).namespace or ""
    if namespace not in DMN_SCHEMAS:
        known = ", ".join(DMN_SCHEMAS)
        report.add(name, root.sourceline or 0,
                   f"unknown DMN namespace {namespace!r}; expected one of {known}")
        return
    _report_schema_errors(name, _dmn_schema(namespace), root, report)


def form_problems(name: str, content: bytes) -> list[Problem]:
    """Every problem of one form file on its own (the designers' form editor checks as they type)."""
    report = Report()
    forms = parse_json_files({name: content}, report)
    if name in forms:
        check_form_schema(name, content, forms[name], report)
    return report.problems


# --- SpiffWorkflow's parser -----------------------------------------------------------------------

def check_call_activities(bpmn: Mapping[str, etree._Element], executable: set[str], linked: set[str],
                          report: Report) -> bool:
    """Each callActivity calls an executable process of the bundle or a deployed flow; True when all do."""
    fine = True
    for name, root in bpmn.items():
        for call in root.iter(q("bpmn:callActivity")):
            called = called_process(call)
            if called in executable or called in linked:
                continue
            fine = False
            if not called:
                report.add(name, call.sourceline, f"{label(call)} names no process to call: set its calledElement "
                                                  "to the id of an executable process", element=call)
                continue
            known = ", ".join(sorted(executable | linked)) or "none"
            report.add(name, call.sourceline, f"{label(call)} calls process '{quote(called)}', which is neither an "
                                              f"executable process of the uploaded files nor a deployed flow "
                                              f"({quote(known, 300)}): deploy that flow first", element=call)
    return fine


def parse_specs(bpmn: Mapping[str, etree._Element], dmn: Mapping[str, etree._Element], report: Report,
                linked: Mapping[str, Bundle]) -> tuple[str, str, Any, dict[str, Any]] | None:
    """Spiff's parser on the rewritten diagrams: the one top-level process, its spec and its call activities'."""
    documents = {**bpmn, **dmn}
    parser = OneStopParser(validate=False)
    prepared = Prepared()
    unread = False
    for name, root in dmn.items():
        try:
            parser.add_dmn_xml(root, filename=name)
        except Exception as error:  # noqa: BLE001 — every parser failure becomes a problem
            report_spiff_error(error, name, documents, prepared, report)
            unread = True
    for name, root in bpmn.items():
        try:
            rewritten, done = prepare(root)
            prepared.origin.update(done.origin)
            parser.add_bpmn_xml(rewritten, filename=name)
        except Exception as error:  # noqa: BLE001
            report_spiff_error(error, name, documents, prepared, report)
            unread = True
    if not bpmn or unread:
        return None  # what could not be read is reported; no advice about what the parser never saw
    executable = {pid for pid, p in parser.process_parsers.items() if p.process_executable and pid}
    calls_fine = check_call_activities(bpmn, executable, set(linked), report)
    called = {str(c).strip() for c in parser.get_process_dependencies()}
    tops = sorted(pid for pid in executable if pid not in called)
    first = next(iter(bpmn))
    if len(tops) != 1:
        _report_tops(tops, executable, parser, first, report)
        return None
    key = tops[0]
    top = parser.process_parsers[key]
    try:  # a failed get_spec leaves a half-built spec behind that a second call would return: call it once
        spec = parser.get_spec(key)
    except Exception as error:  # noqa: BLE001
        report_spiff_error(error, top.filename or first, documents, prepared, report)
        return None
    subprocess_specs: dict[str, Any] = {}
    if calls_fine:
        try:
            subprocess_specs = parser.get_subprocess_specs(key, require_call_activity_specs=not linked)
        except Exception as error:  # noqa: BLE001
            report_spiff_error(error, top.filename or first, documents, prepared, report)
            return None
    parser.explicit_lanes([spec, *(s for s in subprocess_specs.values() if s is not None)])
    if calls_fine:
        for process_id, bundle in linked.items():  # a deployed flow brings its own call activities along
            for name, sub in ((process_id, bundle.spec), *bundle.subprocess_specs.items()):
                if subprocess_specs.get(name) is None:
                    subprocess_specs[name] = sub
    return key, top.node.get("name") or key, spec, subprocess_specs


def _report_tops(tops: list[str], executable: set[str], parser: Any, first: str, report: Report) -> None:
    """Why there is not exactly one process to start the flow with, saying only what is true of the files."""
    if tops:
        where = parser.process_parsers[tops[1]]
        report.add(where.filename or first, where.node.sourceline,
                   f"{len(tops)} top-level executable processes ({quote(', '.join(tops), 300)}): a flow has exactly "
                   "one; call the others through a callActivity or mark them isExecutable=\"false\"")
    elif executable:
        where = parser.process_parsers[sorted(executable)[0]]
        report.add(where.filename or first, where.node.sourceline,
                   f"every executable process ({quote(', '.join(sorted(executable)), 300)}) is called by a "
                   "callActivity, so none of them starts the flow: a flow needs one process that no callActivity "
                   "calls")
    elif any(p.process_executable for p in parser.process_parsers.values()):
        pass  # an executable process without an id: reported by the element rules
    elif parser.process_parsers:
        where = next(iter(parser.process_parsers.values()))
        report.add(where.filename or first, where.node.sourceline,
                   "no top-level executable process: every process is marked isExecutable=\"false\"; mark the "
                   "flow's process isExecutable=\"true\"")
    else:
        report.add(first, 0, "the file defines no process: draw the flow in a process (or a pool holding one)")
