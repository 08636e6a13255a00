"""Every shipped diagram reads like a policy officer's chart: lanes named by the department's Chinese name from
its city's organisation.yaml, at most eight lanes, read left to right from the start event, no label over a
shape, another label or a line, no name too long for the shape that holds it, and no two lines crossing.

Labels are measured as bpmn-js draws them: an event's, gateway's or sequence flow's label at its BPMNLabel
bounds (below the element when it has none), as wide as its text (12 px per Chinese character, 7 px per other
character, wrapped at 90 px for elements and 80 px for flows, 14.5 px a line); a task's name inside the task;
a lane's name written vertically along its header band."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT
from lxml import etree

from engine.people.organisation import Organisation

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
CJK, OTHER, LINE = 12.0, 7.0, 14.5
MAX_LANES = 8
SLACK = 1.0  # a pixel of touching is not an overlap
DIAGRAMS = sorted((ROOT / "processes").glob("*/*/*.bpmn"))
INSIDE = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
          "receiveTask", "callActivity", "subProcess"}
SPECIAL_LANES = {"申请人"}

Box = tuple[float, float, float, float]


def width_of(text: str) -> float:
    return sum(CJK if ord(c) > 0x2E7F else OTHER for c in text)


def text_box(text: str, x: float, y: float, wrap: float, width: float | None = None) -> Box:
    """The box bpmn-js fills with ``text``: centred on the label bounds (x, width), from their top."""
    size = width_of(text)
    lines = max(1, math.ceil(size / wrap))
    shown = min(size, wrap)
    centre = x + (width if width is not None else shown) / 2
    return centre - shown / 2, y, centre + shown / 2, y + lines * LINE


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] - SLACK and b[0] < a[2] - SLACK and a[1] < b[3] - SLACK and b[1] < a[3] - SLACK


def bounds(element: etree._Element) -> Box | None:
    found = element.find("dc:Bounds", NS)
    if found is None:
        return None
    x, y = float(found.get("x", "0")), float(found.get("y", "0"))
    return x, y, x + float(found.get("width", "0")), y + float(found.get("height", "0"))


@dataclass
class Label:
    owner: str
    text: str
    box: Box


def layout(path: Path) -> tuple[dict[str, tuple[str, Box]], list[Label], list[str]]:
    """(element id -> (kind, box)) of the flow nodes, every external label, and the problems of names that do not
    fit their own shape."""
    root = etree.parse(str(path)).getroot()
    by_id = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    shapes: dict[str, tuple[str, Box]] = {}
    labels: list[Label] = []
    problems: list[str] = []
    for shape in root.iter(f"{{{NS['bpmndi']}}}BPMNShape"):
        element = by_id.get(shape.get("bpmnElement"))
        box = bounds(shape)
        if element is None or box is None:
            continue
        kind = etree.QName(element).localname
        name = (element.get("name") or "").strip()
        if kind in ("participant", "lane"):
            if name and width_of(name) > box[3] - box[1] - 10:
                problems.append(f"{kind} '{name}' is longer ({width_of(name):g}px) than its band is high "
                                f"({box[3] - box[1]:g}px)")
            continue
        shapes[element.get("id")] = (kind, box)
        if not name:
            continue
        if kind in INSIDE:
            inner = box[2] - box[0] - 10
            lines = math.ceil(width_of(name) / inner)
            if lines * LINE > box[3] - box[1] - 6:
                problems.append(f"{kind} '{element.get('id')}' ({name}) needs {lines} lines, more than its "
                                "shape holds")
            continue
        label = shape.find("bpmndi:BPMNLabel", NS)
        found = bounds(label) if label is not None else None
        if found is None:  # bpmn-js puts it centred below the element
            centre = (box[0] + box[2]) / 2
            labels.append(Label(element.get("id"), name, text_box(name, centre - 45, box[3] + 5, 90, 90)))
        else:
            labels.append(Label(element.get("id"), name,
                                text_box(name, found[0], found[1], 90, found[2] - found[0])))
    for edge in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge"):
        element = by_id.get(edge.get("bpmnElement"))
        name = (element.get("name") or "").strip() if element is not None else ""
        if not name:
            continue
        label = edge.find("bpmndi:BPMNLabel", NS)
        found = bounds(label) if label is not None else None
        if found is None:
            problems.append(f"sequence flow '{element.get('id')}' ({name}) has no label bounds: where it is drawn "
                            "depends on the modeler")
            continue
        labels.append(Label(element.get("id"), name, text_box(name, found[0], found[1], 80, found[2] - found[0])))
    return shapes, labels, problems


def overlaps(path: Path) -> list[str]:
    root = etree.parse(str(path)).getroot()
    attached = {b.get("id"): b.get("attachedToRef") for b in root.iter(f"{{{BPMN}}}boundaryEvent")}
    shapes, labels, problems = layout(path)
    for label in labels:
        for element_id, (kind, box) in shapes.items():
            if element_id == label.owner:
                continue
            if overlap(label.box, box):
                problems.append(f"the label '{label.text}' of '{label.owner}' lies over {kind} '{element_id}'")
    for index, label in enumerate(labels):
        for other in labels[index + 1:]:
            if overlap(label.box, other.box):
                problems.append(f"the labels '{label.text}' ('{label.owner}') and '{other.text}' ('{other.owner}') "
                                "overlap")
    for element_id, (kind, box) in shapes.items():
        for other_id, (other_kind, other_box) in shapes.items():
            if element_id < other_id and overlap(box, other_box) and \
                    attached.get(element_id) != other_id and attached.get(other_id) != element_id:
                problems.append(f"{kind} '{element_id}' and {other_kind} '{other_id}' overlap")
    return problems


@pytest.mark.parametrize("path", DIAGRAMS, ids=[str(p.relative_to(ROOT / "processes")) for p in DIAGRAMS])
def test_no_label_lies_over_a_shape_or_another_label(path: Path) -> None:
    problems = overlaps(path)
    assert not problems, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", DIAGRAMS, ids=[str(p.relative_to(ROOT / "processes")) for p in DIAGRAMS])
def test_lanes_are_departments_by_chinese_name_at_most_eight_read_left_to_right(path: Path) -> None:
    organisation = Organisation.load(path.parent.parent / "organisation.yaml")
    names = {d.name for d in organisation.departments.values()}
    root = etree.parse(str(path)).getroot()
    lanes = list(root.iter(f"{{{BPMN}}}lane"))
    assert len(lanes) <= MAX_LANES, f"{path.name}: {len(lanes)} lanes"
    routed = {}
    for lane in lanes:
        name = lane.get("name")
        members = {(ref.text or "").strip() for ref in lane.findall("bpmn:flowNodeRef", NS)}
        tasks = [t for t in root.iter(f"{{{BPMN}}}userTask") if t.get("id") in members]
        routed[name] = bool(tasks) and all(t.find(".//*[@name='departmentField']") is not None for t in tasks)
    wrong = [lane.get("name") for lane in lanes
             if lane.get("name") not in names | SPECIAL_LANES and not routed[lane.get("name")]]
    assert not wrong, f"{path.name}: lanes not named by a department's Chinese name: {wrong}"
    shapes, _labels, _problems = layout(path)
    starts = [box for kind, box in shapes.values() if kind == "startEvent"]
    assert starts, f"{path.name}: no start event"
    leftmost = min(box[0] for _kind, box in shapes.values())
    assert min(box[0] for box in starts) <= leftmost + 1, f"{path.name}: the start event is not at the left"


def test_the_check_sees_a_label_over_a_task(tmp_path: Path) -> None:
    """The check itself: a gateway label moved onto a task is reported, and so are two labels on each other."""
    source = next(p for p in DIAGRAMS if "health_card" in p.name)
    text = source.read_text(encoding="utf-8")
    root = etree.fromstring(text.encode())
    task = next(s for s in root.iter(f"{{{NS['bpmndi']}}}BPMNShape") if s.get("bpmnElement") == "city_review")
    task_box = bounds(task)
    assert task_box is not None
    label = next(s for s in root.iter(f"{{{NS['bpmndi']}}}BPMNLabel"))
    found = label.find("dc:Bounds", NS)
    found.set("x", str(task_box[0] + 5))
    found.set("y", str(task_box[1] + 5))
    broken = tmp_path / source.name
    broken.write_bytes(etree.tostring(root))
    assert any("lies over userTask 'city_review'" in p for p in overlaps(broken)), overlaps(broken)


def edges(path: Path) -> dict[str, list[tuple[float, float]]]:
    root = etree.parse(str(path)).getroot()
    found = {}
    for edge in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge"):
        points = [(float(p.get("x", "0")), float(p.get("y", "0"))) for p in edge.findall("di:waypoint", NS)]
        found[str(edge.get("bpmnElement"))] = points
    return found


def crosses(box: Box, a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether the axis-parallel segment a–b passes through the inside of ``box`` (touching is not crossing)."""
    x0, y0, x1, y1 = box[0] + SLACK, box[1] + SLACK, box[2] - SLACK, box[3] - SLACK
    if abs(a[1] - b[1]) < 0.01:  # horizontal
        return y0 < a[1] < y1 and min(a[0], b[0]) < x1 and max(a[0], b[0]) > x0
    if abs(a[0] - b[0]) < 0.01:  # vertical
        return x0 < a[0] < x1 and min(a[1], b[1]) < y1 and max(a[1], b[1]) > y0
    return False  # a diagonal: the shipped diagrams draw none


