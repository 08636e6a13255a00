"""Scenarios of the health-care card flow (Liaocheng medical care art. 2–6) through the service layer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from conftest import at

from engine.errors import InvalidInput

HOSPITALS = ["聊城市人民医院", "聊城市第二人民医院", "聊城市第三人民医院", "聊城市第四人民医院", "聊城市中医院",
             "聊城市传染病医院"]
MATERIALS = {
    "id_number": "371502198805123015",
    "certification_proof": "rencai-rending-2026-0815.pdf",
    "approval_form": "baojianzheng-shenpibiao-zhangsan.pdf",
    "id_card_copy": "shenfenzheng-zhangsan.pdf",
    "photo": "张三.jpg",
    "photo_confirmed": True,
    "contact_phone": "13806351234",
}
CITY_WINDOW, COUNTY_WINDOW, HEALTH_CARE_OFFICE, TALENT_OFFICE = \
    "city_window", "county_window_dongchangfu", "health_care_office", "talent_office"
FORWARD = {"county_decision": "转报市平台", "county_opinion": "四项材料齐全"}
PASS = {"review_decision": "审核通过", "review_opinion": "符合第二条适用对象"}
CARD = {"card_number": "LCBJ-2026-0001", "issued_on": "2026-10-09"}
SUPERVISION = {"supervise_measure": "电话督促", "supervise_note": "请尽快办结"}


@pytest.fixture
def health_card(flow: Any) -> str:
    return flow.deploy_folder("health_card")


def start(flow: Any, key: str, category: str = "顶尖人才", county: str = "dongchangfu") -> int:
    return flow.start(key, {"applicant_name": "张三", "talent_category": category, "county": county,
                            "employer": "聊城大学"}, who="applicant")


def task(flow: Any, case: int, name: str) -> dict[str, Any]:
    [found] = [t for t in flow.view(case)["tasks"] if t["name"] == name and t["state"] in ("open", "claimed")]
    return found


def due(flow: Any, case: int, name: str) -> datetime:
    return datetime.fromisoformat(task(flow, case, name)["due_at"])


def actions(flow: Any, case: int) -> list[tuple[str, str | None]]:
    return [(h["action"], h["task_name"]) for h in flow.view(case)["history"]]


def fire_at(flow: Any, clock: Any, moment: str) -> list[int]:
    clock.set(at(moment))
    return flow.fire(at(moment))


def to_city_review(flow: Any, case: int) -> None:
    flow.complete("applicant", "submit_materials", MATERIALS, case)
    flow.complete(COUNTY_WINDOW, "county_check", FORWARD, case)


def test_health_card_is_issued_with_the_six_designated_hospitals_and_a_free_annual_check_up(
        flow, health_card, clock):
    clock.set(at("2026-09-29 10:00"))
    case = start(flow, health_card)
    assert flow.open_task_names(case) == ["submit_materials"]
    assert task(flow, case, "submit_materials")["assignee"] == "applicant"
    to_city_review(flow, case)
    assert flow.open_task_names(case) == ["city_review"]
    clock.set(at("2026-10-09 11:00"))
    flow.complete(CITY_WINDOW, "city_review", PASS, case)
    assert flow.open_task_names(case) == ["make_card"]
    flow.complete(HEALTH_CARE_OFFICE, "make_card", CARD, case)

    view = flow.view(case)
    assert view["status"] == "completed"
    data = view["data"]
    assert data["outcome"] == "已发证"
    assert data["card_number"] == "LCBJ-2026-0001"
    assert data["designated_hospitals"] == HOSPITALS
    assert data["free_annual_checkup"] is True
    assert data["checkup_funding"] == "聊城市人才发展专项资金"
    assert data["return_count"] == 0 and data["refusal_reason"] == ""
    assert actions(flow, case) == [("start", None), ("complete", "submit_materials"), ("complete", "county_check"),
                                   ("complete", "city_review"), ("complete", "make_card"), ("completed", None)]
    completes = [h for h in view["history"] if h["action"] == "complete"]
    assert completes[0]["details"]["data"] == MATERIALS
    assert completes[0]["actor"] == "applicant"
    assert completes[1]["actor"] == COUNTY_WINDOW and completes[1]["details"]["data"] == FORWARD
    assert completes[3]["details"]["data"] == CARD
    assert view["history"][0]["details"]["data"]["talent_category"] == "顶尖人才"


@pytest.mark.parametrize("category", ["顶尖人才", "高端人才", "急需紧缺人才"])
def test_each_eligible_category_of_article_two_may_submit_materials(flow, health_card, category):
    case = start(flow, health_card, category)
    assert flow.open_task_names(case) == ["submit_materials"]
    assert flow.view(case)["data"]["outcome"] == "办理中"


def test_an_ineligible_category_is_refused_at_once_with_the_reason_in_the_data(flow, health_card):
    case = start(flow, health_card, "青年优秀人才")
    view = flow.view(case)
    assert view["status"] == "completed"
    assert view["tasks"] == []
    assert view["data"]["outcome"] == "不予受理"
    assert view["data"]["eligible"] is False
    assert "青年优秀人才" in view["data"]["refusal_reason"]
    assert "第二条" in view["data"]["refusal_reason"]
    assert actions(flow, case) == [("start", None), ("completed", None)]


def test_the_county_check_goes_to_the_window_of_the_applicants_county_only(flow, health_card):
    case = start(flow, health_card, county="临清市")
    assert flow.view(case)["county"] == "linqing"
    flow.complete("applicant", "submit_materials", MATERIALS, case)
    county_task = task(flow, case, "county_check")
    assert (county_task["department"], county_task["county"]) == ("county_window", "linqing")
    assert county_task["due_at"] is None  # the seeds set no deadline for the county platform
    assert [t["name"] for t in flow.tasks("county_window_linqing")] == ["county_check"]
    assert flow.tasks(COUNTY_WINDOW) == []
    flow.complete("county_window_linqing", "county_check", FORWARD, case)
    assert flow.open_task_names(case) == ["city_review"]


def test_a_case_without_a_county_cannot_start(flow, health_card):
    with pytest.raises(InvalidInput) as error:
        flow.start(health_card, {"applicant_name": "张三", "talent_category": "顶尖人才"}, who="applicant")
    assert error.value.details[0]["field"] == "data.county"


def test_a_bad_id_number_is_refused_with_a_field_detail_and_the_task_stays_open(flow, health_card):
    case = start(flow, health_card)
    with pytest.raises(InvalidInput) as error:
        flow.complete("applicant", "submit_materials", {**MATERIALS, "id_number": "37150219881312301X"}, case)
    assert [d["field"] for d in error.value.details] == ["id_number"]
    assert error.value.details[0]["message_zh"] == "格式不正确"
    with pytest.raises(InvalidInput) as error:
        flow.complete("applicant", "submit_materials", {**MATERIALS, "photo_confirmed": False, "photo": "zs.gif"},
                      case)
    assert {d["field"] for d in error.value.details} == {"photo", "photo_confirmed"}
    assert flow.open_task_names(case) == ["submit_materials"]
    assert actions(flow, case) == [("start", None)]


def test_a_return_must_name_the_missing_materials(flow, health_card):
    case = start(flow, health_card)
    flow.complete("applicant", "submit_materials", MATERIALS, case)
    with pytest.raises(InvalidInput) as error:
        flow.complete(COUNTY_WINDOW, "county_check", {"county_decision": "退回补正"}, case)
    assert {d["field"] for d in error.value.details} == {"missing_items", "return_note"}
    assert flow.open_task_names(case) == ["county_check"]


def test_returns_from_county_and_city_go_back_to_the_applicant_then_through_the_county_again(
        flow, health_card, clock):
    clock.set(at("2026-02-12 10:00"))
    case = start(flow, health_card, "高端人才")
    flow.complete("applicant", "submit_materials", {**MATERIALS, "photo": "photo.png"}, case)
    flow.complete(COUNTY_WINDOW, "county_check", {"county_decision": "退回补正", "missing_items": ["证件照"],
                                                  "return_note": "照片文件名须备注姓名"}, case)
    assert flow.open_task_names(case) == ["resubmit_materials"]
    resubmit = task(flow, case, "resubmit_materials")
    assert (resubmit["assignee"], resubmit["department"], resubmit["state"]) == ("applicant", None, "claimed")
    data = flow.view(case)["data"]
    assert (data["return_count"], data["outcome"], data["missing_items"]) == (1, "办理中", ["证件照"])

    flow.complete("applicant", "resubmit_materials", MATERIALS, case)
    assert flow.open_task_names(case) == ["county_check"]
    flow.complete(COUNTY_WINDOW, "county_check", FORWARD, case)
    assert due(flow, case, "city_review") == at("2026-02-26 18:00")  # 02-13, 02-14 (worked Sat), 02-24..26
    flow.complete(CITY_WINDOW, "city_review", {"review_decision": "退回补正", "missing_items": ["保健证审批表"],
                                               "return_note": "审批表缺用人单位盖章"}, case)
    assert flow.open_task_names(case) == ["resubmit_materials"]
    assert flow.view(case)["data"]["return_count"] == 2

    flow.complete("applicant", "resubmit_materials", MATERIALS, case)
    flow.complete(COUNTY_WINDOW, "county_check", FORWARD, case)
    flow.complete(CITY_WINDOW, "city_review", PASS, case)
    flow.complete(HEALTH_CARE_OFFICE, "make_card", CARD, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert (view["data"]["outcome"], view["data"]["return_count"]) == ("已发证", 2)
    assert [a for a in actions(flow, case) if a[0] == "complete"] == [
        ("complete", "submit_materials"), ("complete", "county_check"), ("complete", "resubmit_materials"),
        ("complete", "county_check"), ("complete", "city_review"), ("complete", "resubmit_materials"),
        ("complete", "county_check"), ("complete", "city_review"), ("complete", "make_card")]


def test_a_fourth_return_ends_the_case_refused_so_the_loop_cannot_run_forever(flow, health_card):
    case = start(flow, health_card)
    flow.complete("applicant", "submit_materials", MATERIALS, case)
    back = {"county_decision": "退回补正", "missing_items": ["人才认定证明材料"], "return_note": "认定证明已过期"}
    for count in (1, 2, 3):
        flow.complete(COUNTY_WINDOW, "county_check", back, case)
        assert flow.open_task_names(case) == ["resubmit_materials"]
        assert flow.view(case)["data"]["return_count"] == count
        flow.complete("applicant", "resubmit_materials", MATERIALS, case)
    flow.complete(COUNTY_WINDOW, "county_check", back, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert view["data"]["return_count"] == 4
    assert view["data"]["outcome"] == "不予办理"
    assert view["data"]["refusal_reason"].startswith("申请材料经3次退回补正仍不齐全")
    assert actions(flow, case)[-1] == ("completed", None)


def test_the_city_platform_refuses_with_its_opinion_as_the_reason(flow, health_card):
    case = start(flow, health_card, "急需紧缺人才")
    to_city_review(flow, case)
    with pytest.raises(InvalidInput) as error:
        flow.complete(CITY_WINDOW, "city_review", {"review_decision": "不予通过"}, case)
    assert [d["field"] for d in error.value.details] == ["review_opinion"]
    flow.complete(CITY_WINDOW, "city_review", {"review_decision": "不予通过",
                                               "review_opinion": "人才认定证明与认定名单不符"}, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert view["data"]["outcome"] == "不予通过"
    assert view["data"]["refusal_reason"] == "人才认定证明与认定名单不符"
    assert "card_number" not in view["data"]


def test_health_card_escalates_to_talent_office_when_city_review_exceeds_five_working_days(
        flow, health_card, clock):
    clock.set(at("2026-09-29 10:00"))
    case = start(flow, health_card)
    to_city_review(flow, case)
    # 09-30, then 10-01..10-07 off, 10-08, 10-09, Saturday 10-10 worked, Sunday off, 10-12: the fifth day.
    assert due(flow, case, "city_review") == at("2026-10-12 18:00")
    assert datetime.fromisoformat(flow.view(case)["next_due_at"]) == at("2026-10-12 18:00")
    assert fire_at(flow, clock, "2026-10-12 17:59:59") == []
    assert fire_at(flow, clock, "2026-10-12 18:00:01") == [case]
    assert flow.open_task_names(case) == ["city_review", "supervise_city_review"]
    [fired] = [h for h in flow.view(case)["history"] if h["action"] == "timer_fired"]
    assert fired["task_name"] == "city_review_deadline"
    assert datetime.fromisoformat(fired["details"]["due_at"]) == at("2026-10-12 18:00")
    assert [t["name"] for t in flow.tasks(TALENT_OFFICE)] == ["supervise_city_review"]
    assert fire_at(flow, clock, "2026-10-13 18:00:01") == []  # fires once

    flow.complete(TALENT_OFFICE, "supervise_city_review", SUPERVISION, case)
    assert flow.open_task_names(case) == ["city_review"]
    flow.complete(CITY_WINDOW, "city_review", PASS, case)
    assert due(flow, case, "make_card") == at("2026-10-27 18:00")  # 10 working days after 10-13
    flow.complete(HEALTH_CARE_OFFICE, "make_card", CARD, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert view["data"]["outcome"] == "已发证"
    assert [a for a in actions(flow, case) if a[0] in ("timer_fired", "completed")] == [
        ("timer_fired", "city_review_deadline"), ("completed", None)]


def test_health_card_escalates_to_talent_office_when_card_making_exceeds_ten_working_days(
        flow, health_card, clock):
    clock.set(at("2026-02-12 09:00"))
    case = start(flow, health_card, "高端人才")
    to_city_review(flow, case)
    clock.set(at("2026-02-12 15:30"))
    flow.complete(CITY_WINDOW, "city_review", PASS, case)
    # 02-13, Saturday 02-14 worked, Spring Festival 02-15..23 off, 02-24..27, Saturday 02-28 worked, 03-02..04.
    assert due(flow, case, "make_card") == at("2026-03-04 18:00")
    assert task(flow, case, "make_card")["department"] == "health_care_office"
    assert fire_at(flow, clock, "2026-03-04 17:59") == []
    assert fire_at(flow, clock, "2026-03-04 18:00:01") == [case]
    assert flow.open_task_names(case) == ["make_card", "supervise_make_card"]
    flow.complete(TALENT_OFFICE, "supervise_make_card", SUPERVISION, case)
    supervised = [h for h in flow.view(case)["history"] if h["task_name"] == "supervise_make_card"]
    assert supervised[0]["details"]["data"] == SUPERVISION
    flow.complete(HEALTH_CARE_OFFICE, "make_card", {**CARD, "issued_on": "2026-03-05"}, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert view["data"]["outcome"] == "已发证"
    assert view["data"]["issued_on"] == "2026-03-05"
    assert [h for h in view["history"] if h["action"] == "timer_fired"][0]["task_name"] == "make_card_deadline"


def test_a_finished_review_leaves_no_timer_behind(flow, health_card, clock):
    clock.set(at("2026-09-29 10:00"))
    case = start(flow, health_card)
    to_city_review(flow, case)
    flow.complete(CITY_WINDOW, "city_review", PASS, case)
    flow.complete(HEALTH_CARE_OFFICE, "make_card", CARD, case)
    assert flow.view(case)["next_due_at"] is None
    assert fire_at(flow, clock, "2026-12-31 18:00:01") == []
