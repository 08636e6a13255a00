"""SpiffWorkflow's parser errors as problems a designer can act on: the element, its line, what to change.

Its messages are sometimes cut off ("… for tasks of type"), carry Python reprs (``<Element … at 0x…>``) or
wrap an exception (``TypeError(…)``); each known one is reworded, and anything else gets a plain message
without the exception's text."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.bpmn.problems import Report, label, quote
from engine.bpmn.rewrite import Prepared

log = logging.getLogger(__name__)

Reword = Callable[[re.Match[str], str], str]


def _keep(match: re.Match[str], what: str) -> str:
    return f"{what}: {match.string.strip().rstrip('.')}"


KNOWN: list[tuple[str, Reword]] = [
    (r"^Multiple outgoing flows are not supported",
     lambda m, w: f"{w} has several outgoing sequence flows, which the engine cannot follow from this kind of "
                  "element: lead them through a gateway"),
    (r"^When looking for a task spec",
     lambda m, w: f"{w}: one of its outgoing sequence flows leads out of its (sub)process"),
    (r"Time Specification|Unknown Time Specification",
     lambda m, w: f"{w}: its timer has no time the engine can read: give it a timeDate, timeDuration or timeCycle"),
    (r'^No DMN Diagram available with id "None"',
     lambda m, w: f"{w} names no decision: add <spiffworkflow:calledDecisionId>DECISION_ID"
                  "</spiffworkflow:calledDecisionId> inside its bpmn:extensionElements"),
    (r'^No DMN Diagram available with id "(.*)", Available DMN ids are: ?(.*)$',
     lambda m, w: f"{w} calls decision '{quote(m.group(1))}', which no uploaded .dmn file defines "
                  f"(decisions: {quote(m.group(2)) or 'none'})"),
    (r"^Cannot resolve data(Input|Output)Association",
     lambda m, w: f"{w}: a data {m.group(1).lower()} association names neither a data object reference of its "
                  "process nor a data store"),
    (r"^No start event found",
     lambda m, w: f"{w} has no start event and nothing without an incoming flow that could start it"),
    (r"^Exactly one start event is required in a SubWorkflow Task; found (\d+)",
     lambda m, w: f"{w}: a subprocess has at most one start event; it has {m.group(1)}"),
    (r"^A SubWorkflow Must contain an End event",
     lambda m, w: f"{w}: nothing in this subprocess ends (every path loops): give it an end event"),
    (r"^Data Store with name (.*) has no implementation",
     lambda m, w: f"data store '{quote(m.group(1))}' holds data, which the platform does not keep: delete it or "
                  "use it only as documentation"),
    (r"^There is no support implemented for this task type",
     lambda m, w: f"{w}: this kind of element is not run by the engine"),
    (r"^Expected an? (Message|Signal|Error|Escalation) node",
     lambda m, w: f"{w}: it names a {m.group(1).lower()} this file does not define"),
    (r"^Unsupported Catch Event",
     lambda m, w: f"{w}: a boundary event needs a timer, error, escalation, message, signal or conditional "
                  "definition"),
    (r"^Cancel Events may only be used with transactions",
     lambda m, w: f"{w}: cancel events belong to transactions"),
    (r"^Duplicate process ID: (.*)",
     lambda m, w: f"two processes or subprocesses have the id '{quote(m.group(1))}': give each its own id"),
    (r"^Process (.*) is not executable",
     lambda m, w: f"process '{quote(m.group(1))}' is called but marked isExecutable=\"false\": mark it "
                  "isExecutable=\"true\""),
    (r"^The process '(.*)' was not found",
     lambda m, w: f"process '{quote(m.group(1))}' is called but no uploaded file or deployed flow defines it"),
    (r"^Invalid Script Task",
     lambda m, w: f"{w} has no script: write Python in it, or make it a plain task"),
    (r"^No decisions found",
     lambda m, w: "the .dmn file has no decision: add a decision table"),
    (r"^Multiple decision tables are not current supported",
     lambda m, w: "the .dmn file has several decisions: the engine reads one decision table per .dmn file; put "
                  "each decision in its own file"),
    (r"^Malformed Output Expression '(.*)'",
     lambda m, w: f"output entry '{quote(m.group(1))}' is not a Python expression"),
    (r"^(A loopMaximum|A multiinstance task|The loop (input|output) data|Ad hoc subprocesses|Conditional event"
     r"|A Service Task must have|Correlation|Message identifier|Signal identifier|Error identifier"
     r"|Escalation identifier|Data Store)", _keep),
]
_UNSAFE = re.compile(r"<[^>]*\bat 0x|Error\(|Exception\(|Traceback|\(b'")


GENERIC = "cannot be read by the engine as drawn"


def spiff_message(error: Exception, what: str) -> str:
    """What to tell the designer about ``error``, raised while parsing ``what`` (an element's label)."""
    text = str(error.args[0]) if error.args else ""
    if isinstance(error, RecursionError) or "RecursionError" in text or "maximum recursion" in text:
        return "the flow is chained or nested too deeply for the parser: split it with call activities"
    if isinstance(error, ValidationException):
        for pattern, reword in KNOWN:
            match = re.search(pattern, text)
            if match is not None:
                return reword(match, what)
        if text and not _UNSAFE.search(text) and len(text) < 300:
            return f"{what}: {text.strip()}"
    log.info("unexpected parser failure on %s", what, exc_info=error)
    return (f"{what} {GENERIC}: compare it with the BPMN conventions in the README, or draw it with plainer "
            "elements")


def element_by_id(documents: Mapping[str, etree._Element], element_id: str,
                  prefer: str) -> tuple[str, etree._Element] | None:
    names = [prefer, *documents] if prefer in documents else list(documents)
    for name in names:
        found = documents[name].xpath("//*[@id=$id]", id=element_id)
        if isinstance(found, list) and found and isinstance(found[0], etree._Element):
            return name, found[0]
    return None


def report_spiff_error(error: Exception, file: str, documents: Mapping[str, etree._Element], prepared: Prepared,
                       report: Report) -> None:
    """One problem for ``error``, on the diagram element it concerns (the one a rewrite stood in for) — unless
    a check already reported a problem on that element or line: the parser stops at the first thing it cannot
    read, which a check has then already explained."""
    element_id = prepared.element_of(str(error.id)) if isinstance(error, ValidationException) and error.id else None
    if isinstance(error, ValidationException) and error.file_name:
        file = error.file_name
    found = element_by_id(documents, element_id, file) if element_id else None
    line, what = 0, "the flow"
    if found is not None:
        file, element = found
        line, what = element.sourceline or 0, label(element)
    elif element_id:
        what = f"element '{quote(element_id)}'"
    if report.has_element(file, element_id) or report.has_line(file, line):
        return
    message = spiff_message(error, what)
    if GENERIC in message and any(p.file == file for p in report.problems):
        return  # an unforeseen parser failure in a file with problems: those problems are what to fix first
    report.add(file, line, message, element=element_id)
