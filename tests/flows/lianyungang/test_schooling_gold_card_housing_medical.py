"""Lianyungang's children's schooling (第四条（二）), gold card (第四条（五）、第五条), housing (第四条（三）) and
medical care (第四条（四）) through the one window (第六条), each by the departments article 5 names."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import at

TALENT = {"talent_name": "杨帆", "talent_class": "C", "employer_name": "江苏康缘药业股份有限公司",
          "contact_phone": "13563589012"}
CHILD = {**TALENT, "doctorate": False, "child_name": "杨子涵", "child_id_number": "320705201905200624",
         "child_birth_date": "2019-05-20", "school_stage": "义务教育", "intended_grade": "一年级",
         "residence_address": "海州区通灌南路1号"}
FEEDBACK = {"notice_method": "电话", "notice_date": "2026-11-20", "archive_number": "LYG-2026-0042"}
WINDOW = "city_window"


def accepted(flow: Any, key: str, application: dict[str, Any]) -> int:
    case = int(flow.start(key, {}))
    flow.complete("applicant", "apply", application, case)
    flow.complete(WINDOW, "intake", {"intake_decision": "受理"}, case)
    return case


# --- 子女就学 ----------------------------------------------------------------------------------------------


@pytest.mark.policy("服务办法第四条（二）", "服务办法第五条（子女就学）", "服务办法第六条")
@pytest.mark.parametrize(("talent_class", "doctorate", "stage", "policy"), [
    ("C", False, "义务教育", "免试就近入学，优先安排优质学校"),
    ("D", True, "学前", "免试就近入学，优先安排优质学校"),
    ("D", False, "义务教育", "免试就近入学，享受当地常住居民子女入学政策"),
    ("D", False, "高中转学", "安排到三星及以上高中就读")])
def test_schooling_follows_the_class_the_degree_and_the_stage(flow, talent_class, doctorate, stage, policy):
    flow.deploy_folder("schooling")
    extra = {"current_school": "徐州一中", "current_school_city": "徐州"} if stage == "高中转学" else {}
    case = accepted(flow, "schooling", {**CHILD, "talent_class": talent_class, "doctorate": doctorate,
                                        "school_stage": stage, **extra})
    assert flow.data(case)["policy"] == policy
    assert flow.open_task(case, "assign_school")["department"] == "education"
    flow.complete("education", "assign_school", {"assigned_school": "连云港市实验小学", "enrolment_date": "2026-11-16",
                                                 "meets_policy": True}, case)
    flow.complete(WINDOW, "feedback", FEEDBACK, case)
    assert flow.data(case)["outcome"] == "已安排就读学校"


# --- 高层次人才服务金卡 ---------------------------------------------------------------------------------------


@pytest.mark.policy("服务办法第四条（五）", "服务办法第五条（金卡办理）", "服务办法第五条（景区游览）",
                    "服务办法第五条（机场和铁路绿色通道）", "服务办法第五条（绿色通道）")
def test_the_gold_card_opens_scenic_areas_and_the_airport_and_railway_green_channels(flow):
    flow.deploy_folder("gold_card")
    case = accepted(flow, "gold_card", {**TALENT, "id_number": "320705198805120219", "certificate_no": "LYGRC-C-01"})
    assert flow.open_task(case, "review")["department"] == "hrss"
    flow.complete("hrss", "review", {"review_decision": "发放金卡", "card_no": "LYGJK2026000001",
                                     "review_comment": "C类人才"}, case)
    opened = {t["name"]: t["department"] for t in flow.view(case)["tasks"] if t["state"] == "open"}
    assert opened == {"scenic": "tourism", "airport": "civil_aviation", "railway": "railway_office"}
    flow.complete("tourism", "scenic", {"registered_on": "2026-11-05", "all_scenic_areas": True}, case)
    flow.complete("civil_aviation", "airport", {"registered_on": "2026-11-05", "channel_note": "优先安检"}, case)
    flow.complete("railway_office", "railway", {"registered_on": "2026-11-05", "channel_note": "优先购票"}, case)
    flow.complete(WINDOW, "hand_card", {"handed_on": "2026-11-06", "benefits_explained": True}, case)
    flow.complete(WINDOW, "feedback", FEEDBACK, case)
    data = flow.data(case)
    assert data["outcome"] == "已发放金卡" and len(data["card_benefits"]) == 6
    assert any("免费游览我市所有景区" in benefit for benefit in data["card_benefits"])
    assert not [k for k in data if "valid" in k or "expire" in k]  # Lianyungang's text sets no validity either


# --- 安居保障 --------------------------------------------------------------------------------------------------


@pytest.mark.policy("服务办法第四条（三）", "服务办法第五条（安居保障）")
@pytest.mark.parametrize(("measure", "task", "department"), [
    ("人才公寓", "housing_measure", "housing"), ("购房券", "housing_measure", "housing"),
    ("单位自建人才安居房", "housing_measure", "housing"), ("生活补贴", "living_allowance", "hrss")])
def test_each_housing_measure_goes_to_hrss_or_the_housing_bureau(flow, measure, task, department):
    flow.deploy_folder("housing")
    case = accepted(flow, "housing", {**TALENT, "family_size": 3, "housing_status": "租住",
                                      "preferred_measure": measure})
    assert flow.open_task(case, "review")["department"] == "hrss"
    flow.complete("hrss", "review", {"housing_measure": measure, "review_comment": "符合人才安居办法"}, case)
    assert flow.open_task(case, task)["department"] == department
    data = {"housing_detail": "海州区人才公寓3-201", "done_on": "2026-11-10"} if task == "housing_measure" else \
        {"allowance_amount": 1500, "allowance_months": 36, "first_payment_on": "2026-12-01"}
    flow.complete(department, task, data, case)
    flow.complete(WINDOW, "feedback", FEEDBACK, case)
    assert flow.data(case)["outcome"] == ("核发生活补贴" if measure == "生活补贴" else measure)


# --- 医疗保健 --------------------------------------------------------------------------------------------------


@pytest.mark.policy("服务办法第四条（四）", "服务办法第五条（医疗保健）", "服务办法第六条")
def test_medical_care_assigns_a_hospital_and_liaison_encourages_insurance_and_checks_up_every_year(flow, clock):
    flow.deploy_folder("medical_care")
    clock.set(at("2026-11-02 10:00"))
    case = accepted(flow, "medical_care", {**TALENT, "id_number": "320705198805120219",
                                           "supplementary_insurance": False})
    flow.complete("health", "register", {"designated_hospital": "连云港市第一人民医院", "liaison_name": "王医生",
                                         "liaison_phone": "0518-85605000", "health_record_no": "JK-2026-001"}, case)
    assert flow.open_task(case, "encourage")["department"] == "health"
    flow.complete("health", "encourage", {"contacted_on": "2026-11-03", "employer_answer": "同意购买",
                                          "encourage_note": "已电话沟通"}, case)
    flow.complete(WINDOW, "notify", {"notice_method": "电话", "notice_date": "2026-11-04"}, case)
    checkup = {"checkup_hospital": "连云港市第一人民医院", "checkup_date": "2026-11-20", "health_record_updated": True,
               "recuperation": "已组织参加", "still_in_city": True}
    flow.complete("health", "checkup", checkup, case)
    assert flow.open_task_names(case) == []
    clock.set(at("2027-11-21 09:00"))
    assert flow.fire(at("2027-11-21 09:00")) == [case]
    flow.complete("health", "checkup", {**checkup, "checkup_date": "2027-11-25", "still_in_city": False}, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert [c["year"] for c in view["data"]["checkups"]] == [1, 2]
    assert view["data"]["result_detail"].startswith("定点医院：连云港市第一人民医院")
