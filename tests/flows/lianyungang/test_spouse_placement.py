"""Lianyungang's spouse employment (服务办法第四条（一）、第五条、第三条): the employer arranges it as a rule;
otherwise a matching unit is recommended and both sides choose (a recommendation is not a placement); a full
public institution needs the staffing office's consent to 先进后出; a spouse without work joins the public employment
service."""

from __future__ import annotations

from typing import Any

import pytest

APPLY = {"talent_name": "黄振宇", "talent_class": "B", "employer_name": "连云港市第一人民医院",
         "contact_phone": "13853021764", "spouse_name": "吴倩", "spouse_id_number": "370102198805120245",
         "spouse_employment": "在职", "original_employer_name": "济南市第四人民医院",
         "original_employer_nature": "事业单位", "spouse_identity": "事业单位专业技术人员", "spouse_major": "临床护理",
         "employer_arrangement": "确有困难", "difficulty_reason": "本单位护理岗位已满编"}
RECOMMEND = {"recommendation": "推荐至对口单位", "match_basis": "原单位为事业单位，护理专业",
             "recommended_unit": "连云港市第二人民医院", "recommended_post": "护理岗",
             "recommended_unit_nature": "事业单位", "quota_full": False}
BOTH = {"meeting_date": "2026-11-10", "spouse_agrees": True, "unit_agrees": True, "two_way_note": "双方同意"}
FEEDBACK = {"notice_method": "电话", "notice_date": "2026-11-20", "archive_number": "PO-2026-0031"}
WINDOW, TALENT, STAFFING, HRSS = "city_window", "talent_office", "staffing_office", "hrss"


@pytest.fixture
def spouse(flow: Any) -> str:
    return str(flow.deploy_folder("spouse_placement"))


def accepted(flow: Any, **apply: Any) -> int:
    case = int(flow.start("spouse_placement", {}))
    flow.complete("applicant", "apply", {**APPLY, **apply}, case)
    flow.complete(WINDOW, "intake", {"intake_decision": "受理"}, case)
    return case


@pytest.mark.policy("服务办法第四条（一）", "服务办法第五条（配偶就业）", "服务办法第六条")
def test_a_recommendation_is_placed_only_when_spouse_and_unit_both_choose_it(flow, spouse):
    case = accepted(flow)
    assert flow.open_task(case, "recommend")["department"] == "talent_office"
    flow.complete(TALENT, "recommend", RECOMMEND, case)
    assert flow.open_task_names(case) == ["two_way"]  # the recommendation is not yet a placement
    flow.complete(TALENT, "two_way", {**BOTH, "spouse_agrees": False, "two_way_note": "配偶希望从事社区护理"}, case)
    assert flow.open_task_names(case) == ["recommend"]
    flow.complete(TALENT, "recommend", {**RECOMMEND, "recommended_unit": "海州区社区卫生服务中心"}, case)
    flow.complete(TALENT, "two_way", BOTH, case)
    flow.complete(WINDOW, "feedback", FEEDBACK, case)
    data = flow.data(case)
    assert data["outcome"] == "推荐安置至对口单位" and data["placed_unit"] == "海州区社区卫生服务中心"
    assert data["recommendation_count"] == 2


@pytest.mark.policy("服务办法第四条（一）")
def test_a_full_public_institution_places_by_enter_first_leave_later_only_with_the_staffing_offices_consent(
        flow, spouse):
    case = accepted(flow)
    flow.complete(TALENT, "recommend", {**RECOMMEND, "quota_full": True}, case)
    flow.complete(TALENT, "two_way", BOTH, case)
    assert flow.open_task(case, "staffing_review")["department"] == "staffing_office"
    flow.complete(STAFFING, "staffing_review", {"staffing_decision": "不同意", "staffing_opinion": "近期无退休减员"},
                  case)
    assert flow.open_task_names(case) == ["recommend"]
    flow.complete(TALENT, "recommend", {**RECOMMEND, "quota_full": True}, case)
    flow.complete(TALENT, "two_way", BOTH, case)
    flow.complete(STAFFING, "staffing_review", {"staffing_decision": "同意先进后出", "staffing_opinion": "同意"}, case)
    flow.complete(WINDOW, "feedback", FEEDBACK, case)
    assert flow.data(case)["outcome"] == "先进后出安置"


@pytest.mark.policy("服务办法第四条（一）")
def test_the_employer_arranges_the_job_as_a_rule(flow, spouse):
    case = accepted(flow, employer_arrangement="已自主安排", arranged_unit="连云港市第一人民医院",
                     arranged_post="门诊护士")
    flow.complete(WINDOW, "feedback", FEEDBACK, case)
    assert flow.data(case)["outcome"] == "用人单位自主安排"


@pytest.mark.policy("服务办法第四条（一）", "服务办法第五条（配偶就业）")
def test_a_spouse_without_work_joins_the_public_employment_service(flow, spouse):
    case = accepted(flow, spouse_employment="待业")
    assert flow.open_task(case, "public_employment")["department"] == "hrss"
    flow.complete(HRSS, "public_employment", {"employment_registered_on": "2026-11-05",
                                              "recommended_vacancies": ["苏宁广场市场专员"],
                                              "free_services": ["职业指导", "职业介绍"],
                                              "placement_status": "持续推荐中"}, case)
    flow.complete(WINDOW, "feedback", FEEDBACK, case)
    assert flow.data(case)["outcome"] == "纳入公共就业服务"


@pytest.mark.policy("服务办法第四条（一）")
def test_after_three_recommendations_the_public_employment_service_takes_over(flow, spouse):
    case = accepted(flow)
    for _ in range(3):
        flow.complete(TALENT, "recommend", RECOMMEND, case)
        flow.complete(TALENT, "two_way", {**BOTH, "unit_agrees": False, "two_way_note": "单位不同意"}, case)
    flow.complete(TALENT, "recommend", RECOMMEND, case)
    assert flow.open_task_names(case) == ["public_employment"]


@pytest.mark.policy("服务办法第三条")
def test_a_talent_below_class_d_is_not_accepted_with_the_reason_of_article_three(flow, spouse):
    case = int(flow.start("spouse_placement", {}))
    flow.complete("applicant", "apply", {**APPLY, "talent_class": "E"}, case)
    flow.complete(WINDOW, "intake", {"intake_decision": "受理"}, case)
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["outcome"] == "不予受理"
    assert "第三条" in view["data"]["result_detail"]
