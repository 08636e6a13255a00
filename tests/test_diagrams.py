"""Diagrams as the console and the designer's diff show them: lanes read as department names, the rest as
deployed."""

from __future__ import annotations

from conftest import ESCALATION, read_flow

from engine.bpmn.parsing import parse_xml
from engine.services.diagrams import BPMN, readable_lanes


def lanes(xml: bytes) -> dict[str, str]:
    return {lane.get("id"): lane.get("name") for lane in parse_xml(xml).iter(f"{{{BPMN}}}lane")}


def test_lanes_named_by_department_code_read_as_the_departments_chinese_name(platform):
    original = read_flow(ESCALATION)["escalation.bpmn"]
    assert lanes(original)["Lane_county"] == "county_window" and lanes(original)["Lane_talent"] == "talent_office"
    shown = readable_lanes(original, platform.organisation)
    departments = platform.organisation.departments
    assert lanes(shown) == {"Lane_county": departments["county_window"].name,
                            "Lane_city": departments["city_window"].name,
                            "Lane_talent": departments["talent_office"].name}
    assert lanes(shown)["Lane_talent"] == "市人才工作领导小组办公室"
    for element in ("accept", "accept_deadline", "compute", "review"):  # ids, names and layout as deployed
        assert f'id="{element}"'.encode() in shown and f'bpmnElement="{element}"'.encode() in shown


def test_the_applicants_lane_and_unknown_lanes(platform):
    xml = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="' + BPMN + '" id="d">'
           '<bpmn:process id="p"><bpmn:laneSet id="s"><bpmn:lane id="a" name="applicant"/>'
           '<bpmn:lane id="b" name="nobody"/><bpmn:lane id="c" name="市人社局"/>'
           "</bpmn:laneSet></bpmn:process></bpmn:definitions>").encode()
    assert lanes(readable_lanes(xml, platform.organisation)) == {"a": "申请人", "b": "nobody",
                                                                  "c": "市人力资源和社会保障局"}
