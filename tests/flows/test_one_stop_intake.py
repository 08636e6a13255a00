"""Scenarios of the one-stop intake (一窗受理: Liaocheng platform art. 5; Lianyungang art. 6): one case, one
window intake, a dedicated officer, the chosen services run side by side as call activities of the deployed
health_card, spouse_placement, schooling and problem_handling flows, one combined answer and one archive."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import at
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.cases.runner import load_case, restore
from engine.errors import DeploymentRefused, InvalidInput
from engine.store.models import HumanTask
from tasks import service as tasks

FLOW = Path(__file__).resolve().parents[2] / "processes" / "one_stop_intake" / "one_stop_intake.bpmn"
SUB_FLOWS = ("health_card", "spouse_placement", "schooling", "problem_handling")
CITY, COUNTY, APPLICANT = "city_window", "county_window_dongchangfu", "applicant"

APPLICATION = {"applicant_name": "张三", "id_number": "371502198805123015", "contact_phone": "13806351234",
               "employer": "聊城大学"}
OFFICER = {"officer_name": "李敏", "officer_phone": "0635-8451234"}
REPLY = {"reply_method": "窗口现场", "reply_date": "2026-10-21", "reply_confirmed": True}
ARCHIVE = {"case_archive_number": "YCSL-2026-0031", "case_archived_on": "2026-10-21", "archive_complete": True}

# health_card (tests/flows/test_health_card.py)
MATERIALS = {"id_number": "371502198805123015", "certification_proof": "rencai-rending-2026-0815.pdf",
             "approval_form": "baojianzheng-shenpibiao-zhangsan.pdf", "id_card_copy": "shenfenzheng-zhangsan.pdf",
             "photo": "张三.jpg", "photo_confirmed": True, "contact_phone": "13806351234"}
FORWARD = {"county_decision": "转报市平台", "county_opinion": "四项材料齐全"}
PASS = {"review_decision": "审核通过", "review_opinion": "符合第二条适用对象"}
NOT_PASSED = {"review_decision": "不予通过", "review_opinion": "人才认定证明已过有效期"}
CARD = {"card_number": "LCBJ-2026-0031", "issued_on": "2026-10-12"}
SUPERVISION = {"supervise_measure": "电话督促", "supervise_note": "请尽快制证"}
# schooling (tests/flows/test_schooling.py)
CHILD = {"talent_name": "张三", "talent_class": "B", "doctorate": True, "employer_name": "聊城大学",
         "contact_phone": "13806351234", "child_name": "张小雨", "child_id_number": "371502201803150022",
         "child_birth_date": "2018-03-15", "school_stage": "义务教育", "intended_grade": "三年级",
         "residence_address": "东昌府区柳园南路1号"}
ACCEPT = {"intake_decision": "受理"}
SCHOOL = {"assigned_school": "聊城市实验小学", "assigned_grade": "三年级", "enrolment_date": "2026-10-19",
          "meets_policy": True}
SUB_FEEDBACK = {"notice_method": "电话", "notice_date": "2026-10-20", "archive_number": "ZX-2026-0009"}
# spouse_placement (tests/flows/test_spouse_placement.py)
SPOUSE = {"talent_name": "张三", "talent_class": "B", "employer_name": "聊城大学", "contact_phone": "13806351234",
          "spouse_name": "刘婷", "spouse_id_number": "371502198905120023", "spouse_employment": "在职",
          "original_employer_name": "济南市中心医院", "original_employer_nature": "事业单位",
          "spouse_identity": "事业单位专业技术人员", "spouse_major": "临床护理",
          "employer_arrangement": "已自主安排", "arranged_unit": "聊城大学校医院", "arranged_post": "护士"}
# problem_handling (tests/flows/test_problem_handling.py)
PROBLEM = {"problem_kind": "子女就学", "problem_summary": "孩子转学手续办不下来", "contact_phone": "13806351234"}
ANSWERED = {"step": "已办结答复", "answer": "已协调转学手续，10月19日入学"}
SATISFIED = {"visit_method": "电话", "satisfaction": "满意"}


@pytest.fixture
def one_stop(flow: Any) -> str:
    for name in SUB_FLOWS:  # the called flows first: the call activities link to their latest versions
        flow.deploy_folder(name)
    return str(flow.deploy_folder("one_stop_intake"))


def start(flow: Any, key: str, county: str = "dongchangfu") -> int:
    return int(flow.start(key, {"applicant_name": "张三", "county": county}, who=APPLICANT))


def open_intake(flow: Any, key: str, services: list[str], county: str = "dongchangfu", **extra: Any) -> int:
    """Start a case, let the window register the services and assign the officer: the services are dispatched."""
    case = start(flow, key, county)
    flow.complete(CITY, "accept_application", {**APPLICATION, "requested_services": services, **extra}, case)
    flow.complete(CITY, "assign_officer", OFFICER, case)
    return case


def open_tasks(flow: Any, case: int) -> list[tuple[str, str, str]]:
    """(called flow, task, department or assignee) of every open task of the case."""
    with flow.platform.uow(write=False) as uow:
        rows = uow.session.scalars(select(HumanTask).where(HumanTask.instance_id == case,
                                                           HumanTask.state.in_(("open", "claimed")))).all()
        return sorted((r.process_id, r.name, r.department or r.assignee) for r in rows)


def complete(flow: Any, who: str, case: int, process_id: str, name: str, data: dict[str, Any]) -> None:
    """Complete the open task ``name`` of the called flow ``process_id`` (parallel sub-flows share task ids)."""
    with flow.platform.uow(write=False) as uow:
        [task_id] = uow.session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == case, HumanTask.process_id == process_id, HumanTask.name == name,
            HumanTask.state.in_(("open", "claimed")))).all()
    with flow.platform.uow(optimistic=True) as uow:
        tasks.complete_task(task_id, data, actor=flow.actor(who), uow=uow, now=flow.platform.now())
        uow.commit()


def listed(flow: Any, who: str, case: int) -> list[str]:
    """The names of the case's tasks in ``who``'s task list (the department's; the applicant's own)."""
    scope = "mine" if who == APPLICANT else "department"
    return sorted(t["name"] for t in flow.tasks(who, scope) if t["instance_id"] == case)


def due(flow: Any, case: int, name: str) -> datetime:
    [task] = [t for t in flow.view(case)["tasks"] if t["name"] == name and t["state"] == "open"]
    return datetime.fromisoformat(task["due_at"])


def at_join(flow: Any, case: int) -> dict[str, list[str]]:
    """The case's workflow restored from the database: the branches (their result scripts) that have reached the
    inclusive join and wait there, and those the join is still waiting for."""
    with flow.platform.uow(write=False) as uow:
        workflow = restore(load_case(case, uow=uow), uow=uow, now=flow.platform.now()).workflow
    joins = workflow.get_tasks(spec_name="join")
    return {"waiting": sorted(t.parent.task_spec.name for t in joins if t.state == TaskState.WAITING),
            "pending": sorted(t.parent.task_spec.name for t in joins if t.state == TaskState.FUTURE)}


def actions(flow: Any, case: int) -> list[tuple[str, str | None]]:
    return [(h["action"], h["task_name"]) for h in flow.view(case)["history"]]


def answer_and_archive(flow: Any, case: int) -> dict[str, Any]:
    assert open_tasks(flow, case) == [("one_stop_intake", "combined_feedback", CITY)]
    flow.complete(CITY, "combined_feedback", REPLY, case)
    assert open_tasks(flow, case) == [("one_stop_intake", "archive", CITY)]
    flow.complete(CITY, "archive", ARCHIVE, case)
    view = flow.view(case)
    assert view["status"] == "completed" and view["ended_at"] is not None
    assert (view["data"]["case_archive_number"], view["data"]["case_archived_on"]) == ("YCSL-2026-0031",
                                                                                       "2026-10-21")
    assert actions(flow, case)[-3:] == [("complete", "combined_feedback"), ("complete", "archive"),
                                        ("completed", None)]
    return dict(view["data"])


def outcomes(data: dict[str, Any]) -> dict[str, str]:
    return {code: result["outcome"] for code, result in data["service_results"].items()}


def issue_health_card(flow: Any, case: int) -> None:
    complete(flow, APPLICANT, case, "health_card", "submit_materials", MATERIALS)
    complete(flow, COUNTY, case, "health_card", "county_check", FORWARD)
    complete(flow, CITY, case, "health_card", "city_review", PASS)
    complete(flow, "health_care_office", case, "health_card", "make_card", CARD)


def place_child(flow: Any, case: int) -> None:
    complete(flow, APPLICANT, case, "schooling", "apply", CHILD)
    complete(flow, CITY, case, "schooling", "intake", ACCEPT)
    complete(flow, "education", case, "schooling", "assign_school", SCHOOL)
    complete(flow, CITY, case, "schooling", "feedback", SUB_FEEDBACK)


# --- one service ---------------------------------------------------------------------------------------------

def test_a_single_service_runs_in_the_case_and_the_window_answers_once_and_archives(flow, one_stop, clock):
    clock.set(at("2026-09-29 10:00"))
    case = start(flow, one_stop)
    assert open_tasks(flow, case) == [("one_stop_intake", "accept_application", CITY)]
    flow.complete(CITY, "accept_application", {**APPLICATION, "requested_services": ["高层次人才保健证"],
                                               "talent_category": "顶尖人才"}, case)
    assert open_tasks(flow, case) == [("one_stop_intake", "assign_officer", CITY)]
    flow.complete(CITY, "assign_officer", OFFICER, case)
    assert flow.view(case)["data"]["officer_name"] == "李敏"
    # only the chosen service runs: its first task is the applicant's, as in the health_card flow itself
    assert open_tasks(flow, case) == [("health_card", "submit_materials", APPLICANT)]
    complete(flow, APPLICANT, case, "health_card", "submit_materials", MATERIALS)
    # the county check goes to the window of the case's county; the sub-flow's deadlines run inside the case
    assert listed(flow, COUNTY, case) == ["county_check"] and listed(flow, "county_window_linqing", case) == []
    clock.set(at("2026-09-30 10:00"))
    complete(flow, COUNTY, case, "health_card", "county_check", FORWARD)
    assert due(flow, case, "city_review") == at("2026-10-13 18:00")  # 5 working days across National Day
    complete(flow, CITY, case, "health_card", "city_review", PASS)
    assert open_tasks(flow, case) == [("health_card", "make_card", "health_care_office")]
    complete(flow, "health_care_office", case, "health_card", "make_card", CARD)

    data = answer_and_archive(flow, case)
    result = data["service_results"]["health_card"]
    assert (result["service"], result["outcome"]) == ("高层次人才保健证", "已发证")
    assert "LCBJ-2026-0031" in result["detail"] and "每年免费健康体检一次" in result["detail"]
    assert data["combined_answer"] == [f"高层次人才保健证：已发证（{result['detail']}）"]
    assert (data["officer_name"], data["officer_phone"]) == ("李敏", "0635-8451234")
    assert actions(flow, case) == [
        ("start", None), ("complete", "accept_application"), ("complete", "assign_officer"),
        ("complete", "submit_materials"), ("complete", "county_check"), ("complete", "city_review"),
        ("complete", "make_card"), ("complete", "combined_feedback"), ("complete", "archive"), ("completed", None)]


# --- two services side by side -------------------------------------------------------------------------------

@pytest.mark.parametrize("health_card_first", [True, False], ids=["card_first", "school_first"])
def test_two_services_run_side_by_side_in_different_departments_and_the_join_waits_for_both(
        flow, one_stop, health_card_first):
    case = open_intake(flow, one_stop, ["高层次人才保健证", "子女就学"], talent_category="高端人才")
    # both services start at once: each first task is open, both in the applicant's own list
    assert open_tasks(flow, case) == [("health_card", "submit_materials", APPLICANT),
                                      ("schooling", "apply", APPLICANT)]
    assert listed(flow, APPLICANT, case) == ["apply", "submit_materials"]
    complete(flow, APPLICANT, case, "schooling", "apply", CHILD)
    complete(flow, APPLICANT, case, "health_card", "submit_materials", MATERIALS)
    # the back offices work at the same time, each in its own department's list
    assert open_tasks(flow, case) == [("health_card", "county_check", "county_window"),
                                      ("schooling", "intake", CITY)]
    assert listed(flow, COUNTY, case) == ["county_check"] and listed(flow, CITY, case) == ["intake"]
    complete(flow, COUNTY, case, "health_card", "county_check", FORWARD)
    complete(flow, CITY, case, "schooling", "intake", ACCEPT)
    complete(flow, CITY, case, "health_card", "city_review", PASS)
    assert open_tasks(flow, case) == [("health_card", "make_card", "health_care_office"),
                                      ("schooling", "assign_school", "education")]
    assert listed(flow, "health_care_office", case) == ["make_card"]
    assert listed(flow, "education", case) == ["assign_school"]

    if health_card_first:
        complete(flow, "health_care_office", case, "health_card", "make_card", CARD)
        waiting = [("schooling", "assign_school", "education")]
    else:
        complete(flow, "education", case, "schooling", "assign_school", SCHOOL)
        complete(flow, CITY, case, "schooling", "feedback", SUB_FEEDBACK)
        waiting = [("health_card", "make_card", "health_care_office")]
    # one service is done and waits at the join for the other: no combined answer yet
    assert open_tasks(flow, case) == waiting
    done, other = ("record_health_card", "record_schooling")[::1 if health_card_first else -1]
    assert at_join(flow, case) == {"waiting": [done], "pending": [other]}
    assert flow.view(case)["status"] == "active"
    if health_card_first:
        complete(flow, "education", case, "schooling", "assign_school", SCHOOL)
        complete(flow, CITY, case, "schooling", "feedback", SUB_FEEDBACK)
    else:
        complete(flow, "health_care_office", case, "health_card", "make_card", CARD)

    data = answer_and_archive(flow, case)
    assert outcomes(data) == {"health_card": "已发证", "schooling": "已安排就读学校"}
    assert data["service_results"]["schooling"]["detail"] == \
        "聊城市实验小学（优质中小学，免试就近入学，优先安排优质学校），2026-10-19入学"
    assert [line.split("：")[0] for line in data["combined_answer"]] == ["高层次人才保健证", "子女就学"]
    assert data["combined_answer_text"] == "；".join(data["combined_answer"])


# --- three services, one refused -----------------------------------------------------------------------------

def test_three_services_with_a_refusal_each_keep_their_own_result_in_the_combined_answer(flow, one_stop):
    case = open_intake(flow, one_stop, ["反映问题", "高层次人才保健证", "配偶就业安置"],
                       talent_category="急需紧缺人才", problem_description="孩子转学手续办不下来")
    assert open_tasks(flow, case) == [("health_card", "submit_materials", APPLICANT),
                                      ("problem_handling", "accept_problem", CITY),
                                      ("spouse_placement", "apply", APPLICANT)]
    assert due(flow, case, "accept_problem") is not None  # the problem flow's own 1-working-day deadline
    complete(flow, APPLICANT, case, "health_card", "submit_materials", MATERIALS)
    complete(flow, APPLICANT, case, "spouse_placement", "apply", SPOUSE)
    assert listed(flow, COUNTY, case) == ["county_check"]
    assert listed(flow, CITY, case) == ["accept_problem", "intake"]
    complete(flow, CITY, case, "problem_handling", "accept_problem", PROBLEM)
    complete(flow, COUNTY, case, "health_card", "county_check", FORWARD)
    # three departments hold a task of the same case at the same moment
    assert open_tasks(flow, case) == [("health_card", "city_review", CITY),
                                      ("problem_handling", "handle_education", "education"),
                                      ("spouse_placement", "intake", CITY)]
    complete(flow, CITY, case, "health_card", "city_review", NOT_PASSED)  # refused: that branch is done
    complete(flow, "education", case, "problem_handling", "handle_education", ANSWERED)
    complete(flow, CITY, case, "problem_handling", "follow_up", SATISFIED)
    assert open_tasks(flow, case) == [("spouse_placement", "intake", CITY)]  # the join still waits
    complete(flow, CITY, case, "spouse_placement", "intake", ACCEPT)
    assert open_tasks(flow, case) == [("spouse_placement", "feedback", CITY)]
    complete(flow, CITY, case, "spouse_placement", "feedback", SUB_FEEDBACK)

    data = answer_and_archive(flow, case)
    assert data["service_codes"] == ["problem_handling", "health_card", "spouse_placement"]  # in the order asked
    assert outcomes(data) == {"problem_handling": "已办结答复", "health_card": "不予通过",
                              "spouse_placement": "用人单位自主安排"}
    assert data["combined_answer"] == [
        "反映问题：已办结答复（责任单位：市教育局；答复：已协调转学手续，10月19日入学；回访满意度：满意）",
        "高层次人才保健证：不予通过（人才认定证明已过有效期）",
        "配偶就业安置：用人单位自主安排（安排至聊城大学校医院，岗位：护士）"]


def test_sub_flows_that_write_the_same_variables_do_not_overwrite_each_others_results(flow, one_stop):
    """health_card and spouse_placement both write outcome, spouse_placement and schooling both write
    intake_decision and intake_reason: each branch records its own result before the join."""
    case = open_intake(flow, one_stop, ["高层次人才保健证", "配偶就业安置", "子女就学"],
                       talent_category="高技能人才")
    # the health card is refused at once (art. 2): that branch has already reached the join
    assert open_tasks(flow, case) == [("schooling", "apply", APPLICANT), ("spouse_placement", "apply", APPLICANT)]
    complete(flow, APPLICANT, case, "spouse_placement", "apply", SPOUSE)
    complete(flow, CITY, case, "spouse_placement", "intake", {"intake_decision": "不予受理",
                                                               "intake_reason": "配偶已在本市就业"})
    assert open_tasks(flow, case) == [("schooling", "apply", APPLICANT)]
    complete(flow, APPLICANT, case, "schooling", "apply", {**CHILD, "talent_class": "E", "doctorate": False})
    complete(flow, CITY, case, "schooling", "intake", ACCEPT)
    complete(flow, CITY, case, "schooling", "feedback", SUB_FEEDBACK)

    data = answer_and_archive(flow, case)
    assert outcomes(data) == {"health_card": "不予受理", "spouse_placement": "不予受理", "schooling": "不适用"}
    assert "高技能人才" in data["service_results"]["health_card"]["detail"]
    assert "第二条" in data["service_results"]["health_card"]["detail"]
    assert data["service_results"]["spouse_placement"]["detail"] == "配偶已在本市就业"
    assert "D类以上" in data["service_results"]["schooling"]["detail"]


def test_a_spouse_placed_by_the_public_employment_service_and_a_card_refused_after_three_returns(flow, one_stop):
    case = open_intake(flow, one_stop, ["配偶就业安置", "高层次人才保健证"], talent_category="顶尖人才")
    unemployed = {key: value for key, value in SPOUSE.items() if not key.startswith(("original_", "spouse_identity",
                                                                                    "spouse_major", "arranged_"))}
    complete(flow, APPLICANT, case, "spouse_placement", "apply", {**unemployed, "spouse_employment": "待业",
                                                                  "employer_arrangement": "确有困难",
                                                                  "difficulty_reason": "无对口岗位"})
    complete(flow, CITY, case, "spouse_placement", "intake", ACCEPT)
    assert ("spouse_placement", "public_employment", "hrss") in open_tasks(flow, case)
    complete(flow, "hrss", case, "spouse_placement", "public_employment", {
        "employment_registered_on": "2026-10-09", "recommended_vacancies": ["聊城市人民医院护士"],
        "free_services": ["职业指导", "职业介绍"], "placement_status": "已推荐上岗", "employed_unit": "聊城市人民医院"})
    complete(flow, CITY, case, "spouse_placement", "feedback", SUB_FEEDBACK)
    returned = {"county_decision": "退回补正", "missing_items": ["证件照"], "return_note": "照片不是白底"}
    complete(flow, APPLICANT, case, "health_card", "submit_materials", MATERIALS)
    for _ in range(3):  # the health_card flow's local rule: at most three returns
        complete(flow, COUNTY, case, "health_card", "county_check", returned)
        complete(flow, APPLICANT, case, "health_card", "resubmit_materials", MATERIALS)
    complete(flow, COUNTY, case, "health_card", "county_check", returned)

    data = answer_and_archive(flow, case)
    assert outcomes(data) == {"spouse_placement": "纳入公共就业服务", "health_card": "不予办理"}
    assert data["service_results"]["spouse_placement"]["detail"] == "已推荐至聊城市人民医院上岗"
    assert "3次退回补正" in data["service_results"]["health_card"]["detail"]


# --- the join, the history, the escalations inside the sub-flows ----------------------------------------------

def test_the_join_waits_for_every_chosen_service_and_only_for_those(flow, one_stop):
    case = open_intake(flow, one_stop, ["子女就学", "反映问题"], problem_description="子女入学咨询")
    assert {p for p, _n, _w in open_tasks(flow, case)} == {"schooling", "problem_handling"}
    # only the two chosen branches were started: the join waits for them, not for health_card or spouse_placement
    assert at_join(flow, case) == {"waiting": [], "pending": ["record_problem_handling", "record_schooling"]}
    place_child(flow, case)
    assert open_tasks(flow, case) == [("problem_handling", "accept_problem", CITY)]
    assert at_join(flow, case) == {"waiting": ["record_schooling"], "pending": ["record_problem_handling"]}
    complete(flow, CITY, case, "problem_handling", "accept_problem", PROBLEM)
    complete(flow, "education", case, "problem_handling", "handle_education", ANSWERED)
    assert open_tasks(flow, case) == [("problem_handling", "follow_up", CITY)]
    assert flow.view(case)["status"] == "active"
    complete(flow, CITY, case, "problem_handling", "follow_up", {"visit_method": "电话", "satisfaction": "不满意",
                                                                  "visit_note": "答复太慢"})
    # the problem flow sends a dissatisfied talent's case to the talent office; it ends only after that
    assert open_tasks(flow, case) == [("problem_handling", "supervise_dissatisfied", "talent_office")]
    complete(flow, "talent_office", case, "problem_handling", "supervise_dissatisfied",
             {"supervise_measure": "书面督办", "supervise_note": "请改进答复时效"})
    data = answer_and_archive(flow, case)
    assert sorted(data["service_results"]) == ["problem_handling", "schooling"]
    assert data["service_results"]["problem_handling"]["detail"].endswith("回访满意度：不满意（已转市人才办督办）")


def test_the_history_of_the_case_holds_every_completion_of_the_sub_flows(flow, one_stop):
    case = open_intake(flow, one_stop, ["高层次人才保健证", "子女就学"], talent_category="顶尖人才")
    issue_health_card(flow, case)
    place_child(flow, case)
    answer_and_archive(flow, case)
    history = flow.view(case)["history"]
    completions = [(h["task_name"], h["actor"]) for h in history if h["action"] == "complete"]
    assert completions == [
        ("accept_application", CITY), ("assign_officer", CITY),
        ("submit_materials", APPLICANT), ("county_check", COUNTY), ("city_review", CITY),
        ("make_card", "health_care_office"),
        ("apply", APPLICANT), ("intake", CITY), ("assign_school", "education"), ("feedback", CITY),
        ("combined_feedback", CITY), ("archive", CITY)]
    by_task = {h["task_name"]: h["details"]["data"] for h in history if h["action"] == "complete"}
    assert by_task["make_card"] == CARD and by_task["assign_school"] == SCHOOL and by_task["apply"] == CHILD
    assert by_task["accept_application"]["requested_services"] == ["高层次人才保健证", "子女就学"]
    assert history[0]["action"] == "start" and history[0]["details"]["data"]["county"] == "dongchangfu"
    assert [h["action"] for h in history].count("completed") == 1  # one case: the sub-flows are part of it


def test_an_issued_card_stays_issued_when_the_overdue_supervision_ends_after_the_card(flow, one_stop, clock):
    """In health_card the make-card deadline escalates to the talent office without interrupting; when the
    supervision ends after the card, SpiffWorkflow's end join lets that branch's old outcome ("办理中") win in
    the data the sub-flow hands back. The parent's result script still records the issued card."""
    clock.set(at("2026-09-29 10:00"))
    case = open_intake(flow, one_stop, ["高层次人才保健证"], talent_category="顶尖人才")
    complete(flow, APPLICANT, case, "health_card", "submit_materials", MATERIALS)
    complete(flow, COUNTY, case, "health_card", "county_check", FORWARD)
    clock.set(at("2026-09-30 10:00"))
    complete(flow, CITY, case, "health_card", "city_review", PASS)
    assert due(flow, case, "make_card") == at("2026-10-20 18:00")  # 10 working days across National Day
    clock.set(at("2026-10-20 18:00:01"))
    assert flow.fire(at("2026-10-20 18:00:01")) == [case]
    assert open_tasks(flow, case) == [("health_card", "make_card", "health_care_office"),
                                      ("health_card", "supervise_make_card", "talent_office")]
    complete(flow, "health_care_office", case, "health_card", "make_card", CARD)
    assert open_tasks(flow, case) == [("health_card", "supervise_make_card", "talent_office")]
    complete(flow, "talent_office", case, "health_card", "supervise_make_card", SUPERVISION)

    data = answer_and_archive(flow, case)
    assert data["service_results"]["health_card"]["outcome"] == "已发证"
    assert "LCBJ-2026-0031" in data["service_results"]["health_card"]["detail"]
    fired = [h for h in flow.view(case)["history"] if h["action"] == "timer_fired"]
    assert [h["task_name"] for h in fired] == ["make_card_deadline"]


