"""The second pass on every screen (issue 17) in real Chromium, each item with its screenshots: a suspended case
that cannot be worked on until it is resumed; the 督办 dashboard and overdue list on a phone; diagrams with zoom,
fit and full screen and lanes named by department; the diff at full width; the modeler in Chinese (and English),
its palette beside the diagram, a dry run following the answers given; the holiday calendar clicked as a
calendar; and the smaller things a new user tripped over."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_supervision import scenario  # noqa: F401 — the shared fixture

from .conftest import SCREENSHOTS, screenshot
from .world import World, build_world

pytestmark = pytest.mark.sqlite_only

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(scenario: Any, flow: Any, platform: Any) -> World:  # noqa: F811
    return build_world(scenario, flow, platform)


def wait_ready(page: Any, selector: str) -> None:
    page.wait_for_selector(f"{selector}[data-ready='1']")


# --- 1. suspended cases ------------------------------------------------------------------------------------

def test_a_suspended_case_cannot_be_worked_on_until_it_is_resumed(signed_in, world, flow, client, people):
    window = signed_in("win_dcf")
    window.goto("/tasks?view=department")
    row = window.locator(f"tr:has(a[href='/tasks/{world.tasks['suspended_check']}'])")
    assert "row-suspended" in row.get_attribute("class")
    assert row.locator(".status-suspended").inner_text().endswith("已暂停") and "暂停计时" in row.inner_text()
    assert row.locator(".row-action").inner_text() == "查看"
    screenshot(window, "pass-01-suspended-in-the-task-list")
    row.locator(".task-link").click()
    assert "此案件已由管理员暂停办理" in window.inner_text(".suspended-notice")
    assert "暂停原因：用人单位来函申请暂缓办理" in window.inner_text(".suspended-notice")
    assert window.locator("button:has-text('认领办理')").count() == 0 and window.locator(".schema-form").count() == 0
    screenshot(window, "pass-02-suspended-task-page")
    refused = client.post(f"/api/v1/tasks/{world.tasks['suspended_check']}/claim", headers=people.headers("win_dcf"))
    assert refused.status_code == 409 and refused.get_json()["error"] == "case_suspended"

    admin = signed_in("admin")
    admin.goto(f"/console/instances/{world.suspended}")
    wait_ready(admin, "#diagram")
    assert "已暂停" in admin.inner_text(".page-head") and "暂停计时" in admin.inner_text(".open-task")
    admin.fill("#resume-reason", "单位来函恢复办理")
    admin.click("button[value=resume]")
    assert "案件已恢复办理" in admin.inner_text(".flashes")

    window.reload()
    window.click("button:has-text('认领办理')")
    assert "已认领" in window.inner_text(".flashes")
    assert window.locator(".schema-form").count() == 1
    screenshot(window, "pass-03-resumed-and-claimed")


# --- 3, 11, 12. the 督办 screens, on a desktop and a phone ----------------------------------------------------

def test_the_supervision_figures_count_late_work_read_weeks_and_link_each_case(signed_in, world):
    talent = signed_in("talent1")
    talent.goto("/console/supervision?from=2026-10-01&to=2026-11-01")
    window = talent.locator('[data-table="department"] [data-row="county_window"]')
    assert window.locator('[data-col="late_unfinished"]').inner_text() == "1"
    assert window.locator('[data-col="on_time_rate"]').inner_text() == "50.0%"  # 2 ÷ (3 + 1), not 66.7 %
    assert "按时办结率 = 按时办结 ÷（有时限的办结 + 超期未办结）" in talent.inner_text(".rate-note")
    weeks = talent.locator('[data-trend="department"] th.week').all_inner_texts()
    assert any(re.fullmatch(r"10月第2周\s*10\.05–10\.11", w) for w in weeks), weeks
    assert not any("W4" in w for w in weeks)
    late = talent.locator(f".overdue-table tr[data-task] a[href='/cases/{world.escalation['D']}']")
    assert late.count() == 1 and "受理与督办示例" in talent.inner_text(".overdue-table")
    screenshot(talent, "pass-04-supervision-desktop")
    late.click()
    assert talent.url.endswith(f"/cases/{world.escalation['D']}")  # the talent office reads the case
    screenshot(talent, "pass-05-supervision-opens-the-case")


def test_the_supervision_screens_on_a_phone_label_every_figure_and_stay_short(signed_in, world):
    phone = signed_in("talent1", viewport=PHONE)
    phone.goto("/console/supervision?from=2026-10-01&to=2026-11-01")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    cell = phone.locator('[data-table="department"] [data-row="county_window"] [data-col="on_time_rate"]')
    assert phone.evaluate("e => getComputedStyle(e, '::before').content", cell.element_handle()) == '"按时办结率"'
    assert cell.bounding_box()["width"] < PHONE["width"] / 2, "two figures to a line"
    assert phone.locator("details[data-fold-on-phone][open]").count() == 0, "the weekly trends start folded"
    height = phone.evaluate("document.documentElement.scrollHeight")
    assert height < 4000, height
    screenshot(phone, "pass-06-supervision-phone")
    phone.goto("/console/overdue")
    first = phone.locator(".overdue-table tbody tr").first
    labels = first.locator("td").evaluate_all("cells => cells.map(c => getComputedStyle(c, '::before').content)")
    assert labels[:3] == ['"事项"', '"环节"', '"承办部门"']
    assert phone.evaluate("document.documentElement.scrollHeight") < 1800
    screenshot(phone, "pass-07-overdue-phone")


# --- 5. diagrams ----------------------------------------------------------------------------------------

def test_diagrams_have_zoom_fit_and_full_screen_and_lanes_read_as_departments(signed_in, world):
    admin = signed_in("admin")
    admin.goto(f"/console/instances/{world.escalation['D']}")
    wait_ready(admin, "#diagram")
    lanes = admin.locator("#diagram g.djs-element[data-element-id^='Lane_'] text").all_text_contents()
    assert "市人才工作领导小组办公室" in "".join(lanes) and "county_window" not in "".join(lanes)  # the XML says codes

    def zoom() -> float:
        return float(admin.evaluate("""() => {
          const m = document.querySelector('#diagram .viewport').getAttribute('transform').match(/matrix\\(([^,]+)/);
          return m ? parseFloat(m[1]) : 1; }"""))

    start = zoom()
    admin.click("#diagram .diagram-button[aria-label='放大']")
    assert zoom() > start
    admin.click("#diagram .diagram-button[aria-label='缩小']")
    admin.click("#diagram .diagram-button[aria-label='缩小']")
    assert zoom() < start
    admin.click("#diagram .diagram-button[aria-label='全图']")
    screenshot(admin, "pass-08-case-diagram-with-controls")
    admin.click("#diagram .diagram-button[data-action='fullscreen']")
    admin.wait_for_function("() => document.fullscreenElement && document.fullscreenElement.id === 'diagram'")
    admin.wait_for_selector("#diagram .diagram-button[data-action='fullscreen']:has-text('退出全屏')")
    admin.screenshot(path=str(SCREENSHOTS / "pass-09-diagram-full-screen.png"))  # the screen, as shown
    admin.click("#diagram .diagram-button[data-action='fullscreen']")
    admin.wait_for_function("() => !document.fullscreenElement")

    designer = signed_in("designer")
    designer.goto("/designer/flows/health_card/diff?from=1&to=2")
    wait_ready(designer, "#diff-old")
    wait_ready(designer, "#diff-new")
    old, new = designer.locator("#diff-old").bounding_box(), designer.locator("#diff-new").bounding_box()
    assert new["y"] > old["y"] + old["height"] - 1, "one above the other"
    assert old["width"] > 1000 and new["width"] > 1000, "each as wide as the page"
    diagram = designer.locator("#diff-new g.djs-element[data-element-id='city_review']").bounding_box()
    assert diagram["width"] >= 70, "tasks drawn at a readable size"
    assert designer.locator("#diff-new g.diff-changed[data-element-id=city_review]").count() == 1
    screenshot(designer, "pass-10-diff-at-full-width")


# --- 6, 7, 8. the modeler --------------------------------------------------------------------------------

def test_the_modeler_speaks_chinese_keeps_its_palette_clear_and_dry_runs_the_chosen_path(signed_in, world):
    page = signed_in("designer")
    assert page.url.endswith("/designer/"), "designers land in their workspace"
    page.goto("/designer/flows/health_card/versions/1/edit")
    wait_ready(page, "#designer")
    palette = page.locator(".djs-palette .entry").evaluate_all("es => es.map(e => e.getAttribute('title'))")
    assert "添加任务" in palette and "添加开始事件" in palette and "抓手工具：拖动画布" in palette
    right = page.locator(".djs-palette").bounding_box()
    start = page.locator("g.djs-element[data-element-id='start']").bounding_box()
    lanes = page.locator("g.djs-element[data-element-id^='Lane_']").first.bounding_box()
    assert start["x"] > right["x"] + right["width"] and lanes["x"] > right["x"] + right["width"], \
        "the palette covers neither the start event nor the lane labels"
    screenshot(page, "pass-11-modeler-opened")

    page.locator("g.djs-element[data-element-id=\'city_review\']").dispatch_event("click")
    page.wait_for_selector("#properties[data-element='city_review']")
    assert page.inner_text("#properties [data-type]") == "人工任务"
    pad = page.locator(".djs-context-pad .entry").evaluate_all("es => es.map(e => e.getAttribute('title'))")
    assert "接续任务" in pad and "更改元素类型" in pad and "删除" in pad
    page.click(".djs-context-pad .entry[data-action='replace']")
    assert "更改元素类型" in page.inner_text(".djs-popup") and "脚本任务" in page.inner_text(".djs-popup")
    screenshot(page, "pass-12-modeler-change-type-menu")
    page.keyboard.press("Escape")

    page.fill("#sample-data", json.dumps({"applicant_name": "张三", "talent_category": "顶尖人才",
                                          "county": "dongchangfu"}, ensure_ascii=False))
    page.click("#btn-dry-run")
    page.wait_for_selector(".dry-run-stop")
    first_path = page.locator(".dry-run-steps li").evaluate_all("ls => ls.map(l => l.dataset.task)")
    assert first_path[:3] == ["submit_materials", "county_check", "city_review"]
    answer = page.locator("#answer-county_check")
    assert json.loads(answer.input_value())["county_decision"] == "转报市平台"
    answer.fill(json.dumps({"county_decision": "退回补正", "missing_items": ["证件照"], "return_note": "照片模糊"},
                           ensure_ascii=False))
    page.click("#btn-dry-run-again")
    page.wait_for_function("() => { const third = document.querySelector('.dry-run-steps li:nth-child(3)');"
                           " return third && third.dataset.task !== 'city_review'; }")
    second_path = page.locator(".dry-run-steps li").evaluate_all("ls => ls.map(l => l.dataset.task)")
    assert second_path[:3] == ["submit_materials", "county_check", "correct_materials"]
    screenshot(page, "pass-13-dry-run-following-an-answer")

    page.locator("g.djs-element[data-element-id=\'city_review_deadline\']").dispatch_event("click")
    page.wait_for_selector("#properties[data-element='city_review_deadline']")
    field = page.locator("#properties [data-prop=timer]")
    field.fill("working_days(5")
    field.press("Tab")
    page.click("#btn-check")
    page.wait_for_selector("#problems-list li")
    assert page.inner_text("#problems-list").count("语法错误") == 1
    assert "到期时间（timeDate）：语法错误：“(”没有闭合" in page.inner_text("#problems-list")
    screenshot(page, "pass-14-check-in-chinese")

    page.click("button:has-text('English')")
    wait_ready(page, "#designer")
    palette = page.locator(".djs-palette .entry").evaluate_all("es => es.map(e => e.getAttribute('title'))")
    assert "Create task" in palette and "Activate hand tool" in palette
    page.locator("g.djs-element[data-element-id=\'city_review\']").dispatch_event("click")
    page.wait_for_selector("#properties[data-element='city_review']")
    assert page.inner_text("#properties [data-type]") == "User task"
    screenshot(page, "pass-15-modeler-in-english")


# --- 12. the smaller things --------------------------------------------------------------------------------

def test_the_calendar_is_clicked_as_a_calendar(signed_in, world, platform):
    from engine.calendar.store import year_view

    admin = signed_in("admin")
    admin.goto("/console/calendar/2031")
    assert admin.locator("#calendar-editor").is_visible() and admin.locator(".month").count() == 12
    admin.check("input[name=mark][value=holiday]")
    admin.fill("#mark-name", "元旦")
    admin.click("button.day[data-date='2031-01-01']")
    admin.click("button.day[data-date='2031-01-02']")
    admin.check("input[name=mark][value=working]")
    admin.fill("#mark-name", "元旦调休")
    admin.click("button.day[data-date='2031-01-04']")
    day = admin.locator("button.day[data-date='2031-01-02']")
    assert "day-holiday" in day.get_attribute("class") and day.get_attribute("aria-pressed") == "true"
    assert "放假 2 天，调休上班 1 天" in admin.inner_text("#calendar-summary")
    screenshot(admin, "pass-16-calendar-marked")
    admin.click(".calendar-form button[type=submit]")
    assert "2031 年工作日历已保存" in admin.inner_text(".flashes")
    with platform.uow(write=False) as uow:
        view = year_view(2031, uow=uow)
    assert view["holidays"] == [{"date": "2031-01-01", "name": "元旦"}, {"date": "2031-01-02", "name": "元旦"}]
    assert view["working_days"] == [{"date": "2031-01-04", "name": "元旦调休"}]
    assert "day-working" in admin.locator("button.day[data-date='2031-01-04']").get_attribute("class")


def test_phones_show_the_services_first_and_every_tab(signed_in, world):
    applicant = signed_in("applicant", viewport=PHONE)
    services = applicant.locator("#services-title").bounding_box()
    cases = applicant.locator("#cases-title").bounding_box()
    assert services["y"] < cases["y"] and services["y"] < PHONE["height"], "apply buttons first, in sight"
    screenshot(applicant, "pass-17-phone-portal-services-first")
    window = signed_in("win_dcf", viewport=PHONE)
    window.goto("/tasks?view=department")
    tab = window.locator(".tab-overdue").bounding_box()
    assert tab["x"] >= 0 and tab["x"] + tab["width"] <= PHONE["width"], "the 已超期 tab is on the screen"
    screenshot(window, "pass-18-phone-tabs-all-in-sight")


def test_refusals_retry_and_migration_read_right(signed_in, world):
    window = signed_in("win_dcf")
    window.goto("/designer/")
    assert "您没有权限使用流程设计" in window.inner_text("main") and "办理此事项" not in window.inner_text("main")
    screenshot(window, "pass-19-refusal-names-the-designer")
    admin = signed_in("admin")
    admin.goto(f"/console/instances/{world.escalation['F']}")
    wait_ready(admin, "#diagram")
    assert admin.input_value("#retry-data") == "" and '"months": 2' in admin.inner_text("#retry-baseline")
    screenshot(admin, "pass-20-retry-read-only-data-and-changes")
    designer = signed_in("designer")
    designer.goto("/designer/flows/health_card/migrate")
    assert (designer.input_value("#from-version"), designer.input_value("#to-version")) == ("1", "2")


def test_a_demo_document_opens(signed_in, platform, flow):
    from sqlalchemy import select
    from web.webkit import deploy_files, health_card_files

    from engine.store.models import User
    from ui import demo

    deploy_files(platform, health_card_files(uploads=True))
    with platform.uow(write=False) as uow:
        names = list(uow.session.scalars(select(User.username)))
    actors = {name: flow.actor(name) for name in names}
    [at_county] = [s for s in demo.scenarios_for(platform) if s.ref == "HC-01"]  # materials in, at the county window
    line = demo._load_case(platform, at_county, actors, platform.now())
    assert "failed" not in line, line
    case = int(line.split()[2])
    page = signed_in("admin")
    page.goto(f"/cases/{case}")
    assert page.locator(".documents li").count() == 4
    screenshot(page, "pass-21-demo-case-with-its-documents")
    with page.expect_download() as download:
        page.locator(".documents .doc-link").first.click()
    opened = download.value
    assert opened.suggested_filename.endswith(".pdf")
    assert Path(opened.path()).read_bytes().startswith(b"%PDF-1.4")
