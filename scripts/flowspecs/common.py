"""Pieces every city's flow descriptions share: forms written beside the diagram, and common form fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowgen import Diagram

SCHEMA = "https://json-schema.org/draft/2020-12/schema"
PHONE = {"type": "string", "title": "联系电话（手机）", "pattern": "^1[3-9]\\d{9}$"}
ID_NUMBER = {"type": "string", "title": "身份证号码",
             "pattern": "^[1-9]\\d{5}(18|19|20)\\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\\d|3[01])\\d{3}[0-9Xx]$"}
DATE = {"type": "string", "format": "date"}
SUPERVISE = {
    "title": "超期督办", "required": ["supervise_measure", "supervise_note"],
    "properties": {
        "supervise_measure": {"type": "string", "title": "督办方式", "enum": ["电话督促", "书面督办", "约谈提醒"]},
        "supervise_note": {"type": "string", "title": "督办意见", "minLength": 1, "maxLength": 500},
    },
}


def text(title: str, max_length: int = 200, min_length: int = 1, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, "minLength": min_length, "maxLength": max_length, **extra}


def choice(title: str, *values: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "enum": list(values)}


def when(field: str, value: str, *required: str) -> dict[str, Any]:
    """JSON Schema: when ``field`` is ``value``, ``required`` fields must be given."""
    return {"if": {"properties": {field: {"const": value}}, "required": [field]}, "then": {"required": list(required)}}


def form(title: str, properties: dict[str, Any], required: list[str] | None = None, *, description: str = "",
         rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"$schema": SCHEMA, "title": title}
    if description:
        schema["description"] = description
    schema["type"] = "object"
    if required:
        schema["required"] = required
    schema["properties"] = properties
    if rules:
        schema["allOf"] = rules
    schema["additionalProperties"] = False
    return schema


def write_forms(folder: Path, forms: dict[str, Any]) -> None:
    for name, content in forms.items():
        (folder / name).write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def dmn_table(decision: str, name: str, description: str, inputs: list[tuple[str, str, str]],
              outputs: list[tuple[str, str, str]], rules: list[tuple[list[str], list[str], str]],
              hit: str = "UNIQUE") -> str:
    """A DMN 1.3 decision table: ``inputs`` (label, expression, type), ``outputs`` (label, name, type), ``rules``
    (input entries, output entries, description)."""
    from xml.sax.saxutils import escape, quoteattr

    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" '
           'xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" '
           f'id="Definitions_{decision}" name={quoteattr(name)} namespace="http://onestop.example/dmn">',
           f'  <decision id="{decision}" name={quoteattr(name)}>',
           f"    <description>{escape(description)}</description>",
           f'    <decisionTable id="DecisionTable_{decision}" hitPolicy="{hit}">']
    for index, (label, expression, kind) in enumerate(inputs):
        out += [f'      <input id="Input_{index}" label={quoteattr(label)}>',
                f'        <inputExpression id="InputExpression_{index}" typeRef="{kind}">',
                f"          <text>{escape(expression)}</text>", "        </inputExpression>", "      </input>"]
    for index, (label, output, kind) in enumerate(outputs):
        out.append(f'      <output id="Output_{index}" label={quoteattr(label)} name="{output}" typeRef="{kind}" />')
    for number, (entries, results, note) in enumerate(rules):
        out += [f'      <rule id="Rule_{number}">', f"        <description>{escape(note)}</description>"]
        for index, entry in enumerate(entries):
            out += [f'        <inputEntry id="Input_{number}_{index}">', f"          <text>{escape(entry)}</text>",
                    "        </inputEntry>"]
        for index, result in enumerate(results):
            out += [f'        <outputEntry id="Output_{number}_{index}">', f"          <text>{escape(result)}</text>",
                    "        </outputEntry>"]
        out.append("      </rule>")
    out += ["    </decisionTable>", "  </decision>", "  <dmndi:DMNDI>",
            f'    <dmndi:DMNDiagram id="DMNDiagram_{decision}">',
            f'      <dmndi:DMNShape id="DMNShape_{decision}" dmnElementRef="{decision}">',
            '        <dc:Bounds height="80" width="180" x="160" y="100" />', "      </dmndi:DMNShape>",
            "    </dmndi:DMNDiagram>", "  </dmndi:DMNDI>", "</definitions>"]
    return "\n".join(out) + "\n"


# --- long-running services handed over by the one-stop intake (issue 14) ----------------------------------------
# The intake sends onestop_<code>_apply, which starts the service's own case at its message start event; the service
# answers onestop_<code>_decision once it has decided, correlated by the intake's reference (intake_reference), and
# goes on as its own case while the intake gives its one answer.


def one_stop_messages(d: Diagram, *codes: str) -> None:
    """The apply and decision messages of ``codes`` and the correlation property that ties them to one intake."""
    for code in codes:
        d.message(f"Message_{code}_apply", f"onestop_{code}_apply")
        d.message(f"Message_{code}_decision", f"onestop_{code}_decision")
    d.correlation("intake_reference", "一站式受理编号",
                  [f"Message_{code}_{kind}" for code in codes for kind in ("apply", "decision")], "intake_reference")


def report_decision(d: Diagram, code: str, id: str, name: str, lane: str, col: float, row: float = 0, *,
                    outcome: str, detail: str, article: str, doc: str, label: str = "below") -> None:
    """A decision reported to the one-stop intake that sent the case. A case applied for on its own has an empty
    intake_reference: its message is addressed to no case and is not sent."""
    d.throw_message(id, name, lane, col, row, message=f"Message_{code}_decision", article=article, label=label,
                    payload=f'{{"intake_reference": intake_reference, "outcome": {outcome}, "detail": {detail}}}',
                    doc=doc)
