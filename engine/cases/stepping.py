"""Advancing a workflow within a step budget: every engine step counted, loops and runaway timers stopped with
an error that names the element, and a case that would stop with nothing waiting reported instead of saved."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.cases.clock import apply_correction_clock
from engine.cases.summary import StepFailure
from engine.errors import OneStopError
from engine.notify.diagram import collect_passed
from engine.sandbox.child import report_progress

MAX_STEPS_PER_RUN = 5_000  # engine steps (script, gateway, event, service...) one run may take
MAX_RUNS_OF_ONE_ELEMENT = 1_000  # times one element may run in one run (a loop, a multi-instance body)
MAX_TREE_DEPTH = 900  # SpiffWorkflow stops walking a case's task tree at depth 1,000, silently
MAX_TASKS_PER_CASE = 20_000  # tasks in a case's tree, its call activities included
MAX_TIMER_FIRINGS_PER_RUN = 100  # timer events one run may fire (a cycle that keeps firing)
WAITING_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED


class BudgetExceeded(OneStopError):
    code = "budget_exceeded"

    def __init__(self, message: str, *, element: str) -> None:
        super().__init__(message)
        self.element = element


def label(spec: Any) -> str:
    name = getattr(spec, "bpmn_name", None)
    return f"{spec.name} ({name})" if name else str(spec.name)


class RunBudget:
    """Counts one run's engine steps; SpiffWorkflow calls :meth:`charge` before each step it takes."""

    def __init__(self) -> None:
        self.steps = 0
        self.per_element: Counter[str] = Counter()
        self.timer_firings = 0
        self._depth: dict[Any, int] = {}

    def charge(self, task: Any) -> None:
        spec = task.task_spec
        where = label(spec)
        report_progress(where)
        self.steps += 1
        self.per_element[spec.name] += 1
        if self.steps > MAX_STEPS_PER_RUN:
            raise BudgetExceeded(f"stopped after {MAX_STEPS_PER_RUN:,} engine steps in one run (the limit), at "
                                 f"{where}: does a loop never end?", element=where)
        if self.per_element[spec.name] > MAX_RUNS_OF_ONE_ELEMENT:
            raise BudgetExceeded(f"{where} ran {MAX_RUNS_OF_ONE_ELEMENT:,} times in one run (the limit): a loop "
                                 "through it must end sooner", element=where)
        if self.depth(task) > MAX_TREE_DEPTH:
            raise BudgetExceeded(f"the case has gone through {where} too many times ({MAX_TREE_DEPTH} steps in a "
                                 "row, the limit of one case): a loop must end sooner", element=where)
        if self.steps % 100 == 0:
            count = _task_count(task.workflow.top_workflow)
            if count > MAX_TASKS_PER_CASE:
                raise BudgetExceeded(f"the case has {count:,} tasks, over the limit of {MAX_TASKS_PER_CASE:,}, at "
                                     f"{where}: too many multi-instance items or parallel branches?", element=where)

    def fire_timer(self, spec: Any) -> None:
        """Called by a timer each time it fires (engine/bpmn/timers.py)."""
        self.timer_firings += 1
        if self.timer_firings > MAX_TIMER_FIRINGS_PER_RUN:
            where = label(spec)
            raise BudgetExceeded(f"timer {where} fired {MAX_TIMER_FIRINGS_PER_RUN} times in one run (the limit): "
                                 "a cycle with no interval, or one that started long ago?", element=where)

    def depth(self, task: Any) -> int:
        """The task's depth in its workflow's tree, remembered per task so a long run stays linear."""
        chain = []
        node = task
        while node is not None and node.id not in self._depth:
            chain.append(node)
            node = node.parent
        depth = self._depth[node.id] if node is not None else -1
        for item in reversed(chain):
            depth += 1
            self._depth[item.id] = depth
        return depth


def _task_count(workflow: Any) -> int:
    return len(workflow.tasks) + sum(len(sub.tasks) for sub in workflow.subprocesses.values())


def advance(workflow: BpmnWorkflow, action: Callable[[BpmnWorkflow], None],
            budget: RunBudget | None = None) -> StepFailure | None:
    """Run ``action`` then the engine within ``budget`` (a fresh one by default); any failure is returned, and
    the workflow must then be discarded."""
    budget = budget or RunBudget()
    workflow.script_engine.budget = budget  # type: ignore[attr-defined]  # read by the timers as they fire
    try:
        action(workflow)
        workflow.do_engine_steps(will_complete_task=budget.charge, did_complete_task=collect_passed)
        after_engine_steps(workflow)
        return stalled(workflow)
    except BudgetExceeded as error:
        return StepFailure(task=error.element, message=error.message, line=None)
    except SpiffWorkflowException as error:
        inner = getattr(error, "exception", None) or error.__cause__
        if isinstance(inner, MemoryError):
            raise inner from None  # the child process reports it and is replaced
        if isinstance(inner, BudgetExceeded):
            return StepFailure(task=inner.element, message=inner.message, line=None)
        return _spiff_failure(error)
    except OneStopError as error:
        return StepFailure(task=getattr(error, "task", None), message=error.message, line=None)
    except RecursionError:
        return StepFailure(task=None, message="the case's steps are nested too deeply (a loop of call activities?)",
                           line=None)
    except MemoryError:
        raise  # the child process reports it and is replaced
    except Exception as error:  # noqa: BLE001 — any failure inside a diagram must end as an instance error
        return StepFailure(task=None, message=f"{type(error).__name__}: {error}", line=None)
    finally:
        workflow.script_engine.budget = None  # type: ignore[attr-defined]


def after_engine_steps(workflow: BpmnWorkflow) -> None:
    """Once the engine waits: a deadline stopped by a correction (退回补正) resumes with what was left
    (engine/cases/clock.py)."""
    engine = workflow.script_engine
    functions = getattr(engine, "expression_functions", None)
    if functions is not None:
        engine.clock_events.extend(apply_correction_clock(workflow, functions.calendar, functions.moment))


def stalled(workflow: BpmnWorkflow) -> StepFailure | None:
    """A case that is not finished must wait somewhere — for a person, a timer, a message or another system.
    If nothing waits, it would sit `active` forever: report where it stopped instead."""
    if workflow.completed:
        return None
    if workflow.get_next_task(state=WAITING_STATES) is not None:
        return None
    last = workflow.last_task
    where = label(last.task_spec) if last is not None else "the start"
    return StepFailure(task=where, message=f"the case stopped after {where} with nothing left to wait for (a loop "
                                           "deeper than the engine follows, or a path with no end event?)", line=None)


def _spiff_failure(error: SpiffWorkflowException) -> StepFailure:
    task = getattr(error, "task", None)
    spec = getattr(task, "task_spec", None)
    where = label(spec) if spec is not None else None
    cause = getattr(error, "exception", None) or error.__cause__
    message = str(error)
    if cause is not None and str(cause) not in message:
        message = f"{message}: {type(cause).__name__}: {cause}"
    return StepFailure(task=where, message=message, line=getattr(error, "line_number", None) or None)
