"""The supervision dashboard (督办): per department and per flow, open, overdue and on-time figures in working days.

Definitions (the figures departments are evaluated on):

- *open now*: task rows in state open or claimed; *overdue now*: those with ``due_at < now``.
- *completed in the period*: task rows in state ``completed`` with ``from <= ended_at < to``.
- *late and unfinished*: tasks whose deadline passed before the period's cut-off (the end of the period, or now
  for a period that has not ended) and that were still not done at it — they can no longer be done on time.
- *on-time rate*: on-time completions divided by the completions that had a deadline plus the late and
  unfinished tasks: ``on_time / (with_deadline + late_unfinished)``. A department that leaves its tasks weeks
  overdue does not show 100 % for the few it finished in time. ``None`` when the divisor is 0.
- *handling time* of one task: ``WorkingCalendar.working_days_between(created_at, ended_at)`` — the number of
  working days after the day the task arrived, up to and including the day it was completed (a task done the
  day it arrived counts 0; one arriving on 30 September 2026 and done on 9 October counts 2 — 8 and 9 October —
  the National Day holiday of 1–7 October not counting). It is the count a deadline ``working_days(n)`` uses,
  so a task done on time never exceeds its ``n``. The average is over all completed tasks of the period, rounded
  to 2 places.
- the county windows (one department, a window per county) also get a row per county. Steps the applicant
  does (``department`` NULL: supplying materials) are counted per flow, never as a department.
- *weekly trend*: completions by the week they were completed in, late and unfinished tasks by the week their
  deadline passed (weeks Monday to Sunday; ``week`` is the ISO week, ``week_start`` its Monday).
- *working days late* of an overdue task: ``working_days_between(due_at, now)`` (0 = late since today).

Counts are SQL aggregates on the task-list rows; working days are counted from (arrival date, completion date)
pairs grouped in SQL, so the work done in Python grows with the distinct date pairs, not with the tasks.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from engine.calendar.bounds import out_of_range
from engine.calendar.workdays import WorkingCalendar
from engine.cases.instances import SUPERVISING_DEPARTMENT
from engine.errors import InvalidInput, PermissionDenied
from engine.people.identity import Actor
from engine.store.json_text import json_text
from engine.store.models import HistoryEntry, HumanTask, ProcessInstance, ProcessModel
from engine.store.uow import UnitOfWork

OPEN = ("open", "claimed")
GROUPINGS = {"department": HumanTask.department, "model_key": HumanTask.model_key, "county": HumanTask.county}
SATISFACTION_ANSWERS = ("满意", "基本满意", "不满意")
FOLLOW_UP = ("problem_handling", "follow_up")  # flow key and element id of the follow-up visit (跟踪回访)
MAX_PERIOD_DAYS = 3 * 366


def may_supervise(actor: Actor) -> bool:
    """Administrators, and the staff of the talent office (which supervises every department, art. 8)."""
    return actor.is_admin or (actor.role == "staff" and actor.department == SUPERVISING_DEPARTMENT)


def check_supervisor(actor: Actor) -> None:
    if not may_supervise(actor):
        raise PermissionDenied("only administrators and the talent office see the supervision figures")


def period(start: str | None, end: str | None, *, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """[from, to) from ISO dates in the configured zone; default: the current month up to tomorrow."""
    today = now.astimezone(tz).date()
    try:
        first = date.fromisoformat(start) if start else today.replace(day=1)
        last = date.fromisoformat(end) if end else today + timedelta(days=1)
    except ValueError as error:
        raise InvalidInput("from and to are dates like 2026-10-01", details=[
            {"field": "from/to", "message": "YYYY-MM-DD"}]) from error
    if (problem := out_of_range(first) or out_of_range(last)) is not None:
        raise InvalidInput(f"the period: {problem}", details=[{"field": "from/to", "message": problem}])
    if last <= first or (last - first).days > MAX_PERIOD_DAYS:
        raise InvalidInput("the period needs from < to and at most three years", details=[
            {"field": "to", "message": "after from, within three years"}])
    return datetime.combine(first, time(), tzinfo=tz), datetime.combine(last, time(), tzinfo=tz)


def local_date(column: Any, uow: UnitOfWork, at: datetime) -> ColumnElement[Any]:
    """The date of a UTC timestamp column in the configured zone, computed by the database.

    PostgreSQL converts with the zone's rules; SQLite stores naive UTC text, so it adds the zone's offset at
    ``at`` (exact for Asia/Shanghai, which has no daylight saving time)."""
    tz = uow.platform.settings.tz
    if uow.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(str(tz.key), column))
    offset = at.astimezone(tz).utcoffset() or timedelta()
    return func.date(column, f"{int(offset.total_seconds())} seconds")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _noon(day: date, calendar: WorkingCalendar) -> datetime:
    return datetime.combine(day, time(12), tzinfo=calendar.tz)


def _open_counts(key: Any, uow: UnitOfWork, now: datetime, only: list[Any]) -> dict[Any, tuple[int, int]]:
    # A task whose clock is stopped (case suspended, materials out for correction) is not overdue meanwhile.
    overdue = func.sum(case((and_(HumanTask.due_at < now, HumanTask.clock_stopped_at.is_(None)), 1), else_=0))
    rows = uow.session.execute(select(key, func.count(), overdue).where(HumanTask.state.in_(OPEN), *only)
                               .group_by(key)).all()
    return {group: (int(count), int(late or 0)) for group, count, late in rows}


def _completed_groups(key: Any, uow: UnitOfWork, start: datetime, end: datetime, only: list[Any]) -> list[Any]:
    """Completed tasks of the period grouped by (group, arrival date, completion date, deadline, on time)."""
    created = local_date(HumanTask.created_at, uow, start)
    ended = local_date(HumanTask.ended_at, uow, start)
    has_deadline = case((HumanTask.due_at.is_not(None), 1), else_=0)
    on_time = case((and_(HumanTask.due_at.is_not(None), HumanTask.ended_at <= HumanTask.due_at), 1), else_=0)
    query = select(key, created, ended, has_deadline, on_time, func.count()).where(
        HumanTask.state == "completed", HumanTask.ended_at >= start, HumanTask.ended_at < end, *only
    ).group_by(key, created, ended, has_deadline, on_time)
    return list(uow.session.execute(query).all())


def _late_unfinished_groups(key: Any, uow: UnitOfWork, cutoff: datetime, now: datetime,
                            only: list[Any]) -> list[Any]:
    """Tasks past their deadline and not done at ``cutoff``, grouped by (group, local date of the deadline)."""
    due_day = local_date(HumanTask.due_at, uow, cutoff)
    where = [HumanTask.due_at < cutoff, *only]
    if cutoff >= now:  # the period has not ended: what is open now (the task-list indexes answer)
        where.append(HumanTask.state.in_(OPEN))
    else:  # a past period: open at its end, whatever happened since
        where += [HumanTask.created_at < cutoff, or_(HumanTask.state.in_(OPEN), HumanTask.ended_at >= cutoff)]
    return list(uow.session.execute(select(key, due_day, func.count()).where(*where).group_by(key, due_day)).all())


def _figures(by: str, uow: UnitOfWork, now: datetime, start: datetime, end: datetime,
             calendar: WorkingCalendar) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows and weekly trend grouped ``by`` department, flow, or county (the county windows' tasks only)."""
    key = GROUPINGS[by]
    only = {"county": [HumanTask.department.in_(_per_county(uow))],
            "department": [HumanTask.department.is_not(None)]}.get(by, [])
    open_counts = _open_counts(key, uow, now, only)
    done, weeks = _tally(_completed_groups(key, uow, start, end, only), calendar)
    late: dict[Any, int] = defaultdict(int)
    for group, due_day, count in _late_unfinished_groups(key, uow, min(end, now), now, only):
        late[group] += count
        if start.date() <= _as_date(due_day):
            weeks[(group, _iso_week(_as_date(due_day)))]["late_unfinished"] += count
    rows = []
    for group in sorted(set(open_counts) | set(done) | set(late), key=lambda g: (g is None, g or "")):
        figures = done.get(group) or _bucket()
        open_now, overdue_now = open_counts.get(group, (0, 0))
        rows.append({by: group, "open": open_now, "overdue": overdue_now, "completed": figures["completed"],
                     "with_deadline": figures["with_deadline"], "on_time": figures["on_time"],
                     "late_unfinished": late.get(group, 0),
                     "on_time_rate": _rate(figures["on_time"], figures["with_deadline"] + late.get(group, 0)),
                     "avg_working_days": round(figures["working_days"] / figures["completed"], 2)
                     if figures["completed"] else None})
    trend = [{by: group, "week": week, "week_start": _week_start(week).isoformat(),
              **{k: v for k, v in counts.items() if k != "working_days"},
              "on_time_rate": _rate(counts["on_time"], counts["with_deadline"] + counts["late_unfinished"])}
             for (group, week), counts in sorted(weeks.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))]
    return rows, trend


