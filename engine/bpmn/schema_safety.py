"""Form schemas and instruction texts that would fail or stall at run time: remote or dangling references,
references that lead back to themselves (``{"$ref": "#/$defs/a"}`` inside ``a``: checking an answer would never
end), regular expressions that backtrack exponentially (a quantifier inside a quantifier, like ``^(a+)+$``), and
instruction templates that do more than show a value (a loop in a template has no time limit) or use a filter
outside SHOWING_FILTERS."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

__all__ = ["MAX_PATTERN_CHARS", "SHOWING_FILTERS", "instructions_problem", "schema_hazards"]

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


# Keywords whose subschemas apply to the very value their schema applies to: following only these (and $ref),
# a validator reads nothing further into the answer, so a way back to where it started never ends.
_SAME_VALUE_LISTS = ("allOf", "anyOf", "oneOf")
_SAME_VALUE_SCHEMAS = ("not", "if", "then", "else")


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _same_value_edges(node: dict[str, Any], pointer: str) -> Iterator[tuple[str, Path | None]]:
    """(pointer of a subschema applied to the same value, path of the $ref leading there or None)."""
    for key in ("$ref", "$dynamicRef"):
        target = node.get(key)
        if isinstance(target, str) and (target == "#" or target.startswith("#/")):
            yield target[1:], [key]
    for key in _SAME_VALUE_LISTS:
        if isinstance(node.get(key), list):
            yield from ((f"{pointer}/{key}/{i}", None) for i in range(len(node[key])))
    for key in _SAME_VALUE_SCHEMAS:
        if isinstance(node.get(key), dict):
            yield f"{pointer}/{key}", None
    if isinstance(node.get("dependentSchemas"), dict):
        yield from ((f"{pointer}/dependentSchemas/{_escape(k)}", None) for k in node["dependentSchemas"])


def _reference_cycles(schema: Any) -> list[tuple[Path, str]]:
    """The $refs that close a loop of subschemas applied to one and the same value."""
    nodes: dict[str, tuple[dict[str, Any], Path]] = {}
    stack: list[tuple[Any, Path]] = [(schema, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            nodes["".join(f"/{_escape(p)}" for p in path)] = (node, path)
            stack.extend((value, [*path, key]) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, [*path, index]) for index, value in enumerate(node))
    problems: list[tuple[Path, str]] = []
    state: dict[str, int] = {}  # 1: on the current walk, 2: done
    for start in nodes:
        if start in state:
            continue
        # (pointer, its edges, the $ref that led to it: (pointer of the referring schema, path of the $ref))
        walk: list[tuple[str, Iterator[tuple[str, Path | None]], tuple[str, Path] | None]] = [
            (start, _same_value_edges(nodes[start][0], start), None)]
        state[start] = 1
        while walk:
            pointer, edges, _entered = walk[-1]
            step = next(edges, None)
            if step is None:
                state[pointer] = 2
                walk.pop()
                continue
            target, ref = step
            if target not in nodes:
                continue  # a dangling reference: reported by schema_hazards
            if state.get(target) == 1:  # back on the walk: the loop holds at least one $ref; name one
                loop = [entered for p, _e, entered in walk[[p for p, _e, _x in walk].index(target) + 1:]]
                owner, where = (pointer, ref) if ref is not None else next(e for e in loop if e is not None)
                keyword = str(where[0])
                message = (f"{keyword} {nodes[owner][0][keyword]!r} leads back to itself without reading any further "
                           "into the answer: checking a form would never end")
                problems.append(([*nodes[owner][1], keyword], message))
            elif target not in state:
                state[target] = 1
                walk.append((target, _same_value_edges(nodes[target][0], target),
                             (pointer, ref) if ref is not None else None))
    return problems


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _unkeepable_values(schema: Any) -> list[tuple[Path, str]]:
    """NaN, infinities (``1e999`` too) and lone surrogates: JSON cannot carry them to a browser, and no page can
    show them."""
    problems: list[tuple[Path, str]] = []
    stack: list[tuple[Any, Path]] = [(schema, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            problems.append((path, f"{node} is not a number JSON can carry; write a finite number"))
        elif isinstance(node, str) and _LONE_SURROGATE.search(node):
            problems.append((path, "a text holds a lone UTF-16 surrogate (\\ud800–\\udfff), which no page can show"))
        elif isinstance(node, dict):
            for key, value in node.items():
                if _LONE_SURROGATE.search(key):
                    problems.append(([*path, key], "a key holds a lone UTF-16 surrogate, which no page can show"))
                stack.append((value, [*path, key]))
        elif isinstance(node, list):
            stack.extend((value, [*path, index]) for index, value in enumerate(node))
    return problems


def schema_hazards(schema: Any) -> list[tuple[Path, str]]:
    """(path in the schema, message) for every value, reference and pattern that would misbehave at run time."""
    problems: list[tuple[Path, str]] = _unkeepable_values(schema) + _reference_cycles(schema)
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


#: The filters an instruction may apply to a value: they show it, and ui/web/display.py renders a value they
#: cannot take (``| length`` of a number) as nothing rather than failing the page. ``safe`` changes nothing
#: there: every printed value is escaped.
SHOWING_FILTERS = frozenset({"upper", "lower", "title", "capitalize", "trim", "string", "escape", "e", "safe",
                             "striptags", "wordcount", "length", "count", "first", "last", "join", "abs", "round",
                             "int", "float"})
# {{ name }}, {{ a.b }}, {{ name | upper }}; {% if name %} / {% elif name %} / {% else %} / {% endif %}; and
# {% autoescape ... %} blocks, which change nothing (ui/web/display.py escapes every value it prints).
_SHOWN = re.compile(r"\{\{\s*[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9][A-Za-z0-9_]*)*(?:\s*\|\s*[a-z]+)*\s*\}\}")
_FILTER = re.compile(r"\|\s*([a-z]+)")
_CONDITION = re.compile(r"\{%-?\s*(?:(?:if|elif)\s+(?:not\s+)?[A-Za-z][A-Za-z0-9_.]*|else|endif|"
                        r"autoescape\s+(?:true|false)|endautoescape)\s*-?%\}")
_TAG = re.compile(r"\{[{%#]")


def instructions_problem(text: str) -> str | None:
    """Why an ``instructionsForEndUser`` template is refused, or None: it may show values and test them, nothing
    else (no loops, calls or arithmetic, which could run for ever on the server)."""
    unknown = sorted({name for shown in _SHOWN.findall(text) for name in _FILTER.findall(shown)} - SHOWING_FILTERS)
    if unknown:
        return (f"instructions may use the filters {', '.join(sorted(SHOWING_FILTERS))}; not "
                f"{', '.join(unknown)}")
    rest = _CONDITION.sub("", _SHOWN.sub("", text))
    found = _TAG.search(rest)
    if found is None:
        return None
    snippet = rest[found.start(): found.start() + 40]
    return (f"instructions may show values ({{{{ name }}}}) and test them ({{% if name %}}), nothing more: "
            f"{snippet!r}")
