"""Liaocheng's health-care card (医疗细则第二条至第六条; 金卡办法第六条（二）): who may apply, the county and city
platforms, the 5 and 10 working-day limits with the talent office's supervision, the card handed over and the free
check-up arranged, and the review clock stopped while materials are out for correction or the case is suspended."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from conftest import at

from engine.cases.instances import resume_instance, suspend_instance
from engine.people.identity import Actor

MATERIALS = {"id_number": "371502198805123015", "certification_proof": "rencai-rending-2026-0815.pdf",
             "approval_form": "baojianzheng-shenpibiao-zhangsan.pdf", "id_card_copy": "shenfenzheng-zhangsan.pdf",
             "photo": "张三.jpg", "photo_confirmed": True, "contact_phone": "13806351234"}
FORWARD = {"county_decision": "转报市平台", "county_opinion": "四项材料齐全"}
RETURN = {"county_decision": "退回补正", "missing_items": ["证件照"], "return_note": "证件照须为白色背景"}
PASS = {"review_decision": "审核通过", "review_opinion": "符合第二条适用对象"}
CITY_RETURN = {"review_decision": "退回补正", "missing_items": ["保健证审批表"], "return_note": "审批表缺单位盖章"}
CARD = {"card_number": "LCBJ-2026-0001", "issued_on": "2026-11-10"}
HANDED = {"received_by": "用人单位", "receiver_name": "李娜", "received_on": "2026-11-11", "services_explained": True}
CHECKUP = {"checkup_hospital": "聊城市人民医院", "checkup_date": "2026-11-20", "funding_confirmed": True}
SUPERVISION = {"supervise_measure": "电话督促", "supervise_note": "请尽快办结"}
COUNTY, CITY, HCO, HEALTH, TALENT = "county_window_dongchangfu", "city_window", "health_care_office", "health", \
    "talent_office"


@pytest.fixture
def health_card(flow: Any) -> str:
    return str(flow.deploy_folder("health_card"))


def start(flow: Any, category: str = "顶尖人才", county: str = "dongchangfu", card: str = "") -> int:
    data = {"applicant_name": "张三", "talent_category": category, "county": county, "employer": "聊城大学"}
    if card:
        data["gold_card_number"] = card
    return int(flow.start("health_card", data, who="applicant"))


def to_city(flow: Any, case: int) -> None:
    flow.complete("applicant", "submit_materials", MATERIALS, case)
    flow.complete(COUNTY, "county_check", FORWARD, case)


@pytest.mark.policy("医疗细则第二条", "医疗细则第三条", "医疗细则第四条", "医疗细则第五条", "医疗细则第六条",
                    "平台办法第四条（八）", "平台办法第五条")
def test_the_card_is_made_handed_to_the_holder_or_employer_and_a_free_check_up_arranged(flow, health_card, clock):
    clock.set(at("2026-11-02 10:00"))
    case = start(flow)
    assert flow.open_task(case, "submit_materials")["assignee"] == "applicant"
    flow.complete("applicant", "submit_materials", MATERIALS, case)
    county_task = flow.open_task(case, "county_check")
    assert (county_task["department"], county_task["county"]) == ("county_window", "dongchangfu")
    flow.complete(COUNTY, "county_check", FORWARD, case)
    assert flow.due(case, "city_review") == at("2026-11-09 18:00")  # 医疗细则第六条: 5 working days
    clock.set(at("2026-11-04 10:00"))
    flow.complete(CITY, "city_review", PASS, case)
    make_card = flow.open_task(case, "make_card")
    assert make_card["department"] == "health_care_office"
    assert flow.due(case, "make_card") == at("2026-11-18 18:00")  # 10 working days
    flow.complete(HCO, "make_card", CARD, case)
    assert flow.open_task_names(case) == []  # the card is being recorded in the e-licence system
    [job] = flow.answer_jobs("elicence.issue", {"issued": True, "licence_number": "DZZZ-LCBJ-2026-0001"})
    assert job["parameters"] == {"licence_type": "聊城市高层次人才保健证", "holder": "张三",
                                 "id_number": MATERIALS["id_number"], "licence_number": "LCBJ-2026-0001",
                                 "issued_on": CARD["issued_on"], "issuer": "聊城市保健办"}
    assert flow.open_task(case, "hand_over")["department"] == "city_window"
    from notifykit import notices

    [ready] = [row for row in notices(flow.platform, case, "card_ready") if row.channel == "in_app"]
    assert ready.recipient == "applicant" and CARD["card_number"] in ready.params["message"]
    flow.complete(CITY, "hand_over", HANDED, case)
    assert flow.open_task(case, "arrange_checkup")["department"] == "health"  # 平台办法第四条（八）
    flow.complete(HEALTH, "arrange_checkup", CHECKUP, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    data = view["data"]
    assert data["outcome"] == "已发证" and data["card_number"] == "LCBJ-2026-0001"
    assert data["designated_hospitals"][0] == "聊城市人民医院" and len(data["designated_hospitals"]) == 6
    assert data["received_by"] == "用人单位"
    assert data["free_checkup"] == {"hospital": "聊城市人民医院", "date": "2026-11-20"}
    assert data["checkup_funding"] == "聊城市人才发展专项资金"
    assert data["elicence"] == {"issued": True, "licence_number": "DZZZ-LCBJ-2026-0001"}


@pytest.mark.policy("医疗细则第二条")
@pytest.mark.parametrize("category", ["顶尖人才", "高端人才", "急需紧缺人才"])
def test_each_category_of_article_two_may_apply(flow, health_card, category):
    case = start(flow, category)
    assert flow.open_task_names(case) == ["submit_materials"]
    assert flow.data(case)["eligibility_basis"] == f"医疗细则第二条：{category}"


@pytest.mark.policy("金卡办法第六条（二）", "医疗细则第二条")
def test_a_gold_card_holder_who_is_a_high_skill_talent_may_apply_because_the_card_promises_it(flow, health_card):
    case = start(flow, "高技能人才", card="LCJK2026000015")
    assert flow.open_task_names(case) == ["submit_materials"]
    data = flow.data(case)
    assert data["eligible"] is True and data["gold_card_holder"] is True
    assert "金卡办法第六条第二项" in data["eligibility_basis"]


@pytest.mark.policy("医疗细则第二条")
def test_a_talent_of_another_category_without_a_gold_card_is_refused_with_the_reason(flow, health_card):
    case = start(flow, "高技能人才")
    view = flow.view(case)
    assert view["status"] == "completed" and view["tasks"] == []
    assert view["data"]["outcome"] == "不予受理"
    assert "高技能人才" in view["data"]["refusal_reason"] and "第二条" in view["data"]["refusal_reason"]


@pytest.mark.policy("医疗细则第六条", "平台办法第四条")
def test_a_city_review_past_five_working_days_goes_to_the_talent_office_and_the_review_goes_on(
        flow, health_card, clock):
    clock.set(at("2026-11-02 10:00"))
    case = start(flow)
    to_city(flow, case)
    assert flow.fire(at("2026-11-09 17:00")) == []
    clock.set(at("2026-11-09 18:01"))
    assert flow.fire(at("2026-11-09 18:01")) == [case]
    assert flow.open_task_names(case) == ["city_review", "supervise_city_review"]
    assert flow.open_task(case, "supervise_city_review")["department"] == "talent_office"
    flow.complete(TALENT, "supervise_city_review", SUPERVISION, case)
    flow.complete(CITY, "city_review", PASS, case)
    assert flow.open_task_names(case) == ["make_card"]


@pytest.mark.policy("医疗细则第六条", "平台办法第四条")
def test_card_making_past_ten_working_days_is_supervised(flow, health_card, clock):
    clock.set(at("2026-11-02 10:00"))
    case = start(flow)
    to_city(flow, case)
    flow.complete(CITY, "city_review", PASS, case)
    clock.set(at("2026-11-16 18:30"))
    assert flow.fire(at("2026-11-16 18:30")) == [case]
    assert flow.open_task_names(case) == ["make_card", "supervise_make_card"]


@pytest.mark.policy("医疗细则第四条", "医疗细则第五条", "医疗细则第六条")
def test_materials_out_for_correction_stop_the_review_clock_which_resumes_with_what_was_left(
        flow, health_card, clock):
    clock.set(at("2026-11-02 10:00"))  # Monday: the city review is due Monday 9 November
    case = start(flow)
    to_city(flow, case)
    clock.set(at("2026-11-04 11:00"))  # Wednesday: Thursday, Friday and Monday are left
    flow.complete(CITY, "city_review", CITY_RETURN, case)
    correction = flow.open_task(case, "correct_materials")
    assert correction["assignee"] == "applicant" and correction["clock_stopped_at"] is not None
    from notifykit import notices

    [told] = [row for row in notices(flow.platform, case, "supplement_requested") if row.channel == "in_app"]
    assert told.recipient == "applicant" and told.task_id == correction["id"]
    assert "缺少或不符合要求" in told.params["message"]
    clock.set(at("2026-11-12 10:00"))  # the old deadline passed while the materials were out: nothing fires
    assert flow.fire(at("2026-11-12 10:00")) == []
    flow.complete("applicant", "correct_materials", MATERIALS, case)
    clock.set(at("2026-11-13 09:00"))  # Friday: back at the city platform with three working days
    flow.complete(COUNTY, "county_check", FORWARD, case)
    assert flow.due(case, "city_review") == at("2026-11-18 18:00")
    assert ("clock_resumed", "city_review_deadline") in flow.actions(case)
    assert flow.data(case)["return_count"] == 1


@pytest.mark.policy("医疗细则第五条", "医疗细则第四条")
def test_after_three_returns_the_city_platform_refuses_and_says_why(flow, health_card):
    case = start(flow)
    flow.complete("applicant", "submit_materials", MATERIALS, case)
    for _ in range(3):
        flow.complete(COUNTY, "county_check", RETURN, case)
        flow.complete("applicant", "correct_materials", MATERIALS, case)
    flow.complete(COUNTY, "county_check", RETURN, case)  # a fourth return: the county forwards, the city decides
    assert flow.open_task_names(case) == ["city_review"]
    flow.complete(CITY, "city_review", CITY_RETURN, case)
    data = flow.data(case)
    assert flow.view(case)["status"] == "completed"
    assert data["outcome"] == "不予办理" and "3次退回补正" in data["refusal_reason"]


@pytest.mark.policy("医疗细则第五条")
def test_a_review_that_refuses_gives_its_opinion_as_the_reason(flow, health_card):
    case = start(flow)
    to_city(flow, case)
    flow.complete(CITY, "city_review", {"review_decision": "不予通过", "review_opinion": "认定证明已过有效期"}, case)
    data = flow.data(case)
    assert data["outcome"] == "不予通过" and data["refusal_reason"] == "认定证明已过有效期"


@pytest.mark.policy("医疗细则第六条")
def test_a_suspended_case_keeps_its_remaining_working_days_and_shows_the_clock_stopped(
        flow, health_card, clock, platform):
    clock.set(at("2026-11-02 10:00"))
    case = start(flow)
    to_city(flow, case)  # due Monday 9 November
    admin = Actor("admin", "admin")
    with platform.uow() as uow:
        suspend_instance(case, reason="用人单位申请暂缓", actor=admin, uow=uow, now=at("2026-11-04 11:00"))
        uow.commit()
    assert flow.open_task(case, "city_review")["clock_stopped_at"] is not None
    assert flow.fire(at("2026-11-10 10:00")) == []  # a suspended case's timers do not fire
    with platform.uow() as uow:
        resume_instance(case, reason="恢复办理", actor=admin, uow=uow, now=at("2026-11-13 09:00"))
        uow.commit()
    review = flow.open_task(case, "city_review")
    assert review["clock_stopped_at"] is None
    # Three working days were left on Wednesday 4 November; resumed on Friday 13 November they end Wednesday 18th.
    assert datetime.fromisoformat(review["due_at"]) == at("2026-11-18 18:00")
    assert ("timer_moved", "city_review_deadline") in flow.actions(case)
