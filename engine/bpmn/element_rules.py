"""The rule for every element: what the engine cannot run as BPMN says is refused here, naming the element and
what to use instead (the catalogue is ``compatibility.py``); what it runs after a rewrite is left to
``rewrite.py``. These checks also catch, with a clear message, what SpiffWorkflow's parser would fail on."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from engine.bpmn import rewrite
from engine.bpmn.compatibility import ELEMENTS, EVENT_RULES, VENDORS
from engine.bpmn.problems import NS, Report, executable_processes, in_processes, label, local_name, quote
from engine.bpmn.service_tasks import MAX_RETRIES, TOPIC_PATTERN

PYTHON_LANGUAGES = ("", "python", "python3", "text/python", "text/x-python", "application/x-python")
REFERENCES = {"messageEventDefinition": ("messageRef", "message"),
              "signalEventDefinition": ("signalRef", "signal"),
              "errorEventDefinition": ("errorRef", "error"),
              "escalationEventDefinition": ("escalationRef", "escalation"),
              "sendTask": ("messageRef", "message"), "receiveTask": ("messageRef", "message")}
FLOW_SOURCES_WITHOUT_CONDITIONS = ("parallelGateway", "eventBasedGateway", *rewrite.EVENTS)


def check_elements(name: str, root: etree._Element, report: Report) -> None:
    """Every element rule of the catalogue and every structure the engine would misread."""
    for check in (check_catalogue, check_events, check_references, check_flows, check_links, check_tasks,
                  check_properties, check_data, check_levels):
        check(name, root, report)


def _event_of(definition: etree._Element) -> etree._Element:
    parent = definition.getparent()
    return parent if parent is not None else definition


def _rule(report: Report, name: str, element: etree._Element, key: str, *, at: etree._Element | None = None,
          **values: str) -> None:
    rule = EVENT_RULES[key]
    report.add(name, (at if at is not None else element).sourceline,
               f"{label(element)}: {rule.advice.format(**values)}", element=element)


def check_catalogue(name: str, root: etree._Element, report: Report) -> None:
    """Elements and settings the catalogue refuses."""
    for kind, rule in ELEMENTS.items():
        if rule.verdict == "refused":
            for element in in_processes(root, f"bpmn:{kind}"):
                report.add(name, element.sourceline, f"{label(element)}: {rule.advice}", element=element)
    for definition in in_processes(root, "bpmn:compensateEventDefinition"):
        _rule(report, name, _event_of(definition), "compensateEventDefinition", at=definition)
    for activity in in_processes(root, *(f"bpmn:{kind}" for kind in rewrite.ACTIVITIES)):
        if activity.get("isForCompensation") == "true":
            _rule(report, name, activity, "isForCompensation")
    for process in executable_processes(root):
        for start in rewrite.children(process, "startEvent"):
            if start.find("bpmn:timerEventDefinition", NS) is not None:
                _rule(report, name, start, "timerStart")
            if start.find("bpmn:conditionalEventDefinition", NS) is not None:
                _rule(report, name, start, "conditionalStart")
    for gateway in in_processes(root, "bpmn:eventBasedGateway"):
        if gateway.get("instantiate") == "true":
            _rule(report, name, gateway, "instantiate")
        if (gateway.get("eventGatewayType") or "Exclusive") != "Exclusive":
            _rule(report, name, gateway, "parallelEventGateway")
    for adhoc in in_processes(root, "bpmn:adHocSubProcess"):
        if adhoc.get("ordering") == "Sequential":
            _rule(report, name, adhoc, "sequentialAdHoc")
    for kind, key in (("humanPerformer", "resourceRole"), ("potentialOwner", "resourceRole"),
                      ("performer", "resourceRole"), ("resourceRole", "resourceRole"), ("rendering", "rendering"),
                      ("complexBehaviorDefinition", "complexBehaviorDefinition")):
        for element in in_processes(root, f"bpmn:{kind}"):
            owner = element.getparent()
            owner = owner.getparent() if owner is not None and local_name(owner) == "multiInstanceLoopCharacteristics" \
                else owner
            _rule(report, name, owner if owner is not None else element, key, at=element, what=f"bpmn:{kind}")
    for task in in_processes(root, "bpmn:scriptTask"):
        if (task.get("scriptFormat") or "").strip().lower() not in PYTHON_LANGUAGES:
            _rule(report, name, task, "scriptFormat")
    for expression in in_processes(root, "bpmn:conditionExpression", "bpmn:condition"):
        language = (expression.get("language") or "").strip()
        if language.lower() not in PYTHON_LANGUAGES:
            owner = expression.getparent()
            if owner is not None and local_name(owner) == "conditionalEventDefinition":
                owner = _event_of(owner)
            _rule(report, name, owner if owner is not None else expression, "conditionLanguage", at=expression,
                  value=quote(language))


def check_events(name: str, root: etree._Element, report: Report) -> None:
    """Event definitions the parser needs filled in, and events that need one."""
    for timer in in_processes(root, "bpmn:timerEventDefinition"):
        if not any(timer.find(f"bpmn:{kind}", NS) is not None for kind in ("timeDate", "timeDuration", "timeCycle")):
            report.add(name, timer.sourceline, f"{label(_event_of(timer))}: its timer has no time: give it a "
                                               "timeDate (e.g. working_days(3)), a timeDuration (e.g. 'P3D') or a "
                                               "timeCycle (e.g. 'R3/PT1H')", element=_event_of(timer))
    for definition in in_processes(root, "bpmn:conditionalEventDefinition"):
        condition = definition.find("bpmn:condition", NS)
        if condition is None or not (condition.text or "").strip():
            report.add(name, definition.sourceline, f"{label(_event_of(definition))}: its conditional event has no "
                                                    "condition: write one in Python, e.g. approved == True",
                       element=_event_of(definition))
    triggers = ("timerEventDefinition", "messageEventDefinition", "signalEventDefinition", "errorEventDefinition",
                "escalationEventDefinition", "conditionalEventDefinition", "cancelEventDefinition",
                "compensateEventDefinition", "eventDefinitionRef")
    for event in in_processes(root, "bpmn:boundaryEvent"):
        if not any(event.find(f"bpmn:{kind}", NS) is not None for kind in triggers):
            report.add(name, event.sourceline, f"{label(event)}: a boundary event needs a trigger: give it a "
                                               "timer, error, escalation, message, signal or conditional event "
                                               "definition, or delete it", element=event)
    for definition in in_processes(root, "bpmn:cancelEventDefinition"):
        event = _event_of(definition)
        holder = event.getparent()
        attached = _attached_to(root, event) if rewrite.is_bpmn(event, "boundaryEvent") else holder
        if attached is None or local_name(attached) != "transaction":
            report.add(name, definition.sourceline, f"{label(event)}: cancel events belong to transactions (a cancel "
                                                    "end event inside one, a cancel boundary event on one): use an "
                                                    "error event instead", element=event)


def _attached_to(root: etree._Element, event: etree._Element) -> etree._Element | None:
    found = root.xpath("//*[@id=$id]", id=(event.get("attachedToRef") or "").partition(":")[2]
                       or event.get("attachedToRef") or "")
    return found[0] if isinstance(found, list) and found and isinstance(found[0], etree._Element) else None


def _resolve(element: etree._Element, value: str, ids: dict[str, etree._Element]) -> etree._Element | None:
    """An id reference, read as the parser's copy will (a declared prefix dropped)."""
    if value in ids:
        return ids[value]
    prefix, colon, local = value.partition(":")
    return ids.get(local) if colon and prefix in (element.nsmap or {}) else None


