"""The stopped clock (停止计时): working-day deadlines do not run while a case is suspended or while its
materials are out for correction (退回补正); they resume with the working days that were left.

Two conventions, both counted in working days on the platform calendar:

- **Suspension** (contract, "Suspended cases"): `suspend` notes the moment on the case and marks its open tasks
  已暂停计时; `resume` moves every waiting deadline (a boundary timer with a date) so that it has as many working
  days left as it had when the case was suspended.
- **Correction**: a user task carrying ``<spiffworkflow:property name="stopsClock" value="ELEMENT_ID"/>`` (the id
  of a boundary timer, several separated by commas) stops that deadline while the task is open: when it becomes
  ready, the working days left on the deadline's most recent timer are noted; when that timer is armed again (the
  review step reached once more after the correction), it is given those working days from then, not a fresh
  period. The task's row shows 已暂停计时.

The working days left at a moment are the working days after that moment's day up to the deadline's day
(WorkingCalendar.working_days_between); they resume as ``working_days(left, now)``, the end of the left-th
working day after the day of resuming.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.timers import waiting_timer_due_times
from engine.calendar.workdays import WorkingCalendar
from engine.cases.summary import task_properties

STOPS_CLOCK = "stopsClock"
_NOTE = "clock_stop"  # internal data of the correction task: {"at": ISO, "left": {timer: days}, "used": [timer]}
_CHECKED = "clock_checked"  # internal data of a deadline timer already given its remaining days (or not needed)


def stopped_timers(properties: dict[str, Any]) -> list[str]:
    """The boundary timer ids a task's ``stopsClock`` property names (empty when it stops no clock)."""
    return [name.strip() for name in str(properties.get(STOPS_CLOCK) or "").split(",") if name.strip()]


def working_days_left(calendar: WorkingCalendar, stopped_at: datetime, due: datetime) -> int:
    """Working days a deadline still had when its clock stopped (0 when it was due that day or before)."""
    if due <= stopped_at:
        return 0
    return max(calendar.working_days_between(stopped_at, due), 0)


def is_deadline(task: Any) -> bool:
    """A working-day deadline: a boundary timer whose expression gives a moment (e.g. ``working_days(5)``)."""
    spec = task.task_spec
    return isinstance(spec, BoundaryEvent) and isinstance(getattr(spec, "event_definition", None),
                                                          TimeDateEventDefinition)


# --- correction: after every engine run ----------------------------------------------------------------------


_STOPS_ANY_CLOCK: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _flow_stops_clocks(workflow: Any) -> bool:
    """Whether any task of the case's flow (its called flows included) names a deadline it stops: most flows have
    none, and then there is nothing to note or resume after a run (known once per parsed flow)."""
    spec = workflow.spec
    if spec not in _STOPS_ANY_CLOCK:
        specs = [spec, *(getattr(workflow, "subprocess_specs", None) or {}).values()]
        _STOPS_ANY_CLOCK[spec] = any(stopped_timers(task_properties(task_spec)) for flow in specs
                                     for task_spec in flow.task_specs.values())
    return _STOPS_ANY_CLOCK[spec]


def apply_correction_clock(workflow: Any, calendar: WorkingCalendar, now: datetime) -> list[dict[str, Any]]:
    """Note the deadlines a newly ready correction task stops, and give a re-armed deadline what was left.
    Returns one entry per deadline resumed (for the case history)."""
    if not _flow_stops_clocks(workflow):
        return []
    for task in BpmnTaskIterator(workflow.task_tree, state=TaskState.READY, manual=True):
        timers = stopped_timers(task_properties(task.task_spec))
        if timers and task._get_internal_data(_NOTE) is None:
            task._set_internal_data(**{_NOTE: _note(workflow, timers, calendar, now)})
    pending = _pending_notes(workflow)
    if not pending:
        return []
    resumed = []
    for timer, _due in waiting_timer_due_times(workflow):
        name = timer.task_spec.name
        if name not in pending or timer._get_internal_data(_CHECKED) or not is_deadline(timer):
            continue
        timer._set_internal_data(**{_CHECKED: True})
        note_task, note = pending[name]
        started = timer._get_internal_data("timer_started")
        if started is None or datetime.fromisoformat(started) < datetime.fromisoformat(note["at"]):
            continue  # armed before the correction: not the deadline the correction stopped
        left = int(note["left"][name])
        due = calendar.working_days(left, now)
        timer._set_internal_data(event_value=due.isoformat())
        note["used"] = [*note["used"], name]
        note_task._set_internal_data(**{_NOTE: note})
        resumed.append({"timer": name, "working_days_left": left, "stopped_at": note["at"], "due_at": due.isoformat()})
    return resumed


def _note(workflow: Any, timers: Iterable[str], calendar: WorkingCalendar, now: datetime) -> dict[str, Any]:
    """The working days left on each named deadline's latest timer, as the correction begins."""
    latest: dict[str, datetime] = {}
    for task in workflow.get_tasks():
        name = task.task_spec.name
        value = task._get_internal_data("event_value")
        if name in timers and isinstance(value, str) and is_deadline(task):
            due = datetime.fromisoformat(value)
            started = task._get_internal_data("timer_started") or ""
            if name not in latest or started >= latest[name].isoformat():
                latest[name] = due
    return {"at": now.isoformat(), "used": [],
            "left": {name: working_days_left(calendar, now, due) for name, due in latest.items()}}


def _pending_notes(workflow: Any) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Deadline id -> (correction task, its note) for corrections whose remaining days are not yet used; the
    latest correction wins."""
    found: dict[str, tuple[Any, dict[str, Any]]] = {}
    for task in workflow.get_tasks():
        note = task._get_internal_data(_NOTE)
        if not isinstance(note, dict):
            continue
        for name in note.get("left", {}):
            if name not in note.get("used", []) and (name not in found or note["at"] >= found[name][1]["at"]):
                found[name] = (task, note)
    return found


def shift_deadlines(workflow: Any, calendar: WorkingCalendar, stopped_at: datetime,
                    now: datetime) -> list[dict[str, Any]]:
    """Every waiting deadline given, from ``now``, the working days it had left at ``stopped_at``."""
    moved = []
    for timer, due in waiting_timer_due_times(workflow):
        if not is_deadline(timer) or due <= stopped_at:
            continue  # a deadline already due when the clock stopped fires on resuming, as it would have
        left = working_days_left(calendar, stopped_at, due)
        new_due = calendar.working_days(left, now)
        if new_due != due:
            timer._set_internal_data(event_value=new_due.isoformat())
            moved.append({"timer": timer.task_spec.name, "working_days_left": left, "due_before": due.isoformat(),
                          "due_after": new_due.isoformat()})
    return moved
