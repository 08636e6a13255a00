"""A designer moving a Camunda 7 diagram gets it running by following the validator's messages alone: each
problem is acted on as its message says, round after round, until the flow deploys; then a case runs through
it, deadline reminder included."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import at
from lxml import etree

from engine.bpmn.validation import load_bundle
from engine.cases.deployment import deploy
from engine.errors import DeploymentRefused
from engine.people.identity import Actor
from engine.people.organisation import Organisation

CAMUNDA_7 = Path(__file__).parent / "data" / "thirdparty" / "camunda7_talent_subsidy.bpmn"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
MAX_ROUNDS = 4

# What the designer knows and the messages cannot: which department each Camunda lane is, what the forms ask,
# and what the Groovy script and the Java delegate did.
DEPARTMENTS = {"窗口受理": "city_window", "督办": "talent_office", "Finance": "finance"}
FORMS = {
    "StartEvent_1": ("apply.json", {"type": "object", "required": ["applicant"],
                                    "properties": {"applicant": {"type": "string", "title": "申请人"}}}),
    "Activity_0review": ("review.json", {"type": "object", "required": ["approved", "months"], "properties": {
        "approved": {"type": "boolean", "title": "材料齐全"},
        "months": {"type": "integer", "title": "补贴月数", "default": 12}}}),
}
PYTHON_SCRIPTS = {"Activity_0amount": "amount = months * 1000", "Activity_1notify": "notified = True"}


class Designer:
    """Edits the diagram the way each message says; an unexplained message fails the test."""

    def __init__(self, content: bytes) -> None:
        self.root = etree.fromstring(content)
        self.forms: dict[str, bytes] = {}
        self.done: list[str] = []

    def files(self) -> dict[str, bytes]:
        diagram = etree.tostring(self.root, xml_declaration=True, encoding="UTF-8")
        return {"talent_subsidy.bpmn": diagram, **self.forms}

    def element(self, element_id: str) -> etree._Element:
        [found] = self.root.xpath("//*[@id=$id]", id=element_id)
        return found

    def follow(self, problem: dict[str, Any]) -> None:
        message, element_id = str(problem["message"]), str(problem.get("element"))
        for pattern, act in self.RULES:
            match = re.search(pattern, message)
            if match is not None:
                act(self, self.element(element_id), match)
                self.done.append(pattern)
                return
        pytest.fail(f"no way to act on: {message}")

    def rename_lane(self, lane: etree._Element, match: re.Match[str]) -> None:
        lane.set("name", DEPARTMENTS[match.group(1)])

    def remove(self, owner: etree._Element, match: re.Match[str]) -> None:
        """``… remove camunda:x``: the attribute, or the extension element, and what it stood for."""
        setting = match.group(1).split(":", 1)[1]
        owner.attrib.pop(f"{{{CAMUNDA}}}{setting}", None)
        for child in owner.findall(f"{{{BPMN}}}extensionElements/{{{CAMUNDA}}}{setting}"):
            child.getparent().remove(child)
        if "formJsonSchemaFilename" in match.string:
            self.add_form(owner)

    def add_form(self, owner: etree._Element) -> None:
        filename, schema = FORMS[str(owner.get("id"))]
        extensions = owner.find(f"{{{BPMN}}}extensionElements")
        if extensions is None:
            extensions = etree.Element(f"{{{BPMN}}}extensionElements")
            owner.insert(0, extensions)
        properties = etree.SubElement(extensions, f"{{{SPIFF}}}properties")
        etree.SubElement(properties, f"{{{SPIFF}}}property", name="formJsonSchemaFilename", value=filename)
        self.forms[filename] = json.dumps(schema, ensure_ascii=False).encode()

    def quote_timer(self, event: etree._Element, match: re.Match[str]) -> None:
        [timer] = event.xpath(".//*[local-name()='timeDuration' or local-name()='timeDate']")
        timer.text = match.group(1)

    def write_condition(self, flow: etree._Element, match: re.Match[str]) -> None:
        flow.find(f"{{{BPMN}}}conditionExpression").text = match.group(1)

    def rewrite_script(self, task: etree._Element, _match: re.Match[str]) -> None:
        task.attrib.pop("scriptFormat", None)
        task.find(f"{{{BPMN}}}script").text = PYTHON_SCRIPTS[str(task.get("id"))]

    def to_script_task(self, task: etree._Element, match: re.Match[str]) -> None:
        """The designer takes the advice's second way: the work done in Python here, the Java class removed."""
        self.remove(task, match)
        task.tag = f"{{{BPMN}}}scriptTask"
        etree.SubElement(task, f"{{{BPMN}}}script").text = PYTHON_SCRIPTS[str(task.get("id"))]

    RULES: list[tuple[str, Callable[[Designer, etree._Element, re.Match[str]], None]]] = [
        (r"^lane '(.+)' is no department of organisation.yaml", rename_lane),
        (r"scripts are Python here: rewrite the script in Python", rewrite_script),
        (r"hand the work to an outside system .*or compute it in a scriptTask in Python; remove (camunda:class)$",
         to_script_task),
        (r"quote the ISO 8601 text, ('[^']+')$", quote_timer),
        (r"conditions are Python here, evaluated on the case's data: write (.+)$", write_condition),
        (r"remove (camunda:\w+)$", remove),
    ]


def test_following_every_message_turns_a_camunda_7_diagram_into_a_flow_that_runs(flow, platform, clock):
    package = Path(__file__).resolve().parent.parent / "processes" / "liaocheng"
    organisation = Organisation.load(package / "organisation.yaml")
    designer = Designer(CAMUNDA_7.read_bytes())
    rounds = []
    for _round in range(MAX_ROUNDS):
        try:
            load_bundle(designer.files(), organisation)
            break
        except DeploymentRefused as refused:
            rounds.append(len(refused.details))
            for problem in refused.details:
                designer.follow(problem)
    else:
        pytest.fail(f"still refused after {MAX_ROUNDS} rounds: {rounds}")
    assert rounds == [19], "one round: every message said all there was to do"
    assert len(set(designer.done)) == len(Designer.RULES), "every kind of advice was needed and followed"

    with platform.uow() as uow:
        key = deploy(designer.files(), actor=Actor("designer", "designer"), uow=uow, now=platform.now()).key
        uow.commit()
    case = flow.start(key, {"applicant": "张三"})
    assert flow.open_task_names(case) == ["Activity_0review"]
    assert flow.fire(at("2026-10-03 10:00:01")) == [case], "the quoted P3D reminder fires after three days"
    flow.complete("talent1", "Activity_1remind", {})
    flow.complete("city1", "Activity_0review", {"approved": True, "months": 12})
    view = flow.view(case)
    assert view["status"] == "completed"
    assert {k: view["data"][k] for k in ("amount", "notified")} == {"amount": 12000, "notified": True}

    refused = flow.start(key, {"applicant": "李四"})
    flow.complete("city1", "Activity_0review", {"approved": False, "months": 1})
    assert flow.view(refused)["status"] == "completed" and "amount" not in flow.view(refused)["data"]
