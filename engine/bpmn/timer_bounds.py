"""Timer literals the platform can compute with: a date outside the years it works with (engine/calendar/bounds.py)
or a span longer than a century is refused at deployment, instead of overflowing at every start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.bpmn.timers import parse_cycle
from engine.calendar.bounds import EARLIEST_YEAR, LATEST_YEAR, out_of_range

__all__ = ["MAX_TIMER_SPAN", "timer_range_problem"]

#: The longest duration, or cycle interval, a timer literal may name.
MAX_TIMER_SPAN = timedelta(days=36525)


def timer_range_problem(kind: str, text: str, *, now: datetime | None = None) -> str | None:
    """Why the ISO 8601 literal of a ``timeDate``, ``timeDuration`` or ``timeCycle`` cannot be computed with, or
    None. The literal's syntax is checked elsewhere; one that does not parse is left to that check."""
    moment = now or datetime.now(UTC)
    text = text.strip()
    try:
        if kind == "timeDate":
            start, span = datetime.fromisoformat(text), None
            if start.tzinfo is not None:
                start = start.astimezone(UTC)
        elif kind == "timeDuration":
            start, span = None, TimerEventDefinition.get_timedelta_from_start(
                TimerEventDefinition.parse_iso_duration(text), moment)
        else:
            _cycles, start, span = parse_cycle(text, moment, UTC)
    except (OverflowError, ValueError, KeyError):  # past year 9999 (or before year 1) once in UTC or added up
        return f"{kind} {text!r} reaches beyond the years {EARLIEST_YEAR}–{LATEST_YEAR} the platform works with"
    if start is not None and (problem := out_of_range(start)) is not None:
        return f"{kind} {text!r}: {problem}"
    if span is not None and abs(span) > MAX_TIMER_SPAN:
        return f"{kind} {text!r} spans more than {MAX_TIMER_SPAN.days // 365} years"
    return None