def _bucket() -> dict[str, int]:
    return {"completed": 0, "with_deadline": 0, "on_time": 0, "late_unfinished": 0, "working_days": 0}


def _tally(groups: list[Any], calendar: WorkingCalendar) -> tuple[dict[Any, dict[str, int]],
                                                                   dict[tuple[Any, str], dict[str, int]]]:
    """Sum the grouped completions per group and per (group, ISO week of completion), with working days."""
    done: dict[Any, dict[str, int]] = defaultdict(_bucket)
    weeks: dict[tuple[Any, str], dict[str, int]] = defaultdict(_bucket)
    for group, created, ended, has_deadline, on_time, count in groups:
        created, ended = _as_date(created), _as_date(ended)
        days = calendar.working_days_between(_noon(created, calendar), _noon(ended, calendar))
        for bucket in (done[group], weeks[(group, _iso_week(ended))]):
            bucket["completed"] += count
            bucket["with_deadline"] += count * has_deadline
            bucket["on_time"] += count * on_time
            bucket["working_days"] += count * days
    return done, weeks


def _per_county(uow: UnitOfWork) -> list[str]:
    return [code for code, d in uow.platform.organisation.departments.items() if d.per_county]


def _iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _week_start(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def dashboard(*, actor: Actor, uow: UnitOfWork, now: datetime, start: datetime, end: datetime) -> dict[str, Any]:
    """Every figure of the 督办 page for [start, end): per department, per flow, weekly trends, satisfaction."""
    check_supervisor(actor)
    calendar = uow.platform.calendar.get(uow)
    departments, department_trend = _figures("department", uow, now, start, end, calendar)
    flows, flow_trend = _figures("model_key", uow, now, start, end, calendar)
    county_windows, _county_trend = _figures("county", uow, now, start, end, calendar)
    organisation = uow.platform.organisation
    # An applicant's own tasks (no department) are not a department's work: they have no row among departments.
    departments = [row for row in departments if row["department"] is not None]
    department_trend = [row for row in department_trend if row.get("department") is not None]
    for row in departments:
        row["department_name"] = organisation.department_name(row["department"])
    for row in county_windows:
        county = organisation.counties.get(row["county"] or "")
        row["window"] = county.window if county else ""
    return {
        "from": start.isoformat(), "to": end.isoformat(), "now": now.isoformat(),
        "departments": departments, "department_trend": department_trend,
        "flows": flows, "flow_trend": flow_trend, "county_windows": county_windows,
        "satisfaction": satisfaction(uow=uow, start=start, end=end),
        "unofficial_years": calendar.unofficial_years(start, max(end, now) + timedelta(days=366)),
    }


def satisfaction(*, uow: UnitOfWork, start: datetime, end: datetime) -> dict[str, Any]:
    """Answers of the problem-handling follow-up visits completed in [start, end), from the case history."""
    answer = json_text(HistoryEntry.details, ("data", "satisfaction"), uow.platform.engine.dialect.name,
                       selected=True)
    rows = uow.session.execute(select(answer, func.count()).where(
        HistoryEntry.action == "complete", HistoryEntry.model_key == FOLLOW_UP[0],
        HistoryEntry.task_name == FOLLOW_UP[1], HistoryEntry.at >= start, HistoryEntry.at < end)
        .group_by(answer)).all()
    counts = {value: 0 for value in SATISFACTION_ANSWERS}
    for value, count in rows:
        counts[value or "未填写"] = counts.get(value or "未填写", 0) + int(count)
    total = sum(counts.values())
    rated = counts["满意"] + counts["基本满意"]
    return {"counts": counts, "total": total, "satisfied_rate": _rate(rated, total)}


def overdue_tasks(*, actor: Actor, uow: UnitOfWork, now: datetime, department: str | None = None,
                  model_key: str | None = None, limit: int = 200, offset: int = 0) -> dict[str, Any]:
    """Open tasks past their deadline, longest overdue first, each with how many working days late."""
    check_supervisor(actor)
    where = [HumanTask.state.in_(OPEN), HumanTask.due_at < now, HumanTask.clock_stopped_at.is_(None)]
    if department:
        where.append(HumanTask.department == department)
    if model_key:
        where.append(HumanTask.model_key == model_key)
    total = uow.session.scalar(select(func.count()).select_from(HumanTask).where(*where)) or 0
    rows = uow.session.execute(
        select(HumanTask, ProcessInstance.status, ProcessInstance.business_key, ProcessModel.name)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessModel, ProcessModel.id == ProcessInstance.model_id)
        .where(*where).order_by(HumanTask.due_at, HumanTask.id)
        .limit(min(max(limit, 1), 1000)).offset(max(offset, 0))).all()
    calendar = uow.platform.calendar.get(uow)
    organisation = uow.platform.organisation
    return {"total": int(total), "items": [{
        "task_id": t.id, "instance_id": t.instance_id, "model_key": t.model_key, "flow_name": flow or t.model_key,
        "name": t.name, "title": t.title, "business_key": business_key, "case_status": status,
        "department": t.department, "department_name": organisation.department_name(t.department),
        "county": t.county,
        "assignee": t.assignee, "state": t.state, "created_at": t.created_at.isoformat(),
        "due_at": t.due_at.isoformat() if t.due_at else None,
        "working_days_late": calendar.working_days_between(t.due_at, now) if t.due_at else None,
    } for t, status, business_key, flow in rows]}


