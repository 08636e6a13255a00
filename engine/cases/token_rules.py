"""Moving a case's token to another step (Camunda Cockpit's "modify"): where a case may be moved from and to, and
the move itself — the waiting step is cancelled and the target element starts in its place with the case's data.

Only what can be done safely is done: a case waiting at exactly one step of its own process (no parallel
branches, nothing inside a call activity or subprocess), moved to a task, event or exclusive gateway of the same
process. Everything else is refused with the reason (in English and Chinese). Run in the engine's child process
(engine/cases/jobs.py::move_token) and read in the server to offer the choices (engine/cases/token_moves.py)."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskState

# Kinds of element a token may be moved to, by the names of SpiffWorkflow's spec classes.
TARGET_KINDS = {"UserTask": "userTask", "ManualTask": "manualTask", "NoneTask": "task", "ScriptTask": "scriptTask",
                "BusinessRuleTask": "businessRuleTask", "SendTask": "sendTask", "ReceiveTask": "receiveTask",
                "IntermediateCatchEvent": "intermediateCatchEvent",
                "IntermediateThrowEvent": "intermediateThrowEvent", "EndEvent": "endEvent",
                "ExclusiveGateway": "exclusiveGateway"}
# Kinds refused as targets, with why (English, Chinese).
REFUSED_KINDS = {
    "CallActivity": ("a call activity would start its called flow afresh, half-way through this case",
                     "调用活动会在案件中途重新启动被调用的流程"),
    "SubWorkflowTask": ("a subprocess would start from its beginning with the case half-way through",
                        "子流程会在案件中途从头开始"),
    "TransactionSubprocess": ("a transaction would start from its beginning with the case half-way through",
                              "事务子流程会在案件中途从头开始"),
    "EventSubprocess": ("an event subprocess starts only on its event", "事件子流程只能由其事件触发"),
    "ParallelMultiInstanceTask": ("a multi-instance step keeps counters a move would lose",
                                  "多实例环节的计数会在移动时丢失"),
    "SequentialMultiInstanceTask": ("a multi-instance step keeps counters a move would lose",
                                    "多实例环节的计数会在移动时丢失"),
    "StandardLoopTask": ("a loop step keeps counters a move would lose", "循环环节的计数会在移动时丢失"),
    "ParallelGateway": ("a parallel gateway would wait for branches that never come",
                        "并行网关会一直等待不会到来的分支"),
    "InclusiveGateway": ("an inclusive gateway would wait for branches that never come",
                         "包容网关会一直等待不会到来的分支"),
    "EventBasedGateway": ("move the token to one of the events after the gateway instead",
                          "请改为移动到网关之后的某个事件"),
    "BoundaryEvent": ("a boundary event belongs to its task: move the token to the task, or to what follows the event",
                      "边界事件依附于任务：请移动到该任务，或事件之后的环节"),
    "StartEvent": ("a case does not start again: move the token to the first step after the start",
                   "案件不能重新开始：请移动到开始之后的第一个环节"),
}


@dataclass(frozen=True)
class MoveRefused(Exception):
    """Why this move cannot be done safely, in English and Chinese."""

    message: str
    message_zh: str

    def __str__(self) -> str:
        return self.message


def spec_kind(spec: Any) -> str:
    """The first known SpiffWorkflow spec class name in the spec's class hierarchy ("" when none is known)."""
    for cls in type(spec).__mro__:
        name = cls.__name__.removesuffix("Mixin")
        if name in TARGET_KINDS or name in REFUSED_KINDS:
            return name
    return ""


def label(spec: Any) -> str:
    name = getattr(spec, "bpmn_name", None)
    return f"{spec.bpmn_id} ({name})" if name else str(getattr(spec, "bpmn_id", None) or spec.name)


def _anchor(task: Any) -> Any:
    """The task to cancel for a waiting step: a user task with boundary events goes with its boundary split, an
    event after an event-based gateway with the gateway."""
    parent = task.parent
    if parent is not None and type(parent.task_spec).__name__ in ("BoundaryEventSplit", "EventBasedGateway"):
        return parent
    return task


