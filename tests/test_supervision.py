"""The supervision figures (督办) on cases built by hand across the 2026 National Day holiday, counted by hand.

2026: 1–7 October are holidays, Saturday 10 October is a working day. The example flow's county-window task
``accept`` is due ``working_days(3)`` after it arrives: from 30 September, 18:00 on Saturday 10 October."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from conftest import ESCALATION, at, read_flow

from engine.cases.deployment import deploy
from engine.errors import PermissionDenied
from engine.people.identity import Actor
from engine.services.supervision import DEPARTMENT_COLUMNS, OVERDUE_COLUMNS, dashboard, overdue_tasks, period, to_csv
from engine.store.history import add_history

REFUSED = {"approved": False, "months": 0}
WINDOW = "win_dcf"


@dataclass
class Scenario:
    cases: dict[str, int]
    flow: Any


@pytest.fixture
def scenario(flow: Any, clock: Any, platform: Any) -> Scenario:
    """A: arrives 30 Sep 10:00, done 9 Oct 07:30 (on time, 2 working days: 8 and 9 Oct; 07:30 in Shanghai is
       still 8 October in UTC, so this also checks that days are counted in the configured zone).
    B: arrives 30 Sep 10:00, done Mon 12 Oct 09:00 (late; 4 working days: 8, 9, 10, 12 Oct).
    C: arrives Fri 9 Oct 09:00, done the same day 17:00 (on time, 0 working days).
    D: arrives 30 Sep 10:00, still open on 14 Oct: overdue by 3 working days (12, 13, 14 Oct).
    E: arrives Mon 12 Oct 10:00, due 15 Oct: open, not overdue.
    The deadline timers of B and D fire at 10 Oct 18:00 and give the talent office a supervision task each."""
    with platform.uow() as uow:
        deploy(read_flow(ESCALATION), actor=Actor("designer", "designer"), uow=uow, now=clock.now())
        uow.commit()
    cases = {}

    def start(name: str, moment: str) -> None:
        clock.set(at(moment))
        cases[name] = flow.start("escalation_demo", {"county": "dongchangfu", "applicant_name": f"申请人{name}"})

    def complete(name: str, moment: str) -> None:
        clock.set(at(moment))
        flow.complete(WINDOW, "accept", REFUSED, cases[name])

    for name in ("A", "B", "D"):
        start(name, "2026-09-30 10:00")
    start("C", "2026-10-09 09:00")
    complete("A", "2026-10-09 07:30")
    complete("C", "2026-10-09 17:00")
    clock.set(at("2026-10-10 18:00"))
    flow.fire(at("2026-10-10 18:00"))
    complete("B", "2026-10-12 09:00")
    start("E", "2026-10-12 10:00")
    clock.set(at("2026-10-14 10:00"))
    return Scenario(cases, flow)


def figures(platform: Any, who: str = "admin", start: str = "2026-10-01", end: str = "2026-11-01") -> dict[str, Any]:
    now = platform.now()
    first, last = period(start, end, tz=platform.settings.tz, now=now)
    with platform.uow(write=False) as uow:
        return dashboard(actor=Actor(who, "admin"), uow=uow, now=now, start=first, end=last)


def row(rows: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    [found] = [r for r in rows if r[key] == value]
    return found


def test_department_figures_match_a_count_by_hand_across_national_day(scenario, platform):
    result = figures(platform)
    window = row(result["departments"], "department", "county_window")
    # On time: A and C of the three completed with a deadline, and D — open, overdue since 10 October — can no
    # longer be: 2 / (3 + 1).
    assert window == {"department": "county_window", "department_name": window["department_name"],
                      "open": 2, "overdue": 1, "completed": 3, "with_deadline": 3, "on_time": 2,
                      "late_unfinished": 1, "on_time_rate": 0.5, "avg_working_days": 2.0}  # (2 + 4 + 0) / 3
    assert window["department_name"]
    talent = row(result["departments"], "department", "talent_office")
    assert (talent["open"], talent["overdue"], talent["completed"], talent["on_time_rate"],
            talent["avg_working_days"]) == (2, 0, 0, None, None)
    [county] = result["county_windows"]
    assert (county["county"], county["open"], county["overdue"], county["completed"], county["on_time"]) == (
        "dongchangfu", 2, 1, 3, 2)
    assert county["window"]
    flow = row(result["flows"], "model_key", "escalation_demo")
    assert (flow["open"], flow["overdue"], flow["completed"], flow["on_time"]) == (4, 1, 3, 2)


def test_the_weekly_trend_counts_completions_by_week_and_late_tasks_by_the_week_their_deadline_passed(
        scenario, platform):
    trend = [t for t in figures(platform)["department_trend"] if t["department"] == "county_window"]
    assert [(t["week"], t["week_start"], t["completed"], t["on_time"], t["late_unfinished"], t["on_time_rate"])
            for t in trend] == [
        ("2026-W41", "2026-10-05", 2, 2, 1, round(2 / 3, 4)),  # A and C done on 9 October; D due 10 October
        ("2026-W42", "2026-10-12", 1, 0, 0, 0.0),  # B on 12 October
    ]


def test_a_period_counts_only_completions_inside_it(scenario, platform):
    window = row(figures(platform, start="2026-10-12", end="2026-10-13")["departments"], "department",
                 "county_window")
    assert (window["completed"], window["on_time"], window["avg_working_days"]) == (1, 0, 4.0)
    before = figures(platform, start="2026-09-01", end="2026-10-01")["departments"]
    assert row(before, "department", "county_window")["completed"] == 0


def test_overdue_list_says_who_holds_each_late_task_and_how_many_working_days_late(scenario, platform):
    with platform.uow(write=False) as uow:
        result = overdue_tasks(actor=Actor("admin", "admin"), uow=uow, now=platform.now())
    assert result["total"] == 1
    [late] = result["items"]
    assert (late["instance_id"], late["name"], late["department"], late["county"], late["working_days_late"]) == (
        scenario.cases["D"], "accept", "county_window", "dongchangfu", 3)
    assert datetime.fromisoformat(late["due_at"]) == at("2026-10-10 18:00")


def test_only_admins_and_the_talent_office_see_the_figures(scenario, platform):
    first, last = period("2026-10-01", "2026-11-01", tz=platform.settings.tz, now=platform.now())
    with platform.uow(write=False) as uow:
        dashboard(actor=Actor("talent1", "staff", "talent_office"), uow=uow, now=platform.now(), start=first,
                  end=last)
        for actor in (Actor("city1", "staff", "city_window"), Actor("designer", "designer"),
                      Actor("applicant", "applicant")):
            with pytest.raises(PermissionDenied):
                dashboard(actor=actor, uow=uow, now=platform.now(), start=first, end=last)


def test_satisfaction_counts_each_answer_of_the_follow_up_visits_in_the_period(platform, clock):
    answers = [("满意", "2026-10-09 10:00"), ("满意", "2026-10-12 10:00"), ("基本满意", "2026-10-13 10:00"),
               ("不满意", "2026-10-13 11:00"), ("满意", "2026-09-29 10:00")]  # the last one is before the period
    with platform.uow() as uow:
        for answer, moment in answers:
            add_history(uow, instance_id=None, model_key="problem_handling", action="complete", actor="city1",
                        now=at(moment), task_name="follow_up", details={"data": {"satisfaction": answer}})
        add_history(uow, instance_id=None, model_key="problem_handling", action="complete", actor="city1",
                    now=at("2026-10-13 12:00"), task_name="accept_problem", details={"data": {}})
        uow.commit()
    clock.set(at("2026-10-14 10:00"))
    result = figures(platform)["satisfaction"]
    assert result == {"counts": {"满意": 2, "基本满意": 1, "不满意": 1}, "total": 4, "satisfied_rate": 0.75}


def test_csv_exports_open_in_excel_with_chinese_headers(scenario, platform):
    result = figures(platform)
    content = to_csv(result["departments"], DEPARTMENT_COLUMNS)
    assert content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert table[0] == [title for _key, title in DEPARTMENT_COLUMNS]
    window = next(r for r in table[1:] if r[0] == "county_window")
    assert window[2:] == ["2", "1", "3", "3", "2", "1", "0.5", "2.0"]
    with platform.uow(write=False) as uow:
        items = overdue_tasks(actor=Actor("admin", "admin"), uow=uow, now=platform.now())["items"]
    overdue = list(csv.reader(io.StringIO(to_csv(items, OVERDUE_COLUMNS).decode("utf-8-sig"))))
    assert overdue[0][-1] == "超期工作日" and overdue[1][-1] == "3"


def test_a_cell_that_looks_like_a_formula_is_not_evaluated_by_excel():
    content = to_csv([{"title": "=HYPERLINK(\"x\")"}], [("title", "环节")]).decode("utf-8-sig")
    assert content.splitlines()[1].startswith("\"'=HYPERLINK")


@pytest.mark.parametrize("city", ["lianyungang"])  # problem handling is Lianyungang's (服务办法第七条、第八条)
def test_satisfaction_of_real_follow_up_visits(flow, platform, clock, city):
    flow.deploy_folder("problem_handling")
    for answer in ({"satisfaction": "满意"}, {"satisfaction": "不满意", "visit_note": "配偶岗位与专业不对口"}):
        case = flow.start("problem_handling", {"talent_name": "李博士", "problem_description": "配偶就业"})
        flow.complete("city_window", "accept", {"problem_kind": "配偶就业", "problem_summary": "配偶就业",
                                                "contact_phone": "13905181234"}, case)
        flow.complete("talent_office", "contact", {"contact_method": "电话", "contacted_on": "2026-09-30",
                                                   "contact_note": "已联系"}, case)
        flow.complete("hrss", "cohandle", {"co_opinion": "推荐岗位"}, case)
        flow.complete("talent_office", "answer", {"answer": "已协调", "answered_on": "2026-09-30",
                                                  "answer_method": "电话"}, case)
        flow.complete("city_window", "follow_up", {"visit_method": "电话", **answer}, case)
    result = figures(platform, start="2026-09-01", end="2026-10-01")["satisfaction"]
    assert result == {"counts": {"满意": 1, "基本满意": 0, "不满意": 1}, "total": 2, "satisfied_rate": 0.5}


def test_tasks_left_weeks_overdue_pull_the_on_time_rate_down_and_a_past_period_counts_them_at_its_end(
        scenario, platform, clock, flow):
    """D stays open: on 5 November it is 17 working days late. The county window finished two of its tasks in
    time, but it does not read 100 %: D counts against it in every period it is left open at the end of."""
    clock.set(at("2026-11-05 10:00"))
    window = row(figures(platform, start="2026-11-01", end="2026-12-01")["departments"], "department",
                 "county_window")
    assert (window["completed"], window["late_unfinished"], window["on_time_rate"]) == (0, 2, 0.0)  # D and E
    october = row(figures(platform)["departments"], "department", "county_window")
    assert (october["late_unfinished"], october["on_time_rate"]) == (2, 0.4)  # 2 / (3 + 2)
    flow.complete(WINDOW, "accept", REFUSED, scenario.cases["D"])  # done at last, late
    october = row(figures(platform)["departments"], "department", "county_window")
    assert (october["late_unfinished"], october["on_time_rate"]) == (2, 0.4), \
        "a past period counts what was still open at its end"
    november = row(figures(platform, start="2026-11-01", end="2026-12-01")["departments"], "department",
                   "county_window")
    assert (november["completed"], november["on_time"], november["late_unfinished"]) == (1, 0, 1)  # D late; E


def test_the_applicants_own_steps_are_not_a_department(platform, flow, clock):
    from web.webkit import deploy_files, health_card_files

    key = deploy_files(platform, health_card_files())
    flow.start(key, {"applicant_name": "张三", "talent_category": "顶尖人才", "county": "dongchangfu"})
    result = figures(platform)
    assert [r["department"] for r in result["departments"]] == [], "only the applicant's materials are open"
    assert row(result["flows"], "model_key", key)["open"] == 1