DEPARTMENT_COLUMNS = [("department", "部门代码"), ("department_name", "部门"), ("open", "在办"), ("overdue", "超期"),
                      ("completed", "期内办结"), ("with_deadline", "有时限办结"), ("on_time", "按时办结"),
                      ("late_unfinished", "超期未办结"), ("on_time_rate", "按时办结率"),
                      ("avg_working_days", "平均办理工作日")]
FLOW_COLUMNS = [("model_key", "事项代码"), ("flow_name", "事项"), ("open", "在办"), ("overdue", "超期"),
                ("completed", "期内办结"), ("with_deadline", "有时限办结"), ("on_time", "按时办结"),
                ("late_unfinished", "超期未办结"), ("on_time_rate", "按时办结率"),
                ("avg_working_days", "平均办理工作日")]
OVERDUE_COLUMNS = [("task_id", "任务"), ("instance_id", "案件"), ("model_key", "事项"), ("flow_name", "事项名称"),
                   ("title", "环节"),
                   ("department_name", "部门"), ("county", "县区"), ("assignee", "经办人"), ("due_at", "办理时限"),
                   ("working_days_late", "超期工作日")]


def to_csv(rows: Iterable[dict[str, Any]], columns: list[tuple[str, str]]) -> bytes:
    """CSV with a header row in Chinese, UTF-8 with a byte-order mark so that Excel reads the characters."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title for _key, title in columns])
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key, _title in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: Any) -> Any:
    """A cell as Excel should show it: text that looks like a formula is quoted, never evaluated."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