# --- forms and deployment ------------------------------------------------------------------------------------

def test_the_intake_form_needs_at_least_one_known_service_and_what_the_chosen_services_need(flow, one_stop):
    case = start(flow, one_stop)

    def refused(**changes: Any) -> list[str]:
        with pytest.raises(InvalidInput) as error:
            flow.complete(CITY, "accept_application", {**APPLICATION, **changes}, case)
        return sorted(d["field"] for d in error.value.details)

    assert refused(requested_services=[]) == ["requested_services"]
    assert refused(requested_services=["人才服务金卡"]) == ["requested_services.0"]  # applied for on its own
    assert refused(requested_services=["子女就学", "子女就学"]) == ["requested_services"]
    assert refused(requested_services=["高层次人才保健证"]) == ["talent_category"]
    assert refused(requested_services=["反映问题"]) == ["problem_description"]
    assert refused(requested_services=["子女就学"], id_number="37150219881312301X") == ["id_number"]
    assert refused(requested_services=["子女就学"], contact_phone="0635-123") == ["contact_phone"]
    assert open_tasks(flow, case) == [("one_stop_intake", "accept_application", CITY)]
    assert actions(flow, case) == [("start", None)]


def test_a_case_starts_only_with_the_applicants_name_and_county(flow, one_stop):
    with pytest.raises(InvalidInput) as error:
        flow.start(one_stop, {"applicant_name": "张三"}, who=APPLICANT)
    assert [d["field"] for d in error.value.details] == ["county"]
    with pytest.raises(InvalidInput) as error:
        flow.start(one_stop, {"applicant_name": "张三", "county": "海州区"}, who=APPLICANT)
    assert [d["field"] for d in error.value.details] == ["data.county"]
    case = flow.start(one_stop, {"applicant_name": "张三", "county": "临清市"}, who=APPLICANT)
    assert flow.view(case)["county"] == "linqing"


