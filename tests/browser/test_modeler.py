"""The designers' web modeler in real Chromium: open the health-card flow, rename a task, shorten the city
review deadline, see a validation error on its element, fix it, deploy, compare versions and move a waiting case."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from web.conftest import FORWARD, MATERIALS, START
from web.webkit import deploy_files, health_card_files

from .conftest import screenshot

pytestmark = pytest.mark.sqlite_only


def case_waiting_at_city_review(flow, key: str) -> int:
    """A health-card case through the county check: the city review is open, its deadline timer waiting."""
    from tasks.service import claim_task

    case = flow.start(key, START)
    flow.complete("applicant", "submit_materials", MATERIALS, case)
    task = flow.task("win_dcf", "county_check", case)
    with flow.platform.uow() as uow:
        claim_task(task["id"], actor=flow.actor("win_dcf"), uow=uow, now=flow.platform.now())
        uow.commit()
    flow.complete("win_dcf", "county_check", FORWARD, case)
    return case


def select(page, element_id: str) -> None:
    # Clicked where it is, even when the readable first view leaves it outside the visible part of the canvas.
    page.locator(f"g.djs-element[data-element-id='{element_id}']").dispatch_event("click")
    page.wait_for_selector(f"#properties[data-element='{element_id}']")


def change(page, prop: str, value: str) -> None:
    field = page.locator(f"#properties [data-prop={prop}]")
    field.fill(value)
    field.press("Tab")  # the side form applies a field when it loses focus


def test_a_designer_edits_checks_deploys_and_migrates_in_the_browser(signed_in, platform, flow):
    key = deploy_files(platform, health_card_files())
    case = case_waiting_at_city_review(flow, key)
    [waiting] = [t for t in flow.view(case)["tasks"] if t["name"] == "city_review"]
    page = signed_in("designer")
    page.on("dialog", lambda dialog: dialog.accept())  # "move the cases?" — yes

    page.click("nav >> text=流程设计")
    page.click(".flow-table >> text=编辑")
    page.wait_for_selector("#designer[data-ready='1']")
    screenshot(page, "modeler-01-opened")
    # The palette offers what the engine runs: tasks, events, gateways — not a data store it cannot use.
    assert page.locator(".djs-palette .entry.bpmn-icon-task").count() == 1
    assert page.locator(".djs-palette .entry.bpmn-icon-data-store").count() == 0

    select(page, "city_review")
    change(page, "name", "市平台受理复核")
    page.click("#btn-edit-form")
    page.wait_for_selector("#form-preview input[name=review_decision][value=审核通过]")
    assert "表单定义有效" in page.inner_text("#form-problems")
    screenshot(page, "modeler-02-form-editor-preview")

    select(page, "Lane_talent")  # the lane lies below the readable first view
    department = page.locator("#properties select").first
    assert department.input_value() == "talent_office"
    department.select_option("hrss")
    department.select_option("talent_office")  # the lane now names the department in Chinese
    label = page.locator("g[data-element-id='Lane_talent'] text").first
    assert label.text_content() == "市人才工作领导小组办公室"

    page.fill("#sample-data", json.dumps(START, ensure_ascii=False))
    page.click("#btn-dry-run")
    page.wait_for_selector(".dry-run-stop")
    assert page.locator(".dry-run-steps li").first.inner_text().startswith("提交申请材料")

    select(page, "city_review_deadline")
    assert page.input_value("#properties [data-prop=timer]") == "working_days(5)"
    change(page, "timer", "working_days(3")  # a parenthesis forgotten
    page.click("#btn-check")
    badge = page.locator(".problem-badge[data-element=city_review_deadline]")
    badge.wait_for()
    assert page.locator("g.djs-element.has-problem[data-element-id=city_review_deadline]").count() == 1
    assert "到期时间（timeDate）：语法错误：“(”没有闭合" in page.inner_text(
        "#problems-list li[data-element=city_review_deadline]")
    assert page.locator(".problem-badge").count() == 1, "only the timer is wrong"
    screenshot(page, "modeler-03-problem-on-the-timer")

    page.click("#btn-deploy")  # refused while the problem is there
    page.wait_for_selector("#designer-status:has-text('未部署')")
    assert len(flow_versions(platform, key)) == 1

    badge.click()  # the badge on the element selects it
    page.wait_for_selector("#properties[data-element='city_review_deadline'] .error-text:has-text('没有闭合')")
    change(page, "timer", "working_days(3)")
    page.click("#btn-check")
    page.wait_for_selector("#designer-status:has-text('检查通过')")
    assert page.locator(".problem-badge").count() == 0
    assert page.locator(".has-problem").count() == 0

    page.click("#btn-deploy")
    page.wait_for_selector("#deploy-result h2:has-text('已部署为第 2 版')")
    screenshot(page, "modeler-04-deployed")
    migrate = page.get_attribute("#link-migrate", "href")
    assert flow_versions(platform, key) == [2, 1]

    page.goto(f"/designer/flows/{key}/diff?from=1&to=2")
    page.wait_for_selector("#diff-old[data-ready='1']")
    page.wait_for_selector("#diff-new[data-ready='1']")
    for pane in ("#diff-old", "#diff-new"):
        for changed in ("city_review", "city_review_deadline"):
            assert page.locator(f"{pane} g.diff-changed[data-element-id={changed}]").count() == 1
    screenshot(page, "modeler-05-diff")

    page.goto(migrate)
    assert page.input_value("#from-version") == "1" and page.input_value("#to-version") == "2"
    page.fill("#reason", "市平台审核时限调整为3个工作日")
    page.click("button:has-text('预演')")
    assert page.locator(f".case-report.movable li[data-case='{case}']").count() == 1
    screenshot(page, "modeler-06-migration-dry-run")
    page.click("button:has-text('迁移 1 件案件')")
    page.wait_for_selector("#migration-result")
    assert "已迁移 1 件案件到第 2 版" in page.inner_text("#migration-result")
    screenshot(page, "modeler-07-migrated")

    view = flow.view(case)
    [moved] = [t for t in view["tasks"] if t["state"] in ("open", "claimed")]
    assert view["version"] == 2 and (moved["id"], moved["title"]) == (waiting["id"], "市平台受理复核")
    assert datetime.fromisoformat(moved["due_at"]) == datetime.fromisoformat(waiting["due_at"]), \
        "the deadline that was running is kept"


def flow_versions(platform, key: str) -> list[int]:
    from engine.services.designer import list_versions

    with platform.uow(write=False) as uow:
        return [v["version"] for v in list_versions(key, uow=uow)]
