"""Expressions in diagrams and decision tables: Python for the restricted engine, timers as ISO 8601 text."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.bpmn.element_rules import PYTHON_LANGUAGES
from engine.bpmn.problems import NS, Report, in_processes, label, quote
from engine.bpmn.sandbox_ast import check_source
from engine.bpmn.timer_bounds import timer_range_problem
from engine.bpmn.timers import parse_cycle
from engine.bpmn.vendor_hints import feel_entry, foreign_expression

FUNCTION_NAMES = ("working_days", "is_working_day", "now", "new_reference")
MAX_DMN_ENTRY = 2000  # characters; Spiff's "?" substitution is quadratic in the entry's length
RUNNABLE_HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")
_DMN_INPUT = "dmninputexpr"  # what Spiff's DMN engine substitutes for "?" in an input entry
_QUESTION_MARK = re.compile(r"""(\?)(?=(?:[^'"]|['"][^'"]*['"])*$)""")  # DMNEngine.evaluate's own pattern
_ISO_LOOKING = re.compile(r"^(R\d*/|P(\d|T\d)|\d{4}-\d{2}-\d{2})", re.IGNORECASE)


def check_expression(name: str, element: etree._Element, source: str, mode: Literal["eval", "exec"],
                     what: str, report: Report, *, kind: str = "expression",
                     reserved: Iterable[str] = FUNCTION_NAMES) -> None:
    """One problem per finding of the restricted engine's checker, on the line it concerns; an expression in
    another engine's language (JUEL, FEEL) gets one problem saying what to write instead."""
    base = element.sourceline or 0
    foreign = foreign_expression(source, kind)
    if foreign is not None:
        report.add(name, base, f"{what}: {foreign}", element=element)
        return
    try:
        found = check_source(source, mode, reserved=tuple(reserved))
    except Exception:  # noqa: BLE001 — the checker never raises on text; if it did, say so plainly
        report.add(name, base, f"{what}: the expression cannot be checked; simplify it", element=element)
        return
    for line, message in found:
        report.add(name, base + max(line, 1) - 1, f"{what}: {message}", element=element)


def _condition(flow: etree._Element) -> str | None:
    expression = flow.find("bpmn:conditionExpression", NS)
    text = expression.text if expression is not None else None
    return text if text and text.strip() else None


def check_bpmn_expressions(name: str, root: etree._Element, report: Report) -> None:
    """Conditions, scripts, timers and multi-instance expressions, against the restricted engine."""
    for flow in in_processes(root, "bpmn:sequenceFlow"):
        expression = flow.find("bpmn:conditionExpression", NS)
        if expression is not None and _condition(flow) is not None:
            check_expression(name, expression, expression.text or "", "eval",
                             f"condition of sequence flow '{quote(flow.get('id'))}'", report, kind="condition")
    for condition in in_processes(root, "bpmn:condition"):
        event = condition.getparent().getparent() if condition.getparent() is not None else None
        if (condition.text or "").strip() and event is not None:
            check_expression(name, condition, condition.text or "", "eval", f"condition of {label(event)}", report,
                             kind="condition")
    for task in in_processes(root, "bpmn:scriptTask"):
        script = task.find("bpmn:script", NS)
        if script is not None and (script.text or "").strip() and \
                (task.get("scriptFormat") or "python").strip().lower() in PYTHON_LANGUAGES:
            check_expression(name, script, script.text or "", "exec", f"script of {label(task)}", report)
    for tag in ("spiffworkflow:preScript", "spiffworkflow:postScript"):
        for script in in_processes(root, tag):
            owner = script.getparent().getparent() if script.getparent() is not None else None
            where = label(owner) if owner is not None else "an element"
            if (script.text or "").strip():
                check_expression(name, script, script.text or "", "exec", f"{tag[14:]} of {where}", report)
    for parameter in in_processes(root, "spiffworkflow:parameter"):
        task = next((a for a in parameter.iterancestors() if etree.QName(a).localname == "serviceTask"), None)
        value = parameter.get("value")
        if task is not None and value is not None:
            if not value.strip():
                report.add(name, parameter.sourceline, f"parameter '{quote(parameter.get('id'))}' of {label(task)} is "
                                                       "empty: write a Python expression (text in quotes)",
                           element=parameter)
            else:
                check_expression(name, parameter, value, "eval",
                                 f"parameter '{quote(parameter.get('id'))}' of {label(task)}", report)
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        for timer in in_processes(root, f"bpmn:{kind}"):
            check_timer(name, timer, kind, report)
    for tag, what in (("bpmn:loopCardinality", "loop cardinality"),
                      ("bpmn:completionCondition", "completion condition"),
                      ("bpmn:loopCondition", "loop condition")):
        for element in in_processes(root, tag):
            if not (element.text or "").strip():
                report.add(name, element.sourceline, f"{what} is empty", element=element)
            else:
                check_expression(name, element, element.text or "", "eval", what, report,
                                 kind="expression" if tag == "bpmn:loopCardinality" else "condition")


def _timer_owner(timer: etree._Element) -> str:
    """``timeDate of boundaryEvent 'deadline' (受理超期)``."""
    definition = timer.getparent()
    event = definition.getparent() if definition is not None else None
    kind = etree.QName(timer).localname
    return f"{kind} of {label(event)}" if event is not None else kind


def check_timer(name: str, timer: etree._Element, kind: str, report: Report) -> None:
    """A timer is an expression; a quoted literal must be the ISO 8601 text its kind expects."""
    source = (timer.text or "").strip()
    line = timer.sourceline or 0
    what = _timer_owner(timer)
    if not source:
        report.add(name, line, f"{what} is empty: write an expression such as working_days(3) or 'P3D'",
                   element=timer)
        return
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        if _ISO_LOOKING.match(source):
            report.add(name, line, f"{what}: {quote(source)} is read as Python: {_quoted_advice(kind, source)}",
                       element=timer)
        else:
            check_expression(name, timer, timer.text or "", "eval", what, report, kind="timer")
        return
    if not isinstance(value, str):
        report.add(name, line, f"{what}: {quote(source)} is not an ISO 8601 text", element=timer)
        return
    problem = _timer_literal_problem(kind, value) or timer_range_problem(kind, value)
    if problem:
        report.add(name, line, f"{what}: {problem}", element=timer)


def _quoted_advice(kind: str, source: str) -> str:
    """How to write an unquoted ISO 8601 timer: quoted, and a date-time with an offset."""
    if kind == "timeDate" and _timer_literal_problem(kind, source) is not None:
        try:
            moment = datetime.fromisoformat(source)
        except ValueError:
            return "quote the ISO 8601 text and write a date-time, e.g. '2026-10-01T09:00:00+08:00'"
        if moment.tzinfo is None:
            return f"quote the ISO 8601 text and give it an offset, e.g. '{source}+08:00'"
    return f"quote the ISO 8601 text, '{quote(source)}'"


def _timer_literal_problem(kind: str, value: str) -> str | None:
    text = value.strip()
    shown = repr(quote(value))
    if kind == "timeDate":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return f"{shown} is not an ISO 8601 date-time, e.g. 2026-10-01T09:00:00+08:00"
        if moment.tzinfo is None:
            return (f"{shown} has no UTC offset, so it would be read in the server's time zone; "
                    "write it with one, e.g. 2026-10-01T09:00:00+08:00")
        return None
    if kind == "timeDuration":
        try:
            if not text.upper().startswith("P") or not TimerEventDefinition.parse_iso_duration(text):
                raise ValueError(text)
        except Exception:  # noqa: BLE001 — Spiff raises a bare Exception for a bad duration
            return f"{shown} is not an ISO 8601 duration such as P3D or PT1H"
        return None
    if not re.match(r"^R\d*/", text, re.IGNORECASE):
        return f"{shown} is not an ISO 8601 repetition R[n]/start/duration or R[n]/duration"
    try:
        parse_cycle(text, datetime.now(UTC), UTC)
    except Exception:  # noqa: BLE001 — any unreadable part
        return f"{shown} is not an ISO 8601 repetition R[n]/start/duration or R[n]/duration"
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


def check_dmn_decisions(name: str, root: etree._Element, report: Report) -> None:
    """The DMN engine reads one decision per file, and only a decision table."""
    ns = etree.QName(root).namespace or ""
    decisions = list(root.iter(f"{{{ns}}}decision"))
    if not decisions:
        report.add(name, root.sourceline, "the file has no decision: add a decision with a decision table")
    elif len(decisions) > 1:
        report.add(name, decisions[1].sourceline, f"the file has {len(decisions)} decisions; the engine reads one "
                                                  "decision per .dmn file: put each decision in its own file")
    for decision in decisions:
        if decision.find(f"{{{ns}}}decisionTable") is None:
            report.add(name, decision.sourceline, f"decision '{quote(decision.get('id'))}' is not a decision table "
                                                  "(a literal expression is not run): write it as a decision "
                                                  "table")


def check_dmn_expressions(name: str, root: etree._Element, report: Report) -> None:
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
                report.add(name, where.sourceline, f"input '{quote(column.get('label') or column.get('id'))}' "
                                                   "has no input expression")
                inputs.append(None)
                continue
            inputs.append(text.text)
            check_expression(name, text, text.text or "", "eval", "input expression", report)
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
                    check_expression(name, text, text.text or "", "eval", f"output entry of rule "
                                     f"'{quote(rule.get('id'))}'", report)


def check_dmn_input_entry(name: str, text: etree._Element, input_expression: str | None, entry: str,
                          report: Report) -> None:
    what = f"input entry {quote(entry)!r}"
    if input_expression is None:
        return  # reported on the input column
    feel = feel_entry(entry)
    if feel is not None:
        report.add(name, text.sourceline, f"input entry: {feel}")
        return
    if len(entry) > MAX_DMN_ENTRY:
        report.add(name, text.sourceline, f"{what}: longer than {MAX_DMN_ENTRY} characters")
        return
    expression = dmn_entry_expression(input_expression, entry)
    base = text.sourceline or 0
    try:
        found = check_source(expression, "eval", reserved=FUNCTION_NAMES)
    except Exception:  # noqa: BLE001 — the checker never raises on text; if it did, say so plainly
        report.add(name, base, f"{what}: the entry cannot be checked; simplify it")
        return
    for _line, message in found:
        report.add(name, base, f"{what} (evaluated as {quote(expression, 200)!r}): {message}")


