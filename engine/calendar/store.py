"""The working-day calendar kept in the database: seeded from chinesecalendar, editable per year."""

from __future__ import annotations

import threading
import time as _time
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select

from engine.calendar.workdays import CalendarDay, WorkingCalendar, known_official_years, official_days
from engine.config import Settings
from engine.errors import InvalidInput
from engine.store.models import CalendarDayRow, CalendarYear
from engine.store.uow import UnitOfWork

MIN_YEAR, MAX_YEAR = 2000, 2100


def seed_official_years(*, uow: UnitOfWork, now: datetime) -> list[int]:
    """Store chinesecalendar's data for every year it knows that the database does not have yet."""
    present = set(uow.session.scalars(select(CalendarYear.year)).all())
    added = []
    for year in known_official_years():
        if year in present:
            continue
        days = official_days(year) or []
        uow.session.add(CalendarYear(year=year, official=True, source="chinesecalendar", updated_at=now,
                                     updated_by="system"))
        uow.session.add_all(CalendarDayRow(day=d.day, is_working=d.is_working, name=d.name) for d in days)
        added.append(year)
    return added


def year_view(year: int, *, uow: UnitOfWork) -> dict[str, Any]:
    """The year's listed days and whether it has official data (weekend-only fallback otherwise)."""
    _check_year(year)
    row = uow.session.get(CalendarYear, year)
    days = uow.session.scalars(select(CalendarDayRow).where(
        CalendarDayRow.day >= date(year, 1, 1), CalendarDayRow.day <= date(year, 12, 31))
        .order_by(CalendarDayRow.day)).all()
    return {
        "year": year,
        "official": bool(row and row.official),
        "source": row.source if row else "fallback",
        "fallback": "weekends only" if not (row and row.official) else None,
        "updated_at": row.updated_at.isoformat() if row else None,
        "updated_by": row.updated_by if row else None,
        "holidays": [{"date": d.day.isoformat(), "name": d.name} for d in days if not d.is_working],
        "working_days": [{"date": d.day.isoformat(), "name": d.name} for d in days if d.is_working],
    }


def replace_year(year: int, payload: dict[str, Any], *, actor: str, uow: UnitOfWork, now: datetime) -> None:
    """Replace a year's holidays and adjusted working days, e.g. when the State Council publishes them."""
    _check_year(year)
    days = _parse_days(year, payload)
    official = payload.get("official", True)
    if not isinstance(official, bool):
        raise InvalidInput("official must be true or false", details=[{"field": "official",
                                                                      "message": "true or false"}])
    uow.session.execute(delete(CalendarDayRow).where(CalendarDayRow.day >= date(year, 1, 1),
                                                     CalendarDayRow.day <= date(year, 12, 31)))
    uow.session.add_all(CalendarDayRow(day=d.day, is_working=d.is_working, name=d.name) for d in days)
    row = uow.session.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year, official=official, source="admin", updated_at=now, updated_by=actor)
        uow.session.add(row)
    row.official, row.source, row.updated_at, row.updated_by = official, "admin", now, actor


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"year {year} is outside {MIN_YEAR}–{MAX_YEAR}")


def _parse_days(year: int, payload: dict[str, Any]) -> list[CalendarDay]:
    problems: list[dict[str, str]] = []
    result: dict[date, CalendarDay] = {}
    for field, is_working in (("holidays", False), ("working_days", True)):
        entries = payload.get(field, [])
        if not isinstance(entries, list):
            problems.append({"field": field, "message": "a list of {date, name}"})
            continue
        for index, entry in enumerate(entries):
            where = f"{field}[{index}]"
            raw = entry.get("date") if isinstance(entry, dict) else entry
            name = entry.get("name", "") if isinstance(entry, dict) else ""
            try:
                day = date.fromisoformat(str(raw))
            except ValueError:
                problems.append({"field": where, "message": f"{raw!r} is not a date YYYY-MM-DD"})
                continue
            if day.year != year:
                problems.append({"field": where, "message": f"{day} is not in {year}"})
            elif day in result:
                problems.append({"field": where, "message": f"{day} is listed twice"})
            elif not isinstance(name, str) or len(name) > 80:
                problems.append({"field": where, "message": "name: text of at most 80 characters"})
            else:
                result[day] = CalendarDay(day=day, is_working=is_working, name=name)
    if problems:
        raise InvalidInput(f"the calendar for {year} was not saved", details=problems)
    return sorted(result.values(), key=lambda d: d.day)


class CalendarCache:
    """The calendar for expressions, re-read at most every ``ttl`` seconds or when this process edits it."""

    def __init__(self, settings: Settings, ttl: float = 30.0) -> None:
        self.settings = settings
        self.ttl = ttl
        self._lock = threading.Lock()
        self._calendar: WorkingCalendar | None = None
        self._loaded_at = 0.0

    def invalidate(self) -> None:
        with self._lock:
            self._calendar = None

    def get(self, uow: UnitOfWork) -> WorkingCalendar:
        with self._lock:
            if self._calendar is not None and _time.monotonic() - self._loaded_at < self.ttl:
                return self._calendar
        years = uow.session.execute(select(CalendarYear.year, CalendarYear.official)).all()
        days = uow.session.scalars(select(CalendarDayRow)).all()
        calendar = WorkingCalendar(
            (CalendarDay(day=d.day, is_working=d.is_working, name=d.name) for d in days),
            [y for y, official in years if official], tz=self.settings.tz, workday_end=self.settings.workday_end)
        with self._lock:
            self._calendar, self._loaded_at = calendar, _time.monotonic()
        return calendar
