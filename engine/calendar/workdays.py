"""Working-day arithmetic on the official Chinese calendar (weekends and holidays off, 调休 days on)."""

from __future__ import annotations

import bisect
import datetime
import functools
import uuid
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from chinese_calendar import constants as _cc

from engine.errors import CalendarError

__all__ = [
    "MAX_WORKING_DAYS",
    "CalendarDay",
    "WorkingCalendar",
    "known_official_years",
    "official_days",
]

#: Upper bound on ``n`` for :meth:`WorkingCalendar.working_days`: ten years' worth of days is far beyond any
#: statutory time limit, and the bound keeps a typo in a diagram from spinning the engine.
MAX_WORKING_DAYS = 3660

# Walking more calendar days than this without finishing means the listed days are broken (e.g. decades
# marked off); 3660 working days need about 5,400 calendar days, so this never trips on sane data.
_MAX_SPAN_DAYS = 366 * 25

ADJUSTED_WORKING_DAY = "调休上班"

# chinesecalendar stores the English name as the value and keeps short Chinese forms ("中秋", "清明") on the
# enum; the State Council notices say "中秋节", "清明节", so users see the names they know.
_FULL_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}


@dataclass(frozen=True)
class CalendarDay:
    """One day that differs from, or is named beyond, the plain rule "Mon–Fri work, Sat/Sun off"."""

    day: datetime.date
    is_working: bool
    name: str = ""


def _holiday_name(english: str) -> str:
    try:
        chinese: str = _cc.Holiday(english).chinese
    except ValueError:  # a name added to the data but not to the enum: show nothing rather than fail
        return ""
    return _FULL_NAMES.get(chinese, chinese)


@functools.cache
def _official_index() -> dict[int, tuple[CalendarDay, ...]]:
    # Built once: chinesecalendar's tables are module constants, and official_days() is called per year.
    by_day: dict[datetime.date, CalendarDay] = {}
    for day, english in _cc.holidays.items():
        by_day[day] = CalendarDay(day, False, _holiday_name(english))
    # An adjusted working day wins over a holiday on the same date, as chinesecalendar's is_workday does.
    for day in _cc.workdays:
        by_day[day] = CalendarDay(day, True, ADJUSTED_WORKING_DAY)
    index: dict[int, list[CalendarDay]] = {}
    for entry in sorted(by_day.values(), key=lambda d: d.day):
        index.setdefault(entry.day.year, []).append(entry)
    # A year counts as covered only if it has holidays, the way chinesecalendar derives its supported range.
    covered = {day.year for day in _cc.holidays}
    return {year: tuple(days) for year, days in index.items() if year in covered}


def known_official_years() -> list[int]:
    """The years chinesecalendar has official data for (2004–2026 in version 1.11.0), ascending."""
    return sorted(_official_index())


def official_days(year: int) -> list[CalendarDay] | None:
    """The official holidays and adjusted working days of ``year`` from chinesecalendar, sorted by day.

    Every statutory holiday is listed with ``is_working=False`` — including those that fall on a Saturday or
    Sunday, which changes nothing for the arithmetic but lets a calendar view name them (e.g. 国庆节 on
    2026-10-03) — and every adjusted working day (调休上班) on a weekend with ``is_working=True``.
    Returns ``None`` when chinesecalendar has no data for ``year``.
    """
    days = _official_index().get(year)
    return None if days is None else list(days)


def _plain_working(day: datetime.date) -> bool:
    return day.weekday() < 5


def _plain_working_count(after: datetime.date, through: datetime.date) -> int:
    """Mon–Fri days in (after, through], by arithmetic rather than a walk."""
    total = (through - after).days
    if total <= 0:
        return 0
    weeks, rest = divmod(total, 7)
    count = weeks * 5
    weekday = after.weekday()
    for step in range(1, rest + 1):
        if (weekday + step) % 7 < 5:
            count += 1
    return count


