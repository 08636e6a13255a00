"""Tests for engine.calendar.workdays: working-day deadlines on the official Chinese calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from engine.calendar.workdays import (
    MAX_WORKING_DAYS,
    CalendarDay,
    WorkingCalendar,
    known_official_years,
    official_days,
)
from engine.errors import CalendarError

SHANGHAI = ZoneInfo("Asia/Shanghai")
EIGHT_HOURS = timedelta(hours=8)


def build(years: tuple[int, ...] = (2025, 2026), *, tz: ZoneInfo = SHANGHAI, end: time = time(18, 0),
          extra: tuple[CalendarDay, ...] = ()) -> WorkingCalendar:
    days: list[CalendarDay] = []
    for year in years:
        listed = official_days(year)
        assert listed is not None
        days.extend(listed)
    return WorkingCalendar([*days, *extra], years, tz=tz, workday_end=end)


@pytest.fixture
def cal() -> WorkingCalendar:
    return build()


def sh(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


# -- working_days -------------------------------------------------------------------------------------------

def test_contract_example_spans_national_day_to_adjusted_saturday(cal: WorkingCalendar) -> None:
    deadline = cal.working_days(3, datetime.fromisoformat("2026-09-30T10:00:00+08:00"))
    assert deadline.isoformat() == "2026-10-10T18:00:00+08:00"
    assert deadline.tzinfo is SHANGHAI


def test_friday_start_skips_the_weekend(cal: WorkingCalendar) -> None:
    assert date(2026, 3, 13).weekday() == 4
    assert cal.working_days(1, sh(2026, 3, 13, 9)) == sh(2026, 3, 16, 18)
    assert cal.working_days(3, sh(2026, 3, 13, 9)) == sh(2026, 3, 18, 18)


def test_spring_festival_2026_block_is_off_and_its_saturdays_are_on(cal: WorkingCalendar) -> None:
    for offset in range(9):  # 2026-02-15 .. 02-23
        assert not cal.is_working_day(date(2026, 2, 15) + timedelta(days=offset))
    assert cal.is_working_day(date(2026, 2, 14))  # Saturday before: 调休上班
    start = sh(2026, 2, 13, 9)  # Friday
    assert cal.working_days(1, start) == sh(2026, 2, 14, 18)
    assert cal.working_days(2, start) == sh(2026, 2, 24, 18)


def test_adjusted_sunday_counts_as_a_working_day(cal: WorkingCalendar) -> None:
    # 2026-09-20 is a Sunday worked in lieu of National Day; Saturday 09-19 stays off.
    assert cal.working_days(1, sh(2026, 9, 18, 15)) == sh(2026, 9, 20, 18)
    assert cal.working_days(2, sh(2026, 9, 18, 15)) == sh(2026, 9, 21, 18)
    assert not cal.is_working_day(date(2026, 9, 19))


def test_zero_days_on_a_working_day_ends_that_day(cal: WorkingCalendar) -> None:
    assert cal.working_days(0, sh(2026, 9, 30, 10)) == sh(2026, 9, 30, 18)
    assert cal.working_days(0, sh(2026, 10, 10, 8)) == sh(2026, 10, 10, 18)  # adjusted Saturday


def test_zero_days_on_a_holiday_ends_the_next_working_day(cal: WorkingCalendar) -> None:
    assert cal.working_days(0, sh(2026, 10, 1, 10)) == sh(2026, 10, 8, 18)
    assert cal.working_days(0, sh(2026, 10, 11, 10)) == sh(2026, 10, 12, 18)  # ordinary Sunday


def test_utc_start_is_dated_in_the_calendar_zone_and_workday_end_is_configurable() -> None:
    cal = build(end=time(17, 30))
    # 17:00 UTC on Friday 10-09 is already 01:00 on Saturday 10-10 in Shanghai, so that day does not count.
    start = datetime(2026, 10, 9, 17, 0, tzinfo=UTC)
    deadline = cal.working_days(1, start)
    assert deadline == datetime(2026, 10, 12, 17, 30, tzinfo=SHANGHAI)
    assert deadline.utcoffset() == EIGHT_HOURS
    assert deadline.isoformat() == "2026-10-12T17:30:00+08:00"


def test_calendar_in_another_zone_dates_the_start_in_that_zone() -> None:
    cal = build(tz=ZoneInfo("UTC"), end=time(9, 0))
    # 01:00 Beijing on Saturday 10-10 is still Friday 10-09 in UTC, so the adjusted Saturday is day one.
    deadline = cal.working_days(1, sh(2026, 10, 10, 1))
    assert deadline == datetime(2026, 10, 10, 9, 0, tzinfo=UTC)
    assert deadline.utcoffset() == timedelta(0)


def test_listed_day_wins_and_later_entries_override_earlier(cal: WorkingCalendar) -> None:
    local = build(extra=(CalendarDay(date(2026, 10, 8), False, "本地假日"),
                         CalendarDay(date(2026, 10, 11), True, "本地调休")))
    assert cal.is_working_day(date(2026, 10, 8))
    assert not local.is_working_day(date(2026, 10, 8))
    assert local.is_working_day(date(2026, 10, 11))
    assert local.working_days(3, sh(2026, 9, 30)) == sh(2026, 10, 11, 18)
    # Overriding an official entry: the adjusted Saturday 10-10 cancelled locally.
    cancelled = build(extra=(CalendarDay(date(2026, 10, 10), False, "取消调休"),))
    assert not cancelled.is_working_day(date(2026, 10, 10))
    assert cancelled.working_days(3, sh(2026, 9, 30)) == sh(2026, 10, 12, 18)
    assert cancelled.working_days_between(sh(2026, 9, 30), sh(2026, 10, 12)) == 3


def test_matches_chinesecalendar_day_by_day(cal: WorkingCalendar) -> None:
    # Independent reference: walk with the library's own is_workday.
    def reference(n: int, start: date) -> date:
        day, left = start - timedelta(days=1 if n == 0 else 0), max(n, 1)
        while left:
            day += timedelta(days=1)
            left -= chinese_calendar.is_workday(day)
        return day

    for offset in range(0, 700, 3):
        start = date(2025, 1, 1) + timedelta(days=offset)
        assert cal.is_working_day(start) == chinese_calendar.is_workday(start)
        for n in (0, 1, 2, 5, 9):
            got = cal.working_days(n, datetime.combine(start, time(12), tzinfo=SHANGHAI))
            assert got.date() == reference(n, start), (start, n)


def test_max_days_is_allowed_and_finishes_years_later(cal: WorkingCalendar) -> None:
    deadline = cal.working_days(MAX_WORKING_DAYS, sh(2026, 1, 5))
    assert date(2039, 1, 1) < deadline.date() < date(2042, 1, 1)


@pytest.mark.parametrize("n", [-1, True, False, 1.5, 3.0, "3", None, MAX_WORKING_DAYS + 1])
def test_bad_day_counts_are_refused(cal: WorkingCalendar, n: object) -> None:
    with pytest.raises(CalendarError, match="working_days"):
        cal.working_days(n, sh(2026, 9, 30))  # type: ignore[arg-type]


def test_naive_start_is_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(CalendarError, match="no time zone"):
        cal.working_days(1, datetime(2026, 9, 30, 10, 0))
    with pytest.raises(CalendarError, match="datetime"):
        cal.working_days(1, date(2026, 9, 30))  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match="no time zone"):
        cal.is_working_day(datetime(2026, 10, 1, 10, 0))


# -- years without official data ----------------------------------------------------------------------------

def test_2027_falls_back_to_weekends_only() -> None:
    cal = build((2026,))
    assert cal.is_official(2026) is True
    assert cal.is_official(2027) is False
    assert cal.is_working_day(date(2027, 10, 1))  # a Friday: no National Day without data
    assert not cal.is_working_day(date(2027, 10, 2))  # Saturday
    assert cal.working_days(1, sh(2027, 1, 29)) == sh(2027, 2, 1, 18)  # Friday -> Monday
    assert cal.working_days(2, sh(2040, 6, 1)) == sh(2040, 6, 5, 18)  # far future never raises


def test_deadline_crossing_into_2027_names_the_fallback_year() -> None:
    cal = build((2026,))
    start = sh(2026, 12, 30)  # Wednesday
    deadline = cal.working_days(5, start)
    # 12-31, 2027-01-01 (a Friday, treated as working without data), 01-04, 01-05, 01-06.
    assert deadline == sh(2027, 1, 6, 18)
    assert cal.unofficial_years(start, deadline) == [2027]
    assert cal.unofficial_years(deadline, start) == [2027]
    assert cal.unofficial_years(sh(2026, 1, 1), sh(2026, 12, 31, 23, 59)) == []
    assert cal.unofficial_years(sh(2024, 12, 31), sh(2029, 1, 1)) == [2024, 2025, 2027, 2028, 2029]


# -- official_days ------------------------------------------------------------------------------------------

def test_official_days_2026_lists_national_day_and_adjusted_saturday() -> None:
    days = official_days(2026)
    assert days is not None
    by_day = {d.day: d for d in days}
    for offset in range(7):
        entry = by_day[date(2026, 10, 1) + timedelta(days=offset)]
        assert (entry.is_working, entry.name) == (False, "国庆节")
    assert by_day[date(2026, 10, 10)] == CalendarDay(date(2026, 10, 10), True, "调休上班")
    assert by_day[date(2026, 9, 25)].name == "中秋节"
    assert [d.day for d in days] == sorted(by_day)
    assert all(d.day.year == 2026 for d in days)
    assert all(d.day.weekday() >= 5 for d in days if d.is_working)
    assert date(2026, 10, 12) not in by_day  # ordinary days are not listed


def test_official_days_unknown_years_are_none() -> None:
    assert official_days(2027) is None
    assert official_days(2003) is None
    assert known_official_years()[0] == 2004
    assert known_official_years()[-1] == 2026


def test_official_days_returns_a_fresh_list() -> None:
    first = official_days(2026)
    assert first is not None
    first.clear()
    assert official_days(2026)


# -- working_days_between -----------------------------------------------------------------------------------

def test_between_counts_remaining_working_days(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(sh(2026, 9, 28, 10), sh(2026, 9, 30, 18)) == 2  # 29th, 30th
    assert cal.working_days_between(sh(2026, 9, 30, 10), sh(2026, 10, 10, 18)) == 3  # 8th, 9th, 10th
    assert cal.working_days_between(sh(2026, 9, 30, 9), sh(2026, 9, 30, 20)) == 0


def test_between_is_negative_when_overdue(cal: WorkingCalendar) -> None:
    deadline = sh(2026, 9, 30, 18)
    assert cal.working_days_between(sh(2026, 10, 8, 9), deadline) == -1  # holiday week is not counted
    assert cal.working_days_between(sh(2026, 10, 12, 9), deadline) == -4  # 8th, 9th, 10th, 12th
    assert cal.working_days_between(sh(2026, 10, 4, 9), deadline) == 0


def test_between_dates_in_the_calendar_zone(cal: WorkingCalendar) -> None:
    # 16:30 UTC on 09-29 is 00:30 on 09-30 in Shanghai: one working day to a deadline on 10-08.
    start = datetime(2026, 9, 29, 16, 30, tzinfo=UTC)
    assert cal.working_days_between(start, sh(2026, 10, 8, 18)) == 1
    with pytest.raises(CalendarError):
        cal.working_days_between(datetime(2026, 9, 29), sh(2026, 10, 8))


def test_between_inverts_working_days_and_is_antisymmetric(cal: WorkingCalendar) -> None:
    for offset in range(0, 730, 5):
        start = sh(2025, 1, 1) + timedelta(days=offset)
        for n in (1, 3, 10, 40):
            deadline = cal.working_days(n, start)
            assert cal.working_days_between(start, deadline) == n
            assert cal.working_days_between(deadline, start) == -n