def _ids(root: etree._Element) -> dict[str, etree._Element]:
    return {str(e.get("id")): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}


def check_references(name: str, root: etree._Element, report: Report) -> None:
    """Messages, signals, errors and escalations that events name are defined in the same file, and named."""
    ids = _ids(root)
    for kind, (attribute, target) in REFERENCES.items():
        for element in in_processes(root, f"bpmn:{kind}"):
            value = (element.get(attribute) or "").strip()
            owner = element if kind in ("sendTask", "receiveTask") else _event_of(element)
            if not value:
                continue
            found = _resolve(element, value, ids)
            if found is None or local_name(found) != target:
                prefix, colon, local = value.partition(":")
                wanted = local if colon and prefix in (element.nsmap or {}) else value
                report.add(name, element.sourceline,
                           f"{label(owner)}: {attribute}=\"{quote(value)}\" names no {target} of this file: add "
                           f"<bpmn:{target} id=\"{quote(wanted)}\" name=\"…\"/> at the top of the file, or pick one "
                           "it defines", element=owner)
    for message in root.iter(rewrite.q("message"), rewrite.q("signal")):
        if not (message.get("name") or "").strip():
            report.add(name, message.sourceline, f"{local_name(message)} '{quote(message.get('id'))}' has no name: "
                                                 f"name it (the name is what reaches a case)")


