"""Timer event definitions that read the engine's clock and the configured timezone, not the server's.

A timer's state (its due moment, when the token arrived, whether it fired) lives in the waiting task's internal
data. A timer that shares its task with other events — the timers of an event-based gateway, which SpiffWorkflow
keeps on the gateway's task — has its own slot there, keyed by its catch event's id, so that two timers after one
gateway never overwrite each other and each can be listed, indexed and moved on its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.util.task import TaskState

from engine.clock import SystemClock

_SYSTEM_CLOCK = SystemClock()
SLOTS = "timers"  # internal-data key of the per-timer slots of a task that waits for several events


def _clock_now(my_task: Any) -> datetime:
    engine = my_task.workflow.script_engine
    return getattr(engine, "clock", _SYSTEM_CLOCK).now()


def _engine_tz(my_task: Any) -> tzinfo:
    return getattr(my_task.workflow.script_engine, "tz", UTC)


def to_aware(value: Any, tz: tzinfo) -> datetime:
    """A datetime (or ISO 8601 string) made timezone-aware: a naive one is read in ``tz``, never the server's."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


def slot_of(definition: Any, task_spec: Any) -> str | None:
    """Where ``definition`` keeps its state on a task of ``task_spec``: None for the task's own timer, else the
    slot key — the catch event's id after an event-based gateway, ``spec#n`` inside a multiple event."""
    outer = getattr(task_spec, "event_definition", None)
    if outer is definition or not isinstance(outer, MultipleEventDefinition):
        return None
    for index, candidate in enumerate(outer.event_definitions):
        if candidate is definition:
            outputs = task_spec.outputs
            if isinstance(task_spec, EventBasedGateway) and index < len(outputs):
                return str(outputs[index].name)
            return f"{task_spec.name}#{index}"
    return None


def timer_state(my_task: Any, definition: Any, *, create: bool = True) -> dict[str, Any]:
    """The dict holding one timer's ``event_value``, ``timer_started`` and ``event_fired``."""
    slot = slot_of(definition, my_task.task_spec)
    if slot is None:
        return my_task.internal_data  # type: ignore[no-any-return]
    if not create:
        return dict(my_task.internal_data.get(SLOTS, {}).get(slot, {}))
    return my_task.internal_data.setdefault(SLOTS, {}).setdefault(slot, {})  # type: ignore[no-any-return]


def _timer_label(my_task: Any, definition: Any) -> tuple[str, str]:
    """(element id, name) of the timer event: the catch event after a gateway, else the task's own element."""
    slot = slot_of(definition, my_task.task_spec)
    spec = my_task.task_spec
    if slot is not None:
        spec = my_task.workflow.spec.task_specs.get(slot)
        if spec is None:
            return slot, slot
    return spec.name, getattr(spec, "bpmn_name", None) or spec.name


def _note_fired(my_task: Any, definition: Any, due: datetime) -> None:
    """Tell the runner a timer fired (it writes the history row), whichever call made it fire; the run's step
    budget counts it (a cycle that keeps firing is stopped there)."""
    budget = getattr(my_task.workflow.script_engine, "budget", None)
    if budget is not None:
        budget.fire_timer(my_task.task_spec)
    fired = getattr(my_task.workflow.script_engine, "fired_timers", None)
    if fired is not None:
        name, label = _timer_label(my_task, definition)
        fired.append({"task_name": name, "timer": label, "due_at": due.isoformat()})


def _fire_when_due(my_task: Any, definition: Any, state: dict[str, Any], event_value: str, now: datetime) -> bool:
    due = datetime.fromisoformat(event_value)
    if due <= now and not state.get("event_fired", False):
        state["event_fired"] = True
        _note_fired(my_task, definition, due)
    return bool(state.get("event_fired", False))


def _preset(my_task: Any, definition: Any) -> dict[str, Any] | None:
    """A due moment carried over for this timer (a case moved to a new version keeps its deadlines)."""
    presets = getattr(my_task.workflow.script_engine, "preset_timers", None)
    if not presets:
        return None
    return presets.pop(slot_of(definition, my_task.task_spec) or my_task.task_spec.name, None)  # type: ignore[no-any-return]


