"""Liaocheng's one-stop intake (平台办法第五条 一窗接件、专员办理、集中反馈、统一建档; 第四条 the duties): one case, the
health-care card and spouse placement as called flows, any other service of article 4 routed to the department
the duty table names; one answer and one archive.

The earlier version of this test expected a called flow to send its own feedback and archive under its own number
before the combined answer; article 5 says one answer, one archive, so a called flow now does neither."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import at

APPLICATION = {"applicant_name": "张三", "id_number": "371502198805123015", "contact_phone": "13806351234",
               "employer": "聊城大学"}
OFFICER = {"officer_name": "李敏", "officer_phone": "0635-8451234"}
REPLY = {"reply_method": "窗口现场", "reply_date": "2026-11-20", "reply_confirmed": True}
ARCHIVE = {"case_archive_number": "YCSL-2026-0031", "case_archived_on": "2026-11-20", "archive_complete": True}
MATERIALS = {"id_number": "371502198805123015", "certification_proof": "a.pdf", "approval_form": "b.pdf",
             "id_card_copy": "c.pdf", "photo": "张三.jpg", "photo_confirmed": True, "contact_phone": "13806351234"}
SPOUSE = {"talent_name": "张三", "talent_category": "高端人才", "certificate_no": "LCRC-B-0001",
          "employer_name": "聊城大学", "contact_phone": "13806351234", "spouse_name": "刘婷",
          "spouse_id_number": "371502198905120023", "spouse_employment": "待业", "spouse_major": "会计",
          "placement_wish": "推荐就业"}
CITY = "city_window"


@pytest.fixture
def one_stop(flow: Any) -> str:
    for name in ("health_card", "spouse_placement", "gold_card", "subsidy"):
        flow.deploy_folder(name)
    return str(flow.deploy_folder("one_stop_intake"))


def open_case(flow: Any, services: list[str], **extra: Any) -> int:
    case = int(flow.start("one_stop_intake", {"applicant_name": "张三", "county": "dongchangfu"}))
    flow.complete(CITY, "accept", {**APPLICATION, "requested_services": services, **extra}, case)
    [check] = flow.answer_jobs("identity.check", {"verified": True})  # public security's population registry
    assert check["parameters"] == {"name": "张三", "id_number": APPLICATION["id_number"]}
    flow.complete(CITY, "assign_officer", OFFICER, case)
    return case


def answer_and_archive(flow: Any, case: int) -> dict[str, Any]:
    assert flow.open_task_names(case) == ["combined_feedback"]
    flow.complete(CITY, "combined_feedback", REPLY, case)
    flow.complete(CITY, "archive", ARCHIVE, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    return dict(view["data"])


@pytest.mark.policy("平台办法第五条", "平台办法第四条（一）", "平台办法第四条（二）", "医疗细则第五条")
def test_one_case_one_answer_one_archive_the_called_flows_do_not_answer_or_archive_on_their_own(
        flow, one_stop, clock):
    clock.set(at("2026-11-02 10:00"))
    case = open_case(flow, ["高层次人才保健证", "配偶安置"], talent_category="顶尖人才", gold_card_number="")
    assert flow.open_task_names(case) == ["apply", "submit_materials"]
    flow.complete_in("applicant", case, "spouse_placement", "apply", SPOUSE)
    flow.complete_in(CITY, case, "spouse_placement", "intake", {"intake_decision": "受理"})
    flow.complete_in("org_dept", case, "spouse_placement", "org_review",
                     {"placement_route": "推荐就业安置", "org_opinion": "推荐就业"})
    flow.complete_in("hrss", case, "spouse_placement", "hrss_place",
                     {"placement_status": "已安置", "placed_unit": "聊城大学", "placed_post": "会计",
                      "hrss_note": "已安置"})
    # spouse placement is done: no feedback or archive of its own, its result waits for the combined answer
    assert "feedback" not in flow.open_task_names(case)
    flow.complete_in("applicant", case, "health_card", "submit_materials", MATERIALS)
    flow.complete_in("county_window_dongchangfu", case, "health_card", "county_check",
                     {"county_decision": "转报市平台"})
    flow.complete_in(CITY, case, "health_card", "city_review", {"review_decision": "审核通过"})
    flow.complete_in("health_care_office", case, "health_card", "make_card",
                     {"card_number": "LCBJ-2026-0031", "issued_on": "2026-11-10"})
    flow.answer_jobs("elicence.issue")
    flow.complete_in(CITY, case, "health_card", "hand_over",
                     {"received_by": "持证人本人", "receiver_name": "张三", "received_on": "2026-11-11",
                      "services_explained": True})
    flow.complete_in("health", case, "health_card", "arrange_checkup",
                     {"checkup_hospital": "聊城市人民医院", "checkup_date": "2026-11-20", "funding_confirmed": True})
    data = answer_and_archive(flow, case)
    assert {code: r["outcome"] for code, r in data["service_results"].items()} == {
        "health_card": "已发证", "spouse_placement": "推荐就业安置"}
    completed = [h["task_name"] for h in flow.view(case)["history"] if h["action"] == "complete"]
    assert completed.count("feedback") == 0 and completed.count("archive") == 1
    assert completed.count("combined_feedback") == 1


@pytest.mark.policy("平台办法第四条（五）", "平台办法第四条")
def test_another_service_of_article_four_goes_to_the_department_the_duty_table_names(flow, one_stop, people, client):
    case = open_case(flow, ["其他服务事项"], service_item="科技项目扶持、科技奖项资助",
                     service_request="申请市级科技计划项目扶持")
    task = flow.open_task(case, "handle_duty")
    assert (task["department"], task["lane"]) == ("science_tech", "相关责任单位")
    assert [t["name"] for t in flow.tasks("science_tech") if t["instance_id"] == case] == ["handle_duty"]
    assert [t for t in flow.tasks("hrss") if t["instance_id"] == case] == []
    refused = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people.headers("hrss"))
    assert refused.status_code == 404  # another department may not act on it (nor see the case)
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people.headers("science_tech"))
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "science_tech"
    flow.complete("science_tech", "handle_duty", {"duty_result": "已办理", "duty_answer": "已列入年度扶持计划"}, case)
    data = answer_and_archive(flow, case)
    assert data["service_results"]["duty_service"]["outcome"] == "已办理"
    assert "平台办法第四条（五）" in data["service_results"]["duty_service"]["detail"]


@pytest.mark.policy("平台办法第四条（十一）", "平台办法第四条（十）", "平台办法第四条（八）", "平台办法第四条（七）",
                    "平台办法第四条（六）", "平台办法第四条（三）")
@pytest.mark.parametrize(("item", "department"), [
    ("引进人才创业项目融资支持", "finance_office"), ("高层次人才子女就学", "education"),
    ("高层次人才医疗保健服务", "health"), ("国家级企业技术中心、省级以上工程实验室补助", "ndrc"),
    ("省级企业技术中心补助", "economy_it"), ("引进人才专项编制管理使用", "staffing_office"),
    ("国家“千人计划”“万人计划”专家1:1配套资助", "org_dept"), ("人才认定", "hrss")])
def test_each_duty_of_article_four_reaches_its_department(flow, one_stop, item, department):
    case = open_case(flow, ["其他服务事项"], service_item=item, service_request="申请")
    assert flow.open_task(case, "handle_duty")["department"] == department


@pytest.mark.policy("平台办法第五条")
def test_the_intake_offers_the_services_of_liaocheng_only(flow, one_stop, platform):
    import json

    form = json.loads((platform.settings.processes_dir / "one_stop_intake" / "intake.json").read_text())
    assert form["properties"]["requested_services"]["items"]["enum"] == ["高层次人才保健证", "配偶安置", "人才服务金卡",
                                                                         "生活和租房补贴", "其他服务事项"]
    assert form["properties"]["talent_category"]["enum"] == ["顶尖人才", "高端人才", "急需紧缺人才", "高技能人才",
                                                             "其他引进人才"]
    assert "A" not in json.dumps(form, ensure_ascii=False).split("talent_category")[1][:200]


GOLD_INTAKE = {"applicant_name": "张三", "id_number": "371502198805123015", "phone": "13806351234",
               "employer": "聊城大学", "talent_level": "高端人才", "certificate_no": "LCRC-B-0031",
               "residence": "在聊城工作", "intake_decision": "受理"}
SUBSIDY_INTAKE = {"applicant_name": "张三", "id_number": "371502198805123015", "phone": "13806351234",
                  "employer": "聊城大学", "certificate_no": "LCRC-B-0031", "subsidy_category": "企业全职引进人才",
                  "qualification": "博士研究生", "contract_years": 5, "local_social_insurance": True,
                  "full_time_degree": True, "urgently_needed": False, "apartment_needed": False,
                  "intake_decision": "受理"}


def started_by_the_intake(flow: Any, platform: Any, case: int) -> dict[str, int]:
    """The cases the intake's messages started, by flow."""
    from sqlalchemy import select

    from engine.store.models import ProcessInstance

    with platform.uow(write=False) as uow:
        rows = uow.session.execute(select(ProcessInstance.model_key, ProcessInstance.id).where(
            ProcessInstance.id != case)).all()
    return {key: instance for key, instance in rows}


