"""A flow that calls other deployed flows by callActivity: linked at deploy time, tasks routed, forms found."""

from __future__ import annotations

import pytest
from conftest import ESCALATION, edit, read_flow

from engine.deployment import deploy
from engine.errors import DeploymentRefused, InvalidInput
from engine.identity import Actor

PARENT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="Definitions_parent" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collaboration_parent">
    <bpmn:participant id="Participant_parent" name="一窗受理" processRef="parent_flow" />
  </bpmn:collaboration>
  <bpmn:process id="parent_flow" name="一窗受理示例" isExecutable="true">
    <bpmn:laneSet id="LaneSet_parent">
      <bpmn:lane id="Lane_city" name="city_window">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>call</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:callActivity id="call" name="办理子流程" calledElement="escalation_demo">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:callActivity>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_parent">
    <bpmndi:BPMNPlane id="BPMNPlane_parent" bpmnElement="Collaboration_parent">
      <bpmndi:BPMNShape id="Participant_parent_di" bpmnElement="Participant_parent" isHorizontal="true">
        <dc:Bounds x="100" y="50" width="500" height="160" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_city_di" bpmnElement="Lane_city" isHorizontal="true">
        <dc:Bounds x="130" y="50" width="470" height="160" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="172" y="112" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="call_di" bpmnElement="call"><dc:Bounds x="260" y="90" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="422" y="112" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="208" y="130" /><di:waypoint x="260" y="130" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="360" y="130" /><di:waypoint x="422" y="130" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def deploy_files(platform, files):
    with platform.uow() as uow:
        result = deploy(files, actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    return result


def test_calling_a_flow_that_is_not_deployed_is_refused_with_the_line(platform):
    try:
        deploy_files(platform, {"parent.bpmn": PARENT.encode()})
    except DeploymentRefused as refused:
        [problem] = [d for d in refused.details if "escalation_demo" in d["message"]]
        assert problem["file"] == "parent.bpmn" and problem["line"] == PARENT.splitlines().index(
            '    <bpmn:callActivity id="call" name="办理子流程" calledElement="escalation_demo">') + 1
    else:
        raise AssertionError("a call to an undeployed flow was accepted")


def test_a_called_flow_runs_inside_the_case_with_its_own_lanes_forms_and_deadlines(flow, platform):
    deploy_files(platform, read_flow(ESCALATION))
    deploy_files(platform, {"parent.bpmn": PARENT.encode()})
    case = flow.start("parent_flow", {"county": "dongchangfu", "applicant": "王教授"})
    task = flow.task("county_window_dongchangfu", "accept")
    assert task["instance_id"] == case and task["due_at"] is not None
    with pytest.raises(InvalidInput) as refused:  # the called flow's own form is checked
        flow.complete("county_window_dongchangfu", "accept", {"approved": "yes", "months": 1})
    assert [d["field"] for d in refused.value.details] == ["approved"]
    flow.complete("county_window_dongchangfu", "accept", {"approved": True, "months": 2})
    flow.complete("city_window", "review", {"decision": "通过"})
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["amount"] == 2000


def test_a_case_keeps_the_called_flow_version_it_was_linked_to(flow, platform):
    deploy_files(platform, read_flow(ESCALATION))
    deploy_files(platform, {"parent.bpmn": PARENT.encode()})
    deploy_files(platform, edit(read_flow(ESCALATION), "escalation.bpmn", "县级窗口受理", "县级窗口初审"))
    case = flow.start("parent_flow", {"county": "dongchangfu"})
    assert flow.task("county_window_dongchangfu", "accept", case)["title"] == "县级窗口受理"
    relinked = deploy_files(platform, {"parent.bpmn": PARENT.encode()})
    assert relinked.version == 2, "same files calling a newer version of the sub-flow: a new version"
    newer = flow.start("parent_flow", {"county": "dongchangfu"})
    assert flow.task("county_window_dongchangfu", "accept", newer)["title"] == "县级窗口初审"
    platform.specs._bundles.clear()  # a restarted process re-links from the stored versions
    flow.complete("county_window_dongchangfu", "accept", {"approved": True, "months": 1}, case)
    assert flow.open_task_names(case) == ["review"]
