"""Liaocheng's spouse placement as 平台办法第四条（一）至（三） assign it: the organisation department decides how, the
staffing office approves the special staffing quota, HRSS carries it out; one window receives and answers."""

from __future__ import annotations

from typing import Any

import pytest

APPLICATION = {"talent_name": "黄振宇", "talent_category": "高端人才", "certificate_no": "LCRC-B-0031",
               "employer_name": "聊城市人民医院", "contact_phone": "13853021764", "spouse_name": "吴倩",
               "spouse_id_number": "370102198805120245", "spouse_employment": "在职",
               "original_employer_name": "济南市第四人民医院", "original_employer_nature": "事业单位",
               "spouse_identity": "事业单位专业技术人员", "spouse_major": "临床护理",
               "placement_wish": "使用专项编制安置"}
FEEDBACK = {"notice_method": "电话", "notice_date": "2026-11-20", "archive_number": "PO-2026-0031"}
PLACED = {"placement_status": "已安置", "placed_unit": "聊城市第二人民医院", "placed_post": "护理岗",
          "hrss_note": "已办理聘用手续"}
CITY, ORG, STAFFING, HRSS = "city_window", "org_dept", "staffing_office", "hrss"


@pytest.fixture
def spouse(flow: Any) -> str:
    return str(flow.deploy_folder("spouse_placement"))


def accepted(flow: Any) -> int:
    case = int(flow.start("spouse_placement", {}))
    assert flow.data(case)["one_stop"] is False  # the start form's default: a case of its own
    flow.complete("applicant", "apply", APPLICATION, case)
    flow.complete(CITY, "intake", {"intake_decision": "受理"}, case)
    assert flow.open_task(case, "org_review")["department"] == "org_dept"
    return case


@pytest.mark.policy("平台办法第四条（一）", "平台办法第四条（三）", "平台办法第四条（二）", "平台办法第五条")
def test_a_placement_on_the_special_staffing_quota_goes_through_org_staffing_and_hrss(flow, spouse):
    case = accepted(flow)
    flow.complete(ORG, "org_review", {"placement_route": "专项编制安置", "proposed_unit": "聊城市第二人民医院",
                                      "org_opinion": "符合引进人才配偶安置条件"}, case)
    assert flow.open_task(case, "staffing_review")["department"] == "staffing_office"
    flow.complete(STAFFING, "staffing_review", {"staffing_decision": "核定编制", "quota_number": "聊编〔2026〕31号",
                                                "staffing_opinion": "同意使用引进人才专项编制"}, case)
    assert flow.open_task(case, "hrss_place")["department"] == "hrss"
    flow.complete(HRSS, "hrss_place", PLACED, case)
    assert flow.open_task(case, "feedback")["department"] == "city_window"
    flow.complete(CITY, "feedback", FEEDBACK, case)
    data = flow.data(case)
    assert data["outcome"] == "专项编制安置" and "聊城市第二人民医院" in data["result_detail"]


@pytest.mark.policy("平台办法第四条（二）", "平台办法第四条（一）")
def test_a_placement_by_employment_goes_from_org_to_hrss(flow, spouse):
    case = accepted(flow)
    flow.complete(ORG, "org_review", {"placement_route": "推荐就业安置", "org_opinion": "推荐就业"}, case)
    flow.complete(HRSS, "hrss_place", {"placement_status": "已推荐岗位、待上岗",
                                       "recommended_posts": ["鲁西化工集团护理岗"], "hrss_note": "已推荐"}, case)
    flow.complete(CITY, "feedback", FEEDBACK, case)
    assert flow.data(case)["outcome"] == "推荐就业安置"


@pytest.mark.policy("平台办法第四条（三）")
def test_a_quota_the_staffing_office_refuses_becomes_a_placement_by_employment(flow, spouse):
    case = accepted(flow)
    flow.complete(ORG, "org_review", {"placement_route": "专项编制安置", "proposed_unit": "聊城市第二人民医院",
                                      "org_opinion": "拟用专项编制"}, case)
    flow.complete(STAFFING, "staffing_review", {"staffing_decision": "不予核定", "staffing_opinion": "专项编制已用完"},
                  case)
    flow.complete(HRSS, "hrss_place", PLACED, case)
    assert flow.data(case)["outcome"] == "推荐就业安置"


@pytest.mark.policy("平台办法第四条（一）", "平台办法第五条")
def test_the_organisation_department_may_decline_and_the_window_says_why(flow, spouse):
    case = accepted(flow)
    flow.complete(ORG, "org_review", {"placement_route": "不予安置", "org_opinion": "人才认定已过有效期"}, case)
    assert flow.open_task_names(case) == ["feedback"]
    flow.complete(CITY, "feedback", FEEDBACK, case)
    data = flow.data(case)
    assert data["outcome"] == "不予安置" and data["result_detail"] == "人才认定已过有效期"


@pytest.mark.policy("平台办法第五条")
def test_an_application_the_window_does_not_accept_ends_with_the_reason(flow, spouse):
    case = int(flow.start("spouse_placement", {}))
    flow.complete("applicant", "apply", APPLICATION, case)
    flow.complete(CITY, "intake", {"intake_decision": "不予受理", "intake_reason": "非经认定的引进人才"}, case)
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["result_detail"] == "非经认定的引进人才"


def test_a_case_started_on_its_own_may_not_pretend_to_be_part_of_a_one_stop_case(flow, spouse):
    from engine.errors import InvalidInput

    with pytest.raises(InvalidInput):
        flow.start("spouse_placement", {"one_stop": True})
