"""The administrators' console pages: every view, action and permission, on the hand-built cases of
test_supervision (A and C done, B escalated, D overdue at the Dongchangfu window, E waiting with its deadline
timer on 15 October) plus F, a case parked in error at the script step."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import datetime
from typing import Any

import pytest
from conftest import at
from test_console_queries import with_a_case_in_error
from test_supervision import scenario  # noqa: F401 — the shared fixture

from engine.store.history import add_history

from .webkit import text


@pytest.fixture
def cases(scenario: Any, flow: Any, platform: Any) -> dict[str, int]:  # noqa: F811
    """test_supervision's cases A–E and F, a case in error (test_console_queries)."""
    return with_a_case_in_error(scenario.cases, flow, platform)

NOT_ADMINS = ("city1", "win_dcf", "hrss1", "designer", "applicant")


def task_of(flow: Any, case: int, name: str) -> dict[str, Any]:
    [task] = [t for t in flow.view(case)["tasks"] if t["name"] == name]
    return task


def history(flow: Any, case: int, action: str) -> list[dict[str, Any]]:
    return [h for h in flow.view(case)["history"] if h["action"] == action]


def attribute(page: str, name: str) -> Any:
    match = re.search(rf'{name}="([^"]*)"', page)
    assert match, f"no {name} on the page"
    return json.loads(html.unescape(match.group(1)))


def row_cells(page: str, table: str, row: str) -> dict[str, str]:
    """The figures of one row of a dashboard table, by column."""
    body = page.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    cells = body.split(f'data-row="{row}"', 1)[1].split("</tr>", 1)[0]
    return {col: re.sub(r"<[^>]+>", "", value).strip()
            for col, value in re.findall(r'data-col="([a-z_]+)">(.*?)</td>', cells, re.S)}


# ------------------------------------------------------------------------------------------------ permissions


def admin_pages(cases: dict[str, int]) -> list[str]:
    return ["/console/instances", f"/console/instances/{cases['D']}", f"/console/instances/{cases['F']}",
            f"/console/instances/{cases['A']}/archive", "/console/flows", "/console/flows/escalation_demo/1",
            "/console/flows/escalation_demo/1/diagram.bpmn", "/console/calendar/2026"]


SUPERVISION_PAGES = ["/console/supervision?from=2026-10-01&to=2026-11-01", "/console/supervision/print",
                     "/console/supervision/departments.csv", "/console/supervision/flows.csv",
                     "/console/supervision/overdue.csv", "/console/overdue"]


def admin_posts(cases: dict[str, int], flow: Any) -> list[tuple[str, dict[str, str]]]:
    reason = {"reason": "核查"}
    accept = task_of(flow, cases["D"], "accept")["id"]
    return [(f"/console/instances/{cases['E']}/suspend", reason), (f"/console/instances/{cases['E']}/cancel", reason),
            (f"/console/instances/{cases['F']}/retry", {**reason, "data": '{"rate": 1}'}),
            (f"/console/instances/{cases['D']}/tasks/{accept}/reassign", {**reason, "username": "win_dcf2"}),
            (f"/console/instances/{cases['E']}/timers/accept_deadline/move", {**reason, "due_at": "2026-10-20T18:00"}),
            ("/console/calendar/2027", {"holidays": "2027-01-01 元旦"}), ("/console/calendar/2027/recompute", reason)]


def test_only_admins_use_the_console_and_the_talent_office_sees_the_supervision_pages(web_app, client_for, cases,
                                                                                      flow):
    anonymous = web_app.test_client()
    posts = admin_posts(cases, flow)
    for path in admin_pages(cases) + SUPERVISION_PAGES + ["/console"]:
        response = anonymous.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], path
    for who in NOT_ADMINS:
        client = client_for(who)
        for path in admin_pages(cases) + SUPERVISION_PAGES + ["/console"]:
            assert client.get(path).status_code == 403, (who, path)
        for path, form in posts:
            assert client.post(path, data=form).status_code == 403, (who, path)
    talent = client_for("talent1")
    for path in SUPERVISION_PAGES:
        assert talent.get(path).status_code == 200, path
    for path in admin_pages(cases):
        assert talent.get(path).status_code == 403, path
    for path, form in posts:
        assert talent.post(path, data=form).status_code == 403, path
    assert flow.view(cases["E"])["status"] == "active" and flow.view(cases["F"])["status"] == "error"
    assert not history(flow, cases["D"], "reassign")  # nothing any of them sent was done
    admin = client_for("admin")
    for path in admin_pages(cases) + SUPERVISION_PAGES:
        assert admin.get(path).status_code == 200, path


