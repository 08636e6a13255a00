"""Small hostile diagrams for the bounded-runtime tests: each a valid BPMN file with full diagram interchange,
built from a list of flow nodes and sequence flows (laid out in a row, in one lane)."""

from __future__ import annotations

import json
import re
from xml.sax.saxutils import escape

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/'
        'MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/2010052'
        '4/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Definitions_{key}" '
        'targetNamespace="http://bpmn.io/schema/bpmn">\n')
SIZES = {"startEvent": (36, 36), "endEvent": (36, 36), "boundaryEvent": (36, 36), "intermediateCatchEvent": (36, 36),
         "intermediateThrowEvent": (36, 36), "exclusiveGateway": (50, 50), "parallelGateway": (50, 50),
         "eventBasedGateway": (50, 50)}
FORM = json.dumps({"type": "object", "properties": {"note": {"type": "string"}}}).encode()


def script_task(task_id: str, script: str) -> str:
    return f'<bpmn:scriptTask id="{task_id}" name="脚本 {task_id}"><bpmn:script>{escape(script)}</bpmn:script>' \
           '</bpmn:scriptTask>'


def user_task(task_id: str, extra: str = "") -> str:
    return (f'<bpmn:userTask id="{task_id}" name="办理 {task_id}"><bpmn:extensionElements>'
            '<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" value="note.json" />'
            f'</spiffworkflow:properties></bpmn:extensionElements>{extra}</bpmn:userTask>')


def diagram(key: str, nodes: list[str], flows: list[tuple[str, str, str | None]], *, lane: str = "city_window",
            default: dict[str, str] | None = None, roots: str = "") -> dict[str, bytes]:
    """The files of a one-lane flow: ``nodes`` are flow-node elements (boundary events included), ``flows`` are
    (source, target, condition) with ids made up; ``default`` maps a gateway to its default flow's target;
    ``roots`` are root elements of the file (messages, signals, errors, correlation properties)."""
    ids = [re.search(r'id="([^"]+)"', node).group(1) for node in nodes]  # type: ignore[union-attr]
    tags = [re.match(r"<bpmn:(\w+)", node).group(1) for node in nodes]  # type: ignore[union-attr]
    flow_ids = [f"f_{source}_{target}" for source, target, _condition in flows]
    body = []
    links = list(zip(flow_ids, flows, strict=True))
    for node, node_id, tag in zip(nodes, ids, tags, strict=True):
        incoming = "".join(f"<bpmn:incoming>{fid}</bpmn:incoming>" for fid, (_s, t, _c) in links if t == node_id)
        outgoing = "".join(f"<bpmn:outgoing>{fid}</bpmn:outgoing>" for fid, (s, _t, _c) in links if s == node_id)
        if default and node_id in default:
            node = node.replace(f'id="{node_id}"', f'id="{node_id}" default="f_{node_id}_{default[node_id]}"', 1)
        if node.endswith("/>") and node.count("<") == 1:
            node = f"{node[:-2]}>{incoming}{outgoing}</bpmn:{tag}>"
        else:  # the schema's order: extension elements, then the flows, then the rest (script, loop, event)
            end = "</bpmn:extensionElements>"
            first = node.index(">") + 1
            at = node.index(end) + len(end) if node[first:].startswith("<bpmn:extensionElements>") else first
            node = node[:at] + incoming + outgoing + node[at:]
        body.append(node)
    for fid, (source, target, condition) in zip(flow_ids, flows, strict=True):
        expression = "" if condition is None else ('<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                                                   f"{escape(condition)}</bpmn:conditionExpression>")
        body.append(f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">{expression}'
                    '</bpmn:sequenceFlow>')
    refs = "".join(f"<bpmn:flowNodeRef>{node_id}</bpmn:flowNodeRef>" for node_id in ids)
    width = 300 + 160 * len(nodes)
    shapes, places = [], {}
    column = 0
    for node, node_id, tag in zip(nodes, ids, tags, strict=True):
        w, h = SIZES.get(tag, (100, 80))
        if tag == "boundaryEvent":
            host = re.search(r'attachedToRef="([^"]+)"', node).group(1)  # type: ignore[union-attr]
            hx, hy = places[host]
            x, y = hx + 30, hy + 62
        else:
            x, y = 200 + 160 * column, 140 - h // 2
            column += 1
        places[node_id] = (x, y)
        shapes.append(f'<bpmndi:BPMNShape id="{node_id}_di" bpmnElement="{node_id}"><dc:Bounds x="{x}" y="{y}" '
                      f'width="{w}" height="{h}" /></bpmndi:BPMNShape>')
    edges = [f'<bpmndi:BPMNEdge id="{fid}_di" bpmnElement="{fid}"><di:waypoint x="{places[s][0] + 20}" '
             f'y="{places[s][1] + 20}" /><di:waypoint x="{places[t][0]}" y="{places[t][1] + 20}" /></bpmndi:BPMNEdge>'
             for fid, (s, t, _c) in zip(flow_ids, flows, strict=True)]
    xml = (HEAD.format(key=key) + roots +
           f'<bpmn:collaboration id="Collaboration_{key}"><bpmn:participant id="Participant_{key}" name="{key}" '
           f'processRef="{key}" /></bpmn:collaboration>'
           f'<bpmn:process id="{key}" name="{key}" isExecutable="true"><bpmn:laneSet id="LaneSet_{key}">'
           f'<bpmn:lane id="Lane_{key}" name="{lane}">{refs}</bpmn:lane></bpmn:laneSet>' + "".join(body) +
           '</bpmn:process><bpmndi:BPMNDiagram id="Diagram_1"><bpmndi:BPMNPlane id="Plane_1" '
           f'bpmnElement="Collaboration_{key}"><bpmndi:BPMNShape id="Participant_{key}_di" '
           f'bpmnElement="Participant_{key}" isHorizontal="true"><dc:Bounds x="100" y="40" width="{width}" '
           f'height="220" /></bpmndi:BPMNShape><bpmndi:BPMNShape id="Lane_{key}_di" bpmnElement="Lane_{key}" '
           f'isHorizontal="true"><dc:Bounds x="130" y="40" width="{width - 30}" height="220" /></bpmndi:BPMNShape>'
           + "".join(shapes) + "".join(edges) + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>\n")
    return {f"{key}.bpmn": xml.encode(), "note.json": FORM}


def straight(key: str, *middle: str) -> dict[str, bytes]:
    """start → the given nodes in order → a user task 'wait' → end."""
    nodes = ['<bpmn:startEvent id="start" name="开始" />', *middle, user_task("wait"),
             '<bpmn:endEvent id="end" name="结束" />']
    ids = [re.search(r'id="([^"]+)"', n).group(1) for n in nodes]  # type: ignore[union-attr]
    return diagram(key, nodes, [(a, b, None) for a, b in zip(ids, ids[1:], strict=False)])


def with_script(key: str, script: str) -> dict[str, bytes]:
    return straight(key, script_task("bomb", script))