class WorkingCalendar:
    """Answers working-day questions from a fixed set of listed days; unlisted days follow Mon–Fri.

    ``days`` are the listed exceptions (typically :func:`official_days` for each stored year plus any local
    corrections); when a date appears more than once the **last** entry wins, so callers can append local
    overrides after the official data. ``official_years`` are the years whose listing is authoritative;
    other years silently use the plain weekend rule, which :meth:`unofficial_years` lets callers report.
    """

    def __init__(self, days: Iterable[CalendarDay], official_years: Iterable[int], *, tz: zoneinfo.ZoneInfo,
                 workday_end: datetime.time) -> None:
        if not isinstance(tz, datetime.tzinfo):
            raise CalendarError(f"tz must be a time zone such as ZoneInfo('Asia/Shanghai'), not {tz!r}")
        if not isinstance(workday_end, datetime.time) or workday_end.tzinfo is not None:
            raise CalendarError(f"workday_end must be a naive time such as time(18, 0), not {workday_end!r}")
        self.tz = tz
        self.workday_end = workday_end
        listed: dict[datetime.date, bool] = {}
        for entry in days:
            listed[entry.day] = entry.is_working
        self._listed = listed
        # Only listed days that contradict the plain rule affect counting; keeping them sorted lets
        # working_days_between() bisect to a range instead of scanning every listed day.
        self._deviations = sorted(day for day, working in listed.items() if working != _plain_working(day))
        self._official = frozenset(official_years)
        self.token = uuid.uuid4().hex  # identifies this calendar's content (the engine's child processes keep it)

    # -- single days --------------------------------------------------------------------------------------

    def is_working_day(self, day: datetime.date) -> bool:
        """Whether ``day`` is a working day: a listed day as listed, otherwise Monday–Friday.

        An aware datetime is taken as its date in the calendar's time zone; a naive one is refused.
        """
        if isinstance(day, datetime.datetime):
            day = self._local_date(day, "day")
        elif not isinstance(day, datetime.date):
            raise CalendarError(f"day must be a date, not {type(day).__name__}")
        working = self._listed.get(day)
        return _plain_working(day) if working is None else working

    def is_official(self, year: int) -> bool:
        """Whether ``year`` has official holiday data (otherwise only weekends are off)."""
        return year in self._official

    # -- arithmetic ---------------------------------------------------------------------------------------

    def working_days(self, n: int, start: datetime.datetime) -> datetime.datetime:
        """The end of the ``n``-th working day after the day of ``start``, aware in the calendar's zone.

        ``start`` is converted to the calendar's zone before its date is taken; that day itself does not
        count. A working day ends at ``workday_end``. ``n == 0`` gives the end of the start's own day if it
        is a working day, otherwise the end of the next working day (which may already be in the past
        when ``start`` is after ``workday_end``). Years without official data use the weekend rule.
        Raises CalendarError for a naive ``start`` or an ``n`` that is not an int in 0..MAX_WORKING_DAYS.
        """
        # bool is an int subclass, but working_days(True) is always a mistake in a diagram.
        if isinstance(n, bool) or not isinstance(n, int):
            raise CalendarError(f"working_days needs a whole number of days, got {n!r} ({type(n).__name__})")
        if n < 0:
            raise CalendarError(f"working_days needs n >= 0, got {n}; deadlines are counted forwards only")
        if n > MAX_WORKING_DAYS:
            raise CalendarError(f"working_days allows at most {MAX_WORKING_DAYS} days, got {n}")
        day = self._local_date(start, "start")
        remaining = n
        one = datetime.timedelta(days=1)
        listed = self._listed
        try:
            if n == 0:
                remaining = 1
                day -= one  # so that the start's own day is the first candidate
            for _ in range(_MAX_SPAN_DAYS):
                day += one
                working = listed.get(day)
                if (day.weekday() < 5) if working is None else working:
                    remaining -= 1
                    if remaining == 0:
                        return datetime.datetime.combine(day, self.workday_end, tzinfo=self.tz)
        except OverflowError:
            raise CalendarError(f"working_days({n}) from {start.isoformat()} runs off the calendar") from None
        raise CalendarError(f"no {n} working days within {_MAX_SPAN_DAYS} days of {day.isoformat()}; "
                            "check the listed holidays")

    def working_days_between(self, start: datetime.datetime, end: datetime.datetime) -> int:
        """Signed count of whole working days between the dates (in the calendar's zone) of start and end.

        With ``s`` and ``e`` those dates: if ``e > s``, the number of working days in ``s+1 .. e`` (both
        ends included); if ``e == s``, 0; if ``e < s``, minus the number of working days in ``e+1 .. s``.
        So ``working_days_between(a, b) == -working_days_between(b, a)``, and for ``n >= 1``
        ``working_days_between(t, working_days(n, t)) == n``: called as (now, deadline) a positive value
        reads "剩余 N 个工作日" and a negative one "已超期 N 个工作日". It compares dates only: a deadline at
        18:00 today gives 0 both before and after 18:00, so callers decide "overdue" on the timestamps.
        """
        s = self._local_date(start, "start")
        e = self._local_date(end, "end")
        if e >= s:
            return self._count(s, e)
        return -self._count(e, s)

    def unofficial_years(self, start: datetime.datetime, end: datetime.datetime) -> list[int]:
        """The years from the date of ``start`` through that of ``end`` (either order) lacking official data.

        Non-empty means a result spanning these dates used the weekends-only fallback for those years.
        """
        first, last = sorted((self._local_date(start, "start"), self._local_date(end, "end")))
        return [year for year in range(first.year, last.year + 1) if year not in self._official]

    # -- helpers ------------------------------------------------------------------------------------------

    def _local_date(self, moment: datetime.datetime, what: str) -> datetime.date:
        if not isinstance(moment, datetime.datetime):
            raise CalendarError(f"{what} must be a datetime with a time zone, not {type(moment).__name__}")
        if moment.tzinfo is None or moment.utcoffset() is None:
            # A naive time could be UTC or Beijing time; a guess would shift deadlines by a day near midnight.
            raise CalendarError(f"{what} {moment.isoformat()} has no time zone; give an offset like +08:00")
        return moment.astimezone(self.tz).date()

    def _count(self, after: datetime.date, through: datetime.date) -> int:
        """Working days in (after, through]: weekday arithmetic corrected by the listed deviations."""
        count = _plain_working_count(after, through)
        lo = bisect.bisect_right(self._deviations, after)
        hi = bisect.bisect_right(self._deviations, through)
        for day in self._deviations[lo:hi]:
            count += 1 if self._listed[day] else -1
        return count