def _evaluated(my_task: Any, expression: str) -> Any:
    value = my_task.workflow.script_engine.evaluate(my_task, expression)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _armed(my_task: Any, definition: Any, state: dict[str, Any]) -> Any:
    """The stored due value, or the preset one a migrated case carried over (then stored)."""
    event_value = state.get("event_value")
    if event_value is None:
        preset = _preset(my_task, definition)
        if preset is not None and preset.get("event_value") is not None:
            event_value = preset["event_value"]
            state.update(event_value=event_value, timer_started=preset.get("timer_started"))
    return event_value


class ClockTimeDateEventDefinition(TimeDateEventDefinition):
    """timeDate: the expression gives a moment; stored with its offset so it never depends on the server zone."""

    def has_fired(self, my_task: Any) -> bool:
        state = timer_state(my_task, self)
        event_value = _armed(my_task, self, state)
        if event_value is None:
            due = to_aware(_evaluated(my_task, self.expression), _engine_tz(my_task))
            event_value = due.isoformat()
            # When the token arrived: a deadline can be computed again from it after the calendar changes.
            state.update(event_value=event_value, timer_started=_clock_now(my_task).isoformat())
        return _fire_when_due(my_task, self, state, str(event_value), _clock_now(my_task))


class ClockDurationTimerEventDefinition(DurationTimerEventDefinition):
    """timeDuration: an ISO 8601 duration counted from the moment the token arrives, on the engine clock."""

    def has_fired(self, my_task: Any) -> bool:
        state = timer_state(my_task, self)
        now = _clock_now(my_task)
        event_value = _armed(my_task, self, state)
        if event_value is None:
            parsed = TimerEventDefinition.parse_iso_duration(str(_evaluated(my_task, self.expression)))
            due = now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
            event_value = due.isoformat()
            state.update(event_value=event_value, timer_started=now.isoformat())
        return _fire_when_due(my_task, self, state, str(event_value), now)


class ClockCycleTimerEventDefinition(CycleTimerEventDefinition):
    """timeCycle: R<n>/start/duration; each cycle fires once when the engine clock passes it.

    The state is ``{"cycles": left (-1 unbounded), "next": ISO moment, "duration": seconds}``. A bare ISO moment
    (what an administrator's move wrote before moves knew about cycles) is read as the next cycle."""

    def _cycle_value(self, my_task: Any, state: dict[str, Any]) -> dict[str, Any]:
        now = _clock_now(my_task)
        event_value = _armed(my_task, self, state)
        if isinstance(event_value, dict):
            return event_value
        cycles, start, duration = parse_cycle(str(_evaluated(my_task, self.expression)), now, _engine_tz(my_task))
        if isinstance(event_value, str):
            start = to_aware(event_value, _engine_tz(my_task))
        elif "timer_started" not in state:
            state["timer_started"] = now.isoformat()
        return {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}

    def cycle_complete(self, my_task: Any) -> bool:
        state = timer_state(my_task, self)
        event_value = self._cycle_value(my_task, state)
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= _clock_now(my_task):
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
                _note_fired(my_task, self, next_event)
        else:
            state.pop("event_value", None)
            state["event_fired"] = True
            return False
        state["event_value"] = event_value
        return ready

    def has_fired(self, my_task: Any) -> bool:
        """After an event-based gateway (where the task passes once) a cycle fires at its first occurrence; a
        cycle of its own fires its children from ``update_task`` and is done when its cycles are."""
        state = timer_state(my_task, self)
        if slot_of(self, my_task.task_spec) is not None and not state.get("event_fired", False) \
                and self.cycle_complete(my_task):
            state["event_fired"] = True
        return bool(state.get("event_fired", False))


