"""Every flow of every city package under processes/<city>/: it validates against its city's organisation.yaml,
it carries full diagram interchange and Chinese documentation, and
it survives the bpmn.io model layer (bpmn-moddle, what bpmn-js and Camunda Modeler use to open and save a
diagram) without a warning and without a change of meaning.

A failing test here is the report for the flow's authors: fix the diagram, not the test."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, need
from lxml import etree

from engine.bpmn.validation import Bundle, called_elsewhere, defined_processes, load_bundle
from engine.errors import DeploymentRefused
from engine.people.organisation import Organisation

PROCESSES = ROOT / "processes"
SCRIPT = ROOT / "scripts" / "moddle_roundtrip.mjs"
BPMN_MODDLE = ROOT / "node_modules" / "bpmn-moddle"
FLOW_FILES = (".bpmn", ".dmn", ".json")
CITIES = sorted(p.name for p in PROCESSES.iterdir() if (p / "organisation.yaml").is_file())
# Each flow as "city/folder", e.g. "liaocheng/health_card": a folder of a city package.
# Every flow folder of each package (its notifications/ folder holds message templates, not a flow).
FOLDERS = sorted(f"{city}/{p.name}" for city in CITIES for p in (PROCESSES / city).iterdir()
                 if p.is_dir() and not p.name.startswith((".", "_")) and p.name != "notifications")


def city_of(folder: str) -> str:
    return folder.split("/", 1)[0]


def flow_of(folder: str) -> str:
    return folder.split("/", 1)[1]

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
MODDLE_NAMESPACES = {BPMN, BPMNDI, DC, DI}  # what bpmn-moddle knows; anything else is a generic element
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "spiffworkflow": SPIFF}

ACTIVITIES = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS
TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SLACK = 0.5  # DI coordinates are floats; half a pixel is not outside


# ---------------------------------------------------------------------------------------------------- reading


def folder_files(folder: str) -> dict[str, bytes]:
    path = PROCESSES / folder
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file() and p.suffix in FLOW_FILES}


def bpmn_names(files: Mapping[str, bytes]) -> list[str]:
    return [name for name in files if name.endswith(".bpmn")]


def parse(content: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                             remove_pis=True)
    return etree.fromstring(content, parser=parser)


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def bpmn_elements(root: etree._Element, kinds: Iterable[str]) -> list[etree._Element]:
    return [e for e in root.iter(*(f"{{{BPMN}}}{kind}" for kind in kinds))]


def refused(error: DeploymentRefused) -> str:
    return "\n".join(f"  {d.get('file')}:{d.get('line')}: {d.get('message')}" for d in error.details) or \
        f"  {error.message}"


# ---------------------------------------------------------------------------------------- validation bundles


@pytest.fixture(scope="module")
def organisations() -> dict[str, Organisation]:
    return {city: Organisation.load(PROCESSES / city / "organisation.yaml") for city in CITIES}


def test_both_city_packages_are_shipped() -> None:
    assert CITIES == ["lianyungang", "liaocheng"]
    for city in CITIES:
        assert Organisation.load(PROCESSES / city / "organisation.yaml").city.code == city


def call_order(groups: Mapping[str, Mapping[str, bytes]]) -> list[str]:
    """Folders whose processes others call by callActivity come before their callers (a cycle: name order)."""
    defines = {folder: defined_processes(files) for folder, files in groups.items()}
    needs = {folder: {other for other, ids in defines.items() if other != folder and ids & called_elsewhere(files)}
             for folder, files in groups.items()}
    ordered: list[str] = []
    while len(ordered) < len(groups):
        ready = [f for f in groups if f not in ordered and needs[f] <= set(ordered)]
        ordered.extend(ready or [f for f in groups if f not in ordered])
    return ordered


class Bundles:
    """Each folder loaded with load_bundle in call order, against its city's organisation and linked to the
    flows of its own city that it calls; or why it was not."""

    def __init__(self, organisations: dict[str, Organisation]) -> None:
        self.organisations = organisations
        self.files = {folder: folder_files(folder) for folder in FOLDERS}
        self.loaded: dict[str, Bundle] = {}
        self.failed: dict[str, str] = {}
        self.by_process: dict[tuple[str, str], Bundle] = {}
        self.folder_of: dict[tuple[str, str], str] = {}
        for folder in call_order(self.files):
            for process_id in defined_processes(self.files[folder]):
                self.folder_of.setdefault((city_of(folder), process_id), folder)
            try:
                linked = self.linked(folder)
                bundle = load_bundle(self.files[folder], organisations[city_of(folder)], linked=linked)
            except DeploymentRefused as error:
                self.failed[folder] = f"{folder} does not validate:\n{refused(error)}"
            except LookupError as error:
                self.failed[folder] = str(error.args[0])
            else:
                self.loaded[folder] = bundle
                for process_id in defined_processes(self.files[folder]):
                    self.by_process.setdefault((city_of(folder), process_id), bundle)

    def linked(self, folder: str) -> dict[str, Bundle]:
        """The bundles of the other folders of the same city that ``folder`` calls (a missing one is left to
        load_bundle)."""
        linked = {}
        city = city_of(folder)
        for process_id in sorted(called_elsewhere(self.files[folder])):
            if (city, process_id) in self.by_process:
                linked[process_id] = self.by_process[(city, process_id)]
            elif (city, process_id) in self.folder_of:
                callee = self.folder_of[(city, process_id)]
                raise LookupError(f"{folder} calls {process_id!r}, defined in processes/{callee}, which does not "
                                  "validate (see that folder's failure)")
        return linked

    def bundle(self, folder: str) -> Bundle:
        if folder in self.failed:
            pytest.fail(self.failed[folder], pytrace=False)
        return self.loaded[folder]


@pytest.fixture(scope="module")
def bundles(organisations: dict[str, Organisation]) -> Bundles:
    return Bundles(organisations)


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_folder_validates_and_its_process_is_named_after_it(folder: str, bundles: Bundles) -> None:
    bundle = bundles.bundle(folder)
    assert bundle.key == flow_of(folder), f"processes/{folder}: the executable process id is {bundle.key!r}, " \
                                          "not the folder's name"
    assert bpmn_names(bundles.files[folder]), f"processes/{folder} holds no .bpmn file"


# ----------------------------------------------------------------------------------------- diagram interchange


def bounds(shape: etree._Element) -> tuple[float, float, float, float] | None:
    found = shape.find("dc:Bounds", NS)
    if found is None:
        return None
    x, y = float(found.get("x", "nan")), float(found.get("y", "nan"))
    return x, y, x + float(found.get("width", "nan")), y + float(found.get("height", "nan"))


def inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return (inner[0] >= outer[0] - SLACK and inner[1] >= outer[1] - SLACK and
            inner[2] <= outer[2] + SLACK and inner[3] <= outer[3] + SLACK)


def di_problems(root: etree._Element) -> list[str]:
    """Missing shapes and edges, edges with fewer than two waypoints, shapes outside their lane."""
    problems: list[str] = []
    shapes: dict[str, etree._Element] = {}
    for shape in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        shapes.setdefault(shape.get("bpmnElement", ""), shape)
    edges: dict[str, etree._Element] = {}
    for edge in root.iter(f"{{{BPMNDI}}}BPMNEdge"):
        edges.setdefault(edge.get("bpmnElement", ""), edge)

    for element in bpmn_elements(root, [*sorted(FLOW_NODES), "lane", "participant"]):
        element_id = element.get("id", "")
        shape = shapes.get(element_id)
        if shape is None:
            problems.append(f"{local(element)} '{element_id}' has no BPMNShape")
        elif bounds(shape) is None:
            problems.append(f"the BPMNShape of {local(element)} '{element_id}' has no dc:Bounds")
    for flow in bpmn_elements(root, ["sequenceFlow"]):
        edge = edges.get(flow.get("id", ""))
        if edge is None:
            problems.append(f"sequenceFlow '{flow.get('id')}' has no BPMNEdge")
        elif len(edge.findall("di:waypoint", NS)) < 2:
            problems.append(f"the BPMNEdge of sequenceFlow '{flow.get('id')}' has fewer than 2 waypoints")

    def box(element_id: str) -> tuple[float, float, float, float] | None:
        shape = shapes.get(element_id)
        return bounds(shape) if shape is not None else None

    def plane(element_id: str) -> etree._Element | None:
        shape = shapes.get(element_id)
        return next(shape.iterancestors(f"{{{BPMNDI}}}BPMNPlane"), None) if shape is not None else None

    lanes_of: dict[str, list[etree._Element]] = {}
    for lane in bpmn_elements(root, ["lane"]):
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            lanes_of.setdefault((ref.text or "").strip(), []).append(lane)
    for node in bpmn_elements(root, FLOW_NODES):
        # A node of an embedded sub-process lies in the lane of that sub-process when drawn on the same plane.
        chain = [node, *(a for a in node.iterancestors(f"{{{BPMN}}}subProcess", f"{{{BPMN}}}transaction",
                                                         f"{{{BPMN}}}adHocSubProcess"))]
        owner = next((e for e in chain if e.get("id") in lanes_of), None)
        process = next(node.iterancestors(f"{{{BPMN}}}process"), None)
        if owner is None and process is not None and process.find(".//bpmn:lane", NS) is not None:
            problems.append(f"{local(node)} '{node.get('id')}' is in no lane of its process")
        node_box = box(node.get("id", ""))
        if owner is None or node_box is None:
            continue
        for lane in lanes_of[owner.get("id", "")]:
            lane_box = box(lane.get("id", ""))
            if lane_box is None or plane(lane.get("id", "")) is not plane(node.get("id", "")):
                continue
            if not inside(node_box, lane_box):
                problems.append(f"{local(node)} '{node.get('id')}' at {fmt(node_box)} lies outside its lane "
                                f"'{lane.get('id')}' ({lane.get('name')}) at {fmt(lane_box)}")

    processes_of = {p.get("processRef"): p for p in bpmn_elements(root, ["participant"])}
    for process in bpmn_elements(root, ["process"]):
        participant = processes_of.get(process.get("id"))
        if participant is None or box(participant.get("id", "")) is None:
            continue
        pool = box(participant.get("id", ""))
        assert pool is not None
        for lane in process.iter(f"{{{BPMN}}}lane"):
            lane_box = box(lane.get("id", ""))
            if lane_box is not None and not inside(lane_box, pool):
                problems.append(f"lane '{lane.get('id')}' at {fmt(lane_box)} lies outside its participant "
                                f"'{participant.get('id')}' at {fmt(pool)}")
    return problems


def fmt(box: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{v:g}" for v in box) + ")"


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_element_is_drawn_and_every_shape_lies_in_its_lane(folder: str) -> None:
    files = folder_files(folder)
    assert bpmn_names(files), f"processes/{folder} holds no .bpmn file"
    problems = [f"{name}: {problem}" for name in bpmn_names(files) for problem in di_problems(parse(files[name]))]
    assert not problems, f"processes/{folder}: incomplete diagram interchange:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------------- documentation and names


def text_problems(root: etree._Element) -> list[str]:
    problems = []
    for element in bpmn_elements(root, FLOW_NODES):
        label = f"{local(element)} '{element.get('id')}'"
        documentation = "".join((d.text or "") for d in element.findall("bpmn:documentation", NS)).strip()
        if not documentation:
            problems.append(f"{label} has no bpmn:documentation")
        name = (element.get("name") or "").strip()
        if not CJK.search(name):
            problems.append(f"{label} has no Chinese name" + (f" (it is {name!r})" if name else ""))
    for element in bpmn_elements(root, ["process", "participant", "sequenceFlow"]):
        name = (element.get("name") or "").strip()
        if name and not CJK.search(name):
            problems.append(f"{local(element)} '{element.get('id')}' has a name that is not Chinese: {name!r}")
    return problems


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_task_event_and_gateway_is_documented_and_named_in_chinese(folder: str) -> None:
    files = folder_files(folder)
    assert bpmn_names(files), f"processes/{folder} holds no .bpmn file"
    problems = [f"{name}: {problem}" for name in bpmn_names(files) for problem in text_problems(parse(files[name]))]
    assert not problems, f"processes/{folder}:\n  " + "\n  ".join(problems)


# ------------------------------------------------------------------------------ the round trip and its meaning


def owner_id(element: etree._Element) -> str:
    """The id of the nearest element (itself included) that has one."""
    for candidate in (element, *element.iterancestors()):
        if candidate.get("id"):
            return str(candidate.get("id"))
    return ""


def spiff_path(element: etree._Element) -> str:
    """Where a Spiff extension element sits below its owner: tag names and sibling positions."""
    steps = []
    for candidate in (element, *element.iterancestors()):
        if candidate.get("id"):
            break
        parent = candidate.getparent()
        same = [c for c in parent if c.tag == candidate.tag] if parent is not None else [candidate]
        steps.append(f"{local(candidate)}[{same.index(candidate)}]")
    return "/".join(reversed(steps))


def attributes(element: etree._Element) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((etree.QName(k).text, v) for k, v in element.attrib.items()))


def meaning(root: etree._Element) -> dict[str, Any]:
    """What a diagram means to the engine and to its readers, independent of formatting and prefixes."""
    def children_text(element: etree._Element, path: str) -> str:
        found = element.find(path, NS)
        return (found.text or "").strip() if found is not None else ""

    timers = {}
    for definition in bpmn_elements(root, ["timerEventDefinition"]):
        for kind in TIMER_KINDS:
            for expression in definition.findall(f"bpmn:{kind}", NS):
                timers[(owner_id(definition), kind)] = (expression.text or "").strip()
    lanes = {}
    for lane in bpmn_elements(root, ["lane"]):
        parent = next(lane.iterancestors(f"{{{BPMN}}}lane"), None)
        lanes[lane.get("id")] = (lane.get("name"), parent.get("id") if parent is not None else None,
                                 tuple(sorted((r.text or "").strip() for r in lane.findall("bpmn:flowNodeRef", NS))))
    spiff = {}
    for element in root.iter(f"{{{SPIFF}}}*"):
        spiff[(owner_id(element), spiff_path(element))] = (attributes(element), (element.text or "").strip())
    return {
        "element ids and types": sorted((str(e.get("id")), etree.QName(e).text) for e in root.iter()
                                        if isinstance(e.tag, str) and e.get("id")),
        "sequence flows (source, target)": {f.get("id"): (f.get("sourceRef"), f.get("targetRef"))
                                            for f in bpmn_elements(root, ["sequenceFlow"])},
        "condition expressions": {f.get("id"): children_text(f, "bpmn:conditionExpression")
                                  for f in bpmn_elements(root, ["sequenceFlow"])
                                  if f.find("bpmn:conditionExpression", NS) is not None},
        "timer expressions": timers,
        "lanes (name, parent, members)": lanes,
        "form properties": {(owner_id(p), p.get("name")): p.get("value")
                            for p in root.iter(f"{{{SPIFF}}}property")},
        "calledElement": {c.get("id"): c.get("calledElement") for c in bpmn_elements(root, ["callActivity"])},
        "calledDecisionId": {owner_id(d): (d.text or "").strip() for d in root.iter(f"{{{SPIFF}}}calledDecisionId")},
        "spiffworkflow extensions": spiff,
        "scripts": {owner_id(s): s.text or "" for s in bpmn_elements(root, ["script"])},
        "names": {e.get("id"): e.get("name") for e in root.iter() if isinstance(e.tag, str) and e.get("name")
                  and etree.QName(e).namespace == BPMN},
        "documentation": {owner_id(d.getparent()): (d.text or "").strip()
                          for d in bpmn_elements(root, ["documentation"])},
        "gateway defaults": {g.get("id"): g.get("default") for g in bpmn_elements(root, GATEWAYS)
                             if g.get("default")},
        "boundary events (attached to, interrupting)": {
            b.get("id"): (b.get("attachedToRef"), (b.get("cancelActivity") or "true").strip().lower())
            for b in bpmn_elements(root, ["boundaryEvent"])},
        "processes (executable)": {p.get("id"): (p.get("isExecutable") or "false").strip().lower()
                                   for p in bpmn_elements(root, ["process"])},
        "participants (process)": {p.get("id"): p.get("processRef") for p in bpmn_elements(root, ["participant"])},
    }


def meaning_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    changes = []
    for aspect, old in before.items():
        new = after.get(aspect)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            for key in sorted(set(old) | set(new), key=repr):
                if old.get(key) != new.get(key):
                    changes.append(f"{aspect}: {key!r}: {old.get(key)!r} became {new.get(key)!r}")
        elif isinstance(old, list) and isinstance(new, list):
            lost, gained = sorted(set(old) - set(new)), sorted(set(new) - set(old))
            changes.append(f"{aspect}: lost {lost}, gained {gained}")
        else:
            changes.append(f"{aspect}: {old!r} became {new!r}")
    return changes


def test_the_meaning_comparison_sees_a_change() -> None:
    """The comparison itself: a moved flow, a changed condition or a lost form are differences."""
    folder = next((f for f in FOLDERS if bpmn_names(folder_files(f))), None)
    if folder is None:
        pytest.fail("no flow folder with a .bpmn file under processes/")
    files = folder_files(folder)
    content = files[bpmn_names(files)[0]]
    root = parse(content)
    assert meaning_changes(meaning(root), meaning(parse(content))) == []
    flow = root.find(".//bpmn:sequenceFlow", NS)
    assert flow is not None
    flow.set("targetRef", "somewhere_else")
    condition = root.find(".//bpmn:conditionExpression", NS)
    if condition is not None:
        condition.text = "False"
    prop = root.find(".//spiffworkflow:property", NS)
    if prop is not None:
        prop.getparent().remove(prop)
    changes = meaning_changes(meaning(parse(content)), meaning(root))
    assert any(c.startswith("sequence flows") for c in changes), changes
    assert condition is None or any(c.startswith("condition expressions") for c in changes), changes
    assert prop is None or any(c.startswith("form properties") for c in changes), changes


@pytest.fixture(scope="module")
def moddle_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """One node process round-trips every diagram of every folder; its report per file, by absolute path."""
    paths = [str(p) for folder in FOLDERS for p in sorted((PROCESSES / folder).glob("*.bpmn"))]
    out = tmp_path_factory.mktemp("moddle")
    result = subprocess.run([str(shutil.which("node")), str(SCRIPT), "--out", str(out), *paths], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode in (0, 1), f"moddle_roundtrip.mjs failed ({result.returncode}):\n{result.stderr}"
    reports = {}
    for line in result.stdout.splitlines():
        report = json.loads(line)
        reports[report["file"]] = report
    assert set(reports) == set(paths), f"no report for {sorted(set(paths) - set(reports))}:\n{result.stderr}"
    return reports


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_diagram_survives_bpmn_moddle_with_its_meaning(folder: str, request: pytest.FixtureRequest,
                                                          bundles: Bundles) -> None:
    need(shutil.which("node") is not None and BPMN_MODDLE.exists(),
         "node and node_modules/bpmn-moddle (`make assets`) are needed for the bpmn.io round trip")
    reports = request.getfixturevalue("moddle_reports")
    files = folder_files(folder)
    assert bpmn_names(files), f"processes/{folder} holds no .bpmn file"
    problems: list[str] = []
    rewritten = dict(files)
    for name in bpmn_names(files):
        report = reports[str(PROCESSES / folder / name)]
        if report.get("error"):
            problems.append(f"{name}: {report['error']}")
        for warning in report["warnings"]:
            where = " ".join(str(warning[k]) for k in ("element", "property") if warning.get(k))
            problems.append(f"{name}: bpmn-moddle warning: {warning['message']}" + (f" [{where}]" if where else ""))
        if not report.get("output"):
            continue
        written = Path(report["output"]).read_bytes()
        rewritten[name] = written
        problems += [f"{name}: after the round trip, {change}"
                     for change in meaning_changes(meaning(parse(files[name])), meaning(parse(written)))]
        kept: Counter[str] = Counter()
        for kind, count in report["extensions"].items():
            kept[kind.split(":")[-1]] += count
        extensions = Counter(local(e) for e in parse(files[name]).iter()
                             if isinstance(e.tag, str) and etree.QName(e).namespace not in MODDLE_NAMESPACES)
        if kept != extensions:
            problems.append(f"{name}: bpmn-moddle kept the extension elements {dict(kept)} as generic elements, "
                            f"the file has {dict(extensions)}")
    try:
        bundle = load_bundle(rewritten, bundles.organisations[city_of(folder)], linked=bundles.linked(folder))
    except DeploymentRefused as error:
        problems.append(f"the files written back by bpmn-moddle do not validate:\n{refused(error)}")
    except LookupError as error:
        problems.append(str(error.args[0]))
    else:
        if bundle.key != flow_of(folder):
            problems.append(f"written back, the executable process is {bundle.key!r}, not {folder!r}")
    assert not problems, f"processes/{folder} through bpmn-moddle:\n  " + "\n  ".join(problems)
