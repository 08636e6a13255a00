"""A health-card case walked in real Chromium: the applicant applies and uploads, two county window officers
race for the task, the city window reviews, the health-care office issues the card, the applicant sees it."""

from __future__ import annotations

import re

import pytest
from web.webkit import JPEG, PDF, PNG, deploy_files, health_card_files

from .conftest import screenshot

pytestmark = pytest.mark.sqlite_only


def upload(page, field: str, name: str, mime: str, content: bytes) -> None:
    page.set_input_files(f"input[name={field}]", files=[{"name": name, "mimeType": mime, "buffer": content}])


def applicant_applies(page) -> None:
    screenshot(page, "02-portal-home")
    page.click(".service:has-text('高层次人才保健证办理') >> text=在线申请")
    page.fill("#f-applicant_name", "张三")
    page.select_option("#f-talent_category", "顶尖人才")
    page.fill("#f-employer", "聊城大学")
    screenshot(page, "03-start-form")
    page.click("button:has-text('提交申请')")
    assert page.locator("#field-county .error-text").first.inner_text() == "必填"  # the county was forgotten
    page.select_option("#f-county", "dongchangfu")
    page.click("button:has-text('提交申请')")
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    assert "申请已提交" in page.inner_text(".flashes")
    screenshot(page, "04-case-submitted")


def upload_materials(page) -> None:
    upload(page, "certification_proof", "人才认定证明.pdf", "application/pdf", PDF)
    upload(page, "approval_form", "保健证审批表.pdf", "application/pdf", PDF)
    upload(page, "id_card_copy", "身份证复印件.jpg", "image/jpeg", JPEG)
    upload(page, "photo", "张三.png", "image/png", PNG)


def applicant_submits_materials(page) -> None:
    page.click(".attention >> text=提交申请材料")
    assert "JPG 或 PNG 格式，不超过 10MB。" in page.inner_text("#field-photo")  # the photo takes pictures only
    page.fill("#f-id_number", "37150219881312301X")  # month 13: not a valid ID number
    upload_materials(page)
    page.check("input[name=photo_confirmed]")
    page.fill("#f-contact_phone", "13806351234")
    page.click("button:has-text('提交')")
    error = page.locator("#field-id_number .error-text")
    assert error.inner_text() == "格式不正确"
    # A refused submission keeps no document (issue 12): each file field asks for its file again.
    assert "提交未成功，所选文件未保存，请重新选择" in page.inner_text("#field-photo")
    screenshot(page, "05-validation-error")
    page.fill("#f-id_number", "371502198805123015")
    upload_materials(page)
    page.click("button:has-text('提交')")
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    assert "已提交：提交申请材料" in page.inner_text(".flashes")
    assert page.locator(".documents li").count() == 4


def county_windows_race_for_the_task(signed_in) -> None:
    first = signed_in("win_dcf")
    second = signed_in("win_dcf2")
    first.click("text=本部门待办")
    assert first.locator(".task-table tbody tr").count() == 1
    screenshot(first, "06-county-task-list")
    first.click(".task-link:has-text('县级平台核验转报')")
    second.goto(first.url)  # both have the open task in front of them
    first.click("button:has-text('认领办理')")
    assert "已认领" in first.inner_text(".flashes")
    second.click("button:has-text('认领办理')")
    assert "此任务已由 win_dcf 认领，正在办理" in second.inner_text(".flashes")
    screenshot(second, "07-conflict-explained")
    with first.expect_download() as download:
        first.click(".documents >> text=张三.png")
    assert download.value.suggested_filename == "张三.png"
    first.check("input[name=county_decision][value=转报市平台]")
    first.fill("#f-county_opinion", "四项材料齐全")
    screenshot(first, "08-county-task-page")
    first.click("button:has-text('提交')")
    first.wait_for_url(re.compile(r"/tasks$"))
    assert "已提交：县级平台核验转报" in first.inner_text(".flashes")


def city_window_reviews(signed_in) -> None:
    page = signed_in("city1")
    page.click("text=本部门待办")
    row = page.locator(".task-table tbody tr").first
    assert "市平台受理审核" in row.inner_text() and "剩余 5 个工作日" in row.inner_text()
    screenshot(page, "09-city-task-list")
    page.click(".task-link:has-text('市平台受理审核')")
    page.click("button:has-text('认领办理')")
    page.check("input[name=review_decision][value=审核通过]")
    page.fill("#f-review_opinion", "符合第二条适用对象")
    screenshot(page, "10-city-task-page")
    page.click("button:has-text('提交')")
    page.wait_for_url(re.compile(r"/tasks$"))


