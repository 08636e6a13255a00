"""The one-pass task writer (engine/bpmn/serialization.py) writes what SpiffWorkflow's own task converter followed by
OneStop's compaction wrote, key for key and in the same order: stored states, the restore-ahead check (which compares
state texts) and every state already in a database stay as they were."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from conftest import at
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter

from engine.bpmn import serialization
from engine.bpmn.serialization import InstanceSerializer
from engine.store.models import ProcessInstance


def _spiff_then_compact(self: Any, task: Any) -> dict[str, Any]:
    """The two passes the one-pass writer replaces: Spiff's converter, then the compaction applied to its output."""
    dct: dict[str, Any] = TaskConverter.to_dict(self, task)
    updates = (dct.get("delta") or {}).get("updates") or {}
    parent = task.parent.data if task.parent is not None else {}
    for key, value in list(updates.items()):
        before = parent.get(key)
        if isinstance(value, list) and isinstance(before, list) and 0 < len(before) <= len(value) \
                and value[:len(before)] == before:
            updates[key] = serialization._Appended(value[len(before):])
    for key, empty in (("triggered", False), ("internal_data", {}), ("data", {})):
        if dct.get(key) == empty:
            del dct[key]
    if task.parent is not None and dct.get("delta") == {"updates": {}, "deletions": []}:
        del dct["delta"]
    return dct


@pytest.fixture()
def two_writers(monkeypatch: pytest.MonkeyPatch) -> tuple[InstanceSerializer, InstanceSerializer]:
    """(the one-pass writer, the two passes): each serializer binds its task converter as it is made."""
    fast = InstanceSerializer()
    monkeypatch.setattr(serialization._CompactTaskConverter, "to_dict", _spiff_then_compact)
    slow = InstanceSerializer()
    monkeypatch.undo()
    return fast, slow


def _states(platform: Any) -> list[tuple[Any, str]]:
    with platform.uow(write=False) as uow:
        return [(platform.specs.get(row.model_id, uow=uow), row.state)
                for row in uow.session.query(ProcessInstance).order_by(ProcessInstance.id)]


def test_the_stored_states_of_a_flow_run_are_written_as_the_two_passes_wrote_them(
        flow, platform, deployed, clock, two_writers):
    """Cases at every stage of the escalation flow — a fresh start, a completed task, a boundary timer that fired
    (its internal data), a finished case — restore and are written again identically."""
    fast, slow = two_writers
    flow.start("escalation_demo", {"county": "dongchangfu"})
    second = flow.start("escalation_demo", {"county": "dongchangfu"})
    flow.complete("county_window_dongchangfu", "accept", {"approved": True, "months": 2}, second)
    flow.complete("city_window", "review", {"decision": "通过"}, second)
    flow.start("escalation_demo", {"county": "dongchangfu"})
    clock.set(at("2027-03-01 09:00"))
    assert flow.fire(at("2027-03-01 09:00"))
    states = _states(platform)
    assert len(states) == 3
    internal = 0
    for bundle, state in states:
        workflow = fast.loads(state, bundle.spec, bundle.subprocess_specs)
        internal += sum(1 for task in workflow.get_tasks() if task.internal_data)
        assert fast.dumps(workflow) == slow.dumps(workflow) == state
    assert internal  # the timer's traces were among what was compared


def test_every_shape_of_a_change_to_task_data_is_written_as_the_two_passes_wrote_it(
        flow, platform, deployed, two_writers):
    """Keys kept, changed, added and deleted; lists appended to (stored as the appended items), replaced, shortened
    or grown from empty; nested values; values equal to the parent's but not the same objects; a root with and
    without data; internal data with a value the registry converts (a datetime) and internal data with nothing
    storable (a function); a triggered task."""
    fast, slow = two_writers
    flow.start("escalation_demo", {"county": "dongchangfu"})
    [(bundle, state)] = _states(platform)
    workflow = fast.loads(state, bundle.spec, bundle.subprocess_specs)
    root, *tasks = [task for task in workflow.get_tasks() if task.parent is None] + \
        [task for task in workflow.get_tasks() if task.parent is not None]
    parent_data = {"same": 1, "equal": [1, {"a": 2}], "changed": "a", "gone": True, "grows": [1, 2],
                   "replaced": [1, 2], "shrinks": [1, 2, 3], "from_empty": [], "nested": {"a": [1]}, "text": "聊城"}
    child_data = {"same": 1, "equal": [1, {"a": 2}],  # equal, not the same object: unchanged all the same
                  "changed": "b", "grows": [1, 2, 3, {"x": 1}], "replaced": [2, 1, 3], "shrinks": [1],
                  "from_empty": [1], "nested": {"a": [1, 2]}, "text": "聊城", "new": None}
    for data, in_root in ((parent_data, True), ({}, False)):
        root.data = dict(data) if in_root else {}
        for task in tasks:
            task.data = dict(child_data) if task.parent is root else dict(task.parent.data)
        tasks[-1].internal_data = {"due": datetime(2027, 1, 4, 10, tzinfo=UTC), "id": UUID(int=7)}
        tasks[-1].triggered = True
        tasks[-2].internal_data = {"hook": len}  # nothing storable: left out, as an empty one
        written = fast.dumps(workflow)
        assert written == slow.dumps(workflow)
        stored = json.loads(written)["tasks"]
        grown = next(dct["delta"]["updates"]["grows"] for dct in stored.values()
                     if dct.get("parent") == str(root.id) and "delta" in dct)
        assert grown == ({"items": [3, {"x": 1}], "typename": "AppendedItems"} if in_root else [1, 2, 3, {"x": 1}])
        again = fast.loads(written, bundle.spec, bundle.subprocess_specs)
        kept = [(t.id, t.data, {k: v for k, v in t.internal_data.items() if not callable(v)}, t.triggered)
                for t in workflow.get_tasks()]  # a function is never stored
        assert [(t.id, t.data, t.internal_data, t.triggered) for t in again.get_tasks()] == kept


def test_the_task_ids_kept_for_writing_are_bounded(flow, platform, deployed, two_writers, monkeypatch):
    """A process keeps the text of the task ids it writes (ID_TEXT_CACHE): past the bound the kept texts are dropped
    and written afresh — the state written is the same."""
    fast, slow = two_writers
    monkeypatch.setattr(serialization, "ID_TEXT_CACHE", 5)
    serialization._ID_TEXT.clear()
    flow.start("escalation_demo", {"county": "dongchangfu"})
    [(bundle, state)] = _states(platform)
    workflow = fast.loads(state, bundle.spec, bundle.subprocess_specs)
    assert len(workflow.tasks) > 5
    for _ in range(2):
        assert fast.dumps(workflow) == slow.dumps(workflow) == state
        assert len(serialization._ID_TEXT) <= 5
