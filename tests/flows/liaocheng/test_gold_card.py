"""Liaocheng's talent service gold card (金卡办法第三条、第六条、第七条; 平台办法第四条（二）、第五条): applied for at
the county or city platform, issued by HRSS without any validity period, handed over with its services, a free check-up
every registration year, yearly re-registration with re-certification, lapse and cancellation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from conftest import at

APPLICATION = {"applicant_name": "许志强", "id_number": "371502197512030175", "phone": "13906357741",
               "employer": "聊城大学", "talent_level": "高技能人才", "certificate_no": "LCRC-A-0012",
               "residence": "在聊城工作", "intake_decision": "受理"}
ISSUE = {"review_decision": "发放金卡", "card_no": "LCJK2026000015", "card_level": "高技能人才"}
HAND = {"handed_on": "2026-11-05", "services_explained": True, "archive_number": "JK-2026-0015"}
CHECKUP = {"checkup_hospital": "聊城市人民医院", "checkup_date": "2026-11-20", "health_record": True}
STAY = {"work_status": "在聊城工作", "phone": "13906357741", "request_upgrade": False}
CITY, HRSS, HEALTH = "city_window", "hrss", "health"


@pytest.fixture
def gold_card(flow: Any) -> str:
    return str(flow.deploy_folder("gold_card"))


def issued(flow: Any, clock: Any, *, via: str = "市“一站式”服务平台") -> int:
    clock.set(at("2026-11-02 10:00"))
    case = int(flow.start("gold_card", {"applicant_name": "许志强", "county": "linqing", "intake_at": via}))
    if via.startswith("县级"):
        county_task = flow.open_task(case, "county_intake")
        assert (county_task["department"], county_task["county"]) == ("county_window", "linqing")
        flow.complete("county_window_linqing", "county_intake",
                      {"county_opinion": "材料齐全，转报市平台", "forwarded_on": "2026-11-02"}, case)
    flow.complete(CITY, "city_intake", APPLICATION, case)
    assert flow.open_task(case, "review")["department"] == "hrss"
    flow.complete(HRSS, "review", ISSUE, case)
    flow.complete(CITY, "hand_card", HAND, case)
    return case


@pytest.mark.policy("金卡办法第三条", "金卡办法第六条", "金卡办法第六条（一）", "金卡办法第六条（二）",
                    "金卡办法第六条（三）", "金卡办法第六条（四）", "金卡办法第六条（五）", "平台办法第四条（二）",
                    "平台办法第五条", "平台办法第四条（八）")
def test_a_card_is_issued_without_a_validity_period_with_its_five_services_and_a_check_up(flow, gold_card, clock):
    case = issued(flow, clock)
    data = flow.data(case)
    assert data["card_status"] == "有效"
    assert "valid_years" not in data and "expires_on" not in data  # the seed gives the card no validity period
    assert len(data["card_services"]) == 5 and all(f"第{n}项" in data["card_services"][i]
                                                   for i, n in enumerate("一二三四五"))
    assert flow.open_task(case, "checkup")["department"] == "health"
    flow.complete(HEALTH, "checkup", CHECKUP, case)
    assert flow.data(case)["checkups"] == [{"year": 1, "hospital": "聊城市人民医院", "date": "2026-11-20"}]
    # The next wait is the reminder 30 days before the first anniversary (2027-11-02), then the anniversary itself.
    assert datetime.fromisoformat(flow.view(case)["next_due_at"]) == at("2027-10-03 09:00")


@pytest.mark.policy("金卡办法第七条")
def test_the_holder_is_reminded_30_days_before_each_yearly_re_registration(flow, gold_card, clock):
    from sqlalchemy import select

    from engine.store.models import Notification

    case = issued(flow, clock)
    flow.complete(HEALTH, "checkup", CHECKUP, case)
    assert flow.fire(at("2027-10-03 08:59")) == []
    assert flow.fire(at("2027-10-03 09:00")) == [case]
    assert datetime.fromisoformat(flow.view(case)["next_due_at"]) == at("2027-11-02 00:00")
    with flow.platform.uow(write=False) as uow:
        [reminder] = uow.session.scalars(select(Notification).where(
            Notification.kind == "reregistration_due", Notification.channel == "in_app")).all()
        assert reminder.recipient == "applicant" and reminder.instance_id == case
        assert "第1个登记年度" in reminder.params["message"] and "2027-11-02" in reminder.params["message"]
    flow.fire(at("2027-11-02 00:00"))
    flow.complete("applicant", "reregister", STAY, case)
    flow.complete(HEALTH, "checkup", CHECKUP, case)
    # the second year's reminder
    assert datetime.fromisoformat(flow.view(case)["next_due_at"]) == at("2028-10-03 09:00")


@pytest.mark.policy("平台办法第五条")
def test_an_application_at_a_county_platform_goes_to_that_county_and_then_to_the_city(flow, gold_card, clock):
    case = issued(flow, clock, via="县级“一站式”综合服务平台")
    assert flow.data(case)["card_no"] == "LCJK2026000015"


@pytest.mark.policy("金卡办法第七条", "金卡办法第六条（二）")
def test_the_card_is_registered_again_every_year_for_more_than_one_year_each_year_with_a_check_up(
        flow, gold_card, clock):
    case = issued(flow, clock)
    flow.complete(HEALTH, "checkup", CHECKUP, case)
    for year, anniversary in ((1, "2027-11-02 00:00"), (2, "2028-11-02 00:00"), (3, "2029-11-02 00:00")):
        clock.set(at(anniversary))
        assert flow.fire(at(anniversary)) == [case]
        assert flow.open_task(case, "reregister")["assignee"] == "applicant"
        flow.complete("applicant", "reregister", STAY, case)
        assert [r["year"] for r in flow.data(case)["registrations"]] == list(range(1, year + 1))
        flow.complete(HEALTH, "checkup", {**CHECKUP, "checkup_date": anniversary[:10]}, case)
    data = flow.data(case)
    assert data["card_status"] == "有效" and data["registration_year"] == 4
    assert [c["year"] for c in data["checkups"]] == [1, 2, 3, 4]


@pytest.mark.policy("金卡办法第七条")
def test_a_card_not_registered_again_within_a_month_lapses(flow, gold_card, clock):
    case = issued(flow, clock)
    flow.complete(HEALTH, "checkup", CHECKUP, case)
    clock.set(at("2027-11-02 00:00"))
    flow.fire(at("2027-11-02 00:00"))
    clock.set(at("2027-12-03 00:00"))
    assert flow.fire(at("2027-12-03 00:00")) == [case]
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["card_status"] == "失效"
    assert "第1个登记年度" in view["data"]["lapse_reason"]


@pytest.mark.policy("金卡办法第七条", "平台办法第四条（二）")
def test_a_holder_who_meets_a_higher_level_is_certified_again_at_registration(flow, gold_card, clock):
    case = issued(flow, clock)
    flow.complete(HEALTH, "checkup", CHECKUP, case)
    clock.set(at("2027-11-02 00:00"))
    flow.fire(at("2027-11-02 00:00"))
    flow.complete("applicant", "reregister", {**STAY, "request_upgrade": True, "requested_level": "高端人才",
                                              "upgrade_basis": "入选省级人才工程"}, case)
    assert flow.open_task(case, "recert")["department"] == "hrss"
    flow.complete(HRSS, "recert", {"recert_decision": "予以认定", "certified_level": "高端人才",
                                   "recert_comment": "符合高端人才认定条件"}, case)
    data = flow.data(case)
    assert data["card_level"] == "高端人才"
    assert [h["level"] for h in data["level_history"]] == ["高技能人才", "高端人才"]
    assert flow.open_task_names(case) == ["checkup"]


@pytest.mark.policy("金卡办法第三条")
def test_a_holder_who_left_liaocheng_has_the_card_cancelled(flow, gold_card, clock):
    case = issued(flow, clock)
    flow.complete(HEALTH, "checkup", CHECKUP, case)
    clock.set(at("2027-11-02 00:00"))
    flow.fire(at("2027-11-02 00:00"))
    flow.complete("applicant", "reregister", {**STAY, "work_status": "已不在聊城工作或生活"}, case)
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["card_status"] == "注销"


@pytest.mark.policy("金卡办法第三条")
def test_hrss_may_refuse_the_card_with_a_reason(flow, gold_card, clock):
    clock.set(at("2026-11-02 10:00"))
    case = int(flow.start("gold_card", {"applicant_name": "许志强", "county": "linqing"}))
    flow.complete(CITY, "city_intake", APPLICATION, case)
    flow.complete(HRSS, "review", {"review_decision": "不予发放", "review_comment": "未在我市工作或生活"}, case)
    view = flow.view(case)
    assert view["status"] == "completed" and view["tasks"][-1]["name"] == "review"
    assert view["data"]["review_comment"] == "未在我市工作或生活"


@pytest.mark.policy("平台办法第五条")
def test_materials_returned_go_back_to_the_applicant_and_the_window_they_came_from(flow, gold_card, clock):
    clock.set(at("2026-11-02 10:00"))
    case = int(flow.start("gold_card", {"applicant_name": "许志强", "county": "linqing",
                                        "intake_at": "县级“一站式”综合服务平台"}))
    flow.complete("county_window_linqing", "county_intake", {"county_opinion": "转报", "forwarded_on": "2026-11-02"},
                  case)
    flow.complete(CITY, "city_intake", {"intake_decision": "退回补正", "missing_materials": "人才认定证明原件"}, case)
    flow.complete("applicant", "supplement", {"supplement_note": "已补交认定证明原件"}, case)
    assert flow.open_task_names(case) == ["county_intake"]