def test_the_officer_and_the_window_forms_are_checked(flow, one_stop):
    case = start(flow, one_stop)
    flow.complete(CITY, "accept_application", {**APPLICATION, "requested_services": ["高层次人才保健证"],
                                               "talent_category": "其他引进人才"}, case)
    with pytest.raises(InvalidInput) as error:
        flow.complete(CITY, "assign_officer", {"officer_phone": "12345"}, case)
    assert sorted(d["field"] for d in error.value.details) == ["officer_name", "officer_phone"]
    flow.complete(CITY, "assign_officer", OFFICER, case)  # the card is refused at once (art. 2)
    with pytest.raises(InvalidInput) as error:
        flow.complete(CITY, "combined_feedback", {**REPLY, "reply_confirmed": False, "reply_date": "21/10/2026"}, case)
    assert sorted(d["field"] for d in error.value.details) == ["reply_confirmed", "reply_date"]
    flow.complete(CITY, "combined_feedback", REPLY, case)
    with pytest.raises(InvalidInput) as error:
        flow.complete(CITY, "archive", {**ARCHIVE, "case_archive_number": "档案1"}, case)
    assert [d["field"] for d in error.value.details] == ["case_archive_number"]
    flow.complete(CITY, "archive", ARCHIVE, case)
    assert flow.view(case)["status"] == "completed"


