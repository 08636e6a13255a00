"""The BPMN/DMN parser: the Spiff dialect, a hardened XML reader, and clock-aware timers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CANCEL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TERMINATION_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, EndEvent, IntermediateCatchEvent, StartEvent
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser,
    SpiffEndEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser

from engine.bpmn.service_tasks import ExternalServiceTask
from engine.bpmn.timers import CLOCK_TIMER_CLASSES

MAX_FILE_BYTES = 2 * 1024 * 1024


def safe_xml_parser() -> etree.XMLParser:
    """An XML parser that resolves no entities, fetches nothing, and refuses huge or deep trees."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        remove_comments=True,  # Spiff's DMN parser takes every child of a table for an element
    )


def parse_xml(content: bytes) -> etree._Element:
    """Parse untrusted XML; a DOCTYPE is refused outright (entity tricks need one)."""
    if len(content) > MAX_FILE_BYTES:
        raise ValueError(f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
    root = etree.fromstring(content, parser=safe_xml_parser())
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ValueError("a DOCTYPE declaration is not allowed in a diagram")
    return root


class _ClockTimers:
    def parse_timer_event(self, event: Any) -> Any:
        definition = super().parse_timer_event(event)  # type: ignore[misc]
        clock_class = CLOCK_TIMER_CLASSES.get(type(definition))
        if clock_class is not None:
            definition.__class__ = clock_class
        return definition


class OneStopStartEventParser(_ClockTimers, SpiffStartEventParser):
    pass


class OneStopBoundaryEventParser(_ClockTimers, SpiffBoundaryEventParser):
    pass


class OneStopIntermediateCatchEventParser(_ClockTimers, SpiffIntermediateCatchEventParser):
    pass


class OneStopEndEventParser(SpiffEndEventParser):
    """SpiffWorkflow's end event parser leaves out signals: a signal end event would end without signalling."""

    def create_task(self) -> Any:
        definition = self.get_event_definition([MESSAGE_EVENT_XPATH, CANCEL_EVENT_XPATH, ERROR_EVENT_XPATH,
                                                ESCALATION_EVENT_XPATH, TERMINATION_EVENT_XPATH, SIGNAL_EVENT_XPATH])
        task = self._create_task(definition)
        task.connect(self.spec.end)
        return task


class OneStopParser(SpiffBpmnParser):
    """SpiffArena's dialect, with timers that follow the engine's clock and timezone and service tasks that wait
    for external workers (engine/bpmn/service_tasks.py). Diagrams reach it as ``rewrite.prepare`` shaped them
    (links, implicit starts and ends, splits out of activities)."""

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("endEvent"): (OneStopEndEventParser, EndEvent),
        full_tag("startEvent"): (OneStopStartEventParser, StartEvent),
        full_tag("boundaryEvent"): (OneStopBoundaryEventParser, BoundaryEvent),
        full_tag("intermediateCatchEvent"): (OneStopIntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("serviceTask"): (ServiceTaskParser, ExternalServiceTask),
    }

    def __init__(self, validate: bool = True) -> None:
        super().__init__(validator=VALIDATOR if validate else None)

    def explicit_lanes(self, specs: Iterable[Any]) -> None:
        """A task listed in a lane (a flowNodeRef) belongs to that lane, even inside a subprocess drawn in
        another lane: SpiffWorkflow gives every task of a subprocess the subprocess's lane."""
        named: dict[str, str] = {}
        for lanes in self.document_lanes.values():
            named.update({node: lane for node, lane in lanes.items() if lane})
        for spec in specs:
            for task_spec in spec.task_specs.values():
                lane = named.get(getattr(task_spec, "bpmn_id", None) or "")
                if lane is not None:
                    task_spec.lane = lane