def waiting_steps(workflow: Any) -> list[Any]:
    """The steps a person or an event is awaited at (READY user tasks, WAITING events), as the admin picks one;
    MoveRefused when the case is not in a state to move safely (between steps, inside a called flow, parallel
    branches waiting)."""
    steps: list[Any] = []
    anchors: dict[Any, Any] = {}
    for task in BpmnTaskIterator(workflow.task_tree, state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
        spec = task.task_spec
        if task.workflow is not workflow:
            raise MoveRefused(f"the case waits at {label(spec)} inside the called flow or subprocess "
                              f"'{task.workflow.spec.name}': tokens inside a call activity or subprocess are not moved",
                              f"案件停在调用活动或子流程“{task.workflow.spec.name}”内部的 {label(spec)}："
                              "其中的环节不能移动")
        if task.state == TaskState.STARTED:
            raise MoveRefused(f"{label(spec)} is running (a call activity or subprocess): it is not moved",
                              f"{label(spec)} 正在运行（调用活动或子流程），不能移动")
        if task.state == TaskState.READY and not spec.manual:
            raise MoveRefused(f"the case is between steps at {label(spec)}: move it while it waits for a person or "
                              "an event", f"案件正在 {label(spec)} 处自动流转：只有停在人工任务或事件处时才能移动")
        if spec_kind(spec) == "BoundaryEvent" or type(spec).__name__ == "BoundaryEvent":
            anchors.setdefault(_anchor(task).id, _anchor(task))
            continue  # waits with its task
        anchors[_anchor(task).id] = _anchor(task)
        steps.append(task)
    if len(anchors) > 1:
        names = ", ".join(label(step.task_spec) for step in steps) or f"{len(anchors)} places"
        raise MoveRefused(f"the case waits in parallel branches ({names}): moving one token would leave the other "
                          "branches' join waiting for ever; let the branches finish first",
                          f"案件在并行分支中同时等待（{names}）：移动其中一个会使汇合处永远等待，请待各分支办完后再移动")
    if not steps:
        raise MoveRefused("the case waits at no step that can be moved (no user task or event is waiting)",
                          "案件没有停在可以移动的环节（既无人工任务也无等待中的事件）")
    return steps


def target_problem(workflow: Any, target: str) -> MoveRefused | None:
    """Why ``target`` (an element id of the case's own process) cannot receive the token, or None."""
    spec = workflow.spec.task_specs.get(target)
    if spec is None or not getattr(spec, "bpmn_id", None):
        inner = [s for s in workflow.subprocess_specs.values() if target in s.task_specs]
        if inner:
            return MoveRefused(f"'{target}' lies inside the called flow or subprocess '{inner[0].name}': a token is "
                               "moved only within the case's own process",
                               f"“{target}”位于调用活动或子流程“{inner[0].name}”内部：只能在案件本流程内移动")
        return MoveRefused(f"the case's process has no element '{target}'", f"案件所在流程中没有元素“{target}”")
    kind = spec_kind(spec)
    if kind in REFUSED_KINDS:
        en, zh = REFUSED_KINDS[kind]
        return MoveRefused(f"{label(spec)} cannot receive the token: {en}", f"不能移动到 {label(spec)}：{zh}")
    if kind not in TARGET_KINDS:
        return MoveRefused(f"{label(spec)} is not a task, event or exclusive gateway",
                           f"{label(spec)} 不是任务、事件或排他网关")
    return None


def move_targets(workflow: Any) -> list[dict[str, str]]:
    """Every element of the case's own process the token may be moved to, in the diagram's order of ids."""
    found = []
    for name, spec in workflow.spec.task_specs.items():
        if getattr(spec, "bpmn_id", None) and spec_kind(spec) in TARGET_KINDS:
            found.append({"element": name, "title": getattr(spec, "bpmn_name", None) or name,
                          "kind": TARGET_KINDS[spec_kind(spec)]})
    return sorted(found, key=lambda item: item["element"])


def step_view(task: Any) -> dict[str, str]:
    spec = task.task_spec
    return {"task": str(task.id), "element": spec.name, "title": getattr(spec, "bpmn_name", None) or spec.name,
            "kind": TARGET_KINDS.get(spec_kind(spec), spec_kind(spec))}


def check_move(workflow: Any, source: str, target: str) -> Any:
    """The waiting task to move (by its task id or element id), or MoveRefused."""
    steps = waiting_steps(workflow)
    chosen = [s for s in steps if str(s.id) == source or s.task_spec.name == source]
    if not chosen:
        raise MoveRefused(f"the case does not wait at '{source}' now (it waits at "
                          f"{', '.join(label(s.task_spec) for s in steps)})",
                          f"案件当前没有停在“{source}”（当前环节：{', '.join(label(s.task_spec) for s in steps)}）")
    problem = target_problem(workflow, target)
    if problem is not None:
        raise problem
    return chosen[0]


def apply_move(workflow: Any, source: str, target: str) -> None:
    """Cancel the waiting step (with its boundary events) and start ``target`` in its place with the case's current
    data; the engine then runs on from there (engine/cases/stepping.py::advance)."""
    task = check_move(workflow, source, target)
    anchor = _anchor(task)
    parent = anchor.parent
    data = deepcopy(task.data)
    spec = workflow.spec.task_specs[target]
    # A task with boundary events is entered through its split (as a sequence flow into it would).
    spec = workflow.spec.task_specs.get(f"{target}.BoundaryEventSplit", spec)
    anchor.cancel()
    started = parent._add_child(spec, TaskState.FUTURE)
    started.data = deepcopy(data)
    # The new step inherits its parent's data as it becomes ready; that parent ran earlier and holds older values,
    # so it lends the case's current data for that moment only (its own record is left as it was).
    kept, parent.data = parent.data, data
    try:
        spec._predict(started, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)  # its way on, as a reset does
        spec._update(started)
    finally:
        parent.data = kept
    workflow.last_task = started