def parse_cycle(expression: str, now: datetime, tz: tzinfo) -> tuple[int, datetime, timedelta]:
    """R[n]/start/duration, R[n]/duration/end or R[n]/duration, with naive moments read in ``tz``."""
    parts = expression.upper().replace("--", "/").strip().lstrip("R").split("/")
    cycles = int(parts[0]) if parts[0] else -1
    if len(parts) == 2:
        duration = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(parts[1]), now)
        return cycles, now + duration, duration
    if len(parts) != 3:
        raise ValueError(f"invalid timeCycle {expression!r}: expected R[n]/start/duration or R[n]/duration")
    if parts[1].startswith("P"):
        end = to_aware(parts[2], tz)
        duration = TimerEventDefinition.get_timedelta_from_end(
            TimerEventDefinition.parse_iso_duration(parts[1]), end)
        return cycles, end - duration, duration
    start = to_aware(parts[1], tz)
    duration = TimerEventDefinition.get_timedelta_from_start(
        TimerEventDefinition.parse_iso_duration(parts[2]), start)
    return cycles, start, duration


CLOCK_TIMER_CLASSES = {
    TimeDateEventDefinition: ClockTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockDurationTimerEventDefinition,
    CycleTimerEventDefinition: ClockCycleTimerEventDefinition,
}


@dataclass(frozen=True)
class WaitingTimer:
    """One armed timer of a case: the task that waits, the timer event's element id and name, its due moment."""

    task: Any
    definition: TimerEventDefinition
    timer_id: str
    name: str
    due: datetime

    @property
    def started(self) -> str | None:
        """When the token reached the timer (ISO 8601), or None when it is not known."""
        value = timer_state(self.task, self.definition, create=False).get("timer_started")
        return str(value) if value is not None else None

    @property
    def kind(self) -> str:
        """date, duration or cycle."""
        if isinstance(self.definition, CycleTimerEventDefinition):
            return "cycle"
        return "duration" if isinstance(self.definition, DurationTimerEventDefinition) else "date"

    def move(self, moment: datetime) -> Any:
        """Make the timer due at ``moment`` (a cycle: its next occurrence; later ones follow at its period).
        Returns the value it had, for the history."""
        state = timer_state(self.task, self.definition)
        before = state.get("event_value")
        if isinstance(self.definition, CycleTimerEventDefinition) and isinstance(before, dict):
            state["event_value"] = {**before, "next": moment.isoformat()}
        else:  # a cycle not armed yet reads a bare moment as its next occurrence (ClockCycleTimerEventDefinition)
            state["event_value"] = moment.isoformat()
        state["event_fired"] = False
        return before


def _due_of(definition: Any, state: dict[str, Any]) -> datetime | None:
    value = state.get("event_value")
    if isinstance(value, dict):  # cycle
        if value.get("cycles", 0) == 0:
            return None
        value = value.get("next")
    if not isinstance(value, str) or state.get("event_fired", False) and \
            not isinstance(definition, CycleTimerEventDefinition):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def waiting_timers(workflow: Any) -> list[WaitingTimer]:
    """Every armed timer of the workflow (subprocesses and event-based gateways included)."""
    found = []
    for task in workflow.event_manager.tasks.values():
        outer = getattr(task.task_spec, "event_definition", None)
        if not task.has_state(TaskState.WAITING):
            continue
        if isinstance(outer, TimerEventDefinition):
            definitions = [outer]
        elif isinstance(outer, MultipleEventDefinition):
            definitions = [d for d in outer.event_definitions if isinstance(d, TimerEventDefinition)]
        else:
            continue
        for definition in definitions:
            due = _due_of(definition, timer_state(task, definition, create=False))
            if due is not None:
                timer_id, name = _timer_label(task, definition)
                found.append(WaitingTimer(task, definition, timer_id, name, due))
    return found


def waiting_timer_due_times(workflow: Any) -> list[tuple[Any, datetime]]:
    """Every waiting timer task of the workflow (subprocesses included) with its due moment."""
    return [(timer.task, timer.due) for timer in waiting_timers(workflow)]
