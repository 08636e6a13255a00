"""The administrators' console: every case with its diagram, repairs with a reason, the per-flow view, the
supervision dashboard (督办, which the talent office sees too), the working-day calendar and the archive."""

from __future__ import annotations

import calendar as month_calendar
import json
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.calendar import store as calendar_store
from engine.calendar.bounds import EARLIEST_YEAR, LATEST_YEAR, out_of_range
from engine.cases import deadlines, instances
from engine.errors import Conflict, InvalidInput, NotFound, OneStopError, PermissionDenied
from engine.people.identity import Actor
from engine.services import admin_queries, designer, diagrams, supervision
from engine.services.bulk import MAX_BULK_CASES
from engine.store.uow import UnitOfWork
from tasks import handover, listing
from tasks.reassign import reassign_task

from ..admin_api import csv_download, required_reason
from .casework import case_extras
from .console_ops import move_choices
from .display import STATUS_LABELS, is_english, when
from .pages import add_error_pages
from .work import now, platform, unit_of_work

console = add_error_pages(Blueprint("console", __name__, url_prefix="/console"))
PAGE_SIZE = 50
#: The last page number the console's lists accept (50,000 pages of 50 cases).
MAX_PAGE = 50_000
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only: "²" and "٣" are digits to str.isdigit()
FILTERS = ("model_key", "status", "department", "county", "applicant", "business_key", "error_task")
INSTANCE_ACTIONS: dict[str, Callable[..., dict[str, Any]]] = {
    "suspend": instances.suspend_instance, "resume": instances.resume_instance, "cancel": instances.cancel_instance}
CSV_TABLES = {"departments": supervision.DEPARTMENT_COLUMNS, "flows": supervision.FLOW_COLUMNS,
              "overdue": supervision.OVERDUE_COLUMNS}


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only administrators use the console")


def _form_reason() -> str:
    """The reason typed in a repair form, checked as the API checks it; it goes into the case history."""
    return required_reason(request.form.to_dict())


def _refused(message: str) -> None:
    """A filter of the request could not be used: say so on the page, which then answers 400 (_status)."""
    flash(message, "error")
    g.refused_filter = True


def _status() -> int:
    return 400 if g.get("refused_filter") else 200


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if _WHOLE_NUMBER.fullmatch(raw) and 1 <= int(raw) <= MAX_PAGE:
        return int(raw)
    _refused(_("页码“%(value)s”无效（应为 1 至 %(max)s 的整数），已显示第 1 页。", value=raw[:20], max=MAX_PAGE))
    return 1