def test_deploying_before_the_called_flows_are_deployed_is_refused_with_each_call_activitys_line(flow):
    lines = FLOW.read_text(encoding="utf-8").splitlines()

    def line_of(process_id: str) -> int:
        return next(number for number, text in enumerate(lines, 1)
                    if "<bpmn:callActivity" in text and f'calledElement="{process_id}"' in text)

    with pytest.raises(DeploymentRefused) as error:
        flow.deploy_folder("one_stop_intake")
    problems = {(d["file"], d["line"]) for d in error.value.details if "deploy that flow first" in d["message"]}
    assert problems == {("one_stop_intake.bpmn", line_of(p)) for p in SUB_FLOWS}
    assert "one_stop_intake.bpmn:" in error.value.message

    flow.deploy_folder("health_card")
    flow.deploy_folder("schooling")
    with pytest.raises(DeploymentRefused) as error:
        flow.deploy_folder("one_stop_intake")
    missing = [d for d in error.value.details if "deploy that flow first" in d["message"]]
    assert sorted((d["line"], d["message"].split("'")[3]) for d in missing) == sorted(
        (line_of(p), p) for p in ("spouse_placement", "problem_handling"))
    flow.deploy_folder("spouse_placement")
    flow.deploy_folder("problem_handling")
    assert flow.deploy_folder("one_stop_intake") == "one_stop_intake"