def check_flows(name: str, root: etree._Element, report: Report) -> None:
    """Sequence flows stay inside one (sub)process and carry conditions only where BPMN lets them choose."""
    ids = _ids(root)
    for flow in in_processes(root, "bpmn:sequenceFlow"):
        level = flow.getparent()
        for end in ("sourceRef", "targetRef"):
            found = _resolve(flow, (flow.get(end) or "").strip(), ids)
            if found is None:
                continue
            if not rewrite.is_bpmn(found, *rewrite.FLOW_NODES):
                report.add(name, flow.sourceline, f"sequence flow '{quote(flow.get('id'))}' connects "
                                                  f"{label(found)}, which is not an event, activity or gateway",
                           element=flow)
            elif found.getparent() is not level:
                report.add(name, flow.sourceline, f"sequence flow '{quote(flow.get('id'))}' connects {label(found)}, "
                                                  "which is in another (sub)process: a sequence flow stays inside "
                                                  "one; end the subprocess instead, or use a message between pools",
                           element=flow)
        source = _resolve(flow, (flow.get("sourceRef") or "").strip(), ids)
        if source is not None and rewrite.is_bpmn(source, *FLOW_SOURCES_WITHOUT_CONDITIONS) \
                and rewrite.condition_of(flow) is not None:
            report.add(name, flow.sourceline, f"sequence flow '{quote(flow.get('id'))}' out of {label(source)} has a "
                                              "condition, which BPMN ignores there: remove it, or choose branches "
                                              "with an exclusive or inclusive gateway", element=flow)


def check_links(name: str, root: etree._Element, report: Report) -> None:
    """Each link throw event jumps to exactly one link catch event of the same name and (sub)process."""
    for level in rewrite.levels(root):
        if not _checked(root, level):
            continue
        catches: dict[str, list[etree._Element]] = {}
        for event, link in rewrite.link_events(level, "intermediateCatchEvent"):
            catches.setdefault(link, []).append(event)
        for link, events in catches.items():
            if len(events) > 1:
                report.add(name, events[1].sourceline, f"{label(events[1])}: {len(events)} link catch events are "
                                                       f"named '{quote(link)}' in {label(level)}: a link jumps to "
                                                       "one; rename one of them", element=events[1])
        for event, link in rewrite.link_events(level, "intermediateThrowEvent"):
            if not link:
                report.add(name, event.sourceline, f"{label(event)}: its link has no name: name the link the same "
                                                   "as the link catch event it jumps to", element=event)
            elif link not in catches:
                report.add(name, event.sourceline, f"{label(event)}: no link catch event named '{quote(link)}' is "
                                                   f"in {label(level)}: add one there (a link jumps within its own "
                                                   "process or subprocess), or name the link like an existing one",
                           element=event)


def _checked(root: etree._Element, element: etree._Element) -> bool:
    checked = {p.get("id") for p in executable_processes(root)}
    process = element if local_name(element) == "process" else next(
        (a for a in element.iterancestors() if local_name(a) == "process"), None)
    return process is not None and process.get("id") in checked


def check_tasks(name: str, root: etree._Element, report: Report) -> None:
    """Tasks that need content the parser reads."""
    for task in in_processes(root, "bpmn:scriptTask"):
        script = task.find("bpmn:script", NS)
        if _vendor_script(task):
            continue  # another engine's script setting: its hint says where the Python goes
        if script is None or not (script.text or "").strip():
            report.add(name, task.sourceline, f"{label(task)} has no script: write Python in it, or make it a "
                                              "plain task", element=task)
    for task in in_processes(root, "bpmn:serviceTask"):
        check_service_task(name, task, report)
    for task in in_processes(root, "bpmn:businessRuleTask"):
        decision = task.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
        vendor = any(etree.QName(attribute).localname == "decisionRef" for attribute in task.attrib) or any(
            local_name(child) == "calledDecision" for child in task.iterfind("bpmn:extensionElements/*", NS))
        if (decision is None or not (decision.text or "").strip()) and not vendor:
            report.add(name, task.sourceline, f"{label(task)} names no decision: add <spiffworkflow:calledDecisionId>"
                                              "DECISION_ID</spiffworkflow:calledDecisionId> inside its "
                                              "bpmn:extensionElements, the id of a decision in a .dmn uploaded "
                                              "with the flow", element=task)


