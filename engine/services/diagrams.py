"""Diagrams as people read them: lanes named by the department's Chinese name, whatever the XML calls them."""

from __future__ import annotations

from lxml import etree

from engine.bpmn.parsing import parse_xml
from engine.people.organisation import Organisation

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
APPLICANT_LANES = ("applicant", "申请人")


def readable_lanes(xml: bytes, organisation: Organisation) -> bytes:
    """The diagram with each lane named as the organisation names its department (a lane may carry the code,
    ``county_window``, or a short name); the applicant's lane reads 申请人. Nothing else changes, so element ids,
    markers and layout stay exactly as deployed."""
    root = parse_xml(xml)
    for lane in root.iter(f"{{{BPMN}}}lane"):
        name = (lane.get("name") or "").strip()
        if name in APPLICANT_LANES:
            lane.set("name", "申请人")
            continue
        code = organisation.department_for_lane(name)
        if code is not None:
            lane.set("name", organisation.departments[code].name)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
