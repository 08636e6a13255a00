"""The designers' new tools in real Chromium: the decision-table editor (dmn-js) — a subsidy amount changed, a
broken entry marked on its cell by the server's checks, the table deployed as a new version whose diff shows the
change; the visual form builder beside the JSON Schema, round-tripping it with the live preview; the API explorer
(Swagger UI, served locally). Each page passes axe-core's serious and critical checks, with CJK screenshots."""

from __future__ import annotations

import json

import pytest
from web.webkit import deploy_files, health_card_files

from engine.cases.deployment import find_model

from .conftest import screenshot
from .test_accessibility import axe_violations

pytestmark = pytest.mark.sqlite_only


def set_cell(page, cell_id: str, text: str) -> None:
    """Type into one cell of the dmn-js decision table."""
    editable = page.locator(f"td[data-element-id='{cell_id}'] .content-editable")
    editable.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.locator("h1").click()  # leave the cell: dmn-js commits the edit


def test_a_policy_officer_changes_a_subsidy_amount_in_the_decision_table(signed_in, platform, flow):
    key = flow.deploy_folder("subsidy")
    page = signed_in("designer")
    page.goto(f"/designer/flows/{key}")
    page.click("a.dmn-link:has-text('living_subsidy.dmn')")
    page.wait_for_selector("#dmn-editor[data-ready]")
    page.wait_for_selector("td[data-element-id='LiteralExpression_top_amount']")
    assert "命中策略" in page.inner_text("#dmn-canvas") and "When" not in page.inner_text("#dmn-canvas")
    assert axe_violations(page) == []
    set_cell(page, "LiteralExpression_top_amount", "20000 +")  # not a Python expression
    page.click("#btn-dmn-check")
    page.wait_for_selector("#dmn-problems:not([hidden])")
    assert page.locator("td[data-element-id='LiteralExpression_top_amount'].has-problem").count() == 1
    problems = page.inner_text("#dmn-problems-list")
    assert "Rule_top" in problems and "语法错误" in problems
    screenshot(page, "designer-dmn-problem-on-its-cell")
    set_cell(page, "LiteralExpression_top_amount", "25000")
    page.click("#btn-dmn-check")
    page.wait_for_selector("#dmn-status:has-text('检查通过')")
    assert page.locator("#dmn-canvas .has-problem").count() == 0
    page.click("#btn-dmn-deploy")
    page.wait_for_selector("#dmn-result:not([hidden])")
    assert "已部署为第 2 版" in page.inner_text("#dmn-result")
    screenshot(page, "designer-dmn-deployed")
    with platform.uow(write=False) as uow:
        table = next(bytes(f.content) for f in find_model(key, 2, uow=uow).files if f.filename == "living_subsidy.dmn")
    assert b"<text>25000</text>" in table
    page.click("#link-dmn-diff")
    page.wait_for_selector("#diff-new[data-ready]")
    row = page.locator(".dmn-diff tr[data-rule='Rule_top']")
    assert "20000" in row.inner_text() and "25000" in row.inner_text()
    assert axe_violations(page) == []
    screenshot(page, "designer-dmn-diff")


def test_the_form_builder_edits_the_json_schema_visually_with_the_live_preview(signed_in, platform):
    files = health_card_files(uploads=True)
    key = deploy_files(platform, files)
    page = signed_in("designer")
    page.goto(f"/designer/flows/{key}/versions/1/edit")
    page.wait_for_selector("#designer[data-ready]")
    page.locator("g.djs-element[data-element-id='city_review']").dispatch_event("click")
    page.wait_for_selector("#properties[data-element='city_review']")
    page.click("#btn-edit-form")
    page.wait_for_selector("#form-builder .fb-field")
    before = json.loads(page.input_value("#schema-text"))
    names = list(before["properties"])
    assert [f.get_attribute("data-field") for f in page.locator(".fb-field").all()] == names
    page.click("#fb-add")
    new = page.locator(".fb-field").last
    new.locator("[data-fb=name]").fill("hotline")
    new.locator("[data-fb=name]").press("Tab")
    new = page.locator(".fb-field[data-field=hotline]")
    new.locator("[data-fb=title]").fill("联系电话")
    new.locator("[data-fb=title]").press("Tab")
    new = page.locator(".fb-field[data-field=hotline]")
    new.locator("[data-fb=required]").check()
    new.locator("[data-fb=kind]").select_option("choice")
    new = page.locator(".fb-field[data-field=hotline]")
    new.locator("[data-fb=choices]").fill("工作日\n周末")
    new.locator("[data-fb=choices]").press("Tab")
    schema = json.loads(page.input_value("#schema-text"))
    assert schema["properties"]["hotline"] == {"type": "string", "title": "联系电话", "enum": ["工作日", "周末"]}
    assert "hotline" in schema["required"]
    assert {k: v for k, v in schema["properties"].items() if k != "hotline"} == before["properties"], \
        "the fields the builder did not touch keep every key"
    page.wait_for_selector("#form-preview :text('联系电话')")
    assert page.locator("#form-preview input[type=radio][name=hotline]").count() == 2
    page.locator(".fb-field[data-field=hotline] [data-fb=up]").click()
    assert list(json.loads(page.input_value("#schema-text"))["properties"])[-2] == "hotline"
    # and back: typing in the JSON redraws the builder
    edited = json.loads(page.input_value("#schema-text"))
    edited["properties"]["hotline"]["title"] = "咨询电话"
    page.fill("#schema-text", json.dumps(edited, ensure_ascii=False, indent=2))
    page.wait_for_selector(".fb-field[data-field=hotline] legend:has-text('咨询电话')")
    page.wait_for_selector("#form-preview :text('咨询电话')")
    assert axe_violations(page) == []
    screenshot(page, "designer-form-builder")
    page.click("#btn-check")
    page.wait_for_selector("#designer-status:has-text('检查通过')")


def test_the_api_explorer_lists_the_api_from_the_local_openapi_document(signed_in, live_server):
    page = signed_in("designer")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/designer/")
    page.click("a:has-text('接口文档')")
    page.wait_for_selector("#api-explorer[data-ready]")
    page.wait_for_selector(".opblock-summary-path:has-text('/process-instances/{instance_id}/withdraw')")
    text = page.inner_text("#api-explorer")
    for path in ("/tasks/{task_id}/comments", "/admin/instances/bulk", "/admin/incidents"):
        assert path in text
    assert all(url.startswith(live_server) for url in requests), "nothing from a CDN"
    assert axe_violations(page) == []
    screenshot(page, "designer-api-explorer")