def _day(raw: str | None) -> datetime | None:
    """A date filter as the start of that day in the platform's zone; an unreadable one is dropped, and said."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        _refused(_("日期“%(value)s”无效（应为 2026-10-01 这样的格式），已忽略该条件。", value=raw[:20]))
        return None
    if out_of_range(day) is not None:
        _refused(_("日期“%(value)s”超出可查询的范围（%(first)s 年至 %(last)s 年），已忽略该条件。", value=raw,
                   first=EARLIEST_YEAR, last=LATEST_YEAR))
        return None
    return datetime.combine(day, time(), tzinfo=platform().settings.tz)


def _search_filters() -> dict[str, Any]:
    filters: dict[str, Any] = {key: (request.args.get(key) or "").strip() or None for key in FILTERS}
    version = request.args.get("version", "")
    filters["version"] = int(version) if _WHOLE_NUMBER.fullmatch(version) else None
    if version and filters["version"] is None:
        _refused(_("版本号“%(value)s”无效（应为整数），已忽略该条件。", value=version[:20]))
    overdue = request.args.get("overdue", "")
    filters["overdue"] = {"1": True, "0": False}.get(overdue)
    filters["started_from"] = _day(request.args.get("started_from"))
    to = _day(request.args.get("started_to"))
    filters["started_to"] = to + timedelta(days=1) if to else None  # "started up to" includes that day
    if filters["status"] not in (None, *instances.STATUSES):
        filters["status"] = None
    return filters


@console.get("")
@login_required
def index() -> Any:
    with unit_of_work(write=False) as (_uow, actor):
        if actor.is_admin:
            return redirect(url_for("console.instances"))
        supervision.check_supervisor(actor)
    return redirect(url_for("console.dashboard"))


@console.get("/instances", endpoint="instances")
@login_required
def instances_page() -> Any:
    filters = _search_filters()
    page = _page_number()
    with unit_of_work(write=False) as (uow, actor):
        result = admin_queries.search_instances(filters, actor=actor, uow=uow, now=now(), limit=PAGE_SIZE,
                                                offset=(page - 1) * PAGE_SIZE)
        holders = {t["assignee"] for item in result["items"] for t in item["open_tasks"]}
        versions = designer.list_versions(filters["model_key"], uow=uow) if filters["model_key"] else []
        return render_template(
            "console/instances.html", result=result, filters=filters, page=page,
            args={k: v for k, v in request.args.items() if k != "page"},
            unfiltered_status={k: v for k, v in request.args.items() if k not in ("page", "status")},
            pages=max((result["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1), flows=listing.flow_names(uow=uow),
            versions=versions, organisation=uow.platform.organisation, statuses=instances.STATUSES,
            bulk_limit=MAX_BULK_CASES,
            names=listing.display_names({h for h in holders if h}, uow=uow)), _status()


def _instance_page(instance_id: int, uow: UnitOfWork, actor: Actor) -> str:
    marks = admin_queries.instance_marks(instance_id, actor=actor, uow=uow, now=now())
    case = listing.case_overview(instance_id, actor=actor, uow=uow)
    candidates = {t["id"]: handover.colleagues(t["id"], actor=actor, uow=uow)
                  for t in case["open_tasks"] if t["department"]}
    people = {case["started_by"], *(s["actor"] for s in case["steps"]), *(t["assignee"] for t in case["open_tasks"]),
              *(s["details"].get("to") for s in case["steps"]), *(s["details"].get("from") for s in case["steps"])}
    repair = admin_queries.retry_baseline(instance_id, actor=actor, uow=uow) if case["status"] == "error" else None
    tz = platform().settings.tz
    marks["timers"] = [{**t, "due_text": when(t["due_at"]),  # due_local: the value of a datetime-local field
                        "due_local": datetime.fromisoformat(t["due_at"]).astimezone(tz).strftime("%Y-%m-%dT%H:%M")}
                       for t in marks["timers"]]
    extras = {**case_extras(instance_id, uow, actor), **move_choices(instance_id, uow, actor)}
    people |= {c["author"] for c in extras["comments"]}
    return render_template(
        "console/instance.html", case=case, marks=marks, candidates=candidates, repair=repair, **extras,
        repair_json=json.dumps(repair["data"], ensure_ascii=False, indent=2) if repair else "",
        names=listing.display_names({p for p in people if p}, uow=uow),
        marks_json=json.dumps({k: marks[k] for k in ("completed", "current", "overdue", "error", "timers")},
                              ensure_ascii=False),
        labels_json=json.dumps({"overdue": _("已超期"), "error": _("异常待处理"), "timer": _("定时到期")},
                               ensure_ascii=False))


@console.get("/instances/<int:instance_id>")
@login_required
def instance(instance_id: int) -> Any:
    with unit_of_work(write=False) as (uow, actor):
        return _instance_page(instance_id, uow, actor)


def _explain(instance_id: int, error: OneStopError) -> str:
    """Why a repair did not happen, read afresh (the failed transaction has rolled back)."""
    if isinstance(error, InvalidInput):
        problem = (error.details or [{}])[0]
        if problem.get("field") == "reason":
            return _("操作未完成：请填写原因（不超过2000字），它将记入案件的办理记录。")
        return _("操作未完成：%(problem)s", problem=problem.get("message") or error.message)
    with unit_of_work(write=False) as (uow, actor):
        try:
            status = instances.get_visible(instance_id, actor=actor, uow=uow).status
        except NotFound:
            return _("操作未完成：此案件已不存在。")
    return _("操作未完成：案件当前为“%(status)s”，此操作已不适用（%(detail)s）。请查看最新状态。",
             status=STATUS_LABELS.get(status, status), detail=error.message)


def _act(instance_id: int, action: Callable[[UnitOfWork, Actor], Any], done: str, *,
         runs_diagram: bool = False) -> Any:
    """Run one repair in its own transaction; a conflict or a refused input is explained on the case page."""
    try:
        with unit_of_work(write=True, optimistic=runs_diagram) as (uow, actor):
            _admin(actor)
            action(uow, actor)
        flash(done, "success")
    except (Conflict, InvalidInput) as error:
        flash(_explain(instance_id, error), "error")
    return redirect(url_for("console.instance", instance_id=instance_id))


@console.post("/instances/<int:instance_id>/<any(suspend, resume, cancel):action>")
@login_required
def instance_action(instance_id: int, action: str) -> Any:
    def run(uow: UnitOfWork, actor: Actor) -> None:
        INSTANCE_ACTIONS[action](instance_id, reason=_form_reason(), actor=actor, uow=uow, now=now())

    done = {"suspend": _("案件已暂停。"), "resume": _("案件已恢复办理。"), "cancel": _("案件已撤销。")}[action]
    return _act(instance_id, run, done)


@console.post("/instances/<int:instance_id>/retry")
@login_required
def retry(instance_id: int) -> Any:
    outcome: dict[str, Any] = {}

    def run(uow: UnitOfWork, actor: Actor) -> None:
        try:
            edited = json.loads(request.form.get("data") or "{}")
        except ValueError as error:
            raise InvalidInput("data", details=[{"field": "data", "message": _("数据不是有效的 JSON。")}]) from error
        outcome.update(admin_queries.retry_with_edits(instance_id, edited, reason=_form_reason(),
                                                      actor=actor, uow=uow, now=now()))

    response = _act(instance_id, run, _("已重新处理。"), runs_diagram=True)
    if outcome.get("status") == "error":
        flash(_("重新处理后仍然异常，请查看错误信息并再次修正数据。"), "error")
    return response


@console.post("/instances/<int:instance_id>/tasks/<int:task_id>/reassign")
@login_required
def reassign(instance_id: int, task_id: int) -> Any:
    def run(uow: UnitOfWork, actor: Actor) -> None:
        reassign_task(task_id, request.form.get("username", ""), reason=_form_reason(), actor=actor,
                      uow=uow, now=now())

    return _act(instance_id, run, _("任务已改派。"))


@console.post("/instances/<int:instance_id>/timers/<timer>/move")
@login_required
def move_timer(instance_id: int, timer: str) -> Any:
    def run(uow: UnitOfWork, actor: Actor) -> None:
        deadlines.move_timer(instance_id, timer, request.form.get("due_at", ""), reason=_form_reason(),
                             actor=actor, uow=uow, now=now())

    return _act(instance_id, run, _("时限已调整。"))


@console.get("/instances/<int:instance_id>/archive")
@login_required
def archive(instance_id: int) -> Any:
    with unit_of_work(write=False) as (uow, actor):
        document = admin_queries.archive(instance_id, actor=actor, uow=uow, now=now())
    response = Response(json.dumps(document, ensure_ascii=False, indent=1), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="case-{instance_id}-archive.json"'
    return response


@console.get("/flows")
@login_required
def flows() -> Any:
    with unit_of_work(write=False) as (uow, actor):
        _admin(actor)
        names = listing.flow_names(uow=uow)
        return render_template("console/flows.html", flows=[
            {"key": key, "name": name, "versions": designer.list_versions(key, uow=uow)}
            for key, name in names.items()])


@console.get("/flows/<key>/<int:version>")
@login_required
def flow(key: str, version: int) -> Any:
    with unit_of_work(write=False) as (uow, actor):
        counts = admin_queries.node_counts(key, version, actor=actor, uow=uow, now=now())
        return render_template(
            "console/flow.html", counts=counts, names=admin_queries.element_names(key, version, actor=actor, uow=uow),
            flow_name=listing.flow_names(uow=uow).get(key, key), versions=designer.list_versions(key, uow=uow),
            counts_json=json.dumps(counts["nodes"], ensure_ascii=False))


@console.get("/flows/<key>/<int:version>/diagram.bpmn")
@login_required
def diagram(key: str, version: int) -> Any:
    with unit_of_work(write=False) as (uow, actor):
        xml = admin_queries.diagram_xml(key, version, actor=actor, uow=uow)
        shown = diagrams.readable_lanes(xml.encode("utf-8"), uow.platform.organisation)
    return Response(shown, mimetype="application/xml")


def _figures(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """The dashboard for the requested period, with each flow's name."""
    start, end = supervision.period(request.args.get("from") or None, request.args.get("to") or None,
                                    tz=platform().settings.tz, now=now())
    figures = supervision.dashboard(actor=actor, uow=uow, now=now(), start=start, end=end)
    names = listing.flow_names(uow=uow)
    for row in figures["flows"]:
        row["flow_name"] = names.get(row["model_key"], row["model_key"])
    figures["period"] = {"from": start.date().isoformat(), "to": (end - timedelta(days=1)).date().isoformat(),
                         "to_exclusive": end.date().isoformat()}
    return figures


