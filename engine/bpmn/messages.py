"""Messages and signals between a case and the world outside it, as seen inside the engine's child process.

What a case waits for (a message catch event, receive task, message boundary event, event-based gateway, a
signal, an event subprocess's message or signal start) is listed after every run, with the correlation values
a message must carry to reach it, so the server keeps an indexed table of waits and never loads cases to find
out. What a case throws that leaves it (a message no step of its own catches; every signal, since a signal is
broadcast) is reported too, for the server to deliver to other cases. Delivering an event to a case, or starting
one at a message start event, happens here, in a run."""

from __future__ import annotations

import hashlib
import json
from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent, EventManager
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition, SignalEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.case_data import UnstorableValue, check_value
from engine.bpmn.service_tasks import waiting_service_tasks
from engine.errors import ExpressionError

MAX_THROWN_PER_RUN = 100  # messages and signals one run may send out of its case
MAX_PAYLOAD_BYTES = 256 * 1024  # one message's or signal's data, as JSON
KINDS = {MessageEventDefinition: "message", SignalEventDefinition: "signal"}


class WatchedEvents(EventManager):
    """SpiffWorkflow's event manager, remembering what the case waited for when the run began and every signal
    it throws (a signal is broadcast: other cases hear it even when a step of this case catches it too)."""

    waits_before: list[dict[str, Any]]
    services_before: set[str]
    signals: list[Any]

    def catch(self, event: Any, internal: bool = True) -> int:
        if internal and isinstance(event.event_definition, SignalEventDefinition) and event.target is None:
            self.signals.append(event)
        return int(super().catch(event, internal) or 0)


def watch(workflow: Any, *, new: bool = False) -> None:
    """Have the run's workflow remember its waits before the run and the signals it throws (see ``summarize``)."""
    manager = workflow.event_manager
    manager.__class__ = WatchedEvents
    manager.waits_before = [] if new else waits(workflow)
    manager.services_before = set() if new else {str(task.id) for task in waiting_service_tasks(workflow)}
    manager.signals = []


def correlation_hash(values: dict[str, Any]) -> str:
    """The index key of a set of correlation values (a correlation key's properties and their values)."""
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _definitions(definition: Any) -> list[Any]:
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition]


def _kind(definition: Any) -> str | None:
    for cls, kind in KINDS.items():
        if isinstance(definition, cls):
            return kind
    return None


def waits(workflow: Any) -> list[dict[str, Any]]:
    """Every message and signal the case waits for now: ``{kind, name, element, correlation_key, correlation}``,
    one row per correlation key a message's correlation properties use (the case's current values for it, or None
    when it has none yet: such a wait accepts any values, as SpiffWorkflow does)."""
    if workflow.completed:
        return []
    found: list[dict[str, Any]] = []
    for task in list(workflow.event_manager.tasks.values()):
        for definition in _definitions(task.task_spec.event_definition):
            found += _rows(definition, task.task_spec, getattr(task.workflow, "correlations", {}))
    for name in getattr(workflow.spec.start, "trigger_specs", []):  # event subprocesses started by an event
        spec = workflow.subprocess_specs.get(name)
        for start in getattr(spec, "bpmn_start_events", []) if spec is not None else []:
            found += _rows(start.event_definition, start, workflow.correlations)
    unique = {json.dumps(row, sort_keys=True, default=str): row for row in found}
    return sorted(unique.values(), key=lambda row: (row["kind"], row["name"], row["element"],
                                                   row["correlation_key"] or ""))


def _rows(definition: Any, spec: Any, correlations: dict[str, Any]) -> list[dict[str, Any]]:
    kind = _kind(definition)
    if kind is None or not definition.name:
        return []
    element = getattr(spec, "bpmn_id", None) or spec.name
    keys = sorted({key for prop in getattr(definition, "correlation_properties", []) for key in prop.correlation_keys})
    base = {"kind": kind, "name": str(definition.name), "element": str(element)}
    if kind == "signal" or not keys:
        return [{**base, "correlation_key": None, "correlation": None}]
    rows = []
    for key in keys:
        values = correlations.get(key)
        rows.append({**base, "correlation_key": key if values else None, "correlation": dict(values) if values
                     else None})
    return rows