@pytest.mark.policy("平台办法第五条")
def test_an_id_number_public_security_does_not_verify_goes_back_to_the_window(flow, one_stop):
    case = int(flow.start("one_stop_intake", {"applicant_name": "张三", "county": "dongchangfu"}))
    flow.complete(CITY, "accept", {**APPLICATION, "requested_services": ["其他服务事项"],
                                   "service_item": "人才认定", "service_request": "申请认定"}, case)
    [check] = flow.answer_jobs("identity.check")  # the simulated registry: the number's check digit is wrong
    assert flow.open_task_names(case) == ["accept"]
    # shown at 一窗接件 (its instructions)
    assert flow.data(case)["identity_note"].startswith("公安人口信息核验未通过：身份证号码校验位不符")
    flow.complete(CITY, "accept", {**APPLICATION, "id_number": "371502198805123018",
                                   "requested_services": ["其他服务事项"], "service_item": "人才认定",
                                   "service_request": "申请认定"}, case)
    assert flow.answer_jobs("identity.check")[0]["parameters"]["id_number"] == "371502198805123018"
    assert flow.open_task_names(case) == ["assign_officer"]
    assert flow.data(case)["identity_check"]["verified"] is True


@pytest.mark.policy("平台办法第五条", "平台办法第四条（二）", "金卡办法第三条", "补贴细则第二条")
def test_gold_card_and_subsidy_report_their_decisions_and_go_on_as_their_own_cases(flow, one_stop, platform):
    case = open_case(flow, ["人才服务金卡", "生活和租房补贴"])
    assert flow.open_task_names(case) == []  # waiting for the two long-running services' decisions
    started = started_by_the_intake(flow, platform, case)
    assert set(started) == {"gold_card", "subsidy"}
    gold, subsidy = started["gold_card"], started["subsidy"]
    gold_view = flow.view(gold)
    assert gold_view["started_by"] == "applicant" and gold_view["county"] == "dongchangfu"
    assert gold_view["history"][0]["details"]["by_message"] == "onestop_gold_card_apply"
    assert gold_view["history"][0]["details"]["from_instance"] == case
    reference = flow.data(case)["intake_reference"]
    assert reference.startswith("YCSL") and flow.data(gold)["intake_reference"] == reference
    assert flow.data(subsidy)["one_stop"] is True and flow.data(subsidy)["intake_at"] == "市“一站式”服务平台"

    flow.complete(CITY, "city_intake", GOLD_INTAKE, gold)
    flow.complete("hrss", "review", {"review_decision": "发放金卡", "card_no": "LCJK2026000031",
                                     "card_level": "高端人才"}, gold)
    assert flow.data(case)["service_results"]["gold_card"]["outcome"] == "发放金卡"
    assert flow.open_task_names(case) == []  # still waiting for the subsidy

    flow.complete(CITY, "city_intake", SUBSIDY_INTAKE, subsidy)
    flow.complete("hrss", "eligibility", {"eligibility_decision": "属于补贴对象", "prior_subsidy_months": 0,
                                          "eligibility_comment": "经认定"}, subsidy)
    flow.complete("hrss", "approval", {"approval_decision": "批准", "approved_months": 36, "first_month": "2026-12",
                                       "approval_comment": "同意"}, subsidy)
    data = answer_and_archive(flow, case)  # the one answer: decisions, not years of payments
    results = data["service_results"]
    assert results["gold_card"]["detail"] == "服务金卡LCJK2026000031（高端人才）"
    assert results["subsidy"]["outcome"] == "批准" and "批准36个月" in results["subsidy"]["detail"]
    assert "人才服务金卡：发放金卡" in data["combined_answer_text"]
    # the services go on as their own cases: the card is handed over, the subsidy's funds allocated
    assert flow.view(gold)["status"] == "active" and flow.open_task_names(gold) == ["hand_card"]
    assert flow.view(subsidy)["status"] == "active" and flow.open_task_names(subsidy) == ["allocate"]
    intake_actions = [action for action, _task in flow.actions(case)]
    assert intake_actions.count("message_sent") == 2 and intake_actions.count("message_received") == 2


@pytest.mark.policy("平台办法第五条", "补贴细则第二条")
def test_a_long_running_service_refused_at_its_window_is_reported_as_refused(flow, one_stop, platform):
    case = open_case(flow, ["生活和租房补贴"])
    subsidy = started_by_the_intake(flow, platform, case)["subsidy"]
    flow.complete(CITY, "city_intake", {"intake_decision": "不予受理", "intake_reason": "未取得人才认定"}, subsidy)
    assert flow.view(subsidy)["status"] == "completed"
    data = answer_and_archive(flow, case)
    assert data["service_results"]["subsidy"]["outcome"] == "不予受理"
    assert data["service_results"]["subsidy"]["detail"] == "未取得人才认定"