def test_admins_land_on_the_console_and_see_its_link_the_talent_office_sees_supervision(web_app, client_for,
                                                                                        cases):
    from .webkit import sign_in

    assert sign_in(web_app.test_client(), "admin").headers["Location"] == "/console"
    assert sign_in(web_app.test_client(), "talent1").headers["Location"] == "/tasks"
    admin = client_for("admin")
    assert admin.get("/console").headers["Location"] == "/console/instances"
    assert "管理控制台" in text(admin.get("/tasks"))
    talent = client_for("talent1")
    assert talent.get("/console").headers["Location"] == "/console/supervision"
    page = text(talent.get("/tasks"))
    assert 'href="/console/supervision"' in page and "管理控制台" not in page
    page = text(client_for("city1").get("/tasks"))
    assert "/console" not in page


# ------------------------------------------------------------------------------------------------ instances


def listed(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-instance="(\d+)"', page)}


def test_the_instance_list_filters_counts_per_status_and_pages(client_for, cases, monkeypatch):
    admin = client_for("admin")
    c = cases
    page = text(admin.get("/console/instances"))
    assert listed(page) == set(c.values())
    counts = dict(re.findall(r'data-status="([a-z]+)">(\d+)<', page))
    assert counts == {"all": "6", "active": "3", "suspended": "0", "completed": "2", "cancelled": "0", "error": "1"}

    def search(query: str) -> set[int]:
        return listed(text(admin.get(f"/console/instances?{query}")))

    assert search("status=completed") == {c["A"], c["C"]}
    assert search("status=error") == {c["F"]}
    assert search("department=county_window") == {c["D"], c["E"], c["F"]}
    assert search("department=talent_office") == {c["B"], c["D"]}
    assert search("overdue=1") == {c["D"]}
    assert search("overdue=0&status=active") == {c["B"], c["E"]}
    assert search("applicant=申请人D") == {c["D"]}
    assert search("model_key=escalation_demo&version=2") == {c["F"]}
    assert search("county=linqing") == set()
    assert search("started_from=2026-09-30&started_to=2026-10-08") == {c["A"], c["B"], c["D"]}  # to: that day too
    assert search("started_from=2026-10-09&started_to=2026-10-09") == {c["C"]}
    page = text(admin.get("/console/instances?overdue=1"))
    assert "县级窗口受理" in page and "已超期 3 个工作日" in page  # who holds the late case, and how late
    refused = text(admin.get("/console/instances?started_from=10/01/2026"))
    assert "已忽略该条件" in refused and listed(refused) == set(c.values())
    monkeypatch.setattr("ui.web.console.PAGE_SIZE", 4)
    first, second = text(admin.get("/console/instances")), text(admin.get("/console/instances?page=2"))
    assert len(listed(first)) == 4 and len(listed(second)) == 2 and listed(first) | listed(second) == set(c.values())
    assert "page=2" in first and "page=3" not in second


def test_an_instance_page_shows_where_the_case_stands_its_history_data_and_open_tasks(client_for, cases, flow):
    admin = client_for("admin")
    page = text(admin.get(f"/console/instances/{cases['D']}"))
    marks = attribute(page, "data-marks")
    assert marks["current"] == ["accept", "supervise"] and marks["overdue"] == ["accept"]
    assert {"start", "accept_deadline"} <= set(marks["completed"]) and marks["error"] is None
    assert marks["timers"] == []  # D's deadline timer has fired
    assert 'data-xml-url="/console/flows/escalation_demo/1/diagram.bpmn"' in page
    assert "申请人D" in page and "受理超期" in page and "人才办督办" in page  # data, the timer that fired, tasks
    assert "已超期 3 个工作日" in page and '<option value="win_dcf2">' in page  # deadline; whom to reassign to
    assert "提交申请" in page and "2026年9月30日 10:00" in page  # history: who did what, when
    e_page = text(admin.get(f"/console/instances/{cases['E']}"))
    assert 'name="due_at" required value="2026-10-15T18:00"' in e_page  # the move form starts from the due time
    e = attribute(e_page, "data-marks")
    [timer] = e["timers"]
    assert timer["timer"] == "accept_deadline" and datetime.fromisoformat(timer["due_at"]) == at("2026-10-15 18:00")
    assert timer["due_text"] == "2026年10月15日 18:00"
    xml = admin.get("/console/flows/escalation_demo/1/diagram.bpmn")
    assert xml.mimetype == "application/xml" and b'<bpmn:userTask id="accept"' in xml.data
    assert admin.get("/console/instances/99999").status_code == 404


# ------------------------------------------------------------------------------------------------ repairs


def test_a_case_in_error_is_shown_with_its_failing_step_and_retried_with_edited_data(client_for, cases, flow):
    f = cases["F"]
    admin = client_for("admin")
    page = text(admin.get(f"/console/instances/{f}"))
    marks = attribute(page, "data-marks")
    assert marks["error"]["element"] == "compute" and "rate" in marks["error"]["message"]
    assert marks["current"] == ["accept"]  # the window's submission is kept, to be replayed
    assert "案件异常，等待修复" in page and "&#34;months&#34;: 2" in page  # the submission, ready to edit
    no_reason = text(admin.post(f"/console/instances/{f}/retry", data={"data": '{"rate": 1.5}'},
                                follow_redirects=True))
    assert "请填写原因" in no_reason and flow.view(f)["status"] == "error"
    broken = text(admin.post(f"/console/instances/{f}/retry", data={"data": "{rate: 1.5", "reason": "补充费率"},
                             follow_redirects=True))
    assert "数据不是有效的 JSON" in broken and flow.view(f)["status"] == "error"
    edited = {"approved": True, "months": 2, "county": "dongchangfu", "applicant_name": "申请人F", "rate": 1.5}
    done = admin.post(f"/console/instances/{f}/retry", data={"data": json.dumps(edited), "reason": "补充费率"},
                      follow_redirects=True)
    assert done.status_code == 200 and "已重新处理" in text(done)
    view = flow.view(f)
    assert view["status"] == "active" and view["data"]["amount"] == 3000
    [retry] = history(flow, f, "retry")
    assert retry["actor"] == "admin" and retry["details"]["reason"] == "补充费率"
    assert retry["details"]["data"] == {"rate": 1.5}  # only what the administrator changed
    repaired = text(admin.get(f"/console/instances/{f}"))
    assert "原因：补充费率" in repaired
    # The history keeps the engine's message on the error step and shows the corrected field on the retry step.
    error_step = repaired[repaired.index('data-action="error"'):]
    assert "rate" in error_step[:error_step.index("</li>")]
    retry_step = repaired[repaired.index('data-action="retry"'):]
    assert "1.5" in retry_step[:retry_step.index("</li>")]


def test_suspend_resume_and_cancel_each_record_their_reason(client_for, cases, flow):
    e = cases["E"]
    admin = client_for("admin")
    assert "案件已暂停" in text(admin.post(f"/console/instances/{e}/suspend", data={"reason": "申请人来电要求暂缓"},
                                          follow_redirects=True))
    assert flow.view(e)["status"] == "suspended"
    assert "案件已恢复办理" in text(admin.post(f"/console/instances/{e}/resume", data={"reason": "材料已补齐"},
                                            follow_redirects=True))
    admin.post(f"/console/instances/{e}/cancel", data={"reason": "申请人撤回申请"})
    assert flow.view(e)["status"] == "cancelled"
    assert [(h["action"], h["actor"], h["details"]["reason"]) for h in flow.view(e)["history"]
            if h["action"] in ("suspend", "resume", "cancel")] == [
        ("suspend", "admin", "申请人来电要求暂缓"), ("resume", "admin", "材料已补齐"),
        ("cancel", "admin", "申请人撤回申请")]
    assert task_of(flow, e, "accept")["state"] == "cancelled"
    page = text(admin.get(f"/console/instances/{e}"))
    assert "原因：申请人撤回申请" in page and "下载统一建档文件" in page


def test_an_action_that_no_longer_applies_is_explained_not_a_crash(client_for, cases, flow):
    admin = client_for("admin")
    a, d = cases["A"], cases["D"]
    response = admin.post(f"/console/instances/{a}/suspend", data={"reason": "核查"}, follow_redirects=True)
    assert response.status_code == 200
    assert "操作未完成：案件当前为“已办结”，此操作已不适用" in text(response)
    response = admin.post(f"/console/instances/{d}/resume", data={"reason": "核查"}, follow_redirects=True)
    assert response.status_code == 200 and "案件当前为“办理中”" in text(response)
    done = task_of(flow, a, "accept")["id"]
    response = admin.post(f"/console/instances/{a}/tasks/{done}/reassign",
                          data={"username": "win_dcf2", "reason": "休假"}, follow_redirects=True)
    assert response.status_code == 200 and "操作未完成" in text(response)
    response = admin.post(f"/console/instances/{d}/timers/accept_deadline/move",
                          data={"due_at": "2026-10-20T18:00", "reason": "延期"}, follow_redirects=True)
    assert response.status_code == 200 and "no waiting timer" in text(response)  # it fired on 10 October
    assert not history(flow, a, "suspend") and not history(flow, d, "timer_moved")


def test_reassigning_a_task_records_who_had_it_who_has_it_and_why(client_for, cases, flow):
    d = cases["D"]
    admin = client_for("admin")
    accept = task_of(flow, d, "accept")["id"]
    stranger = admin.post(f"/console/instances/{d}/tasks/{accept}/reassign",
                          data={"username": "win_lq", "reason": "休假"}, follow_redirects=True)
    assert "操作未完成" in text(stranger) and task_of(flow, d, "accept")["assignee"] is None
    done = admin.post(f"/console/instances/{d}/tasks/{accept}/reassign",
                      data={"username": "win_dcf2", "reason": "原经办人休假"}, follow_redirects=True)
    assert "任务已改派" in text(done)
    assert task_of(flow, d, "accept")["assignee"] == "win_dcf2"
    [entry] = history(flow, d, "reassign")
    assert (entry["actor"], entry["details"]) == ("admin", {"from": None, "to": "win_dcf2", "reason": "原经办人休假"})


def test_moving_a_waiting_timer_changes_the_deadline_and_records_the_reason(client_for, cases, flow):
    e = cases["E"]
    admin = client_for("admin")
    done = admin.post(f"/console/instances/{e}/timers/accept_deadline/move",
                      data={"due_at": "2026-10-20T18:00", "reason": "材料补正，延长受理时限"}, follow_redirects=True)
    assert "时限已调整" in text(done)
    assert datetime.fromisoformat(task_of(flow, e, "accept")["due_at"]) == at("2026-10-20 18:00")
    [moved] = history(flow, e, "timer_moved")
    assert moved["details"]["reason"] == "材料补正，延长受理时限"
    assert datetime.fromisoformat(moved["details"]["due_after"]) == at("2026-10-20 18:00")


def test_the_archive_of_a_closed_case_downloads_as_one_file(client_for, cases):
    admin = client_for("admin")
    response = admin.get(f"/console/instances/{cases['A']}/archive")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.data)
    assert document["format"] == "onestop-archive/1" and document["instance"]["id"] == cases["A"]
    assert [d["task_name"] for d in document["decisions"]] == ["accept"]
    assert "下载统一建档文件" not in text(admin.get(f"/console/instances/{cases['E']}"))
    assert admin.get(f"/console/instances/{cases['E']}/archive").status_code == 409