def thrown(workflow: Any) -> list[dict[str, Any]]:
    """The messages and signals this run sent out of the case (taken off the workflow: call once per run); a message
    whose correlation values are all empty is addressed to nobody and left out."""
    manager = workflow.event_manager
    events = [event for event in workflow.get_events() if isinstance(event.event_definition, MessageEventDefinition)]
    events += list(getattr(manager, "signals", []))
    if isinstance(manager, WatchedEvents):
        manager.signals = []
    if len(events) > MAX_THROWN_PER_RUN:
        raise ExpressionError(f"the run sent {len(events)} messages and signals, over the limit of "
                              f"{MAX_THROWN_PER_RUN} per run: a loop that throws?")
    out = []
    for event in events:
        kind = "signal" if isinstance(event.event_definition, SignalEventDefinition) else "message"
        if kind == "message" and addressed_to_nobody(event.correlations):
            continue
        payload = event.payload
        try:
            check_value(f"{kind} {event.event_definition.name}", payload)
        except UnstorableValue as error:
            raise ExpressionError(f"the {kind}'s data {error}") from None
        if len(json.dumps(payload, ensure_ascii=False, default=str).encode()) > MAX_PAYLOAD_BYTES:
            raise ExpressionError(f"the {kind} {event.event_definition.name!r} carries more than "
                                  f"{MAX_PAYLOAD_BYTES // 1024} KiB of data")
        out.append({"kind": kind, "name": str(event.event_definition.name), "payload": payload,
                    "correlations": deepcopy(event.correlations or {}) if kind == "message" else {}})
    return out


def addressed_to_nobody(correlations: dict[str, Any] | None) -> bool:
    """A message whose correlation values are all empty names no case to reach (a case that can also run on its own
    answers "the case that sent me" this way, and has none): it is not sent."""
    values = [value for props in (correlations or {}).values() if isinstance(props, dict) for value in props.values()]
    return bool(values) and all(value is None or value == "" for value in values)


def make_event(kind: str, name: str, payload: Any, correlations: dict[str, Any] | None = None) -> Any:
    if kind == "message":
        return BpmnEvent(MessageEventDefinition(name), payload=payload, correlations=dict(correlations or {}))
    return BpmnEvent(SignalEventDefinition(name), payload=payload)


def _catchers(workflow: Any, event: Any) -> list[Any]:
    return [task for task in list(workflow.event_manager.tasks.values()) if task.task_spec.catches(task, event)]


def deliver(workflow: Any, kind: str, name: str, payload: Any, correlations: dict[str, Any] | None) -> int:
    """Hand a message or signal to the case: the steps waiting for it catch it (how many did). ``correlations``
    None: the message is addressed to this case (by its id or business key), whatever its correlation values."""
    if kind == "message" and correlations is None:
        correlations = deepcopy(workflow.correlations)
    event = make_event(kind, name, payload, correlations)
    catchers = _catchers(workflow, event)
    caught = workflow.event_manager.catch(event, internal=False)
    for task in catchers:
        _merge_payload(task, event)
    return int(caught or 0)


def _merge_payload(task: Any, event: Any) -> None:
    """A catch event that names no variable for the data (spiffworkflow:messageVariable, a signal's variableName)
    merges an object's fields into the case data, as the API and the README say."""
    definition = event.event_definition
    named = getattr(definition, "message_var", None) if isinstance(definition, MessageEventDefinition) \
        else getattr(definition, "variable", None)
    for candidate in _definitions(task.task_spec.event_definition):
        if candidate == definition:
            named = getattr(candidate, "message_var", None) or getattr(candidate, "variable", None)
    if named is None and isinstance(event.payload, dict):
        task.data.update(deepcopy(event.payload))


def message_start_names(spec: Any) -> set[str]:
    """The messages that start a case of this process: its message start events (the start events of
    subprocesses and event subprocesses have specs of their own)."""
    return {str(definition.name) for start in spec.task_specs.values() if isinstance(start, StartEvent)
            for definition in _definitions(start.event_definition) if isinstance(definition, MessageEventDefinition)}


def start_by_message(workflow: Any, name: str, payload: Any, correlations: dict[str, Any]) -> bool:
    """Begin a new case at its message start event for ``name``: the other start events are cancelled, so only
    the message's path runs. False when no start event of the process catches it."""
    for _ in range(3):  # the root task, then the split in front of several start events
        ready = [task for task in workflow.get_tasks(state=TaskState.READY)
                 if not isinstance(task.task_spec, StartEvent)]
        if not ready:
            break
        for task in ready:
            task.run()
    for task in workflow.get_tasks(state=TaskState.READY):
        if isinstance(task.task_spec, StartEvent):
            task.cancel()
    return deliver(workflow, "message", name, payload, correlations) > 0
