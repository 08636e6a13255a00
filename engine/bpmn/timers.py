"""Timer event definitions that read the engine's clock and the configured timezone, not the server's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from engine.clock import SystemClock

_SYSTEM_CLOCK = SystemClock()


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


def _note_fired(my_task: Any, due: datetime) -> None:
    """Tell the runner a timer fired (it writes the history row), whichever call made it fire; the run's step
    budget counts it (a cycle that keeps firing is stopped there)."""
    budget = getattr(my_task.workflow.script_engine, "budget", None)
    if budget is not None:
        budget.fire_timer(my_task.task_spec)
    fired = getattr(my_task.workflow.script_engine, "fired_timers", None)
    if fired is not None:
        spec = my_task.task_spec
        fired.append({"task_name": spec.name, "timer": getattr(spec, "bpmn_name", None) or spec.name,
                      "due_at": due.isoformat()})


def _fire_when_due(my_task: Any, event_value: str, now: datetime) -> bool:
    due = datetime.fromisoformat(event_value)
    if due <= now and not my_task._get_internal_data("event_fired", False):
        my_task._set_internal_data(event_fired=True)
        _note_fired(my_task, due)
    return bool(my_task._get_internal_data("event_fired", False))


def _preset(my_task: Any) -> dict[str, Any] | None:
    """A due moment carried over for this timer (a case moved to a new version keeps its deadlines)."""
    presets = getattr(my_task.workflow.script_engine, "preset_timers", None)
    return presets.pop(my_task.task_spec.name, None) if presets else None


def _evaluated(my_task: Any, expression: str) -> Any:
    value = my_task.workflow.script_engine.evaluate(my_task, expression)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class ClockTimeDateEventDefinition(TimeDateEventDefinition):
    """timeDate: the expression gives a moment; stored with its offset so it never depends on the server zone."""

    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        preset = _preset(my_task) if event_value is None else None
        if preset is not None:
            event_value = preset["event_value"]
            my_task._set_internal_data(event_value=event_value, timer_started=preset.get("timer_started"))
        if event_value is None:
            due = to_aware(_evaluated(my_task, self.expression), _engine_tz(my_task))
            event_value = due.isoformat()
            # When the token arrived: a deadline can be computed again from it after the calendar changes.
            my_task._set_internal_data(event_value=event_value, timer_started=_clock_now(my_task).isoformat())
        return _fire_when_due(my_task, event_value, _clock_now(my_task))


class ClockDurationTimerEventDefinition(DurationTimerEventDefinition):
    """timeDuration: an ISO 8601 duration counted from the moment the token arrives, on the engine clock."""

    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        now = _clock_now(my_task)
        preset = _preset(my_task) if event_value is None else None
        if preset is not None:
            event_value = preset["event_value"]
            my_task._set_internal_data(event_value=event_value, timer_started=preset.get("timer_started"))
        if event_value is None:
            parsed = TimerEventDefinition.parse_iso_duration(str(_evaluated(my_task, self.expression)))
            due = now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
            event_value = due.isoformat()
            my_task._set_internal_data(event_value=event_value, timer_started=now.isoformat())
        return _fire_when_due(my_task, event_value, now)


class ClockCycleTimerEventDefinition(CycleTimerEventDefinition):
    """timeCycle: R<n>/start/duration; each cycle fires once when the engine clock passes it."""

    def cycle_complete(self, my_task: Any) -> bool:
        now = _clock_now(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            cycles, start, duration = parse_cycle(str(_evaluated(my_task, self.expression)), now,
                                                  _engine_tz(my_task))
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
                _note_fired(my_task, next_event)
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
        my_task._set_internal_data(event_value=event_value)
        return ready


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


def waiting_timer_due_times(workflow: Any) -> list[tuple[Any, datetime]]:
    """Every waiting timer task of the workflow (subprocesses included) with its due moment."""
    result = []
    for task in workflow.event_manager.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition) or not task.has_state(TaskState.WAITING):
            continue
        value = task._get_internal_data("event_value")
        if isinstance(value, dict):  # cycle
            if value.get("cycles", 0) == 0:
                continue
            value = value["next"]
        if value is None:
            continue
        result.append((task, datetime.fromisoformat(value)))
    return result