# ------------------------------------------------------------------------------------------------ per flow


def test_the_flow_pages_list_versions_and_count_the_cases_waiting_at_each_element(client_for, cases, platform):
    admin = client_for("admin")
    flows = text(admin.get("/console/flows"))
    assert 'href="/console/flows/escalation_demo/1"' in flows and 'href="/console/flows/escalation_demo/2"' in flows
    page = text(admin.get("/console/flows/escalation_demo/1"))
    counts = attribute(page, "data-counts")
    assert (counts["accept"]["active"], counts["accept"]["overdue"]) == (2, 1)  # D late, E not
    assert (counts["supervise"]["active"], counts["supervise"]["overdue"]) == (2, 0)  # B and D
    assert counts["accept_deadline"]["timers"] == 1  # E's
    assert "县级窗口受理" in page and 'data-element="accept"' in page
    second = attribute(text(admin.get("/console/flows/escalation_demo/2")), "data-counts")
    assert second["compute"]["error"] == 1  # F
    assert admin.get("/console/flows/escalation_demo/7").status_code == 404


# ------------------------------------------------------------------------------------------------ supervision


def test_the_dashboard_figures_match_a_count_by_hand(client_for, cases, platform):
    with platform.uow() as uow:
        for answer, moment in (("满意", "2026-10-09 10:00"), ("基本满意", "2026-10-12 10:00"),
                               ("不满意", "2026-10-13 11:00")):
            add_history(uow, instance_id=None, model_key="problem_handling", action="complete", actor="city1",
                        now=at(moment), task_name="follow_up", details={"data": {"satisfaction": answer}})
        uow.commit()
    page = text(client_for("talent1").get("/console/supervision?from=2026-10-01&to=2026-11-01"))
    # county_window: open D, E, F; overdue D; completed A (on time, 2 working days: 8 and 9 Oct), B (late,
    # 4: 8, 9, Sat 10 and 12 Oct), C (on time, 0) — the National Day holiday not counted. On time: A and C of
    # the three done with a deadline and D, overdue and still open: 2 / (3 + 1).
    assert row_cells(page, "department", "county_window") == {
        "open": "3", "overdue": "1", "completed": "3", "with_deadline": "3", "on_time": "2", "late_unfinished": "1",
        "on_time_rate": "50.0%", "avg_working_days": "2.0"}
    assert row_cells(page, "department", "talent_office")["open"] == "2"
    assert row_cells(page, "model_key", "escalation_demo")["completed"] == "3"
    assert row_cells(page, "county", "dongchangfu")["overdue"] == "1"
    late = page.split("overdue-table", 1)[1].split("</table>", 1)[0]
    assert f'href="/cases/{cases["D"]}">{cases["D"]}</a>' in late  # the talent office opens the case page
    assert 'data-col="working_days_late">3<' in late and "县级窗口受理" in late
    assert 'data-col="flow">受理与督办示例<' in late
    assert "10月第2周" in page and "10.05–10.11" in page and "10月第3周" in page  # the weekly trend
    assert ">2026-W41" not in page  # not the ISO week number
    assert 'data-answer="满意">1<' in page and 'data-answer="total">3<' in page and "66.7%" in page
    narrow = text(client_for("admin").get("/console/supervision?from=2026-10-12&to=2026-10-13"))
    assert row_cells(narrow, "department", "county_window")["avg_working_days"] == "4.0"  # B alone
    printable = text(client_for("admin").get("/console/supervision/print?from=2026-10-01&to=2026-11-01"))
    assert row_cells(printable, "department", "county_window")["on_time_rate"] == "50.0%"
    assert "site-header" not in printable and "data-print" in printable  # no navigation; a print button
    wrong = client_for("admin").get("/console/supervision?from=2026-11-01&to=2026-10-01", follow_redirects=True)
    assert wrong.status_code == 200 and "统计区间无效" in text(wrong)


