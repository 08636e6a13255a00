"""Form schemas and instruction texts that would fail or stall at run time: remote or dangling references,
regular expressions that backtrack exponentially (a quantifier inside a quantifier, like ``^(a+)+$``), and
instruction templates that do more than show a value (a loop in a template has no time limit)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

__all__ = ["MAX_PATTERN_CHARS", "instructions_problem", "schema_hazards"]

MAX_PATTERN_CHARS = 1000
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
Path = list[str | int]


def _nested_repeat(items: Any, inside: bool) -> bool:
    for op, value in items:
        if op in _REPEATS:
            _low, high, item = value
            repeats = high > 1
            if repeats and inside:
                return True
            if _nested_repeat(item, inside or repeats):
                return True
        elif op is sre.SUBPATTERN and _nested_repeat(value[-1], inside):
            return True
        elif op is sre.BRANCH and any(_nested_repeat(branch, inside) for branch in value[1]):
            return True
        elif op in (sre.ASSERT, sre.ASSERT_NOT) and _nested_repeat(value[1], inside):
            return True
    return False


def pattern_problem(pattern: str) -> str | None:
    """Why a form's ``pattern`` is refused, or None."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"the pattern is longer than {MAX_PATTERN_CHARS} characters"
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError) as error:
        return f"the pattern is not a regular expression: {error}"
    if _nested_repeat(tree, False):
        return (f"the pattern {pattern!r} repeats a repetition (like (a+)+): checking some answers would take "
                "ages; write it without the nested repeat")
    return None


def _pointer(schema: Any, reference: str) -> bool:
    """Whether a local reference like ``#/$defs/a`` names a part of ``schema``."""
    node = schema
    for raw in reference[1:].split("/")[1:] if reference != "#" else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _walk(node: Any, path: Path) -> Iterator[tuple[Path, str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, [*path, key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, [*path, index])


def schema_hazards(schema: Any) -> list[tuple[Path, str]]:
    """(path in the schema, message) for every reference and pattern that would misbehave at run time."""
    problems: list[tuple[Path, str]] = []
    for path, key, value in _walk(schema, []):
        if key in ("$ref", "$dynamicRef") and isinstance(value, str):
            if not value.startswith("#") or (value != "#" and not value.startswith("#/")):
                problems.append(([*path, key], f"{key} {value!r}: only references inside the form (#/...) work"))
            elif not _pointer(schema, value):
                problems.append(([*path, key], f"{key} {value!r} points at nothing in the form"))
        elif key == "pattern" and isinstance(value, str):
            if (problem := pattern_problem(value)) is not None:
                problems.append(([*path, key], problem))
        elif key == "patternProperties" and isinstance(value, dict):
            problems += [([*path, key, name], problem) for name in value
                         if isinstance(name, str) and (problem := pattern_problem(name)) is not None]
    return problems


# {{ name }}, {{ a.b }}, {{ name | upper }}; {% if name %} / {% elif name %} / {% else %} / {% endif %}; and
# {% autoescape ... %} blocks, which change nothing (ui/web/display.py escapes every value it prints).
_SHOWN = re.compile(r"\{\{\s*[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9][A-Za-z0-9_]*)*(?:\s*\|\s*[a-z]+)*\s*\}\}")
_CONDITION = re.compile(r"\{%-?\s*(?:(?:if|elif)\s+(?:not\s+)?[A-Za-z][A-Za-z0-9_.]*|else|endif|"
                        r"autoescape\s+(?:true|false)|endautoescape)\s*-?%\}")
_TAG = re.compile(r"\{[{%#]")


def instructions_problem(text: str) -> str | None:
    """Why an ``instructionsForEndUser`` template is refused, or None: it may show values and test them, nothing
    else (no loops, calls or arithmetic, which could run for ever on the server)."""
    rest = _CONDITION.sub("", _SHOWN.sub("", text))
    found = _TAG.search(rest)
    if found is None:
        return None
    snippet = rest[found.start(): found.start() + 40]
    return (f"instructions may show values ({{{{ name }}}}) and test them ({{% if name %}}), nothing more: "
            f"{snippet!r}")