SERVICE_TASK_HELP = ("a service task hands work to an outside system: add <spiffworkflow:serviceTaskOperator "
                     "id=\"TOPIC\" resultVariable=\"VAR\"> inside its bpmn:extensionElements (external workers of "
                     "TOPIC, e.g. finance.payment, fetch the job; their answer goes into VAR), with "
                     "<spiffworkflow:parameters><spiffworkflow:parameter id=\"NAME\" type=\"str\" "
                     "value=\"EXPRESSION\"/> for what they need")


def check_service_task(name: str, task: etree._Element, report: Report) -> None:
    """A service task names its topic (a job for external workers of it), a result variable and parameters the
    engine can read."""
    operator = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
    vendor = any(etree.QName(attribute).namespace in VENDORS for attribute in task.attrib) or any(
        etree.QName(child).namespace in VENDORS for child in task.iterfind("bpmn:extensionElements/*", NS))
    if operator is None:
        if not vendor:  # another engine's setting names its own topic: its hint says what to write
            report.add(name, task.sourceline, f"{label(task)} names no service operator: {SERVICE_TASK_HELP}",
                       element=task)
        return
    topic = (operator.get("id") or "").strip()
    if not TOPIC_PATTERN.fullmatch(topic):
        report.add(name, operator.sourceline, f"{label(task)}: topic '{quote(topic)}' (the serviceTaskOperator's id) "
                                              "must be 1 to 120 letters, digits, '.', '_', ':' or '-', starting "
                                              "with a letter or digit, e.g. finance.payment", element=task)
    result = operator.get("resultVariable")
    if result is not None and result != "" and (not result.isidentifier() or result.startswith("_")):
        report.add(name, operator.sourceline, f"{label(task)}: resultVariable '{quote(result)}' must be a variable "
                                              "name (letters, digits and '_', not starting with '_' or a digit)",
                   element=task)
    seen: set[str] = set()
    for parameter in operator.iterfind("spiffworkflow:parameters/spiffworkflow:parameter", NS):
        parameter_id = parameter.get("id") or ""
        if not parameter_id.strip():
            report.add(name, parameter.sourceline, f"{label(task)}: a spiffworkflow:parameter has no id: name it",
                       element=task)
        elif parameter_id in seen:
            report.add(name, parameter.sourceline, f"{label(task)}: parameter '{quote(parameter_id)}' is given twice",
                       element=task)
        seen.add(parameter_id)
        if parameter.get("type") is None or parameter.get("value") is None:
            report.add(name, parameter.sourceline, f"{label(task)}: parameter '{quote(parameter_id)}' needs a type "
                                                   "(e.g. type=\"str\") and a value (a Python expression, e.g. "
                                                   "value=\"applicant_name\" or value=\"'text'\")", element=task)
    for retry in operator.iterfind("spiffworkflow:retry", NS):
        retries = retry.get("retries")
        if retries is not None and not (retries.isdigit() and int(retries) <= MAX_RETRIES):
            report.add(name, retry.sourceline, f"{label(task)}: retries=\"{quote(retries)}\" must be a whole number "
                                               f"from 0 to {MAX_RETRIES}", element=task)


def check_properties(name: str, root: etree._Element, report: Report) -> None:
    """SpiffArena's extension properties are name/value pairs; the parser reads both."""
    for prop in in_processes(root, "spiffworkflow:property"):
        if prop.get("name") is None or prop.get("value") is None:
            holder = next((a for a in prop.iterancestors() if a.get("id")), prop)
            report.add(name, prop.sourceline, f"{label(holder)}: a spiffworkflow:property needs both a name and a "
                                              "value", element=holder)


def _vendor_script(task: etree._Element) -> bool:
    return any(etree.QName(attribute).namespace in VENDORS for attribute in task.attrib
               if etree.QName(attribute).localname == "resource") or any(
        etree.QName(child).namespace in VENDORS and local_name(child) == "script"
        for child in task.iterfind("bpmn:extensionElements/*", NS))