def _period_args() -> dict[str, str]:
    return {key: request.args[key] for key in ("from", "to") if request.args.get(key)}


def _dashboard(template: str) -> Any:
    try:
        with unit_of_work(write=False) as (uow, actor):
            figures = _figures(uow, actor)
            late = supervision.overdue_tasks(actor=actor, uow=uow, now=now(), limit=50)
            return render_template(template, figures=figures, late=late, period_args=_period_args(),
                                   names=listing.display_names({t["assignee"] for t in late["items"] if t["assignee"]},
                                                               uow=uow))
    except InvalidInput:
        flash(_("统计区间无效：开始日期须早于结束日期，且不超过三年。已显示本月数据。"), "error")
        return redirect(url_for("console.dashboard"))


@console.get("/supervision")
@login_required
def dashboard() -> Any:
    return _dashboard("console/dashboard.html")


@console.get("/supervision/print")
@login_required
def dashboard_print() -> Any:
    return _dashboard("console/dashboard_print.html")


@console.get("/supervision/<any(departments, flows, overdue):table>.csv")
@login_required
def dashboard_csv(table: str) -> Any:
    with unit_of_work(write=False) as (uow, actor):
        if table == "overdue":
            rows = supervision.overdue_tasks(actor=actor, uow=uow, now=now(), limit=1000)["items"]
            name = f"overdue-{now().astimezone(platform().settings.tz).date().isoformat()}.csv"
        else:
            figures = _figures(uow, actor)
            rows = figures[table]
            name = f"supervision-{table}-{figures['period']['from']}-{figures['period']['to_exclusive']}.csv"
    return csv_download(supervision.to_csv(rows, CSV_TABLES[table]), name)


