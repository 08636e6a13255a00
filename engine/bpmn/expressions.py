"""The functions every expression may call: working days on the platform calendar, the engine's clock, and new
references for correlating messages between cases."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import Any

from engine.calendar.workdays import WorkingCalendar
from engine.errors import CalendarError

FUNCTION_NAMES = ("working_days", "is_working_day", "now", "new_reference")


def _moment(value: Any, tz: tzinfo, what: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as error:
            raise CalendarError(f"{what}: {value!r} is not an ISO 8601 date-time") from error
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        raise CalendarError(f"{what}: expected a date-time, got {type(value).__name__}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


class ExpressionFunctions:
    """Builds the callables for one run; remembers the years a deadline computed without official data."""

    def __init__(self, calendar: WorkingCalendar, now: datetime, tz: tzinfo) -> None:
        self.calendar = calendar
        self.moment = now
        self.tz = tz
        self.fallback_years: set[int] = set()

    def working_days(self, n: int, start: Any = None) -> str:
        begin = self.moment if start is None else _moment(start, self.tz, "working_days start")
        due = self.calendar.working_days(n, begin)
        self.fallback_years.update(self.calendar.unofficial_years(begin, due))
        return due.isoformat()

    def is_working_day(self, day: Any) -> bool:
        if isinstance(day, str):
            try:
                parsed: date = date.fromisoformat(day) if len(day) == 10 else \
                    _moment(day, self.tz, "is_working_day").astimezone(self.tz).date()
            except ValueError as error:
                raise CalendarError(f"is_working_day: {day!r} is not an ISO 8601 date") from error
        elif isinstance(day, datetime):
            parsed = _moment(day, self.tz, "is_working_day").astimezone(self.tz).date()
        elif isinstance(day, date):
            parsed = day
        else:
            raise CalendarError(f"is_working_day: expected a date, got {type(day).__name__}")
        if not self.calendar.is_official(parsed.year):
            self.fallback_years.add(parsed.year)
        return self.calendar.is_working_day(parsed)

    def now(self) -> str:
        return self.moment.astimezone(self.tz).isoformat()

    def new_reference(self, prefix: str = "") -> str:
        """A reference no other case has: ``prefix`` + the day + 8 random hex digits (e.g. YCSL20261102-9F3A61C2).
        What a case correlates the answers of other cases by (the messages it waits for)."""
        if not isinstance(prefix, str) or len(prefix) > 20:
            raise CalendarError("new_reference: the prefix is text of at most 20 characters")
        return f"{prefix}{self.moment.astimezone(self.tz):%Y%m%d}-{secrets.token_hex(4).upper()}"

    def as_mapping(self) -> dict[str, Callable[..., Any]]:
        return {"working_days": self.working_days, "is_working_day": self.is_working_day, "now": self.now,
                "new_reference": self.new_reference}