def check_data(name: str, root: etree._Element, report: Report) -> None:
    """Data associations reach data objects the parser can find; SpiffArena's data-holding stores are refused."""
    ids = _ids(root)
    stores = rewrite.data_store_ids(root)
    spiff_stores = rewrite.spiff_data_store_names(root)
    for association in in_processes(root, "bpmn:dataInputAssociation", "bpmn:dataOutputAssociation"):
        owner = association.getparent()
        ends = {local_name(e): e for e in association if rewrite.is_bpmn(e, "sourceRef", "targetRef")}
        found = {kind: _resolve(end, (end.text or "").strip(), ids) for kind, end in ends.items()}
        if owner is None:
            continue
        touched = [e for e in found.values() if e is not None and str(e.get("id")) in stores]
        if touched:  # documentation, unless it is one of SpiffArena's stores that hold data
            store = touched[0] if local_name(touched[0]) == "dataStore" else \
                _resolve(touched[0], touched[0].get("dataStoreRef") or "", ids)
            store_id = str(store.get("id")) if store is not None else ""
            if store_id in spiff_stores:
                report.add(name, association.sourceline, f"{label(owner)}: it reads or writes the SpiffArena "
                                                         f"{spiff_stores[store_id]} '{quote(store_id)}', which holds "
                                                         "data between cases; this platform keeps no data stores: "
                                                         "keep the data in the case, or fetch it with a service "
                                                         "task", element=owner)
            continue
        data_end = "sourceRef" if local_name(association) == "dataInputAssociation" else "targetRef"
        data = found.get(data_end)
        if data is not None and local_name(data) not in ("dataObjectReference", "dataObject"):
            report.add(name, ends[data_end].sourceline, f"{label(owner)}: its data association names "
                                                        f"{label(data)}; only data objects are read and written "
                                                        "here: connect it to a data object reference", element=owner)
    for reference in in_processes(root, "bpmn:dataObjectReference"):
        target = _resolve(reference, (reference.get("dataObjectRef") or "").strip(), ids)
        level = reference.getparent()
        if target is None or local_name(target) != "dataObject":
            report.add(name, reference.sourceline, f"{label(reference)} names no data object: set dataObjectRef "
                                                   "to a bpmn:dataObject of its process", element=reference)
        elif level is not None and target.getparent() is not level and target.getparent() is not level.getparent():
            report.add(name, reference.sourceline, f"{label(reference)}: its data object '{quote(target.get('id'))}' "
                                                   "is defined two or more (sub)processes further out; the engine "
                                                   "reads data objects of the same (sub)process or the one around "
                                                   "it: define the data object there", element=reference)


def _flow_nodes(level: etree._Element) -> Iterator[etree._Element]:
    yield from rewrite.children(level, *rewrite.FLOW_NODES)


def check_levels(name: str, root: etree._Element, report: Report) -> None:
    """Every process has something to run, event subprocesses start with a trigger, and nothing is unreachable."""
    for process in executable_processes(root):
        if not (process.get("id") or "").strip():
            report.add(name, process.sourceline, "a process has no id: give it one (it becomes the flow's key)")
        if not any(True for _ in _flow_nodes(process)):
            report.add(name, process.sourceline, f"{label(process)} has nothing to run: draw its start event "
                                                 "and its steps", element=process.get("id"))
    for level in [*executable_processes(root), *in_processes(root, "bpmn:subProcess", "bpmn:transaction")]:
        starts = rewrite.children(level, "startEvent")
        if level.get("triggeredByEvent") == "true":
            if len(starts) != 1:
                report.add(name, level.sourceline, f"{label(level)}: an event subprocess starts with exactly one "
                                                   "start event with a trigger (timer, message, signal, error or "
                                                   f"escalation); it has {len(starts)}", element=level)
            continue
        if not starts:
            continue  # every node without an incoming flow starts (rewrite.py)
        targets = set()
        for flow in rewrite.flows_of(level):
            target = (flow.get("targetRef") or "").strip()
            targets |= {target, target.partition(":")[2]}
        linked = {link for _event, link in rewrite.link_events(level, "intermediateThrowEvent")}
        for node in _flow_nodes(level):
            if node.get("id") in targets or rewrite.is_bpmn(node, "startEvent", "boundaryEvent"):
                continue
            if node.get("triggeredByEvent") == "true" or node.get("isForCompensation") == "true":
                continue
            link = rewrite.link_name(node) if rewrite.is_bpmn(node, "intermediateCatchEvent") else None
            if link is not None and link in linked:
                continue
            if link is not None:
                report.add(name, node.sourceline, f"{label(node)}: no link throw event jumps to link "
                                                  f"'{quote(link)}' in {label(level)}, so it never runs: add one "
                                                  "there, or delete it", element=node)
                continue
            report.add(name, node.sourceline, f"{label(node)} has no incoming sequence flow, so it never runs: "
                                              "connect it, or delete it", element=node)
