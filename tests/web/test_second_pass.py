"""The second pass on the screens (issue 17, item 12): what a new user tripped over, each fixed and held here —
refusals that name the part of the site they refuse, designers landing in their workspace, a migration that
starts from the previous version, a retry that shows the data read-only beside an empty box for the changes,
the holiday calendar drawn as a calendar, and the services before the cases on the applicant's home."""

from __future__ import annotations

import json
import re

from sqlalchemy import select
from test_supervision import scenario  # noqa: F401 — the shared fixture

from engine.cases.instances import suspend_instance
from engine.store.models import HistoryEntry

from .test_console import cases  # noqa: F401 — test_supervision's cases and F, a case in error
from .webkit import deploy_files, health_card_files, sign_in, text


def test_a_refusal_names_the_part_of_the_site_it_refuses(client_for, health_card):
    staff = client_for("win_dcf")
    console = text(staff.get("/console/instances"))
    assert "您没有权限使用管理控制台" in console and "办理此事项" not in console
    supervision = text(staff.get("/console/supervision"))
    assert "您没有权限查看督办统计" in supervision and "办理此事项" not in supervision
    designer = staff.get("/designer/")
    assert designer.status_code == 403 and "您没有权限使用流程设计" in text(designer)
    assert "办理此事项" not in text(designer)


def test_each_role_lands_on_its_own_start_page(web_app):
    landing = {"admin": "/console", "designer": "/designer/", "applicant": "/portal", "win_dcf": "/tasks"}
    for username, where in landing.items():
        assert sign_in(web_app.test_client(), username).headers["Location"] == where, username


def test_the_migration_page_starts_from_the_version_before_the_newest(client_for, platform, health_card):
    files = health_card_files()
    for title in ("市平台受理复核", "市平台受理终核"):
        deploy_files(platform, {**files, "health_card.bpmn": files["health_card.bpmn"].replace(
            "市平台受理审核".encode(), title.encode())})
    page = text(client_for("designer").get(f"/designer/flows/{health_card}/migrate"))
    chosen = dict(re.findall(r'<select name="(from|to)"[^>]*>.*?<option value="(\d+)" selected', page, re.S))
    assert chosen == {"from": "2", "to": "3"}, "v(n-1) → v(n), never a version onto itself"
    page = text(client_for("designer").get(f"/designer/flows/{health_card}/migrate?to=2"))
    chosen = dict(re.findall(r'<select name="(from|to)"[^>]*>.*?<option value="(\d+)" selected', page, re.S))
    assert chosen == {"from": "1", "to": "2"}


