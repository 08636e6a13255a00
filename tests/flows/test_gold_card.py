"""Gold card (人才服务金卡): window intake, HRSS issue, yearly re-registration, lapse, upgrade, expiry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from conftest import at

from engine.errors import InvalidInput

APPLICATION = {
    "applicant_name": "王教授", "id_number": "371502198203154518", "phone": "13906350001",
    "employer": "聊城大学", "talent_level": "高端人才", "certificate_no": "LCRC2026-0815",
}
SERVICES_BY_ITEM = ("第六条第一项", "第六条第二项", "第六条第三项", "第六条第四项", "第六条第五项")


@pytest.fixture
def key(flow: Any) -> str:
    return flow.deploy_folder("gold_card")


def moment(view: dict[str, Any], field: str) -> datetime:
    return datetime.fromisoformat(view[field])


def history(view: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [h for h in view["history"] if h["action"] == action]


def issue_card(flow: Any, key: str, *, valid_years: int = 3, level: str = "高端人才") -> int:
    """Apply at the window on 2026-09-30 (the clock's default) and have HRSS issue the card at once."""
    case = flow.start(key, {"applicant_name": "王教授"})
    flow.complete("city_window", "intake", {**APPLICATION, "intake_decision": "受理"})
    flow.complete("hrss", "review", {"review_decision": "发放金卡", "card_no": "LCJK2026000123",
                                     "card_level": level, "valid_years": valid_years})
    return case


def register(flow: Any, clock: Any, when: str, **answers: Any) -> None:
    """The anniversary timer fires at ``when`` and the holder re-registers at once."""
    clock.set(at(when))
    flow.fire(at(when))
    flow.complete("applicant", "reregister", {"work_status": "在聊城工作", "phone": "13906350001",
                                             "request_upgrade": False, **answers})


def test_hrss_issues_the_card_with_number_level_validity_and_the_article_six_services(flow, key):
    case = issue_card(flow, key)
    view = flow.view(case)
    data = view["data"]
    assert view["status"] == "active"
    assert (data["card_no"], data["card_level"], data["card_status"]) == ("LCJK2026000123", "高端人才", "有效")
    assert (data["issued_on"], data["valid_years"], data["expires_on"]) == ("2026-09-30", 3, "2029-09-30")
    assert len(data["card_services"]) == 5
    assert [s[-7:-1] for s in data["card_services"]] == list(SERVICES_BY_ITEM)
    assert "每年免费健康体检一次" in data["card_services"][1]
    assert "3A级景区" in data["card_services"][4]
    assert data["level_history"] == [{"level": "高端人才", "since": "2026-09-30"}]
    assert data["registration_year"] == 1 and data["registrations"] == []
    assert data["next_registration_at"] == "2027-09-30T00:00:00+08:00"
    assert moment(view, "next_due_at") == at("2027-09-30 00:00"), "the first anniversary opens re-registration"
    assert flow.open_task_names(case) == []
    assert [h["action"] for h in view["history"]] == ["start", "complete", "complete"]
    intake, review = history(view, "complete")
    assert (intake["actor"], intake["task_name"]) == ("city_window", "intake")
    assert intake["details"]["data"] == {**APPLICATION, "intake_decision": "受理"}
    assert (review["actor"], review["task_name"]) == ("hrss", "review")
    assert review["details"]["data"]["card_no"] == "LCJK2026000123"


def test_window_returns_incomplete_materials_to_the_applicant_who_resubmits(flow, key):
    case = flow.start(key, {"applicant_name": "王教授"})
    flow.complete("city_window", "intake", {**APPLICATION, "intake_decision": "退回补正",
                                            "missing_materials": "人才认定证明原件"})
    assert flow.open_task_names(case) == ["supplement"]
    [task] = flow.tasks("applicant", scope="mine")
    assert (task["name"], task["assignee"], task["department"]) == ("supplement", "applicant", None)
    flow.complete("applicant", "supplement", {"supplement_note": "已补交人才认定证明原件"})
    assert flow.open_task_names(case) == ["intake"]
    flow.complete("city_window", "intake", {**APPLICATION, "intake_decision": "受理"})
    assert flow.open_task_names(case) == ["review"]
    assert flow.view(case)["data"]["supplement_note"] == "已补交人才认定证明原件"


def test_hrss_refuses_a_card_with_a_reason_and_the_case_ends(flow, key):
    case = flow.start(key, {"applicant_name": "王教授"})
    flow.complete("city_window", "intake", {**APPLICATION, "intake_decision": "受理"})
    flow.complete("hrss", "review", {"review_decision": "不予发放", "review_comment": "未在我市工作或生活"})
    view = flow.view(case)
    assert view["status"] == "completed" and view["next_due_at"] is None
    assert view["data"]["review_comment"] == "未在我市工作或生活"
    assert "card_no" not in view["data"] and "card_status" not in view["data"]
    assert view["history"][-1]["action"] == "completed"


def test_forms_refuse_a_bad_id_number_a_return_without_the_missing_list_and_a_bad_card_number(flow, key):
    case = flow.start(key, {"applicant_name": "王教授"})
    with pytest.raises(InvalidInput) as bad_id:
        flow.complete("city_window", "intake", {**APPLICATION, "id_number": "37150219820315451",
                                                "intake_decision": "受理"})
    assert [d["field"] for d in bad_id.value.details] == ["id_number"]
    assert bad_id.value.details[0]["message_zh"] == "格式不正确"
    with pytest.raises(InvalidInput) as no_list:
        flow.complete("city_window", "intake", {**APPLICATION, "intake_decision": "退回补正"})
    assert [d["field"] for d in no_list.value.details] == ["missing_materials"]
    assert flow.open_task_names(case) == ["intake"], "refused data changes nothing"
    flow.complete("city_window", "intake", {**APPLICATION, "intake_decision": "受理"})
    with pytest.raises(InvalidInput) as bad_card:
        flow.complete("hrss", "review", {"review_decision": "发放金卡", "card_no": "123", "card_level": "高端人才",
                                         "valid_years": 9})
    assert {d["field"] for d in bad_card.value.details} == {"card_no", "valid_years"}
    assert flow.open_task_names(case) == ["review"]


def test_holder_re_registers_on_time_and_the_next_anniversary_is_scheduled(flow, key, clock):
    case = issue_card(flow, key)
    assert flow.fire(at("2027-09-29 23:59")) == [], "nothing opens before the anniversary"
    clock.set(at("2027-09-30 00:00"))
    assert flow.fire(at("2027-09-30 00:00")) == [case]
    [task] = flow.tasks("applicant", scope="mine")
    assert (task["name"], task["title"], task["assignee"]) == ("reregister", "年度重新登记备案", "applicant")
    assert datetime.fromisoformat(task["due_at"]) == at("2027-10-30 00:00"), "one month to re-register"
    clock.set(at("2027-10-08 10:00"))
    flow.complete("applicant", "reregister", {"work_status": "在聊城生活", "phone": "13906350001",
                                             "request_upgrade": False})
    view = flow.view(case)
    data = view["data"]
    assert view["status"] == "active" and data["card_status"] == "有效"
    assert data["registrations"] == [{"year": 1, "registered_on": "2027-10-08", "work_status": "在聊城生活",
                                      "level": "高端人才"}]
    assert data["registration_year"] == 2
    assert data["next_registration_at"] == "2028-09-30T00:00:00+08:00"
    assert moment(view, "next_due_at") == at("2028-09-30 00:00")
    assert flow.open_task_names(case) == []
    fired = history(view, "timer_fired")
    assert [(h["task_name"], h["details"]["due_at"]) for h in fired] == [
        ("anniversary_timer", "2027-09-30T00:00:00+08:00")]
    assert history(view, "complete")[-1]["details"]["data"]["work_status"] == "在聊城生活"
    assert flow.fire(at("2027-10-30 00:00")) == [], "the registration deadline left with the task"


def test_card_lapses_when_the_holder_misses_the_re_registration_deadline(flow, key, clock):
    case = issue_card(flow, key)
    clock.set(at("2027-09-30 00:00"))
    flow.fire(at("2027-09-30 00:00"))
    assert flow.fire(at("2027-10-29 23:59")) == []
    clock.set(at("2027-10-30 00:00"))
    assert flow.fire(at("2027-10-30 00:00")) == [case]
    view = flow.view(case)
    data = view["data"]
    assert view["status"] == "completed" and view["next_due_at"] is None
    assert (data["card_status"], data["lapsed_on"]) == ("失效", "2027-10-30")
    assert data["lapse_reason"] == "第1个登记年度未在期限内重新登记备案"
    assert data["registrations"] == []
    [task] = view["tasks"][-1:]
    assert (task["name"], task["state"]) == ("reregister", "cancelled")
    assert flow.tasks("applicant", scope="mine") == []
    fired = history(view, "timer_fired")
    assert [(h["task_name"], h["details"]["timer"], h["details"]["due_at"]) for h in fired] == [
        ("anniversary_timer", "登记周年日", "2027-09-30T00:00:00+08:00"),
        ("deadline", "登记期限届满", "2027-10-30T00:00:00+08:00")]
    assert view["history"][-1]["action"] == "completed"


def test_holder_who_meets_a_higher_level_is_re_certified_during_re_registration(flow, key, clock):
    case = issue_card(flow, key)
    register(flow, clock, "2027-09-30 00:00", request_upgrade=True, requested_level="顶尖人才",
             upgrade_basis="当选中国工程院院士")
    assert flow.open_task_names(case) == ["recert"]
    assert flow.view(case)["next_due_at"] is None, "the next year waits for the re-certification"
    clock.set(at("2027-10-12 15:00"))
    flow.complete("hrss", "recert", {"recert_decision": "予以认定", "certified_level": "顶尖人才"})
    view = flow.view(case)
    data = view["data"]
    assert (data["card_level"], data["card_status"], data["card_no"]) == ("顶尖人才", "有效", "LCJK2026000123")
    assert data["level_history"] == [{"level": "高端人才", "since": "2026-09-30"},
                                     {"level": "顶尖人才", "since": "2027-10-12"}]
    assert data["registrations"][0]["level"] == "高端人才", "registered before the re-certification"
    assert moment(view, "next_due_at") == at("2028-09-30 00:00")
    assert data["expires_on"] == "2029-09-30", "the validity does not change with the level"


def test_refused_re_certification_keeps_the_level_and_the_card(flow, key, clock):
    case = issue_card(flow, key, level="高技能人才")
    register(flow, clock, "2027-09-30 00:00", request_upgrade=True, requested_level="高端人才",
             upgrade_basis="获评省级首席技师")
    flow.complete("hrss", "recert", {"recert_decision": "不予认定", "recert_comment": "未达到高端人才认定条件"})
    data = flow.view(case)["data"]
    assert (data["card_level"], data["card_status"]) == ("高技能人才", "有效")
    assert data["level_history"] == [{"level": "高技能人才", "since": "2026-09-30"}]
    assert flow.view(case)["status"] == "active"


def test_re_registration_form_requires_the_level_and_basis_of_an_upgrade_request(flow, key, clock):
    issue_card(flow, key)
    clock.set(at("2027-09-30 00:00"))
    flow.fire(at("2027-09-30 00:00"))
    with pytest.raises(InvalidInput) as error:
        flow.complete("applicant", "reregister", {"work_status": "在聊城工作", "phone": "13906350001",
                                                 "request_upgrade": True})
    assert {d["field"] for d in error.value.details} == {"requested_level", "upgrade_basis"}


def test_card_is_cancelled_when_the_holder_no_longer_works_or_lives_in_liaocheng(flow, key, clock):
    case = issue_card(flow, key)
    register(flow, clock, "2027-09-30 00:00", work_status="已不在聊城工作或生活", request_upgrade=True,
             requested_level="顶尖人才", upgrade_basis="调往外省")
    view = flow.view(case)
    assert view["status"] == "completed" and flow.open_task_names(case) == []
    assert (view["data"]["card_status"], view["data"]["cancelled_on"]) == ("注销", "2027-09-30")
    assert view["data"]["registrations"][0]["work_status"] == "已不在聊城工作或生活"


def test_card_runs_its_full_validity_with_a_registration_each_year_then_expires(flow, key, clock):
    case = issue_card(flow, key, valid_years=3)
    register(flow, clock, "2027-09-30 00:00")
    register(flow, clock, "2028-09-30 00:00", employer="聊城市人民医院")
    view = flow.view(case)
    assert view["data"]["registration_year"] == 3
    assert moment(view, "next_due_at") == at("2029-09-30 00:00"), "no third registration: the card expires"
    assert flow.fire(at("2029-09-29 23:59")) == []
    clock.set(at("2029-09-30 00:00"))
    assert flow.fire(at("2029-09-30 00:00")) == [case]
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["card_status"] == "有效期届满"
    assert [r["year"] for r in view["data"]["registrations"]] == [1, 2]
    assert [r["registered_on"] for r in view["data"]["registrations"]] == ["2027-09-30", "2028-09-30"]
    assert [h["task_name"] for h in history(view, "timer_fired")] == [
        "anniversary_timer", "anniversary_timer", "expiry_timer"]
    assert [h["task_name"] for h in history(view, "complete")] == ["intake", "review", "reregister", "reregister"]
    assert view["history"][-1]["action"] == "completed"


def test_one_year_card_has_no_re_registration_and_simply_expires(flow, key, clock):
    case = issue_card(flow, key, valid_years=1)
    assert moment(flow.view(case), "next_due_at") == at("2027-09-30 00:00")
    clock.set(at("2027-09-30 00:00"))
    flow.fire(at("2027-09-30 00:00"))
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["card_status"] == "有效期届满"
    assert [t["name"] for t in view["tasks"]] == ["intake", "review"]