def health_care_office_issues_the_card(signed_in) -> None:
    page = signed_in("health_care_office")
    page.click("text=本部门待办")
    page.click(".task-link:has-text('制作保健证')")
    assert "剩余 10 个工作日" in page.inner_text(".page-head")
    page.click("button:has-text('认领办理')")
    page.fill("#f-card_number", "LCBJ-2026-0001")
    page.fill("#f-issued_on", "2026-10-09")
    page.click("button:has-text('提交')")
    page.wait_for_url(re.compile(r"/tasks$"))


def the_elicence_system_records_the_card(platform) -> None:
    """The e-licence system's worker answers the job the made card became (the demo's simulated system)."""
    from engine.integration.external_tasks import complete, fetch_and_lock
    from engine.people.identity import Actor
    from onestop_worker.client import Job
    from onestop_worker.simulated import SIMULATED

    admin = Actor("admin", "admin")
    with platform.uow() as uow:
        [job] = fetch_and_lock("walk", ["elicence.issue"], max_tasks=10, actor=admin, uow=uow, now=platform.now())
        uow.commit()
    with platform.uow(optimistic=True) as uow:
        complete(job["id"], "walk", SIMULATED["elicence.issue"](Job.of(job)), actor=admin, uow=uow, now=platform.now())
        uow.commit()


def city_window_hands_the_card_over_and_health_arranges_the_check_up(signed_in) -> None:
    page = signed_in("city1")
    page.click("text=本部门待办")
    page.click(".task-link:has-text('发放保健证')")
    page.click("button:has-text('认领办理')")
    page.check("input[name=received_by][value=用人单位]")
    page.fill("#f-receiver_name", "李娜")
    page.fill("#f-received_on", "2026-10-12")
    page.check("input[name=services_explained]")
    page.click("button:has-text('提交')")
    page.wait_for_url(re.compile(r"/tasks$"))
    page = signed_in("health")
    page.click("text=本部门待办")
    page.click(".task-link:has-text('安排免费健康体检')")
    page.click("button:has-text('认领办理')")
    page.select_option("#f-checkup_hospital", "聊城市人民医院")
    page.fill("#f-checkup_date", "2026-10-20")
    page.check("input[name=funding_confirmed]")
    page.click("button:has-text('提交')")
    page.wait_for_url(re.compile(r"/tasks$"))


def test_a_health_card_case_from_application_to_card_issued(platform, signed_in, clock):
    deploy_files(platform, health_card_files(uploads=True))
    applicant = signed_in("applicant", shot="01-sign-in")
    applicant_applies(applicant)
    case_url = applicant.url
    applicant_submits_materials(applicant)
    county_windows_race_for_the_task(signed_in)
    city_window_reviews(signed_in)
    health_care_office_issues_the_card(signed_in)
    the_elicence_system_records_the_card(platform)
    city_window_hands_the_card_over_and_health_arranges_the_check_up(signed_in)

    applicant.goto(case_url)
    result = applicant.inner_text(".result")
    assert "办理结果：已发证" in result and "LCBJ-2026-0001 已发放" in result and "聊城市传染病医院" in result
    timeline = applicant.inner_text(".timeline")
    assert "县级平台核验转报" in timeline and "认领" not in timeline  # steps, not staff-internal moves
    screenshot(applicant, "11-case-result")


def test_screens_fit_a_phone_and_switch_to_english(platform, signed_in, flow):
    key = deploy_files(platform, health_card_files(uploads=True))
    for name in ("张三", "李四"):
        case = flow.start(key, {"applicant_name": name, "talent_category": "高端人才", "county": "dongchangfu"})
    flow.complete("applicant", "submit_materials", {
        "id_number": "371502198805123015", "certification_proof": "rencai.pdf", "approval_form": "shenpibiao.pdf",
        "id_card_copy": "shenfenzheng.pdf", "photo": "李四.jpg", "photo_confirmed": True,
        "contact_phone": "13806351234"}, case)
    phone = {"width": 390, "height": 844}
    applicant = signed_in("applicant", viewport=phone)
    assert applicant.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(applicant, "12-phone-portal")
    applicant.click(".attention .task-link >> nth=0")
    applicant.wait_for_url("**/tasks/*")
    applicant.wait_for_load_state("load")
    assert applicant.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(applicant, "13-phone-task-form")
    window = signed_in("win_dcf", viewport=phone)
    assert window.locator(".task-table tbody tr").count() == 1
    assert window.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(window, "14-phone-task-list")
    window.click("button:has-text('菜单')")
    window.click("button:has-text('English')")
    assert "My department" in window.inner_text("main") and "No deadline" in window.inner_text("main")
    screenshot(window, "15-phone-task-list-english")
