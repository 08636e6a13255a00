"""Instance state as JSON, with the spec stored by reference (per version), never inside the instance."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.task import Task

from engine.bpmn.service_tasks import ExternalServiceTask
from engine.bpmn.timers import CLOCK_TIMER_CLASSES


class _SpecByReferenceConverter(BpmnWorkflowConverter):
    """Like Spiff's own converter, minus the spec: the caller hands the cached spec back on restore."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None,
                  subprocess_specs: dict[str, Any] | None = None) -> BpmnWorkflow:
        if spec is None:
            raise ValueError("restoring an instance needs its version's spec")
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


@dataclass(frozen=True)
class _Appended:
    """In a task's data delta: the items appended to a list its parent already had (not the whole list)."""

    items: list[Any]


# What most tasks hold, left out of the stored task and put back when it is read: a case keeps every task it went
# through, so a case that runs for years (a monthly subsidy) stores these some 200 times over.
_DEFAULTS: dict[str, Any] = {"triggered": False, "internal_data": {}, "data": {}}


#: The text of the task ids a process has written lately: a case's tasks are written again at each of its runs, and
#: ``str(UUID)`` is a good part of the cost of writing one. Emptied when it reaches this many entries.
ID_TEXT_CACHE = 20_000
_ID_TEXT: dict[UUID, str] = {}


def _id_text(task_id: UUID) -> str:
    text = _ID_TEXT.get(task_id)
    if text is None:
        if len(_ID_TEXT) >= ID_TEXT_CACHE:
            _ID_TEXT.clear()
        text = _ID_TEXT[task_id] = str(task_id)
    return text


class _CompactTaskConverter(TaskConverter):
    """Spiff stores, per task, the full value of each top-level key it changed: a list that grows by one
    entry per step (payments) would be stored again whole at every step — quadratic. Appends are stored as
    the appended items only. And a task's fields that hold nothing (no data of its own, no internal data, not
    triggered, no change to its parent's data) are left out.

    Spiff's ``TaskConverter.to_dict`` followed by that compaction, written out as one pass: every run's answer
    is written this way while the person who asked waits, and the two passes cost twice as much (what they write
    is the same, key for key: tests/test_serialization_compact.py)."""

    def to_dict(self, task: Any) -> dict[str, Any]:
        parent_id = task._parent  # noqa: SLF001 — what Spiff's own converter reads
        parent = task.workflow.tasks.get(parent_id) if parent_id is not None else None
        dct: dict[str, Any] = {
            "id": _id_text(task.id), "parent": _id_text(parent_id) if parent is not None else None,
            "children": [_id_text(child) for child in task._children],  # noqa: SLF001
            "last_state_change": task.last_state_change, "state": task.state, "task_spec": task.task_spec.name}
        if task.triggered:
            dct["triggered"] = task.triggered
        if task.internal_data:
            internal = self.registry.convert(task.internal_data)
            if internal != {}:
                dct["internal_data"] = internal
        data = task.data
        if parent is None:  # the root holds its data whole
            if data != {}:
                dct["data"] = data
            dct["delta"] = {}
            return dct
        before = parent.data
        updates: dict[str, Any] = {}
        for key, value in data.items():
            if key in before:
                old = before[key]
                if value == old:
                    continue
                if isinstance(value, list) and isinstance(old, list) and 0 < len(old) <= len(value) \
                        and value[:len(old)] == old:
                    value = _Appended(value[len(old):])
            updates[key] = value
        deletions = [key for key in before if key not in data]
        if updates or deletions:  # else left out: read back as "no change", the parent's data
            dct["delta"] = {"updates": updates, "deletions": deletions}
        return dct

    @staticmethod
    def expand(dct: dict[str, Any]) -> None:
        """Put a stored task's left-out fields back (a state stored with every field is left as it is)."""
        for key, empty in _DEFAULTS.items():
            if key not in dct:
                dct[key] = type(empty)()
        if "delta" not in dct:
            dct["delta"] = {"updates": {}, "deletions": []} if dct.get("parent") is not None else {}

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Any:
        self.expand(dct)
        task = super().from_dict(dct, workflow)
        for key, value in list(task.data.items()):
            if isinstance(value, _Appended):
                task.data[key] = list(task.parent.data.get(key, [])) + list(value.items)
        return task


class InstanceSerializer:
    """Turns a running workflow into a compact JSON document and back."""

    def __init__(self) -> None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _SpecByReferenceConverter
        config[Task] = _CompactTaskConverter
        config[ExternalServiceTask] = ServiceTaskConverter  # compared by version migrations (diff_workflow)
        for clock_class in CLOCK_TIMER_CLASSES.values():  # an event-based gateway keeps the event that fired
            config[clock_class] = TimerConditionalEventDefinitionConverter
        registry = BpmnWorkflowSerializer.configure(config)
        registry.register(_Appended, lambda appended: {"items": appended.items},
                          lambda dct: _Appended(list(dct["items"])), typename="AppendedItems")
        self._serializer = BpmnWorkflowSerializer(registry)

    @property
    def registry(self) -> Any:
        """The converter registry (SpiffWorkflow's spec diff uses it to compare versions)."""
        return self._serializer.registry

    def dumps(self, workflow: BpmnWorkflow) -> str:
        return str(self._serializer.serialize_json(workflow))

    def loads(self, state: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        dct = json.loads(state)
        # Every field back before SpiffWorkflow sees the state: its migrations of older states expect them all.
        for tasks in (dct.get("tasks") or {}, *((sub.get("tasks") or {}) for sub in (dct.get("subprocesses") or {})
                                               .values())):
            for task in tasks.values():
                _CompactTaskConverter.expand(task)
        self._serializer.migrate(dct)
        workflow = self._serializer.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
        assert isinstance(workflow, BpmnWorkflow)
        return workflow
