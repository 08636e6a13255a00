"""Scenarios for processes/spouse_placement (配偶就业/安置, Lianyungang art. 4(1), 5; Liaocheng art. 4(1)-(3)):
the employer's own arrangement, recommendation to a matching unit, "enter first, leave later" at a full
institution, the public employment service, and the window's intake, feedback and archive."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import at

from engine.errors import InvalidInput

TALENT = {
    "talent_name": "陈海峰",
    "talent_class": "B",
    "employer_name": "连云港港口集团",
    "contact_phone": "13812345678",
    "spouse_name": "刘婷",
    "spouse_id_number": "320106198805120023",
}
IN_SERVICE = {
    "spouse_employment": "在职",
    "original_employer_name": "南京市鼓楼医院",
    "original_employer_nature": "事业单位",
    "spouse_identity": "事业单位专业技术人员",
    "spouse_major": "临床护理",
}
DIFFICULT = {"employer_arrangement": "确有困难", "difficulty_reason": "本单位没有护理岗位"}
ARRANGED = {"employer_arrangement": "已自主安排", "arranged_unit": "连云港港口集团财务共享中心",
            "arranged_post": "会计"}
ACCEPT = {"intake_decision": "受理"}
CRITERIA = {"original_employer_nature": "事业单位", "spouse_identity": "事业单位专业技术人员",
            "spouse_major": "临床护理"}
TO_HOSPITAL = {"recommendation": "推荐至对口单位", **CRITERIA, "recommended_unit": "连云港市第一人民医院",
               "recommended_unit_nature": "事业单位", "recommended_post": "护理岗", "quota_full": True}
PUBLIC_SERVICE = {"employment_registered_on": "2026-10-09", "recommended_vacancies": ["连云港市妇幼保健院护士",
                                                                                    "海州区社区卫生服务中心护士"],
                  "free_services": ["职业指导", "职业介绍", "就业登记"], "placement_status": "持续提供就业服务"}
FEEDBACK = {"notice_method": "电话", "notice_date": "2026-10-12", "archive_number": "PO-2026-0007"}


def start(flow: Any) -> int:
    key = flow.deploy_folder("spouse_placement")
    assert key == "spouse_placement"
    return int(flow.start(key, {}, who="applicant"))


def apply_and_accept(flow: Any, case: int, *parts: dict[str, Any]) -> dict[str, Any]:
    data = {**TALENT}
    for part in parts:
        data.update(part)
    flow.complete("applicant", "apply", data, instance_id=case)
    flow.complete("city_window", "intake", ACCEPT, instance_id=case)
    return data


def actions(flow: Any, case: int) -> list[tuple[str, str | None]]:
    return [(h["action"], h["task_name"]) for h in flow.view(case)["history"]]


def submitted(flow: Any, case: int, task_name: str) -> list[dict[str, Any]]:
    return [h["details"]["data"] for h in flow.view(case)["history"]
            if h["action"] == "complete" and h["task_name"] == task_name]


def archive(flow: Any, case: int) -> dict[str, Any]:
    assert flow.open_task_names(case) == ["feedback"]
    flow.complete("city_window", "feedback", FEEDBACK, instance_id=case)
    view = flow.view(case)
    assert view["status"] == "completed" and view["ended_at"] is not None
    assert view["data"]["archive_number"] == "PO-2026-0007"
    assert actions(flow, case)[-2:] == [("complete", "feedback"), ("completed", None)]
    return dict(view["data"])


# --- outcomes -----------------------------------------------------------------------------------------

def test_employer_arranges_the_spouse_itself_and_the_window_records_and_archives_that_outcome(flow):
    case = start(flow)
    [task] = flow.tasks("applicant", scope="mine")
    assert (task["name"], task["assignee"], task["department"]) == ("apply", "applicant", None)
    application = apply_and_accept(flow, case, {"spouse_employment": "待业"}, ARRANGED)

    assert flow.tasks("talent_office") == [] and flow.tasks("hrss") == [] and flow.tasks("staffing_office") == []
    data = archive(flow, case)
    assert (data["outcome"], data["placed_unit"], data["placed_post"]) == (
        "用人单位自主安排", "连云港港口集团财务共享中心", "会计")
    assert actions(flow, case) == [("start", None), ("complete", "apply"), ("complete", "intake"),
                                   ("complete", "feedback"), ("completed", None)]
    assert submitted(flow, case, "apply") == [application]


def test_talent_office_recommends_a_matching_institution_with_free_quota_and_records_the_three_criteria(flow):
    case = start(flow)
    apply_and_accept(flow, case, IN_SERVICE, DIFFICULT)
    assert flow.open_task_names(case) == ["recommend"]
    [task] = flow.tasks("talent_office")
    assert (task["instance_id"], task["title"]) == (case, "推荐对口单位")

    recommendation = {**TO_HOSPITAL, "quota_full": False}
    flow.complete("talent_office", "recommend", recommendation, instance_id=case)
    assert flow.tasks("staffing_office") == []
    data = archive(flow, case)
    assert data["outcome"] == "推荐安排至对口单位"
    assert (data["placed_unit"], data["placed_post"]) == ("连云港市第一人民医院", "护理岗")
    assert {k: data[k] for k in CRITERIA} == CRITERIA
    assert submitted(flow, case, "recommend") == [recommendation]


def test_recommendation_to_an_enterprise_never_asks_the_staffing_office_even_if_quota_full_is_ticked(flow):
    case = start(flow)
    apply_and_accept(flow, case, IN_SERVICE, DIFFICULT)
    flow.complete("talent_office", "recommend", {**TO_HOSPITAL, "recommended_unit": "连云港康复医疗集团有限公司",
                                                 "recommended_unit_nature": "国有企业"}, instance_id=case)
    assert flow.tasks("staffing_office") == []
    assert archive(flow, case)["outcome"] == "推荐安排至对口单位"


def test_full_institution_places_the_spouse_first_in_later_out_when_the_staffing_office_agrees(flow):
    case = start(flow)
    apply_and_accept(flow, case, IN_SERVICE, DIFFICULT)
    flow.complete("talent_office", "recommend", TO_HOSPITAL, instance_id=case)

    assert flow.open_task_names(case) == ["staffing_review"]
    [task] = flow.tasks("staffing_office")
    assert (task["instance_id"], task["title"], task["department"]) == (case, "研究先进后出安置", "staffing_office")
    decision = {"staffing_decision": "同意先进后出", "staffing_reason": "该院明年有两名护士退休，可消化超编",
                "approval_number": "连编办〔2026〕12号"}
    flow.complete("staffing_office", "staffing_review", decision, instance_id=case)

    data = archive(flow, case)
    assert (data["outcome"], data["placed_unit"]) == ("先进后出安置", "连云港市第一人民医院")
    assert data["approval_number"] == "连编办〔2026〕12号"
    assert actions(flow, case) == [("start", None), ("complete", "apply"), ("complete", "intake"),
                                   ("complete", "recommend"), ("complete", "staffing_review"),
                                   ("complete", "feedback"), ("completed", None)]
    assert submitted(flow, case, "staffing_review") == [decision]
    assert flow.tasks("org_dept") == [], "Liaocheng's organisation department has no step of its own"


def test_staffing_office_refusal_with_reason_returns_to_the_talent_office_which_recommends_another_unit(flow):
    case = start(flow)
    apply_and_accept(flow, case, IN_SERVICE, DIFFICULT)
    flow.complete("talent_office", "recommend", TO_HOSPITAL, instance_id=case)
    refusal = {"staffing_decision": "不同意", "staffing_reason": "该院近三年无减员计划，不具备先进后出条件"}
    flow.complete("staffing_office", "staffing_review", refusal, instance_id=case)

    assert flow.open_task_names(case) == ["recommend"]
    view = flow.view(case)
    assert view["data"]["staffing_reason"] == "该院近三年无减员计划，不具备先进后出条件"
    assert [t["state"] for t in view["tasks"] if t["name"] == "recommend"] == ["completed", "open"]

    second = {**TO_HOSPITAL, "recommended_unit": "连云港市妇幼保健院", "quota_full": False}
    flow.complete("talent_office", "recommend", second, instance_id=case)
    data = archive(flow, case)
    assert (data["outcome"], data["placed_unit"]) == ("推荐安排至对口单位", "连云港市妇幼保健院")
    assert submitted(flow, case, "recommend") == [TO_HOSPITAL, second]
    assert [a for a, _ in actions(flow, case)].count("complete") == 6


def test_unemployed_spouse_joins_the_public_employment_service_with_vacancies_and_free_services(flow):
    case = start(flow)
    apply_and_accept(flow, case, {"spouse_employment": "待业", "spouse_major": "市场营销"}, DIFFICULT)
    assert flow.tasks("talent_office") == []
    [task] = flow.tasks("hrss")
    assert (task["instance_id"], task["name"], task["title"]) == (case, "public_employment", "纳入公共就业服务")

    service = {**PUBLIC_SERVICE, "placement_status": "已推荐上岗", "employed_unit": "连云港苏宁广场"}
    flow.complete("hrss", "public_employment", service, instance_id=case)
    data = archive(flow, case)
    assert (data["outcome"], data["placed_unit"]) == ("纳入公共就业服务", "连云港苏宁广场")
    assert data["free_services"] == ["职业指导", "职业介绍", "就业登记"]
    assert actions(flow, case) == [("start", None), ("complete", "apply"), ("complete", "intake"),
                                   ("complete", "public_employment"), ("complete", "feedback"), ("completed", None)]


def test_spouse_without_a_matching_unit_is_passed_by_the_talent_office_to_the_public_employment_service(flow):
    case = start(flow)
    apply_and_accept(flow, case, IN_SERVICE, DIFFICULT)
    flow.complete("talent_office", "recommend",
                  {"recommendation": "暂无对口单位", "recommend_note": "本市公立医院护理岗位均已满编且无减员计划"},
                  instance_id=case)
    assert flow.open_task_names(case) == ["public_employment"]
    flow.complete("hrss", "public_employment", PUBLIC_SERVICE, instance_id=case)
    data = archive(flow, case)
    assert (data["outcome"], data["placed_unit"]) == ("纳入公共就业服务", "")
    assert data["recommended_vacancies"] == ["连云港市妇幼保健院护士", "海州区社区卫生服务中心护士"]


# --- the window ---------------------------------------------------------------------------------------

def test_window_returns_an_incomplete_application_and_the_applicant_resubmits(flow):
    case = start(flow)
    first = {**TALENT, **IN_SERVICE, **DIFFICULT}
    flow.complete("applicant", "apply", first, instance_id=case)
    flow.complete("city_window", "intake", {"intake_decision": "退回补正", "intake_reason": "请补充配偶原单位在职证明"},
                  instance_id=case)
    assert flow.open_task_names(case) == ["apply"]
    [task] = flow.tasks("applicant", scope="mine")
    assert (task["name"], task["state"]) == ("apply", "claimed")

    second = {**first, "difficulty_reason": "本单位没有护理岗位，已附在职证明"}
    flow.complete("applicant", "apply", second, instance_id=case)
    flow.complete("city_window", "intake", ACCEPT, instance_id=case)
    assert flow.open_task_names(case) == ["recommend"]
    assert submitted(flow, case, "apply") == [first, second]


def test_window_refusal_ends_the_case_with_its_reason(flow):
    case = start(flow)
    flow.complete("applicant", "apply", {**TALENT, **IN_SERVICE, **DIFFICULT}, instance_id=case)
    refusal = {"intake_decision": "不予受理", "intake_reason": "人才类别认定已过期，请重新认定后申请"}
    flow.complete("city_window", "intake", refusal, instance_id=case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert view["data"]["intake_reason"] == "人才类别认定已过期，请重新认定后申请"
    assert "outcome" not in view["data"]
    assert actions(flow, case) == [("start", None), ("complete", "apply"), ("complete", "intake"),
                                   ("completed", None)]


# --- form validation ----------------------------------------------------------------------------------

def test_bad_spouse_id_number_is_refused_by_the_form_and_the_case_does_not_move(flow):
    case = start(flow)
    with pytest.raises(InvalidInput) as refused:
        flow.complete("applicant", "apply", {**TALENT, **IN_SERVICE, **DIFFICULT,
                                             "spouse_id_number": "320106198800120023"}, instance_id=case)
    assert [(d["field"], d["message_zh"]) for d in refused.value.details] == [("spouse_id_number", "格式不正确")]
    assert flow.open_task_names(case) == ["apply"]
    assert actions(flow, case) == [("start", None)]


@pytest.mark.parametrize(("task", "who", "data", "fields"), [
    ("apply", "applicant", {**TALENT, **DIFFICULT, "spouse_employment": "在职"},
     ["original_employer_name", "original_employer_nature", "spouse_identity", "spouse_major"]),
    ("apply", "applicant", {**TALENT, "spouse_employment": "待业", "employer_arrangement": "已自主安排"},
     ["arranged_post", "arranged_unit"]),
    ("apply", "applicant", {**TALENT, "spouse_employment": "待业", "employer_arrangement": "确有困难"},
     ["difficulty_reason"]),
    ("apply", "applicant", {**TALENT, **IN_SERVICE, **DIFFICULT, "talent_class": "E"}, ["talent_class"]),
    ("apply", "applicant", {**TALENT, **IN_SERVICE, **DIFFICULT, "contact_phone": "0518-1234567"},
     ["contact_phone"]),
], ids=["in_service_without_criteria", "arranged_without_unit", "difficulty_without_reason", "class_e",
        "landline_phone"])
def test_the_application_form_names_each_missing_or_bad_field(flow, task, who, data, fields):
    case = start(flow)
    with pytest.raises(InvalidInput) as refused:
        flow.complete(who, task, data, instance_id=case)
    assert sorted({d["field"] for d in refused.value.details}) == fields


@pytest.mark.parametrize(("data", "fields"), [
    ({**TO_HOSPITAL, "quota_full": None}, ["quota_full"]),
    ({"recommendation": "推荐至对口单位"}, ["original_employer_nature", "recommended_post", "recommended_unit",
                                          "recommended_unit_nature", "spouse_identity", "spouse_major"]),
    ({"recommendation": "暂无对口单位"}, ["recommend_note"]),
], ids=["institution_without_quota", "unit_without_criteria", "no_match_without_note"])
def test_the_recommendation_form_requires_the_criteria_the_unit_and_the_quota_of_an_institution(
        flow, data, fields):
    case = start(flow)
    apply_and_accept(flow, case, IN_SERVICE, DIFFICULT)
    with pytest.raises(InvalidInput) as refused:
        flow.complete("talent_office", "recommend", {k: v for k, v in data.items() if v is not None},
                      instance_id=case)
    assert sorted({d["field"] for d in refused.value.details}) == fields
    assert flow.open_task_names(case) == ["recommend"]


@pytest.mark.parametrize(("data", "fields"), [
    ({"staffing_decision": "不同意"}, ["staffing_reason"]),
    ({"staffing_decision": "不同意", "staffing_reason": ""}, ["staffing_reason"]),
    ({"staffing_decision": "同意先进后出", "staffing_reason": "可消化"}, ["approval_number"]),
], ids=["refusal_without_reason", "empty_reason", "approval_without_number"])
def test_the_staffing_office_must_give_its_reason_and_an_approval_number(flow, data, fields):
    case = start(flow)
    apply_and_accept(flow, case, IN_SERVICE, DIFFICULT)
    flow.complete("talent_office", "recommend", TO_HOSPITAL, instance_id=case)
    with pytest.raises(InvalidInput) as refused:
        flow.complete("staffing_office", "staffing_review", data, instance_id=case)
    assert sorted({d["field"] for d in refused.value.details}) == fields
    assert flow.open_task_names(case) == ["staffing_review"]


def test_public_employment_service_must_recommend_at_least_one_vacancy_and_name_the_unit_of_a_placement(flow):
    case = start(flow)
    apply_and_accept(flow, case, {"spouse_employment": "待业"}, DIFFICULT)
    bad = {**PUBLIC_SERVICE, "recommended_vacancies": [], "free_services": ["代缴社保"],
           "placement_status": "已推荐上岗", "employment_registered_on": "2026-13-01"}
    with pytest.raises(InvalidInput) as refused:
        flow.complete("hrss", "public_employment", bad, instance_id=case)
    assert sorted({d["field"] for d in refused.value.details}) == [
        "employed_unit", "employment_registered_on", "free_services.0", "recommended_vacancies"]


# --- deadlines: the seeds give none -------------------------------------------------------------------

def test_no_task_has_a_deadline_because_the_seeds_give_none_so_nothing_fires_over_spring_festival(flow, clock):
    clock.set(at("2026-02-13 10:00"))
    case = start(flow)
    apply_and_accept(flow, case, IN_SERVICE, DIFFICULT)
    flow.complete("talent_office", "recommend", TO_HOSPITAL, instance_id=case)
    assert flow.fire(at("2026-03-31 18:00:01")) == []
    view = flow.view(case)
    assert view["next_due_at"] is None
    assert [(t["name"], t["due_at"]) for t in view["tasks"]] == [
        ("apply", None), ("intake", None), ("recommend", None), ("staffing_review", None)]
    assert "timer_fired" not in [h["action"] for h in view["history"]]
    assert flow.tasks("talent_office") == [], "no supervision task appears without a deadline"
