"""Migration hints: other engines' settings and expression languages, each reported with what to write here."""

from __future__ import annotations

import re

from lxml import etree

from engine.bpmn.compatibility import (
    GENERIC,
    IGNORED,
    OWNER_HINTS,
    PLACEHOLDERS,
    VALUE_ATTRIBUTES,
    VENDOR_HINTS,
    VENDORS,
)
from engine.bpmn.problems import Report, executable_processes, label, local_name, quote
from engine.bpmn.sandbox_ast import check_source

FUNCTION_NAMES = ("working_days", "is_working_day", "now", "new_reference")
_JUEL = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)
_STRING = r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
_JUEL_WORDS = [(r"&&", " and "), (r"\|\|", " or "), (r"!(?!=)", " not "), (r"\beq\b", "=="), (r"\bne\b", "!="),
               (r"\blt\b", "<"), (r"\bgt\b", ">"), (r"\ble\b", "<="), (r"\bge\b", ">="), (r"\bnull\b", "None"),
               (r"\btrue\b", "True"), (r"\bfalse\b", "False"), (r"\bempty\s+", "not ")]
_FEEL_WORDS = [(r"(?<![<>!=])=(?!=)", "=="), (r"\bnull\b", "None"), (r"\btrue\b", "True"),
               (r"\bfalse\b", "False"), (r"\bnot\s*\(", "not (")]
_ISO_TEXT = re.compile(r"""["']((?:R\d*/)?P[0-9YMWDTHS.]+|\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)["']""")


def check_vendor_extensions(name: str, root: etree._Element, report: Report) -> None:
    """Every Camunda, Zeebe, Activiti or Flowable attribute and extension element: one problem each (inside
    the processes that run; a pool kept for documentation is left alone)."""
    checked = {p.get("id") for p in executable_processes(root)}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        process = element if local_name(element) == "process" else next(
            (a for a in element.iterancestors() if local_name(a) == "process"), None)
        if process is None or process.get("id") in checked:
            _check_element(name, element, report)


def _check_element(name: str, element: etree._Element, report: Report) -> None:
    namespace = etree.QName(element).namespace
    if namespace in VENDORS:
        holder = element.getparent()
        owner = holder.getparent() if holder is not None and local_name(holder) == "extensionElements" else None
        if owner is not None:  # nested vendor elements (a listener's script, a form's fields) go with their outer one
            _hint(name, owner, element, VENDORS[namespace], local_name(element), None, report)
        return
    owner = element
    if local_name(element).endswith(("EventDefinition", "LoopCharacteristics")) and element.getparent() is not None:
        owner = element.getparent()  # name the event or task, not its definition
    for attribute, value in element.attrib.items():
        vendor = VENDORS.get(etree.QName(attribute).namespace or "")
        if vendor is not None:
            _hint(name, owner, element, vendor, etree.QName(attribute).localname, value, report)


def _hint(name: str, owner: etree._Element, at: etree._Element, vendor: str, setting: str, value: str | None,
          report: Report) -> None:
    advice = OWNER_HINTS.get((local_name(owner), setting)) or VENDOR_HINTS.get(setting, GENERIC)
    if advice == IGNORED:
        return
    what = f"{vendor}:{setting}"
    namespace = etree.QName(attribute_tag(at, setting)).namespace
    if setting == "type" and value == "external" and owner.get(f"{{{namespace}}}topic"):
        return  # reported once, with the topic
    shown = f'{what}="{quote(value)}"' if value is not None else f"<{what}>"
    quoted = (value if setting in VALUE_ATTRIBUTES else None) if value is not None else _value_of(at, setting)
    where = label(owner) if owner.get("id") is not None or owner.get("name") else local_name(owner)
    filled = advice.format(what=what, value=quote(quoted or PLACEHOLDERS.get(advice, "ID")))
    report.add(name, at.sourceline, f"{where}: {shown}: {filled}", element=owner)


def attribute_tag(element: etree._Element, setting: str) -> str:
    """The full name of the vendor attribute ``setting`` on ``element``."""
    return next((str(a) for a in element.attrib if etree.QName(a).localname == setting), setting)


def _value_of(element: etree._Element, setting: str) -> str | None:
    for attribute in VALUE_ATTRIBUTES.get(setting, ()):
        if element.get(attribute):
            return element.get(attribute)
    return None


# --- expression languages -------------------------------------------------------------------------

