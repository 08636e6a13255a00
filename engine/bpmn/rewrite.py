"""Rewrites a diagram into shapes SpiffWorkflow's parser runs as BPMN says, before it parses it.

Each rewrite keeps BPMN's meaning and only adds or renames elements in the parser's copy (the stored file is
never changed); they are deterministic, so a version parses to the same specs every time it is loaded:

- references written as QNames (``messageRef="semantic:Message_1"``) lose their prefix;
- ids that SpiffWorkflow uses for its own steps (``Start``, ``End``, ``X.EndJoin`` …) are renamed;
- event definitions referenced by ``eventDefinitionRef`` are copied into their event;
- data stores and their associations are documentation here (the platform keeps no data stores) and go;
- a data association that names a data object directly reaches it through a data object reference;
- a link throw event becomes a sequence flow to the link catch event of the same name;
- several outgoing flows of an activity or event, or conditional and default flows out of an activity, leave
  through an inserted gateway (inclusive when a flow has a condition, else parallel), which is what they mean;
- a process or subprocess without a start event starts every flow node that has no incoming flow;
- a flow node without outgoing flows ends its path through an inserted end event (BPMN's implicit end).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN}

TASKS = ("task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
         "businessRuleTask")
SUBPROCESSES = ("subProcess", "transaction", "adHocSubProcess")
ACTIVITIES = (*TASKS, "callActivity", *SUBPROCESSES)
GATEWAYS = ("exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway")
EVENTS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")
FLOW_NODES = (*ACTIVITIES, *GATEWAYS, *EVENTS)
LEVELS = ("process", "subProcess", "transaction")  # containers whose flow the rewrites complete (not ad hoc)

# Attributes and element texts that refer to another element by id (BPMN types them QName or IDREF).
REFERENCE_ATTRIBUTES = ("messageRef", "signalRef", "errorRef", "escalationRef", "dataStoreRef", "processRef",
                        "calledElement", "attachedToRef", "dataObjectRef", "sourceRef", "targetRef", "default",
                        "bpmnElement", "activityRef", "operationRef", "itemSubjectRef", "structureRef")
REFERENCE_TEXTS = ("incoming", "outgoing", "flowNodeRef", "sourceRef", "targetRef", "correlationPropertyRef",
                   "dataInputRefs", "dataOutputRefs", "eventDefinitionRef", "messageRef", "messagePath")
# Ids SpiffWorkflow gives its own task specs in every process spec.
RESERVED_IDS = ("Start", "End", "Root", "StartEventSplit", "StartEventJoin")
RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin", " [child]")
SPIFF_DATA_STORES = ("JSONDataStore", "JSONFileDataStore", "KKVDataStore", "TypeaheadDataStore")
SYNTHETIC = "__"  # inserted elements' ids: <owner id>__split, <level id>__start, <level id>__end


@dataclass
class Prepared:
    """What the rewrites did: ``origin`` maps every inserted or renamed id to the diagram element it stands for."""

    origin: dict[str, str] = field(default_factory=dict)

    def element_of(self, element_id: str | None) -> str | None:
        if element_id is None:
            return None
        return self.origin.get(element_id, element_id)


def q(local: str) -> str:
    return f"{{{BPMN}}}{local}"


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def is_bpmn(element: etree._Element, *names: str) -> bool:
    return element.tag in {q(name) for name in names}


def children(level: etree._Element, *names: str) -> list[etree._Element]:
    tags = {q(name) for name in names}
    return [child for child in level if child.tag in tags]


def levels(root: etree._Element) -> Iterator[etree._Element]:
    """Every process, subprocess and transaction, outermost first."""
    yield from root.iter(*(q(name) for name in LEVELS))


def prepare(root: etree._Element) -> tuple[etree._Element, Prepared]:
    """A rewritten copy of ``root`` and what was done to it."""
    root = copy.deepcopy(root)
    prepared = Prepared()
    ids = {str(value) for value in root.xpath("//@id")}
    strip_reference_prefixes(root, ids)
    inline_event_definitions(root)
    rename_reserved_ids(root, ids, prepared)
    drop_data_stores(root)
    reference_data_objects(root, ids, prepared)
    for level in list(levels(root)):
        link_events_to_flows(level, ids, prepared)
    for level in list(levels(root)):
        split_outgoing_flows(level, ids, prepared)
        start_without_start_event(level, ids, prepared)
        end_open_paths(level, ids, prepared)
    return root, prepared


def _new_id(wanted: str, ids: set[str]) -> str:
    candidate, number = wanted, 1
    while candidate in ids:
        number += 1
        candidate = f"{wanted}{number}"
    ids.add(candidate)
    return candidate


def _add(level: etree._Element, tag: str, element_id: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(level, q(tag), id=element_id)
    for name, value in attributes.items():
        element.set(name, value)
    return element


def _flow(level: etree._Element, ids: set[str], source: str, target: str, prepared: Prepared,
          owner: str) -> etree._Element:
    flow = _add(level, "sequenceFlow", _new_id(f"{source}{SYNTHETIC}to{SYNTHETIC}{target}", ids),
                sourceRef=source, targetRef=target)
    prepared.origin[flow.get("id", "")] = owner
    return flow


def _references(root: etree._Element) -> Iterator[tuple[etree._Element, str | None]]:
    """Every (element, attribute) holding a reference; attribute None means the element's text."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in REFERENCE_ATTRIBUTES:
            if element.get(attribute) is not None:
                yield element, attribute
        if local_name(element) in REFERENCE_TEXTS and element.text:
            yield element, None