@console.get("/overdue")
@login_required
def overdue() -> Any:
    page = _page_number()
    department, model_key = request.args.get("department") or None, request.args.get("model_key") or None
    with unit_of_work(write=False) as (uow, actor):
        late = supervision.overdue_tasks(actor=actor, uow=uow, now=now(), department=department, model_key=model_key,
                                         limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        return render_template(
            "console/overdue.html", late=late, page=page, department=department, model_key=model_key,
            pages=max((late["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1), flows=listing.flow_names(uow=uow),
            organisation=uow.platform.organisation,
            names=listing.display_names({t["assignee"] for t in late["items"] if t["assignee"]}, uow=uow)), _status()


def _days_text(days: list[dict[str, str]]) -> str:
    return "\n".join(f"{d['date']} {d['name']}".strip() for d in days)


def _parse_days(text: str) -> list[dict[str, str]]:
    """One day a line, ``2027-01-01 元旦``; the year's checks (dates, duplicates) are the service's."""
    days = []
    for line in text.splitlines():
        if line.strip():
            day, _sep, name = line.strip().partition(" ")
            days.append({"date": day.strip(), "name": name.strip()})
    return days


def _month_grids(year: int, holidays: list[dict[str, str]], working: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The year as twelve month grids (weeks Monday to Sunday) of days, each with its kind: a holiday, an
    adjusted working day, a weekend or an ordinary working day — what the calendar page draws."""
    marked = {d["date"]: ("holiday", d["name"]) for d in holidays}
    marked.update({d["date"]: ("working", d["name"]) for d in working})
    months = []
    for month in range(1, 13):
        weeks = []
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            days: list[dict[str, Any] | None] = []
            for day in week:
                if day.month != month:
                    days.append(None)
                    continue
                kind, name = marked.get(day.isoformat(), ("weekend" if day.weekday() >= 5 else "workday", ""))
                days.append({"date": day.isoformat(), "day": day.day, "weekday": day.weekday(), "kind": kind,
                             "name": name, "label": day.strftime("%d %b") if is_english() else
                             f"{day.month}月{day.day}日"})
            weeks.append(days)
        label = date(year, month, 1).strftime("%B") if is_english() else f"{month}月"
        months.append({"month": month, "label": label, "weeks": weeks})
    return months


def _calendar_page(year: int, uow: UnitOfWork, *, holidays: str | None = None, working: str | None = None,
                   problems: list[dict[str, Any]] | None = None) -> str:
    view = calendar_store.year_view(year, uow=uow)
    calendar = uow.platform.calendar.get(uow)
    this_year = now().astimezone(platform().settings.tz).year
    years = [{"year": y, "official": calendar.is_official(y)} for y in range(this_year - 1, this_year + 3)]
    shown_holidays = view["holidays"] if holidays is None else _parse_days(holidays)
    shown_working = view["working_days"] if working is None else _parse_days(working)
    return render_template(
        "console/calendar.html", view=view, years=years, problems=problems or [],
        months=_month_grids(year, shown_holidays, shown_working),
        holidays_text=_days_text(view["holidays"]) if holidays is None else holidays,
        working_text=_days_text(view["working_days"]) if working is None else working)


@console.get("/calendar")
@login_required
def calendar_today() -> Any:
    return redirect(url_for("console.calendar", year=now().astimezone(platform().settings.tz).year))


@console.get("/calendar/<int:year>")
@login_required
def calendar(year: int) -> Any:
    with unit_of_work(write=False) as (uow, actor):
        _admin(actor)
        return _calendar_page(year, uow)


@console.post("/calendar/<int:year>")
@login_required
def save_calendar(year: int) -> Any:
    holidays, working = request.form.get("holidays", ""), request.form.get("working_days", "")
    try:
        with unit_of_work(write=True) as (uow, actor):
            _admin(actor)
            calendar_store.replace_year(year, {"holidays": _parse_days(holidays), "working_days": _parse_days(working),
                                               "official": request.form.get("official") == "1"},
                                        actor=actor.username, uow=uow, now=now())
    except InvalidInput as error:
        with unit_of_work(write=False) as (uow, _actor):
            return _calendar_page(year, uow, holidays=holidays, working=working, problems=error.details), 422
    platform().calendar.invalidate()
    flash(_("%(year)s 年工作日历已保存。已在等待中的时限不会自动改变：如需按新日历计算，请使用下方“重新计算时限”。",
            year=year), "success")
    return redirect(url_for("console.calendar", year=year))


@console.post("/calendar/<int:year>/recompute")
@login_required
def recompute(year: int) -> Any:
    try:
        with unit_of_work(write=True, optimistic=True) as (uow, actor):
            _admin(actor)
            result = deadlines.recompute_year(year, reason=_form_reason(), actor=actor, uow=uow, now=now())
        moved = sum(len(case["timers"]) for case in result["cases"])
        flash(_("已重新计算 %(year)s 年的时限：%(cases)s 个案件、%(timers)s 个时限发生变化。", year=year,
                cases=len(result["cases"]), timers=moved), "success")
    except InvalidInput:
        flash(_("请填写重新计算的原因：它将记入每个受影响案件的办理记录。"), "error")
    return redirect(url_for("console.calendar", year=year))