def csv_rows(response: Any) -> list[list[str]]:
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_downloads_hold_the_figures_of_the_page(client_for, cases):
    talent = client_for("talent1")
    departments = csv_rows(talent.get("/console/supervision/departments.csv?from=2026-10-01&to=2026-11-01"))
    assert departments[0][:3] == ["部门代码", "部门", "在办"]
    window = next(r for r in departments if r[0] == "county_window")
    assert window[2:] == ["3", "1", "3", "3", "2", "1", "0.5", "2.0"]
    flows = csv_rows(talent.get("/console/supervision/flows.csv?from=2026-10-01&to=2026-11-01"))
    assert flows[0][:2] == ["事项代码", "事项"] and flows[1][:2] == ["escalation_demo", "受理与督办示例"]
    overdue = csv_rows(talent.get("/console/supervision/overdue.csv"))
    assert overdue[0][-1] == "超期工作日" and [(r[1], r[-1]) for r in overdue[1:]] == [(str(cases["D"]), "3")]


def test_the_overdue_page_filters_by_department_and_flow(client_for, cases):
    talent = client_for("talent1")
    page = text(talent.get("/console/overdue?department=county_window"))
    assert "共 1 条" in page and 'data-col="working_days_late">3<' in page
    assert f'href="/console/instances/{cases["D"]}"' not in page  # the console's case page is the administrators'
    assert f'href="/cases/{cases["D"]}"' in page  # the talent office reads the case to supervise it
    assert talent.get(f"/cases/{cases['D']}").status_code == 200
    assert "共 0 条" in text(talent.get("/console/overdue?department=hrss"))
    assert f'href="/console/instances/{cases["D"]}"' in text(client_for("admin").get("/console/overdue"))