def _get(element: etree._Element, attribute: str | None) -> str:
    return (element.text if attribute is None else element.get(attribute)) or ""


def _set(element: etree._Element, attribute: str | None, value: str) -> None:
    if attribute is None:
        element.text = value
    else:
        element.set(attribute, value)


def strip_reference_prefixes(root: etree._Element, ids: set[str]) -> None:
    """``semantic:Message_1`` → ``Message_1`` when the prefix is declared and only the local part is an id."""
    for element, attribute in _references(root):
        value = _get(element, attribute).strip()
        prefix, colon, local = value.partition(":")
        if colon and value not in ids and local in ids and prefix in (element.nsmap or {}):
            _set(element, attribute, local)


def inline_event_definitions(root: etree._Element) -> None:
    """An event may name a definition kept at the top of the file; the parser only reads nested ones."""
    shared = {d.get("id"): d for d in root if local_name(d).endswith("EventDefinition")}
    for reference in list(root.iter(q("eventDefinitionRef"))):
        event = reference.getparent()
        found = shared.get((reference.text or "").strip())
        if event is None or found is None:
            continue
        inlined = copy.deepcopy(found)
        inlined.set("id", f"{event.get('id')}{SYNTHETIC}{found.get('id')}")
        reference.addprevious(inlined)
        event.remove(reference)


def reserved(element_id: str) -> bool:
    return element_id in RESERVED_IDS or element_id.endswith(RESERVED_SUFFIXES)


def rename_reserved_ids(root: etree._Element, ids: set[str], prepared: Prepared) -> None:
    """A start event called ``Start`` would replace SpiffWorkflow's own start step: rename it and its uses."""
    renames = {}
    for element in root.iter():
        element_id = element.get("id") if isinstance(element.tag, str) else None
        if element_id and reserved(element_id) and local_name(element) != "process":
            renames[element_id] = _new_id(f"{element_id.replace(' ', '_').replace('.', '_')}_", ids)
            element.set("id", renames[element_id])
            prepared.origin[renames[element_id]] = element_id
    if renames:
        for element, attribute in _references(root):
            value = _get(element, attribute).strip()
            if value in renames:
                _set(element, attribute, renames[value])


def spiff_data_store_names(root: etree._Element) -> dict[str, str]:
    """Data stores that hold data in SpiffArena (named after its store classes): id → name."""
    return {str(s.get("id")): str(s.get("name")) for s in root.iter(q("dataStore"))
            if s.get("name") in SPIFF_DATA_STORES}


def data_store_ids(root: etree._Element) -> set[str]:
    """Ids of data stores and data store references (associations to them are documentation)."""
    return {str(e.get("id")) for e in root.iter(q("dataStore"), q("dataStoreReference")) if e.get("id")}


def drop_data_stores(root: etree._Element) -> None:
    stores = data_store_ids(root)
    for association in list(root.iter(q("dataInputAssociation"), q("dataOutputAssociation"))):
        ends = [(e.text or "").strip() for e in association if is_bpmn(e, "sourceRef", "targetRef")]
        if any(end in stores for end in ends):
            _remove(association)
    for element in list(root.iter(q("dataStore"), q("dataStoreReference"))):
        _remove(element)