_GET_VARIABLE = re.compile(r"""\bexecution\.getVariable\(\s*["'](\w+)["']\s*\)""")


def _outside_strings(text: str, replacements: list[tuple[str, str]]) -> str:
    parts = re.split(_STRING, _GET_VARIABLE.sub(r"\1", text))
    for index in range(0, len(parts), 2):  # even parts are outside string literals
        for pattern, replacement in replacements:
            parts[index] = re.sub(pattern, replacement, parts[index])
    return "".join(parts)


def _python_if_valid(candidate: str) -> str | None:
    candidate = re.sub(r"\s+", " ", candidate).strip()
    if not candidate:
        return None
    try:
        problems = check_source(candidate, "eval", reserved=FUNCTION_NAMES)
    except Exception:  # noqa: BLE001 — a suggestion is optional
        return None
    return None if problems else candidate


CAMUNDA_BUILTINS = re.compile(r"\b(nrOf\w+|loopCounter|execution|task|authenticatedUserId|dateTime|now)\b")


def juel_to_python(inner: str) -> str | None:
    """``approved && amount gt 1000`` → ``approved and amount > 1000``, or None when unsure (Camunda's own
    variables and functions have no equivalent to suggest)."""
    candidate = _outside_strings(inner, _JUEL_WORDS)
    if CAMUNDA_BUILTINS.search(re.sub(_STRING, "", candidate)) or "None" in candidate:
        return None
    return _python_if_valid(candidate)


def feel_to_python(inner: str) -> str | None:
    """``approved = true`` → ``approved == True``, or None when unsure."""
    candidate = _outside_strings(inner, _FEEL_WORDS)
    return None if "None" in candidate else _python_if_valid(candidate)


def foreign_expression(source: str, kind: str) -> str | None:
    """Advice when ``source`` is a Camunda 7 (JUEL ``${…}``/``#{…}``) or Camunda 8 (FEEL ``=…``) expression;
    ``kind`` is ``condition``, ``timer`` or ``expression``. None when it looks like Python."""
    text = source.strip()
    juel = _JUEL.match(text)
    if juel is not None:
        language, inner = "a Camunda (JUEL) expression", juel.group(1)
        suggestion = juel_to_python(inner)
    elif "${" in text or "#{" in text:
        language, inner, suggestion = "a Camunda (JUEL) template", text, None
    elif text.startswith("=") and not text.startswith("=="):
        language, inner = "a Camunda 8 (FEEL) expression", text[1:]
        suggestion = feel_to_python(inner)
    else:
        return None
    shown = quote(text)
    if kind == "timer":
        literal = _ISO_TEXT.search(inner)
        if literal is not None:
            suggestion = repr(literal.group(1))
        advice = ("timers are Python expressions here that give ISO 8601 text, such as 'P3D', "
                  "'2026-10-01T09:00:00+08:00' or working_days(3)")
    elif kind == "condition":
        advice = "conditions are Python here, evaluated on the case's data"
    else:
        advice = "expressions are Python here, evaluated on the case's data"
    ending = f": write {suggestion}" if suggestion else ": rewrite it in Python"
    return f"{shown} is {language}; {advice}{ending}"


def feel_entry(entry: str) -> str | None:
    """Advice for a DMN input entry written in FEEL, which Python would read differently or not at all."""
    text = entry.strip()
    interval = re.fullmatch(r"([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\]\)])", text)
    if interval is not None:
        low = "<=" if interval.group(1) == "[" else "<"
        high = "<=" if interval.group(4) == "]" else "<"
        return (f"{quote(text)} is a FEEL range; entries are Python here (? is the input's value): write "
                f"{interval.group(2)} {low} ? {high} {interval.group(3)}")
    negated = re.fullmatch(r"not\s*\((.*)\)", text, re.DOTALL)
    if negated is not None:
        return (f"{quote(text)} is a FEEL negation; entries are Python here (? is the input's value): write "
                f"? not in ({negated.group(1).strip()},)")
    if _top_level_comma(text):
        return (f"{quote(text)} is a FEEL list; entries are Python here (? is the input's value): write "
                f"? in ({text})")
    return None


def _top_level_comma(text: str) -> bool:
    depth = 0
    for part_index, part in enumerate(re.split(_STRING, text)):
        if part_index % 2:
            continue
        for char in part:
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
            elif char == "," and depth == 0:
                return True
    return False