def test_the_retry_box_shows_the_data_read_only_and_takes_only_the_changes(client_for, cases, flow):  # noqa: F811
    f = cases["F"]
    admin = client_for("admin")
    page = text(admin.get(f"/console/instances/{f}"))
    baseline = json.loads(re.search(r'<pre class="code" id="retry-baseline"[^>]*>(.*?)</pre>', page, re.S)
                          .group(1).replace("&#34;", '"'))
    assert baseline["months"] == 2 and "rate" not in baseline
    box = re.search(r'<textarea id="retry-data"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert box == "", "the changes box starts empty"
    assert "只写要改的字段" in page
    done = admin.post(f"/console/instances/{f}/retry", data={"data": '{"rate": 1.5}', "reason": "补充费率"},
                      follow_redirects=True)
    assert "已重新处理" in text(done) and flow.view(f)["data"]["amount"] == 3000


def test_the_holiday_calendar_is_a_month_grid_of_days_and_saves_what_is_marked(client_for, people):
    admin = client_for("admin")
    page = text(admin.get("/console/calendar/2026"))
    assert page.count('<table class="month">') == 12
    national_day = re.search(r'<button type="button" class="day day-holiday" data-date="2026-10-01"[^>]*>', page)
    assert national_day, "1 October 2026 is a holiday"
    assert 'data-name="国庆节' in national_day.group(0) and 'aria-pressed="true"' in national_day.group(0)
    adjusted = re.search(r'<button type="button" class="day day-working" data-date="2026-10-10"', page)
    assert adjusted, "Saturday 10 October 2026 is an adjusted working day"
    assert re.search(r'class="day day-weekend" data-date="2026-10-11"', page)
    assert re.search(r'class="day day-workday" data-date="2026-10-12"', page)
    # What the grid sends: the two lists of days (the grid writes them; they can be pasted as text too).
    saved = admin.post("/console/calendar/2031", data={"holidays": "2031-01-01 元旦\n2031-01-02 元旦",
                                                       "working_days": "2031-01-04 元旦调休", "official": "1"},
                       follow_redirects=True)
    assert "2031 年工作日历已保存" in text(saved)
    page = text(admin.get("/console/calendar/2031"))
    assert re.search(r'class="day day-holiday" data-date="2031-01-02"[^>]*data-name="元旦"', page)
    assert re.search(r'class="day day-working" data-date="2031-01-04"[^>]*data-name="元旦调休"', page)


def test_the_applicant_finds_the_services_before_their_cases(client_for, health_card, flow):
    from .conftest import START

    flow.start(health_card, START)
    page = text(client_for("applicant").get("/portal"))
    assert page.index('id="services-title"') < page.index('id="cases-title"')


def test_a_suspended_cases_step_is_recorded_with_its_reason(platform, flow, health_card):
    """The task pages read the reason of a suspension from the case history."""
    from .conftest import START

    case = flow.start(health_card, START)
    with platform.uow() as uow:
        suspend_instance(case, reason="申请人出国", actor=flow.actor("admin"), uow=uow, now=platform.now())
        uow.commit()
    with platform.uow(write=False) as uow:
        entry = uow.session.scalar(select(HistoryEntry).where(HistoryEntry.instance_id == case,
                                                              HistoryEntry.action == "suspend"))
        assert entry is not None and entry.details == {"reason": "申请人出国"}


def test_a_dry_run_follows_the_answers_given_per_task_and_dates_samples_on_beijings_day(client_for, health_card,
                                                                                       clock):
    from conftest import at

    from .test_designer_web import as_text, post_json

    clock.set(at("2026-10-09 07:30"))  # still 8 October in UTC
    client = client_for("designer")
    files = as_text(health_card_files())
    data = {"applicant_name": "张三", "talent_category": "顶尖人才", "county": "dongchangfu"}
    status, answer = post_json(client, "/designer/dry-run", {"files": files, "data": data})
    steps = answer["report"]["steps"]
    assert status == 200 and [s["task"] for s in steps][:3] == ["submit_materials", "county_check", "city_review"]
    assert steps[1]["data"]["county_decision"] == "转报市平台", "the smallest answer: the first choice"
    [make_card] = [s for s in steps if s["task"] == "make_card"]
    assert make_card["data"]["issued_on"] == "2026-10-09", "Beijing's day, not UTC's 8 October"

    returned = {"county_check": {"county_decision": "退回补正", "missing_items": ["证件照"],
                                 "return_note": "照片不清晰"}}
    status, answer = post_json(client, "/designer/dry-run", {"files": files, "data": data, "answers": returned})
    steps = answer["report"]["steps"]
    assert status == 200 and steps[1]["data"] == returned["county_check"]
    assert steps[2]["task"] == "correct_materials", "the path the answer chose: back to the applicant"
    status, answer = post_json(client, "/designer/dry-run", {"files": files, "data": data, "answers": ["x"]})
    assert status == 400 and "answers" in answer["problems"][0]["message"]


def test_a_dry_run_takes_at_most_max_dry_run_answers(client_for, health_card):
    from ui.web.designer import MAX_DRY_RUN_ANSWERS

    from .test_designer_web import as_text, post_json

    answers = {f"task_{n}": {} for n in range(MAX_DRY_RUN_ANSWERS + 1)}
    status, answer = post_json(client_for("designer"), "/designer/dry-run",
                               {"files": as_text(health_card_files()), "data": {}, "answers": answers})
    assert status == 400 and f"at most {MAX_DRY_RUN_ANSWERS}" in answer["problems"][0]["message_en"]
