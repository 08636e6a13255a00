"""Instance state as JSON, with the spec stored by reference (per version), never inside the instance."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG


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


class InstanceSerializer:
    """Turns a running workflow into a compact JSON document and back."""

    def __init__(self) -> None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _SpecByReferenceConverter
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))

    def dumps(self, workflow: BpmnWorkflow) -> str:
        return str(self._serializer.serialize_json(workflow))

    def loads(self, state: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        dct = json.loads(state)
        self._serializer.migrate(dct)
        workflow = self._serializer.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
        assert isinstance(workflow, BpmnWorkflow)
        return workflow
