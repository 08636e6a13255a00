"""Writes a BPMN file, semantics and diagram interchange together, from a short Python description of a flow.

The shipped diagrams under processes/<city>/ were written with it (the descriptions are in scripts/flowspecs/,
one module per city): each element is placed on a grid — its lane, a column and a row inside the lane — and
the tool draws lanes as horizontal bands in the given order, sequence flows as orthogonal lines between the
grid cells, and every label where it covers nothing else (tests/test_diagram_layout.py checks that). The .bpmn
files are the source of truth for the engine; a designer may open and change them in the web modeler or
bpmn.io as any other diagram. Run: .venv/bin/python scripts/flowgen.py [city ...]
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"

LANE_HEADER = 30  # the lane's name is written vertically in this band
POOL_HEADER = 30
LEFT = 160  # x of the pool
TOP = 80
COL = 170  # column width
ROW = 130  # row height inside a lane
MARGIN_X = 70  # from the lane's inner left edge to the first column's centre line
MARGIN_Y = 65  # from a lane's top to its first row's centre line
TASK_W, TASK_H = 110, 80
EVENT = 36
GATEWAY = 50
CJK_WIDTH, ASCII_WIDTH, LINE_HEIGHT = 12.0, 7.0, 14.5  # bpmn-js labels: 12px sans-serif
LABEL_MAX = 90.0  # bpmn-js wraps external labels at 90px


def text_width(text: str) -> float:
    return sum(CJK_WIDTH if ord(c) > 0x2E7F else ASCII_WIDTH for c in text)


def label_size(text: str, max_width: float = LABEL_MAX) -> tuple[float, float]:
    """Width and height bpmn-js gives an external label of ``text`` (wrapped at ``max_width``)."""
    width = text_width(text)
    lines = max(1, math.ceil(width / max_width))
    return (min(width, max_width) + 4, lines * LINE_HEIGHT + 2)


@dataclass
class Node:
    id: str
    kind: str  # bpmn element local name
    name: str
    lane: str
    col: float
    row: float = 0
    doc: str = ""
    body: list[str] = field(default_factory=list)  # inner XML (extension elements, scripts, definitions)
    attrs: dict[str, str] = field(default_factory=dict)
    label: str = "auto"  # where an external label goes: below, above, right, left, or auto
    width: float = 0
    height: float = 0
    attached: str | None = None  # boundary events
    side: str = "bottom"  # where a boundary event sits on its task
    offset: float = 0.7  # where along that side (0..1)
    tail: list[str] = field(default_factory=list)  # inner XML after the flows (an event's message definition)

    @property
    def is_event(self) -> bool:
        return self.kind.endswith("Event")

    @property
    def is_gateway(self) -> bool:
        return self.kind.endswith("Gateway")


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str = ""
    condition: str = ""
    doc: str = ""
    waypoints: list[tuple[float, float]] | None = None
    label_at: tuple[float, float] | None = None  # top-left of the label, when the default would collide
    label_on: str = "first"  # the segment the label sits by: first (after the source) or last (before the target)
    exit: str = ""  # right, left, top, bottom: where the line leaves its source (default by geometry)
    enter: str = ""  # where it enters the target
    props: dict[str, str] = field(default_factory=dict)


class Diagram:
    def __init__(self, process_id: str, name: str, *, participant: str, doc: str,
                 lanes: list[tuple[str, str, int]], source: str = "", articles: str = "") -> None:
        """``lanes``: (key, lane name, rows) top to bottom; ``source`` the seed file every article cites."""
        self.id, self.name, self.participant, self.doc = process_id, name, participant, doc
        self.lanes = lanes
        self.source = source
        self.articles = articles
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self.files: dict[str, Any] = {}  # forms (JSON Schema as dicts) and DMN (text) written beside the diagram
        self.roots: list[str] = []  # root elements before the process: messages, errors, correlation properties

    # --- elements ------------------------------------------------------------------------------------------

    def _extensions(self, props: dict[str, str | None], extra: list[str] | None = None) -> list[str]:
        lines = []
        real = {k: v for k, v in props.items() if v}
        if real or extra:
            lines.append("<bpmn:extensionElements>")
            if real:
                lines.append("  <spiffworkflow:properties>")
                for key, value in real.items():
                    lines.append(f"    <spiffworkflow:property name={quoteattr(key)} value={quoteattr(str(value))} />")
                lines.append("  </spiffworkflow:properties>")
            lines.extend(f"  {line}" for line in (extra or []))
            lines.append("</bpmn:extensionElements>")
        return lines

    def _policy(self, article: str | None) -> dict[str, str | None]:
        if not article:
            return {}
        return {"policyArticle": article, "policySource": self.source}

    def add(self, node: Node, *, article: str | None = None, props: dict[str, str | None] | None = None,
            extra: list[str] | None = None, inner: list[str] | None = None) -> Node:
        if node.id in self.nodes:
            raise ValueError(f"{self.id}: element {node.id} twice")
        node.body = self._extensions({**(props or {}), **self._policy(article)}, extra) + (inner or [])
        if node.is_event:
            node.width = node.height = EVENT
        elif node.is_gateway:
            node.width = node.height = GATEWAY
        else:
            node.width, node.height = node.width or TASK_W, node.height or TASK_H
        self.nodes[node.id] = node
        return node

    def start(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, article: str = "",
              form: str = "", label: str = "below", **kw: str) -> Node:
        return self.add(Node(id, "startEvent", name, lane, col, row, doc, label=label),
                        article=article, props={"formJsonSchemaFilename": form, **kw})

    def end(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, article: str = "",
            label: str = "below", terminate: bool = False) -> Node:
        inner = [f'<bpmn:terminateEventDefinition id="{id}_terminate" />'] if terminate else []
        return self.add(Node(id, "endEvent", name, lane, col, row, doc, label=label), article=article, inner=inner)

    def user(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, form: str,
             ui: str = "", article: str = "", instructions: str = "", department_field: str = "",
             stops_clock: str = "", pre: str = "", post: str = "", width: float = 0) -> Node:
        extra = []
        if instructions:
            extra.append(f"<spiffworkflow:instructionsForEndUser>{escape(instructions)}"
                         "</spiffworkflow:instructionsForEndUser>")
        if pre:
            extra.append(f"<spiffworkflow:preScript>{escape(pre)}</spiffworkflow:preScript>")
        if post:
            extra.append(f"<spiffworkflow:postScript>{escape(post)}</spiffworkflow:postScript>")
        props = {"formJsonSchemaFilename": form, "formUiSchemaFilename": ui, "departmentField": department_field,
                 "stopsClock": stops_clock}
        return self.add(Node(id, "userTask", name, lane, col, row, doc, width=width), article=article, props=props,
                        extra=extra)

    def script(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, script: str,
               article: str = "", width: float = 0) -> Node:
        return self.add(Node(id, "scriptTask", name, lane, col, row, doc, width=width), article=article,
                        inner=[f"<bpmn:script>{escape(script.strip())}</bpmn:script>"])

    def rule(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, decision: str,
             article: str = "") -> Node:
        return self.add(Node(id, "businessRuleTask", name, lane, col, row, doc), article=article,
                        extra=[f"<spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>"])

    def call(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, called: str,
             article: str = "") -> Node:
        node = Node(id, "callActivity", name, lane, col, row, doc, attrs={"calledElement": called})
        return self.add(node, article=article)

    def gateway(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, kind: str = "exclusive",
                default: str = "", article: str = "", label: str = "above") -> Node:
        attrs = {"default": default} if default else {}
        return self.add(Node(id, f"{kind}Gateway", name, lane, col, row, doc, attrs=attrs, label=label),
                        article=article)

    def catch_timer(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, expr: str,
                    kind: str = "timeDate", article: str = "", label: str = "below") -> Node:
        inner = [f'<bpmn:timerEventDefinition id="{id}_definition">',
                 f'  <bpmn:{kind} xsi:type="bpmn:tFormalExpression">{escape(expr)}</bpmn:{kind}>',
                 "</bpmn:timerEventDefinition>"]
        return self.add(Node(id, "intermediateCatchEvent", name, lane, col, row, doc, label=label),
                        article=article, inner=inner)

    def boundary_timer(self, id: str, name: str, attached: str, *, doc: str, expr: str, kind: str = "timeDate",
                       interrupting: bool = False, article: str = "", offset: float = 0.75, side: str = "bottom",
                       label: str = "right") -> Node:
        owner = self.nodes[attached]
        inner = [f'<bpmn:timerEventDefinition id="{id}_definition">',
                 f'  <bpmn:{kind} xsi:type="bpmn:tFormalExpression">{escape(expr)}</bpmn:{kind}>',
                 "</bpmn:timerEventDefinition>"]
        attrs = {"attachedToRef": attached, "cancelActivity": "true" if interrupting else "false"}
        node = Node(id, "boundaryEvent", name, owner.lane, owner.col, owner.row, doc, attrs=attrs, label=label,
                    attached=attached, side=side, offset=offset)
        return self.add(node, article=article, inner=inner)

    # --- talking to other systems (issue 14): service tasks, messages between cases -----------------------------

    def service(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, topic: str,
                result: str, params: dict[str, str], article: str = "", width: float = 0, post: str = "") -> Node:
        """A service task: a job for external workers of ``topic``; ``params`` maps a parameter to its expression;
        the worker's answer goes into ``result`` (``post``: a postScript run once it is there)."""
        lines = [f'<spiffworkflow:serviceTaskOperator id="{topic}" resultVariable="{result}">',
                 "  <spiffworkflow:parameters>"]
        lines += [f'    <spiffworkflow:parameter id="{key}" type="str" value={quoteattr(expr)} />'
                  for key, expr in params.items()]
        lines += ["  </spiffworkflow:parameters>", "</spiffworkflow:serviceTaskOperator>"]
        if post:
            lines.append(f"<spiffworkflow:postScript>{escape(post)}</spiffworkflow:postScript>")
        return self.add(Node(id, "serviceTask", name, lane, col, row, doc, width=width), article=article, extra=lines)

    def message(self, message_id: str, name: str) -> None:
        self.roots.append(f'<bpmn:message id="{message_id}" name="{name}" />')

    def correlation(self, prop: str, name: str, messages: list[str], path: str) -> None:
        """A correlation property read from each of ``messages`` by the expression ``path``."""
        lines = [f'<bpmn:correlationProperty id="{prop}" name="{name}">']
        for message_id in messages:
            lines += [f'  <bpmn:correlationPropertyRetrievalExpression messageRef="{message_id}">',
                      f"    <bpmn:messagePath>{escape(path)}</bpmn:messagePath>",
                      "  </bpmn:correlationPropertyRetrievalExpression>"]
        self.roots.append("\n  ".join([*lines, "</bpmn:correlationProperty>"]))

    def _message_event(self, kind: str, id: str, name: str, lane: str, col: float, row: float, *, doc: str,
                       message: str, article: str, label: str, payload: str = "", variable: str = "") -> Node:
        inner = []
        if payload or variable:
            inner = ["  <bpmn:extensionElements>"]
            if payload:
                inner.append(f"    <spiffworkflow:messagePayload>{escape(payload)}</spiffworkflow:messagePayload>")
            if variable:
                inner.append(f"    <spiffworkflow:messageVariable>{variable}</spiffworkflow:messageVariable>")
            inner.append("  </bpmn:extensionElements>")
        node = self.add(Node(id, kind, name, lane, col, row, doc, label=label), article=article)
        node.tail = [f'<bpmn:messageEventDefinition id="{id}_definition" messageRef="{message}">', *inner,
                     "</bpmn:messageEventDefinition>"] if inner else \
            [f'<bpmn:messageEventDefinition id="{id}_definition" messageRef="{message}" />']
        return node

    def message_start(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, message: str,
                      article: str = "", label: str = "below") -> Node:
        return self._message_event("startEvent", id, name, lane, col, row, doc=doc, message=message, article=article,
                                   label=label)

    def throw_message(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, message: str,
                      payload: str, article: str = "", label: str = "below") -> Node:
        return self._message_event("intermediateThrowEvent", id, name, lane, col, row, doc=doc, message=message,
                                   article=article, label=label, payload=payload)

    def catch_message(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, message: str,
                      variable: str = "", article: str = "", label: str = "below") -> Node:
        return self._message_event("intermediateCatchEvent", id, name, lane, col, row, doc=doc, message=message,
                                   article=article, label=label, variable=variable)

    def shift(self, from_col: float, by: float) -> None:
        """Move every element at or right of ``from_col`` ``by`` columns (to make room for new steps)."""
        for node in self.nodes.values():
            if node.col >= from_col:
                node.col += by

    def flow(self, source: str, target: str, name: str = "", condition: str = "", *, id: str = "", doc: str = "",
             waypoints: list[tuple[float, float]] | None = None, label_at: tuple[float, float] | None = None,
             exit: str = "", enter: str = "", article: str = "", label_on: str = "first") -> Flow:
        flow = Flow(id or f"f_{source}_{target}", source, target, name, condition, doc, waypoints, label_at,
                    label_on, exit, enter, self._policy(article))  # type: ignore[arg-type]
        if any(f.id == flow.id for f in self.flows):
            raise ValueError(f"{self.id}: flow {flow.id} twice")
        self.flows.append(flow)
        return flow

    def instruct(self, texts: dict[str, str]) -> None:
        """Give elements the text their page shows (a task's instructions, an end event's result for the applicant):
        a template over the case data, e.g. {{ refusal_reason }}."""
        for element_id, text in texts.items():
            node = self.nodes[element_id]
            line = f"  <spiffworkflow:instructionsForEndUser>{escape(text)}</spiffworkflow:instructionsForEndUser>"
            if any("instructionsForEndUser" in b for b in node.body):
                raise ValueError(f"{self.id}: {element_id} has instructions already")
            if "</bpmn:extensionElements>" in node.body:
                node.body.insert(node.body.index("</bpmn:extensionElements>"), line)
            else:
                node.body[:0] = ["<bpmn:extensionElements>", line, "</bpmn:extensionElements>"]

    def notify(self, element_id: str, template: str, *, message: str = "", to: str = "", condition: str = "") -> None:
        """Have an element send a notification (engine/notify/diagram.py): ``template`` names its wording under
        processes/<city>/notifications/; ``message`` (a template over the case data) is what it says, else the
        element's instructions; ``to`` an expression naming recipients (default: the applicant); ``condition`` an
        expression that must hold for it to be sent."""
        node = self.nodes[element_id]
        props = {"notificationTemplate": template, "notificationMessage": message, "notificationRecipients": to,
                 "notificationCondition": condition}
        lines = [f"    <spiffworkflow:property name={quoteattr(k)} value={quoteattr(v)} />" for k, v in props.items() if v]
        if "  </spiffworkflow:properties>" in node.body:
            at = node.body.index("  </spiffworkflow:properties>")
            node.body[at:at] = lines
        elif "<bpmn:extensionElements>" in node.body:
            at = node.body.index("<bpmn:extensionElements>") + 1
            node.body[at:at] = ["  <spiffworkflow:properties>", *lines, "  </spiffworkflow:properties>"]
        else:
            node.body[:0] = ["<bpmn:extensionElements>", "  <spiffworkflow:properties>", *lines,
                             "  </spiffworkflow:properties>", "</bpmn:extensionElements>"]

    def throw(self, id: str, name: str, lane: str, col: float, row: float = 0, *, doc: str, article: str = "",
              label: str = "below") -> Node:
        """A none intermediate throw event: a point the token passes (e.g. where a notification is sent)."""
        return self.add(Node(id, "intermediateThrowEvent", name, lane, col, row, doc, label=label), article=article)

    # --- geometry ------------------------------------------------------------------------------------------

    def lane_top(self, key: str) -> float:
        y = TOP
        for lane_key, name, rows in self.lanes:
            if lane_key == key:
                return y
            y += self.lane_height(rows, name)
        raise KeyError(f"{self.id}: no lane {key}")

    @staticmethod
    def lane_height(rows: int, name: str = "") -> float:
        """Rows of elements, and at least the lane's name written vertically in its header."""
        return max(MARGIN_Y * 2 + ROW * (rows - 1) + 10, text_width(name) + 24)

    def width(self) -> float:
        last = max(n.col for n in self.nodes.values())
        return POOL_HEADER + LANE_HEADER + MARGIN_X + COL * last + 120

    def centre(self, node: Node) -> tuple[float, float]:
        if node.attached:
            owner = self.box(self.nodes[node.attached])
            if node.side == "bottom":
                return owner[0] + (owner[2] - owner[0]) * node.offset, owner[3]
            if node.side == "top":
                return owner[0] + (owner[2] - owner[0]) * node.offset, owner[1]
            return owner[2], owner[1] + (owner[3] - owner[1]) * node.offset
        x = LEFT + POOL_HEADER + LANE_HEADER + MARGIN_X + COL * node.col
        rows, name = next((r, n) for k, n, r in self.lanes if k == node.lane)
        spare = self.lane_height(rows, name) - self.lane_height(rows)  # a tall name: the rows sit in the middle
        y = self.lane_top(node.lane) + spare / 2 + MARGIN_Y + ROW * node.row
        return x, y

    def box(self, node: Node) -> tuple[float, float, float, float]:
        x, y = self.centre(node)
        return x - node.width / 2, y - node.height / 2, x + node.width / 2, y + node.height / 2

    def port(self, node: Node, side: str) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box(node)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return {"right": (x1, cy), "left": (x0, cy), "top": (cx, y0), "bottom": (cx, y1)}[side]

    def route(self, flow: Flow) -> list[tuple[float, float]]:
        if flow.waypoints:
            return [(float(x), float(y)) for x, y in flow.waypoints]
        source, target = self.nodes[flow.source], self.nodes[flow.target]
        sx, sy = self.centre(source)
        tx, ty = self.centre(target)
        if source.attached:  # a boundary event: down (or up) out of it, then across
            start = (sx, sy + EVENT / 2) if source.side == "bottom" else (sx, sy - EVENT / 2)
            if abs(start[0] - tx) < 1:
                return [start, self.port(target, "top" if ty > sy else "bottom")]
            end = self.port(target, flow.enter or ("left" if tx > sx else "right"))
            return [start, (start[0], end[1]), end]
        exit = flow.exit or ("right" if tx > sx + 1 else ("left" if tx < sx - 1 else ("bottom" if ty > sy
                                                                                      else "top")))
        if source.is_gateway and not flow.exit and abs(ty - sy) > 1 and tx > sx:
            exit = "bottom" if ty > sy else "top"
        start = self.port(source, exit)
        if tx <= sx - 1 and not flow.enter:  # backwards: below the row, then up (or down) into the target
            channel = max(self.box(source)[3], self.box(target)[3]) + 22
            if flow.exit in ("top",):
                channel = min(self.box(source)[1], self.box(target)[1]) - 22
            first = self.port(source, flow.exit or "bottom")
            end = self.port(target, "bottom" if channel > ty else "top")
            return [first, (first[0], channel), (end[0], channel), end]
        enter = flow.enter or ("left" if tx > sx + 1 else ("top" if ty > sy else "bottom"))
        end = self.port(target, enter)
        if exit == enter == "bottom":  # around underneath, e.g. a loop back to an earlier step
            channel = max(self.box(source)[3], self.box(target)[3]) + 22
            return [start, (start[0], channel), (end[0], channel), end]
        if exit == enter == "top":  # around above
            channel = min(self.box(source)[1], self.box(target)[1]) - 22
            return [start, (start[0], channel), (end[0], channel), end]
        if exit in ("top", "bottom") and enter in ("left", "right"):
            return [start, (start[0], end[1]), end] if abs(start[0] - end[0]) > 1 else [start, end]
        if exit in ("top", "bottom") and enter in ("top", "bottom") and abs(start[0] - end[0]) > 1:
            middle_y = (start[1] + end[1]) / 2
            return [start, (start[0], middle_y), (end[0], middle_y), end]
        if exit == "right" and enter in ("top", "bottom"):
            return [start, (end[0], start[1]), end]
        if abs(start[1] - end[1]) < 1 or abs(start[0] - end[0]) < 1:
            return [start, end]
        middle = end[0] - (COL - TASK_W) / 2 if enter == "left" else (start[0] + end[0]) / 2
        return [start, (middle, start[1]), (middle, end[1]), end]

    def label_box(self, node: Node) -> tuple[float, float, float, float] | None:
        if not (node.is_event or node.is_gateway) or not node.name:
            return None
        w, h = label_size(node.name)
        x0, y0, x1, y1 = self.box(node)
        cx = (x0 + x1) / 2
        where = node.label
        if where == "above":
            return cx - w / 2, y0 - h - 6, cx + w / 2, y0 - 6
        if where == "nw":  # above, to the left of a line leaving the top
            return cx - 6 - w, y0 - h - 2, cx - 6, y0 - 2
        if where == "sw":  # below, to the left of a line leaving the bottom
            return cx - 6 - w, y1 + 2, cx - 6, y1 + 2 + h
        if where == "ne":
            return cx + 6, y0 - h - 2, cx + 6 + w, y0 - 2
        if where == "right":
            return x1 + 4, y1 - 2, x1 + 4 + w, y1 - 2 + h
        if where == "left":
            return x0 - 4 - w, y1 - 2, x0 - 4, y1 - 2 + h
        return cx - w / 2, y1 + 5, cx + w / 2, y1 + 5 + h

    def flow_label_box(self, flow: Flow, points: list[tuple[float, float]]) -> tuple[float, float, float, float] | None:
        if not flow.name:
            return None
        w, h = label_size(flow.name, 80)
        if flow.label_at:
            x, y = flow.label_at
            return x, y, x + w, y + h
        (x0, y0), (x1, y1) = (points[-2], points[-1]) if flow.label_on == "last" else (points[0], points[1])
        if flow.label_on == "last" and abs(y0 - y1) < 1:  # above the last segment, where it starts
            x = x0 + 8 if x1 > x0 else x0 - 8 - w
            return x, y0 - h - 3, x + w, y0 - 3
        if abs(y0 - y1) < 1:  # horizontal first segment: above it, after the source
            x = x0 + 8 if x1 > x0 else x0 - 8 - w
            return x, y0 - h - 3, x + w, y0 - 3
        y = y0 + 6 if y1 > y0 else y0 - 6 - h  # vertical first segment: to its right, after the source
        return x0 + 5, y, x0 + 5 + w, y + h

    # --- writing -------------------------------------------------------------------------------------------

    def xml(self) -> str:
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
               'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
               'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
               'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
               f'xmlns:spiffworkflow="{SPIFF}" id="Definitions_{self.id}" targetNamespace="http://bpmn.io/schema/bpmn">',
               *[f"  {root}" for root in self.roots],
               f'  <bpmn:collaboration id="Collaboration_{self.id}">',
               f'    <bpmn:participant id="Participant_{self.id}" name={quoteattr(self.participant)} '
               f'processRef="{self.id}" />',
               "  </bpmn:collaboration>",
               f'  <bpmn:process id="{self.id}" name={quoteattr(self.name)} isExecutable="true">',
               f"    <bpmn:documentation>{escape(self.doc)}</bpmn:documentation>"]
        if self.articles:
            out += ["    <bpmn:extensionElements>", "      <spiffworkflow:properties>",
                    f'        <spiffworkflow:property name="policyArticle" value={quoteattr(self.articles)} />',
                    f'        <spiffworkflow:property name="policySource" value={quoteattr(self.source)} />',
                    "      </spiffworkflow:properties>", "    </bpmn:extensionElements>"]
        out.append(f'    <bpmn:laneSet id="LaneSet_{self.id}">')
        for key, name, _rows in self.lanes:
            out.append(f'      <bpmn:lane id="Lane_{key}" name={quoteattr(name)}>')
            for node in self.nodes.values():
                if node.lane == key:
                    out.append(f"        <bpmn:flowNodeRef>{node.id}</bpmn:flowNodeRef>")
            out.append("      </bpmn:lane>")
        out.append("    </bpmn:laneSet>")
        incoming: dict[str, list[str]] = {}
        outgoing: dict[str, list[str]] = {}
        for flow in self.flows:
            outgoing.setdefault(flow.source, []).append(flow.id)
            incoming.setdefault(flow.target, []).append(flow.id)
        for node in self.nodes.values():
            attrs = "".join(f" {k}={quoteattr(v)}" for k, v in node.attrs.items())
            out.append(f'    <bpmn:{node.kind} id="{node.id}" name={quoteattr(node.name)}{attrs}>')
            out.append(f"      <bpmn:documentation>{escape(node.doc)}</bpmn:documentation>")
            body = list(node.body)
            inner_first = [b for b in body if not b.startswith("<bpmn:timerEventDefinition") and
                           not b.startswith("  <bpmn:time") and b != "</bpmn:timerEventDefinition>" and
                           not b.startswith("<bpmn:script") and not b.startswith("<bpmn:terminate")]
            definition = [b for b in body if b not in inner_first]
            out += [f"      {line}" for line in inner_first]
            out += [f"      <bpmn:incoming>{f}</bpmn:incoming>" for f in incoming.get(node.id, [])]
            out += [f"      <bpmn:outgoing>{f}</bpmn:outgoing>" for f in outgoing.get(node.id, [])]
            out += [f"      {line}" for line in definition + node.tail]
            out.append(f"    </bpmn:{node.kind}>")
        for flow in self.flows:
            name = f" name={quoteattr(flow.name)}" if flow.name else ""
            head = f'    <bpmn:sequenceFlow id="{flow.id}"{name} sourceRef="{flow.source}" targetRef="{flow.target}"'
            inner = []
            if flow.doc:
                inner.append(f"      <bpmn:documentation>{escape(flow.doc)}</bpmn:documentation>")
            inner += [f"      {line}" for line in self._extensions(flow.props)]  # type: ignore[arg-type]
            if flow.condition:
                inner.append('      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                             f"{escape(flow.condition)}</bpmn:conditionExpression>")
            out += [head + ">", *inner, "    </bpmn:sequenceFlow>"] if inner else [head + " />"]
        out.append("  </bpmn:process>")
        out += self._di()
        out.append("</bpmn:definitions>")
        return "\n".join(out) + "\n"

    def _di(self) -> list[str]:
        width = self.width()
        height = sum(self.lane_height(rows, name) for _k, name, rows in self.lanes)
        out = [f'  <bpmndi:BPMNDiagram id="BPMNDiagram_{self.id}">',
               f'    <bpmndi:BPMNPlane id="BPMNPlane_{self.id}" bpmnElement="Collaboration_{self.id}">',
               f'      <bpmndi:BPMNShape id="Participant_{self.id}_di" bpmnElement="Participant_{self.id}" '
               'isHorizontal="true">',
               f'        <dc:Bounds x="{LEFT}" y="{TOP}" width="{width:g}" height="{height:g}" />',
               "      </bpmndi:BPMNShape>"]
        for key, name, rows in self.lanes:
            out += [f'      <bpmndi:BPMNShape id="Lane_{key}_di" bpmnElement="Lane_{key}" isHorizontal="true">',
                    f'        <dc:Bounds x="{LEFT + POOL_HEADER}" y="{self.lane_top(key):g}" '
                    f'width="{width - POOL_HEADER:g}" height="{self.lane_height(rows, name):g}" />',
                    "      </bpmndi:BPMNShape>"]
        for node in self.nodes.values():
            x0, y0, x1, y1 = self.box(node)
            marker = ' isMarkerVisible="true"' if node.kind == "exclusiveGateway" else ""
            out += [f'      <bpmndi:BPMNShape id="{node.id}_di" bpmnElement="{node.id}"{marker}>',
                    f'        <dc:Bounds x="{x0:g}" y="{y0:g}" width="{x1 - x0:g}" height="{y1 - y0:g}" />']
            label = self.label_box(node)
            if label is not None:
                out.append(_label_xml(label))
            out.append("      </bpmndi:BPMNShape>")
        for flow in self.flows:
            points = self.route(flow)
            out.append(f'      <bpmndi:BPMNEdge id="{flow.id}_di" bpmnElement="{flow.id}">')
            out += [f'        <di:waypoint x="{x:g}" y="{y:g}" />' for x, y in points]
            label = self.flow_label_box(flow, points)
            if label is not None:
                out.append(_label_xml(label))
            out.append("      </bpmndi:BPMNEdge>")
        out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>"]
        return out

    def write(self, path: Path) -> None:
        missing = [f.id for f in self.flows if f.source not in self.nodes or f.target not in self.nodes]
        if missing:
            raise ValueError(f"{self.id}: flows to or from unknown elements: {missing}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.xml(), encoding="utf-8")
        for name, content in self.files.items():
            body = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=2) + "\n"
            (path.parent / name).write_text(body, encoding="utf-8")


def _label_xml(box: tuple[float, float, float, float]) -> str:
    x0, y0, x1, y1 = (round(v, 1) for v in box)
    return (f'        <bpmndi:BPMNLabel>\n          <dc:Bounds x="{x0:g}" y="{y0:g}" width="{x1 - x0:g}" '
            f'height="{y1 - y0:g}" />\n        </bpmndi:BPMNLabel>')


def clean(text: str) -> str:
    """A documentation text written over several source lines, as one paragraph."""
    return re.sub(r"\s*\n\s*", "", text.strip())


if __name__ == "__main__":
    import importlib
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    cities = sys.argv[1:] or ["liaocheng", "lianyungang"]
    for city in cities:
        module = importlib.import_module(f"flowspecs.{city}")
        for diagram in module.diagrams():
            target = ROOT / "processes" / city / diagram.id / f"{diagram.id}.bpmn"
            diagram.write(target)
            print(f"wrote {target.relative_to(ROOT)}")