def _remove(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def reference_data_objects(root: etree._Element, ids: set[str], prepared: Prepared) -> None:
    """``<sourceRef>DataObject_1</sourceRef>`` is valid BPMN; the parser only follows data object references."""
    objects = {str(o.get("id")): o for o in root.iter(q("dataObject"))}
    for end in list(root.iter(q("sourceRef"), q("targetRef"))):
        association = end.getparent()
        if association is None or not is_bpmn(association, "dataInputAssociation", "dataOutputAssociation"):
            continue
        found = objects.get((end.text or "").strip())
        holder = found.getparent() if found is not None else None
        if found is None or holder is None:
            continue
        reference = _add(holder, "dataObjectReference", _new_id(f"{found.get('id')}{SYNTHETIC}ref", ids),
                         dataObjectRef=str(found.get("id")))
        prepared.origin[reference.get("id", "")] = str(found.get("id"))
        end.text = reference.get("id")


def link_name(event: etree._Element) -> str | None:
    """The link an event throws or catches (the definition's name, else the event's), None if not a link."""
    definition = event.find("bpmn:linkEventDefinition", NS)
    if definition is None:
        return None
    return (definition.get("name") or event.get("name") or "").strip()


def link_events(level: etree._Element, kind: str) -> list[tuple[etree._Element, str]]:
    found = []
    for event in children(level, kind):
        name = link_name(event)
        if name is not None:
            found.append((event, name))
    return found


def link_events_to_flows(level: etree._Element, ids: set[str], prepared: Prepared) -> None:
    """A link throw event continues at the link catch event of the same name in the same (sub)process."""
    catches: dict[str, etree._Element] = {}
    for event, name in link_events(level, "intermediateCatchEvent"):
        catches.setdefault(name, event)
    for event, name in link_events(level, "intermediateThrowEvent"):
        target = catches.get(name)
        if target is not None:
            _flow(level, ids, str(event.get("id")), str(target.get("id")), prepared, str(event.get("id")))
    for event, _name in [*link_events(level, "intermediateThrowEvent"), *link_events(level, "intermediateCatchEvent")]:
        for definition in event.findall("bpmn:linkEventDefinition", NS):
            event.remove(definition)


def flows_of(level: etree._Element) -> list[etree._Element]:
    return children(level, "sequenceFlow")


def condition_of(flow: etree._Element) -> str | None:
    expression = flow.find("bpmn:conditionExpression", NS)
    text = expression.text if expression is not None else None
    return text if text and text.strip() else None


def _outgoing(level: etree._Element) -> dict[str, list[etree._Element]]:
    found: dict[str, list[etree._Element]] = {}
    for flow in flows_of(level):
        found.setdefault(flow.get("sourceRef", ""), []).append(flow)
    return found


def _incoming(level: etree._Element) -> dict[str, list[etree._Element]]:
    found: dict[str, list[etree._Element]] = {}
    for flow in flows_of(level):
        found.setdefault(flow.get("targetRef", ""), []).append(flow)
    return found


def split_outgoing_flows(level: etree._Element, ids: set[str], prepared: Prepared) -> None:
    """Several flows out of an activity or event, or a conditional or default flow out of an activity."""
    outgoing = _outgoing(level)
    for node in children(level, *ACTIVITIES, "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
        node_id = str(node.get("id"))
        flows = outgoing.get(node_id, [])
        default = node.get("default")
        conditional = is_bpmn(node, *ACTIVITIES) and (default is not None or any(condition_of(f) for f in flows))
        if len(flows) < 2 and not conditional:
            continue
        gateway = _add(level, "inclusiveGateway" if conditional else "parallelGateway",
                       _new_id(f"{node_id}{SYNTHETIC}split", ids))
        gateway_id = str(gateway.get("id"))
        prepared.origin[gateway_id] = node_id
        for flow in flows:
            flow.set("sourceRef", gateway_id)
            if conditional and flow.get("id") != default and condition_of(flow) is None:
                for empty in flow.findall("bpmn:conditionExpression", NS):
                    flow.remove(empty)
                etree.SubElement(flow, q("conditionExpression")).text = "True"  # an unconditional flow is taken
        if default is not None:
            gateway.set("default", default)
            del node.attrib["default"]
        _flow(level, ids, node_id, gateway_id, prepared, node_id)


def _starts_nothing(node: etree._Element) -> bool:
    """Flow nodes that never start a level on their own (BPMN 13.2.1 lists what an implicit start starts)."""
    return (is_bpmn(node, "boundaryEvent", "startEvent", "endEvent")
            or node.get("triggeredByEvent") == "true" or node.get("isForCompensation") == "true"
            or (is_bpmn(node, "intermediateCatchEvent") and node.find("bpmn:linkEventDefinition", NS) is not None))


def start_without_start_event(level: etree._Element, ids: set[str], prepared: Prepared) -> None:
    """Without a start event, every flow node with no incoming flow starts, all at once (BPMN 10.5.2)."""
    if children(level, "startEvent") or level.get("triggeredByEvent") == "true":
        return
    incoming = _incoming(level)
    first = [node for node in children(level, *FLOW_NODES)
             if not incoming.get(str(node.get("id"))) and not _starts_nothing(node)]
    if not first:
        return
    level_id = str(level.get("id"))
    start = _add(level, "startEvent", _new_id(f"{level_id}{SYNTHETIC}start", ids))
    prepared.origin[str(start.get("id"))] = level_id
    for node in first:
        _flow(level, ids, str(start.get("id")), str(node.get("id")), prepared, level_id)


def _ends_nothing(node: etree._Element) -> bool:
    return is_bpmn(node, "endEvent") or node.get("triggeredByEvent") == "true" \
        or node.get("isForCompensation") == "true"


def end_open_paths(level: etree._Element, ids: set[str], prepared: Prepared) -> None:
    """A path that stops at a node without outgoing flow ends there, as if at a none end event (BPMN 10.5.3)."""
    outgoing = _outgoing(level)
    open_ends = [node for node in children(level, *FLOW_NODES)
                 if not outgoing.get(str(node.get("id"))) and not _ends_nothing(node)]
    if not open_ends:
        return
    level_id = str(level.get("id"))
    end = _add(level, "endEvent", _new_id(f"{level_id}{SYNTHETIC}end", ids))
    prepared.origin[str(end.get("id"))] = level_id
    for node in open_ends:
        _flow(level, ids, str(node.get("id")), str(end.get("id")), prepared, str(node.get("id")))