# ------------------------------------------------------------------------------------------------ calendar


def test_a_year_on_the_weekend_fallback_is_warned_about_until_its_holidays_are_entered(client_for, cases, flow,
                                                                                         clock):
    admin = client_for("admin")
    dashboard = text(admin.get("/console/supervision?from=2026-10-01&to=2026-11-01"))
    assert "calendar-warning" in dashboard and "2027" in dashboard.split("calendar-warning", 1)[1][:400]
    page = text(admin.get("/console/calendar/2027"))
    assert "无官方数据：仅按周末计算" in page
    clock.set(at("2026-12-30 10:00"))
    g = flow.start("escalation_demo", {"county": "dongchangfu", "applicant_name": "申请人G"})
    assert datetime.fromisoformat(task_of(flow, g, "accept")["due_at"]) == at("2027-01-04 18:00")  # 1 Jan worked
    refused = admin.post("/console/calendar/2027", data={"holidays": "2026-01-01 元旦", "official": "1"})
    assert refused.status_code == 422 and "2026-01-01 is not in 2027" in text(refused)
    assert "2026-01-01 元旦" in text(refused)  # what was typed stays on the page
    saved = admin.post("/console/calendar/2027", data={
        "holidays": "2027-01-01 元旦\n2027-02-06 春节\n2027-02-07 春节", "working_days": "2027-02-13 春节调休",
        "official": "1"}, follow_redirects=True)
    assert "2027 年工作日历已保存" in text(saved)
    page = text(admin.get("/console/calendar/2027"))
    assert "官方数据" in page and "2027-02-07 春节" in page and "2027-02-13 春节调休" in page
    assert "无官方数据：仅按周末计算" not in page and "计算工作日：2028。" in page  # the next year still warned
    clock.set(at("2026-12-30 11:00"))
    dashboard = text(admin.get("/console/supervision?from=2026-10-01&to=2026-11-01"))
    assert "calendar-warning" not in dashboard
    assert "请填写重新计算的原因" in text(admin.post("/console/calendar/2027/recompute", data={},
                                                      follow_redirects=True))
    done = admin.post("/console/calendar/2027/recompute", data={"reason": "录入2027年节假日安排"},
                      follow_redirects=True)
    assert "1 个案件、1 个时限发生变化" in text(done)
    assert datetime.fromisoformat(task_of(flow, g, "accept")["due_at"]) == at("2027-01-05 18:00")
    [entry] = history(flow, g, "timer_recomputed")
    assert entry["details"]["reason"] == "录入2027年节假日安排"