@pytest.mark.parametrize("path", DIAGRAMS, ids=[str(p.relative_to(ROOT / "processes")) for p in DIAGRAMS])
def test_no_line_runs_through_a_label(path: Path) -> None:
    _shapes, labels, _problems = layout(path)
    problems = []
    for label in labels:
        for flow, points in edges(path).items():
            if flow == label.owner:
                continue
            if any(crosses(label.box, a, b) for a, b in zip(points, points[1:], strict=False)):
                problems.append(f"sequence flow '{flow}' runs through the label '{label.text}' of '{label.owner}'")
    assert not problems, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


def segment_crossing(s: tuple[tuple[float, float], tuple[float, float]],
                     t: tuple[tuple[float, float], tuple[float, float]]) -> bool:
    """Whether a horizontal and a vertical segment cross in their insides (meeting at an end is joining)."""
    (a, b), (c, d) = s, t
    horizontal_s, horizontal_t = abs(a[1] - b[1]) < 0.01, abs(c[1] - d[1]) < 0.01
    if horizontal_s == horizontal_t:
        return False
    if not horizontal_s:
        (a, b), (c, d) = (c, d), (a, b)
    return min(a[0], b[0]) < c[0] < max(a[0], b[0]) and min(c[1], d[1]) < a[1] < max(c[1], d[1])


@pytest.mark.parametrize("path", DIAGRAMS, ids=[str(p.relative_to(ROOT / "processes")) for p in DIAGRAMS])
def test_no_two_sequence_flows_cross(path: Path) -> None:
    """Every shipped diagram has a layout without crossing lines, so it is drawn with one."""
    lines = edges(path)
    names = sorted(lines)
    crossing = [(f, g) for i, f in enumerate(names) for g in names[i + 1:]
                if any(segment_crossing(s, t) for s in zip(lines[f], lines[f][1:], strict=False)
                       for t in zip(lines[g], lines[g][1:], strict=False))]
    assert not crossing, f"{path.relative_to(ROOT)}: crossing sequence flows {crossing}"


def test_the_checks_see_a_crossing_and_a_line_through_a_label():
    assert segment_crossing(((0, 5), (10, 5)), ((5, 0), (5, 10)))
    assert not segment_crossing(((0, 5), (10, 5)), ((10, 5), (10, 20)))  # one line joining another's end
    assert crosses((0, 0, 20, 10), (-5, 5), (30, 5)) and not crosses((0, 0, 20, 10), (-5, 11), (30, 11))
