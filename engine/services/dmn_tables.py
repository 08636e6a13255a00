"""Decision tables (DMN) for the designers: what changed between two versions of a flow's tables, rule by rule
and cell by cell, and which cell of a table a problem found by the checks is about (for the web DMN editor)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from engine.bpmn.parsing import parse_xml

TABLE_PARTS = ("rule", "inputEntry", "outputEntry", "input", "output", "inputExpression", "decisionTable",
               "decision")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    found = next((c for c in element if _local(c) == "text"), None)
    return " ".join(((found.text if found is not None else element.text) or "").split())


def read_table(content: bytes) -> dict[str, Any]:
    """A DMN file's first decision table as plain data: inputs, outputs and rules (by id), each cell's text."""
    root = parse_xml(content)
    table = next((e for e in root.iter() if _local(e) == "decisionTable"), None)
    decision = next((e for e in root.iter() if _local(e) == "decision"), None)
    if table is None:
        return {"decision": decision.get("id") if decision is not None else None, "name": "", "hit_policy": "",
                "inputs": [], "outputs": [], "rules": {}}
    inputs = [{"id": i.get("id"), "label": i.get("label") or "",
               "expression": _text(next((c for c in i if _local(c) == "inputExpression"), None))}
              for i in table if _local(i) == "input"]
    outputs = [{"id": o.get("id"), "label": o.get("label") or "", "name": o.get("name") or ""}
               for o in table if _local(o) == "output"]
    rules: dict[str, Any] = {}
    for position, rule in enumerate(r for r in table if _local(r) == "rule"):
        description = next((c for c in rule if _local(c) == "description"), None)
        rules[rule.get("id") or f"#{position + 1}"] = {
            "position": position + 1,
            "inputs": [_text(c) for c in rule if _local(c) == "inputEntry"],
            "outputs": [_text(c) for c in rule if _local(c) == "outputEntry"],
            "description": " ".join(((description.text if description is not None else "") or "").split())}
    return {"decision": decision.get("id") if decision is not None else None,
            "name": decision.get("name") if decision is not None else "", "hit_policy": table.get("hitPolicy") or
            "UNIQUE", "inputs": inputs, "outputs": outputs, "rules": rules}


def _columns(table: dict[str, Any]) -> list[str]:
    return [i["label"] or i["expression"] for i in table["inputs"]] + \
        [o["label"] or o["name"] for o in table["outputs"]]


def diff_tables(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> list[dict[str, Any]]:
    """Per .dmn file of either version: rules added, removed and changed (each changed cell before → after),
    and columns or the hit policy changed. Files without a change are left out."""
    changes = []
    for name in sorted({n for n in (*before, *after) if n.lower().endswith(".dmn")}):
        old = read_table(before[name]) if name in before else None
        new = read_table(after[name]) if name in after else None
        if old is None or new is None:
            table = new or old
            assert table is not None
            changes.append({"file": name, "status": "added" if old is None else "removed", "name": table["name"],
                            "columns": _columns(table), "added": [], "removed": [], "changed": [], "other": []})
            continue
        columns = _columns(new)
        added = [{"id": rid, **rule} for rid, rule in new["rules"].items() if rid not in old["rules"]]
        removed = [{"id": rid, **rule} for rid, rule in old["rules"].items() if rid not in new["rules"]]
        changed = []
        for rid in [r for r in new["rules"] if r in old["rules"]]:
            cells_before = old["rules"][rid]["inputs"] + old["rules"][rid]["outputs"]
            cells_after = new["rules"][rid]["inputs"] + new["rules"][rid]["outputs"]
            cells = [{"column": columns[i] if i < len(columns) else f"#{i + 1}",
                      "before": cells_before[i] if i < len(cells_before) else None,
                      "after": cells_after[i] if i < len(cells_after) else None}
                     for i in range(max(len(cells_before), len(cells_after)))
                     if (cells_before[i] if i < len(cells_before) else None) !=
                     (cells_after[i] if i < len(cells_after) else None)]
            if old["rules"][rid]["description"] != new["rules"][rid]["description"]:
                cells.append({"column": "description", "before": old["rules"][rid]["description"],
                              "after": new["rules"][rid]["description"]})
            if cells:
                changed.append({"id": rid, "position": new["rules"][rid]["position"], "cells": cells})
        other = []
        if old["hit_policy"] != new["hit_policy"]:
            other.append({"what": "hit_policy", "before": old["hit_policy"], "after": new["hit_policy"]})
        if _columns(old) != columns:
            other.append({"what": "columns", "before": "、".join(_columns(old)), "after": "、".join(columns)})
        if added or removed or changed or other:
            changes.append({"file": name, "status": "changed", "name": new["name"], "columns": columns,
                            "added": added, "removed": removed, "changed": changed, "other": other})
    return changes


def locate_problems(files: Mapping[str, bytes], problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each problem in a .dmn file with the table cell it is about: ``cell`` (the input or output entry's id)
    and ``rule`` (its rule's id), from the line the check reported."""
    located = []
    roots: dict[str, etree._Element | None] = {}
    for problem in problems:
        name, line = str(problem.get("file", "")), int(problem.get("line") or 0)
        if not name.lower().endswith(".dmn") or name not in files or line <= 0:
            located.append(problem)
            continue
        if name not in roots:
            try:
                roots[name] = parse_xml(files[name])
            except Exception:  # noqa: BLE001 — an unreadable file: its problem says so, without a cell
                roots[name] = None
        root = roots[name]
        found = next((e for e in root.iter() if isinstance(e.tag, str) and e.sourceline == line), None) \
            if root is not None else None
        extra: dict[str, Any] = {}
        for element in ([found, *found.iterancestors()] if found is not None else []):
            kind = _local(element)
            if kind in ("inputEntry", "outputEntry", "input", "output") and "cell" not in extra:
                extra["cell"] = element.get("id")
            if kind == "rule":
                extra["rule"] = element.get("id")
                break
        located.append({**problem, **extra})
    return located
